//! `documents`: licence document versions; a replacement is a new row, never an overwrite.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub doc_type: String,
    pub number: String,
    pub issuer: String,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub long_term: bool,
    pub business_scope: String,
    pub covers_diesel: bool,
    pub review_state: String,
    pub review_reason: Option<String>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub uploaded_by: Uuid,
    pub uploaded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
