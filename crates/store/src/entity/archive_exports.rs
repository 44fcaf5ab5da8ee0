//! `archive_exports`: bulk archive exports and their download tickets (hash only).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "archive_exports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub ticket_hash: String,
    pub created_by: Uuid,
    pub filter: Json,
    pub clients: i64,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub downloaded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
