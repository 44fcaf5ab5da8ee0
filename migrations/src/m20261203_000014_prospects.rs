//! Prospects: the development pipeline beside a client record that has not bought yet — its
//! stage, the responsible director and leader, estimated demand, where it buys now, and when its
//! first order made it a client.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Prospects {
    Table,
    ClientId,
    Stage,
    LostReason,
    DirectorId,
    LeaderId,
    EstMonthlyDemandT,
    PreviousChannel,
    Source,
    CreatedAt,
    StageChangedAt,
    WonAt,
    FirstOrderNo,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Prospects::Table)
                    .col(
                        ColumnDef::new(Prospects::ClientId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Prospects::Stage).string_len(16).not_null())
                    .col(ColumnDef::new(Prospects::LostReason).string_len(200).null())
                    .col(ColumnDef::new(Prospects::DirectorId).uuid().null())
                    .col(ColumnDef::new(Prospects::LeaderId).uuid().null())
                    .col(
                        ColumnDef::new(Prospects::EstMonthlyDemandT)
                            .double()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Prospects::PreviousChannel)
                            .string_len(200)
                            .null(),
                    )
                    .col(ColumnDef::new(Prospects::Source).string_len(200).null())
                    .col(
                        ColumnDef::new(Prospects::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Prospects::StageChangedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Prospects::WonAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Prospects::FirstOrderNo)
                            .string_len(64)
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Prospects::Table, Prospects::ClientId)
                            .to(Clients::Table, Clients::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_prospects_stage")
                    .table(Prospects::Table)
                    .col(Prospects::Stage)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".to_owned()))
    }
}
