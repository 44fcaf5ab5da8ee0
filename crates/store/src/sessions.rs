//! Sessions, rotating refresh tokens, sign-in failures and password changes.

use crate::entity::{refresh_tokens, sessions, users};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

/// A new session and its first refresh token.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Session id (carried in access tokens as `sid`).
    pub id: Uuid,
    /// Who.
    pub user_id: Uuid,
    /// Id of the first refresh token.
    pub refresh_id: Uuid,
    /// SHA-256 (hex) of its secret.
    pub refresh_hash: String,
    /// When the session ends unless refreshed.
    pub expires_at: DateTime<Utc>,
    /// Client address.
    pub ip: Option<String>,
    /// Browser or program.
    pub user_agent: Option<String>,
}

/// What presenting a refresh token led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The token was valid; a new one (the ids given) replaces it.
    Rotated {
        /// The session's user.
        user_id: Uuid,
        /// The session.
        session_id: Uuid,
    },
    /// The token had been used already: a sign of theft, so the whole session was revoked.
    Reused,
    /// Unknown, wrong secret, or its session ended.
    Invalid,
}

impl Store {
    /// Opens a session with its first refresh token.
    pub async fn create_session(
        &self,
        s: &NewSession,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin().await?;
        sessions::Entity::insert(sessions::ActiveModel {
            id: Set(s.id),
            user_id: Set(s.user_id),
            created_at: Set(now),
            last_used_at: Set(now),
            expires_at: Set(s.expires_at),
            revoked_at: Set(None),
            ip: Set(s.ip.clone()),
            user_agent: Set(s.user_agent.clone()),
        })
        .exec_without_returning(&tx)
        .await?;
        refresh_tokens::Entity::insert(refresh_tokens::ActiveModel {
            id: Set(s.refresh_id),
            session_id: Set(s.id),
            token_hash: Set(s.refresh_hash.clone()),
            created_at: Set(now),
            used_at: Set(None),
        })
        .exec_without_returning(&tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Uses refresh token `token_id` (whose secret hashes to `hash`) and, when valid, replaces it
    /// with `(new_id, new_hash)` and extends the session to `new_expiry`. Exactly one of two
    /// concurrent uses of the same token wins.
    pub async fn rotate_refresh(
        &self,
        token_id: Uuid,
        hash: &str,
        new_id: Uuid,
        new_hash: &str,
        new_expiry: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<RefreshOutcome, StoreError> {
        let tx = self.db.begin().await?;
        let Some(token) = refresh_tokens::Entity::find_by_id(token_id)
            .one(&tx)
            .await?
        else {
            return Ok(RefreshOutcome::Invalid);
        };
        if token.token_hash != hash {
            return Ok(RefreshOutcome::Invalid);
        }
        let Some(session) = sessions::Entity::find_by_id(token.session_id)
            .one(&tx)
            .await?
        else {
            return Ok(RefreshOutcome::Invalid);
        };
        if session.revoked_at.is_some() || session.expires_at <= now {
            return Ok(RefreshOutcome::Invalid);
        }
        let claimed = refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
            .filter(refresh_tokens::Column::Id.eq(token_id))
            .filter(refresh_tokens::Column::UsedAt.is_null())
            .exec(&tx)
            .await?;
        if claimed.rows_affected != 1 {
            sessions::Entity::update_many()
                .col_expr(sessions::Column::RevokedAt, Expr::value(now))
                .filter(sessions::Column::Id.eq(session.id))
                .exec(&tx)
                .await?;
            tx.commit().await?;
            self.sessions.invalidate();
            return Ok(RefreshOutcome::Reused);
        }
        refresh_tokens::Entity::insert(refresh_tokens::ActiveModel {
            id: Set(new_id),
            session_id: Set(session.id),
            token_hash: Set(new_hash.to_owned()),
            created_at: Set(now),
            used_at: Set(None),
        })
        .exec_without_returning(&tx)
        .await?;
        sessions::Entity::update_many()
            .col_expr(sessions::Column::LastUsedAt, Expr::value(now))
            .col_expr(sessions::Column::ExpiresAt, Expr::value(new_expiry))
            .filter(sessions::Column::Id.eq(session.id))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        Ok(RefreshOutcome::Rotated {
            user_id: session.user_id,
            session_id: session.id,
        })
    }

    /// Ends one session.
    pub async fn revoke_session(
        &self,
        session_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, Expr::value(now))
            .filter(sessions::Column::Id.eq(session_id))
            .filter(sessions::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        self.sessions.invalidate();
        Ok(())
    }

    /// Records a failed sign-in; returns the number of consecutive failures.
    pub async fn record_failed_login(
        &self,
        user_id: Uuid,
        locked_until: impl Fn(u32) -> Option<DateTime<Utc>>,
    ) -> Result<u32, StoreError> {
        let tx = self.db.begin().await?;
        let Some(user) = users::Entity::find_by_id(user_id).one(&tx).await? else {
            return Err(StoreError::NotFound);
        };
        let failed = u32::try_from(user.failed_logins.max(0))
            .unwrap_or(0)
            .saturating_add(1);
        users::Entity::update_many()
            .col_expr(
                users::Column::FailedLogins,
                Expr::value(i32::try_from(failed).unwrap_or(i32::MAX)),
            )
            .col_expr(
                users::Column::LockedUntil,
                Expr::value(locked_until(failed)),
            )
            .filter(users::Column::Id.eq(user_id))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        Ok(failed)
    }

    /// Clears the failure count after a successful sign-in.
    pub async fn reset_failed_logins(&self, user_id: Uuid) -> Result<(), StoreError> {
        users::Entity::update_many()
            .col_expr(users::Column::FailedLogins, Expr::value(0))
            .col_expr(
                users::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(users::Column::Id.eq(user_id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Sets a new password hash and ends every session of the user, in one transaction.
    pub async fn change_password(
        &self,
        user_id: Uuid,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin().await?;
        users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(hash))
            .col_expr(users::Column::PasswordChangedAt, Expr::value(now))
            .col_expr(users::Column::UpdatedAt, Expr::value(now))
            .filter(users::Column::Id.eq(user_id))
            .exec(&tx)
            .await?;
        sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, Expr::value(now))
            .filter(sessions::Column::UserId.eq(user_id))
            .filter(sessions::Column::RevokedAt.is_null())
            .exec(&tx)
            .await?;
        tx.commit().await?;
        self.sessions.invalidate();
        Ok(())
    }
}
