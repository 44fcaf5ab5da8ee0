//! Client archives: versioned rule sets (the requirement matrix first), licence documents and
//! their pages, and tasks with their assignees — the task model every later capability uses.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RuleSets {
    Table,
    Id,
    Kind,
    Version,
    Body,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    ClientId,
    DocType,
    Number,
    Issuer,
    ValidFrom,
    ValidTo,
    LongTerm,
    BusinessScope,
    CoversDiesel,
    ReviewState,
    ReviewReason,
    ReviewedBy,
    ReviewedAt,
    UploadedBy,
    UploadedAt,
}

#[derive(DeriveIden)]
enum DocumentFiles {
    Table,
    Id,
    DocumentId,
    Page,
    StorageKey,
    ContentType,
    SizeBytes,
    Sha256,
    ThumbnailKey,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
    Kind,
    Source,
    ClientId,
    Title,
    TitleEn,
    Detail,
    DetailEn,
    DueDate,
    Status,
    Tier,
    DocumentId,
    DedupeKey,
    EvidenceKind,
    EvidenceId,
    CreatedAt,
    UpdatedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum TaskAssignees {
    Table,
    TaskId,
    UserId,
    Level,
    AddedAt,
}

#[derive(DeriveIden)]
enum ArchiveExports {
    Table,
    Id,
    TicketHash,
    CreatedBy,
    Filter,
    Clients,
    CreatedAt,
    ExpiresAt,
    DownloadedAt,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RuleSets::Table)
                    .col(ColumnDef::new(RuleSets::Id).uuid().not_null().primary_key())
                    // e.g. `archive_requirements`; later `grading`, `classification`, …
                    .col(ColumnDef::new(RuleSets::Kind).string_len(40).not_null())
                    .col(ColumnDef::new(RuleSets::Version).integer().not_null())
                    .col(ColumnDef::new(RuleSets::Body).json().not_null())
                    .col(ColumnDef::new(RuleSets::CreatedBy).uuid().null())
                    .col(
                        ColumnDef::new(RuleSets::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RuleSets::Table, RuleSets::CreatedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_rule_sets_kind_version")
                    .table(RuleSets::Table)
                    .col(RuleSets::Kind)
                    .col(RuleSets::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Documents::Table)
                    .col(
                        ColumnDef::new(Documents::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Documents::ClientId).uuid().not_null())
                    .col(ColumnDef::new(Documents::DocType).string_len(32).not_null())
                    .col(ColumnDef::new(Documents::Number).string_len(64).not_null())
                    .col(ColumnDef::new(Documents::Issuer).string_len(200).not_null())
                    .col(ColumnDef::new(Documents::ValidFrom).date().null())
                    .col(ColumnDef::new(Documents::ValidTo).date().null())
                    .col(ColumnDef::new(Documents::LongTerm).boolean().not_null())
                    .col(ColumnDef::new(Documents::BusinessScope).text().not_null())
                    .col(ColumnDef::new(Documents::CoversDiesel).boolean().not_null())
                    .col(
                        ColumnDef::new(Documents::ReviewState)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Documents::ReviewReason).text().null())
                    .col(ColumnDef::new(Documents::ReviewedBy).uuid().null())
                    .col(
                        ColumnDef::new(Documents::ReviewedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(Documents::UploadedBy).uuid().not_null())
                    .col(
                        ColumnDef::new(Documents::UploadedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Documents::Table, Documents::ClientId)
                            .to(Clients::Table, Clients::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Documents::Table, Documents::UploadedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Documents::Table, Documents::ReviewedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ix_documents_client_type",
                vec![Documents::ClientId, Documents::DocType],
            ),
            ("ix_documents_review_state", vec![Documents::ReviewState]),
            ("ix_documents_valid_to", vec![Documents::ValidTo]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Documents::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(DocumentFiles::Table)
                    .col(
                        ColumnDef::new(DocumentFiles::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(DocumentFiles::DocumentId).uuid().not_null())
                    .col(ColumnDef::new(DocumentFiles::Page).integer().not_null())
                    // Generated by the server (`documents/{client}/{document}/{file}.{ext}`);
                    // nothing a client sends becomes part of it.
                    .col(
                        ColumnDef::new(DocumentFiles::StorageKey)
                            .string_len(300)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentFiles::ContentType)
                            .string_len(40)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentFiles::SizeBytes)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentFiles::Sha256)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentFiles::ThumbnailKey)
                            .string_len(300)
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(DocumentFiles::Table, DocumentFiles::DocumentId)
                            .to(Documents::Table, Documents::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_document_files_document_page")
                    .table(DocumentFiles::Table)
                    .col(DocumentFiles::DocumentId)
                    .col(DocumentFiles::Page)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tasks::Table)
                    .col(ColumnDef::new(Tasks::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Tasks::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Tasks::Source).string_len(32).not_null())
                    .col(ColumnDef::new(Tasks::ClientId).uuid().not_null())
                    .col(ColumnDef::new(Tasks::Title).string_len(300).not_null())
                    .col(ColumnDef::new(Tasks::TitleEn).string_len(300).not_null())
                    .col(ColumnDef::new(Tasks::Detail).text().not_null())
                    .col(ColumnDef::new(Tasks::DetailEn).text().not_null())
                    .col(ColumnDef::new(Tasks::DueDate).date().not_null())
                    .col(ColumnDef::new(Tasks::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Tasks::Tier).string_len(16).null())
                    .col(ColumnDef::new(Tasks::DocumentId).uuid().null())
                    // What makes a task unique among active ones, e.g.
                    // `renew:{client}:{type}:{valid_to}`; see the partial index below.
                    .col(ColumnDef::new(Tasks::DedupeKey).string_len(200).null())
                    .col(ColumnDef::new(Tasks::EvidenceKind).string_len(16).null())
                    .col(ColumnDef::new(Tasks::EvidenceId).uuid().null())
                    .col(
                        ColumnDef::new(Tasks::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Tasks::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Tasks::ClosedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tasks::Table, Tasks::ClientId)
                            .to(Clients::Table, Clients::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tasks::Table, Tasks::DocumentId)
                            .to(Documents::Table, Documents::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_tasks_status_due", vec![Tasks::Status, Tasks::DueDate]),
            ("ix_tasks_client", vec![Tasks::ClientId]),
            ("ix_tasks_dedupe_key", vec![Tasks::DedupeKey]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Tasks::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        // One active task per dedupe key, enforced by the database so that two job runs (or two
        // instances) can never both create it. Both SQLite and PostgreSQL take partial indexes.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_tasks_active_dedupe_key ON tasks (dedupe_key) \
                 WHERE status IN ('open', 'checked_in', 'reviewed') AND dedupe_key IS NOT NULL",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TaskAssignees::Table)
                    .col(ColumnDef::new(TaskAssignees::TaskId).uuid().not_null())
                    .col(ColumnDef::new(TaskAssignees::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(TaskAssignees::Level)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TaskAssignees::AddedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(TaskAssignees::TaskId)
                            .col(TaskAssignees::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TaskAssignees::Table, TaskAssignees::TaskId)
                            .to(Tasks::Table, Tasks::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TaskAssignees::Table, TaskAssignees::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_task_assignees_user")
                    .table(TaskAssignees::Table)
                    .col(TaskAssignees::UserId)
                    .to_owned(),
            )
            .await?;
        // A bulk export: the filter it was asked with and a download ticket (SHA-256 only), so
        // the browser's own download manager can fetch the ZIP without a bearer header.
        manager
            .create_table(
                Table::create()
                    .table(ArchiveExports::Table)
                    .col(
                        ColumnDef::new(ArchiveExports::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ArchiveExports::TicketHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(ArchiveExports::CreatedBy).uuid().not_null())
                    .col(ColumnDef::new(ArchiveExports::Filter).json().not_null())
                    .col(
                        ColumnDef::new(ArchiveExports::Clients)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ArchiveExports::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ArchiveExports::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ArchiveExports::DownloadedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ArchiveExports::Table, ArchiveExports::CreatedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".to_owned()))
    }
}
