//! The audit log: written in the same transaction as the change it records; read with filters.

use crate::entity::audit_log;
use crate::{from_code, from_json, to_json, Store, StoreError};
use chrono::{DateTime, Utc};
use domain::audit::{AuditAction, AuditEntry};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

/// Filters of the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Kind of record.
    pub entity: Option<String>,
    /// Which record.
    pub entity_id: Option<Uuid>,
    /// Who.
    pub actor_id: Option<Uuid>,
    /// What.
    pub action: Option<AuditAction>,
    /// Only changes (create, update, delete), not reads or exports.
    pub writes_only: bool,
    /// From (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Until (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// Page from 1.
    pub page: u64,
    /// Entries per page.
    pub per_page: u64,
}

pub(crate) async fn insert_audit<C: ConnectionTrait>(
    conn: &C,
    e: &AuditEntry,
) -> Result<(), StoreError> {
    audit_log::Entity::insert(audit_log::ActiveModel {
        id: Set(e.id),
        at: Set(e.at),
        actor_id: Set(e.actor_id),
        actor_name: Set(e.actor_name.clone()),
        ip: Set(e.ip.clone()),
        action: Set(e.action.code().to_owned()),
        entity: Set(e.entity.clone()),
        entity_id: Set(e.entity_id),
        changes: Set(to_json(&e.changes)),
        request_id: Set(e.request_id.clone()),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

fn to_entry(m: audit_log::Model) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        id: m.id,
        at: m.at,
        actor_id: m.actor_id,
        actor_name: m.actor_name,
        ip: m.ip,
        action: from_code(&m.action, "audit_log.action")?,
        entity: m.entity,
        entity_id: m.entity_id,
        changes: from_json(&m.changes, "audit_log.changes")?,
        request_id: m.request_id,
    })
}

impl Store {
    /// Records an event that changes nothing else (an export, a sensitive read).
    pub async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        insert_audit(&self.db, entry).await
    }

    /// Audit entries matching `filter`, newest first, and their total.
    pub async fn audit(&self, filter: &AuditFilter) -> Result<(Vec<AuditEntry>, u64), StoreError> {
        let mut select = audit_log::Entity::find();
        if let Some(entity) = &filter.entity {
            select = select.filter(audit_log::Column::Entity.eq(entity.as_str()));
        }
        if let Some(id) = filter.entity_id {
            select = select.filter(audit_log::Column::EntityId.eq(id));
        }
        if let Some(actor) = filter.actor_id {
            select = select.filter(audit_log::Column::ActorId.eq(actor));
        }
        if let Some(action) = filter.action {
            select = select.filter(audit_log::Column::Action.eq(action.code()));
        }
        if filter.writes_only {
            select = select.filter(audit_log::Column::Action.is_in([
                AuditAction::Create.code(),
                AuditAction::Update.code(),
                AuditAction::Delete.code(),
            ]));
        }
        if let Some(from) = filter.from {
            select = select.filter(audit_log::Column::At.gte(from));
        }
        if let Some(until) = filter.until {
            select = select.filter(audit_log::Column::At.lt(until));
        }
        let total = select.clone().count(&self.db).await?;
        let rows = select
            .order_by_desc(audit_log::Column::At)
            .order_by_desc(audit_log::Column::Id)
            .offset(filter.page.saturating_sub(1) * filter.per_page)
            .limit(filter.per_page)
            .all(&self.db)
            .await?;
        let items = rows
            .into_iter()
            .map(to_entry)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, total))
    }
}
