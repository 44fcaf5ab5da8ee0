//! Tasks: creation, escalation, listing and closing by evidence.

use crate::entity::{clients, documents, task_assignees, tasks, users};
use crate::{from_code, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use domain::archive::DocumentType;
use domain::org::DataScope;
use domain::task::{
    is_overdue, AssigneeLevel, EvidenceKind, Task, TaskAssignee, TaskEvidence, TaskKind,
    TaskSource, TaskStatus,
};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait,
    TransactionTrait,
};
use std::collections::HashMap;
use uuid::Uuid;

/// Stored codes of the active statuses (open, checked in, reviewed).
pub(crate) fn active_status_codes() -> Vec<&'static str> {
    TaskStatus::ALL
        .iter()
        .filter(|s| s.is_active())
        .map(|s| s.code())
        .collect()
}

/// The dedupe key of a renew-document task: one per (client, type, valid-to).
pub fn renew_dedupe_key(client_id: Uuid, doc_type: DocumentType, valid_to: NaiveDate) -> String {
    format!("renew:{client_id}:{}:{valid_to}", doc_type.code())
}

/// Closes the active renew-document tasks of a client's document type that a newly approved
/// document supersedes (its valid-to is later, or it is long-term), with that document as the
/// evidence. Runs on the caller's connection so approval and closing commit together.
/// Returns how many tasks closed.
pub async fn close_renew_tasks<C: ConnectionTrait>(
    conn: &C,
    client_id: Uuid,
    doc_type: DocumentType,
    new_valid_to: Option<NaiveDate>,
    document_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let candidates: Vec<(Uuid, Option<Uuid>)> = tasks::Entity::find()
        .select_only()
        .columns([tasks::Column::Id, tasks::Column::DocumentId])
        .filter(tasks::Column::ClientId.eq(client_id))
        .filter(tasks::Column::Kind.eq(TaskKind::RenewDocument.code()))
        .filter(tasks::Column::Status.is_in(active_status_codes()))
        .into_tuple()
        .all(conn)
        .await?;
    if candidates.is_empty() {
        return Ok(0);
    }
    let doc_ids: Vec<Uuid> = candidates.iter().filter_map(|(_, d)| *d).collect();
    let old_docs: Vec<(Uuid, String, Option<NaiveDate>)> = documents::Entity::find()
        .select_only()
        .columns([
            documents::Column::Id,
            documents::Column::DocType,
            documents::Column::ValidTo,
        ])
        .filter(documents::Column::Id.is_in(doc_ids))
        .into_tuple()
        .all(conn)
        .await?;
    let closing: Vec<Uuid> = candidates
        .into_iter()
        .filter(|(_, old)| {
            old_docs.iter().any(|(id, ty, old_to)| {
                Some(*id) == *old
                    && ty == doc_type.code()
                    && *id != document_id
                    && match (new_valid_to, old_to) {
                        (None, _) => true,
                        (Some(new), Some(old)) => new > *old,
                        (Some(_), None) => false,
                    }
            })
        })
        .map(|(id, _)| id)
        .collect();
    if closing.is_empty() {
        return Ok(0);
    }
    let result = tasks::Entity::update_many()
        .col_expr(
            tasks::Column::Status,
            Expr::value(TaskStatus::Closed.code()),
        )
        .col_expr(
            tasks::Column::EvidenceKind,
            Expr::value(EvidenceKind::Document.code()),
        )
        .col_expr(tasks::Column::EvidenceId, Expr::value(document_id))
        .col_expr(tasks::Column::ClosedAt, Expr::value(now))
        .col_expr(tasks::Column::UpdatedAt, Expr::value(now))
        .filter(tasks::Column::Id.is_in(closing))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// A task about to be created.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// Identifier.
    pub id: Uuid,
    /// Kind.
    pub kind: TaskKind,
    /// What raised it.
    pub source: TaskSource,
    /// The client.
    pub client_id: Uuid,
    /// Title, Chinese.
    pub title: String,
    /// Title, English.
    pub title_en: String,
    /// Detail, Chinese.
    pub detail: String,
    /// Detail, English.
    pub detail_en: String,
    /// Due date.
    pub due_date: NaiveDate,
    /// Reminder tier (renew-document tasks).
    pub tier: Option<String>,
    /// The document concerned.
    pub document_id: Option<Uuid>,
    /// One active task per key.
    pub dedupe_key: Option<String>,
    /// Responsible people.
    pub assignees: Vec<(Uuid, AssigneeLevel)>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A task that already exists under a dedupe key, for the jobs.
#[derive(Debug, Clone)]
pub struct KeyedTask {
    /// Identifier.
    pub id: Uuid,
    /// Status.
    pub status: TaskStatus,
    /// Tier.
    pub tier: Option<String>,
    /// Its assignees.
    pub assignees: Vec<Uuid>,
}

/// Filters of the task list.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Only this kind.
    pub kind: Option<TaskKind>,
    /// Only this status.
    pub status: Option<TaskStatus>,
    /// Only open tasks past their due date.
    pub overdue: bool,
    /// Only this client.
    pub client_id: Option<Uuid>,
    /// Only tasks assigned to this user.
    pub assignee: Option<Uuid>,
    /// Only active tasks (open, checked in or reviewed).
    pub active: bool,
    /// Only tasks due on or before this day.
    pub due_until: Option<NaiveDate>,
    /// Only tasks due on or after this day.
    pub due_from: Option<NaiveDate>,
    /// Only tasks raised by this rule or action.
    pub source: Option<TaskSource>,
    /// Page from 1.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
}

/// Inserts tasks and their assignees in the caller's transaction. A task whose dedupe key
/// already has an active task is skipped; returns how many were created.
///
/// The partial unique index on active dedupe keys decides, not a read before the write: two
/// job runs or two dispatches racing each other (or two server instances) then create each
/// task once, and the loser counts it as already open instead of failing.
pub async fn insert_tasks<C: ConnectionTrait>(
    conn: &C,
    new: &[NewTask],
) -> Result<u64, StoreError> {
    let mut seen = std::collections::HashSet::new();
    let fresh: Vec<&NewTask> = new
        .iter()
        .filter(|t| match &t.dedupe_key {
            Some(key) => seen.insert(key.clone()),
            None => true,
        })
        .collect();
    let mut created = 0;
    for chunk in fresh.chunks(200) {
        tasks::Entity::insert_many(chunk.iter().map(|t| tasks::ActiveModel {
            id: Set(t.id),
            kind: Set(t.kind.code().to_owned()),
            source: Set(t.source.code().to_owned()),
            client_id: Set(t.client_id),
            title: Set(t.title.clone()),
            title_en: Set(t.title_en.clone()),
            detail: Set(t.detail.clone()),
            detail_en: Set(t.detail_en.clone()),
            due_date: Set(t.due_date),
            status: Set(TaskStatus::Open.code().to_owned()),
            tier: Set(t.tier.clone()),
            document_id: Set(t.document_id),
            dedupe_key: Set(t.dedupe_key.clone()),
            evidence_kind: Set(None),
            evidence_id: Set(None),
            created_at: Set(t.created_at),
            updated_at: Set(t.created_at),
            closed_at: Set(None),
        }))
        // No conflict target: the only unique index a new row can hit is the partial one on
        // active dedupe keys, and naming a partial index's predicate portably is not possible.
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
        let inserted: std::collections::HashSet<Uuid> = tasks::Entity::find()
            .select_only()
            .column(tasks::Column::Id)
            .filter(tasks::Column::Id.is_in(chunk.iter().map(|t| t.id)))
            .into_tuple::<Uuid>()
            .all(conn)
            .await?
            .into_iter()
            .collect();
        created += inserted.len() as u64;
        let assignees: Vec<task_assignees::ActiveModel> = chunk
            .iter()
            .filter(|t| inserted.contains(&t.id))
            .flat_map(|t| {
                let mut seen_users = std::collections::HashSet::new();
                t.assignees
                    .iter()
                    .filter(move |(user, _)| seen_users.insert(*user))
                    .map(move |(user, level)| task_assignees::ActiveModel {
                        task_id: Set(t.id),
                        user_id: Set(*user),
                        level: Set(level.code().to_owned()),
                        added_at: Set(t.created_at),
                    })
            })
            .collect();
        if !assignees.is_empty() {
            task_assignees::Entity::insert_many(assignees)
                .exec_without_returning(conn)
                .await?;
        }
    }
    Ok(created)
}

/// Adds people to a task (escalation) and sets its tier, in the caller's transaction.
pub async fn escalate_task<C: ConnectionTrait>(
    conn: &C,
    task_id: Uuid,
    tier: Option<&str>,
    add: &[(Uuid, AssigneeLevel)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if !add.is_empty() {
        task_assignees::Entity::insert_many(add.iter().map(|(user, level)| {
            task_assignees::ActiveModel {
                task_id: Set(task_id),
                user_id: Set(*user),
                level: Set(level.code().to_owned()),
                added_at: Set(now),
            }
        }))
        .exec_without_returning(conn)
        .await?;
    }
    tasks::Entity::update_many()
        .col_expr(tasks::Column::Tier, Expr::value(tier.map(str::to_owned)))
        .col_expr(tasks::Column::UpdatedAt, Expr::value(now))
        .filter(tasks::Column::Id.eq(task_id))
        .exec(conn)
        .await?;
    Ok(())
}

impl crate::Store {
    /// Every task with a dedupe key starting with `prefix` (any status), by key.
    pub async fn keyed_tasks(
        &self,
        prefix: &str,
    ) -> Result<HashMap<String, KeyedTask>, StoreError> {
        let rows: Vec<(Uuid, Option<String>, String, Option<String>)> = tasks::Entity::find()
            .select_only()
            .columns([
                tasks::Column::Id,
                tasks::Column::DedupeKey,
                tasks::Column::Status,
                tasks::Column::Tier,
            ])
            .filter(tasks::Column::DedupeKey.starts_with(prefix))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut assignees: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
        for chunk in ids.chunks(1000) {
            let pairs: Vec<(Uuid, Uuid)> = task_assignees::Entity::find()
                .select_only()
                .columns([
                    task_assignees::Column::TaskId,
                    task_assignees::Column::UserId,
                ])
                .filter(task_assignees::Column::TaskId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.db)
                .await?;
            for (task, user) in pairs {
                assignees.entry(task).or_default().push(user);
            }
        }
        let mut out = HashMap::with_capacity(rows.len());
        for (id, key, status, tier) in rows {
            let Some(key) = key else { continue };
            let status: TaskStatus = from_code(&status, "task status")?;
            // An active task wins over closed ones with the same key.
            if out
                .get(&key)
                .is_some_and(|t: &KeyedTask| t.status.is_active())
            {
                continue;
            }
            out.insert(
                key,
                KeyedTask {
                    id,
                    status,
                    tier,
                    assignees: assignees.remove(&id).unwrap_or_default(),
                },
            );
        }
        Ok(out)
    }

    /// Inserts tasks (skipping active duplicates) with an audit entry; returns how many were
    /// created.
    pub async fn create_tasks(
        &self,
        new: &[NewTask],
        audit: Option<&domain::audit::AuditEntry>,
    ) -> Result<u64, StoreError> {
        let txn = self.db.begin().await?;
        let created = insert_tasks(&txn, new).await?;
        if let Some(entry) = audit {
            crate::audit::insert_audit(&txn, entry).await?;
        }
        txn.commit().await?;
        Ok(created)
    }

    /// Tasks visible in `scope` (by their client) or, with `filter.assignee`, assigned to that
    /// user; with the total.
    pub async fn list_tasks(
        &self,
        filter: &TaskFilter,
        scope: &DataScope,
        also_assigned_to: Option<Uuid>,
        today: NaiveDate,
    ) -> Result<(Vec<Task>, u64), StoreError> {
        let clients_in_scope = crate::clients::scoped(
            clients::Entity::find()
                .select_only()
                .column(clients::Column::Id),
            scope,
        )
        .into_query();
        let mut visible =
            Condition::any().add(tasks::Column::ClientId.in_subquery(clients_in_scope));
        if let Some(user) = also_assigned_to {
            visible = visible.add(tasks::Column::Id.in_subquery(assigned_to(user)));
        }
        let mut select = tasks::Entity::find().filter(visible);
        if let Some(user) = filter.assignee {
            select = select.filter(tasks::Column::Id.in_subquery(assigned_to(user)));
        }
        if let Some(kind) = filter.kind {
            select = select.filter(tasks::Column::Kind.eq(kind.code()));
        }
        if let Some(status) = filter.status {
            select = select.filter(tasks::Column::Status.eq(status.code()));
        }
        if filter.overdue {
            select = select
                .filter(tasks::Column::Status.eq(TaskStatus::Open.code()))
                .filter(tasks::Column::DueDate.lt(today));
        }
        if let Some(client) = filter.client_id {
            select = select.filter(tasks::Column::ClientId.eq(client));
        }
        if filter.active {
            select = select.filter(
                tasks::Column::Status.is_in(
                    [
                        TaskStatus::Open,
                        TaskStatus::CheckedIn,
                        TaskStatus::Reviewed,
                    ]
                    .map(|s| s.code()),
                ),
            );
        }
        if let Some(until) = filter.due_until {
            select = select.filter(tasks::Column::DueDate.lte(until));
        }
        if let Some(from) = filter.due_from {
            select = select.filter(tasks::Column::DueDate.gte(from));
        }
        if let Some(source) = filter.source {
            select = select.filter(tasks::Column::Source.eq(source.code()));
        }
        let paginator = select
            .order_by_asc(tasks::Column::DueDate)
            .order_by_asc(tasks::Column::Id)
            .paginate(&self.db, filter.per_page.max(1));
        let total = paginator.num_items().await?;
        let rows = paginator.fetch_page(filter.page.saturating_sub(1)).await?;
        Ok((self.to_tasks(rows, today).await?, total))
    }

    /// One task, if its client is in `scope` or it is assigned to `also_assigned_to`.
    pub async fn task(
        &self,
        id: Uuid,
        scope: &DataScope,
        also_assigned_to: Option<Uuid>,
        today: NaiveDate,
    ) -> Result<Option<Task>, StoreError> {
        let Some(row) = tasks::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        let in_scope = crate::clients::scoped(
            clients::Entity::find().filter(clients::Column::Id.eq(row.client_id)),
            scope,
        )
        .count(&self.db)
        .await?
            > 0;
        let assigned = match also_assigned_to {
            Some(user) => {
                task_assignees::Entity::find()
                    .filter(task_assignees::Column::TaskId.eq(id))
                    .filter(task_assignees::Column::UserId.eq(user))
                    .count(&self.db)
                    .await?
                    > 0
            }
            None => false,
        };
        if !in_scope && !assigned {
            return Ok(None);
        }
        Ok(self.to_tasks(vec![row], today).await?.pop())
    }

    /// Active tasks of a client, soonest due first.
    pub async fn open_tasks_of_client(
        &self,
        client_id: Uuid,
        today: NaiveDate,
    ) -> Result<Vec<Task>, StoreError> {
        let rows = tasks::Entity::find()
            .filter(tasks::Column::ClientId.eq(client_id))
            .filter(tasks::Column::Status.is_in(active_status_codes()))
            .order_by_asc(tasks::Column::DueDate)
            .all(&self.db)
            .await?;
        self.to_tasks(rows, today).await
    }

    /// Active tasks with one of these dedupe keys, by key.
    pub async fn active_tasks_by_key(
        &self,
        keys: &[String],
    ) -> Result<HashMap<String, Uuid>, StoreError> {
        let mut out = HashMap::new();
        for chunk in keys.chunks(500) {
            let rows: Vec<(Uuid, Option<String>)> = tasks::Entity::find()
                .select_only()
                .columns([tasks::Column::Id, tasks::Column::DedupeKey])
                .filter(tasks::Column::DedupeKey.is_in(chunk.iter().cloned()))
                .filter(tasks::Column::Status.is_in(active_status_codes()))
                .into_tuple()
                .all(&self.db)
                .await?;
            out.extend(
                rows.into_iter()
                    .filter_map(|(id, key)| key.map(|k| (k, id))),
            );
        }
        Ok(out)
    }

    async fn to_tasks(
        &self,
        rows: Vec<tasks::Model>,
        today: NaiveDate,
    ) -> Result<Vec<Task>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let client_ids: Vec<Uuid> = rows.iter().map(|r| r.client_id).collect();
        let names: HashMap<Uuid, String> = clients::Entity::find()
            .select_only()
            .columns([clients::Column::Id, clients::Column::Name])
            .filter(clients::Column::Id.is_in(client_ids))
            .into_tuple::<(Uuid, String)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        let assignee_rows: Vec<(Uuid, Uuid, String, DateTime<Utc>, String)> =
            task_assignees::Entity::find()
                .select_only()
                .columns([
                    task_assignees::Column::TaskId,
                    task_assignees::Column::UserId,
                    task_assignees::Column::Level,
                    task_assignees::Column::AddedAt,
                ])
                .column_as(users::Column::DisplayName, "name")
                .join(JoinType::InnerJoin, task_assignees::Relation::User.def())
                .filter(task_assignees::Column::TaskId.is_in(ids))
                .order_by_asc(task_assignees::Column::AddedAt)
                .into_tuple()
                .all(&self.db)
                .await?;
        let mut assignees: HashMap<Uuid, Vec<TaskAssignee>> = HashMap::new();
        for (task, user, level, added_at, name) in assignee_rows {
            assignees.entry(task).or_default().push(TaskAssignee {
                user_id: user,
                name,
                level: from_code(&level, "assignee level")?,
                added_at,
            });
        }
        for list in assignees.values_mut() {
            list.sort_by_key(|a| (a.level, a.added_at));
        }
        rows.into_iter()
            .map(|r| {
                let status: TaskStatus = from_code(&r.status, "task status")?;
                let evidence = match (r.evidence_kind, r.evidence_id, r.closed_at) {
                    (Some(kind), Some(id), Some(at)) => Some(TaskEvidence {
                        kind: from_code(&kind, "evidence kind")?,
                        id,
                        at,
                    }),
                    _ => None,
                };
                Ok(Task {
                    id: r.id,
                    kind: from_code(&r.kind, "task kind")?,
                    source: from_code(&r.source, "task source")?,
                    client_id: r.client_id,
                    client_name: names.get(&r.client_id).cloned().unwrap_or_default(),
                    title: r.title,
                    title_en: r.title_en,
                    detail: r.detail,
                    detail_en: r.detail_en,
                    due_date: r.due_date,
                    status,
                    overdue: is_overdue(status, r.due_date, today),
                    tier: r.tier,
                    document_id: r.document_id,
                    assignees: assignees.remove(&r.id).unwrap_or_default(),
                    evidence,
                    created_at: r.created_at,
                    closed_at: r.closed_at,
                })
            })
            .collect()
    }
}

fn assigned_to(user: Uuid) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(task_assignees::Column::TaskId)
        .from(task_assignees::Entity)
        .and_where(task_assignees::Column::UserId.eq(user))
        .to_owned()
}

/// An escalation to apply: the task, its new tier, the people to add.
pub type Escalation = (Uuid, Option<String>, Vec<(Uuid, AssigneeLevel)>);

impl crate::Store {
    /// Creates tasks and applies escalations in one transaction (a job's batch); returns how
    /// many tasks were created.
    pub async fn apply_task_batch(
        &self,
        new: &[NewTask],
        escalations: &[Escalation],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let txn = self.db.begin().await?;
        let created = insert_tasks(&txn, new).await?;
        for (task, tier, add) in escalations {
            escalate_task(&txn, *task, tier.as_deref(), add, now).await?;
        }
        txn.commit().await?;
        Ok(created)
    }
}

/// An open task past due, with what escalation needs to know.
#[derive(Debug, Clone)]
pub struct OverdueTask {
    /// The task.
    pub id: Uuid,
    /// Its due date.
    pub due_date: NaiveDate,
    /// Its tier (kept as it is).
    pub tier: Option<String>,
    /// The client's org unit.
    pub org_unit_id: Uuid,
    /// The levels of all its assignees now.
    pub held: Vec<AssigneeLevel>,
    /// Its assignees now.
    pub users: Vec<Uuid>,
}

impl crate::Store {
    /// Open visit and follow-up tasks due before `before` (renewal tasks escalate by their
    /// expiry tiers instead), oldest due first.
    pub async fn overdue_open_tasks(
        &self,
        before: NaiveDate,
    ) -> Result<Vec<OverdueTask>, StoreError> {
        let mut sql = crate::sql::Sql::new(self.backend());
        sql.push(
            "SELECT t.id, t.due_date, t.tier, c.org_unit_id, a.level, a.user_id \
             FROM tasks t JOIN clients c ON c.id = t.client_id \
             JOIN task_assignees a ON a.task_id = t.id WHERE t.status = ",
        )
        .bind(TaskStatus::Open.code())
        .push(" AND t.kind <> ")
        .bind(TaskKind::RenewDocument.code())
        .push(" AND t.due_date < ")
        .bind(before)
        .push(" ORDER BY t.due_date, t.id");
        let mut out: Vec<OverdueTask> = Vec::new();
        for r in self.db.query_all(sql.build()).await? {
            let id: Uuid = r.try_get_by_index(0)?;
            let level: String = r.try_get_by_index(4)?;
            let level: AssigneeLevel = from_code(&level, "assignee level")?;
            let user: Uuid = r.try_get_by_index(5)?;
            let task = match out.last_mut() {
                Some(task) if task.id == id => task,
                _ => {
                    out.push(OverdueTask {
                        id,
                        due_date: r.try_get_by_index(1)?,
                        tier: r.try_get_by_index(2)?,
                        org_unit_id: r.try_get_by_index(3)?,
                        held: Vec::new(),
                        users: Vec::new(),
                    });
                    let last = out.len() - 1;
                    &mut out[last]
                }
            };
            task.held.push(level);
            task.users.push(user);
        }
        Ok(out)
    }
}
