//! Monthly scorecards: targets per person and month, the computed scorecards with the rows
//! each figure came from, reviewers' adjustments (and corrections after the lock).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ScoreTargets {
    Table,
    UserId,
    Month,
    TargetT,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Scorecards {
    Table,
    Id,
    Month,
    UserId,
    OrgUnitId,
    Inputs,
    Components,
    Evidence,
    ComputedScore,
    SchemeVersion,
    ComputedAt,
    LockedAt,
    LockedBy,
}

#[derive(DeriveIden)]
enum ScorecardAdjustments {
    Table,
    Id,
    ScorecardId,
    Points,
    Reason,
    Correction,
    ById,
    ByName,
    At,
}

fn ts(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c)
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
                    .table(ScoreTargets::Table)
                    .col(ColumnDef::new(ScoreTargets::UserId).uuid().not_null())
                    .col(ColumnDef::new(ScoreTargets::Month).string_len(7).not_null())
                    .col(ColumnDef::new(ScoreTargets::TargetT).double().not_null())
                    .col(ts(ScoreTargets::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(ScoreTargets::UserId)
                            .col(ScoreTargets::Month),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ScoreTargets::Table, ScoreTargets::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Scorecards::Table)
                    .col(
                        ColumnDef::new(Scorecards::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Scorecards::Month).string_len(7).not_null())
                    .col(ColumnDef::new(Scorecards::UserId).uuid().not_null())
                    .col(ColumnDef::new(Scorecards::OrgUnitId).uuid().not_null())
                    .col(ColumnDef::new(Scorecards::Inputs).json().not_null())
                    .col(ColumnDef::new(Scorecards::Components).json().not_null())
                    .col(ColumnDef::new(Scorecards::Evidence).json().not_null())
                    .col(
                        ColumnDef::new(Scorecards::ComputedScore)
                            .double()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Scorecards::SchemeVersion)
                            .integer()
                            .not_null(),
                    )
                    .col(ts(Scorecards::ComputedAt))
                    .col(
                        ColumnDef::new(Scorecards::LockedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(Scorecards::LockedBy).uuid().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Scorecards::Table, Scorecards::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_scorecards_month_user")
                    .table(Scorecards::Table)
                    .col(Scorecards::Month)
                    .col(Scorecards::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScorecardAdjustments::Table)
                    .col(
                        ColumnDef::new(ScorecardAdjustments::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ScorecardAdjustments::ScorecardId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ScorecardAdjustments::Points)
                            .double()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ScorecardAdjustments::Reason)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ScorecardAdjustments::Correction)
                            .boolean()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ScorecardAdjustments::ById).uuid().not_null())
                    .col(
                        ColumnDef::new(ScorecardAdjustments::ByName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ts(ScorecardAdjustments::At))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ScorecardAdjustments::Table,
                                ScorecardAdjustments::ScorecardId,
                            )
                            .to(Scorecards::Table, Scorecards::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_scorecard_adjustments_card")
                    .table(ScorecardAdjustments::Table)
                    .col(ScorecardAdjustments::ScorecardId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".to_owned()))
    }
}
