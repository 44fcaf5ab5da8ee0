//! Sales data and client intelligence: prepayments and liftings, tanks and their gauge
//! readings, saved import mappings, the computed figures per client (grade, class, P(alive)),
//! grade history, weekly class snapshots, churn reasons, recompute runs and the monthly volume
//! per org unit that the dashboard reads.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Prepayments {
    Table,
    Id,
    EntryNo,
    ClientId,
    Kind,
    EntryDate,
    Product,
    QuantityKg,
    AmountFen,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tanks {
    Table,
    Id,
    ClientId,
    TankCode,
    Product,
    CapacityLitres,
    LastLevelLitres,
    LastReadAt,
    ConsumptionPerDay,
    DaysUntilEmpty,
    EpisodeStartedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum GaugeReadings {
    Table,
    TankId,
    ReadAt,
    LevelLitres,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ImportMappings {
    Table,
    Id,
    Name,
    Mapping,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ClientIntel {
    Table,
    ClientId,
    AsOf,
    Grade,
    KeyClient,
    RfmR,
    RfmF,
    RfmM,
    Quadrant,
    Class,
    Reasons,
    SentenceZh,
    SentenceEn,
    PAlive,
    #[sea_orm(iden = "expected_purchases_90d")]
    ExpectedPurchases90d,
    VolumeAtRiskT,
    #[sea_orm(iden = "tonnes_12m")]
    Tonnes12m,
    #[sea_orm(iden = "purchases_12m")]
    Purchases12m,
    #[sea_orm(iden = "tonnes_90d")]
    Tonnes90d,
    PrepaidNotLiftedT,
    RuleVersion,
    ComputedAt,
}

#[derive(DeriveIden)]
enum GradeHistory {
    Table,
    ClientId,
    EffectiveDate,
    Grade,
    KeyClient,
    #[sea_orm(iden = "tonnes_12m")]
    Tonnes12m,
    RuleVersion,
}

#[derive(DeriveIden)]
enum ClassSnapshots {
    Table,
    Week,
    ClientId,
    Class,
    SentenceZh,
    SentenceEn,
}

#[derive(DeriveIden)]
enum ChurnReasons {
    Table,
    Id,
    ClientId,
    Reason,
    Competitor,
    PriceGapFenPerT,
    Note,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden)]
enum IntelRuns {
    Table,
    Id,
    AsOf,
    StartedAt,
    ElapsedMs,
    Clients,
    Model,
    RuleVersion,
}

#[derive(DeriveIden)]
enum UnitMonthlyVolume {
    Table,
    OrgUnitId,
    Month,
    Product,
    QuantityKg,
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

fn fk_client<T: IntoIden + 'static>(table: T, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Clients::Table, Clients::Id)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Prepayments::Table)
                    .col(
                        ColumnDef::new(Prepayments::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Prepayments::EntryNo)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Prepayments::ClientId).uuid().not_null())
                    .col(ColumnDef::new(Prepayments::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(Prepayments::EntryDate).date().not_null())
                    .col(ColumnDef::new(Prepayments::Product).string_len(32).null())
                    .col(
                        ColumnDef::new(Prepayments::QuantityKg)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Prepayments::AmountFen)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Prepayments::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut fk_client(Prepayments::Table, Prepayments::ClientId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_prepayments_client")
                    .table(Prepayments::Table)
                    .col(Prepayments::ClientId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tanks::Table)
                    .col(ColumnDef::new(Tanks::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Tanks::ClientId).uuid().not_null())
                    .col(ColumnDef::new(Tanks::TankCode).string_len(64).not_null())
                    .col(ColumnDef::new(Tanks::Product).string_len(32).not_null())
                    .col(ColumnDef::new(Tanks::CapacityLitres).double().not_null())
                    .col(ColumnDef::new(Tanks::LastLevelLitres).double().null())
                    .col(
                        ColumnDef::new(Tanks::LastReadAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(Tanks::ConsumptionPerDay).double().null())
                    .col(ColumnDef::new(Tanks::DaysUntilEmpty).double().null())
                    .col(
                        ColumnDef::new(Tanks::EpisodeStartedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Tanks::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut fk_client(Tanks::Table, Tanks::ClientId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_tanks_client_code")
                    .table(Tanks::Table)
                    .col(Tanks::ClientId)
                    .col(Tanks::TankCode)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GaugeReadings::Table)
                    .col(ColumnDef::new(GaugeReadings::TankId).uuid().not_null())
                    .col(
                        ColumnDef::new(GaugeReadings::ReadAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(GaugeReadings::LevelLitres)
                            .double()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(GaugeReadings::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(GaugeReadings::TankId)
                            .col(GaugeReadings::ReadAt),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GaugeReadings::Table, GaugeReadings::TankId)
                            .to(Tanks::Table, Tanks::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ImportMappings::Table)
                    .col(
                        ColumnDef::new(ImportMappings::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ImportMappings::Name)
                            .string_len(100)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(ImportMappings::Mapping).json().not_null())
                    .col(ColumnDef::new(ImportMappings::CreatedBy).uuid().null())
                    .col(
                        ColumnDef::new(ImportMappings::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ImportMappings::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ImportMappings::Table, ImportMappings::CreatedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ClientIntel::Table)
                    .col(
                        ColumnDef::new(ClientIntel::ClientId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ClientIntel::AsOf).date().not_null())
                    .col(ColumnDef::new(ClientIntel::Grade).string_len(4).null())
                    .col(ColumnDef::new(ClientIntel::KeyClient).boolean().not_null())
                    .col(ColumnDef::new(ClientIntel::RfmR).integer().not_null())
                    .col(ColumnDef::new(ClientIntel::RfmF).integer().not_null())
                    .col(ColumnDef::new(ClientIntel::RfmM).integer().not_null())
                    .col(ColumnDef::new(ClientIntel::Quadrant).string_len(40).null())
                    .col(ColumnDef::new(ClientIntel::Class).string_len(20).not_null())
                    .col(ColumnDef::new(ClientIntel::Reasons).json().not_null())
                    .col(ColumnDef::new(ClientIntel::SentenceZh).text().not_null())
                    .col(ColumnDef::new(ClientIntel::SentenceEn).text().not_null())
                    .col(ColumnDef::new(ClientIntel::PAlive).double().null())
                    .col(
                        ColumnDef::new(ClientIntel::ExpectedPurchases90d)
                            .double()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ClientIntel::VolumeAtRiskT)
                            .double()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ClientIntel::Tonnes12m).double().not_null())
                    .col(
                        ColumnDef::new(ClientIntel::Purchases12m)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ClientIntel::Tonnes90d).double().not_null())
                    .col(
                        ColumnDef::new(ClientIntel::PrepaidNotLiftedT)
                            .double()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ClientIntel::RuleVersion)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ClientIntel::ComputedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut fk_client(ClientIntel::Table, ClientIntel::ClientId))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_client_intel_class", ClientIntel::Class),
            ("ix_client_intel_risk", ClientIntel::VolumeAtRiskT),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ClientIntel::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(GradeHistory::Table)
                    .col(ColumnDef::new(GradeHistory::ClientId).uuid().not_null())
                    .col(
                        ColumnDef::new(GradeHistory::EffectiveDate)
                            .date()
                            .not_null(),
                    )
                    .col(ColumnDef::new(GradeHistory::Grade).string_len(4).null())
                    .col(ColumnDef::new(GradeHistory::KeyClient).boolean().not_null())
                    .col(ColumnDef::new(GradeHistory::Tonnes12m).double().not_null())
                    .col(
                        ColumnDef::new(GradeHistory::RuleVersion)
                            .integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(GradeHistory::ClientId)
                            .col(GradeHistory::EffectiveDate),
                    )
                    .foreign_key(&mut fk_client(GradeHistory::Table, GradeHistory::ClientId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ClassSnapshots::Table)
                    .col(ColumnDef::new(ClassSnapshots::Week).date().not_null())
                    .col(ColumnDef::new(ClassSnapshots::ClientId).uuid().not_null())
                    .col(
                        ColumnDef::new(ClassSnapshots::Class)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ClassSnapshots::SentenceZh).text().not_null())
                    .col(ColumnDef::new(ClassSnapshots::SentenceEn).text().not_null())
                    .primary_key(
                        Index::create()
                            .col(ClassSnapshots::Week)
                            .col(ClassSnapshots::ClientId),
                    )
                    .foreign_key(&mut fk_client(
                        ClassSnapshots::Table,
                        ClassSnapshots::ClientId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_class_snapshots_client")
                    .table(ClassSnapshots::Table)
                    .col(ClassSnapshots::ClientId)
                    .col(ClassSnapshots::Week)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ChurnReasons::Table)
                    .col(
                        ColumnDef::new(ChurnReasons::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ChurnReasons::ClientId).uuid().not_null())
                    .col(
                        ColumnDef::new(ChurnReasons::Reason)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ChurnReasons::Competitor)
                            .string_len(100)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ChurnReasons::PriceGapFenPerT)
                            .big_integer()
                            .null(),
                    )
                    .col(ColumnDef::new(ChurnReasons::Note).text().null())
                    .col(ColumnDef::new(ChurnReasons::RecordedBy).uuid().not_null())
                    .col(
                        ColumnDef::new(ChurnReasons::RecordedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut fk_client(ChurnReasons::Table, ChurnReasons::ClientId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChurnReasons::Table, ChurnReasons::RecordedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_churn_reasons_client")
                    .table(ChurnReasons::Table)
                    .col(ChurnReasons::ClientId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IntelRuns::Table)
                    .col(
                        ColumnDef::new(IntelRuns::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(IntelRuns::AsOf).date().not_null())
                    .col(
                        ColumnDef::new(IntelRuns::StartedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IntelRuns::ElapsedMs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(IntelRuns::Clients).big_integer().not_null())
                    .col(ColumnDef::new(IntelRuns::Model).json().not_null())
                    .col(ColumnDef::new(IntelRuns::RuleVersion).integer().not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UnitMonthlyVolume::Table)
                    .col(
                        ColumnDef::new(UnitMonthlyVolume::OrgUnitId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(UnitMonthlyVolume::Month)
                            .string_len(7)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(UnitMonthlyVolume::Product)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(UnitMonthlyVolume::QuantityKg)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(UnitMonthlyVolume::OrgUnitId)
                            .col(UnitMonthlyVolume::Month)
                            .col(UnitMonthlyVolume::Product),
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
