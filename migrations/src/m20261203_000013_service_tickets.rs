//! Client service: tickets (complaints, requests, inquiries) with their targets and clocks,
//! their append-only timeline, and the link from a `service_fault` churn reason to the ticket
//! that caused it.

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
enum Tickets {
    Table,
    Id,
    Number,
    ClientId,
    TicketType,
    Severity,
    Status,
    Channel,
    Title,
    Description,
    OrderNo,
    Reporter,
    ReporterPhone,
    ExternalRef,
    PhotoIds,
    AssigneeId,
    EscalationLevel,
    RaisedBy,
    RaisedByName,
    OpenedAt,
    RespondedAt,
    ResolvedAt,
    ClosedAt,
    Satisfaction,
    Reopened,
    RespondHours,
    ResolveHours,
    PolicyVersion,
    RespondDue,
    ResolveDue,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TicketEvents {
    Table,
    Id,
    TicketId,
    Kind,
    ActorId,
    ActorName,
    At,
    Note,
    Level,
    Method,
    Solved,
    Satisfaction,
}

#[derive(DeriveIden)]
enum ChurnReasons {
    Table,
    TicketId,
}

fn ts(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn ts_null(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tickets::Table)
                    .col(ColumnDef::new(Tickets::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Tickets::Number).string_len(24).not_null())
                    .col(ColumnDef::new(Tickets::ClientId).uuid().not_null())
                    .col(
                        ColumnDef::new(Tickets::TicketType)
                            .string_len(24)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Tickets::Severity).string_len(8).not_null())
                    .col(ColumnDef::new(Tickets::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Tickets::Channel).string_len(16).not_null())
                    .col(ColumnDef::new(Tickets::Title).string_len(100).not_null())
                    .col(ColumnDef::new(Tickets::Description).text().not_null())
                    .col(ColumnDef::new(Tickets::OrderNo).string_len(64).null())
                    .col(ColumnDef::new(Tickets::Reporter).string_len(50).null())
                    .col(ColumnDef::new(Tickets::ReporterPhone).string_len(50).null())
                    .col(ColumnDef::new(Tickets::ExternalRef).string_len(64).null())
                    .col(ColumnDef::new(Tickets::PhotoIds).json().not_null())
                    .col(ColumnDef::new(Tickets::AssigneeId).uuid().not_null())
                    .col(
                        ColumnDef::new(Tickets::EscalationLevel)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Tickets::RaisedBy).uuid().null())
                    .col(
                        ColumnDef::new(Tickets::RaisedByName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ts(Tickets::OpenedAt))
                    .col(ts_null(Tickets::RespondedAt))
                    .col(ts_null(Tickets::ResolvedAt))
                    .col(ts_null(Tickets::ClosedAt))
                    .col(ColumnDef::new(Tickets::Satisfaction).integer().null())
                    .col(ColumnDef::new(Tickets::Reopened).integer().not_null())
                    .col(ColumnDef::new(Tickets::RespondHours).integer().not_null())
                    .col(ColumnDef::new(Tickets::ResolveHours).integer().not_null())
                    .col(ColumnDef::new(Tickets::PolicyVersion).integer().not_null())
                    .col(ts(Tickets::RespondDue))
                    .col(ts(Tickets::ResolveDue))
                    .col(ts(Tickets::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tickets::Table, Tickets::ClientId)
                            .to(Clients::Table, Clients::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tickets::Table, Tickets::AssigneeId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            ("ux_tickets_number", vec![Tickets::Number], true),
            ("ux_tickets_external_ref", vec![Tickets::ExternalRef], true),
            (
                "ix_tickets_client",
                vec![Tickets::ClientId, Tickets::OpenedAt],
                false,
            ),
            (
                "ix_tickets_status",
                vec![Tickets::Status, Tickets::EscalationLevel],
                false,
            ),
            ("ix_tickets_opened", vec![Tickets::OpenedAt], false),
        ] {
            let mut index = Index::create();
            index.name(name).table(Tickets::Table);
            for c in columns {
                index.col(c);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(TicketEvents::Table)
                    .col(
                        ColumnDef::new(TicketEvents::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(TicketEvents::TicketId).uuid().not_null())
                    .col(ColumnDef::new(TicketEvents::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(TicketEvents::ActorId).uuid().null())
                    .col(
                        ColumnDef::new(TicketEvents::ActorName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ts(TicketEvents::At))
                    .col(ColumnDef::new(TicketEvents::Note).text().not_null())
                    .col(ColumnDef::new(TicketEvents::Level).string_len(16).null())
                    .col(ColumnDef::new(TicketEvents::Method).string_len(8).null())
                    .col(ColumnDef::new(TicketEvents::Solved).boolean().null())
                    .col(ColumnDef::new(TicketEvents::Satisfaction).integer().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(TicketEvents::Table, TicketEvents::TicketId)
                            .to(Tickets::Table, Tickets::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ticket_events_ticket")
                    .table(TicketEvents::Table)
                    .col(TicketEvents::TicketId)
                    .col(TicketEvents::At)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ChurnReasons::Table)
                    .add_column(ColumnDef::new(ChurnReasons::TicketId).uuid().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("migrations are forward-only".to_owned()))
    }
}
