//! `client_owners`: who owned a client from when until when.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "client_owners")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub client_id: Uuid,
    pub account_manager_id: Uuid,
    pub valid_from: DateTimeUtc,
    pub valid_to: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::AccountManagerId",
        to = "super::users::Column::Id"
    )]
    AccountManager,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AccountManager.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
