//! Measures the archive figures on a loaded database (the demo): the expiry-alerts job (run
//! twice: the second run shows it changes nothing) and the bulk export of every archive (clients
//! per second and peak memory). Reads `DATABASE_URL` / `YGJ_DATA_DIR` like the server.
//!
//! `YGJ_DATA_DIR=data ygj-archive-bench`

use api::auth::{hash_password, TokenKeys};
use api::config::Settings;
use api::routes::export::{selection, write_zip, ExportRequest};
use api::state::AppState;
use domain::org::DataScope;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

/// Counts bytes and drops them.
struct Sink(u64);

impl Write for Sink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0 += data.len() as u64;
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Peak resident memory of this process, MB (`VmHWM`).
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let store = store::Store::connect(&settings.database_url).await?;
    store.migrate().await?;
    let clock: api::clock::SharedClock = Arc::new(api::clock::SystemClock);
    let now = clock.now();
    let as_of = store.last_order_date().await?.unwrap_or(now.date_naive());
    println!("rss before: {:.0} MB", peak_rss_mb());

    for run in 1..=2 {
        let started = Instant::now();
        let report = api::jobs::expiry_alerts(&store, as_of, now).await?;
        println!(
            "expiry job run {run}: {} clients in {:.0} ms (created {}, updated {}) as of {as_of}",
            report.examined,
            started.elapsed().as_secs_f64() * 1000.0,
            report.created,
            report.updated
        );
    }

    let state = AppState {
        store: store.clone(),
        keys: TokenKeys::new(&settings.jwt_secret, settings.access_token_ttl_secs),
        clock,
        refresh_ttl_secs: settings.refresh_token_ttl_secs,
        dummy_hash: hash_password("bench").map_err(|e| anyhow::anyhow!("{e}"))?,
        integrator_usage: Default::default(),
        sso: None,
        files: store::files::FileStore::open(&settings.files)?,
        max_upload_bytes: settings.max_upload_bytes,
        map_tile_url: None,
        metrics: std::sync::Arc::new(api::metrics::Metrics::new(None)?),
        client_lists: std::sync::Arc::new(api::response_cache::ResponseCache::new(true)),
    };
    let tree = store.org_tree().await?;
    let chosen = selection(
        &state,
        DataScope::All,
        &tree,
        ExportRequest::default(),
        as_of,
    )
    .await?;
    let handle = tokio::runtime::Handle::current();
    let started = Instant::now();
    let (stats, bytes) = tokio::task::spawn_blocking(move || {
        let mut sink = Sink(0);
        let stats = write_zip(&handle, &state, &chosen, false, &mut sink);
        stats.map(|s| (s, sink.0))
    })
    .await??;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "export: {} clients, {} pages, {:.1} MB in {secs:.1} s = {:.0} clients/s; peak RSS {:.0} MB",
        stats.clients,
        stats.pages,
        bytes as f64 / 1e6,
        stats.clients as f64 / secs,
        peak_rss_mb()
    );
    Ok(())
}
