//! `clients`: master data; nested parts are JSON columns.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub uscc: String,
    pub name: String,
    pub category: String,
    pub industry: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub org_unit_id: Uuid,
    pub account_manager_id: Uuid,
    pub contacts: Json,
    pub facilities: Json,
    pub purchase_channels: Json,
    pub demand: Json,
    pub delivery: bool,
    pub membership_card_no: Option<String>,
    pub online_ordering: Json,
    pub tags: Json,
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::org_units::Entity",
        from = "Column::OrgUnitId",
        to = "super::org_units::Column::Id"
    )]
    OrgUnit,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::AccountManagerId",
        to = "super::users::Column::Id"
    )]
    AccountManager,
}

impl ActiveModelBehavior for ActiveModel {}
