//! Client-service tickets and their append-only timeline. A ticket's status only moves through
//! a guarded update (`WHERE status = <what the caller saw>`), so two people acting at once
//! cannot both move it; events are only ever inserted.

use crate::audit::insert_audit;
use crate::sql::Sql;
use crate::visits::insert_row;
use crate::{from_code, to_json, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::AuditEntry;
use domain::org::DataScope;
use domain::service::{
    sla_clock, ReturnVisitMethod, Severity, SlaTarget, Ticket, TicketChannel, TicketEvent,
    TicketEventKind, TicketFact, TicketStatus, TicketType,
};
use domain::task::AssigneeLevel;
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{ConnectionTrait, QueryResult, TransactionTrait, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// A ticket to store.
#[derive(Debug, Clone)]
pub struct NewTicketRow {
    /// Identifier.
    pub id: Uuid,
    /// Human number.
    pub number: String,
    /// Client.
    pub client_id: Uuid,
    /// Type.
    pub ticket_type: TicketType,
    /// Severity.
    pub severity: Severity,
    /// Channel.
    pub channel: TicketChannel,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Order or delivery.
    pub order_no: Option<String>,
    /// Reporter.
    pub reporter: Option<String>,
    /// Reporter's phone.
    pub reporter_phone: Option<String>,
    /// The call centre's reference.
    pub external_ref: Option<String>,
    /// Photos.
    pub photo_ids: Vec<Uuid>,
    /// The client's account manager.
    pub assignee_id: Uuid,
    /// Who raised it (a person).
    pub raised_by: Option<Uuid>,
    /// Their name or the token's.
    pub raised_by_name: String,
    /// When.
    pub opened_at: DateTime<Utc>,
    /// Targets.
    pub target: SlaTarget,
    /// The policy version.
    pub policy_version: i32,
}

/// A step to append to a timeline.
#[derive(Debug, Clone)]
pub struct NewTicketEvent {
    /// The ticket.
    pub ticket_id: Uuid,
    /// What.
    pub kind: TicketEventKind,
    /// Who (none for the job).
    pub actor_id: Option<Uuid>,
    /// Their name.
    pub actor_name: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Note.
    pub note: String,
    /// Escalation level reached.
    pub level: Option<AssigneeLevel>,
    /// Return-visit method.
    pub method: Option<ReturnVisitMethod>,
    /// Return-visit outcome.
    pub solved: Option<bool>,
    /// Return-visit rating.
    pub satisfaction: Option<i32>,
}

impl NewTicketEvent {
    /// A plain step with a note.
    pub fn note(
        ticket_id: Uuid,
        kind: TicketEventKind,
        actor: (Option<Uuid>, &str),
        at: DateTime<Utc>,
        note: &str,
    ) -> Self {
        NewTicketEvent {
            ticket_id,
            kind,
            actor_id: actor.0,
            actor_name: actor.1.to_owned(),
            at,
            note: note.to_owned(),
            level: None,
            method: None,
            solved: None,
            satisfaction: None,
        }
    }
}

/// The moves of one guarded update.
#[derive(Debug, Clone, Default)]
pub struct TicketChange {
    /// New status.
    pub status: Option<TicketStatus>,
    /// Set the first response.
    pub responded_at: Option<DateTime<Utc>>,
    /// Set (Some(Some)) or clear (Some(None)) the resolution.
    pub resolved_at: Option<Option<DateTime<Utc>>>,
    /// Set the closing.
    pub closed_at: Option<DateTime<Utc>>,
    /// The closing rating.
    pub satisfaction: Option<i32>,
    /// One more reopening.
    pub reopen: bool,
}

/// What inserting a ticket did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketSaved {
    /// Stored.
    Created,
    /// The call centre's reference was already used: that ticket.
    Existing(Uuid),
    /// The generated number was taken (pick another and retry).
    NumberTaken,
}

/// Filters of the ticket list.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    /// Status.
    pub status: Option<TicketStatus>,
    /// Everything not closed.
    pub active: bool,
    /// Type.
    pub ticket_type: Option<TicketType>,
    /// Severity.
    pub severity: Option<Severity>,
    /// At or above this level.
    pub min_level: Option<AssigneeLevel>,
    /// Only those with a target breached at `now` (response or resolution).
    pub breached: bool,
    /// Client.
    pub client_id: Option<Uuid>,
    /// Assignee.
    pub assignee_id: Option<Uuid>,
    /// Page (1-based).
    pub page: u64,
    /// Per page.
    pub per_page: u64,
}

/// A ticket the SLA job looks at.
#[derive(Debug, Clone)]
pub struct SlaCandidate {
    /// Ticket.
    pub id: Uuid,
    /// Its number.
    pub number: String,
    /// The client's org unit.
    pub org_unit_id: Uuid,
    /// Level now.
    pub level: AssigneeLevel,
    /// Targets.
    pub target: SlaTarget,
    /// Raised.
    pub opened_at: DateTime<Utc>,
    /// First response.
    pub responded_at: Option<DateTime<Utc>>,
    /// Resolution.
    pub resolved_at: Option<DateTime<Utc>>,
}

const TICKET_COLUMNS: &str = "t.id, t.number, t.client_id, c.name, c.org_unit_id, o.name, \
    t.ticket_type, t.severity, t.status, t.channel, t.title, t.description, t.order_no, \
    t.reporter, t.reporter_phone, t.external_ref, t.photo_ids, t.assignee_id, a.display_name, \
    t.escalation_level, t.raised_by, t.raised_by_name, t.opened_at, t.responded_at, \
    t.resolved_at, t.closed_at, t.satisfaction, t.reopened, t.respond_hours, t.resolve_hours, \
    t.policy_version";

const TICKET_FROM: &str = " FROM tickets t JOIN clients c ON c.id = t.client_id \
    JOIN org_units o ON o.id = c.org_unit_id JOIN users a ON a.id = t.assignee_id";

fn target_of(
    r: &QueryResult,
    types: (usize, usize),
    hours: usize,
) -> Result<SlaTarget, StoreError> {
    let ticket_type: String = r.try_get_by_index(types.0)?;
    let severity: String = r.try_get_by_index(types.1)?;
    let respond: i32 = r.try_get_by_index(hours)?;
    let resolve: i32 = r.try_get_by_index(hours + 1)?;
    Ok(SlaTarget {
        ticket_type: from_code(&ticket_type, "ticket type")?,
        severity: from_code(&severity, "severity")?,
        respond_hours: u32::try_from(respond).unwrap_or(0),
        resolve_hours: u32::try_from(resolve).unwrap_or(0),
    })
}

fn ticket_row(r: &QueryResult, now: DateTime<Utc>) -> Result<Ticket, StoreError> {
    let status: String = r.try_get_by_index(8)?;
    let channel: String = r.try_get_by_index(9)?;
    let photos: serde_json::Value = r.try_get_by_index(16)?;
    let level: String = r.try_get_by_index(19)?;
    let target = target_of(r, (6, 7), 28)?;
    let opened_at = r.try_get_by_index(22)?;
    let responded_at = r.try_get_by_index(23)?;
    let resolved_at = r.try_get_by_index(24)?;
    Ok(Ticket {
        id: r.try_get_by_index(0)?,
        number: r.try_get_by_index(1)?,
        client_id: r.try_get_by_index(2)?,
        client_name: r.try_get_by_index(3)?,
        org_unit_id: r.try_get_by_index(4)?,
        org_unit_name: r.try_get_by_index(5)?,
        ticket_type: target.ticket_type,
        severity: target.severity,
        status: from_code(&status, "ticket status")?,
        channel: from_code(&channel, "ticket channel")?,
        title: r.try_get_by_index(10)?,
        description: r.try_get_by_index(11)?,
        order_no: r.try_get_by_index(12)?,
        reporter: r.try_get_by_index(13)?,
        reporter_phone: r.try_get_by_index(14)?,
        external_ref: r.try_get_by_index(15)?,
        photo_ids: serde_json::from_value(photos)
            .map_err(|e| StoreError::Corrupt(format!("ticket photos: {e}")))?,
        assignee_id: r.try_get_by_index(17)?,
        assignee_name: r.try_get_by_index(18)?,
        escalation_level: from_code(&level, "escalation level")?,
        raised_by: r.try_get_by_index(20)?,
        raised_by_name: r.try_get_by_index(21)?,
        opened_at,
        responded_at,
        resolved_at,
        closed_at: r.try_get_by_index(25)?,
        satisfaction: r.try_get_by_index(26)?,
        reopened: r.try_get_by_index(27)?,
        clock: sla_clock(&target, opened_at, responded_at, resolved_at, now),
        target,
        policy_version: r.try_get_by_index(30)?,
        events: Vec::new(),
        churn_reason_ids: Vec::new(),
    })
}

fn event_values(e: &NewTicketEvent) -> Vec<SimpleExpr> {
    vec![
        Uuid::now_v7().into(),
        e.ticket_id.into(),
        e.kind.code().into(),
        e.actor_id.into(),
        e.actor_name.chars().take(100).collect::<String>().into(),
        e.at.into(),
        e.note.clone().into(),
        e.level.map(|l| l.code().to_owned()).into(),
        e.method.map(|m| m.code().to_owned()).into(),
        e.solved.into(),
        e.satisfaction.into(),
    ]
}

const EVENT_COLUMNS: [&str; 11] = [
    "id",
    "ticket_id",
    "kind",
    "actor_id",
    "actor_name",
    "at",
    "note",
    "level",
    "method",
    "solved",
    "satisfaction",
];

async fn insert_events<C: ConnectionTrait>(
    db: &C,
    events: &[NewTicketEvent],
) -> Result<(), StoreError> {
    // A few hundred rows per statement keeps within both databases' placeholder limits.
    for chunk in events.chunks(500) {
        let mut insert = sea_orm::sea_query::Query::insert();
        insert
            .into_table(sea_orm::sea_query::Alias::new("ticket_events"))
            .columns(
                EVENT_COLUMNS
                    .iter()
                    .map(|c| sea_orm::sea_query::Alias::new(*c)),
            );
        for e in chunk {
            insert
                .values(event_values(e))
                .map_err(|err| StoreError::Corrupt(err.to_string()))?;
        }
        db.execute(db.get_database_backend().build(&insert)).await?;
    }
    Ok(())
}

impl Store {
    /// Stores a new ticket with its first timeline steps and the audit entry, all or nothing.
    /// A call-centre reference already used answers with that ticket instead: the unique index
    /// decides (the caller has looked the reference up already, so the usual replay costs no
    /// insert attempt).
    pub async fn insert_ticket(
        &self,
        t: &NewTicketRow,
        events: &[NewTicketEvent],
        audit: &AuditEntry,
    ) -> Result<TicketSaved, StoreError> {
        let respond_due = t.opened_at + chrono::TimeDelta::hours(i64::from(t.target.respond_hours));
        let resolve_due = t.opened_at + chrono::TimeDelta::hours(i64::from(t.target.resolve_hours));
        let insert = insert_row(
            "tickets",
            &[
                "id",
                "number",
                "client_id",
                "ticket_type",
                "severity",
                "status",
                "channel",
                "title",
                "description",
                "order_no",
                "reporter",
                "reporter_phone",
                "external_ref",
                "photo_ids",
                "assignee_id",
                "escalation_level",
                "raised_by",
                "raised_by_name",
                "opened_at",
                "reopened",
                "respond_hours",
                "resolve_hours",
                "policy_version",
                "respond_due",
                "resolve_due",
                "updated_at",
            ],
            vec![
                t.id.into(),
                t.number.clone().into(),
                t.client_id.into(),
                t.ticket_type.code().into(),
                t.severity.code().into(),
                TicketStatus::Open.code().into(),
                t.channel.code().into(),
                t.title.clone().into(),
                t.description.clone().into(),
                t.order_no.clone().into(),
                t.reporter.clone().into(),
                t.reporter_phone.clone().into(),
                t.external_ref.clone().into(),
                Value::Json(Some(Box::new(to_json(&t.photo_ids)))).into(),
                t.assignee_id.into(),
                AssigneeLevel::AccountManager.code().into(),
                t.raised_by.into(),
                t.raised_by_name
                    .chars()
                    .take(100)
                    .collect::<String>()
                    .into(),
                t.opened_at.into(),
                0i32.into(),
                (t.target.respond_hours as i32).into(),
                (t.target.resolve_hours as i32).into(),
                t.policy_version.into(),
                respond_due.into(),
                resolve_due.into(),
                t.opened_at.into(),
            ],
        )?;
        let txn = self.db.begin().await?;
        if let Err(e) = txn.execute(self.backend().build(&insert)).await {
            drop(txn);
            if let Some(sea_orm::SqlErr::UniqueConstraintViolation(message)) = e.sql_err() {
                if let Some(r) = &t.external_ref {
                    if let Some(id) = self.ticket_by_external_ref(r).await? {
                        return Ok(TicketSaved::Existing(id));
                    }
                }
                if message.contains("number") {
                    return Ok(TicketSaved::NumberTaken);
                }
            }
            return Err(e.into());
        }
        insert_events(&txn, events).await?;
        insert_audit(&txn, audit).await?;
        txn.commit().await?;
        Ok(TicketSaved::Created)
    }

    /// The ticket a call centre already raised under `external_ref`.
    pub async fn ticket_by_external_ref(
        &self,
        external_ref: &str,
    ) -> Result<Option<Uuid>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT id FROM tickets WHERE external_ref = ")
            .bind(external_ref.to_owned());
        Ok(match self.db.query_one(sql.build()).await? {
            Some(r) => Some(r.try_get_by_index(0)?),
            None => None,
        })
    }

    /// One ticket with its timeline and linked churn reasons, if its client is in `scope`.
    pub async fn ticket(
        &self,
        id: Uuid,
        scope: &DataScope,
        now: DateTime<Utc>,
    ) -> Result<Option<Ticket>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT ")
            .push(TICKET_COLUMNS)
            .push(TICKET_FROM)
            .push(" WHERE t.id = ")
            .bind(id);
        sql.scope("c", scope);
        let Some(row) = self.db.query_one(sql.build()).await? else {
            return Ok(None);
        };
        let mut ticket = ticket_row(&row, now)?;
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT id, kind, actor_id, actor_name, at, note, level, method, solved, satisfaction \
             FROM ticket_events WHERE ticket_id = ",
        )
        .bind(id)
        .push(" ORDER BY at, id");
        for r in self.db.query_all(sql.build()).await? {
            let kind: String = r.try_get_by_index(1)?;
            let level: Option<String> = r.try_get_by_index(6)?;
            let method: Option<String> = r.try_get_by_index(7)?;
            ticket.events.push(TicketEvent {
                id: r.try_get_by_index(0)?,
                kind: from_code(&kind, "ticket event")?,
                actor_id: r.try_get_by_index(2)?,
                actor_name: r.try_get_by_index(3)?,
                at: r.try_get_by_index(4)?,
                note: r.try_get_by_index(5)?,
                level: level.map(|l| from_code(&l, "level")).transpose()?,
                method: method.map(|m| from_code(&m, "method")).transpose()?,
                solved: r.try_get_by_index(8)?,
                satisfaction: r.try_get_by_index(9)?,
            });
        }
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT id FROM churn_reasons WHERE ticket_id = ")
            .bind(id)
            .push(" ORDER BY recorded_at");
        for r in self.db.query_all(sql.build()).await? {
            ticket.churn_reason_ids.push(r.try_get_by_index(0)?);
        }
        Ok(Some(ticket))
    }

    /// Tickets in `scope` by `filter`, newest first, with the total.
    pub async fn list_tickets(
        &self,
        filter: &TicketFilter,
        scope: &DataScope,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Ticket>, u64), StoreError> {
        let conditions = |sql: &mut Sql| {
            sql.push(" WHERE 1 = 1");
            sql.scope("c", scope);
            if let Some(s) = filter.status {
                sql.push(" AND t.status = ").bind(s.code());
            }
            if filter.active {
                sql.push(" AND t.status <> ")
                    .bind(TicketStatus::Closed.code());
            }
            if let Some(t) = filter.ticket_type {
                sql.push(" AND t.ticket_type = ").bind(t.code());
            }
            if let Some(s) = filter.severity {
                sql.push(" AND t.severity = ").bind(s.code());
            }
            if let Some(level) = filter.min_level {
                let codes: Vec<&str> = [
                    AssigneeLevel::AccountManager,
                    AssigneeLevel::Director,
                    AssigneeLevel::Leader,
                ]
                .into_iter()
                .filter(|l| domain::service::level_rank(*l) >= domain::service::level_rank(level))
                .map(|l| l.code())
                .collect();
                sql.push(" AND t.escalation_level IN ").bind_list(&codes);
            }
            if filter.breached {
                sql.push(" AND ((t.responded_at IS NULL AND t.respond_due < ")
                    .bind(now)
                    .push(") OR t.responded_at > t.respond_due OR (t.resolved_at IS NULL AND t.resolve_due < ")
                    .bind(now)
                    .push(") OR t.resolved_at > t.resolve_due)");
            }
            if let Some(c) = filter.client_id {
                sql.push(" AND t.client_id = ").bind(c);
            }
            if let Some(a) = filter.assignee_id {
                sql.push(" AND t.assignee_id = ").bind(a);
            }
        };
        let mut count = Sql::new(self.backend());
        count.push("SELECT COUNT(*)").push(TICKET_FROM);
        conditions(&mut count);
        let total: i64 = match self.db.query_one(count.build()).await? {
            Some(r) => r.try_get_by_index(0)?,
            None => 0,
        };
        let per_page = filter.per_page.max(1);
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT ").push(TICKET_COLUMNS).push(TICKET_FROM);
        conditions(&mut sql);
        sql.push(" ORDER BY t.opened_at DESC, t.id DESC LIMIT ")
            .bind(per_page as i64)
            .push(" OFFSET ")
            .bind((filter.page.saturating_sub(1) * per_page) as i64);
        let items = self
            .db
            .query_all(sql.build())
            .await?
            .iter()
            .map(|r| ticket_row(r, now))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, u64::try_from(total).unwrap_or(0)))
    }

    /// Moves ticket `id` from `expected` as `change` says, appends `events` and the audit
    /// entry, all or nothing. `false` (nothing written) when the ticket is no longer in
    /// `expected`: someone else moved it first.
    pub async fn update_ticket(
        &self,
        id: Uuid,
        expected: TicketStatus,
        change: &TicketChange,
        events: &[NewTicketEvent],
        audit: &AuditEntry,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("UPDATE tickets SET updated_at = ").bind(now);
        if let Some(s) = change.status {
            sql.push(", status = ").bind(s.code());
        }
        if let Some(t) = change.responded_at {
            sql.push(", responded_at = ").bind(t);
        }
        if let Some(t) = change.resolved_at {
            sql.push(", resolved_at = ").bind(t);
        }
        if let Some(t) = change.closed_at {
            sql.push(", closed_at = ").bind(t);
        }
        if let Some(s) = change.satisfaction {
            sql.push(", satisfaction = ").bind(s);
        }
        if change.reopen {
            sql.push(", reopened = reopened + 1");
        }
        sql.push(" WHERE id = ")
            .bind(id)
            .push(" AND status = ")
            .bind(expected.code());
        let txn = self.db.begin().await?;
        let moved = txn.execute(sql.build()).await?.rows_affected();
        if moved != 1 {
            return Ok(false);
        }
        insert_events(&txn, events).await?;
        insert_audit(&txn, audit).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Open and in-progress tickets with a due time passed that are not yet with the leader:
    /// the ones the SLA job may have to escalate.
    pub async fn sla_candidates(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<SlaCandidate>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT t.id, t.number, c.org_unit_id, t.escalation_level, t.ticket_type, t.severity, \
             t.respond_hours, t.resolve_hours, t.opened_at, t.responded_at, t.resolved_at \
             FROM tickets t JOIN clients c ON c.id = t.client_id WHERE t.status IN ",
        )
        .bind_list(&[TicketStatus::Open.code(), TicketStatus::InProgress.code()])
        .push(" AND t.escalation_level <> ")
        .bind(AssigneeLevel::Leader.code())
        .push(" AND (t.respond_due < ")
        .bind(now)
        .push(" OR t.resolve_due < ")
        .bind(now)
        .push(")");
        self.db
            .query_all(sql.build())
            .await?
            .iter()
            .map(|r| {
                let level: String = r.try_get_by_index(3)?;
                Ok(SlaCandidate {
                    id: r.try_get_by_index(0)?,
                    number: r.try_get_by_index(1)?,
                    org_unit_id: r.try_get_by_index(2)?,
                    level: from_code(&level, "escalation level")?,
                    target: target_of(r, (4, 5), 6)?,
                    opened_at: r.try_get_by_index(8)?,
                    responded_at: r.try_get_by_index(9)?,
                    resolved_at: r.try_get_by_index(10)?,
                })
            })
            .collect()
    }

    /// Raises each ticket to its new level (only upwards: a ticket someone already raised
    /// further is left alone) with its timeline step, in one transaction. Returns how many moved.
    pub async fn escalate_tickets(
        &self,
        moves: &[(Uuid, AssigneeLevel, NewTicketEvent)],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if moves.is_empty() {
            return Ok(0);
        }
        let txn = self.db.begin().await?;
        let mut moved = 0;
        let mut by_level: HashMap<AssigneeLevel, Vec<Uuid>> = HashMap::new();
        for (id, level, _) in moves {
            by_level.entry(*level).or_default().push(*id);
        }
        for (level, ids) in &by_level {
            let lower: Vec<&str> = [AssigneeLevel::AccountManager, AssigneeLevel::Director]
                .into_iter()
                .filter(|l| domain::service::level_rank(*l) < domain::service::level_rank(*level))
                .map(|l| l.code())
                .collect();
            for chunk in ids.chunks(500) {
                let mut sql = Sql::new(self.backend());
                sql.push("UPDATE tickets SET escalation_level = ")
                    .bind(level.code())
                    .push(", updated_at = ")
                    .bind(now)
                    .push(" WHERE id IN ")
                    .bind_list(chunk)
                    .push(" AND escalation_level IN ")
                    .bind_list(&lower);
                moved += txn.execute(sql.build()).await?.rows_affected();
            }
        }
        let events: Vec<NewTicketEvent> = moves.iter().map(|(_, _, e)| e.clone()).collect();
        insert_events(&txn, &events).await?;
        txn.commit().await?;
        Ok(moved)
    }

    /// The facts of the tickets in `scope` raised on `from..=to` (China dates), for reports.
    pub async fn ticket_facts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        scope: &DataScope,
    ) -> Result<Vec<TicketFact>, StoreError> {
        let start = domain::china_day_start(from);
        let end = domain::china_day_start(to + chrono::Days::new(1));
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT t.client_id, c.name, c.org_unit_id, o.name, t.assignee_id, a.display_name, \
             t.ticket_type, t.severity, t.respond_hours, t.resolve_hours, t.opened_at, \
             t.responded_at, t.resolved_at, t.satisfaction",
        )
        .push(TICKET_FROM)
        .push(" WHERE t.opened_at >= ")
        .bind(start)
        .push(" AND t.opened_at < ")
        .bind(end);
        sql.scope("c", scope);
        self.db
            .query_all(sql.build())
            .await?
            .iter()
            .map(|r| {
                let target = target_of(r, (6, 7), 8)?;
                Ok(TicketFact {
                    client_id: r.try_get_by_index(0)?,
                    client_name: r.try_get_by_index(1)?,
                    org_unit_id: r.try_get_by_index(2)?,
                    org_unit_name: r.try_get_by_index(3)?,
                    assignee_id: r.try_get_by_index(4)?,
                    assignee_name: r.try_get_by_index(5)?,
                    ticket_type: target.ticket_type,
                    target,
                    opened_at: r.try_get_by_index(10)?,
                    responded_at: r.try_get_by_index(11)?,
                    resolved_at: r.try_get_by_index(12)?,
                    satisfaction: r.try_get_by_index(13)?,
                })
            })
            .collect()
    }

    /// Up to `limit` clients with their account managers (for benchmarks and seeding).
    pub async fn client_managers(&self, limit: u64) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT id, account_manager_id FROM clients ORDER BY id LIMIT ")
            .bind(limit as i64);
        self.db
            .query_all(sql.build())
            .await?
            .iter()
            .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
            .collect()
    }

    /// Whether ticket `ticket_id` exists for `client_id` (a churn reason may cite it).
    pub async fn ticket_of_client(
        &self,
        ticket_id: Uuid,
        client_id: Uuid,
    ) -> Result<bool, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT 1 FROM tickets WHERE id = ")
            .bind(ticket_id)
            .push(" AND client_id = ")
            .bind(client_id);
        Ok(self.db.query_one(sql.build()).await?.is_some())
    }
}
