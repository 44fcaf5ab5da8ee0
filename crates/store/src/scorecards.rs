//! Scorecards: targets per person and month, the month's facts for the computation (orders,
//! first and previous order dates, planned visits, overdue tasks), the stored scorecards with
//! their evidence rows, adjustments, and the lock that makes a month immutable.

use crate::audit::insert_audit;
use crate::sql::Sql;
use crate::{from_code, to_json, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::AuditEntry;
use domain::scorecard::{
    Adjustment, ComponentScore, EvidenceRow, ScoreInputs, Scorecard, ScorecardStatus,
};
use domain::task::{TaskSource, TaskStatus};
use sea_orm::{ConnectionTrait, QueryResult, TransactionTrait, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// An order of the month.
#[derive(Debug, Clone)]
pub struct MonthOrder {
    /// Order id.
    pub id: Uuid,
    /// Its number.
    pub order_no: String,
    /// Client.
    pub client_id: Uuid,
    /// Its name.
    pub client_name: String,
    /// The client's account manager now.
    pub account_manager_id: Uuid,
    /// Date.
    pub order_date: NaiveDate,
    /// Kilograms.
    pub quantity_kg: i64,
}

/// A task counted for a person.
#[derive(Debug, Clone)]
pub struct CountedTask {
    /// Task.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// Client name.
    pub client_name: String,
    /// The assignee it counts for.
    pub user_id: Uuid,
    /// Due.
    pub due_date: NaiveDate,
    /// Status now.
    pub status: TaskStatus,
}

/// A scorecard to store.
#[derive(Debug, Clone)]
pub struct NewScorecard {
    /// The account manager.
    pub user_id: Uuid,
    /// Their unit.
    pub org_unit_id: Uuid,
    /// Inputs.
    pub inputs: ScoreInputs,
    /// Scores.
    pub components: Vec<ComponentScore>,
    /// Rows behind the figures.
    pub evidence: Vec<EvidenceRow>,
    /// Total.
    pub computed_score: f64,
}

/// A JSON column of `r` as `T`.
fn json_column<T: serde::de::DeserializeOwned>(
    r: &QueryResult,
    index: usize,
    what: &str,
) -> Result<T, StoreError> {
    let value: serde_json::Value = r.try_get_by_index(index)?;
    serde_json::from_value(value).map_err(|e| StoreError::Corrupt(format!("scorecard {what}: {e}")))
}

fn month_start(day: NaiveDate) -> DateTime<Utc> {
    domain::china_day_start(day)
}

impl Store {
    /// Saves targets (person, month `YYYY-MM`, tonnes), replacing earlier ones for the same
    /// person and month, with the audit entry, all or nothing.
    pub async fn save_score_targets(
        &self,
        rows: &[(Uuid, String, f64)],
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        for (user, month, target) in rows {
            let mut del = Sql::new(self.backend());
            del.push("DELETE FROM score_targets WHERE user_id = ")
                .bind(*user)
                .push(" AND month = ")
                .bind(month.clone());
            txn.execute(del.build()).await?;
            let mut ins = Sql::new(self.backend());
            ins.push("INSERT INTO score_targets (user_id, month, target_t, updated_at) VALUES (")
                .bind(*user)
                .push(", ")
                .bind(month.clone())
                .push(", ")
                .bind(*target)
                .push(", ")
                .bind(now)
                .push(")");
            txn.execute(ins.build()).await?;
        }
        insert_audit(&txn, audit).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The targets of `month` by person.
    pub async fn score_targets(&self, month: &str) -> Result<HashMap<Uuid, f64>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT user_id, target_t FROM score_targets WHERE month = ")
            .bind(month.to_owned());
        let mut out = HashMap::new();
        for r in self.db.query_all(sql.build()).await? {
            out.insert(r.try_get_by_index(0)?, r.try_get_by_index(1)?);
        }
        Ok(out)
    }

    /// The orders dated `from..=to` with their client's account manager.
    pub async fn month_orders(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<MonthOrder>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT s.id, s.order_no, s.client_id, c.name, c.account_manager_id, s.order_date, \
             s.quantity_kg FROM sales_orders s JOIN clients c ON c.id = s.client_id \
             WHERE s.order_date >= ",
        )
        .bind(from)
        .push(" AND s.order_date <= ")
        .bind(to)
        .push(" ORDER BY s.order_date, s.order_no");
        self.db
            .query_all(sql.build())
            .await?
            .iter()
            .map(|r| {
                Ok(MonthOrder {
                    id: r.try_get_by_index(0)?,
                    order_no: r.try_get_by_index(1)?,
                    client_id: r.try_get_by_index(2)?,
                    client_name: r.try_get_by_index(3)?,
                    account_manager_id: r.try_get_by_index(4)?,
                    order_date: r.try_get_by_index(5)?,
                    quantity_kg: r.try_get_by_index(6)?,
                })
            })
            .collect()
    }

    /// For each client that has ordered: its first order date ever and its last order date
    /// before `before` (if any).
    pub async fn order_dates(
        &self,
        before: NaiveDate,
    ) -> Result<HashMap<Uuid, (NaiveDate, Option<NaiveDate>)>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT client_id, MIN(order_date), MAX(CASE WHEN order_date < ")
            .bind(before)
            .push(" THEN order_date END) FROM sales_orders GROUP BY client_id");
        let mut out = HashMap::new();
        for r in self.db.query_all(sql.build()).await? {
            out.insert(
                r.try_get_by_index(0)?,
                (r.try_get_by_index(1)?, r.try_get_by_index(2)?),
            );
        }
        Ok(out)
    }

    /// Planned visits (coverage, custom and dynamic-class) due `from..=to`, per assignee, and
    /// the tasks of any kind that were open past their due date at the end of `to`.
    pub async fn counted_tasks(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<(Vec<CountedTask>, Vec<CountedTask>), StoreError> {
        let row = |r: &QueryResult| -> Result<CountedTask, StoreError> {
            let status: String = r.try_get_by_index(5)?;
            Ok(CountedTask {
                id: r.try_get_by_index(0)?,
                title: r.try_get_by_index(1)?,
                client_name: r.try_get_by_index(2)?,
                user_id: r.try_get_by_index(3)?,
                due_date: r.try_get_by_index(4)?,
                status: from_code(&status, "task status")?,
            })
        };
        const FROM: &str = "SELECT t.id, t.title, c.name, a.user_id, t.due_date, t.status \
            FROM tasks t JOIN task_assignees a ON a.task_id = t.id \
            JOIN clients c ON c.id = t.client_id WHERE ";
        let mut planned = Sql::new(self.backend());
        planned
            .push(FROM)
            .push("t.kind = 'visit' AND t.source IN ")
            .bind_list(&[
                TaskSource::CoveragePlan.code(),
                TaskSource::CustomPlan.code(),
                TaskSource::DynamicClass.code(),
            ])
            .push(" AND t.status <> ")
            .bind(TaskStatus::Cancelled.code())
            .push(" AND t.due_date >= ")
            .bind(from)
            .push(" AND t.due_date <= ")
            .bind(to);
        let end = month_start(to + chrono::Days::new(1));
        let mut overdue = Sql::new(self.backend());
        overdue
            .push(FROM)
            .push("t.due_date < ")
            .bind(to)
            .push(" AND t.created_at < ")
            .bind(end)
            .push(" AND t.status <> ")
            .bind(TaskStatus::Cancelled.code())
            .push(" AND (t.status = ")
            .bind(TaskStatus::Open.code())
            .push(" OR t.closed_at >= ")
            .bind(end)
            .push(")");
        let planned = self
            .db
            .query_all(planned.build())
            .await?
            .iter()
            .map(row)
            .collect::<Result<Vec<_>, _>>()?;
        let overdue = self
            .db
            .query_all(overdue.build())
            .await?
            .iter()
            .map(row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((planned, overdue))
    }

    /// Whether `month` is locked.
    pub async fn month_locked(&self, month: &str) -> Result<bool, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT COUNT(*) FROM scorecards WHERE locked_at IS NOT NULL AND month = ")
            .bind(month.to_owned());
        let n: i64 = match self.db.query_one(sql.build()).await? {
            Some(r) => r.try_get_by_index(0)?,
            None => 0,
        };
        Ok(n > 0)
    }

    /// Replaces the month's scorecards with `cards` (keeping each person's adjustments), with
    /// the audit entry, in one transaction; `false` when the month is locked (nothing written).
    pub async fn save_scorecards(
        &self,
        month: &str,
        cards: &[NewScorecard],
        scheme_version: i32,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let txn = self.db.begin().await?;
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT user_id, id, locked_at FROM scorecards WHERE month = ")
            .bind(month.to_owned());
        let mut existing: HashMap<Uuid, Uuid> = HashMap::new();
        for r in txn.query_all(sql.build()).await? {
            let locked: Option<DateTime<Utc>> = r.try_get_by_index(2)?;
            if locked.is_some() {
                return Ok(false);
            }
            existing.insert(r.try_get_by_index(0)?, r.try_get_by_index(1)?);
        }
        for c in cards {
            let mut sql = Sql::new(self.backend());
            let json = |v: serde_json::Value| Value::Json(Some(Box::new(v)));
            if let Some(id) = existing.get(&c.user_id) {
                sql.push("UPDATE scorecards SET org_unit_id = ")
                    .bind(c.org_unit_id)
                    .push(", inputs = ")
                    .bind(json(to_json(&c.inputs)))
                    .push(", components = ")
                    .bind(json(to_json(&c.components)))
                    .push(", evidence = ")
                    .bind(json(to_json(&c.evidence)))
                    .push(", computed_score = ")
                    .bind(c.computed_score)
                    .push(", scheme_version = ")
                    .bind(scheme_version)
                    .push(", computed_at = ")
                    .bind(now)
                    .push(" WHERE id = ")
                    .bind(*id);
            } else {
                sql.push(
                    "INSERT INTO scorecards (id, month, user_id, org_unit_id, inputs, components, \
                     evidence, computed_score, scheme_version, computed_at) VALUES (",
                )
                .bind(Uuid::now_v7())
                .push(", ")
                .bind(month.to_owned())
                .push(", ")
                .bind(c.user_id)
                .push(", ")
                .bind(c.org_unit_id)
                .push(", ")
                .bind(json(to_json(&c.inputs)))
                .push(", ")
                .bind(json(to_json(&c.components)))
                .push(", ")
                .bind(json(to_json(&c.evidence)))
                .push(", ")
                .bind(c.computed_score)
                .push(", ")
                .bind(scheme_version)
                .push(", ")
                .bind(now)
                .push(")");
            }
            txn.execute(sql.build()).await?;
        }
        insert_audit(&txn, audit).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// The month's scorecards of the people in `users` (all when `None`), with adjustments,
    /// by unit then name; each with its evidence rows when `with_evidence`.
    pub async fn scorecards(
        &self,
        month: &str,
        users: Option<&[Uuid]>,
        with_evidence: bool,
    ) -> Result<Vec<(Scorecard, Vec<EvidenceRow>)>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT s.id, s.month, s.user_id, u.display_name, s.org_unit_id, o.name, s.inputs, \
             s.components, s.computed_score, s.scheme_version, s.computed_at, s.locked_at",
        );
        if with_evidence {
            sql.push(", s.evidence");
        }
        sql.push(
            " FROM scorecards s JOIN users u ON u.id = s.user_id \
             JOIN org_units o ON o.id = s.org_unit_id WHERE s.month = ",
        )
        .bind(month.to_owned());
        if let Some(users) = users {
            sql.push(" AND s.user_id IN ").bind_list(users);
        }
        sql.push(" ORDER BY o.name, u.display_name");
        let rows = self.db.query_all(sql.build()).await?;
        let mut out = Vec::with_capacity(rows.len());
        let ids: Vec<Uuid> = rows
            .iter()
            .map(|r| r.try_get_by_index(0))
            .collect::<Result<_, _>>()?;
        let mut adjustments = self.adjustments_of(&ids).await?;
        for r in rows {
            let inputs: ScoreInputs = json_column(&r, 6, "inputs")?;
            let components: Vec<ComponentScore> = json_column(&r, 7, "components")?;
            let evidence: Vec<EvidenceRow> = if with_evidence {
                json_column(&r, 12, "evidence")?
            } else {
                Vec::new()
            };
            let id: Uuid = r.try_get_by_index(0)?;
            let locked_at: Option<DateTime<Utc>> = r.try_get_by_index(11)?;
            let adjustments = adjustments.remove(&id).unwrap_or_default();
            let computed: f64 = r.try_get_by_index(8)?;
            let points: f64 = adjustments
                .iter()
                .filter(|a| !a.correction)
                .map(|a| a.points)
                .sum();
            let final_score = domain::scorecard::final_score(computed, points);
            out.push((
                Scorecard {
                    id,
                    month: r.try_get_by_index(1)?,
                    user_id: r.try_get_by_index(2)?,
                    user_name: r.try_get_by_index(3)?,
                    org_unit_id: r.try_get_by_index(4)?,
                    org_unit_name: r.try_get_by_index(5)?,
                    inputs,
                    components,
                    computed_score: computed,
                    adjustment_points: points,
                    final_score,
                    bonus_yuan: 0.0,
                    scheme_version: r.try_get_by_index(9)?,
                    status: if locked_at.is_some() {
                        ScorecardStatus::Locked
                    } else {
                        ScorecardStatus::Computed
                    },
                    computed_at: r.try_get_by_index(10)?,
                    locked_at,
                    adjustments,
                },
                evidence,
            ));
        }
        Ok(out)
    }

    async fn adjustments_of(
        &self,
        cards: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<Adjustment>>, StoreError> {
        let mut out: HashMap<Uuid, Vec<Adjustment>> = HashMap::new();
        for chunk in cards.chunks(500) {
            let mut sql = Sql::new(self.backend());
            sql.push(
                "SELECT scorecard_id, id, points, reason, correction, by_name, at \
                 FROM scorecard_adjustments WHERE scorecard_id IN ",
            )
            .bind_list(chunk)
            .push(" ORDER BY at, id");
            for r in self.db.query_all(sql.build()).await? {
                out.entry(r.try_get_by_index(0)?)
                    .or_default()
                    .push(Adjustment {
                        id: r.try_get_by_index(1)?,
                        points: r.try_get_by_index(2)?,
                        reason: r.try_get_by_index(3)?,
                        correction: r.try_get_by_index(4)?,
                        by_name: r.try_get_by_index(5)?,
                        at: r.try_get_by_index(6)?,
                    });
            }
        }
        Ok(out)
    }

    /// Records an adjustment (a correction when the card is locked) with its audit entry.
    pub async fn add_adjustment(
        &self,
        card: Uuid,
        adjustment: &Adjustment,
        by: Uuid,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        let mut sql = Sql::new(self.backend());
        sql.push(
            "INSERT INTO scorecard_adjustments (id, scorecard_id, points, reason, correction, \
             by_id, by_name, at) VALUES (",
        )
        .bind(adjustment.id)
        .push(", ")
        .bind(card)
        .push(", ")
        .bind(adjustment.points)
        .push(", ")
        .bind(adjustment.reason.clone())
        .push(", ")
        .bind(adjustment.correction)
        .push(", ")
        .bind(by)
        .push(", ")
        .bind(adjustment.by_name.clone())
        .push(", ")
        .bind(adjustment.at)
        .push(")");
        txn.execute(sql.build()).await?;
        insert_audit(&txn, audit).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Locks every scorecard of `month`; the number locked (0: none computed, or locked
    /// already).
    pub async fn lock_month(
        &self,
        month: &str,
        by: Uuid,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<u64, StoreError> {
        let txn = self.db.begin().await?;
        let mut sql = Sql::new(self.backend());
        sql.push("UPDATE scorecards SET locked_at = ")
            .bind(now)
            .push(", locked_by = ")
            .bind(by)
            .push(" WHERE locked_at IS NULL AND month = ")
            .bind(month.to_owned());
        let n = txn.execute(sql.build()).await?.rows_affected();
        if n > 0 {
            insert_audit(&txn, audit).await?;
        }
        txn.commit().await?;
        Ok(n)
    }
}
