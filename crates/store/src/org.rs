//! Org units and users.

use crate::entity::{org_units, sessions, users};
use crate::{from_code, Store, StoreError};
use domain::org::{OrgUnit, Role, UserInfo};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// A user's sign-in record.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Who.
    pub user: UserInfo,
    /// argon2 PHC string; `None` for SSO-only users.
    pub password_hash: Option<String>,
    /// Deactivated users cannot sign in.
    pub active: bool,
    /// Consecutive failed sign-ins.
    pub failed_logins: u32,
    /// Sign-in refused until then.
    pub locked_until: Option<chrono::DateTime<chrono::Utc>>,
}

fn to_org_unit(m: org_units::Model) -> Result<OrgUnit, StoreError> {
    Ok(OrgUnit {
        id: m.id,
        parent_id: m.parent_id,
        level: from_code(&m.level, "org_units.level")?,
        name: m.name,
        code: m.code,
        base_lat: m.base_lat,
        base_lon: m.base_lon,
    })
}

fn to_user(m: users::Model, unit_name: String) -> Result<UserInfo, StoreError> {
    Ok(UserInfo {
        id: m.id,
        username: m.username,
        display_name: m.display_name,
        role: from_code(&m.role, "users.role")?,
        org_unit_id: m.org_unit_id,
        org_unit_name: unit_name,
    })
}

impl Store {
    /// Every org unit, ordered by code (province first, then cities, then counties within them).
    pub async fn org_units(&self) -> Result<Vec<OrgUnit>, StoreError> {
        org_units::Entity::find()
            .order_by_asc(org_units::Column::Code)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_org_unit)
            .collect()
    }

    /// The tree as (id, parent) pairs, for scope computations.
    pub async fn org_tree(&self) -> Result<Vec<(Uuid, Option<Uuid>)>, StoreError> {
        Ok(self
            .org_units()
            .await?
            .into_iter()
            .map(|u| (u.id, u.parent_id))
            .collect())
    }

    /// One org unit.
    pub async fn org_unit(&self, id: Uuid) -> Result<Option<OrgUnit>, StoreError> {
        org_units::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(to_org_unit)
            .transpose()
    }

    /// The sign-in record of `username`.
    pub async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError> {
        let found = users::Entity::find()
            .filter(users::Column::Username.eq(username))
            .find_also_related(org_units::Entity)
            .one(&self.db)
            .await?;
        let Some((user, unit)) = found else {
            return Ok(None);
        };
        let password_hash = user.password_hash.clone();
        let active = user.active;
        let failed_logins = u32::try_from(user.failed_logins).unwrap_or(0);
        let locked_until = user.locked_until;
        let user = to_user(user, unit.map(|u| u.name).unwrap_or_default())?;
        Ok(Some(Credentials {
            user,
            password_hash,
            active,
            failed_logins,
            locked_until,
        }))
    }

    /// One active user.
    pub async fn user(&self, id: Uuid) -> Result<Option<UserInfo>, StoreError> {
        let found = users::Entity::find_by_id(id)
            .filter(users::Column::Active.eq(true))
            .find_also_related(org_units::Entity)
            .one(&self.db)
            .await?;
        found
            .map(|(u, unit)| to_user(u, unit.map(|u| u.name).unwrap_or_default()))
            .transpose()
    }

    /// The active user `user_id`, if session `session_id` is theirs, not revoked and not expired
    /// at `now`: what every authenticated request needs, in one query.
    pub async fn session_user(
        &self,
        session_id: Uuid,
        user_id: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<UserInfo>, StoreError> {
        let live_session = Query::select()
            .expr(Expr::val(1))
            .from(sessions::Entity)
            .and_where(sessions::Column::Id.eq(session_id))
            .and_where(sessions::Column::UserId.eq(user_id))
            .and_where(sessions::Column::RevokedAt.is_null())
            .and_where(sessions::Column::ExpiresAt.gt(now))
            .to_owned();
        let found = users::Entity::find_by_id(user_id)
            .filter(users::Column::Active.eq(true))
            .filter(Expr::exists(live_session))
            .find_also_related(org_units::Entity)
            .one(&self.db)
            .await?;
        found
            .map(|(u, unit)| to_user(u, unit.map(|u| u.name).unwrap_or_default()))
            .transpose()
    }

    /// Active users, optionally of one role and within some org units, by display name.
    pub async fn users(
        &self,
        role: Option<Role>,
        units: Option<&[Uuid]>,
    ) -> Result<Vec<UserInfo>, StoreError> {
        let mut query = users::Entity::find().filter(users::Column::Active.eq(true));
        if let Some(role) = role {
            query = query.filter(users::Column::Role.eq(role.code()));
        }
        if let Some(units) = units {
            query = query.filter(users::Column::OrgUnitId.is_in(units.iter().copied()));
        }
        query
            .find_also_related(org_units::Entity)
            .order_by_asc(users::Column::Username)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|(u, unit)| to_user(u, unit.map(|u| u.name).unwrap_or_default()))
            .collect()
    }
}
