//! `users`: people who sign in.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub org_unit_id: Uuid,
    pub password_hash: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub employee_id: Option<String>,
    pub active: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub password_changed_at: Option<DateTimeUtc>,
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
}

impl Related<super::org_units::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrgUnit.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
