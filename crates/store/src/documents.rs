//! Licence documents: versions, pages, the review decision, and the lists built on them.

use crate::audit::insert_audit;
use crate::entity::{clients, document_files, documents, users};
use crate::{from_code, Store, StoreError};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use domain::archive::{
    document_status, Document, DocumentFile, DocumentMeta, DocumentStatus, DocumentType,
    ReviewDecision, ReviewState,
};
use domain::audit::AuditEntry;
use domain::org::DataScope;
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, TransactionTrait,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A page of a document about to be stored (its bytes are already in the file store).
#[derive(Debug, Clone)]
pub struct NewDocumentFile {
    /// Identifier (also part of the storage key).
    pub id: Uuid,
    /// Page number from 1.
    pub page: i32,
    /// Where the bytes are.
    pub storage_key: String,
    /// Sniffed content type.
    pub content_type: String,
    /// Size.
    pub size_bytes: i64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Where its thumbnail is, for images.
    pub thumbnail_key: Option<String>,
}

/// A document version about to be stored.
#[derive(Debug, Clone)]
pub struct NewDocument {
    /// Identifier.
    pub id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// Metadata (validated).
    pub meta: DocumentMeta,
    /// Uploader.
    pub uploaded_by: Uuid,
    /// When.
    pub uploaded_at: DateTime<Utc>,
    /// Pages.
    pub files: Vec<NewDocumentFile>,
    /// Review decision (pending for uploads; demo data comes reviewed).
    pub review: ReviewState,
    /// Reason given with it.
    pub review_reason: Option<String>,
    /// Reviewer.
    pub reviewed_by: Option<Uuid>,
    /// When reviewed.
    pub reviewed_at: Option<DateTime<Utc>>,
}

/// Filters of the document list.
#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    /// Only documents of this status on `today`.
    pub status: Option<DocumentStatus>,
    /// Only this type.
    pub doc_type: Option<DocumentType>,
    /// Only clients of these units.
    pub org_units: Option<Vec<Uuid>>,
    /// Only this client.
    pub client_id: Option<Uuid>,
    /// Every version, not only the newest per client and type.
    pub all_versions: bool,
    /// Page from 1.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
}

/// What a review did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewOutcome {
    /// Done; this many renew-document tasks closed with it as their evidence.
    Reviewed {
        /// Tasks closed.
        tasks_closed: u64,
    },
    /// The document was not pending (reviewed already).
    NotPending(ReviewState),
}

fn doc_active_model(doc: &NewDocument) -> documents::ActiveModel {
    documents::ActiveModel {
        id: Set(doc.id),
        client_id: Set(doc.client_id),
        doc_type: Set(doc.meta.doc_type.code().to_owned()),
        number: Set(doc.meta.number.clone()),
        issuer: Set(doc.meta.issuer.clone()),
        valid_from: Set(doc.meta.valid_from),
        valid_to: Set(if doc.meta.long_term {
            None
        } else {
            doc.meta.valid_to
        }),
        long_term: Set(doc.meta.long_term),
        business_scope: Set(doc.meta.business_scope.clone()),
        covers_diesel: Set(doc.meta.covers_diesel()),
        review_state: Set(doc.review.code().to_owned()),
        review_reason: Set(doc.review_reason.clone()),
        reviewed_by: Set(doc.reviewed_by),
        reviewed_at: Set(doc.reviewed_at),
        uploaded_by: Set(doc.uploaded_by),
        uploaded_at: Set(doc.uploaded_at),
    }
}

fn file_active_model(document_id: Uuid, f: &NewDocumentFile) -> document_files::ActiveModel {
    document_files::ActiveModel {
        id: Set(f.id),
        document_id: Set(document_id),
        page: Set(f.page),
        storage_key: Set(f.storage_key.clone()),
        content_type: Set(f.content_type.clone()),
        size_bytes: Set(f.size_bytes),
        sha256: Set(f.sha256.clone()),
        thumbnail_key: Set(f.thumbnail_key.clone()),
    }
}

/// Inserts document versions with their pages in the caller's transaction (the demo loader
/// uses it in batches).
pub(crate) async fn insert_documents<C: sea_orm::ConnectionTrait>(
    conn: &C,
    docs: &[NewDocument],
) -> Result<(), StoreError> {
    if docs.is_empty() {
        return Ok(());
    }
    documents::Entity::insert_many(docs.iter().map(doc_active_model))
        .exec_without_returning(conn)
        .await?;
    let files: Vec<document_files::ActiveModel> = docs
        .iter()
        .flat_map(|d| d.files.iter().map(move |f| file_active_model(d.id, f)))
        .collect();
    if !files.is_empty() {
        document_files::Entity::insert_many(files)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Condition: the document is the newest version of its (client, type).
fn is_newest_version() -> Condition {
    let newer = Query::select()
        .expr(Expr::val(1))
        .from_as(documents::Entity, Alias::new("newer"))
        .and_where(
            Expr::col((Alias::new("newer"), documents::Column::ClientId))
                .equals((documents::Entity, documents::Column::ClientId)),
        )
        .and_where(
            Expr::col((Alias::new("newer"), documents::Column::DocType))
                .equals((documents::Entity, documents::Column::DocType)),
        )
        .cond_where(
            Condition::any()
                .add(
                    Expr::col((Alias::new("newer"), documents::Column::UploadedAt)).gt(Expr::col(
                        (documents::Entity, documents::Column::UploadedAt),
                    )),
                )
                // Same instant: the later id (time-ordered UUIDs) is the newer upload.
                .add(
                    Condition::all()
                        .add(
                            Expr::col((Alias::new("newer"), documents::Column::UploadedAt))
                                .equals((documents::Entity, documents::Column::UploadedAt)),
                        )
                        .add(
                            Expr::col((Alias::new("newer"), documents::Column::Id))
                                .gt(Expr::col((documents::Entity, documents::Column::Id))),
                        ),
                ),
        )
        .to_owned();
    Condition::all().add(Expr::exists(newer).not())
}

/// Condition: the document has `status` on `today`.
fn has_status(status: DocumentStatus, today: NaiveDate, expiring_days: i64) -> Condition {
    let approved = documents::Column::ReviewState.eq(ReviewState::Approved.code());
    let horizon = today + TimeDelta::days(expiring_days);
    match status {
        DocumentStatus::PendingReview => {
            Condition::all().add(documents::Column::ReviewState.eq(ReviewState::Pending.code()))
        }
        DocumentStatus::Rejected => {
            Condition::all().add(documents::Column::ReviewState.eq(ReviewState::Rejected.code()))
        }
        DocumentStatus::Expired => Condition::all()
            .add(approved)
            .add(documents::Column::ValidTo.lt(today)),
        DocumentStatus::Expiring => Condition::all()
            .add(approved)
            .add(documents::Column::ValidTo.gte(today))
            .add(documents::Column::ValidTo.lte(horizon)),
        DocumentStatus::Valid => Condition::all().add(approved).add(
            Condition::any()
                .add(documents::Column::ValidTo.is_null())
                .add(documents::Column::ValidTo.gt(horizon)),
        ),
        // A missing document has no row.
        DocumentStatus::Missing => Condition::all().add(Expr::val(1).eq(0)),
    }
}

impl Store {
    /// Stores a document version with its pages and the audit entry, in one transaction.
    pub async fn insert_document(
        &self,
        doc: &NewDocument,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        insert_documents(&txn, std::slice::from_ref(doc)).await?;
        insert_audit(&txn, audit).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The client a document belongs to, if the document exists.
    pub async fn document_client(&self, id: Uuid) -> Result<Option<Uuid>, StoreError> {
        Ok(documents::Entity::find_by_id(id)
            .select_only()
            .column(documents::Column::ClientId)
            .into_tuple()
            .one(&self.db)
            .await?)
    }

    /// One document as of `today`.
    pub async fn document(
        &self,
        id: Uuid,
        today: NaiveDate,
        expiring_days: i64,
    ) -> Result<Option<Document>, StoreError> {
        let Some(row) = documents::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        Ok(self
            .to_documents(vec![row], today, expiring_days)
            .await?
            .pop())
    }

    /// Every version of a client's documents, newest first.
    pub async fn client_documents(
        &self,
        client_id: Uuid,
        today: NaiveDate,
        expiring_days: i64,
    ) -> Result<Vec<Document>, StoreError> {
        let rows = documents::Entity::find()
            .filter(documents::Column::ClientId.eq(client_id))
            .order_by_desc(documents::Column::UploadedAt)
            .order_by_desc(documents::Column::Id)
            .all(&self.db)
            .await?;
        self.to_documents(rows, today, expiring_days).await
    }

    /// Documents in scope matching the filter, with the total.
    pub async fn list_documents(
        &self,
        filter: &DocumentFilter,
        scope: &DataScope,
        today: NaiveDate,
        expiring_days: i64,
    ) -> Result<(Vec<Document>, u64), StoreError> {
        let mut clients_in_scope = crate::clients::scoped(
            clients::Entity::find()
                .select_only()
                .column(clients::Column::Id),
            scope,
        );
        if let Some(units) = &filter.org_units {
            clients_in_scope =
                clients_in_scope.filter(clients::Column::OrgUnitId.is_in(units.iter().copied()));
        }
        let mut select = documents::Entity::find()
            .filter(documents::Column::ClientId.in_subquery(clients_in_scope.into_query()));
        if let Some(client) = filter.client_id {
            select = select.filter(documents::Column::ClientId.eq(client));
        }
        if let Some(doc_type) = filter.doc_type {
            select = select.filter(documents::Column::DocType.eq(doc_type.code()));
        }
        if !filter.all_versions {
            select = select.filter(is_newest_version());
        }
        if let Some(status) = filter.status {
            select = select.filter(has_status(status, today, expiring_days));
        }
        select = match filter.status {
            Some(DocumentStatus::PendingReview) => select
                .order_by_asc(documents::Column::UploadedAt)
                .order_by_asc(documents::Column::Id),
            Some(DocumentStatus::Expiring | DocumentStatus::Expired) => select
                .order_by_asc(documents::Column::ValidTo)
                .order_by_asc(documents::Column::Id),
            _ => select
                .order_by_desc(documents::Column::UploadedAt)
                .order_by_desc(documents::Column::Id),
        };
        let paginator = select.paginate(&self.db, filter.per_page.max(1));
        let total = paginator.num_items().await?;
        let rows = paginator.fetch_page(filter.page.saturating_sub(1)).await?;
        Ok((self.to_documents(rows, today, expiring_days).await?, total))
    }

    /// The stored page of a document.
    pub async fn document_file(
        &self,
        document_id: Uuid,
        page: i32,
    ) -> Result<Option<document_files::Model>, StoreError> {
        Ok(document_files::Entity::find()
            .filter(document_files::Column::DocumentId.eq(document_id))
            .filter(document_files::Column::Page.eq(page))
            .one(&self.db)
            .await?)
    }

    /// Records a review decision on a pending document, with its audit entry; an approval also
    /// closes the renew-document tasks the document supersedes. One transaction.
    pub async fn review_document(
        &self,
        id: Uuid,
        decision: ReviewDecision,
        reason: Option<String>,
        by: Uuid,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<ReviewOutcome, StoreError> {
        let txn = self.db.begin().await?;
        let row = documents::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let state: ReviewState = from_code(&row.review_state, "review state")?;
        if state != ReviewState::Pending {
            return Ok(ReviewOutcome::NotPending(state));
        }
        let new_state = match decision {
            ReviewDecision::Approve => ReviewState::Approved,
            ReviewDecision::Reject => ReviewState::Rejected,
        };
        // Guarded on the old state so two reviewers racing cannot both decide.
        let updated = documents::Entity::update_many()
            .col_expr(
                documents::Column::ReviewState,
                Expr::value(new_state.code()),
            )
            .col_expr(documents::Column::ReviewReason, Expr::value(reason))
            .col_expr(documents::Column::ReviewedBy, Expr::value(by))
            .col_expr(documents::Column::ReviewedAt, Expr::value(now))
            .filter(documents::Column::Id.eq(id))
            .filter(documents::Column::ReviewState.eq(ReviewState::Pending.code()))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 0 {
            return Ok(ReviewOutcome::NotPending(ReviewState::Approved));
        }
        let mut tasks_closed = 0;
        if new_state == ReviewState::Approved {
            let doc_type: DocumentType = from_code(&row.doc_type, "document type")?;
            tasks_closed = crate::tasks::close_renew_tasks(
                &txn,
                row.client_id,
                doc_type,
                row.valid_to,
                id,
                now,
            )
            .await?;
        }
        insert_audit(&txn, audit).await?;
        txn.commit().await?;
        Ok(ReviewOutcome::Reviewed { tasks_closed })
    }

    /// Maps rows to domain documents: names, pages, status on `today`, superseded flags.
    async fn to_documents(
        &self,
        rows: Vec<documents::Model>,
        today: NaiveDate,
        expiring_days: i64,
    ) -> Result<Vec<Document>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let client_ids: HashSet<Uuid> = rows.iter().map(|r| r.client_id).collect();
        let user_ids: HashSet<Uuid> = rows
            .iter()
            .flat_map(|r| std::iter::once(r.uploaded_by).chain(r.reviewed_by))
            .collect();
        let client_names: HashMap<Uuid, String> = clients::Entity::find()
            .select_only()
            .columns([clients::Column::Id, clients::Column::Name])
            .filter(clients::Column::Id.is_in(client_ids.iter().copied()))
            .into_tuple::<(Uuid, String)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        let user_names: HashMap<Uuid, String> = users::Entity::find()
            .select_only()
            .columns([users::Column::Id, users::Column::DisplayName])
            .filter(users::Column::Id.is_in(user_ids))
            .into_tuple::<(Uuid, String)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        let mut files: HashMap<Uuid, Vec<DocumentFile>> = HashMap::new();
        for f in document_files::Entity::find()
            .filter(document_files::Column::DocumentId.is_in(ids))
            .order_by_asc(document_files::Column::Page)
            .all(&self.db)
            .await?
        {
            files.entry(f.document_id).or_default().push(DocumentFile {
                id: f.id,
                page: f.page,
                content_type: f.content_type,
                size_bytes: f.size_bytes,
                sha256: f.sha256,
                has_thumbnail: f.thumbnail_key.is_some(),
            });
        }
        // The newest upload per (client, type) among all versions of those clients, by
        // (uploaded_at, id) so uploads of the same instant still have an order.
        let mut newest: HashMap<(Uuid, String), (DateTime<Utc>, Uuid)> = HashMap::new();
        for (id, client, ty, at) in documents::Entity::find()
            .select_only()
            .columns([
                documents::Column::Id,
                documents::Column::ClientId,
                documents::Column::DocType,
                documents::Column::UploadedAt,
            ])
            .filter(documents::Column::ClientId.is_in(client_ids))
            .into_tuple::<(Uuid, Uuid, String, DateTime<Utc>)>()
            .all(&self.db)
            .await?
        {
            let entry = newest.entry((client, ty)).or_insert((at, id));
            if (at, id) > *entry {
                *entry = (at, id);
            }
        }
        rows.into_iter()
            .map(|r| {
                let doc_type: DocumentType = from_code(&r.doc_type, "document type")?;
                let review: ReviewState = from_code(&r.review_state, "review state")?;
                let superseded = newest
                    .get(&(r.client_id, r.doc_type.clone()))
                    .is_some_and(|newest| *newest > (r.uploaded_at, r.id));
                Ok(Document {
                    id: r.id,
                    client_id: r.client_id,
                    client_name: client_names.get(&r.client_id).cloned().unwrap_or_default(),
                    meta: DocumentMeta {
                        doc_type,
                        number: r.number,
                        issuer: r.issuer,
                        valid_from: r.valid_from,
                        valid_to: r.valid_to,
                        long_term: r.long_term,
                        business_scope: r.business_scope,
                    },
                    review,
                    review_reason: r.review_reason,
                    reviewed_by_name: r.reviewed_by.and_then(|u| user_names.get(&u).cloned()),
                    reviewed_at: r.reviewed_at,
                    uploaded_by_name: user_names.get(&r.uploaded_by).cloned().unwrap_or_default(),
                    uploaded_at: r.uploaded_at,
                    status: document_status(review, r.valid_to, today, expiring_days),
                    covers_diesel: r.covers_diesel,
                    superseded,
                    files: files.remove(&r.id).unwrap_or_default(),
                })
            })
            .collect()
    }
}
