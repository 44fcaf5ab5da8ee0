use crate::clients::new_client;
use crate::db_test;
use crate::helpers::{error_fields, TestApp};
use serde_json::{json, Value};

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.expect("json");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(body["detail_zh"].as_str().is_some_and(|d| !d.is_empty()));
    body
}

async fn raw_post(
    app: &TestApp,
    token: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/clients"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request")
}

async fn bad_bodies_get_field_level_problems_and_write_nothing(app: &TestApp) {
    let token = app.token("admin").await;
    let before = app.store.count_clients().await.expect("count");

    let malformed = problem(
        raw_post(app, &token, "application/json", "{\"name\": ").await,
        400,
    )
    .await;
    assert_eq!(malformed["code"], "malformed_json");

    let mut wrong_type = new_client(app, &token, "91430104MA4BAD001").await;
    wrong_type["facilities"]["tank_count"] = json!("three");
    let body = problem(
        app.post_json("/api/v1/clients", &token, &wrong_type).await,
        400,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "facilities.tank_count");
    assert_eq!(body["errors"][0]["code"], "invalid_type");

    let mut unknown = new_client(app, &token, "91430104MA4BAD002").await;
    unknown["colour"] = json!("red");
    let body = problem(
        app.post_json("/api/v1/clients", &token, &unknown).await,
        400,
    )
    .await;
    assert_eq!(body["errors"][0]["code"], "unknown_field");

    let mut missing = new_client(app, &token, "91430104MA4BAD003").await;
    missing.as_object_mut().expect("object").remove("name");
    let body = problem(
        app.post_json("/api/v1/clients", &token, &missing).await,
        400,
    )
    .await;
    assert_eq!(body["errors"][0]["code"], "required");

    let mut bad = new_client(app, &token, "91430104MA4BAD004").await;
    let good_uscc = bad["uscc"].as_str().expect("uscc").to_owned();
    let wrong_check = if good_uscc.ends_with('0') { "1" } else { "0" };
    bad["uscc"] = json!(format!("{}{wrong_check}", &good_uscc[..17]));
    bad["contacts"][0]["phone"] = json!("12345");
    bad["location"] = json!({ "lat": 95.0, "lon": 112.9 });
    let body = problem(app.post_json("/api/v1/clients", &token, &bad).await, 422).await;
    assert_eq!(body["code"], "validation_failed");
    let fields: Vec<&str> = error_fields(&body);
    assert_eq!(fields, ["uscc", "location.lat", "contacts[0].phone"]);
    assert!(body["errors"][0]["message_zh"]
        .as_str()
        .expect("zh")
        .contains("校验码"));

    let mut nowhere = new_client(app, &token, "91430104MA4BAD005").await;
    nowhere["org_unit_id"] = json!(uuid::Uuid::new_v4());
    let body = problem(
        app.post_json("/api/v1/clients", &token, &nowhere).await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "org_unit_id");
    assert_eq!(body["errors"][0]["code"], "not_found");

    let huge = json!({ "name": "x".repeat(100 * 1024) }).to_string();
    let body = problem(raw_post(app, &token, "application/json", huge).await, 413).await;
    assert_eq!(body["code"], "payload_too_large");

    let body = problem(raw_post(app, &token, "text/plain", "hello").await, 415).await;
    assert_eq!(body["code"], "unsupported_media_type");

    assert_eq!(
        app.store.count_clients().await.expect("count"),
        before,
        "nothing written"
    );
}
db_test!(bad_bodies_get_field_level_problems_and_write_nothing);

async fn a_failed_update_changes_nothing(app: &TestApp) {
    let token = app.token("admin").await;
    let page = app.get_json("/api/v1/clients?per_page=1", &token).await;
    let id = page["items"][0]["id"].as_str().expect("id").to_owned();
    let before = app.get_json(&format!("/api/v1/clients/{id}"), &token).await;
    let response = app
        .patch_json(
            &format!("/api/v1/clients/{id}"),
            &token,
            &json!({ "name": "新名字", "contacts": [{ "name": "张三", "phone": "999" }] }),
        )
        .await;
    let body = problem(response, 422).await;
    assert_eq!(body["errors"][0]["field"], "contacts[0].phone");
    let after = app.get_json(&format!("/api/v1/clients/{id}"), &token).await;
    assert_eq!(before, after);
}
db_test!(a_failed_update_changes_nothing);

async fn bad_paths_and_parameters_are_4xx_not_500(app: &TestApp) {
    let token = app.token("admin").await;
    problem(app.get("/api/v1/clients/not-a-uuid", &token).await, 404).await;
    problem(
        app.get(&format!("/api/v1/clients/{}", uuid::Uuid::new_v4()), &token)
            .await,
        404,
    )
    .await;
    problem(app.get("/api/v1/no-such-route", &token).await, 404).await;
    let body = problem(
        app.get("/api/v1/clients?page=abc&org_unit_id=xyz", &token)
            .await,
        422,
    )
    .await;
    let fields: Vec<&str> = error_fields(&body);
    assert_eq!(fields, ["org_unit_id", "page"]);
    let body = problem(app.get("/api/v1/users?role=boss", &token).await, 422).await;
    assert_eq!(body["errors"][0]["field"], "role");
    let login = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("[]")
        .send()
        .await
        .expect("request");
    problem(login, 400).await;
    let login = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "username": "", "password": "" }))
        .send()
        .await
        .expect("request");
    let body = problem(login, 422).await;
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(2));
}
db_test!(bad_paths_and_parameters_are_4xx_not_500);

// Regressions for what the API fuzzer (tests/fuzz/run.sh, schemathesis) found.

/// serde fills a struct from an array of its fields in order: `[null, null]` was a valid
/// "change nothing" for every update whose fields are all optional, and started an archive export.
async fn a_body_is_an_object_never_an_array_of_its_fields(app: &TestApp) {
    let token = app.token("admin").await;
    let units = app.get_json("/api/v1/org-units", &token).await;
    let unit = units
        .as_array()
        .and_then(|units| units.iter().find(|u| u["level"] == "county"))
        .expect("a county")
        .clone();
    let id = unit["id"].as_str().expect("id");
    for (method, path) in [
        (reqwest::Method::PATCH, format!("/api/v1/org-units/{id}")),
        (reqwest::Method::POST, "/api/v1/archive/export".to_owned()),
        (reqwest::Method::POST, "/api/v1/auth/login".to_owned()),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(&path))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(" [null, null]")
            .send()
            .await
            .expect("request");
        let body = problem(response, 400).await;
        assert_eq!(body["errors"][0]["field"], "body", "{method} {path}");
        assert_eq!(body["errors"][0]["code"], "invalid_type", "{method} {path}");
    }
    let after = app.get_json("/api/v1/org-units", &token).await;
    assert_eq!(after, units);
}
db_test!(a_body_is_an_object_never_an_array_of_its_fields);

/// A method the API does not serve on a path it serves is 405 with `Allow`, not 404 or the
/// dashboard's page — also where the path reads as another route's parameter
/// (`GET /visits/photos` is not `GET /visits/{id}`).
async fn an_unserved_method_is_405_with_allow(app: &TestApp) {
    let token = app.token("admin").await;
    let trace = reqwest::Method::from_bytes(b"TRACE").expect("method");
    for (method, path, allow) in [
        (trace.clone(), "/healthz", "GET"),
        (trace, "/api/v1/me", "GET"),
        (reqwest::Method::DELETE, "/api/v1/clients", "GET, POST"),
        (reqwest::Method::GET, "/api/v1/visits/photos", "POST"),
        (reqwest::Method::PATCH, "/api/v1/clients/export", "GET"),
        (
            reqwest::Method::PUT,
            "/api/v1/clients/0b5e3f5e-0000-4000-8000-000000000000",
            "GET, PATCH",
        ),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        let body = problem(response, 405).await;
        assert_eq!(body["code"], "method_not_allowed", "{method} {path}");
    }
    // Unknown paths stay 404; a bad id on a served method stays 404.
    problem(app.get("/api/v1/no-such-route", &token).await, 404).await;
    problem(app.get("/api/v1/visits/not-a-uuid", &token).await, 404).await;
}
db_test!(an_unserved_method_is_405_with_allow);

/// An optional query parameter sent empty is absent (the spec says `allowEmptyValue`; the
/// dashboard sends `?org_unit_id=` for "all"), on every route alike; any other value must parse
/// as sent.
async fn an_empty_query_parameter_is_absent_and_a_padded_one_is_checked(app: &TestApp) {
    let token = app.token("admin").await;
    for path in [
        "/api/v1/visits?unreviewed=&older_than_days=&page=",
        "/api/v1/plans/coverage?half_year=",
        "/api/v1/clients?org_unit_id=&sort=&page=&per_page=",
    ] {
        let response = app.get(path, &token).await;
        assert_eq!(response.status(), 200, "GET {path}");
    }
    let body = problem(
        app.get("/api/v1/clients?org_unit_id=%20", &token).await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "org_unit_id");
    let body = problem(app.get("/api/v1/visits?unreviewed=yes", &token).await, 422).await;
    assert_eq!(body["errors"][0]["field"], "unreviewed");
}
db_test!(an_empty_query_parameter_is_absent_and_a_padded_one_is_checked);

/// The spec spoke other codes than the API (`petrol92` for `petrol_92`, `clients_read` for
/// `clients:read`, `name_desc` for `-name`), referenced a schema it lacked (`ClientSort`), and
/// described records that no record could match (a closed part inside an `allOf`).
#[test]
fn the_spec_speaks_the_codes_the_api_speaks() {
    let spec: Value = serde_json::from_str(&api::openapi::spec_json()).expect("spec");
    let schemas = &spec["components"]["schemas"];
    let codes = |name: &str| -> Vec<String> {
        schemas[name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has an enum"))
            .iter()
            .map(|v| v.as_str().expect("code").to_owned())
            .collect()
    };
    let products: Vec<String> = domain::sales::Product::ALL
        .iter()
        .map(|p| p.code().to_owned())
        .collect();
    assert_eq!(codes("Product"), products);
    assert!(codes("TokenScope").contains(&"clients:read".to_owned()));
    assert!(codes("ClientSort").contains(&"-name".to_owned()));
    for (name, schema) in schemas.as_object().expect("schemas") {
        for part in schema["allOf"].as_array().into_iter().flatten() {
            assert_ne!(
                part["additionalProperties"],
                json!(false),
                "{name}: a closed part of an allOf"
            );
            if let Some(reference) = part["$ref"].as_str() {
                let target = reference.trim_start_matches("#/components/schemas/");
                assert_ne!(
                    schemas[target]["additionalProperties"],
                    json!(false),
                    "{name}: allOf refers to the closed {target}"
                );
            }
        }
    }
}
