//! Single sign-on against a real OAuth 2.0 / OpenID Connect provider process:
//! `tests/sso/provider.mjs`, the npm package oauth2-mock-server on a free port (node and the
//! package are installed by scripts/install-tools.sh; without them these tests fail, they do not
//! skip). Each test drives the flow as a browser would, following every redirect by hand:
//! our `/start` → the provider's `/authorize` (where the test picks who signs in) → our
//! `/callback` → `/login?sso_ticket=…` → `/exchange` → a session.

use crate::db_test;
use crate::helpers::{spawn_app_with_settings, Backend, TestApp};
use api::config::{SsoSettings, UnknownIdentity};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{StatusCode, Url};
use sea_orm::EntityTrait;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

const CLIENT_ID: &str = "youguanjia";
const CLIENT_SECRET: &str = "provider-test-secret";

/// The provider process; killed when dropped (also when the test panics).
pub struct Provider {
    child: Child,
    // Held open: the launcher exits when its stdin closes, so it cannot outlive this process.
    _stdin: Option<ChildStdin>,
    pub url: String,
}

impl Provider {
    /// Starts `tests/sso/provider.mjs` on a free port and waits until it serves.
    pub fn start() -> Provider {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sso/provider.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .args(["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `node` ({e}): the single sign-on tests need Node.js ≥ 20.19 \
                     (e.g. `apt-get install nodejs npm`) and the npm package oauth2-mock-server \
                     (scripts/install-tools.sh runs `npm ci` in tests/e2e)"
                )
            });
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = receiver
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_default();
        let Some(url) = line.trim().strip_prefix("listening ").map(str::to_owned) else {
            let _ = child.kill();
            let _ = child.wait();
            let mut stderr = String::new();
            if let Some(mut err) = child.stderr.take() {
                let _ = err.read_to_string(&mut stderr);
            }
            panic!(
                "the OAuth 2.0 provider process did not start (stdout: {line:?}).\n{stderr}\n\
                 Install it with scripts/install-tools.sh (npm ci in tests/e2e)."
            );
        };
        Provider {
            child,
            _stdin: stdin,
            url,
        }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port for the server, so the redirect URL can name it before the server binds.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// The server with single sign-on pointed at `provider`, adjusted by `customise`.
pub async fn spawn_sso_app(
    backend: Backend,
    provider: &Provider,
    customise: impl FnOnce(&mut SsoSettings),
) -> TestApp {
    let port = free_port();
    let mut sso = SsoSettings::new(
        CLIENT_ID,
        format!("{}/authorize", provider.url),
        format!("{}/token", provider.url),
        format!("{}/userinfo", provider.url),
        format!("http://127.0.0.1:{port}/api/v1/auth/sso/callback"),
    );
    sso.client_secret = Some(CLIENT_SECRET.to_owned());
    sso.issuer = Some(provider.url.clone());
    customise(&mut sso);
    spawn_app_with_settings(backend, 0.02, move |settings| {
        settings.bind = format!("127.0.0.1:{port}");
        settings.sso = Some(sso);
    })
    .await
}

/// Runs `async fn name(app: &TestApp)` with single sign-on against a provider process, on
/// SQLite and on PostgreSQL; an optional second argument adjusts the SSO settings.
macro_rules! sso_test {
    ($name:ident) => {
        sso_test!($name, |_sso| {});
    };
    ($name:ident, $customise:expr) => {
        mod $name {
            use super::*;
            async fn run(backend: Backend) {
                let provider = Provider::start();
                let app = spawn_sso_app(backend, &provider, $customise).await;
                super::$name(&app).await;
                app.cleanup().await;
                drop(provider);
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(Backend::Postgres).await;
            }
        }
    };
}

/// A browser: no automatic redirects, and the one cookie single sign-on sets.
struct Browser {
    client: reqwest::Client,
    cookie: Option<String>,
}

impl Browser {
    fn new() -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookie: None,
        }
    }

    async fn get(&self, url: &str) -> reqwest::Response {
        let mut request = self.client.get(url);
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.expect("request")
    }

    /// Our `/start`: the provider's authorization URL.
    async fn start(&mut self, app: &TestApp) -> Url {
        let response = self.get(&app.url("/api/v1/auth/sso/start")).await;
        assert_eq!(response.status(), StatusCode::FOUND, "start redirects");
        let cookie = response
            .headers()
            .get(SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .expect("binding cookie");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        self.cookie = cookie.split(';').next().map(str::to_owned);
        Url::parse(location(&response)).expect("authorize url")
    }

    /// The provider's `/authorize`, signing in as `claims` (or refusing with `deny`): the URL
    /// of our callback it redirects to.
    async fn authorize(&self, authorize: &Url, claims: &Value, deny: Option<&str>) -> String {
        let mut url = authorize.clone();
        url.query_pairs_mut()
            .append_pair("claims", &claims.to_string());
        if let Some(deny) = deny {
            url.query_pairs_mut().append_pair("deny", deny);
        }
        let response = self.client.get(url).send().await.expect("authorize");
        assert_eq!(
            response.status(),
            StatusCode::FOUND,
            "provider redirects back"
        );
        location(&response).to_owned()
    }

    /// Our callback: where it sends the browser (`/login?…`).
    async fn callback(&self, url: &str) -> Url {
        let response = self.get(url).await;
        assert_eq!(response.status(), StatusCode::FOUND, "callback redirects");
        let to = location(&response);
        assert!(to.starts_with("/login?"), "{to}");
        Url::parse(&format!("http://ygj{to}")).expect("login url")
    }

    async fn exchange(&self, app: &TestApp, ticket: &str) -> reqwest::Response {
        let mut request = self
            .client
            .post(app.url("/api/v1/auth/sso/exchange"))
            .json(&json!({ "ticket": ticket }));
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.expect("exchange")
    }

    /// A whole sign-on as `claims`: the ticket, or the `sso_error`.
    async fn sign_on(&mut self, app: &TestApp, claims: &Value) -> Result<String, String> {
        let authorize = self.start(app).await;
        let callback = self.authorize(&authorize, claims, None).await;
        outcome(&self.callback(&callback).await)
    }
}

fn location(response: &reqwest::Response) -> &str {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("Location")
}

/// `Ok(ticket)` or `Err(sso_error)` of the sign-in page's URL.
fn outcome(login: &Url) -> Result<String, String> {
    let query = |key: &str| {
        login
            .query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    match (query("sso_ticket"), query("sso_error")) {
        (Some(ticket), None) => Ok(ticket),
        (None, Some(error)) => Err(error),
        other => panic!("neither a ticket nor an error: {other:?}"),
    }
}

/// A user record by username (as the administrator sees it).
async fn user_record(app: &TestApp, username: &str) -> Value {
    let admin = app.token("admin").await;
    let users = app.get_json("/api/v1/users?active=all", &admin).await;
    users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("user {username}"))
        .clone()
}

async fn audit(app: &TestApp) -> Vec<Value> {
    let admin = app.token("admin").await;
    app.get_json("/api/v1/audit?entity=sso_sign_in&per_page=100", &admin)
        .await["items"]
        .as_array()
        .expect("items")
        .clone()
}

fn audit_value(entry: &Value, field: &str) -> Value {
    entry["changes"]
        .as_array()
        .and_then(|changes| changes.iter().find(|c| c["field"] == field))
        .map(|c| c["after"].clone())
        .unwrap_or(Value::Null)
}

async fn single_sign_on_signs_a_demo_user_in_by_employee_id(app: &TestApp) {
    let leader = user_record(app, "leader").await;
    let employee_id = leader["employee_id"].as_str().expect("employee id");
    let status: Value = app
        .client
        .get(app.url("/api/v1/auth/sso"))
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("json");
    assert_eq!(
        status,
        json!({ "enabled": true, "label": "统一身份认证登录" })
    );

    let mut browser = Browser::new();
    let authorize = browser.start(app).await;
    let query = |key: &str| {
        authorize
            .query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    assert!(authorize.as_str().starts_with("http://127.0.0.1:"));
    assert_eq!(authorize.path(), "/authorize");
    assert_eq!(query("response_type").as_deref(), Some("code"));
    assert_eq!(query("client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(query("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(query("code_challenge").map(|c| c.len()), Some(43));
    assert_eq!(query("scope").as_deref(), Some("openid profile email"));
    assert!(query("state").is_some_and(|s| s.len() >= 32));
    assert!(query("redirect_uri").is_some_and(|r| r.ends_with("/api/v1/auth/sso/callback")));

    let claims = json!({ "sub": "hq-0001", "employee_id": employee_id, "name": "领导" });
    let callback = browser.authorize(&authorize, &claims, None).await;
    let ticket = outcome(&browser.callback(&callback).await).expect("ticket");
    let response = browser.exchange(app, &ticket).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .headers()
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("ygj_sso=;") && c.contains("Max-Age=0")));
    let session: Value = response.json().await.expect("login response");
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["user"]["username"], "leader");
    let access = session["access_token"].as_str().expect("access token");
    let me = app.get_json("/api/v1/me", access).await;
    assert_eq!(me["username"], "leader");
    assert_eq!(me["role"], "leader");

    // The session is an ordinary one: its refresh token rotates like a password sign-in's.
    let refreshed = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": session["refresh_token"] }))
        .send()
        .await
        .expect("refresh");
    assert_eq!(refreshed.status(), StatusCode::OK);

    let entries = audit(app).await;
    let entry = entries
        .iter()
        .find(|e| e["entity_id"] == leader["id"])
        .expect("sign-on audited");
    assert_eq!(audit_value(entry, "outcome"), "signed_in");
    assert_eq!(audit_value(entry, "subject"), "hq-0001");
    assert_eq!(audit_value(entry, "employee_id"), employee_id);
    assert_eq!(entry["actor_id"], leader["id"]);
}
sso_test!(single_sign_on_signs_a_demo_user_in_by_employee_id);

async fn without_an_employee_id_the_email_maps_case_insensitively(app: &TestApp) {
    let director = user_record(app, "director").await;
    let admin = app.token("admin").await;
    let path = format!("/api/v1/users/{}", director["id"].as_str().expect("id"));
    let response = app
        .patch_json(&path, &admin, &json!({ "email": "zhao.zhuren@example.cn" }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let mut browser = Browser::new();
    // An employee id nobody has falls back to the e-mail.
    let claims =
        json!({ "sub": "hq-77", "employee_id": "X-NOBODY", "email": "Zhao.ZhuRen@Example.CN" });
    let ticket = browser.sign_on(app, &claims).await.expect("ticket");
    let session: Value = browser
        .exchange(app, &ticket)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(session["user"]["username"], "director");

    // An address the provider has not verified is no proof of who someone is.
    let unverified =
        json!({ "sub": "hq-78", "email": "zhao.zhuren@example.cn", "email_verified": false });
    assert_eq!(
        browser.sign_on(app, &unverified).await,
        Err("missing_identity".to_owned())
    );
}
sso_test!(without_an_employee_id_the_email_maps_case_insensitively);

async fn a_forged_or_foreign_state_is_refused(app: &TestApp) {
    let leader = user_record(app, "leader").await;
    let claims = json!({ "sub": "hq-1", "employee_id": leader["employee_id"] });
    let mut browser = Browser::new();
    let authorize = browser.start(app).await;
    let callback = browser.authorize(&authorize, &claims, None).await;
    let genuine = Url::parse(&callback).expect("callback url");
    let with_state = |state: Option<&str>| {
        let mut url = genuine.clone();
        let pairs: Vec<(String, String)> = genuine
            .query_pairs()
            .filter(|(k, _)| k != "state")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        if let Some(state) = state {
            url.query_pairs_mut().append_pair("state", state);
        }
        url.to_string()
    };
    let invalid = Err("invalid_state".to_owned());
    assert_eq!(
        outcome(&browser.callback(&with_state(Some("forged-state"))).await),
        invalid
    );
    assert_eq!(outcome(&browser.callback(&with_state(None)).await), invalid);
    // The genuine callback planted in another browser (login CSRF) does nothing there…
    let mut other = Browser::new();
    assert_eq!(outcome(&other.callback(&callback).await), invalid);
    other.cookie = Some("ygj_sso=0123456789abcdef".to_owned());
    assert_eq!(outcome(&other.callback(&callback).await), invalid);
    // …and leaves it usable in the browser that started it.
    let ticket = outcome(&browser.callback(&callback).await).expect("ticket");
    assert_eq!(
        browser.exchange(app, &ticket).await.status(),
        StatusCode::OK
    );
}
sso_test!(a_forged_or_foreign_state_is_refused);

async fn a_replayed_callback_fails(app: &TestApp) {
    let leader = user_record(app, "leader").await;
    let claims = json!({ "sub": "hq-1", "employee_id": leader["employee_id"] });
    let mut browser = Browser::new();
    let authorize = browser.start(app).await;
    let callback = browser.authorize(&authorize, &claims, None).await;
    let first = outcome(&browser.callback(&callback).await);
    assert!(first.is_ok(), "{first:?}");
    // Same code, same state, same browser: the state is used up.
    assert_eq!(
        outcome(&browser.callback(&callback).await),
        Err("invalid_state".to_owned())
    );
    // Two copies of one callback at once: exactly one gets through.
    let authorize = browser.start(app).await;
    let callback = browser.authorize(&authorize, &claims, None).await;
    let (a, b) = tokio::join!(browser.callback(&callback), browser.callback(&callback));
    let outcomes = [outcome(&a), outcome(&b)];
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(outcomes.contains(&Err("invalid_state".to_owned())));
}
sso_test!(a_replayed_callback_fails);

async fn requests_and_tickets_expire_and_work_once(app: &TestApp) {
    let now = chrono::Utc::now();
    let request = |state: &str| store::NewSsoRequest {
        id: uuid::Uuid::new_v4(),
        state_hash: state.to_owned(),
        binding_hash: "browser".to_owned(),
        pkce_verifier: "verifier".to_owned(),
        expires_at: now + chrono::Duration::minutes(10),
    };
    let store = &app.store;
    store
        .insert_sso_request(&request("s1"), now)
        .await
        .expect("insert");
    let late = now + chrono::Duration::minutes(11);
    assert_eq!(
        store
            .claim_sso_request("s1", "browser", late)
            .await
            .expect("claim"),
        None
    );
    let soon = now + chrono::Duration::minutes(9);
    assert_eq!(
        store
            .claim_sso_request("s1", "other", soon)
            .await
            .expect("claim"),
        None
    );
    assert_eq!(
        store
            .claim_sso_request("s1", "browser", soon)
            .await
            .expect("claim"),
        Some("verifier".to_owned())
    );
    assert_eq!(
        store
            .claim_sso_request("s1", "browser", soon)
            .await
            .expect("claim"),
        None
    );
    // Starting another sign-on clears what has expired.
    store
        .insert_sso_request(&request("s2"), late)
        .await
        .expect("insert");
    let rows = store::entity::sso_requests::Entity::find()
        .all(store.connection())
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1, "the expired request is gone");

    let admin = app.token("admin").await;
    let me = app.get_json("/api/v1/me", &admin).await;
    let user_id: uuid::Uuid = me["id"].as_str().expect("id").parse().expect("uuid");
    let audit = domain::audit::AuditEntry {
        id: uuid::Uuid::now_v7(),
        at: now,
        actor_id: Some(user_id),
        actor_name: "test".to_owned(),
        ip: None,
        action: domain::audit::AuditAction::Create,
        entity: "sso_sign_in".to_owned(),
        entity_id: Some(user_id),
        changes: vec![],
        request_id: None,
    };
    let ticket = store::NewSsoTicket {
        id: uuid::Uuid::new_v4(),
        ticket_hash: "t1".to_owned(),
        binding_hash: "browser".to_owned(),
        user_id,
        expires_at: now + chrono::Duration::seconds(60),
    };
    store
        .insert_sso_ticket(&ticket, now, &audit)
        .await
        .expect("ticket");
    let after = now + chrono::Duration::seconds(61);
    assert_eq!(
        store
            .claim_sso_ticket("t1", "browser", after)
            .await
            .expect("claim"),
        None
    );
    let within = now + chrono::Duration::seconds(59);
    assert_eq!(
        store
            .claim_sso_ticket("t1", "other", within)
            .await
            .expect("claim"),
        None
    );
    assert_eq!(
        store
            .claim_sso_ticket("t1", "browser", within)
            .await
            .expect("claim"),
        Some(user_id)
    );
    assert_eq!(
        store
            .claim_sso_ticket("t1", "browser", within)
            .await
            .expect("claim"),
        None
    );
}
db_test!(requests_and_tickets_expire_and_work_once);

async fn a_code_injected_into_another_sign_on_fails_pkce(app: &TestApp) {
    let leader = user_record(app, "leader").await;
    let claims = json!({ "sub": "hq-1", "employee_id": leader["employee_id"] });
    let mut browser = Browser::new();
    // A code obtained in one sign-on…
    let first = browser.start(app).await;
    let stolen = Url::parse(&browser.authorize(&first, &claims, None).await).expect("url");
    let code = stolen
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    // …presented with the state of another: its verifier does not match the code's challenge.
    let second = browser.start(app).await;
    let mut callback = Url::parse(&browser.authorize(&second, &claims, None).await).expect("url");
    let state = callback
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");
    callback
        .query_pairs_mut()
        .clear()
        .append_pair("code", &code)
        .append_pair("state", &state);
    assert_eq!(
        outcome(&browser.callback(callback.as_str()).await),
        Err("exchange_failed".to_owned())
    );
}
sso_test!(a_code_injected_into_another_sign_on_fails_pkce);

async fn a_ticket_works_once_and_only_in_its_browser(app: &TestApp) {
    let leader = user_record(app, "leader").await;
    let claims = json!({ "sub": "hq-1", "employee_id": leader["employee_id"] });
    let mut browser = Browser::new();
    let ticket = browser.sign_on(app, &claims).await.expect("ticket");
    let stranger = Browser::new();
    let refused = stranger.exchange(app, &ticket).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    assert_eq!(
        browser.exchange(app, &ticket).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        browser.exchange(app, &ticket).await.status(),
        StatusCode::UNAUTHORIZED,
        "a used ticket"
    );
    assert_eq!(
        browser.exchange(app, "not-a-ticket").await.status(),
        StatusCode::UNAUTHORIZED
    );
}
sso_test!(a_ticket_works_once_and_only_in_its_browser);

async fn an_unknown_identity_is_refused_and_audited(app: &TestApp) {
    let mut browser = Browser::new();
    let claims =
        json!({ "sub": "stranger-1", "employee_id": "E999999", "email": "nobody@example.cn" });
    assert_eq!(
        browser.sign_on(app, &claims).await,
        Err("unknown_user".to_owned())
    );
    let entries = audit(app).await;
    let entry = entries
        .iter()
        .find(|e| audit_value(e, "subject") == "stranger-1")
        .expect("refusal audited");
    assert_eq!(audit_value(entry, "outcome"), "refused: unknown_user");
    assert_eq!(entry["actor_id"], Value::Null);
    // A provider that refuses the sign-on itself.
    let authorize = browser.start(app).await;
    let callback = browser
        .authorize(&authorize, &claims, Some("access_denied"))
        .await;
    assert_eq!(
        outcome(&browser.callback(&callback).await),
        Err("provider_error".to_owned())
    );
}
sso_test!(an_unknown_identity_is_refused_and_audited);

async fn an_unknown_identity_is_provisioned_as_a_viewer_when_configured(app: &TestApp) {
    let mut browser = Browser::new();
    let claims = json!({ "sub": "new-1", "employee_id": "HQ-5501", "email": "Wang.Wu@Example.cn", "name": "王五" });
    let ticket = browser.sign_on(app, &claims).await.expect("ticket");
    let session: Value = browser
        .exchange(app, &ticket)
        .await
        .json()
        .await
        .expect("json");
    let user = &session["user"];
    assert_eq!(user["username"], "hq-5501");
    assert_eq!(user["display_name"], "王五");
    assert_eq!(user["role"], "viewer");
    assert_eq!(user["org_unit_name"], "岳麓区");
    let record = user_record(app, "hq-5501").await;
    assert_eq!(record["employee_id"], "HQ-5501");
    assert_eq!(record["email"], "wang.wu@example.cn");
    assert_eq!(record["has_password"], false);
    // The next sign-on finds the same person rather than making another.
    let ticket = browser.sign_on(app, &claims).await.expect("ticket");
    let again: Value = browser
        .exchange(app, &ticket)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["user"]["id"], user["id"]);
    let admin = app.token("admin").await;
    let created = app
        .get_json(
            &format!(
                "/api/v1/audit?entity=user&entity_id={}",
                record["id"].as_str().expect("id")
            ),
            &admin,
        )
        .await;
    assert_eq!(created["total"], 1, "provisioning is audited once");
}
sso_test!(
    an_unknown_identity_is_provisioned_as_a_viewer_when_configured,
    |sso: &mut SsoSettings| {
        sso.unknown = UnknownIdentity::Provision;
        sso.provision_unit = Some("430104".to_owned());
    }
);

async fn a_deactivated_user_is_refused(app: &TestApp) {
    let viewer = user_record(app, "viewer").await;
    let admin = app.token("admin").await;
    let path = format!("/api/v1/users/{}", viewer["id"].as_str().expect("id"));
    let response = app
        .patch_json(&path, &admin, &json!({ "active": false }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut browser = Browser::new();
    let claims = json!({ "sub": "hq-3", "employee_id": viewer["employee_id"] });
    assert_eq!(
        browser.sign_on(app, &claims).await,
        Err("inactive_user".to_owned())
    );
    let entries = audit(app).await;
    assert!(entries
        .iter()
        .any(|e| e["entity_id"] == viewer["id"]
            && audit_value(e, "outcome") == "refused: inactive_user"));
}
sso_test!(a_deactivated_user_is_refused);

async fn a_wrong_client_secret_fails_the_exchange(app: &TestApp) {
    let leader = user_record(app, "leader").await;
    let claims = json!({ "sub": "hq-1", "employee_id": leader["employee_id"] });
    assert_eq!(
        Browser::new().sign_on(app, &claims).await,
        Err("exchange_failed".to_owned())
    );
}
sso_test!(
    a_wrong_client_secret_fails_the_exchange,
    |sso: &mut SsoSettings| {
        sso.client_secret = Some("not-the-secret".to_owned());
    }
);

async fn without_a_provider_single_sign_on_is_off(app: &TestApp) {
    let status: Value = app
        .client
        .get(app.url("/api/v1/auth/sso"))
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("json");
    assert_eq!(status, json!({ "enabled": false, "label": null }));
    let browser = Browser::new();
    let start = browser.get(&app.url("/api/v1/auth/sso/start")).await;
    assert_eq!(start.status(), StatusCode::NOT_FOUND);
    let callback = browser
        .callback(&app.url("/api/v1/auth/sso/callback?code=x&state=y"))
        .await;
    assert_eq!(outcome(&callback), Err("sso_disabled".to_owned()));
    assert_eq!(
        browser.exchange(app, "whatever").await.status(),
        StatusCode::NOT_FOUND
    );
}
db_test!(without_a_provider_single_sign_on_is_off);
