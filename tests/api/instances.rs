//! Several instances on one PostgreSQL database: every scheduled job fired by two instances at
//! the same moment runs once (the claim on its slot, under an advisory lock); the next slot runs
//! once again. (SQLite is the single-instance embedded default: a second writer process on the
//! same file is not a supported topology, so this runs on PostgreSQL only.)

use crate::helpers::{now, spawn_app, Backend, TestApp};
use api::jobs::{run_scheduled, ScheduledRun, JOBS};

async fn two_instances_run_each_scheduled_job_once(app: &TestApp) {
    // The second instance: its own connection pool on the same database.
    let second = store::Store::connect(&app.database_url)
        .await
        .expect("second instance");
    for &job in JOBS {
        for (slot, minute) in [(1, 0), (2, 1)] {
            let at = now() + chrono::TimeDelta::minutes(minute);
            let (a, b) = tokio::join!(
                run_scheduled(&app.store, job, at, "instance-a"),
                run_scheduled(&second, job, at, "instance-b"),
            );
            let ran: Vec<&ScheduledRun> = [&a, &b]
                .into_iter()
                .filter(|r| matches!(r, ScheduledRun::Ran(_)))
                .collect();
            assert_eq!(ran.len(), 1, "{job} at slot {slot}: {a:?} / {b:?}");
            assert!(
                matches!(ran[0], ScheduledRun::Ran(Ok(_))),
                "{job}: {:?}",
                ran[0]
            );
            assert_eq!(
                app.store.job_run_count(job).await.expect("count"),
                slot,
                "{job}: one claimed run per slot"
            );
        }
    }
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_run_each_scheduled_job_once_on_postgres() {
    let app = spawn_app(Backend::Postgres).await;
    two_instances_run_each_scheduled_job_once(&app).await;
    app.cleanup().await;
}
