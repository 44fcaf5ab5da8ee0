//! The client list's answers kept in memory: served again while nothing they show has changed,
//! dropped the moment something has — a change through this server, through another instance on
//! the same database, or written to the database by another program — and never served while the
//! server cannot know (PostgreSQL with its change listener cut off).

use crate::db_test;
use crate::helpers::{spawn_app, spawn_app_on, Backend, TestApp};
use crate::observability::value;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const FIRST_PAGE: &str = "/api/v1/clients?per_page=20";

/// The list-cache lookups of `app` so far with `outcome` (hit, miss, bypass).
async fn lookups(app: &TestApp, outcome: &str) -> f64 {
    let (_, samples) = app.metrics().await;
    value(
        &samples,
        "ygj_cache_lookups_total",
        &[("cache", "client_list"), ("outcome", outcome)],
    )
    .unwrap_or(0.0)
}

/// Asks for the first page until an answer comes from memory (PostgreSQL: once the change
/// listener has subscribed), within 10 s.
async fn until_served_from_memory(app: &TestApp, token: &str) -> Value {
    let started = Instant::now();
    loop {
        let before = lookups(app, "hit").await;
        let page = app.get_json(FIRST_PAGE, token).await;
        if lookups(app, "hit").await > before {
            return page;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the list was never served from memory"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Asks `app` for the first page until its first client's address is `address`; the time that took.
async fn until_address_shows(app: &TestApp, token: &str, address: &str) -> Duration {
    let started = Instant::now();
    loop {
        let page = app.get_json(FIRST_PAGE, token).await;
        if page["items"][0]["address"] == address {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the change never showed: {}",
            page["items"][0]
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Writes client `uscc`'s address with plain SQL on a connection of its own, as another
/// program would (by USCC: SQLite keeps ids as blobs).
async fn write_address_elsewhere(app: &TestApp, uscc: &str, address: &str) {
    let other = store::Store::connect(&app.database_url)
        .await
        .expect("second connection");
    let sql = format!("UPDATE clients SET address = '{address}' WHERE uscc = '{uscc}'");
    let updated = other
        .connection()
        .execute_unprepared(&sql)
        .await
        .expect("update");
    assert_eq!(updated.rows_affected(), 1);
    other.connection().clone().close().await.ok();
}

async fn repeated_pages_come_from_memory_until_the_data_changes(app: &TestApp) {
    let token = app.token("admin").await;
    let page = until_served_from_memory(app, &token).await;
    let first = &page["items"][0];
    let id = first["id"].as_str().expect("id").to_owned();
    let uscc = first["uscc"].as_str().expect("uscc").to_owned();
    // Served from memory, the answer is the one built from the database.
    let misses = lookups(app, "miss").await;
    assert_eq!(app.get_json(FIRST_PAGE, &token).await, page);
    assert_eq!(
        lookups(app, "miss").await,
        misses,
        "no rebuild without a change"
    );

    // A change through this server shows on the very next request.
    let path = format!("/api/v1/clients/{id}");
    let response = app
        .patch_json(
            &path,
            &token,
            &json!({ "address": "长沙市岳麓区缓存测试路 1 号" }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let page = app.get_json(FIRST_PAGE, &token).await;
    assert_eq!(page["items"][0]["address"], "长沙市岳麓区缓存测试路 1 号");

    // So does a renamed org unit (the list shows each client's unit by name).
    let unit = page["items"][0]["org_unit_id"]
        .as_str()
        .expect("unit")
        .to_owned();
    let unit_path = format!("/api/v1/org-units/{unit}");
    let units = app.get_json("/api/v1/org-units", &token).await;
    let current = units
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["id"] == unit.as_str())
        .expect("the client's unit");
    let renamed = format!("{}（改）", current["name"].as_str().expect("name"));
    let response = app
        .patch_json(&unit_path, &token, &json!({ "name": renamed }))
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    let page = app.get_json(FIRST_PAGE, &token).await;
    assert_eq!(page["items"][0]["org_unit_name"], renamed.as_str());

    // And a change another program writes to the database, within moments.
    until_served_from_memory(app, &token).await;
    write_address_elsewhere(app, &uscc, "长沙市岳麓区别处写入路 2 号").await;
    let took = until_address_shows(app, &token, "长沙市岳麓区别处写入路 2 号").await;
    assert!(took < Duration::from_secs(2), "{took:?}");

    // Each scope has answers of its own: the account manager's first page is theirs alone.
    let manager = app.token("manager").await;
    let own = until_served_from_memory(app, &manager).await;
    let me = app.get_json("/api/v1/me", &manager).await;
    assert!(own["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|c| c["account_manager_id"] == me["id"]));
    assert_ne!(own["total"], page["total"]);
}
db_test!(repeated_pages_come_from_memory_until_the_data_changes);

/// Two instances on one PostgreSQL database: a change made through one is seen by the other's
/// cached list as soon as PostgreSQL delivers the notification.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_instances_change_drops_the_cached_list_on_postgres() {
    let first = spawn_app(Backend::Postgres).await;
    let second = spawn_app_on(Backend::Postgres, &first.database_url, 0.0, |_| {}).await;
    let token = first.token("admin").await;
    let page = until_served_from_memory(&second, &token).await;
    let id = page["items"][0]["id"].as_str().expect("id").to_owned();
    let response = first
        .patch_json(
            &format!("/api/v1/clients/{id}"),
            &token,
            &json!({ "address": "长沙市岳麓区另一实例路 3 号" }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let took = until_address_shows(&second, &token, "长沙市岳麓区另一实例路 3 号").await;
    assert!(took < Duration::from_secs(1), "{took:?}");
    second.cleanup().await;
    first.cleanup().await;
}

/// With its listening connection killed, the server serves nothing from memory until it has
/// subscribed again (notifications sent meanwhile are lost), then caches again — and still
/// drops what changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_comes_from_memory_while_the_change_listener_is_away_on_postgres() {
    let app = spawn_app(Backend::Postgres).await;
    let token = app.token("admin").await;
    let page = until_served_from_memory(&app, &token).await;
    let uscc = page["items"][0]["uscc"].as_str().expect("uscc").to_owned();
    let database = app
        .database_url
        .rsplit('/')
        .next()
        .expect("name")
        .to_owned();
    let admin = store::Store::connect(&app.database_url)
        .await
        .expect("admin");
    let killed = admin
        .connection()
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{database}' AND query LIKE 'LISTEN%'"
        ))
        .await
        .expect("terminate");
    assert_eq!(killed.rows_affected(), 1, "one listening connection");
    // Until it has noticed, then while it reconnects (1 s), answers are built afresh.
    let started = Instant::now();
    let bypassed = lookups(&app, "bypass").await;
    loop {
        app.get_json(FIRST_PAGE, &token).await;
        if lookups(&app, "bypass").await > bypassed {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "never bypassed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    write_address_elsewhere(&app, &uscc, "长沙市岳麓区断线期间路 4 号").await;
    let page = app.get_json(FIRST_PAGE, &token).await;
    assert_eq!(page["items"][0]["address"], "长沙市岳麓区断线期间路 4 号");
    // Subscribed again: served from memory, and a change still drops the answer.
    until_served_from_memory(&app, &token).await;
    write_address_elsewhere(&app, &uscc, "长沙市岳麓区重连之后路 5 号").await;
    let took = until_address_shows(&app, &token, "长沙市岳麓区重连之后路 5 号").await;
    assert!(took < Duration::from_secs(1), "{took:?}");
    admin.connection().clone().close().await.ok();
    app.cleanup().await;
}
