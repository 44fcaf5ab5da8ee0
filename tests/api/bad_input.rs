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
