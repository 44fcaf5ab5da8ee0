//! Faults: PostgreSQL stopped and started in the middle of a big import (on a private cluster,
//! never the shared one), a graceful stop with a request in flight, and a job that panics.
//!
//! The database tests make the fault land where it hurts, not by timing: a second connection
//! holds a lock on `audit_log`, so the import's transaction inserts all its order rows and then
//! waits to write its audit entry (the last statement before the commit); the test sees that
//! wait in `pg_stat_activity` and only then strikes.

use crate::db_test;
use crate::helpers::{
    now, spawn_app_on, spawn_app_with, spawn_app_with_settings, Backend, TempDir, TestApp,
};
use crate::sales::{count, order};
use api::clock::Clock;
use api::jobs::{run_claimed, run_scheduled, start_jobs, ScheduledJob, ScheduledRun, SERVICE_SLA};
use chrono::{DateTime, TimeDelta, Utc};
use domain::task::JobReport;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::StoreError;

/// Rows per batch: the API's maximum.
const BATCH: usize = 5_000;

/// A PostgreSQL cluster of this test alone, in a temporary directory, on a free port: stopping
/// it disturbs no other test. Stopped (immediately) and removed on drop.
struct PrivatePostgres {
    bin: PathBuf,
    /// `Some("postgres")` when the tests run as root, which `initdb` and `postgres` refuse:
    /// the cluster then belongs to that user and its commands run through `runuser`.
    run_as: Option<String>,
    port: u16,
    dir: TempDir,
}

/// The directory of `initdb` and `pg_ctl`: `YGJ_TEST_PG_BIN`, else the newest Debian-style
/// `/usr/lib/postgresql/<version>/bin`, else `pg_config --bindir`.
fn postgres_bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("YGJ_TEST_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    if let Some(bin) = output("pg_config", &["--bindir"])
        .map(PathBuf::from)
        .filter(|bin| bin.join("initdb").exists())
    {
        return bin;
    }
    panic!("the fault tests need PostgreSQL's server binaries (initdb, pg_ctl): install PostgreSQL or set YGJ_TEST_PG_BIN");
}

/// The trimmed standard output of a successful command.
fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

impl PrivatePostgres {
    /// Creates the cluster (trust authentication, no fsync: its data is thrown away) and
    /// starts it.
    async fn start() -> Self {
        tokio::task::spawn_blocking(|| {
            let run_as = (output("id", &["-u"]).as_deref() == Some("0")).then(|| "postgres".to_owned());
            let dir = TempDir(std::env::temp_dir().join(format!(
                "ygj-pg-{}",
                uuid::Uuid::new_v4().simple()
            )));
            std::fs::create_dir_all(&dir.0).expect("cluster dir");
            if let Some(user) = &run_as {
                let id = |flag| {
                    output("id", &[flag, user])
                        .and_then(|id| id.parse().ok())
                        .unwrap_or_else(|| panic!("running as root, the fault tests need the user {user} to own their PostgreSQL cluster"))
                };
                std::os::unix::fs::chown(&dir.0, Some(id("-u")), Some(id("-g")))
                    .expect("give the cluster dir to postgres");
            }
            let cluster = PrivatePostgres {
                bin: postgres_bin_dir(),
                run_as,
                port: free_port(),
                dir,
            };
            let data = cluster.data_dir();
            cluster.run(
                "initdb",
                &[
                    "-D",
                    data.to_str().expect("path"),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                    "--no-locale",
                    "-E",
                    "UTF8",
                ],
            );
            cluster.start_server();
            cluster
        })
        .await
        .expect("start PostgreSQL")
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.0.join("data")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs one of the cluster's programs; panics with its output when it fails.
    fn run(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        let mut command = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        let out = command
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if !out.status.success() {
            let log = std::fs::read_to_string(self.dir.0.join("log")).unwrap_or_default();
            panic!(
                "{program} {args:?} failed: {}{}\n{log}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            self.port,
            self.dir.0.display()
        );
        let data = self.data_dir();
        let log = self.dir.0.join("log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("path"),
                "-l",
                log.to_str().expect("path"),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// `pg_ctl stop -m immediate`: every backend is killed, nothing is committed that was not,
    /// and the next start recovers from the write-ahead log as after a crash.
    fn stop_immediately(&self) {
        let data = self.data_dir();
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("path"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    async fn restart(self: &Arc<Self>) {
        let cluster = Arc::clone(self);
        tokio::task::spawn_blocking(move || cluster.start_server())
            .await
            .expect("restart PostgreSQL");
    }

    async fn stop(self: &Arc<Self>) {
        let cluster = Arc::clone(self);
        tokio::task::spawn_blocking(move || cluster.stop_immediately())
            .await
            .expect("stop PostgreSQL");
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if self.dir.0.join("data/postmaster.pid").exists() {
            let data = self.data_dir();
            let path = self.bin.join("pg_ctl");
            let args = ["-D", data.to_str().unwrap_or(""), "-m", "immediate", "stop"];
            let _ = match &self.run_as {
                Some(user) => Command::new("runuser")
                    .args(["-u", user, "--"])
                    .arg(&path)
                    .args(args)
                    .output(),
                None => Command::new(&path).args(args).output(),
            };
        }
    }
}

/// A batch of [`BATCH`] new orders numbered `{prefix}-0000…`, spread over the first clients.
async fn big_batch(app: &TestApp, admin: &str, prefix: &str) -> Value {
    let page = app.get_json("/api/v1/clients?per_page=50", admin).await;
    let clients: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert!(!clients.is_empty(), "the demo has clients");
    let orders: Vec<Value> = (0..BATCH)
        .map(|i| {
            let tonnes = 5.0 + (i % 17) as f64;
            order(
                &format!("{prefix}-{i:04}"),
                clients[i % clients.len()],
                tonnes,
            )
        })
        .collect();
    json!({ "orders": orders })
}

/// Orders whose number starts with `prefix`.
async fn orders_numbered(app: &TestApp, prefix: &str) -> i64 {
    let row = app
        .store
        .connection()
        .query_one(Statement::from_sql_and_values(
            app.store.connection().get_database_backend(),
            "SELECT COUNT(*) FROM sales_orders WHERE order_no LIKE $1",
            [format!("{prefix}-%").into()],
        ))
        .await
        .expect("count")
        .expect("row");
    row.try_get_by_index(0).expect("count")
}

async fn query_i64(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .expect("query")
        .expect("row")
        .try_get_by_index(0)
        .expect("number")
}

/// Holds a lock on `audit_log` that lets readers through but stops every insert, until
/// rolled back: an import then waits with all its orders inserted and its commit not made.
async fn hold_audit_lock(url: &str) -> sea_orm::DatabaseTransaction {
    use sea_orm::TransactionTrait;
    let db = Database::connect(url).await.expect("lock connection");
    let txn = db.begin().await.expect("begin");
    txn.execute_unprepared("LOCK TABLE audit_log IN EXCLUSIVE MODE")
        .await
        .expect("lock audit_log");
    txn
}

/// Waits until a transaction of this database that has written (it has a transaction id)
/// waits on a lock while inserting into `audit_log`: the import, just before its commit.
async fn import_waits_for_its_commit(watcher: &DatabaseConnection) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let waiting = query_i64(
            watcher,
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL \
             AND query ILIKE 'INSERT INTO%audit_log%'",
        )
        .await;
        if waiting > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the import never reached its audit entry"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A client that opens a new connection per request, so a stopped server is seen at once.
fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

/// Posts `batch` on its own task; the answer (or the transport error) comes back later.
fn send_in_background(
    app: &TestApp,
    admin: &str,
    batch: &Value,
) -> tokio::task::JoinHandle<Result<(u16, String, Value), String>> {
    let request = fresh_client()
        .post(app.url("/api/v1/sales/orders"))
        .bearer_auth(admin)
        .json(batch);
    tokio::spawn(async move {
        let response = request.send().await.map_err(|e| format!("{e:?}"))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = response.json().await.map_err(|e| format!("{e:?}"))?;
        Ok((status, content_type, body))
    })
}

async fn readyz(app: &TestApp) -> (u16, Duration) {
    let started = Instant::now();
    let response = fresh_client()
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("readyz answers");
    (response.status().as_u16(), started.elapsed())
}

fn with_big_bodies(settings: &mut api::config::Settings) {
    settings.max_json_bytes = 4 * 1024 * 1024;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restart_in_the_middle_of_a_big_import_loses_no_rows() {
    let cluster = Arc::new(PrivatePostgres::start().await);
    let app = spawn_app_on(Backend::Postgres, &cluster.url(), 0.02, with_big_bodies).await;
    let admin = app.token("admin").await;
    let batch = big_batch(&app, &admin, "FAULT").await;
    let audit_before = count(&app, "audit_log").await;
    let watcher = Database::connect(cluster.url()).await.expect("watcher");

    let lock = hold_audit_lock(&cluster.url()).await;
    let import = send_in_background(&app, &admin, &batch);
    import_waits_for_its_commit(&watcher).await;
    let struck = Instant::now();
    cluster.stop().await;
    drop(lock);
    drop(watcher);

    // The import is answered, as unavailable, not dropped and not a 500.
    let (status, content_type, problem) = import
        .await
        .expect("task")
        .expect("the import gets an answer");
    let answered = struck.elapsed();
    assert_eq!(status, 503, "{problem}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["code"], "service_unavailable");

    // Not ready while the database is away, and saying so promptly.
    let (status, took) = readyz(&app).await;
    assert_eq!(status, 503);
    assert!(took < Duration::from_secs(3), "/readyz took {took:?}");
    // Any other request fails the same way once the pool gives up waiting.
    let started = Instant::now();
    let response = fresh_client()
        .get(app.url("/api/v1/clients?per_page=1"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("answer");
    let other = started.elapsed();
    assert_eq!(response.status(), 503);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    assert!(other < Duration::from_secs(10), "took {other:?}");

    // Back without restarting the server.
    cluster.restart().await;
    let restarted = Instant::now();
    loop {
        let (status, _) = readyz(&app).await;
        if status == 200 {
            break;
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(10),
            "/readyz still {status} after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered = restarted.elapsed();

    // All or nothing: the stop came before the commit, so nothing.
    assert_eq!(
        orders_numbered(&app, "FAULT").await,
        0,
        "a partial batch survived"
    );
    assert_eq!(count(&app, "audit_log").await, audit_before);

    // The ERP sends the batch again: all of it goes in, and a third time changes nothing.
    let again = app.post_json("/api/v1/sales/orders", &admin, &batch).await;
    assert_eq!(again.status(), 200);
    let body: Value = again.json().await.expect("json");
    assert_eq!(
        body,
        json!({"received": BATCH, "inserted": BATCH, "unchanged": 0})
    );
    let third: Value = app
        .post_json("/api/v1/sales/orders", &admin, &batch)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        third,
        json!({"received": BATCH, "inserted": 0, "unchanged": BATCH})
    );
    let stored = orders_numbered(&app, "FAULT").await;
    assert_eq!(stored, BATCH as i64);
    println!(
        "faults: PostgreSQL stopped mid-import of {BATCH} rows: import answered 503 in {} ms, \
         /readyz 503 in {} ms, other requests 503 in {} ms, ready again {} ms after the \
         restart; rows lost: {}",
        answered.as_millis(),
        took.as_millis(),
        other.as_millis(),
        recovered.as_millis(),
        BATCH as i64 - stored
    );
    app.server.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_stop_finishes_the_import_in_flight_and_refuses_new_connections() {
    let mut app = spawn_app_with_settings(Backend::Postgres, 0.02, with_big_bodies).await;
    let admin = app.token("admin").await;
    let batch = big_batch(&app, &admin, "DRAIN").await;
    let watcher = Database::connect(&app.database_url).await.expect("watcher");
    let lock = hold_audit_lock(&app.database_url).await;
    let import = send_in_background(&app, &admin, &batch);
    import_waits_for_its_commit(&watcher).await;

    let stop_began = Instant::now();
    let stopping = tokio::spawn(app.server.stop(true));
    // New connections are refused from the start of the stop …
    let port = app.address.rsplit(':').next().expect("port").to_owned();
    let address = format!("127.0.0.1:{port}");
    loop {
        match tokio::net::TcpStream::connect(&address).await {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
            _ => {
                assert!(
                    stop_began.elapsed() < Duration::from_secs(5),
                    "still accepting connections"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    // … while the request in flight is still being served.
    tokio::time::sleep(Duration::from_millis(300)).await;
    if import.is_finished() {
        let outcome = import.await;
        panic!("the stop cut the request short: {outcome:?}");
    }
    assert!(!stopping.is_finished(), "the stop did not wait");

    lock.rollback().await.expect("release the lock");
    let (status, _, body) = import
        .await
        .expect("task")
        .expect("the import gets an answer");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"received": BATCH, "inserted": BATCH, "unchanged": 0})
    );
    stopping.await.expect("stopped");
    let drained = stop_began.elapsed();
    tokio::time::timeout(Duration::from_secs(10), &mut app.running)
        .await
        .expect("the server's task ends")
        .expect("join")
        .expect("served without error");
    assert_eq!(orders_numbered(&app, "DRAIN").await, BATCH as i64);
    println!(
        "faults: graceful stop with a {BATCH}-row import in flight: drained in {} ms, rows stored: {BATCH}",
        drained.as_millis()
    );
    drop(watcher);
    app.cleanup().await;
}

const PANIC_JOB: &str = "faults_panicking_job";

async fn a_panicking_job_is_recorded_and_the_server_carries_on(app: &TestApp) {
    let panicking = async {
        if PANIC_JOB.len() > 1 {
            panic!("boom in a scheduled job");
        }
        Ok::<JobReport, StoreError>(JobReport::default())
    };
    let run = run_claimed(&app.store, PANIC_JOB, now(), "instance-a", panicking).await;
    assert_eq!(
        run,
        ScheduledRun::Ran(Err("panicked: boom in a scheduled job".to_owned()))
    );
    let outcomes = app.store.job_run_outcomes(PANIC_JOB).await.expect("runs");
    assert_eq!(outcomes.len(), 1);
    assert_eq!(
        outcomes[0].1.as_deref(),
        Some("panicked: boom in a scheduled job")
    );
    // The server still answers, the database too.
    assert_eq!(readyz(app).await.0, 200);
    let admin = app.token("admin").await;
    app.get_json("/api/v1/clients?per_page=1", &admin).await;
    // The same wrapper runs a real job next.
    let next = run_scheduled(&app.store, SERVICE_SLA, now() + TimeDelta::minutes(1), "a").await;
    assert!(matches!(next, ScheduledRun::Ran(Ok(_))), "{next:?}");
}
db_test!(a_panicking_job_is_recorded_and_the_server_carries_on);

/// A clock one minute later at every reading: every firing gets its own slot.
#[derive(Debug)]
struct SteppingClock {
    start: DateTime<Utc>,
    minutes: AtomicI64,
}

impl Clock for SteppingClock {
    fn now(&self) -> DateTime<Utc> {
        self.start + TimeDelta::minutes(self.minutes.fetch_add(1, Ordering::SeqCst))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_keeps_firing_a_job_that_panics() {
    let app = spawn_app_with(Backend::Sqlite, 0.0).await;
    let clock = Arc::new(SteppingClock {
        start: now(),
        minutes: AtomicI64::new(0),
    });
    let job = ScheduledJob {
        cron: "* * * * * *",
        name: PANIC_JOB,
        run: Arc::new(|_store, now| {
            Box::pin(async move {
                if now.timestamp() > 0 {
                    panic!("boom at {now}");
                }
                Ok(JobReport::default())
            })
        }),
    };
    let mut scheduler = start_jobs(app.store.clone(), clock, vec![job])
        .await
        .expect("scheduler");
    let deadline = Instant::now() + Duration::from_secs(10);
    let outcomes = loop {
        let outcomes = app.store.job_run_outcomes(PANIC_JOB).await.expect("runs");
        if outcomes.iter().filter(|(_, o)| o.is_some()).count() >= 2 {
            break outcomes;
        }
        assert!(
            Instant::now() < deadline,
            "the scheduler stopped firing: {outcomes:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    scheduler.shutdown().await.expect("scheduler stops");
    for (slot, outcome) in outcomes.iter().filter(|(_, o)| o.is_some()) {
        assert_eq!(
            outcome.as_deref(),
            Some(format!("panicked: boom at {slot}").as_str())
        );
    }
    assert_eq!(readyz(&app).await.0, 200);
    app.cleanup().await;
}
