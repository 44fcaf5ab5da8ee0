//! Sales data in: order batches, prepayments and liftings, tank-gauge readings. Idempotent on
//! the source's key, all or nothing, every bad row named.

use crate::db_test;
use crate::helpers::{today, TestApp};
use chrono::{TimeDelta, TimeZone, Utc};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

pub async fn count(app: &TestApp, table: &str) -> i64 {
    let backend = app.store.connection().get_database_backend();
    let row = app
        .store
        .connection()
        .query_one(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) FROM {table}"),
        ))
        .await
        .expect("count")
        .expect("row");
    row.try_get_by_index::<i64>(0).expect("count")
}

/// Two clients of the demo: (id, uscc) each.
pub async fn two_clients(app: &TestApp, admin: &str) -> [(String, String); 2] {
    let page = app
        .get_json("/api/v1/clients?per_page=2&sort=name", admin)
        .await;
    let pick = |i: usize| {
        (
            page["items"][i]["id"].as_str().expect("id").to_owned(),
            page["items"][i]["uscc"].as_str().expect("uscc").to_owned(),
        )
    };
    [pick(0), pick(1)]
}

/// One direct order line of diesel for `client`, today.
pub(crate) fn order(no: &str, client: &str, tonnes: f64) -> Value {
    json!({
        "order_no": no,
        "client_id": client,
        "order_date": today().to_string(),
        "product": "diesel_0",
        "tonnes": tonnes,
        "amount_yuan": tonnes * 7800.0,
        "channel": "direct",
        "depot": "长沙油库"
    })
}

async fn order_batches_are_idempotent_and_conflicts_change_nothing(app: &TestApp) {
    let admin = app.token("admin").await;
    let [(a, _), (_, b_uscc)] = two_clients(app, &admin).await;
    let before = count(app, "sales_orders").await;
    let mut by_uscc = order("T-2", "", 12.5);
    by_uscc.as_object_mut().expect("object").remove("client_id");
    by_uscc["client_uscc"] = json!(b_uscc);
    let batch = json!({"orders": [order("T-1", &a, 30.0), by_uscc, order("T-3", &a, 8.125)]});
    let first = app.post_json("/api/v1/sales/orders", &admin, &batch).await;
    assert_eq!(first.status(), 200);
    let body: Value = first.json().await.expect("json");
    assert_eq!(body, json!({"received": 3, "inserted": 3, "unchanged": 0}));
    // The ERP sends the same batch again: nothing new, nothing changed.
    let again: Value = app
        .post_json("/api/v1/sales/orders", &admin, &batch)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again, json!({"received": 3, "inserted": 0, "unchanged": 3}));
    assert_eq!(count(app, "sales_orders").await, before + 3);
    // A new order together with a changed old one: a conflict, and the new one is not stored.
    let conflict = app
        .post_json(
            "/api/v1/sales/orders",
            &admin,
            &json!({"orders": [order("T-4", &a, 5.0), order("T-1", &a, 31.0)]}),
        )
        .await;
    assert_eq!(conflict.status(), 409);
    let problem: Value = conflict.json().await.expect("json");
    assert_eq!(problem["code"], "conflict");
    assert_eq!(problem["errors"].as_array().expect("errors").len(), 1);
    assert!(problem["errors"][0]["message"]
        .as_str()
        .expect("message")
        .contains("T-1"));
    assert!(problem["detail_zh"].as_str().expect("zh").contains("冲突"));
    assert_eq!(count(app, "sales_orders").await, before + 3);
}
db_test!(order_batches_are_idempotent_and_conflicts_change_nothing);

async fn bad_order_rows_are_each_named_and_nothing_is_stored(app: &TestApp) {
    let admin = app.token("admin").await;
    let [(a, _), _] = two_clients(app, &admin).await;
    let before = count(app, "sales_orders").await;
    let future = (today() + TimeDelta::days(3)).to_string();
    let mut unknown_uscc = order("B-2", "", 10.0);
    unknown_uscc
        .as_object_mut()
        .expect("object")
        .remove("client_id");
    unknown_uscc["client_uscc"] = json!("91430000MA4L000000");
    let mut future_row = order("B-5", &a, 10.0);
    future_row["order_date"] = json!(future);
    let mut cheap = order("B-6", &a, 10.0);
    cheap["amount_yuan"] = json!(100.0);
    let batch = json!({"orders": [
        order("B-0", &a, 10.0),
        order("B-1", &uuid::Uuid::new_v4().to_string(), 10.0),
        unknown_uscc,
        order("B-3", &a, -4.0),
        order("B-4", &a, 90_000.0),
        future_row,
        cheap,
        order("B-0", &a, 11.0),
    ]});
    let response = app.post_json("/api/v1/sales/orders", &admin, &batch).await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let problem: Value = response.json().await.expect("json");
    let fields: Vec<(String, String)> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            assert!(!e["message_zh"].as_str().unwrap_or("").is_empty());
            (
                e["field"].as_str().expect("field").to_owned(),
                e["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect();
    for expected in [
        ("orders[1].client_id", "unknown_client"),
        ("orders[2].client_uscc", "unknown_client"),
        ("orders[3].tonnes", "not_positive"),
        ("orders[4].tonnes", "implausible_quantity"),
        ("orders[5].order_date", "future_date"),
        ("orders[6].amount_yuan", "implausible_price"),
        ("orders[7].order_no", "duplicate_in_batch"),
    ] {
        assert!(
            fields.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} missing from {fields:?}"
        );
    }
    assert!(!fields.iter().any(|(f, _)| f.starts_with("orders[0].")));
    assert_eq!(
        count(app, "sales_orders").await,
        before,
        "half a batch stored"
    );
    // A product that does not exist is a 400 naming the field.
    let mut wrong = order("B-9", &a, 1.0);
    wrong["product"] = json!("diesel_99");
    let response = app
        .post_json("/api/v1/sales/orders", &admin, &json!({"orders": [wrong]}))
        .await;
    assert_eq!(response.status(), 400);
    let problem: Value = response.json().await.expect("json");
    assert!(problem["errors"][0]["field"]
        .as_str()
        .unwrap_or("")
        .contains("product"));
    // An empty batch is refused.
    let response = app
        .post_json("/api/v1/sales/orders", &admin, &json!({"orders": []}))
        .await;
    assert_eq!(response.status(), 422);
}
db_test!(bad_order_rows_are_each_named_and_nothing_is_stored);

async fn integrators_need_the_sales_scope(app: &TestApp) {
    let admin = app.token("admin").await;
    let [(a, _), _] = two_clients(app, &admin).await;
    let mut secrets = Vec::new();
    for (name, scopes) in [
        ("erp", json!(["sales:write"])),
        ("reader", json!(["clients:read"])),
    ] {
        let created: Value = app
            .post_json(
                "/api/v1/integrator-tokens",
                &admin,
                &json!({"name": name, "scopes": scopes, "expires_in_days": 30}),
            )
            .await
            .json()
            .await
            .expect("json");
        secrets.push(created["secret"].as_str().expect("secret").to_owned());
    }
    let batch = json!({"orders": [order("ERP-1", &a, 20.0)]});
    let ok = app
        .post_json("/api/v1/sales/orders", &secrets[0], &batch)
        .await;
    assert_eq!(ok.status(), 200);
    let refused = app
        .post_json("/api/v1/sales/orders", &secrets[1], &batch)
        .await;
    assert_eq!(refused.status(), 403);
    // People other than administrators do not write sales data.
    let manager = app.token("manager").await;
    let refused = app
        .post_json("/api/v1/sales/orders", &manager, &batch)
        .await;
    assert_eq!(refused.status(), 403);
    // The batch is audited under the token.
    let audit = app
        .get_json("/api/v1/audit?entity=sales_order_batch", &admin)
        .await;
    assert!(audit["items"][0]["actor_name"]
        .as_str()
        .unwrap_or("")
        .contains("erp"));
}
db_test!(integrators_need_the_sales_scope);

async fn prepayments_and_liftings_keep_a_balance_that_cannot_go_negative(app: &TestApp) {
    let admin = app.token("admin").await;
    let [(a, _), _] = two_clients(app, &admin).await;
    let day = |d: i64| (today() - TimeDelta::days(d)).to_string();
    let entry = |no: &str, kind: &str, date: String, tonnes: f64, yuan: f64| {
        json!({"entry_no": no, "client_id": a, "kind": kind, "entry_date": date,
               "product": "diesel_0", "tonnes": tonnes, "amount_yuan": yuan})
    };
    let batch = json!({"entries": [
        entry("P-1", "prepayment", day(10), 100.0, 780_000.0),
        entry("L-1", "lifting", day(5), 30.0, 0.0),
    ]});
    let response = app
        .post_json("/api/v1/sales/prepayments", &admin, &batch)
        .await;
    assert_eq!(response.status(), 200);
    let again: Value = app
        .post_json("/api/v1/sales/prepayments", &admin, &batch)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["unchanged"], 2);
    let balance = app
        .get_json(&format!("/api/v1/clients/{a}/prepayments"), &admin)
        .await;
    assert_eq!(balance["prepaid_not_lifted_t"], 70.0);
    assert_eq!(balance["entries"].as_array().expect("entries").len(), 2);
    // Lifting more than is left is refused, and nothing of the batch is stored.
    let response = app
        .post_json(
            "/api/v1/sales/prepayments",
            &admin,
            &json!({"entries": [
                entry("P-2", "prepayment", day(2), 10.0, 78_000.0),
                entry("L-2", "lifting", day(1), 90.0, 0.0),
            ]}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "entries[1].tonnes");
    assert_eq!(problem["errors"][0]["code"], "exceeds_balance");
    let balance = app
        .get_json(&format!("/api/v1/clients/{a}/prepayments"), &admin)
        .await;
    assert_eq!(balance["prepaid_not_lifted_t"], 70.0);
    // The same number with other content is a conflict.
    let response = app
        .post_json(
            "/api/v1/sales/prepayments",
            &admin,
            &json!({"entries": [entry("P-1", "prepayment", day(10), 101.0, 780_000.0)]}),
        )
        .await;
    assert_eq!(response.status(), 409);
}
db_test!(prepayments_and_liftings_keep_a_balance_that_cannot_go_negative);

async fn a_tank_running_dry_raises_one_replenishment_call_per_episode(app: &TestApp) {
    let admin = app.token("admin").await;
    let [(a, _), _] = two_clients(app, &admin).await;
    // Midnight of the test day; the server's clock stands at 09:00.
    let noon = Utc.from_utc_datetime(&today().and_hms_opt(0, 0, 0).expect("time"));
    let reading = |hours_ago: i64, level: f64| {
        json!({"client_id": a, "tank_code": "T1", "product": "diesel_0",
               "capacity_litres": 30000.0, "level_litres": level,
               "read_at": (noon - TimeDelta::hours(hours_ago)).to_rfc3339()})
    };
    // 4,000 L a day for 4 days: 8,000 L left is 2 days.
    let falling: Vec<Value> = (0..=4)
        .map(|d| reading(24 * (4 - d), 24_000.0 - 4_000.0 * d as f64))
        .collect();
    let response = app
        .post_json(
            "/api/v1/gauges/readings",
            &admin,
            &json!({"readings": falling}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["inserted"], 5);
    assert_eq!(body["tasks_created"], 1);
    let tank = &body["tanks"][0];
    assert!((tank["consumption_litres_per_day"].as_f64().expect("rate") - 4000.0).abs() < 1.0);
    assert!((tank["days_until_empty"].as_f64().expect("days") - 2.0).abs() < 0.01);
    // Another reading of the same episode: no second task.
    let later = app
        .post_json(
            "/api/v1/gauges/readings",
            &admin,
            &json!({"readings": [reading(-2, 7_700.0)]}),
        )
        .await;
    let later: Value = later.json().await.expect("json");
    assert_eq!(later["tasks_created"], 0);
    let tasks = app
        .get_json(
            &format!("/api/v1/tasks?client_id={a}&kind=replenish_call"),
            &admin,
        )
        .await;
    assert_eq!(tasks["total"], 1);
    assert!(tasks["items"][0]["detail"]
        .as_str()
        .unwrap_or("")
        .contains("天后见底"));
    // The same reading again is unchanged; a different level at the same time a conflict.
    let again: Value = app
        .post_json(
            "/api/v1/gauges/readings",
            &admin,
            &json!({"readings": [reading(-2, 7_700.0)]}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["unchanged"], 1);
    let conflict = app
        .post_json(
            "/api/v1/gauges/readings",
            &admin,
            &json!({"readings": [reading(-2, 7_000.0)]}),
        )
        .await;
    assert_eq!(conflict.status(), 409);
    // Bad readings: every one named, none stored.
    let before = count(app, "gauge_readings").await;
    let mut future = reading(-48, 100.0);
    future["read_at"] = json!((Utc::now() + TimeDelta::days(400)).to_rfc3339());
    let response = app
        .post_json(
            "/api/v1/gauges/readings",
            &admin,
            &json!({"readings": [reading(-3, -5.0), reading(-4, 50_000.0), future]}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.expect("json");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        vec![
            "readings[0].level_litres",
            "readings[1].level_litres",
            "readings[2].read_at"
        ]
    );
    assert_eq!(count(app, "gauge_readings").await, before);
    let tanks = app
        .get_json(&format!("/api/v1/clients/{a}/tanks"), &admin)
        .await;
    assert_eq!(tanks[0]["tank_code"], "T1");
}
db_test!(a_tank_running_dry_raises_one_replenishment_call_per_episode);
