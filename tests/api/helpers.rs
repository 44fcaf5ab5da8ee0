//! `spawn_app`: a fresh database (SQLite file or a new PostgreSQL database), migrated and filled
//! with a small demo province, and the real server on a random port.

use api::clock::{FixedClock, SharedClock};
use api::config::Settings;
use api::startup::{Application, ServerHandle};
use chrono::{NaiveDate, TimeZone, Utc};
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use std::sync::Arc;
use store::Store;
use uuid::Uuid;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The demo's last day of sales and the server's "now" in tests.
/// The `field` of each entry in a problem's `errors`, in order.
pub fn error_fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect()
}

/// The `id` of each item of a list page, in order.
pub fn item_ids(page: &Value) -> Vec<&Value> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| &item["id"])
        .collect()
}

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).expect("date")
}

/// The server's clock in tests: 09:00 UTC on [`today`].
pub fn now() -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&today().and_hms_opt(9, 0, 0).expect("time"))
}

pub const PASSWORD: &str = "Demo@2026";

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Store,
    /// The database the server uses (a second instance connects to the same).
    pub database_url: String,
    pub backend: Backend,
    /// Stops the server (`stop(true)`: gracefully, like SIGTERM).
    pub server: ServerHandle,
    /// The server's task; it ends when the server has stopped.
    pub running: tokio::task::JoinHandle<std::io::Result<()>>,
    pg_database: Option<String>,
    _dir: TempDir,
}

/// A temporary directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn pg_admin_url() -> String {
    std::env::var("YGJ_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn with_database(url: &str, database: &str) -> String {
    match url.rfind('/') {
        Some(i) => format!("{}/{database}", &url[..i]),
        None => format!("{url}/{database}"),
    }
}

/// Starts the server on a fresh, migrated database with the demo at `scale`.
pub async fn spawn_app_with(backend: Backend, scale: f64) -> TestApp {
    spawn_app_with_settings(backend, scale, |_| {}).await
}

/// Like [`spawn_app_with`], with the settings adjusted by `customise` before the server starts
/// (e.g. single sign-on pointed at a provider process).
pub async fn spawn_app_with_settings(
    backend: Backend,
    scale: f64,
    customise: impl FnOnce(&mut Settings),
) -> TestApp {
    let id = Uuid::new_v4().simple().to_string();
    let dir = TempDir(std::env::temp_dir().join(format!("ygj-test-{id}")));
    std::fs::create_dir_all(&dir.0).expect("temp dir");
    let (url, pg_database) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}?mode=rwc", dir.0.join("test.sqlite").display()),
            None,
        ),
        Backend::Postgres => {
            let name = format!("ygj_test_{id}");
            let admin = Database::connect(pg_admin_url())
                .await
                .expect("PostgreSQL must be reachable (YGJ_TEST_PG_URL)");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            (with_database(&pg_admin_url(), &name), Some(name))
        }
    };
    start_app(backend, url, pg_database, dir, scale, customise).await
}

/// Starts the server on the existing, empty database at `database_url` (e.g. one of a private
/// PostgreSQL cluster a test stops and starts), migrated and filled like
/// [`spawn_app_with_settings`]. [`TestApp::cleanup`] leaves that database alone.
pub async fn spawn_app_on(
    backend: Backend,
    database_url: &str,
    scale: f64,
    customise: impl FnOnce(&mut Settings),
) -> TestApp {
    let id = Uuid::new_v4().simple().to_string();
    let dir = TempDir(std::env::temp_dir().join(format!("ygj-test-{id}")));
    std::fs::create_dir_all(&dir.0).expect("temp dir");
    start_app(
        backend,
        database_url.to_owned(),
        None,
        dir,
        scale,
        customise,
    )
    .await
}

async fn start_app(
    backend: Backend,
    url: String,
    pg_database: Option<String>,
    dir: TempDir,
    scale: f64,
    customise: impl FnOnce(&mut Settings),
) -> TestApp {
    api::telemetry::init_with_default("error");
    let mut settings = Settings {
        database_url: url.clone(),
        bind: "127.0.0.1:0".to_owned(),
        data_dir: dir.0.clone(),
        jwt_secret: b"test-secret-test-secret-test-secret".to_vec(),
        access_token_ttl_secs: 3600,
        refresh_token_ttl_secs: 30 * 24 * 3600,
        frontend_dir: dir.0.join("no-frontend"),
        max_json_bytes: 64 * 1024,
        files: store::files::FileStoreConfig::Local(dir.0.join("files")),
        max_upload_bytes: 2 * 1024 * 1024,
        run_jobs: false,
        map_tile_url: None,
        sso: None,
        metrics_token: None,
        answer_cache: true,
    };
    customise(&mut settings);
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let now = Utc.from_utc_datetime(&today().and_hms_opt(9, 0, 0).expect("time"));
    let clock: SharedClock = Arc::new(FixedClock(now));
    if scale > 0.0 {
        let config = demo::DemoConfig {
            seed: 7,
            scale,
            as_of: today(),
        };
        let files = store::files::FileStore::open(&settings.files).expect("file store");
        api::demo_seed::seed_demo(&store, &files, &config, now)
            .await
            .expect("demo");
    }
    let app = Application::build(&settings, store.clone(), clock)
        .await
        .expect("build");
    let address = format!("http://127.0.0.1:{}", app.port());
    let server = app.handle();
    let running = tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        server,
        running,
        client: reqwest::Client::new(),
        store,
        database_url: url.clone(),
        backend,
        pg_database,
        _dir: dir,
    }
}

/// The default test app: a small demo (about 120 clients).
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, 0.02).await
}

impl TestApp {
    /// Where the server keeps uploaded files.
    pub fn files_dir(&self) -> std::path::PathBuf {
        self._dir.0.join("files")
    }

    /// Files under the file directory, at any depth.
    pub fn stored_file_count(&self) -> usize {
        fn count(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|e| {
                            let path = e.path();
                            if path.is_dir() {
                                count(&path)
                            } else {
                                1
                            }
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        count(&self.files_dir())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Signs in and returns the access token.
    pub async fn token(&self, username: &str) -> String {
        let response = self.login(username, PASSWORD).await;
        assert_eq!(response.status(), 200, "sign-in as {username}");
        let body: Value = response.json().await.expect("json");
        body["access_token"].as_str().expect("token").to_owned()
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let response = self.get(path, token).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("json")
    }

    /// Sends `body` as JSON with `method` and the bearer token.
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.send_json(reqwest::Method::POST, path, token, body)
            .await
    }

    pub async fn patch_json(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.send_json(reqwest::Method::PATCH, path, token, body)
            .await
    }

    pub async fn put_json(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.send_json(reqwest::Method::PUT, path, token, body)
            .await
    }

    /// Drops the PostgreSQL test database (the SQLite file goes with the temp dir).
    pub async fn cleanup(self) {
        if let Some(name) = &self.pg_database {
            self.store.connection().clone().close().await.ok();
            if let Ok(admin) = Database::connect(pg_admin_url()).await {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
                admin.close().await.ok();
            }
        }
    }
}

/// Runs `async fn name(app: &TestApp)` on SQLite and on PostgreSQL, each with its own database:
/// tests `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! db_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await;
                super::$name(&app).await;
                app.cleanup().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await;
                super::$name(&app).await;
                app.cleanup().await;
            }
        }
    };
}
