//! Integrator tokens: stored hashed, checked on every machine request.

use crate::audit::insert_audit;
use crate::entity::integrator_tokens;
use crate::{from_json, to_json, Store, StoreError};
use chrono::{DateTime, Utc};
use domain::audit::AuditEntry;
use domain::integrator::IntegratorToken;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use uuid::Uuid;

fn to_token(m: integrator_tokens::Model) -> Result<IntegratorToken, StoreError> {
    Ok(IntegratorToken {
        id: m.id,
        name: m.name,
        scopes: from_json(&m.scopes, "integrator_tokens.scopes")?,
        hint: m.hint,
        created_by_name: m.created_by_name,
        created_at: m.created_at,
        expires_at: m.expires_at,
        revoked_at: m.revoked_at,
        last_used_at: m.last_used_at,
        rate_limit_per_minute: u32::try_from(m.rate_limit_per_minute).map_err(|_| {
            StoreError::Corrupt(format!(
                "integrator_tokens.rate_limit_per_minute: {}",
                m.rate_limit_per_minute
            ))
        })?,
    })
}

impl Store {
    /// Every integrator token, newest first (never their secrets: only hashes are stored).
    pub async fn integrator_tokens(&self) -> Result<Vec<IntegratorToken>, StoreError> {
        integrator_tokens::Entity::find()
            .order_by_desc(integrator_tokens::Column::CreatedAt)
            .order_by_desc(integrator_tokens::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_token)
            .collect()
    }

    /// One integrator token.
    pub async fn integrator_token(&self, id: Uuid) -> Result<Option<IntegratorToken>, StoreError> {
        integrator_tokens::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(to_token)
            .transpose()
    }

    /// The token whose secret hashes to `token_hash` (SHA-256, hex), live or not.
    pub async fn integrator_token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<IntegratorToken>, StoreError> {
        integrator_tokens::Entity::find()
            .filter(integrator_tokens::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await?
            .map(to_token)
            .transpose()
    }

    /// Stores a new token (created by user `created_by`, its secret hashing to `token_hash`) with
    /// its audit entry, in one transaction. Returns `false`, storing nothing, when a live token
    /// (neither revoked nor expired at `token.created_at`) already has the name.
    pub async fn insert_integrator_token(
        &self,
        token: &IntegratorToken,
        created_by: Uuid,
        token_hash: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let rate = i32::try_from(token.rate_limit_per_minute)
            .map_err(|_| StoreError::Corrupt("rate_limit_per_minute out of range".to_owned()))?;
        let tx = self.db.begin().await?;
        let taken = integrator_tokens::Entity::find()
            .filter(integrator_tokens::Column::Name.eq(token.name.as_str()))
            .filter(integrator_tokens::Column::RevokedAt.is_null())
            .filter(integrator_tokens::Column::ExpiresAt.gt(token.created_at))
            .count(&tx)
            .await?;
        if taken > 0 {
            return Ok(false);
        }
        integrator_tokens::Entity::insert(integrator_tokens::ActiveModel {
            id: Set(token.id),
            name: Set(token.name.clone()),
            scopes: Set(to_json(&token.scopes)),
            token_hash: Set(token_hash.to_owned()),
            hint: Set(token.hint.clone()),
            created_by: Set(created_by),
            created_by_name: Set(token.created_by_name.clone()),
            created_at: Set(token.created_at),
            expires_at: Set(token.expires_at),
            revoked_at: Set(token.revoked_at),
            last_used_at: Set(token.last_used_at),
            rate_limit_per_minute: Set(rate),
        })
        .exec_without_returning(&tx)
        .await
        .map_err(|e| crate::map_unique(e, &["token_hash"]))?;
        insert_audit(&tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Revokes token `id` at `now` and writes `audit`, in one transaction. A token revoked
    /// already stays as it was (no second entry). `None` when there is no such token.
    pub async fn revoke_integrator_token(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Option<IntegratorToken>, StoreError> {
        let tx = self.db.begin().await?;
        let revoked = integrator_tokens::Entity::update_many()
            .col_expr(integrator_tokens::Column::RevokedAt, Expr::value(now))
            .filter(integrator_tokens::Column::Id.eq(id))
            .filter(integrator_tokens::Column::RevokedAt.is_null())
            .exec(&tx)
            .await?;
        if revoked.rows_affected == 1 {
            insert_audit(&tx, audit).await?;
        }
        let token = integrator_tokens::Entity::find_by_id(id).one(&tx).await?;
        tx.commit().await?;
        token.map(to_token).transpose()
    }

    /// Records that token `id` was used at `at`.
    pub async fn record_integrator_token_use(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        integrator_tokens::Entity::update_many()
            .col_expr(integrator_tokens::Column::LastUsedAt, Expr::value(at))
            .filter(integrator_tokens::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
