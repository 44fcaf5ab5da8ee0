//! The recompute reads every order in client and date order with its quantity and product: an
//! index holding all four columns lets both databases answer from the index alone (SQLite: no
//! table lookups; PostgreSQL: an index-only scan once the table is vacuumed). It replaces the
//! (client, date) index, which is its prefix.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SalesOrders {
    Table,
    ClientId,
    OrderDate,
    QuantityKg,
    Product,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_sales_orders_client_date_cover")
                    .table(SalesOrders::Table)
                    .col(SalesOrders::ClientId)
                    .col(SalesOrders::OrderDate)
                    .col(SalesOrders::QuantityKg)
                    .col(SalesOrders::Product)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_sales_orders_client_date")
                    .table(SalesOrders::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "migrations are forward-only: restore from a backup instead".to_owned(),
        ))
    }
}
