//! Integrator tokens: administration, authentication of machine calls, the route table, the
//! per-token rate limit and the audit trail.

use crate::db_test;
use crate::helpers::TestApp;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use store::entity::integrator_tokens;
use uuid::Uuid;

const TOKENS: &str = "/api/v1/integrator-tokens";

/// The test server's fixed "now".
fn server_now() -> DateTime<Utc> {
    "2026-11-20T09:00:00Z".parse().expect("time")
}

/// Creates a token as `admin_token`; returns (token, secret).
async fn create(app: &TestApp, admin_token: &str, body: &Value) -> (Value, String) {
    let response = app.post_json(TOKENS, admin_token, body).await;
    assert_eq!(response.status(), 201, "create {body}");
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let created: Value = response.json().await.expect("json");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    (created["token"].clone(), secret)
}

async fn create_with_scopes(app: &TestApp, admin_token: &str, scopes: &[&str]) -> (Value, String) {
    create(
        app,
        admin_token,
        &json!({ "name": format!("令牌 {}", Uuid::new_v4()), "scopes": scopes, "expires_in_days": 30 }),
    )
    .await
}

async fn problem_code(response: reqwest::Response) -> String {
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let body: Value = response.json().await.expect("json");
    body["code"].as_str().expect("code").to_owned()
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a time: {value}"))
}

fn listed<'a>(list: &'a Value, id: &Value) -> &'a Value {
    list.as_array()
        .expect("list")
        .iter()
        .find(|t| t["id"] == *id)
        .expect("token listed")
}

async fn an_integrator_token_reads_clients_until_it_is_revoked(app: &TestApp) {
    let admin = app.token("admin").await;
    let (token, secret) = create(
        app,
        &admin,
        &json!({ "name": " ERP 订单同步 ", "scopes": ["clients:read"], "expires_in_days": 90 }),
    )
    .await;
    let id = token["id"].clone();
    assert!(secret.starts_with("ygj_it_"), "{secret}");
    assert!(secret.len() >= "ygj_it_".len() + 43, "{secret}");
    assert_eq!(token["name"], "ERP 订单同步");
    assert_eq!(token["scopes"], json!(["clients:read"]));
    assert_eq!(token["rate_limit_per_minute"], 600);
    assert_eq!(
        token["created_by_name"],
        app.get_json("/api/v1/me", &admin).await["display_name"]
    );
    assert_eq!(time(&token["created_at"]), server_now());
    assert_eq!(
        time(&token["expires_at"]),
        server_now() + chrono::Duration::days(90)
    );
    assert!(token["revoked_at"].is_null() && token["last_used_at"].is_null());
    let hint = token["hint"].as_str().expect("hint");
    assert!(hint.starts_with("ygj_it_") && secret.starts_with(hint) && hint.len() < 16);

    // A machine reads every client, as an administrator would.
    let page = app.get_json("/api/v1/clients?per_page=5", &secret).await;
    let all = app.get_json("/api/v1/clients?per_page=5", &admin).await;
    assert_eq!(page["total"], all["total"]);
    assert!(page["total"].as_u64().is_some_and(|n| n > 0));
    let client_id = page["items"][0]["id"].as_str().expect("client id");
    let detail = app
        .get_json(&format!("/api/v1/clients/{client_id}"), &secret)
        .await;
    assert_eq!(detail["id"], client_id);

    // The read of contact details is on the record under the token's name and id.
    let reads = app
        .get_json(
            &format!("/api/v1/audit?entity=client&entity_id={client_id}&action=read"),
            &admin,
        )
        .await;
    assert_eq!(reads["total"], 1);
    assert_eq!(reads["items"][0]["actor_id"], id);
    assert_eq!(reads["items"][0]["actor_name"], "集成令牌 ERP 订单同步");

    let list = app.get_json(TOKENS, &admin).await;
    assert_eq!(time(&listed(&list, &id)["last_used_at"]), server_now());

    // Revoked: refused at once; revoking again changes nothing.
    let response = app
        .post_json(
            &format!("{TOKENS}/{}/revoke", id.as_str().expect("id")),
            &admin,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let revoked: Value = response.json().await.expect("json");
    assert_eq!(revoked["id"], id);
    assert_eq!(time(&revoked["revoked_at"]), server_now());
    let response = app.get("/api/v1/clients", &secret).await;
    assert_eq!(response.status(), 401);
    assert_eq!(problem_code(response).await, "unauthorized");
    let again = app
        .post_json(
            &format!("{TOKENS}/{}/revoke", id.as_str().expect("id")),
            &admin,
            &json!({}),
        )
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.expect("json"), revoked);
    let unknown = app
        .post_json(
            &format!("{TOKENS}/{}/revoke", Uuid::new_v4()),
            &admin,
            &json!({}),
        )
        .await;
    assert_eq!(unknown.status(), 404);
    let list = app.get_json(TOKENS, &admin).await;
    assert_eq!(listed(&list, &id), &revoked);

    // One entry for the creation and one for the revocation, by the administrator.
    let trail = app
        .get_json(
            &format!(
                "/api/v1/audit?entity=integrator_token&entity_id={}",
                id.as_str().expect("id")
            ),
            &admin,
        )
        .await;
    assert_eq!(trail["total"], 2, "{trail}");
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["update", "create"]);
    let me = app.get_json("/api/v1/me", &admin).await;
    assert!(trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|e| e["actor_id"] == me["id"]));
    let revocation = &trail["items"][0]["changes"][0];
    assert_eq!(revocation["field"], "revoked_at");
    assert!(revocation["before"].is_null());
    let creation: Vec<&str> = trail["items"][1]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["field"].as_str().expect("field"))
        .collect();
    assert!(
        creation.contains(&"name") && creation.contains(&"scopes"),
        "{creation:?}"
    );
    assert!(!trail.to_string().contains(&secret));
}
db_test!(an_integrator_token_reads_clients_until_it_is_revoked);

async fn the_secret_is_shown_once_and_stored_only_as_its_hash(app: &TestApp) {
    let admin = app.token("admin").await;
    let (token, secret) = create_with_scopes(app, &admin, &["clients:read"]).await;
    let random_part = &secret["ygj_it_".len()..];
    let list = app.get_json(TOKENS, &admin).await;
    assert!(!list.to_string().contains(random_part));
    assert!(listed(&list, &token["id"]).get("secret").is_none());
    let audit = app
        .get_json("/api/v1/audit?entity=integrator_token", &admin)
        .await;
    assert!(!audit.to_string().contains(random_part));

    let rows = integrator_tokens::Entity::find()
        .all(app.store.connection())
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.token_hash, api::auth::sha256_hex(&secret));
    assert_eq!(row.token_hash.len(), 64);
    for stored in [&row.name, &row.hint, &row.token_hash, &row.created_by_name] {
        assert!(!stored.contains(random_part), "{stored}");
    }
    assert!(!row.scopes.to_string().contains(random_part));

    // A look-alike secret that was never issued is refused.
    let forged = format!("ygj_it_{}", "0".repeat(64));
    let response = app.get("/api/v1/clients", &forged).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
}
db_test!(the_secret_is_shown_once_and_stored_only_as_its_hash);

async fn an_expired_token_is_refused_and_frees_its_name(app: &TestApp) {
    let admin = app.token("admin").await;
    let body = json!({ "name": "液位仪", "scopes": ["clients:read"], "expires_in_days": 1 });
    let (token, secret) = create(app, &admin, &body).await;
    assert_eq!(app.get("/api/v1/clients", &secret).await.status(), 200);

    // A live token keeps its name.
    let taken = app.post_json(TOKENS, &admin, &body).await;
    assert_eq!(taken.status(), 422);
    let problem: Value = taken.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "name");
    assert_eq!(problem["errors"][0]["code"], "duplicate");

    let id: Uuid = token["id"].as_str().expect("id").parse().expect("uuid");
    integrator_tokens::Entity::update_many()
        .col_expr(
            integrator_tokens::Column::ExpiresAt,
            Expr::value(server_now()),
        )
        .filter(integrator_tokens::Column::Id.eq(id))
        .exec(app.store.connection())
        .await
        .expect("expire");
    let response = app.get("/api/v1/clients", &secret).await;
    assert_eq!(response.status(), 401);
    assert_eq!(problem_code(response).await, "token_expired");

    // An expired or revoked token no longer holds its name.
    let (renewed, renewed_secret) = create(app, &admin, &body).await;
    assert_ne!(renewed["id"], token["id"]);
    assert_eq!(
        app.get("/api/v1/clients", &renewed_secret).await.status(),
        200
    );
    let revoke = format!("{TOKENS}/{}/revoke", renewed["id"].as_str().expect("id"));
    assert_eq!(
        app.post_json(&revoke, &admin, &json!({})).await.status(),
        200
    );
    create(app, &admin, &body).await;
    assert_eq!(
        app.get_json(TOKENS, &admin).await.as_array().map(Vec::len),
        Some(3)
    );
}
db_test!(an_expired_token_is_refused_and_frees_its_name);

async fn a_token_reaches_only_the_routes_in_the_table_with_the_scope_they_need(app: &TestApp) {
    let admin = app.token("admin").await;
    let (_, audit_only) = create_with_scopes(app, &admin, &["audit:read"]).await;
    let response = app.get("/api/v1/clients", &audit_only).await;
    assert_eq!(response.status(), 403);
    assert_eq!(problem_code(response).await, "forbidden");
    assert_eq!(app.get("/api/v1/audit", &audit_only).await.status(), 200);

    let (clients_only, clients_secret) = create_with_scopes(app, &admin, &["clients:read"]).await;
    let response = app.get("/api/v1/audit", &clients_secret).await;
    assert_eq!(response.status(), 403);
    assert_eq!(problem_code(response).await, "forbidden");

    // Every scope there is still opens no route outside the table.
    let (_, all) = create_with_scopes(
        app,
        &admin,
        &[
            "clients:read",
            "clients:write",
            "sales:write",
            "gauges:write",
            "audit:read",
        ],
    )
    .await;
    let client = app.get_json("/api/v1/clients?per_page=1", &all).await["items"][0].clone();
    let client_path = format!("/api/v1/clients/{}", client["id"].as_str().expect("id"));
    let revoke = format!(
        "{TOKENS}/{}/revoke",
        clients_only["id"].as_str().expect("id")
    );
    let me = app.get_json("/api/v1/me", &admin).await;
    let user_path = format!("/api/v1/users/{}", me["id"].as_str().expect("id"));
    let gets = [
        "/api/v1/me".to_owned(),
        "/api/v1/users".to_owned(),
        user_path.clone(),
        "/api/v1/org-units".to_owned(),
        TOKENS.to_owned(),
        format!("{client_path}/history"),
    ];
    for path in &gets {
        let response = app.get(path, &all).await;
        assert_eq!(response.status(), 403, "GET {path}");
        assert_eq!(problem_code(response).await, "forbidden", "GET {path}");
    }
    let posts = [
        (
            TOKENS.to_owned(),
            json!({ "name": "自我复制", "scopes": ["clients:read"], "expires_in_days": 730 }),
        ),
        (revoke.clone(), json!({})),
        ("/api/v1/auth/logout".to_owned(), json!({})),
        (
            "/api/v1/auth/password".to_owned(),
            json!({ "current_password": "x", "new_password": "Another@2026x" }),
        ),
        // A complete, valid client: the body parses, so only the credentials decide.
        (
            "/api/v1/clients".to_owned(),
            crate::clients::new_client(app, &admin, "91430104MA4TKN001").await,
        ),
    ];
    for (path, body) in &posts {
        let response = app.post_json(path, &all, body).await;
        assert_eq!(response.status(), 403, "POST {path}");
        assert_eq!(problem_code(response).await, "forbidden", "POST {path}");
    }
    let patched = app
        .patch_json(&client_path, &all, &json!({ "name": "机器改名有限公司" }))
        .await;
    assert_eq!(patched.status(), 403);
    assert_eq!(problem_code(patched).await, "forbidden");
    let patched = app
        .patch_json(&user_path, &all, &json!({ "display_name": "机器" }))
        .await;
    assert_eq!(patched.status(), 403);

    // Nothing changed: the client keeps its name, the other token is live, one token was not
    // created, and the administrator is still signed in.
    let after = app.get_json(&client_path, &admin).await;
    assert_eq!(after["name"], client["name"]);
    let list = app.get_json(TOKENS, &admin).await;
    assert_eq!(list.as_array().map(Vec::len), Some(3));
    assert!(listed(&list, &clients_only["id"])["revoked_at"].is_null());
    assert_eq!(
        app.get("/api/v1/clients", &clients_secret).await.status(),
        200
    );
}
db_test!(a_token_reaches_only_the_routes_in_the_table_with_the_scope_they_need);

async fn only_administrators_manage_tokens(app: &TestApp) {
    let admin = app.token("admin").await;
    let (token, _) = create_with_scopes(app, &admin, &["clients:read"]).await;
    let revoke = format!("{TOKENS}/{}/revoke", token["id"].as_str().expect("id"));
    let body = json!({ "name": "越权", "scopes": ["clients:read"], "expires_in_days": 30 });
    for user in ["leader", "director", "manager", "viewer"] {
        let jwt = app.token(user).await;
        let response = app.get(TOKENS, &jwt).await;
        assert_eq!(response.status(), 403, "{user} lists");
        assert_eq!(problem_code(response).await, "forbidden");
        assert_eq!(
            app.post_json(TOKENS, &jwt, &body).await.status(),
            403,
            "{user} creates"
        );
        assert_eq!(
            app.post_json(&revoke, &jwt, &json!({})).await.status(),
            403,
            "{user} revokes"
        );
    }
    let anonymous = app
        .client
        .get(app.url(TOKENS))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), 401);
    let list = app.get_json(TOKENS, &admin).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert!(list[0]["revoked_at"].is_null());
}
db_test!(only_administrators_manage_tokens);

async fn a_token_request_is_checked_field_by_field(app: &TestApp) {
    let admin = app.token("admin").await;
    let errors = |problem: &Value| -> Vec<(String, String)> {
        problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| {
                assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
                assert!(e["message_zh"].as_str().is_some_and(|m| !m.is_empty()));
                (
                    e["field"].as_str().expect("field").to_owned(),
                    e["code"].as_str().expect("code").to_owned(),
                )
            })
            .collect()
    };
    let pair = |f: &str, c: &str| (f.to_owned(), c.to_owned());
    let cases = [
        (
            json!({ "name": "  ", "scopes": [], "expires_in_days": 0, "rate_limit_per_minute": 0 }),
            vec![
                pair("name", "required"),
                pair("scopes", "required"),
                pair("expires_in_days", "out_of_range"),
                pair("rate_limit_per_minute", "out_of_range"),
            ],
        ),
        (
            json!({ "name": "名".repeat(101), "scopes": ["clients:read", "audit:read", "clients:read"],
                    "expires_in_days": 731, "rate_limit_per_minute": 6001 }),
            vec![
                pair("name", "too_long"),
                pair("scopes[2]", "duplicate"),
                pair("expires_in_days", "out_of_range"),
                pair("rate_limit_per_minute", "out_of_range"),
            ],
        ),
    ];
    for (body, expected) in cases {
        let response = app.post_json(TOKENS, &admin, &body).await;
        assert_eq!(response.status(), 422, "{body}");
        let problem: Value = response.json().await.expect("json");
        assert_eq!(problem["code"], "validation_failed");
        assert_eq!(errors(&problem), expected, "{body}");
    }
    // Shapes serde refuses name the field too.
    for (body, field, code) in [
        (
            json!({ "name": "x", "scopes": ["clients:delete"], "expires_in_days": 1 }),
            "scopes[0]",
            "invalid_type",
        ),
        (
            json!({ "name": "x", "scopes": ["clients:read"] }),
            "body",
            "required",
        ),
        (
            json!({ "name": "x", "scopes": ["clients:read"], "expires_in_days": -1 }),
            "expires_in_days",
            "invalid_type",
        ),
        (
            json!({ "name": "x", "scopes": ["clients:read"], "expires_in_days": 1, "secret": "mine" }),
            "secret",
            "unknown_field",
        ),
    ] {
        let response = app.post_json(TOKENS, &admin, &body).await;
        assert_eq!(response.status(), 400, "{body}");
        let problem: Value = response.json().await.expect("json");
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
        assert_eq!(problem["errors"][0]["code"], code, "{body}");
    }
    // The edges are accepted.
    let (token, _) = create(
        app,
        &admin,
        &json!({ "name": "名".repeat(100), "scopes": ["gauges:write"], "expires_in_days": 730,
                 "rate_limit_per_minute": 6000 }),
    )
    .await;
    assert_eq!(token["rate_limit_per_minute"], 6000);
    assert_eq!(
        app.get_json(TOKENS, &admin).await.as_array().map(Vec::len),
        Some(1)
    );
}
db_test!(a_token_request_is_checked_field_by_field);

async fn a_token_is_rate_limited_per_minute(app: &TestApp) {
    let admin = app.token("admin").await;
    let (_, slow) = create(
        app,
        &admin,
        &json!({ "name": "限速", "scopes": ["clients:read"], "expires_in_days": 1, "rate_limit_per_minute": 3 }),
    )
    .await;
    let (_, other) = create_with_scopes(app, &admin, &["clients:read"]).await;
    for i in 0..3 {
        assert_eq!(
            app.get("/api/v1/clients?per_page=1", &slow).await.status(),
            200,
            "request {i}"
        );
    }
    let response = app.get("/api/v1/clients?per_page=1", &slow).await;
    assert_eq!(response.status(), 429);
    // Three a minute: the next one is allowed 20 s on (the test clock stands still).
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("20")
    );
    assert_eq!(problem_code(response).await, "too_many_requests");
    // Other tokens and people are not held back.
    assert_eq!(
        app.get("/api/v1/clients?per_page=1", &other).await.status(),
        200
    );
    assert_eq!(
        app.get("/api/v1/clients?per_page=1", &admin).await.status(),
        200
    );
}
db_test!(a_token_is_rate_limited_per_minute);

async fn last_use_is_written_at_most_once_a_minute(app: &TestApp) {
    let admin = app.token("admin").await;
    let (token, secret) = create_with_scopes(app, &admin, &["clients:read"]).await;
    let id: Uuid = token["id"].as_str().expect("id").parse().expect("uuid");
    let last_used = || async {
        integrator_tokens::Entity::find_by_id(id)
            .one(app.store.connection())
            .await
            .expect("row")
            .expect("token")
            .last_used_at
    };
    assert_eq!(app.get("/api/v1/clients", &secret).await.status(), 200);
    assert_eq!(last_used().await, Some(server_now()));
    // Clear it behind the server's back: further requests in the same minute leave it alone,
    // so a busy integrator costs no write per request.
    integrator_tokens::Entity::update_many()
        .col_expr(
            integrator_tokens::Column::LastUsedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(integrator_tokens::Column::Id.eq(id))
        .exec(app.store.connection())
        .await
        .expect("clear");
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/clients", &secret).await.status(), 200);
    }
    assert_eq!(last_used().await, None);
}
db_test!(last_use_is_written_at_most_once_a_minute);
