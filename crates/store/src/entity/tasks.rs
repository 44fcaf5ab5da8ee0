//! `tasks`: work handed to people (visits, renewals, calls, follow-ups).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub source: String,
    pub client_id: Uuid,
    pub title: String,
    pub title_en: String,
    pub detail: String,
    pub detail_en: String,
    pub due_date: Date,
    pub status: String,
    pub tier: Option<String>,
    pub document_id: Option<Uuid>,
    pub dedupe_key: Option<String>,
    pub evidence_kind: Option<String>,
    pub evidence_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
