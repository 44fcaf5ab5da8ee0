//! Measures the SLA job over many open service tickets on a loaded database (the demo): it
//! raises `--tickets` open tickets (default 10,000) spread over the clients, types and
//! severities, then runs the job at four moments — before any target passes, after the
//! response targets (every ticket escalates to a director), again at the same moment (nothing
//! left to do: the every-15-minutes steady state) and after the resolution targets (to the
//! leader) — printing each run's time. Reads `DATABASE_URL` / `YGJ_DATA_DIR` like the server.
//! The tickets stay in the database; run it on a scratch copy.
//!
//! `YGJ_DATA_DIR=data ygj-service-bench --tickets 10000`

use chrono::TimeDelta;
use clap::Parser;
use domain::audit::{AuditAction, AuditEntry};
use domain::service::{Severity, SlaPolicy, TicketChannel, TicketEventKind, TicketType};
use std::time::Instant;
use store::tickets::{NewTicketEvent, NewTicketRow};
use uuid::Uuid;

#[derive(Parser)]
struct Args {
    /// Open tickets to raise before measuring.
    #[arg(long, default_value_t = 10_000)]
    tickets: usize,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = api::config::Settings::from_env()?;
    let store = store::Store::connect(&settings.database_url).await?;
    store.migrate().await?;
    let now = chrono::Utc::now();
    let clients = store.client_managers(args.tickets as u64).await?;
    anyhow::ensure!(!clients.is_empty(), "no clients: load the demo first");
    let policy = SlaPolicy::default();
    let started = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for i in 0..args.tickets {
        if running.len() >= 16 {
            if let Some(done) = running.join_next().await {
                done??;
            }
        }
        running.spawn({
            let store = store.clone();
            let (client, manager) = clients[i % clients.len()];
            // Every type and severity, each with its own targets; all opened at `now`.
            let ticket_type = TicketType::ALL[i % TicketType::ALL.len()];
            let severity = Severity::ALL[(i / TicketType::ALL.len()) % Severity::ALL.len()];
            let target = policy.target(ticket_type, severity);
            async move {
                let id = Uuid::now_v7();
                let row = NewTicketRow {
                    id,
                    number: format!("B-{}", &id.simple().to_string()[16..]),
                    client_id: client,
                    ticket_type,
                    severity,
                    channel: TicketChannel::Staff,
                    title: "压测工单".to_owned(),
                    description: "SLA 定时任务压测".to_owned(),
                    order_no: None,
                    reporter: None,
                    reporter_phone: None,
                    external_ref: None,
                    photo_ids: Vec::new(),
                    assignee_id: manager,
                    raised_by: None,
                    raised_by_name: "压测".to_owned(),
                    opened_at: now,
                    target,
                    policy_version: policy.version,
                };
                let event =
                    NewTicketEvent::note(id, TicketEventKind::Created, (None, "压测"), now, "");
                let audit = AuditEntry {
                    id: Uuid::now_v7(),
                    at: now,
                    actor_id: None,
                    actor_name: "ygj-service-bench".to_owned(),
                    ip: None,
                    action: AuditAction::Create,
                    entity: "ticket".to_owned(),
                    entity_id: Some(id),
                    changes: Vec::new(),
                    request_id: None,
                };
                store.insert_ticket(&row, &[event], &audit).await
            }
        });
    }
    while let Some(done) = running.join_next().await {
        done??;
    }
    println!(
        "raised {} open tickets over {} clients in {:.1} s",
        args.tickets,
        clients.len(),
        started.elapsed().as_secs_f64()
    );
    let hours = |pick: fn(&domain::service::SlaTarget) -> u32, most: bool| {
        let values = policy.targets.iter().map(pick);
        i64::from(if most { values.max() } else { values.min() }.unwrap_or(1))
    };
    // The first response target to pass, a moment when some response targets have passed and
    // no resolution target has, and the last resolution target.
    let first_respond = hours(|t| t.respond_hours, false);
    let first_resolve = hours(|t| t.resolve_hours, false);
    let last_resolve = hours(|t| t.resolve_hours, true);
    let middle = (first_resolve - 1).max(first_respond);
    for (what, hours) in [
        ("before any target", 0),
        ("response targets passed (to directors)", middle),
        ("the same moment again (steady state)", middle),
        ("every resolution target passed (to leaders)", last_resolve),
    ] {
        let at = now + TimeDelta::hours(hours) + TimeDelta::minutes(1);
        let started = Instant::now();
        let report = api::jobs::service_sla(&store, at).await?;
        println!(
            "sla job at +{hours} h, {what}: {} tickets examined, {} escalated in {:.0} ms (target < 1,000 ms)",
            report.examined,
            report.updated,
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    Ok(())
}
