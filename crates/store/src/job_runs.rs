//! Claims on scheduled job runs. Several server instances fire the same schedule; each asks to
//! claim (job, slot) and only the one whose claim is stored runs it. On PostgreSQL the claim is
//! made under a transaction-scoped advisory lock on the job's name, so claims of one job never
//! interleave; the primary key on (job, slot) makes a second claim of the same slot fail on
//! either database.

use crate::sql::Sql;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};

impl Store {
    /// Claims the run of `job` for `slot` for `instance`; `false` when another claim holds it
    /// (or, on PostgreSQL, another instance is claiming it at this moment).
    pub async fn claim_job_run(
        &self,
        job: &str,
        slot: DateTime<Utc>,
        instance: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let txn = self.db.begin().await?;
        if self.backend() == DbBackend::Postgres {
            let mut lock = Sql::new(self.backend());
            lock.push("SELECT pg_try_advisory_xact_lock(hashtext(")
                .bind(format!("ygj-job:{job}"))
                .push("))");
            let got: bool = match txn.query_one(lock.build()).await? {
                Some(r) => r.try_get_by_index(0)?,
                None => false,
            };
            if !got {
                return Ok(false);
            }
        }
        let mut sql = Sql::new(self.backend());
        sql.push("INSERT INTO job_runs (job, slot, instance, started_at) VALUES (")
            .bind(job.to_owned())
            .push(", ")
            .bind(slot)
            .push(", ")
            .bind(instance.chars().take(64).collect::<String>())
            .push(", ")
            .bind(now)
            .push(") ON CONFLICT DO NOTHING");
        let stored = txn.execute(sql.build()).await?.rows_affected() == 1;
        txn.commit().await?;
        Ok(stored)
    }

    /// Records how a claimed run ended.
    pub async fn finish_job_run(
        &self,
        job: &str,
        slot: DateTime<Utc>,
        now: DateTime<Utc>,
        outcome: &str,
    ) -> Result<(), StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("UPDATE job_runs SET finished_at = ")
            .bind(now)
            .push(", outcome = ")
            .bind(outcome.chars().take(200).collect::<String>())
            .push(" WHERE job = ")
            .bind(job.to_owned())
            .push(" AND slot = ")
            .bind(slot);
        self.db.execute(sql.build()).await?;
        Ok(())
    }

    /// How many runs of `job` were claimed.
    pub async fn job_run_count(&self, job: &str) -> Result<i64, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT COUNT(*) FROM job_runs WHERE job = ")
            .bind(job.to_owned());
        Ok(match self.db.query_one(sql.build()).await? {
            Some(r) => r.try_get_by_index(0)?,
            None => 0,
        })
    }

    /// The claimed runs of `job`, oldest slot first: (slot, outcome), the outcome `None` while
    /// the run has not finished (or its end could not be recorded).
    pub async fn job_run_outcomes(
        &self,
        job: &str,
    ) -> Result<Vec<(DateTime<Utc>, Option<String>)>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT slot, outcome FROM job_runs WHERE job = ")
            .bind(job.to_owned())
            .push(" ORDER BY slot");
        let mut out = Vec::new();
        for r in self.db.query_all(sql.build()).await? {
            out.push((r.try_get_by_index(0)?, r.try_get_by_index(1)?));
        }
        Ok(out)
    }
}
