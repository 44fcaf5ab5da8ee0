//! `sales_orders`: one row per ERP order line.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sales_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_no: String,
    pub client_id: Uuid,
    pub order_date: Date,
    pub product: String,
    pub quantity_kg: i64,
    pub amount_fen: i64,
    pub channel: String,
    pub depot: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
