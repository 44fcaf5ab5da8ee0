//! Measures the monthly scorecards of every account manager on a loaded database (the demo):
//! the month of the last order, computed twice (the second a recompute over stored cards).
//! Reads `DATABASE_URL` / `YGJ_DATA_DIR` like the server; writes the scorecards (and nothing
//! else) into that database.
//!
//! `YGJ_DATA_DIR=data ygj-scorecard-bench`

use domain::audit::{AuditAction, AuditEntry};
use std::time::Instant;
use uuid::Uuid;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let settings = api::config::Settings::from_env()?;
    let store = store::Store::connect(&settings.database_url).await?;
    store.migrate().await?;
    let now = chrono::Utc::now();
    let last = store
        .last_order_date()
        .await?
        .ok_or_else(|| anyhow::anyhow!("no orders: load the demo first"))?;
    let month = last.format("%Y-%m").to_string();
    for run in ["first", "again"] {
        let audit = AuditEntry {
            id: Uuid::now_v7(),
            at: now,
            actor_id: None,
            actor_name: "ygj-scorecard-bench".to_owned(),
            ip: None,
            action: AuditAction::Create,
            entity: "scorecard_month".to_owned(),
            entity_id: None,
            changes: Vec::new(),
            request_id: None,
        };
        let started = Instant::now();
        let n = api::routes::scorecards::compute_month(&store, &month, now, &audit)
            .await?
            .ok_or_else(|| anyhow::anyhow!("{month} is locked"))?;
        println!(
            "scorecards {month} ({run}): {n} account managers in {:.0} ms (target < 2,000 ms)",
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    Ok(())
}
