use crate::db_test;
use crate::helpers::{TestApp, PASSWORD};
use api::auth::TokenKeys;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

async fn sign_in(app: &TestApp, username: &str) -> Value {
    let response = app.login(username, PASSWORD).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

async fn refresh(app: &TestApp, token: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": token }))
        .send()
        .await
        .expect("request")
}

async fn refresh_tokens_rotate_and_a_reused_one_ends_the_session(app: &TestApp) {
    let first = sign_in(app, "manager").await;
    let second = refresh(app, &first["refresh_token"]).await;
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.expect("json");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let access = second["access_token"].as_str().expect("token");
    assert_eq!(app.get("/api/v1/me", access).await.status(), 200);

    // The first refresh token again: refused, and the whole session ends (theft is assumed).
    let reused = refresh(app, &first["refresh_token"]).await;
    assert_eq!(reused.status(), 401);
    let problem: Value = reused.json().await.expect("json");
    assert_eq!(problem["code"], "invalid_refresh_token");
    assert_eq!(refresh(app, &second["refresh_token"]).await.status(), 401);
    assert_eq!(app.get("/api/v1/me", access).await.status(), 401);

    for junk in [
        json!("nonsense"),
        json!(format!("{}.00", uuid::Uuid::new_v4())),
        json!(""),
    ] {
        assert_eq!(refresh(app, &junk).await.status(), 401);
    }
}
db_test!(refresh_tokens_rotate_and_a_reused_one_ends_the_session);

async fn signing_out_ends_the_session_but_not_the_others(app: &TestApp) {
    let phone = sign_in(app, "manager").await;
    let laptop = sign_in(app, "manager").await;
    let phone_access = phone["access_token"].as_str().expect("token");
    let response = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(phone_access)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 204);
    assert_eq!(app.get("/api/v1/me", phone_access).await.status(), 401);
    assert_eq!(refresh(app, &phone["refresh_token"]).await.status(), 401);
    assert_eq!(
        app.get(
            "/api/v1/me",
            laptop["access_token"].as_str().expect("token")
        )
        .await
        .status(),
        200
    );
}
db_test!(signing_out_ends_the_session_but_not_the_others);

async fn changing_the_password_signs_out_everywhere(app: &TestApp) {
    let one = sign_in(app, "director").await;
    let two = sign_in(app, "director").await;
    let access = one["access_token"].as_str().expect("token");
    let change = |current: &str, new: &str| {
        app.client
            .post(app.url("/api/v1/auth/password"))
            .bearer_auth(access)
            .json(&json!({ "current_password": current, "new_password": new }))
            .send()
    };
    let weak = change(PASSWORD, "short").await.expect("request");
    assert_eq!(weak.status(), 422);
    assert_eq!(
        weak.json::<Value>().await.expect("json")["errors"][0]["code"],
        "weak_password"
    );
    let wrong = change("not-my-password", "Xiang-River-2026")
        .await
        .expect("request");
    assert_eq!(wrong.status(), 422);
    assert_eq!(
        wrong.json::<Value>().await.expect("json")["errors"][0]["field"],
        "current_password"
    );
    assert_eq!(
        app.get("/api/v1/me", access).await.status(),
        200,
        "failed attempts change nothing"
    );

    assert_eq!(
        change(PASSWORD, "Xiang-River-2026")
            .await
            .expect("request")
            .status(),
        204
    );
    for session in [&one, &two] {
        assert_eq!(
            app.get(
                "/api/v1/me",
                session["access_token"].as_str().expect("token")
            )
            .await
            .status(),
            401
        );
        assert_eq!(refresh(app, &session["refresh_token"]).await.status(), 401);
    }
    assert_eq!(app.login("director", PASSWORD).await.status(), 401);
    assert_eq!(
        app.login("director", "Xiang-River-2026").await.status(),
        200
    );
}
db_test!(changing_the_password_signs_out_everywhere);

async fn repeated_failures_lock_the_account_for_a_while(app: &TestApp) {
    for _ in 0..5 {
        assert_eq!(app.login("leader", "guess").await.status(), 401);
    }
    let locked = app.login("leader", PASSWORD).await;
    assert_eq!(locked.status(), 429);
    assert_eq!(locked.headers()["retry-after"], "60");
    let problem: Value = locked.json().await.expect("json");
    assert_eq!(problem["code"], "too_many_attempts");
    // Others are not affected; a successful sign-in after the lock resets the count.
    assert_eq!(app.login("admin", PASSWORD).await.status(), 200);
    app.store
        .connection()
        .execute_unprepared("UPDATE users SET locked_until = NULL WHERE username = 'leader'")
        .await
        .expect("unlock");
    assert_eq!(app.login("leader", PASSWORD).await.status(), 200);
    assert_eq!(
        app.login("leader", "guess").await.status(),
        401,
        "count restarted: not locked at once"
    );
}
db_test!(repeated_failures_lock_the_account_for_a_while);

async fn expired_unsigned_and_deactivated_tokens_are_refused(app: &TestApp) {
    let session = sign_in(app, "viewer").await;
    let access = session["access_token"].as_str().expect("token").to_owned();
    let me: Value = app.get_json("/api/v1/me", &access).await;
    let sid: uuid::Uuid = {
        // Read the session id out of the valid token's claims.
        let payload = access.split('.').nth(1).expect("payload");
        let bytes = base64_url_decode(payload);
        let claims: Value = serde_json::from_slice(&bytes).expect("claims");
        claims["sid"].as_str().expect("sid").parse().expect("uuid")
    };
    let user: domain::org::UserInfo = serde_json::from_value(me).expect("user");

    // Expired: signed with the right key, issued long ago.
    let keys = TokenKeys::new(b"test-secret-test-secret-test-secret", 3600);
    let expired = keys.issue(&user, sid, 1_000_000).expect("token");
    let response = app.get("/api/v1/me", &expired).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<Value>().await.expect("json")["code"],
        "token_expired"
    );

    // `alg: none` with the same claims and no signature.
    let header = base64_url_encode(br#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{header}.{}.", access.split('.').nth(1).expect("payload"));
    assert_eq!(app.get("/api/v1/me", &unsigned).await.status(), 401);

    // Deactivated user: the still-unexpired token stops working at once.
    let admin = app.token("admin").await;
    let viewer_id = app.get_json("/api/v1/me", &access).await["id"].clone();
    let deactivated = app
        .patch_json(
            &format!("/api/v1/users/{}", viewer_id.as_str().expect("id")),
            &admin,
            &serde_json::json!({ "active": false }),
        )
        .await;
    assert_eq!(deactivated.status(), 200);
    assert_eq!(app.get("/api/v1/me", &access).await.status(), 401);
    assert_eq!(app.login("viewer", PASSWORD).await.status(), 401);
}
db_test!(expired_unsigned_and_deactivated_tokens_are_refused);

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64_url_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn base64_url_decode(text: &str) -> Vec<u8> {
    let values: Vec<u32> = text
        .bytes()
        .filter_map(|c| B64.iter().position(|&b| b == c).map(|p| p as u32))
        .collect();
    let mut out = Vec::new();
    for chunk in values.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, v)| acc | (v << (18 - 6 * i)));
        for i in 0..chunk.len().saturating_sub(1) {
            out.push(((n >> (16 - 8 * i)) & 255) as u8);
        }
    }
    out
}
