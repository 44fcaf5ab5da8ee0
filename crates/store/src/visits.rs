//! Visits: photos, check-ins (idempotent per user and key) with what they do to their task,
//! and review comments with what they do to the task.

use crate::audit::insert_audit;
use crate::entity::{task_assignees, tasks};
use crate::sql::Sql;
use crate::tasks::{insert_tasks, NewTask};
use crate::{from_code, to_json, Store, StoreError};
use chrono::{DateTime, Utc};
use domain::audit::AuditEntry;
use domain::checkin::{CheckInAssessment, VisitRecord};
use domain::geo::GeoPoint;
use domain::org::{DataScope, Role};
use domain::task::{EvidenceKind, TaskKind, TaskStatus};
use domain::visit::{StopClient, Visit, VisitComment};
use sea_orm::sea_query::{Alias, Expr, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryResult, TransactionTrait, Value,
};
use std::collections::HashMap;
use uuid::Uuid;

/// A check-in about to be stored, with the server's assessment.
#[derive(Debug, Clone)]
pub struct NewVisit {
    /// Identifier.
    pub id: Uuid,
    /// Who checked in.
    pub user_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// The task it answers.
    pub task_id: Option<Uuid>,
    /// The phone's key.
    pub idempotency_key: String,
    /// Hash of the request's content, to tell a replay from a different check-in.
    pub request_hash: String,
    /// Phone clock at the check-in.
    pub device_time: DateTime<Utc>,
    /// Phone clock at sending.
    pub sent_at: Option<DateTime<Utc>>,
    /// Server clock at receipt.
    pub received_at: DateTime<Utc>,
    /// Position.
    pub position: GeoPoint,
    /// Accuracy, metres.
    pub accuracy_m: f64,
    /// Assessment.
    pub assessment: CheckInAssessment,
    /// Record.
    pub record: VisitRecord,
    /// Photos.
    pub photo_ids: Vec<Uuid>,
}

/// An uploaded visit photo.
#[derive(Debug, Clone)]
pub struct NewPhoto<'a> {
    /// Identifier.
    pub id: Uuid,
    /// Who uploaded it.
    pub user_id: Uuid,
    /// `image/jpeg` or `image/png`.
    pub content_type: &'a str,
    /// Bytes.
    pub size: u64,
    /// SHA-256 of the bytes, hex.
    pub sha256: &'a str,
    /// Its key in the file store.
    pub key: &'a str,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// What a check-in needs before it is stored; see [`Store::check_in_context`].
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInContext {
    /// The client's name.
    pub client_name: String,
    /// Its registered location (WGS-84), if it has one.
    pub location: Option<GeoPoint>,
    /// The visit already stored under the same key by the same user, with its request hash.
    pub earlier: Option<(Uuid, String)>,
}

/// What storing a check-in did.
#[derive(Debug, Clone, PartialEq)]
pub enum VisitSaved {
    /// Stored now.
    Created(Uuid),
    /// The key was already used by this user: the earlier visit and its content hash.
    Existing {
        /// The earlier visit.
        id: Uuid,
        /// Its request hash.
        request_hash: String,
    },
}

/// Filters of the visit list.
#[derive(Debug, Clone, Default)]
pub struct VisitFilter {
    /// Only this user's visits.
    pub user_id: Option<Uuid>,
    /// Only this client's.
    pub client_id: Option<Uuid>,
    /// Only visits without a review comment.
    pub unreviewed: bool,
    /// Only visits received before this instant (the review queue's "older than N days").
    pub received_before: Option<DateTime<Utc>>,
    /// Only visits by people of these roles.
    pub author_roles: Option<Vec<Role>>,
    /// Page from 1.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
}

/// A client the weekly dynamic-visit job considers.
#[derive(Debug, Clone)]
pub struct DynamicVisitCandidate {
    /// The client.
    pub client_id: Uuid,
    /// Its org unit.
    pub org_unit_id: Uuid,
    /// Its account manager.
    pub account_manager_id: Uuid,
    /// Class.
    pub class: domain::classification::ClientClass,
    /// Grade A.
    pub grade_a: bool,
    /// Key client.
    pub key_client: bool,
    /// The class sentence, Chinese.
    pub sentence_zh: String,
    /// The class sentence, English.
    pub sentence_en: String,
    /// Expected volume at risk, tonnes.
    pub volume_at_risk_t: f64,
}

/// A visit's author and task, for a review.
#[derive(Debug, Clone)]
pub struct VisitForReview {
    /// The visit.
    pub id: Uuid,
    /// Its author.
    pub user_id: Uuid,
    /// The author's role.
    pub user_role: Role,
    /// The client.
    pub client_id: Uuid,
    /// The task it answers.
    pub task_id: Option<Uuid>,
}

const VISIT_COLUMNS: &str = "v.id, v.idempotency_key, v.client_id, c.name, v.task_id, v.user_id, \
    u.display_name, v.device_time, v.received_at, v.lat, v.lon, v.accuracy_m, v.distance_m, \
    v.allowed_m, v.verdict, v.clock_skew_s, v.clock_flag, v.purpose, v.outcome, v.next_step, \
    v.competitor_seen, v.price_gap, v.churn_reason, v.photo_ids, v.reviewed_at, v.sent_at";

const VISIT_FROM: &str =
    " FROM visits v JOIN clients c ON c.id = v.client_id JOIN users u ON u.id = v.user_id";

fn visit_row(r: &QueryResult) -> Result<Visit, StoreError> {
    let verdict: String = r.try_get_by_index(14)?;
    let churn: Option<String> = r.try_get_by_index(22)?;
    let photos: serde_json::Value = r.try_get_by_index(23)?;
    Ok(Visit {
        id: r.try_get_by_index(0)?,
        idempotency_key: r.try_get_by_index(1)?,
        client_id: r.try_get_by_index(2)?,
        client_name: r.try_get_by_index(3)?,
        task_id: r.try_get_by_index(4)?,
        user_id: r.try_get_by_index(5)?,
        user_name: r.try_get_by_index(6)?,
        device_time: r.try_get_by_index(7)?,
        sent_at: r.try_get_by_index(25)?,
        received_at: r.try_get_by_index(8)?,
        position: GeoPoint {
            lat: r.try_get_by_index(9)?,
            lon: r.try_get_by_index(10)?,
        },
        accuracy_m: r.try_get_by_index(11)?,
        assessment: CheckInAssessment {
            distance_m: r.try_get_by_index(12)?,
            allowed_m: r.try_get_by_index(13)?,
            verdict: from_code(&verdict, "visit verdict")?,
            clock_skew_s: r.try_get_by_index(15)?,
            clock_flag: r.try_get_by_index(16)?,
        },
        record: VisitRecord {
            purpose: r.try_get_by_index(17)?,
            outcome: r.try_get_by_index(18)?,
            next_step: r.try_get_by_index(19)?,
            competitor_seen: r.try_get_by_index(20)?,
            price_gap_yuan_per_t: r.try_get_by_index(21)?,
            churn_reason: churn.map(|c| from_code(&c, "churn reason")).transpose()?,
        },
        photo_ids: serde_json::from_value(photos)
            .map_err(|e| StoreError::Corrupt(format!("visit photos: {e}")))?,
        reviewed_at: r.try_get_by_index(24)?,
        comments: Vec::new(),
    })
}

pub(crate) fn insert_row(
    table: &str,
    columns: &[&str],
    values: Vec<SimpleExpr>,
) -> Result<sea_orm::sea_query::InsertStatement, StoreError> {
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(table))
        .columns(columns.iter().map(|c| Alias::new(*c)))
        .values(values)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(insert)
}

impl Store {
    /// Records an uploaded photo (the bytes are already in the file store under its key).
    pub async fn save_visit_photo(&self, p: &NewPhoto<'_>) -> Result<(), StoreError> {
        let insert = insert_row(
            "visit_photos",
            &[
                "id",
                "user_id",
                "content_type",
                "size_bytes",
                "sha256",
                "storage_key",
                "created_at",
            ],
            vec![
                p.id.into(),
                p.user_id.into(),
                p.content_type.into(),
                (p.size as i64).into(),
                p.sha256.into(),
                p.key.into(),
                p.created_at.into(),
            ],
        )?;
        self.db.execute(self.backend().build(&insert)).await?;
        Ok(())
    }

    /// Of `ids`, those that are photos uploaded by `user_id`.
    pub async fn own_visit_photos(
        &self,
        user_id: Uuid,
        ids: &[Uuid],
    ) -> Result<Vec<Uuid>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT id FROM visit_photos WHERE user_id = ")
            .bind(user_id)
            .push(" AND id IN ")
            .bind_list(ids);
        self.db
            .query_all(sql.build())
            .await?
            .iter()
            .map(|r| Ok(r.try_get_by_index(0)?))
            .collect()
    }

    /// A photo's content type and storage key, if it belongs to a visit or a service ticket in
    /// `scope` or was uploaded by `user_id`.
    pub async fn visit_photo(
        &self,
        id: Uuid,
        scope: &DataScope,
        user_id: Uuid,
    ) -> Result<Option<(String, String)>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT p.content_type, p.storage_key, p.user_id FROM visit_photos p WHERE p.id = ",
        )
        .bind(id);
        let Some(row) = self.db.query_one(sql.build()).await? else {
            return Ok(None);
        };
        let owner: Uuid = row.try_get_by_index(2)?;
        let found = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        if owner == user_id {
            return Ok(Some(found));
        }
        // Visible when some visit or service ticket in scope lists it.
        let needle = format!("%{id}%");
        for table in ["visits", "tickets"] {
            let mut sql = Sql::new(self.backend());
            sql.push("SELECT COUNT(*) FROM ")
                .push(table)
                .push(" v JOIN clients c ON c.id = v.client_id WHERE ");
            match self.backend() {
                sea_orm::DbBackend::Postgres => sql.push("v.photo_ids::text LIKE "),
                _ => sql.push("v.photo_ids LIKE "),
            };
            sql.bind(needle.clone()).scope("c", scope);
            let n: i64 = match self.db.query_one(sql.build()).await? {
                Some(r) => r.try_get_by_index(0)?,
                None => 0,
            };
            if n > 0 {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// What a check-in needs to know before it is stored, in one query (the hot path): the
    /// client's name and registered location if it is in `scope`, and the visit this user
    /// already recorded under `key` with its request hash. `None` when the client is not
    /// found or out of scope.
    pub async fn check_in_context(
        &self,
        client_id: Uuid,
        scope: &DataScope,
        user_id: Uuid,
        key: &str,
    ) -> Result<Option<CheckInContext>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT c.name, c.lat, c.lon, v.id, v.request_hash FROM clients c \
             LEFT JOIN visits v ON v.user_id = ",
        )
        .bind(user_id)
        .push(" AND v.idempotency_key = ")
        .bind(key.to_owned())
        .push(" WHERE c.id = ")
        .bind(client_id);
        sql.scope("c", scope);
        let Some(r) = self.db.query_one(sql.build()).await? else {
            return Ok(None);
        };
        let (lat, lon): (Option<f64>, Option<f64>) =
            (r.try_get_by_index(1)?, r.try_get_by_index(2)?);
        let id: Option<Uuid> = r.try_get_by_index(3)?;
        let hash: Option<String> = r.try_get_by_index(4)?;
        Ok(Some(CheckInContext {
            client_name: r.try_get_by_index(0)?,
            location: lat.zip(lon).map(|(lat, lon)| GeoPoint { lat, lon }),
            earlier: id.zip(hash),
        }))
    }

    /// Stores a check-in and moves its task from open to checked in, with the audit entry, in
    /// one transaction. A key this user already used returns the earlier visit instead; the
    /// unique index decides, so two copies racing each other store one (the caller has looked
    /// the key up already, so a replay costs no insert attempt in the usual case).
    pub async fn save_visit(
        &self,
        v: &NewVisit,
        audit: &AuditEntry,
    ) -> Result<VisitSaved, StoreError> {
        let backend = self.backend();
        let txn = self.db.begin().await?;
        let a = &v.assessment;
        let insert = insert_row(
            "visits",
            &[
                "id",
                "user_id",
                "client_id",
                "task_id",
                "idempotency_key",
                "request_hash",
                "device_time",
                "received_at",
                "lat",
                "lon",
                "accuracy_m",
                "distance_m",
                "allowed_m",
                "verdict",
                "clock_skew_s",
                "clock_flag",
                "purpose",
                "outcome",
                "next_step",
                "competitor_seen",
                "price_gap",
                "churn_reason",
                "photo_ids",
                "reviewed_at",
                "sent_at",
            ],
            vec![
                v.id.into(),
                v.user_id.into(),
                v.client_id.into(),
                v.task_id.into(),
                v.idempotency_key.clone().into(),
                v.request_hash.clone().into(),
                v.device_time.into(),
                v.received_at.into(),
                v.position.lat.into(),
                v.position.lon.into(),
                v.accuracy_m.into(),
                a.distance_m.into(),
                a.allowed_m.into(),
                a.verdict.code().into(),
                a.clock_skew_s.into(),
                a.clock_flag.into(),
                v.record.purpose.clone().into(),
                v.record.outcome.clone().into(),
                v.record.next_step.clone().into(),
                v.record.competitor_seen.clone().into(),
                v.record.price_gap_yuan_per_t.into(),
                v.record.churn_reason.map(|c| c.code().to_owned()).into(),
                Value::Json(Some(Box::new(to_json(&v.photo_ids)))).into(),
                Option::<DateTime<Utc>>::None.into(),
                v.sent_at.into(),
            ],
        )?;
        if let Err(e) = txn.execute(backend.build(&insert)).await {
            drop(txn);
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) {
                if let Some((id, request_hash)) =
                    self.visit_by_key(v.user_id, &v.idempotency_key).await?
                {
                    return Ok(VisitSaved::Existing { id, request_hash });
                }
            }
            return Err(e.into());
        }
        if let Some(task) = v.task_id {
            tasks::Entity::update_many()
                .col_expr(
                    tasks::Column::Status,
                    Expr::value(TaskStatus::CheckedIn.code()),
                )
                .col_expr(tasks::Column::UpdatedAt, Expr::value(v.received_at))
                .filter(tasks::Column::Id.eq(task))
                .filter(tasks::Column::Status.eq(TaskStatus::Open.code()))
                .exec(&txn)
                .await?;
        }
        insert_audit(&txn, audit).await?;
        txn.commit().await?;
        Ok(VisitSaved::Created(v.id))
    }

    /// The visit this user already recorded under `key`, with its request hash.
    pub async fn visit_by_key(
        &self,
        user_id: Uuid,
        key: &str,
    ) -> Result<Option<(Uuid, String)>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT id, request_hash FROM visits WHERE user_id = ")
            .bind(user_id)
            .push(" AND idempotency_key = ")
            .bind(key.to_owned());
        Ok(match self.db.query_one(sql.build()).await? {
            Some(r) => Some((r.try_get_by_index(0)?, r.try_get_by_index(1)?)),
            None => None,
        })
    }

    /// One visit with its comments, if its client is in `scope` or `user_id` made it.
    pub async fn visit(
        &self,
        id: Uuid,
        scope: &DataScope,
        user_id: Uuid,
    ) -> Result<Option<Visit>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT ")
            .push(VISIT_COLUMNS)
            .push(VISIT_FROM)
            .push(" WHERE v.id = ")
            .bind(id)
            .push(" AND (v.user_id = ")
            .bind(user_id)
            .push(" OR (1 = 1");
        sql.scope("c", scope).push("))");
        let Some(row) = self.db.query_one(sql.build()).await? else {
            return Ok(None);
        };
        let mut visit = visit_row(&row)?;
        visit.comments = self
            .visit_comments(&[visit.id])
            .await?
            .remove(&visit.id)
            .unwrap_or_default();
        Ok(Some(visit))
    }

    async fn visit_comments(
        &self,
        visits: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<VisitComment>>, StoreError> {
        let mut out: HashMap<Uuid, Vec<VisitComment>> = HashMap::new();
        if visits.is_empty() {
            return Ok(out);
        }
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT m.id, m.visit_id, m.author_id, u.display_name, m.body, m.follow_up_task_id, \
             m.created_at FROM visit_comments m JOIN users u ON u.id = m.author_id \
             WHERE m.visit_id IN ",
        )
        .bind_list(visits)
        .push(" ORDER BY m.created_at, m.id");
        for r in self.db.query_all(sql.build()).await? {
            let comment = VisitComment {
                id: r.try_get_by_index(0)?,
                visit_id: r.try_get_by_index(1)?,
                author_id: r.try_get_by_index(2)?,
                author_name: r.try_get_by_index(3)?,
                body: r.try_get_by_index(4)?,
                follow_up_task_id: r.try_get_by_index(5)?,
                created_at: r.try_get_by_index(6)?,
            };
            out.entry(comment.visit_id).or_default().push(comment);
        }
        Ok(out)
    }

    /// Visits of clients in `scope` (or made by `filter.user_id`), newest first, with the total.
    pub async fn list_visits(
        &self,
        filter: &VisitFilter,
        scope: &DataScope,
    ) -> Result<(Vec<Visit>, u64), StoreError> {
        let conditions = |sql: &mut Sql| {
            sql.push(" WHERE 1 = 1");
            sql.scope("c", scope);
            if let Some(user) = filter.user_id {
                sql.push(" AND v.user_id = ").bind(user);
            }
            if let Some(client) = filter.client_id {
                sql.push(" AND v.client_id = ").bind(client);
            }
            if filter.unreviewed {
                sql.push(" AND v.reviewed_at IS NULL");
            }
            if let Some(before) = filter.received_before {
                sql.push(" AND v.received_at < ").bind(before);
            }
            if let Some(roles) = &filter.author_roles {
                let codes: Vec<String> = roles.iter().map(|r| r.code().to_owned()).collect();
                sql.push(" AND u.role IN ").bind_list(&codes);
            }
        };
        let mut count = Sql::new(self.backend());
        count.push("SELECT COUNT(*)").push(VISIT_FROM);
        conditions(&mut count);
        let total: i64 = match self.db.query_one(count.build()).await? {
            Some(r) => r.try_get_by_index(0)?,
            None => 0,
        };
        let per_page = filter.per_page.max(1);
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT ").push(VISIT_COLUMNS).push(VISIT_FROM);
        conditions(&mut sql);
        sql.push(" ORDER BY v.received_at DESC, v.id DESC LIMIT ")
            .bind(per_page as i64)
            .push(" OFFSET ")
            .bind((filter.page.saturating_sub(1) * per_page) as i64);
        let mut items = self
            .db
            .query_all(sql.build())
            .await?
            .iter()
            .map(visit_row)
            .collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<Uuid> = items.iter().map(|v| v.id).collect();
        let mut comments = self.visit_comments(&ids).await?;
        for v in &mut items {
            v.comments = comments.remove(&v.id).unwrap_or_default();
        }
        Ok((items, u64::try_from(total).unwrap_or(0)))
    }

    /// The visit's author, role, client and task, if its client is in `scope`.
    pub async fn visit_for_review(
        &self,
        id: Uuid,
        scope: &DataScope,
    ) -> Result<Option<VisitForReview>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT v.id, v.user_id, u.role, v.client_id, v.task_id FROM visits v \
             JOIN clients c ON c.id = v.client_id JOIN users u ON u.id = v.user_id WHERE v.id = ",
        )
        .bind(id);
        sql.scope("c", scope);
        let Some(r) = self.db.query_one(sql.build()).await? else {
            return Ok(None);
        };
        let role: String = r.try_get_by_index(2)?;
        Ok(Some(VisitForReview {
            id: r.try_get_by_index(0)?,
            user_id: r.try_get_by_index(1)?,
            user_role: from_code(&role, "role")?,
            client_id: r.try_get_by_index(3)?,
            task_id: r.try_get_by_index(4)?,
        }))
    }

    /// Adds a review comment in one transaction: marks the visit reviewed, raises the
    /// follow-up task if asked, and moves the visit's task on — to `closed` with the visit as
    /// its evidence, or to `reviewed` when a follow-up carries the work on.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_visit_comment(
        &self,
        visit: &VisitForReview,
        comment_id: Uuid,
        author_id: Uuid,
        body: &str,
        follow_up: Option<&NewTask>,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let backend = self.backend();
        let txn = self.db.begin().await?;
        if let Some(task) = follow_up {
            insert_tasks(&txn, std::slice::from_ref(task)).await?;
        }
        let insert = insert_row(
            "visit_comments",
            &[
                "id",
                "visit_id",
                "author_id",
                "body",
                "follow_up_task_id",
                "created_at",
            ],
            vec![
                comment_id.into(),
                visit.id.into(),
                author_id.into(),
                body.into(),
                follow_up.map(|t| t.id).into(),
                now.into(),
            ],
        )?;
        txn.execute(backend.build(&insert)).await?;
        let mut sql = Sql::new(backend);
        sql.push("UPDATE visits SET reviewed_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(visit.id)
            .push(" AND reviewed_at IS NULL");
        txn.execute(sql.build()).await?;
        if let Some(task) = visit.task_id {
            let active = [TaskStatus::CheckedIn, TaskStatus::Reviewed].map(|s| s.code());
            let mut update = tasks::Entity::update_many()
                .col_expr(tasks::Column::UpdatedAt, Expr::value(now))
                .filter(tasks::Column::Id.eq(task))
                .filter(tasks::Column::Status.is_in(active));
            update = if follow_up.is_some() {
                update.col_expr(
                    tasks::Column::Status,
                    Expr::value(TaskStatus::Reviewed.code()),
                )
            } else {
                update
                    .col_expr(
                        tasks::Column::Status,
                        Expr::value(TaskStatus::Closed.code()),
                    )
                    .col_expr(
                        tasks::Column::EvidenceKind,
                        Expr::value(EvidenceKind::Visit.code()),
                    )
                    .col_expr(tasks::Column::EvidenceId, Expr::value(visit.id))
                    .col_expr(tasks::Column::ClosedAt, Expr::value(now))
            };
            update.exec(&txn).await?;
        }
        insert_audit(&txn, audit).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Whether `user_id` is among the people responsible for `task_id`, and the task's kind,
    /// client and status.
    pub async fn task_for_check_in(
        &self,
        task_id: Uuid,
        user_id: Uuid,
    ) -> Result<Option<(TaskKind, Uuid, TaskStatus, bool)>, StoreError> {
        let Some(task) = tasks::Entity::find_by_id(task_id).one(&self.db).await? else {
            return Ok(None);
        };
        let assigned = task_assignees::Entity::find()
            .filter(task_assignees::Column::TaskId.eq(task_id))
            .filter(task_assignees::Column::UserId.eq(user_id))
            .one(&self.db)
            .await?
            .is_some();
        Ok(Some((
            from_code(&task.kind, "task kind")?,
            task.client_id,
            from_code(&task.status, "task status")?,
            assigned,
        )))
    }

    /// Name, address, location and current class of clients, by id.
    pub async fn stop_clients(
        &self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, StopClient>, StoreError> {
        let mut out = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT c.id, c.name, c.address, c.lat, c.lon, i.class FROM clients c \
             LEFT JOIN client_intel i ON i.client_id = c.id WHERE c.id IN ",
        )
        .bind_list(ids);
        for r in self.db.query_all(sql.build()).await? {
            let (lat, lon): (Option<f64>, Option<f64>) =
                (r.try_get_by_index(3)?, r.try_get_by_index(4)?);
            let class: Option<String> = r.try_get_by_index(5)?;
            let client = StopClient {
                id: r.try_get_by_index(0)?,
                name: r.try_get_by_index(1)?,
                address: r.try_get_by_index(2)?,
                location: lat.zip(lon).map(|(lat, lon)| GeoPoint { lat, lon }),
                class: class.map(|c| from_code(&c, "class")).transpose()?,
            };
            out.insert(client.id, client);
        }
        Ok(out)
    }

    /// Every client whose current class gets a weekly visit (declining, at risk, churned,
    /// prospect), most expected volume at risk first.
    pub async fn dynamic_visit_candidates(&self) -> Result<Vec<DynamicVisitCandidate>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT i.client_id, c.org_unit_id, c.account_manager_id, i.class, i.grade, \
             i.key_client, i.sentence_zh, i.sentence_en, i.volume_at_risk_t FROM client_intel i \
             JOIN clients c ON c.id = i.client_id \
             WHERE i.class IN ('declining', 'at_risk', 'churned', 'prospect') \
             ORDER BY i.volume_at_risk_t DESC, i.client_id",
        );
        self.db
            .query_all(sql.build())
            .await?
            .iter()
            .map(|r| {
                let class: String = r.try_get_by_index(3)?;
                let grade: Option<String> = r.try_get_by_index(4)?;
                Ok(DynamicVisitCandidate {
                    client_id: r.try_get_by_index(0)?,
                    org_unit_id: r.try_get_by_index(1)?,
                    account_manager_id: r.try_get_by_index(2)?,
                    class: from_code(&class, "class")?,
                    grade_a: grade.as_deref() == Some(domain::grading::Grade::A.code()),
                    key_client: r.try_get_by_index(5)?,
                    sentence_zh: r.try_get_by_index(6)?,
                    sentence_en: r.try_get_by_index(7)?,
                    volume_at_risk_t: r.try_get_by_index(8)?,
                })
            })
            .collect()
    }

    /// The base (its org unit's office) of the user `user_id`, when the unit has one.
    pub async fn user_base(&self, user_id: Uuid) -> Result<Option<GeoPoint>, StoreError> {
        Ok(self.bases(Some(user_id)).await?.remove(&user_id))
    }

    /// Every user's base, by user (for planning every assignee at once).
    pub async fn user_bases(&self) -> Result<HashMap<Uuid, GeoPoint>, StoreError> {
        self.bases(None).await
    }

    async fn bases(&self, user_id: Option<Uuid>) -> Result<HashMap<Uuid, GeoPoint>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT u.id, o.base_lat, o.base_lon FROM users u JOIN org_units o \
             ON o.id = u.org_unit_id WHERE o.base_lat IS NOT NULL AND o.base_lon IS NOT NULL",
        );
        if let Some(id) = user_id {
            sql.push(" AND u.id = ").bind(id);
        }
        let mut out = HashMap::new();
        for r in self.db.query_all(sql.build()).await? {
            let id: Uuid = r.try_get_by_index(0)?;
            let lat: f64 = r.try_get_by_index(1)?;
            let lon: f64 = r.try_get_by_index(2)?;
            out.insert(id, GeoPoint { lat, lon });
        }
        Ok(out)
    }
}
