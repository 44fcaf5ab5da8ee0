//! Versioned rule sets (DESIGN §2: every threshold lives in one). Each kind is a sequence of
//! versions; version 1 is the built-in default and is never stored, so the first saved version
//! is 2. Saving is append-only: an old version stays readable, and every computed figure can
//! name the version that produced it.

use crate::audit::insert_audit;
use crate::entity::{rule_sets, users};
use crate::{from_json, to_json, Store, StoreError};
use chrono::{DateTime, Utc};
use domain::audit::AuditEntry;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// One saved version of a rule set.
#[derive(Debug, Clone)]
pub struct StoredRuleSet<T> {
    /// Version number (≥ 2; 1 is the built-in default).
    pub version: i32,
    /// The rules.
    pub body: T,
    /// Who saved it.
    pub created_by: Option<Uuid>,
    /// Their display name.
    pub created_by_name: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// The newest saved version of a kind, if any was saved.
    pub async fn latest_rule_set<T: DeserializeOwned>(
        &self,
        kind: &str,
    ) -> Result<Option<(i32, T)>, StoreError> {
        let latest = rule_sets::Entity::find()
            .filter(rule_sets::Column::Kind.eq(kind))
            .order_by_desc(rule_sets::Column::Version)
            .one(&self.db)
            .await?;
        latest
            .map(|row| Ok((row.version, from_json(&row.body, kind)?)))
            .transpose()
    }

    /// Every saved version of a kind, newest first, with the names of who saved them.
    pub async fn rule_set_versions<T: DeserializeOwned>(
        &self,
        kind: &str,
    ) -> Result<Vec<StoredRuleSet<T>>, StoreError> {
        let rows = rule_sets::Entity::find()
            .filter(rule_sets::Column::Kind.eq(kind))
            .order_by_desc(rule_sets::Column::Version)
            .all(&self.db)
            .await?;
        let ids: Vec<Uuid> = rows.iter().filter_map(|r| r.created_by).collect();
        let names: HashMap<Uuid, String> = users::Entity::find()
            .select_only()
            .columns([users::Column::Id, users::Column::DisplayName])
            .filter(users::Column::Id.is_in(ids))
            .into_tuple::<(Uuid, String)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        rows.into_iter()
            .map(|row| {
                Ok(StoredRuleSet {
                    version: row.version,
                    body: from_json(&row.body, kind)?,
                    created_by: row.created_by,
                    created_by_name: row.created_by.and_then(|id| names.get(&id).cloned()),
                    created_at: row.created_at,
                })
            })
            .collect()
    }

    /// Saves the next version of a kind (validated by the caller) with its audit entry, in one
    /// transaction; returns the new version number. Two concurrent saves cannot both get the
    /// same number (the unique index refuses the second).
    pub async fn save_rule_set<T: Serialize>(
        &self,
        kind: &str,
        body: &T,
        by: Uuid,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<i32, StoreError> {
        let txn = self.db.begin().await?;
        let latest: Option<i32> = rule_sets::Entity::find()
            .select_only()
            .column(rule_sets::Column::Version)
            .filter(rule_sets::Column::Kind.eq(kind))
            .order_by_desc(rule_sets::Column::Version)
            .into_tuple()
            .one(&txn)
            .await?;
        let version = latest.unwrap_or(1) + 1;
        rule_sets::Entity::insert(rule_sets::ActiveModel {
            id: Set(Uuid::now_v7()),
            kind: Set(kind.to_owned()),
            version: Set(version),
            body: Set(to_json(body)),
            created_by: Set(Some(by)),
            created_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(|e| crate::map_unique(e, &["version"]))?;
        insert_audit(&txn, audit).await?;
        txn.commit().await?;
        Ok(version)
    }
}
