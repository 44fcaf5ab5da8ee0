//! Prospects: the pipeline row beside a client record, its stage changes (guarded by the stage
//! the caller saw), the look-ups for duplicates, and the conversion that the first sales order
//! performs inside the order batch's own transaction.

use crate::audit::insert_audit;
use crate::sql::Sql;
use crate::{from_code, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::AuditEntry;
use domain::org::DataScope;
use domain::prospect::{FunnelFact, PipelineStage, Prospect};
use domain::sales::SalesOrder;
use domain::task::{EvidenceKind, TaskKind, TaskSource, TaskStatus};
use sea_orm::{ConnectionTrait, QueryResult, TransactionTrait, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// The pipeline of a new prospect.
#[derive(Debug, Clone)]
pub struct ProspectRow {
    /// Responsible director.
    pub director_id: Option<Uuid>,
    /// Responsible leader.
    pub leader_id: Option<Uuid>,
    /// Estimated monthly demand, tonnes.
    pub est_monthly_demand_t: f64,
    /// Where it buys now.
    pub previous_channel: Option<String>,
    /// Where it was found.
    pub source: Option<String>,
}

/// Filters of the prospect list.
#[derive(Debug, Clone, Default)]
pub struct ProspectFilter {
    /// Stage.
    pub stage: Option<PipelineStage>,
    /// Only open ones (not won or lost).
    pub open: bool,
    /// Only those this user is responsible for (as account manager, director or leader).
    pub responsible: Option<Uuid>,
    /// Name contains.
    pub q: Option<String>,
    /// Page from 1.
    pub page: u64,
    /// Per page.
    pub per_page: u64,
}

pub(crate) async fn insert_prospect_row<C: ConnectionTrait>(
    db: &C,
    client_id: Uuid,
    row: &ProspectRow,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let insert = crate::visits::insert_row(
        "prospects",
        &[
            "client_id",
            "stage",
            "director_id",
            "leader_id",
            "est_monthly_demand_t",
            "previous_channel",
            "source",
            "created_at",
            "stage_changed_at",
        ],
        vec![
            client_id.into(),
            PipelineStage::Identified.code().into(),
            row.director_id.into(),
            row.leader_id.into(),
            row.est_monthly_demand_t.into(),
            row.previous_channel.clone().into(),
            row.source.clone().into(),
            now.into(),
            now.into(),
        ],
    )?;
    db.execute(db.get_database_backend().build(&insert)).await?;
    Ok(())
}

const PROSPECT_COLUMNS: &str = "c.id, c.name, c.uscc, c.org_unit_id, o.name, c.industry, \
    c.account_manager_id, a.display_name, p.director_id, d.display_name, p.leader_id, \
    l.display_name, p.stage, p.lost_reason, p.est_monthly_demand_t, p.previous_channel, \
    p.source, p.created_at, p.stage_changed_at, p.won_at, p.first_order_no, \
    CAST(COALESCE((SELECT SUM(s.quantity_kg) FROM sales_orders s WHERE s.client_id = c.id), 0) \
    AS BIGINT)";

const PROSPECT_FROM: &str = " FROM prospects p JOIN clients c ON c.id = p.client_id \
    JOIN org_units o ON o.id = c.org_unit_id JOIN users a ON a.id = c.account_manager_id \
    LEFT JOIN users d ON d.id = p.director_id LEFT JOIN users l ON l.id = p.leader_id";

fn prospect_row(r: &QueryResult) -> Result<Prospect, StoreError> {
    let industry: String = r.try_get_by_index(5)?;
    let stage: String = r.try_get_by_index(12)?;
    let kg: i64 = r.try_get_by_index(21)?;
    Ok(Prospect {
        client_id: r.try_get_by_index(0)?,
        name: r.try_get_by_index(1)?,
        uscc: r.try_get_by_index(2)?,
        org_unit_id: r.try_get_by_index(3)?,
        org_unit_name: r.try_get_by_index(4)?,
        industry: from_code(&industry, "industry")?,
        account_manager_id: r.try_get_by_index(6)?,
        account_manager_name: r.try_get_by_index(7)?,
        director_id: r.try_get_by_index(8)?,
        director_name: r.try_get_by_index(9)?,
        leader_id: r.try_get_by_index(10)?,
        leader_name: r.try_get_by_index(11)?,
        stage: from_code(&stage, "pipeline stage")?,
        lost_reason: r.try_get_by_index(13)?,
        est_monthly_demand_t: r.try_get_by_index(14)?,
        previous_channel: r.try_get_by_index(15)?,
        source: r.try_get_by_index(16)?,
        created_at: r.try_get_by_index(17)?,
        stage_changed_at: r.try_get_by_index(18)?,
        won_at: r.try_get_by_index(19)?,
        first_order_no: r.try_get_by_index(20)?,
        realised_t: kg as f64 / 1000.0,
    })
}

/// Closes what conversion closes, for the clients of `orders` that have an open pipeline: the
/// pipeline becomes `won` (its first order noted) and the client's active visit tasks raised
/// while it was a prospect (dynamic-class and custom-plan visits) close with the order as their
/// evidence. Runs inside the order batch's transaction, so both happen or neither. Returns the
/// clients converted.
pub(crate) async fn convert_prospects<C: ConnectionTrait>(
    db: &C,
    orders: &[&SalesOrder],
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, StoreError> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    // The earliest order of each client in the batch.
    let mut first: HashMap<Uuid, &SalesOrder> = HashMap::new();
    for o in orders {
        let entry = first.entry(o.client_id).or_insert(o);
        if (o.order_date, &o.order_no) < (entry.order_date, &entry.order_no) {
            *entry = o;
        }
    }
    let clients: Vec<Uuid> = first.keys().copied().collect();
    let mut converted = Vec::new();
    for chunk in clients.chunks(500) {
        let mut sql = Sql::new(backend);
        sql.push("SELECT client_id FROM prospects WHERE stage <> ")
            .bind(PipelineStage::Won.code())
            .push(" AND client_id IN ")
            .bind_list(chunk);
        for r in db.query_all(sql.build()).await? {
            converted.push(r.try_get_by_index::<Uuid>(0)?);
        }
    }
    for client in &converted {
        let order = first[client];
        let mut sql = Sql::new(backend);
        sql.push("UPDATE prospects SET stage = ")
            .bind(PipelineStage::Won.code())
            .push(", won_at = ")
            .bind(now)
            .push(", stage_changed_at = ")
            .bind(now)
            .push(", first_order_no = ")
            .bind(order.order_no.clone())
            .push(" WHERE client_id = ")
            .bind(*client);
        db.execute(sql.build()).await?;
        let mut sql = Sql::new(backend);
        sql.push("UPDATE tasks SET status = ")
            .bind(TaskStatus::Closed.code())
            .push(", evidence_kind = ")
            .bind(EvidenceKind::Order.code())
            .push(", evidence_id = ")
            .bind(order.id)
            .push(", closed_at = ")
            .bind(now)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE client_id = ")
            .bind(*client)
            .push(" AND kind = ")
            .bind(TaskKind::Visit.code())
            .push(" AND source IN ")
            .bind_list(&[
                TaskSource::DynamicClass.code(),
                TaskSource::CustomPlan.code(),
            ])
            .push(" AND status IN ")
            .bind_list(&[
                TaskStatus::Open.code(),
                TaskStatus::CheckedIn.code(),
                TaskStatus::Reviewed.code(),
            ]);
        db.execute(sql.build()).await?;
    }
    Ok(converted)
}

impl Store {
    /// One prospect, if its client is in `scope`.
    pub async fn prospect(
        &self,
        client_id: Uuid,
        scope: &DataScope,
    ) -> Result<Option<Prospect>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT ")
            .push(PROSPECT_COLUMNS)
            .push(PROSPECT_FROM)
            .push(" WHERE p.client_id = ")
            .bind(client_id);
        sql.scope("c", scope);
        match self.db.query_one(sql.build()).await? {
            Some(r) => Ok(Some(prospect_row(&r)?)),
            None => Ok(None),
        }
    }

    /// Prospects in `scope` by `filter`, newest first, with the total.
    pub async fn list_prospects(
        &self,
        filter: &ProspectFilter,
        scope: &DataScope,
    ) -> Result<(Vec<Prospect>, u64), StoreError> {
        let conditions = |sql: &mut Sql| {
            sql.push(" WHERE 1 = 1");
            sql.scope("c", scope);
            if let Some(s) = filter.stage {
                sql.push(" AND p.stage = ").bind(s.code());
            }
            if filter.open {
                sql.push(" AND p.stage NOT IN ")
                    .bind_list(&[PipelineStage::Won.code(), PipelineStage::Lost.code()]);
            }
            if let Some(u) = filter.responsible {
                sql.push(" AND (c.account_manager_id = ")
                    .bind(u)
                    .push(" OR p.director_id = ")
                    .bind(u)
                    .push(" OR p.leader_id = ")
                    .bind(u)
                    .push(")");
            }
            if let Some(q) = &filter.q {
                sql.push(" AND c.name LIKE ").bind(format!("%{q}%"));
            }
        };
        let mut count = Sql::new(self.backend());
        count.push("SELECT COUNT(*)").push(PROSPECT_FROM);
        conditions(&mut count);
        let total: i64 = match self.db.query_one(count.build()).await? {
            Some(r) => r.try_get_by_index(0)?,
            None => 0,
        };
        let per_page = filter.per_page.max(1);
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT ")
            .push(PROSPECT_COLUMNS)
            .push(PROSPECT_FROM);
        conditions(&mut sql);
        sql.push(" ORDER BY p.created_at DESC, c.id LIMIT ")
            .bind(per_page as i64)
            .push(" OFFSET ")
            .bind((filter.page.saturating_sub(1) * per_page) as i64);
        let items = self
            .db
            .query_all(sql.build())
            .await?
            .iter()
            .map(prospect_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, u64::try_from(total).unwrap_or(0)))
    }

    /// Moves a prospect from `expected` to `to` (with the reason for lost) and records the audit
    /// entry; `false` when it is no longer at `expected`.
    pub async fn set_prospect_stage(
        &self,
        client_id: Uuid,
        expected: PipelineStage,
        to: PipelineStage,
        reason: Option<&str>,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("UPDATE prospects SET stage = ")
            .bind(to.code())
            .push(", lost_reason = ")
            .bind(reason.map(str::to_owned))
            .push(", stage_changed_at = ")
            .bind(now)
            .push(" WHERE client_id = ")
            .bind(client_id)
            .push(" AND stage = ")
            .bind(expected.code());
        let txn = self.db.begin().await?;
        if txn.execute(sql.build()).await?.rows_affected() != 1 {
            return Ok(false);
        }
        insert_audit(&txn, audit).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Gives every client without an order and without a pipeline one (the demo's prospects):
    /// a stage spread by its id (a few given up on price), an estimated demand of 10–59 t a
    /// month, entered when the client was. Returns how many.
    pub async fn seed_demo_prospects(&self) -> Result<usize, StoreError> {
        let rows = self
            .db
            .query_all(sea_orm::Statement::from_string(
                self.backend(),
                "SELECT c.id, c.created_at FROM clients c WHERE NOT EXISTS \
                 (SELECT 1 FROM sales_orders s WHERE s.client_id = c.id) AND NOT EXISTS \
                 (SELECT 1 FROM prospects p WHERE p.client_id = c.id)",
            ))
            .await?;
        let txn = self.db.begin().await?;
        for r in &rows {
            let id: Uuid = r.try_get_by_index(0)?;
            let created: DateTime<Utc> = r.try_get_by_index(1)?;
            let key = id.as_u128();
            let stage = [
                PipelineStage::Identified,
                PipelineStage::Identified,
                PipelineStage::Contacted,
                PipelineStage::Contacted,
                PipelineStage::Negotiating,
                PipelineStage::Lost,
            ][(key % 6) as usize];
            let pipeline = ProspectRow {
                director_id: None,
                leader_id: None,
                est_monthly_demand_t: 10.0 + (key >> 8) as f64 % 50.0,
                previous_channel: Some(
                    ["民营加油站", "社会油库", "中石化", "其他供应商"][((key >> 16) % 4) as usize]
                        .to_owned(),
                ),
                source: Some("2026 年市场调查".to_owned()),
            };
            insert_prospect_row(&txn, id, &pipeline, created).await?;
            if stage != PipelineStage::Identified {
                let mut sql = Sql::new(self.backend());
                sql.push("UPDATE prospects SET stage = ")
                    .bind(stage.code())
                    .push(", lost_reason = ")
                    .bind((stage == PipelineStage::Lost).then(|| "价格无优势".to_owned()))
                    .push(" WHERE client_id = ")
                    .bind(id);
                txn.execute(sql.build()).await?;
            }
        }
        txn.commit().await?;
        Ok(rows.len())
    }

    /// The clients registered in county `org_unit_id`, with whether each is a prospect still:
    /// the candidates of a duplicate-name check.
    pub async fn names_in_unit(
        &self,
        org_unit_id: Uuid,
    ) -> Result<Vec<(Uuid, String, bool)>, StoreError> {
        self.named_clients("c.org_unit_id", org_unit_id.into())
            .await
    }

    /// The client holding `uscc`, with its name and whether it is a prospect still.
    pub async fn client_by_uscc(
        &self,
        uscc: &str,
    ) -> Result<Option<(Uuid, String, bool)>, StoreError> {
        Ok(self
            .named_clients("c.uscc", uscc.to_owned().into())
            .await?
            .into_iter()
            .next())
    }

    /// (id, name, a prospect still) of the clients whose `column` equals `value`.
    async fn named_clients(
        &self,
        column: &str,
        value: Value,
    ) -> Result<Vec<(Uuid, String, bool)>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT c.id, c.name, CASE WHEN p.client_id IS NOT NULL AND p.stage <> 'won' \
             THEN 1 ELSE 0 END FROM clients c LEFT JOIN prospects p ON p.client_id = c.id \
             WHERE ",
        )
        .push(column)
        .push(" = ")
        .bind(value);
        self.db
            .query_all(sql.build())
            .await?
            .iter()
            .map(|r| {
                let prospect: i32 = r.try_get_by_index(2)?;
                Ok((
                    r.try_get_by_index(0)?,
                    r.try_get_by_index(1)?,
                    prospect == 1,
                ))
            })
            .collect()
    }

    /// The facts of the prospects in `scope` entered on `from..=to` (China dates), with the
    /// county they are registered in (the caller maps it to the unit it reports by).
    pub async fn funnel_facts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        scope: &DataScope,
    ) -> Result<Vec<FunnelFact>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT ")
            .push(PROSPECT_COLUMNS)
            .push(PROSPECT_FROM)
            .push(" WHERE p.created_at >= ")
            .bind(domain::china_day_start(from))
            .push(" AND p.created_at < ")
            .bind(domain::china_day_start(to + chrono::Days::new(1)));
        sql.scope("c", scope);
        self.db
            .query_all(sql.build())
            .await?
            .iter()
            .map(|r| {
                let p = prospect_row(r)?;
                Ok(FunnelFact {
                    org_unit_id: p.org_unit_id,
                    org_unit_name: p.org_unit_name,
                    stage: p.stage,
                    created_at: p.created_at,
                    won_at: p.won_at,
                    est_monthly_demand_t: p.est_monthly_demand_t,
                    realised_t: p.realised_t,
                })
            })
            .collect()
    }
}
