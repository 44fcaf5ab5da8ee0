//! Org units, users, clients and sales orders.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OrgUnits {
    Table,
    Id,
    ParentId,
    Level,
    Name,
    Code,
    BaseLat,
    BaseLon,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    Role,
    OrgUnitId,
    PasswordHash,
    Phone,
    Email,
    EmployeeId,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    Uscc,
    Name,
    Category,
    Industry,
    Address,
    Lat,
    Lon,
    OrgUnitId,
    AccountManagerId,
    Contacts,
    Facilities,
    PurchaseChannels,
    Demand,
    Delivery,
    MembershipCardNo,
    OnlineOrdering,
    Tags,
    SearchText,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SalesOrders {
    Table,
    Id,
    OrderNo,
    ClientId,
    OrderDate,
    Product,
    QuantityKg,
    AmountFen,
    Channel,
    Depot,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrgUnits::Table)
                    .col(ColumnDef::new(OrgUnits::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(OrgUnits::ParentId).uuid().null())
                    .col(ColumnDef::new(OrgUnits::Level).string_len(16).not_null())
                    .col(ColumnDef::new(OrgUnits::Name).string_len(100).not_null())
                    .col(
                        ColumnDef::new(OrgUnits::Code)
                            .string_len(12)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(OrgUnits::BaseLat).double().null())
                    .col(ColumnDef::new(OrgUnits::BaseLon).double().null())
                    .col(
                        ColumnDef::new(OrgUnits::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrgUnits::Table, OrgUnits::ParentId)
                            .to(OrgUnits::Table, OrgUnits::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(ColumnDef::new(Users::Id).uuid().not_null().primary_key())
                    .col(
                        ColumnDef::new(Users::Username)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Users::DisplayName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Users::Role).string_len(32).not_null())
                    .col(ColumnDef::new(Users::OrgUnitId).uuid().not_null())
                    .col(ColumnDef::new(Users::PasswordHash).string_len(255).null())
                    .col(ColumnDef::new(Users::Phone).string_len(32).null())
                    .col(ColumnDef::new(Users::Email).string_len(255).null())
                    .col(
                        ColumnDef::new(Users::EmployeeId)
                            .string_len(64)
                            .null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Users::Active)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(
                        ColumnDef::new(Users::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Users::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Users::Table, Users::OrgUnitId)
                            .to(OrgUnits::Table, OrgUnits::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_users_org_unit")
                    .table(Users::Table)
                    .col(Users::OrgUnitId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Clients::Table)
                    .col(ColumnDef::new(Clients::Id).uuid().not_null().primary_key())
                    .col(
                        ColumnDef::new(Clients::Uscc)
                            .string_len(18)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Clients::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Clients::Category).string_len(32).not_null())
                    .col(ColumnDef::new(Clients::Industry).string_len(32).not_null())
                    .col(ColumnDef::new(Clients::Address).string_len(400).not_null())
                    .col(ColumnDef::new(Clients::Lat).double().null())
                    .col(ColumnDef::new(Clients::Lon).double().null())
                    .col(ColumnDef::new(Clients::OrgUnitId).uuid().not_null())
                    .col(ColumnDef::new(Clients::AccountManagerId).uuid().not_null())
                    .col(ColumnDef::new(Clients::Contacts).json().not_null())
                    .col(ColumnDef::new(Clients::Facilities).json().not_null())
                    .col(ColumnDef::new(Clients::PurchaseChannels).json().not_null())
                    .col(ColumnDef::new(Clients::Demand).json().not_null())
                    .col(ColumnDef::new(Clients::Delivery).boolean().not_null())
                    .col(
                        ColumnDef::new(Clients::MembershipCardNo)
                            .string_len(64)
                            .null(),
                    )
                    .col(ColumnDef::new(Clients::OnlineOrdering).json().not_null())
                    .col(ColumnDef::new(Clients::Tags).json().not_null())
                    .col(ColumnDef::new(Clients::SearchText).text().not_null())
                    .col(
                        ColumnDef::new(Clients::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Clients::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Clients::Table, Clients::OrgUnitId)
                            .to(OrgUnits::Table, OrgUnits::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Clients::Table, Clients::AccountManagerId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_clients_org_unit", Clients::OrgUnitId),
            ("ix_clients_account_manager", Clients::AccountManagerId),
            ("ix_clients_name", Clients::Name),
            ("ix_clients_updated_at", Clients::UpdatedAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Clients::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(SalesOrders::Table)
                    .col(
                        ColumnDef::new(SalesOrders::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SalesOrders::OrderNo)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(SalesOrders::ClientId).uuid().not_null())
                    .col(ColumnDef::new(SalesOrders::OrderDate).date().not_null())
                    .col(
                        ColumnDef::new(SalesOrders::Product)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SalesOrders::QuantityKg)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SalesOrders::AmountFen)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SalesOrders::Channel)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SalesOrders::Depot)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SalesOrders::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SalesOrders::Table, SalesOrders::ClientId)
                            .to(Clients::Table, Clients::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sales_orders_client_date")
                    .table(SalesOrders::Table)
                    .col(SalesOrders::ClientId)
                    .col(SalesOrders::OrderDate)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sales_orders_date")
                    .table(SalesOrders::Table)
                    .col(SalesOrders::OrderDate)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Forward-only: a release never drops data; fixes are new migrations.
        Err(DbErr::Migration("migrations are forward-only".to_owned()))
    }
}
