//! Integrator tokens for machine clients: named, scoped, expiring, revocable. Only the SHA-256 of
//! each secret is stored.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IntegratorTokens {
    Table,
    Id,
    Name,
    Scopes,
    TokenHash,
    Hint,
    CreatedBy,
    CreatedByName,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
    RateLimitPerMinute,
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
                    .table(IntegratorTokens::Table)
                    .col(
                        ColumnDef::new(IntegratorTokens::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(IntegratorTokens::Name)
                            .string_len(100)
                            .not_null(),
                    )
                    // A JSON array of scope codes, e.g. `["clients:read"]`.
                    .col(ColumnDef::new(IntegratorTokens::Scopes).json().not_null())
                    // Every request looks the token up by this, so it is unique (and indexed).
                    .col(
                        ColumnDef::new(IntegratorTokens::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(IntegratorTokens::Hint)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IntegratorTokens::CreatedBy)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IntegratorTokens::CreatedByName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IntegratorTokens::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IntegratorTokens::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IntegratorTokens::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(IntegratorTokens::LastUsedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(IntegratorTokens::RateLimitPerMinute)
                            .integer()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(IntegratorTokens::Table, IntegratorTokens::CreatedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_integrator_tokens_created_at")
                    .table(IntegratorTokens::Table)
                    .col(IntegratorTokens::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".to_owned()))
    }
}
