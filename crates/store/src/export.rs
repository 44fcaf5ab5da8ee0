//! Bulk archive exports: download tickets, and the current documents of a page of clients.

use crate::entity::{archive_exports, document_files, documents};
use crate::{from_code, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use domain::archive::{DocumentType, ReviewState};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use uuid::Uuid;

/// A stored export request.
#[derive(Debug, Clone)]
pub struct ExportRecord {
    /// Identifier.
    pub id: Uuid,
    /// Who asked.
    pub created_by: Uuid,
    /// The filter, as JSON.
    pub filter: serde_json::Value,
    /// Clients it covers.
    pub clients: i64,
    /// When the ticket stops working.
    pub expires_at: DateTime<Utc>,
}

/// The current version of one document type of a client, with its pages' storage keys.
#[derive(Debug, Clone)]
pub struct CurrentDocument {
    /// Document id.
    pub id: Uuid,
    /// Client.
    pub client_id: Uuid,
    /// Type.
    pub doc_type: DocumentType,
    /// Number.
    pub number: String,
    /// Valid to.
    pub valid_to: Option<NaiveDate>,
    /// Review decision.
    pub review: ReviewState,
    /// Pages: (page, storage key, content type).
    pub pages: Vec<(i32, String, String)>,
}

impl Store {
    /// Records an export and its ticket hash.
    pub async fn insert_export(
        &self,
        record: &ExportRecord,
        ticket_hash: &str,
        now: DateTime<Utc>,
        audit: &domain::audit::AuditEntry,
    ) -> Result<(), StoreError> {
        use sea_orm::TransactionTrait;
        let txn = self.db.begin().await?;
        archive_exports::Entity::insert(archive_exports::ActiveModel {
            id: Set(record.id),
            ticket_hash: Set(ticket_hash.to_owned()),
            created_by: Set(record.created_by),
            filter: Set(record.filter.clone()),
            clients: Set(record.clients),
            created_at: Set(now),
            expires_at: Set(record.expires_at),
            downloaded_at: Set(None),
        })
        .exec_without_returning(&txn)
        .await?;
        crate::audit::insert_audit(&txn, audit).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The export with this id and ticket hash, if it has not expired at `now`.
    pub async fn live_export(
        &self,
        id: Uuid,
        ticket_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ExportRecord>, StoreError> {
        let row = archive_exports::Entity::find_by_id(id)
            .filter(archive_exports::Column::TicketHash.eq(ticket_hash))
            .filter(archive_exports::Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await?;
        Ok(row.map(|r| ExportRecord {
            id: r.id,
            created_by: r.created_by,
            filter: r.filter,
            clients: r.clients,
            expires_at: r.expires_at,
        }))
    }

    /// Notes a download of an export.
    pub async fn mark_export_downloaded(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        archive_exports::Entity::update_many()
            .col_expr(archive_exports::Column::DownloadedAt, Expr::value(now))
            .filter(archive_exports::Column::Id.eq(id))
            .filter(archive_exports::Column::DownloadedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The current (newest) version of each document type of these clients, with page keys.
    pub async fn current_documents(
        &self,
        client_ids: &[Uuid],
    ) -> Result<Vec<CurrentDocument>, StoreError> {
        let rows = documents::Entity::find()
            .filter(documents::Column::ClientId.is_in(client_ids.iter().copied()))
            .order_by_asc(documents::Column::ClientId)
            .all(&self.db)
            .await?;
        let mut newest: HashMap<(Uuid, String), documents::Model> = HashMap::new();
        for row in rows {
            let key = (row.client_id, row.doc_type.clone());
            match newest.get(&key) {
                Some(seen) if (seen.uploaded_at, seen.id) >= (row.uploaded_at, row.id) => {}
                _ => {
                    newest.insert(key, row);
                }
            }
        }
        let ids: Vec<Uuid> = newest.values().map(|d| d.id).collect();
        let mut pages: HashMap<Uuid, Vec<(i32, String, String)>> = HashMap::new();
        for chunk in ids.chunks(1000) {
            for f in document_files::Entity::find()
                .filter(document_files::Column::DocumentId.is_in(chunk.iter().copied()))
                .order_by_asc(document_files::Column::Page)
                .all(&self.db)
                .await?
            {
                pages.entry(f.document_id).or_default().push((
                    f.page,
                    f.storage_key,
                    f.content_type,
                ));
            }
        }
        let mut out: Vec<CurrentDocument> = newest
            .into_values()
            .map(|d| {
                Ok(CurrentDocument {
                    id: d.id,
                    client_id: d.client_id,
                    doc_type: from_code(&d.doc_type, "document type")?,
                    number: d.number,
                    valid_to: d.valid_to,
                    review: from_code(&d.review_state, "review state")?,
                    pages: pages.remove(&d.id).unwrap_or_default(),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        out.sort_by_key(|d| (d.client_id, d.doc_type));
        Ok(out)
    }

    /// Total bytes of the current documents' pages of these clients (for size estimates).
    pub async fn current_document_bytes(&self, client_ids: &[Uuid]) -> Result<i64, StoreError> {
        let mut total = 0;
        for chunk in client_ids.chunks(1000) {
            let docs = self.current_documents(chunk).await?;
            let ids: Vec<Uuid> = docs.iter().map(|d| d.id).collect();
            for ids in ids.chunks(1000) {
                let sizes: Vec<i64> = document_files::Entity::find()
                    .filter(document_files::Column::DocumentId.is_in(ids.iter().copied()))
                    .all(&self.db)
                    .await?
                    .into_iter()
                    .map(|f| f.size_bytes)
                    .collect();
                total += sizes.iter().sum::<i64>();
            }
        }
        Ok(total)
    }
}
