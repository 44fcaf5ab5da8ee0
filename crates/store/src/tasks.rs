//! Tasks: creation, escalation, listing and closing by evidence.

use crate::entity::{documents, tasks};
use crate::StoreError;
use chrono::{DateTime, NaiveDate, Utc};
use domain::archive::DocumentType;
use domain::task::{EvidenceKind, TaskKind, TaskStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
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
