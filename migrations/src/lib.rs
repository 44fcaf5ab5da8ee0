//! The database schema as forward-only migrations, run identically on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_foundation;
mod m20261123_000002_audit_log;
mod m20261123_000003_sessions;
mod m20261123_000004_org_admin;
mod m20261123_000005_integrator_tokens;
mod m20261123_000006_sso;
mod m20261123_000007_archives;
mod m20261202_000008_sales_intel;
mod m20261202_000009_sales_cover;
mod m20261202_000010_visits;
mod m20261202_000011_intel_unit_counts;
mod m20261203_000012_visit_sent_at;
mod m20261203_000013_service_tickets;
mod m20261203_000014_prospects;
mod m20261203_000015_scorecards;
mod m20261203_000016_job_runs;
mod m20261206_000017_client_list;
mod m20261206_000018_intel_no_client_fk;
mod m20261207_000019_client_pair_search;
mod m20261207_000020_change_feed;
mod m20261207_000021_client_pairs_column;

pub use m20261207_000020_change_feed::CHANGE_CHANNEL;

/// All migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_audit_log::Migration),
            Box::new(m20261123_000003_sessions::Migration),
            Box::new(m20261123_000004_org_admin::Migration),
            Box::new(m20261123_000005_integrator_tokens::Migration),
            Box::new(m20261123_000006_sso::Migration),
            Box::new(m20261123_000007_archives::Migration),
            Box::new(m20261202_000008_sales_intel::Migration),
            Box::new(m20261202_000009_sales_cover::Migration),
            Box::new(m20261202_000010_visits::Migration),
            Box::new(m20261202_000011_intel_unit_counts::Migration),
            Box::new(m20261203_000012_visit_sent_at::Migration),
            Box::new(m20261203_000013_service_tickets::Migration),
            Box::new(m20261203_000014_prospects::Migration),
            Box::new(m20261203_000015_scorecards::Migration),
            Box::new(m20261203_000016_job_runs::Migration),
            Box::new(m20261206_000017_client_list::Migration),
            Box::new(m20261206_000018_intel_no_client_fk::Migration),
            Box::new(m20261207_000019_client_pair_search::Migration),
            Box::new(m20261207_000020_change_feed::Migration),
            Box::new(m20261207_000021_client_pairs_column::Migration),
        ]
    }
}
