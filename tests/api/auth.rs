use crate::db_test;
use crate::helpers::{TestApp, PASSWORD};
use serde_json::Value;

async fn demo_admin_signs_in_and_sees_itself(app: &TestApp) {
    let response = app.login("admin", PASSWORD).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["user"]["role"], "admin");
    let token = body["access_token"].as_str().expect("token");
    let me = app.get_json("/api/v1/me", token).await;
    assert_eq!(me["username"], "admin");
    assert_eq!(me["org_unit_name"], "湖南省");
}
db_test!(demo_admin_signs_in_and_sees_itself);

async fn every_demo_role_can_sign_in(app: &TestApp) {
    for (username, role) in [
        ("leader", "leader"),
        ("director", "director"),
        ("manager", "account_manager"),
        ("viewer", "viewer"),
    ] {
        let token = app.token(username).await;
        assert_eq!(app.get_json("/api/v1/me", &token).await["role"], role);
    }
}
db_test!(every_demo_role_can_sign_in);

async fn wrong_password_and_unknown_user_get_the_same_401(app: &TestApp) {
    for (user, password) in [("admin", "wrong"), ("nobody", PASSWORD)] {
        let response = app.login(user, password).await;
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["code"], "invalid_credentials");
        assert_eq!(body["detail_zh"], "用户名或密码错误");
    }
}
db_test!(wrong_password_and_unknown_user_get_the_same_401);

async fn api_routes_refuse_missing_and_forged_tokens(app: &TestApp) {
    let response = app
        .client
        .get(app.url("/api/v1/clients"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], "unauthorized");
    // A token signed with another key, and garbage.
    let forged = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDEiLCJyb2xlIjoiYWRtaW4iLCJpYXQiOjEsImV4cCI6NDEwMjQ0NDgwMCwianRpIjoiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAxIn0.c2lnbmF0dXJl";
    for token in [forged, "garbage"] {
        for path in [
            "/api/v1/me",
            "/api/v1/clients",
            "/api/v1/org-units",
            "/api/v1/users",
        ] {
            let response = app.get(path, token).await;
            assert_eq!(response.status(), 401, "{path}");
        }
    }
}
db_test!(api_routes_refuse_missing_and_forged_tokens);
