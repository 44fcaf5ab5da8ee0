//! Observability: `/metrics` counts what the server did (requests by route pattern, jobs,
//! imported rows, the pool), and one request id ties a response, its problem document, its
//! audit entry and its log lines together — the proxy's id when it sends a sane one.
//!
//! Each server has its own registry, so the counts here are exact.

use crate::db_test;
use crate::helpers::{spawn_app_with_settings, today, Backend, TestApp};
use crate::sales::{order, two_clients};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// One sample of the text exposition: name, labels, value.
#[derive(Debug)]
pub(crate) struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the text format 0.0.4 (label values may hold `{`, `}` and `,`, as route patterns do).
fn parse(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (series, value) = line.rsplit_once(' ').expect("a value");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().expect("a number"),
        };
        let (name, mut rest) = match series.split_once('{') {
            Some((name, rest)) => (name, rest.strip_suffix('}').expect("closing brace")),
            None => (series, ""),
        };
        let mut labels = BTreeMap::new();
        while !rest.is_empty() {
            let (key, after) = rest.split_once("=\"").expect("key=\"");
            let mut chars = after.char_indices();
            let mut label_value = String::new();
            let end = loop {
                match chars.next().expect("closing quote") {
                    (_, '\\') => label_value.push(chars.next().expect("escaped").1),
                    (i, '"') => break i,
                    (_, c) => label_value.push(c),
                }
            };
            labels.insert(key.to_owned(), label_value);
            rest = after[end + 1..].trim_start_matches(',');
        }
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    samples
}

/// The value of the sample `name` with exactly `labels`; `None` when it is not exposed.
pub(crate) fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let wanted: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    samples
        .iter()
        .find(|s| s.name == name && s.labels == wanted)
        .map(|s| s.value)
}

impl TestApp {
    /// `GET /metrics` (no token configured), parsed.
    pub(crate) async fn metrics(&self) -> (String, Vec<Sample>) {
        let response = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"]
            .to_str()
            .expect("text")
            .to_owned();
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{content_type}"
        );
        let text = response.text().await.expect("text");
        let samples = parse(&text);
        (text, samples)
    }
}

fn request_id_of(response: &reqwest::Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .expect("text")
        .to_owned()
}

/// The problem document of `response` (status `status`) and its request id header.
async fn problem(response: reqwest::Response, status: u16) -> (Value, String) {
    assert_eq!(response.status(), status, "{:?}", response.url().path());
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("text")
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let id = request_id_of(&response);
    (response.json().await.expect("json"), id)
}

async fn requests_are_counted_by_route_pattern_and_status_class(app: &TestApp) {
    let admin = app.token("admin").await;
    let [(a, _), (b, _)] = two_clients(app, &admin).await;
    for id in [&a, &b] {
        let response = app.get(&format!("/api/v1/clients/{id}"), &admin).await;
        assert_eq!(response.status(), 200);
    }
    let missing = uuid::Uuid::new_v4();
    let response = app.get(&format!("/api/v1/clients/{missing}"), &admin).await;
    assert_eq!(response.status(), 404);
    let response = app.get("/api/v1/no/such/route", &admin).await;
    assert_eq!(response.status(), 404);

    let (text, samples) = app.metrics().await;
    let route = |status| {
        [
            ("method", "GET"),
            ("route", "/api/v1/clients/{id}"),
            ("status", status),
        ]
    };
    assert_eq!(
        value(&samples, "ygj_http_requests_total", &route("2xx")),
        Some(2.0)
    );
    assert_eq!(
        value(&samples, "ygj_http_requests_total", &route("4xx")),
        Some(1.0)
    );
    assert_eq!(
        value(
            &samples,
            "ygj_http_request_duration_seconds_count",
            &route("2xx")
        ),
        Some(2.0)
    );
    let mut inf = route("2xx").to_vec();
    inf.push(("le", "+Inf"));
    assert_eq!(
        value(&samples, "ygj_http_request_duration_seconds_bucket", &inf),
        Some(2.0)
    );
    assert!(value(
        &samples,
        "ygj_http_request_duration_seconds_sum",
        &route("2xx")
    )
    .is_some_and(|s| s > 0.0));
    // Never the raw path: ids and unknown paths stay out of the labels.
    assert!(!text.contains(&a) && !text.contains(&missing.to_string()));
    assert!(!text.contains("/no/such/route"));
    assert_eq!(
        value(
            &samples,
            "ygj_http_requests_total",
            &[("method", "GET"), ("route", "unmatched"), ("status", "4xx")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &samples,
            "ygj_http_requests_total",
            &[
                ("method", "POST"),
                ("route", "/api/v1/auth/login"),
                ("status", "2xx")
            ]
        ),
        Some(1.0)
    );
    // The scrape itself is the one request in flight.
    assert_eq!(
        value(&samples, "ygj_http_requests_in_flight", &[]),
        Some(1.0)
    );
    // The scrape is counted once it is answered.
    let (_, samples) = app.metrics().await;
    assert_eq!(
        value(
            &samples,
            "ygj_http_requests_total",
            &[("method", "GET"), ("route", "/metrics"), ("status", "2xx")]
        ),
        Some(1.0)
    );
    let pool = |state| value(&samples, "ygj_db_pool_connections", &[("state", state)]);
    let (open, idle, max) = (
        pool("open").expect("open"),
        pool("idle").expect("idle"),
        pool("max").expect("max"),
    );
    assert!(
        open >= 1.0 && idle <= open && open <= max,
        "{open} {idle} {max}"
    );
    let expected_max = match app.backend {
        Backend::Sqlite => 8.0,
        Backend::Postgres => 20.0,
    };
    assert_eq!(max, expected_max);
    assert!(samples
        .iter()
        .any(|s| s.name == "ygj_build_info" && s.value == 1.0));
}
db_test!(requests_are_counted_by_route_pattern_and_status_class);

async fn a_job_run_on_demand_is_counted_and_timed(app: &TestApp) {
    let admin = app.token("admin").await;
    let labels = [("job", "service_sla"), ("outcome", "ok")];
    let (_, before) = app.metrics().await;
    assert_eq!(value(&before, "ygj_job_runs_total", &labels), None);
    for _ in 0..2 {
        let response = app
            .post_json("/api/v1/jobs/service_sla/run", &admin, &json!({}))
            .await;
        assert_eq!(response.status(), 200);
    }
    // Refused runs are not runs.
    let response = app
        .post_json("/api/v1/jobs/no_such_job/run", &admin, &json!({}))
        .await;
    assert_eq!(response.status(), 404);
    let (text, after) = app.metrics().await;
    assert_eq!(value(&after, "ygj_job_runs_total", &labels), Some(2.0));
    assert_eq!(
        value(
            &after,
            "ygj_job_duration_seconds_count",
            &[("job", "service_sla")]
        ),
        Some(2.0)
    );
    assert!(!text.contains("no_such_job"));
}
db_test!(a_job_run_on_demand_is_counted_and_timed);

async fn imported_rows_are_counted_by_kind_and_source(app: &TestApp) {
    let admin = app.token("admin").await;
    let [(a, a_uscc), (b, _)] = two_clients(app, &admin).await;
    let rows = |kind, source| {
        move |samples: &[Sample]| {
            value(
                samples,
                "ygj_import_rows_total",
                &[("kind", kind), ("source", source)],
            )
        }
    };
    let batch = json!({"orders": [order("OBS-1", &a, 10.0), order("OBS-2", &b, 10.0), order("OBS-3", &a, 10.0)]});
    let response = app.post_json("/api/v1/sales/orders", &admin, &batch).await;
    assert_eq!(response.status(), 200);
    // A repeated delivery is accepted (unchanged) and counted again.
    let response = app.post_json("/api/v1/sales/orders", &admin, &batch).await;
    assert_eq!(response.status(), 200);
    // A refused batch adds nothing.
    let refused = json!({"orders": [order("OBS-4", &a, 10.0), order("OBS-5", &uuid::Uuid::new_v4().to_string(), 10.0)]});
    let response = app
        .post_json("/api/v1/sales/orders", &admin, &refused)
        .await;
    assert_eq!(response.status(), 422);
    let (_, samples) = app.metrics().await;
    assert_eq!(rows("sales_order", "api")(&samples), Some(6.0));

    let day = today().to_string();
    let csv = format!(
        "order_no,client_uscc,order_date,product,tonnes,amount_yuan\n\
         OBS-F1,{a_uscc},{day},diesel_0,10,78000\n\
         OBS-F2,{a_uscc},{day},diesel_0,12,93600\n"
    );
    for query in ["?dry_run=true", ""] {
        let response = app
            .client
            .post(app.url(&format!("/api/v1/sales/imports{query}")))
            .bearer_auth(&admin)
            .header("content-type", "application/octet-stream")
            .body(csv.clone())
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "{query}");
    }
    let read_at =
        |hours: i64| (crate::helpers::now() - chrono::TimeDelta::hours(hours)).to_rfc3339();
    let readings = json!({"readings": [
        {"client_id": a, "tank_code": "T1", "product": "diesel_0", "capacity_litres": 30000.0,
         "level_litres": 20000.0, "read_at": read_at(30)},
        {"client_id": a, "tank_code": "T1", "product": "diesel_0", "capacity_litres": 30000.0,
         "level_litres": 18000.0, "read_at": read_at(6)},
    ]});
    let response = app
        .post_json("/api/v1/gauges/readings", &admin, &readings)
        .await;
    assert_eq!(response.status(), 200);
    let (_, samples) = app.metrics().await;
    assert_eq!(rows("sales_order", "api")(&samples), Some(6.0));
    // The preview stores nothing and counts nothing.
    assert_eq!(rows("sales_order", "file:csv")(&samples), Some(2.0));
    assert_eq!(rows("gauge_reading", "api")(&samples), Some(2.0));
}
db_test!(imported_rows_are_counted_by_kind_and_source);

async fn every_problem_carries_the_request_id_of_its_response(app: &TestApp) {
    let admin = app.token("admin").await;
    let mut seen = Vec::new();
    // 422 from handlers' rules, and from the query extractor (a repeated parameter).
    let response = app
        .post_json("/api/v1/sales/orders", &admin, &json!({"orders": []}))
        .await;
    seen.push(problem(response, 422).await);
    let response = app.get("/api/v1/clients?page=abc", &admin).await;
    seen.push(problem(response, 422).await);
    let response = app.get("/api/v1/clients?page=1&page=2", &admin).await;
    let (body, id) = problem(response, 422).await;
    assert_eq!(body["errors"][0]["field"], "query", "{body}");
    seen.push((body, id));
    // 404 from a handler, from the path extractor, and from no route at all.
    let missing = uuid::Uuid::new_v4();
    let response = app.get(&format!("/api/v1/clients/{missing}"), &admin).await;
    seen.push(problem(response, 404).await);
    let response = app.get("/api/v1/clients/not-a-uuid", &admin).await;
    seen.push(problem(response, 404).await);
    // 401 without a token, and with a forged one (refused by the auth middleware's outcome).
    let response = app
        .client
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .expect("request");
    seen.push(problem(response, 401).await);
    let response = app.get("/api/v1/me", "not.a.token").await;
    seen.push(problem(response, 401).await);
    // 400 from the JSON extractor.
    let response = app
        .client
        .post(app.url("/api/v1/sales/orders"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    seen.push(problem(response, 400).await);
    for (body, header) in &seen {
        assert!(uuid::Uuid::parse_str(header).is_ok(), "{header}");
        assert_eq!(body["request_id"], header.as_str(), "{body}");
        assert!(body["code"].is_string(), "still a problem: {body}");
    }
    let mut ids: Vec<&String> = seen.iter().map(|(_, id)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), seen.len(), "one id per request");
}
db_test!(every_problem_carries_the_request_id_of_its_response);

async fn a_sane_proxy_request_id_is_kept_and_any_other_replaced(app: &TestApp) {
    let admin = app.token("admin").await;
    let [(a, _), _] = two_clients(app, &admin).await;
    let with_id = |path: &str, id: &str| {
        app.client
            .get(app.url(path))
            .bearer_auth(&admin)
            .header("x-request-id", id)
    };
    // nginx's $request_id is 32 hex digits.
    let nginx = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let response = with_id("/api/v1/me", nginx).send().await.expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(request_id_of(&response), nginx);
    let longest = "a.b_c-".repeat(10) + "1234";
    assert_eq!(longest.len(), 64);
    let response = with_id("/api/v1/clients/not-a-uuid", &longest)
        .send()
        .await
        .expect("request");
    let (body, header) = problem(response, 404).await;
    assert_eq!(header, longest);
    assert_eq!(body["request_id"], longest.as_str());

    for insane in [
        "has spaces in it",
        "semi;colon",
        "quote\"d",
        &"a".repeat(65),
        "",
    ] {
        let response = with_id("/api/v1/me", insane).send().await.expect("request");
        assert_eq!(response.status(), 200);
        let header = request_id_of(&response);
        assert_ne!(header, insane);
        assert!(
            uuid::Uuid::parse_str(&header).is_ok(),
            "{insane:?} → {header}"
        );
    }
    // Not UTF-8 at all.
    let response = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&admin)
        .header(
            "x-request-id",
            reqwest::header::HeaderValue::from_bytes(b"caf\xe9").expect("header"),
        )
        .send()
        .await
        .expect("request");
    assert!(uuid::Uuid::parse_str(&request_id_of(&response)).is_ok());

    // The audit trail keeps the same id.
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/clients/{a}")))
        .bearer_auth(&admin)
        .header("x-request-id", "proxy-req-42")
        .json(&json!({"name": "请求编号测试有限公司"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(request_id_of(&response), "proxy-req-42");
    let history = app
        .get_json(&format!("/api/v1/clients/{a}/history"), &admin)
        .await;
    assert_eq!(history["items"][0]["request_id"], "proxy-req-42");
}
db_test!(a_sane_proxy_request_id_is_kept_and_any_other_replaced);

/// The token check does not touch the database: SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_the_token_when_one_is_configured() {
    let app = spawn_app_with_settings(Backend::Sqlite, 0.0, |settings| {
        settings.metrics_token = Some("scrape-me-7".to_owned());
    })
    .await;
    let scrape = |auth: Option<&str>| {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.send()
    };
    for refused in [None, Some("Bearer scrape-me"), Some("Basic scrape-me-7")] {
        let response = scrape(refused).await.expect("request");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let (body, id) = problem(response, 401).await;
        assert_eq!(body["code"], "unauthorized");
        assert_eq!(body["request_id"], id.as_str());
    }
    let response = scrape(Some("Bearer scrape-me-7")).await.expect("request");
    assert_eq!(response.status(), 200);
    let samples = parse(&response.text().await.expect("text"));
    // The refused scrapes were counted as such.
    assert_eq!(
        value(
            &samples,
            "ygj_http_requests_total",
            &[("method", "GET"), ("route", "/metrics"), ("status", "4xx")]
        ),
        Some(3.0)
    );
    app.cleanup().await;
}

#[test]
fn the_parser_reads_escaped_and_braced_label_values() {
    let samples = parse(
        "# HELP x y\n\
         a_total{route=\"/c/{id}\",q=\"say \\\"hi\\\", ok\"} 3\n\
         b 1.5\n\
         c_bucket{le=\"+Inf\"} +Inf\n",
    );
    assert_eq!(
        value(
            &samples,
            "a_total",
            &[("route", "/c/{id}"), ("q", "say \"hi\", ok")]
        ),
        Some(3.0)
    );
    assert_eq!(value(&samples, "b", &[]), Some(1.5));
    assert_eq!(
        value(&samples, "c_bucket", &[("le", "+Inf")]),
        Some(f64::INFINITY)
    );
    assert_eq!(value(&samples, "a_total", &[("route", "/c/{id}")]), None);
}
