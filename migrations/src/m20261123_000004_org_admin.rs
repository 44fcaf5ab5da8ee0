//! Ownership periods of clients (effective-dated), for reassignment and history.
//!
//! `clients.account_manager_id` stays the current owner (what every list filters on);
//! `client_owners` keeps who owned each client from when until when. Existing clients get one
//! open period starting at their creation.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClientOwners {
    Table,
    Id,
    ClientId,
    AccountManagerId,
    ValidFrom,
    ValidTo,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    AccountManagerId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ClientOwners::Table)
                    .col(
                        ColumnDef::new(ClientOwners::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ClientOwners::ClientId).uuid().not_null())
                    .col(
                        ColumnDef::new(ClientOwners::AccountManagerId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ClientOwners::ValidFrom)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ClientOwners::ValidTo)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ClientOwners::Table, ClientOwners::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ClientOwners::Table, ClientOwners::AccountManagerId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_client_owners_client")
                    .table(ClientOwners::Table)
                    .col(ClientOwners::ClientId)
                    .col(ClientOwners::ValidFrom)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_client_owners_manager")
                    .table(ClientOwners::Table)
                    .col(ClientOwners::AccountManagerId)
                    .col(ClientOwners::ValidTo)
                    .to_owned(),
            )
            .await?;
        // E-mail is how single sign-on finds people without an employee id: one person each.
        manager
            .create_index(
                Index::create()
                    .name("ux_users_email")
                    .table(Users::Table)
                    .col(Users::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;
        let backfill = Query::insert()
            .into_table(ClientOwners::Table)
            .columns([
                ClientOwners::ClientId,
                ClientOwners::AccountManagerId,
                ClientOwners::ValidFrom,
            ])
            .select_from(
                Query::select()
                    .columns([Clients::Id, Clients::AccountManagerId, Clients::CreatedAt])
                    .from(Clients::Table)
                    .to_owned(),
            )
            .map_err(|e| DbErr::Custom(e.to_string()))?
            .to_owned();
        manager.exec_stmt(backfill).await?;
        Ok(())
    }
}
