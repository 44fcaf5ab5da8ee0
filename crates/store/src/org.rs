//! Org units and users.

use crate::audit::insert_audit;
use crate::entity::{clients, org_units, sessions, users};
use crate::{from_code, map_unique, Store, StoreError};
use chrono::{DateTime, Utc};
use domain::audit::AuditEntry;
use domain::org::{OrgUnit, Role, UserInfo, UserRecord};
use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::collections::HashMap;
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
    /// Most requests need the tree for their scope; it is kept in memory for as long as
    /// [`Store::data_version`] says it has not changed.
    pub async fn org_units(&self) -> Result<Vec<OrgUnit>, StoreError> {
        let version = self.data_version().await?;
        if let Some(units) = version.and_then(|v| self.changes.cached_units(v)) {
            return Ok(units);
        }
        self.read_org_units(version).await
    }

    /// The tree as (id, parent) pairs, for scope computations.
    pub async fn org_tree(&self) -> Result<Vec<(Uuid, Option<Uuid>)>, StoreError> {
        let version = self.data_version().await?;
        if let Some(tree) = version.and_then(|v| self.changes.cached_tree(v)) {
            return Ok(tree);
        }
        Ok(self
            .read_org_units(version)
            .await?
            .into_iter()
            .map(|u| (u.id, u.parent_id))
            .collect())
    }

    /// Reads every org unit and keeps them under `version` (read before), when it is known.
    async fn read_org_units(&self, version: Option<u64>) -> Result<Vec<OrgUnit>, StoreError> {
        let units = org_units::Entity::find()
            .order_by_asc(org_units::Column::Code)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_org_unit)
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(version) = version {
            self.changes.keep_units(version, &units);
        }
        Ok(units)
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
        if let Some(user) = self.sessions.get(session_id, user_id) {
            return Ok(Some(user));
        }
        let generation = self.sessions.generation();
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
        let user = found
            .map(|(u, unit)| to_user(u, unit.map(|u| u.name).unwrap_or_default()))
            .transpose()?;
        if let Some(user) = &user {
            self.sessions.put(session_id, user.clone(), generation);
        }
        Ok(user)
    }
}

/// The fields of a user that administrators write (the password hash travels separately).
#[derive(Debug, Clone)]
pub struct UserWrite {
    /// Sign-in name.
    pub username: String,
    /// Name shown to people.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Unit.
    pub org_unit_id: Uuid,
    /// HR employee id.
    pub employee_id: Option<String>,
    /// E-mail (lower case).
    pub email: Option<String>,
    /// Mobile phone.
    pub phone: Option<String>,
    /// Whether they may sign in.
    pub active: bool,
}

/// Which users to list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Only this role.
    pub role: Option<Role>,
    /// Only users of these units.
    pub units: Option<Vec<Uuid>>,
    /// Only active (`Some(true)`) or deactivated (`Some(false)`) users; both when `None`.
    pub active: Option<bool>,
    /// Part of the username, display name, employee id or e-mail.
    pub q: Option<String>,
}

const USER_UNIQUE_FIELDS: &[&str] = &["username", "employee_id", "email"];

fn to_record(
    m: users::Model,
    unit_name: String,
    client_count: u64,
) -> Result<UserRecord, StoreError> {
    Ok(UserRecord {
        id: m.id,
        role: from_code(&m.role, "users.role")?,
        username: m.username,
        display_name: m.display_name,
        org_unit_id: m.org_unit_id,
        org_unit_name: unit_name,
        employee_id: m.employee_id,
        email: m.email,
        phone: m.phone,
        active: m.active,
        has_password: m.password_hash.is_some(),
        client_count,
    })
}

/// Clients each of `user_ids` owns now.
async fn client_counts<C: ConnectionTrait>(
    conn: &C,
    user_ids: &[Uuid],
) -> Result<HashMap<Uuid, u64>, StoreError> {
    #[derive(FromQueryResult)]
    struct Row {
        account_manager_id: Uuid,
        n: i64,
    }
    let mut counts = HashMap::new();
    for chunk in user_ids.chunks(500) {
        let rows = clients::Entity::find()
            .select_only()
            .column(clients::Column::AccountManagerId)
            .column_as(clients::Column::Id.count(), "n")
            .filter(clients::Column::AccountManagerId.is_in(chunk.iter().copied()))
            .group_by(clients::Column::AccountManagerId)
            .into_model::<Row>()
            .all(conn)
            .await?;
        for row in rows {
            counts.insert(
                row.account_manager_id,
                u64::try_from(row.n).unwrap_or_default(),
            );
        }
    }
    Ok(counts)
}

fn user_active_model(id: Uuid, w: &UserWrite) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(id),
        username: Set(w.username.clone()),
        display_name: Set(w.display_name.clone()),
        role: Set(w.role.code().to_owned()),
        org_unit_id: Set(w.org_unit_id),
        employee_id: Set(w.employee_id.clone()),
        email: Set(w.email.clone()),
        phone: Set(w.phone.clone()),
        active: Set(w.active),
        ..Default::default()
    }
}

fn unit_active_model(unit: &OrgUnit) -> org_units::ActiveModel {
    org_units::ActiveModel {
        id: Set(unit.id),
        parent_id: Set(unit.parent_id),
        level: Set(unit.level.code().to_owned()),
        name: Set(unit.name.clone()),
        code: Set(unit.code.clone()),
        base_lat: Set(unit.base_lat),
        base_lon: Set(unit.base_lon),
        ..Default::default()
    }
}

/// Sub-units, people and clients still attached to unit `id`.
async fn unit_usage<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<(u64, u64, u64), StoreError> {
    let children = org_units::Entity::find()
        .filter(org_units::Column::ParentId.eq(id))
        .count(conn)
        .await?;
    let people = users::Entity::find()
        .filter(users::Column::OrgUnitId.eq(id))
        .count(conn)
        .await?;
    let clients = clients::Entity::find()
        .filter(clients::Column::OrgUnitId.eq(id))
        .count(conn)
        .await?;
    Ok((children, people, clients))
}

async fn end_sessions<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

impl Store {
    /// Users matching `filter`, by username, with how many clients each owns.
    pub async fn user_records(&self, filter: &UserFilter) -> Result<Vec<UserRecord>, StoreError> {
        let mut query = users::Entity::find();
        if let Some(role) = filter.role {
            query = query.filter(users::Column::Role.eq(role.code()));
        }
        if let Some(units) = &filter.units {
            query = query.filter(users::Column::OrgUnitId.is_in(units.iter().copied()));
        }
        if let Some(active) = filter.active {
            query = query.filter(users::Column::Active.eq(active));
        }
        if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let pattern = crate::clients::like_pattern(&q.to_lowercase());
            let mut any = Condition::any();
            for column in [
                users::Column::Username,
                users::Column::DisplayName,
                users::Column::EmployeeId,
                users::Column::Email,
            ] {
                any = any.add(
                    Expr::expr(Func::lower(Expr::col((users::Entity, column))))
                        .like(pattern.clone()),
                );
            }
            query = query.filter(any);
        }
        let rows = query
            .find_also_related(org_units::Entity)
            .order_by_asc(users::Column::Username)
            .all(&self.db)
            .await?;
        let ids: Vec<Uuid> = rows.iter().map(|(u, _)| u.id).collect();
        let counts = client_counts(&self.db, &ids).await?;
        rows.into_iter()
            .map(|(u, unit)| {
                let n = counts.get(&u.id).copied().unwrap_or(0);
                to_record(u, unit.map(|u| u.name).unwrap_or_default(), n)
            })
            .collect()
    }

    /// One user, active or not.
    pub async fn user_record(&self, id: Uuid) -> Result<Option<UserRecord>, StoreError> {
        let Some((user, unit)) = users::Entity::find_by_id(id)
            .find_also_related(org_units::Entity)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let n = client_counts(&self.db, &[id])
            .await?
            .get(&id)
            .copied()
            .unwrap_or(0);
        to_record(user, unit.map(|u| u.name).unwrap_or_default(), n).map(Some)
    }

    /// Creates a user and its audit entry, both or neither. A taken username, employee id or
    /// e-mail is [`StoreError::Duplicate`].
    pub async fn insert_user(
        &self,
        id: Uuid,
        w: &UserWrite,
        password_hash: Option<String>,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin().await?;
        let mut model = user_active_model(id, w);
        model.password_hash = Set(password_hash.clone());
        model.failed_logins = Set(0);
        model.locked_until = Set(None);
        model.password_changed_at = Set(password_hash.map(|_| now));
        model.created_at = Set(now);
        model.updated_at = Set(now);
        users::Entity::insert(model)
            .exec_without_returning(&tx)
            .await
            .map_err(|e| map_unique(e, USER_UNIQUE_FIELDS))?;
        insert_audit(&tx, audit).await?;
        tx.commit().await?;
        self.data_changed();
        Ok(())
    }

    /// Writes a user's fields (and a new password hash when given) with its audit entry. Their
    /// sessions end when `end_all_sessions` (deactivation, a password reset, a role or unit
    /// change: whatever the tokens they hold were issued under).
    pub async fn update_user(
        &self,
        id: Uuid,
        w: &UserWrite,
        password_hash: Option<String>,
        end_all_sessions: bool,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin().await?;
        let mut model = user_active_model(id, w);
        model.updated_at = Set(now);
        if let Some(hash) = password_hash {
            model.password_hash = Set(Some(hash));
            model.password_changed_at = Set(Some(now));
            model.failed_logins = Set(0);
            model.locked_until = Set(None);
        }
        users::Entity::update(model)
            .exec(&tx)
            .await
            .map_err(|e| match e {
                DbErr::RecordNotUpdated => StoreError::NotFound,
                e => map_unique(e, USER_UNIQUE_FIELDS),
            })?;
        if end_all_sessions {
            end_sessions(&tx, id, now).await?;
        }
        insert_audit(&tx, audit).await?;
        tx.commit().await?;
        self.data_changed();
        self.sessions.invalidate();
        Ok(())
    }

    /// Moves every client `from` owns to `to` at `now`, in one transaction: the clients' current
    /// owner, their ownership periods (the old one ends, a new one starts) and one audit entry per
    /// client built by `audit_for`. Returns how many clients moved.
    pub async fn reassign_clients(
        &self,
        from: Uuid,
        to: Uuid,
        now: DateTime<Utc>,
        audit_for: impl Fn(Uuid) -> AuditEntry,
    ) -> Result<u64, StoreError> {
        let tx = self.db.begin().await?;
        let ids: Vec<Uuid> = clients::Entity::find()
            .select_only()
            .column(clients::Column::Id)
            .filter(clients::Column::AccountManagerId.eq(from))
            .into_tuple()
            .all(&tx)
            .await?;
        for chunk in ids.chunks(500) {
            clients::Entity::update_many()
                .col_expr(clients::Column::AccountManagerId, Expr::value(to))
                .col_expr(clients::Column::UpdatedAt, Expr::value(now))
                .filter(clients::Column::Id.is_in(chunk.iter().copied()))
                .exec(&tx)
                .await?;
        }
        crate::clients::close_ownership(&tx, &ids, now).await?;
        crate::clients::open_ownership(&tx, &ids, to, now).await?;
        for id in &ids {
            insert_audit(&tx, &audit_for(*id)).await?;
        }
        tx.commit().await?;
        self.data_changed();
        Ok(ids.len() as u64)
    }

    /// Creates an org unit with its audit entry. A taken code is [`StoreError::Duplicate`].
    pub async fn insert_org_unit(
        &self,
        unit: &OrgUnit,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin().await?;
        let mut model = unit_active_model(unit);
        model.created_at = Set(now);
        org_units::Entity::insert(model)
            .exec_without_returning(&tx)
            .await
            .map_err(|e| map_unique(e, &["code"]))?;
        insert_audit(&tx, audit).await?;
        tx.commit().await?;
        self.data_changed();
        Ok(())
    }

    /// Writes an org unit's fields with its audit entry.
    pub async fn update_org_unit(
        &self,
        unit: &OrgUnit,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin().await?;
        org_units::Entity::update(unit_active_model(unit))
            .exec(&tx)
            .await
            .map_err(|e| match e {
                DbErr::RecordNotUpdated => StoreError::NotFound,
                e => map_unique(e, &["code"]),
            })?;
        insert_audit(&tx, audit).await?;
        tx.commit().await?;
        self.data_changed();
        // Users carry their unit's name.
        self.sessions.invalidate();
        Ok(())
    }

    /// What still hangs on an org unit: (sub-units, people, clients).
    pub async fn org_unit_usage(&self, id: Uuid) -> Result<(u64, u64, u64), StoreError> {
        unit_usage(&self.db, id).await
    }

    /// Deletes an org unit that nothing hangs on, with its audit entry; `false` when something
    /// was attached after all (checked again inside the transaction).
    pub async fn delete_org_unit(&self, id: Uuid, audit: &AuditEntry) -> Result<bool, StoreError> {
        let tx = self.db.begin().await?;
        let (children, people, clients) = unit_usage(&tx, id).await?;
        let in_use = children + people + clients;
        if in_use > 0 {
            return Ok(false);
        }
        let deleted = org_units::Entity::delete_by_id(id).exec(&tx).await?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        insert_audit(&tx, audit).await?;
        tx.commit().await?;
        self.data_changed();
        Ok(true)
    }
}
