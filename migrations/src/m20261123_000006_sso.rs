//! Single sign-on: pending authorisation requests and one-time sign-in tickets.
//!
//! Both live in the database rather than in one server's memory, so a callback or a ticket
//! exchange may land on any instance. Secrets are stored only as SHA-256 hashes, except the
//! PKCE verifier, which must be sent to the provider as it is (it is worthless without the
//! authorization code, and its row works once and for ten minutes).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SsoRequests {
    Table,
    Id,
    StateHash,
    BindingHash,
    PkceVerifier,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum SsoTickets {
    Table,
    Id,
    TicketHash,
    BindingHash,
    UserId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
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
                    .table(SsoRequests::Table)
                    .col(
                        ColumnDef::new(SsoRequests::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    // The callback finds its request by the hash of `state`.
                    .col(
                        ColumnDef::new(SsoRequests::StateHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    // Hash of the browser-binding cookie set when the request started.
                    .col(
                        ColumnDef::new(SsoRequests::BindingHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SsoRequests::PkceVerifier)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SsoRequests::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SsoRequests::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SsoRequests::UsedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sso_requests_expires_at")
                    .table(SsoRequests::Table)
                    .col(SsoRequests::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SsoTickets::Table)
                    .col(
                        ColumnDef::new(SsoTickets::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SsoTickets::TicketHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(SsoTickets::BindingHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(SsoTickets::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(SsoTickets::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SsoTickets::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SsoTickets::UsedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SsoTickets::Table, SsoTickets::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sso_tickets_expires_at")
                    .table(SsoTickets::Table)
                    .col(SsoTickets::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".to_owned()))
    }
}
