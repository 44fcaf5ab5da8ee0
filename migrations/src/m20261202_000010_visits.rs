//! Visits: photos taken on a visit, check-ins with their visit records (idempotent per phone
//! user and key), and review comments.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum VisitPhotos {
    Table,
    Id,
    UserId,
    ContentType,
    SizeBytes,
    Sha256,
    StorageKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Visits {
    Table,
    Id,
    UserId,
    ClientId,
    TaskId,
    IdempotencyKey,
    RequestHash,
    DeviceTime,
    ReceivedAt,
    Lat,
    Lon,
    AccuracyM,
    DistanceM,
    AllowedM,
    Verdict,
    ClockSkewS,
    ClockFlag,
    Purpose,
    Outcome,
    NextStep,
    CompetitorSeen,
    PriceGap,
    ChurnReason,
    PhotoIds,
    ReviewedAt,
}

#[derive(DeriveIden)]
enum VisitComments {
    Table,
    Id,
    VisitId,
    AuthorId,
    Body,
    FollowUpTaskId,
    CreatedAt,
}

fn fk<T: IntoIden + 'static, R: IntoIden + 'static>(
    table: T,
    column: impl IntoIden,
    to: R,
    to_column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(to, to_column)
        .to_owned()
}

fn timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(VisitPhotos::Table)
                    .col(
                        ColumnDef::new(VisitPhotos::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(VisitPhotos::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(VisitPhotos::ContentType)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VisitPhotos::SizeBytes)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VisitPhotos::Sha256)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VisitPhotos::StorageKey)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(timestamp(VisitPhotos::CreatedAt))
                    .foreign_key(&mut fk(
                        VisitPhotos::Table,
                        VisitPhotos::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Visits::Table)
                    .col(ColumnDef::new(Visits::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Visits::UserId).uuid().not_null())
                    .col(ColumnDef::new(Visits::ClientId).uuid().not_null())
                    .col(ColumnDef::new(Visits::TaskId).uuid().null())
                    .col(
                        ColumnDef::new(Visits::IdempotencyKey)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Visits::RequestHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(timestamp(Visits::DeviceTime))
                    .col(timestamp(Visits::ReceivedAt))
                    .col(ColumnDef::new(Visits::Lat).double().not_null())
                    .col(ColumnDef::new(Visits::Lon).double().not_null())
                    .col(ColumnDef::new(Visits::AccuracyM).double().not_null())
                    .col(ColumnDef::new(Visits::DistanceM).double().null())
                    .col(ColumnDef::new(Visits::AllowedM).double().not_null())
                    .col(ColumnDef::new(Visits::Verdict).string_len(24).not_null())
                    .col(ColumnDef::new(Visits::ClockSkewS).big_integer().not_null())
                    .col(ColumnDef::new(Visits::ClockFlag).boolean().not_null())
                    .col(ColumnDef::new(Visits::Purpose).string_len(200).not_null())
                    .col(ColumnDef::new(Visits::Outcome).text().not_null())
                    .col(ColumnDef::new(Visits::NextStep).text().not_null())
                    .col(
                        ColumnDef::new(Visits::CompetitorSeen)
                            .string_len(100)
                            .null(),
                    )
                    .col(ColumnDef::new(Visits::PriceGap).double().null())
                    .col(ColumnDef::new(Visits::ChurnReason).string_len(16).null())
                    .col(ColumnDef::new(Visits::PhotoIds).json().not_null())
                    .col(
                        ColumnDef::new(Visits::ReviewedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(&mut fk(
                        Visits::Table,
                        Visits::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut fk(
                        Visits::Table,
                        Visits::ClientId,
                        Clients::Table,
                        Clients::Id,
                    ))
                    .foreign_key(&mut fk(
                        Visits::Table,
                        Visits::TaskId,
                        Tasks::Table,
                        Tasks::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_visits_user_key")
                    .table(Visits::Table)
                    .col(Visits::UserId)
                    .col(Visits::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, first) in [
            ("ix_visits_client_received", Visits::ClientId),
            ("ix_visits_user_received", Visits::UserId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Visits::Table)
                        .col(first)
                        .col(Visits::ReceivedAt)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(VisitComments::Table)
                    .col(
                        ColumnDef::new(VisitComments::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(VisitComments::VisitId).uuid().not_null())
                    .col(ColumnDef::new(VisitComments::AuthorId).uuid().not_null())
                    .col(ColumnDef::new(VisitComments::Body).text().not_null())
                    .col(ColumnDef::new(VisitComments::FollowUpTaskId).uuid().null())
                    .col(timestamp(VisitComments::CreatedAt))
                    .foreign_key(&mut fk(
                        VisitComments::Table,
                        VisitComments::VisitId,
                        Visits::Table,
                        Visits::Id,
                    ))
                    .foreign_key(&mut fk(
                        VisitComments::Table,
                        VisitComments::AuthorId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut fk(
                        VisitComments::Table,
                        VisitComments::FollowUpTaskId,
                        Tasks::Table,
                        Tasks::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_visit_comments_visit")
                    .table(VisitComments::Table)
                    .col(VisitComments::VisitId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".to_owned()))
    }
}
