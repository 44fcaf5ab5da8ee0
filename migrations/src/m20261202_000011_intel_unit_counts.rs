//! The dashboard's class × grade × key-client counts per org unit, written by each current
//! recompute (about 2,000 rows for the demo province instead of a grouped join over every
//! client on each dashboard request).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IntelUnitCounts {
    Table,
    OrgUnitId,
    Class,
    Grade,
    KeyClient,
    Clients,
    #[sea_orm(iden = "tonnes_12m")]
    Tonnes12m,
    PrepaidT,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IntelUnitCounts::Table)
                    .col(ColumnDef::new(IntelUnitCounts::OrgUnitId).uuid().not_null())
                    .col(
                        ColumnDef::new(IntelUnitCounts::Class)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(IntelUnitCounts::Grade).string_len(2).null())
                    .col(
                        ColumnDef::new(IntelUnitCounts::KeyClient)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IntelUnitCounts::Clients)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IntelUnitCounts::Tonnes12m)
                            .double()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IntelUnitCounts::PrepaidT)
                            .double()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_intel_unit_counts_unit")
                    .table(IntelUnitCounts::Table)
                    .col(IntelUnitCounts::OrgUnitId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".to_owned()))
    }
}
