//! Single sign-on: pending authorisation requests (state, PKCE verifier) and sign-in tickets.

use crate::audit::insert_audit;
use crate::entity::{org_units, sso_requests, sso_tickets, users};
use crate::org::Credentials;
use crate::{from_code, Store, StoreError};
use chrono::{DateTime, Utc};
use domain::audit::AuditEntry;
use domain::org::OrgUnit;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

/// A single sign-on that was started: the user is on their way to the provider.
#[derive(Debug, Clone)]
pub struct NewSsoRequest {
    /// Identifier.
    pub id: Uuid,
    /// SHA-256 (hex) of the `state` sent to the provider.
    pub state_hash: String,
    /// SHA-256 (hex) of the browser-binding cookie.
    pub binding_hash: String,
    /// The PKCE verifier, sent with the authorization code to the token endpoint.
    pub pkce_verifier: String,
    /// When the request stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// A one-time ticket for a finished single sign-on.
#[derive(Debug, Clone)]
pub struct NewSsoTicket {
    /// Identifier.
    pub id: Uuid,
    /// SHA-256 (hex) of the ticket.
    pub ticket_hash: String,
    /// SHA-256 (hex) of the browser-binding cookie of the sign-on.
    pub binding_hash: String,
    /// Who signed on.
    pub user_id: Uuid,
    /// When the ticket stops being accepted.
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Records a started single sign-on. Requests and tickets past their expiry are deleted
    /// first: they can never be used again, and this keeps both tables small.
    pub async fn insert_sso_request(
        &self,
        request: &NewSsoRequest,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sso_requests::Entity::delete_many()
            .filter(sso_requests::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await?;
        sso_tickets::Entity::delete_many()
            .filter(sso_tickets::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await?;
        sso_requests::Entity::insert(sso_requests::ActiveModel {
            id: Set(request.id),
            state_hash: Set(request.state_hash.clone()),
            binding_hash: Set(request.binding_hash.clone()),
            pkce_verifier: Set(request.pkce_verifier.clone()),
            created_at: Set(now),
            expires_at: Set(request.expires_at),
            used_at: Set(None),
        })
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    /// Uses up the request whose `state` hashes to `state_hash`, started in the browser whose
    /// binding cookie hashes to `binding_hash`, and returns its PKCE verifier; `None` when there
    /// is no such request, or it expired or was used. Of two concurrent claims exactly one wins:
    /// the update that marks it used is also the check that it was unused.
    pub async fn claim_sso_request(
        &self,
        state_hash: &str,
        binding_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let tx = self.db.begin().await?;
        let claimed = sso_requests::Entity::update_many()
            .col_expr(sso_requests::Column::UsedAt, Expr::value(now))
            .filter(sso_requests::Column::StateHash.eq(state_hash))
            .filter(sso_requests::Column::BindingHash.eq(binding_hash))
            .filter(sso_requests::Column::UsedAt.is_null())
            .filter(sso_requests::Column::ExpiresAt.gt(now))
            .exec(&tx)
            .await?;
        if claimed.rows_affected != 1 {
            return Ok(None);
        }
        let verifier = sso_requests::Entity::find()
            .filter(sso_requests::Column::StateHash.eq(state_hash))
            .one(&tx)
            .await?
            .map(|r| r.pkce_verifier);
        tx.commit().await?;
        Ok(verifier)
    }

    /// The sign-in record of the user with HR employee id `employee_id` (exact match).
    pub async fn credentials_by_employee_id(
        &self,
        employee_id: &str,
    ) -> Result<Option<Credentials>, StoreError> {
        let username: Option<String> = users::Entity::find()
            .select_only()
            .column(users::Column::Username)
            .filter(users::Column::EmployeeId.eq(employee_id))
            .into_tuple()
            .one(&self.db)
            .await?;
        match username {
            Some(username) => self.credentials(&username).await,
            None => Ok(None),
        }
    }

    /// The sign-in record of the user with e-mail `email`, compared case-insensitively. When
    /// two people's addresses differ only in case, neither is chosen.
    pub async fn credentials_by_email(
        &self,
        email: &str,
    ) -> Result<Option<Credentials>, StoreError> {
        let usernames: Vec<String> = users::Entity::find()
            .select_only()
            .column(users::Column::Username)
            .filter(
                Expr::expr(Func::lower(Expr::col((
                    users::Entity,
                    users::Column::Email,
                ))))
                .eq(email.to_lowercase()),
            )
            .limit(2)
            .into_tuple()
            .all(&self.db)
            .await?;
        match usernames.as_slice() {
            [username] => self.credentials(username).await,
            [] => Ok(None),
            _ => {
                tracing::warn!(%email, "several users share this e-mail; single sign-on refused");
                Ok(None)
            }
        }
    }

    /// The org unit with administrative code `code`.
    pub async fn org_unit_by_code(&self, code: &str) -> Result<Option<OrgUnit>, StoreError> {
        org_units::Entity::find()
            .filter(org_units::Column::Code.eq(code))
            .one(&self.db)
            .await?
            .map(|m| {
                Ok(OrgUnit {
                    id: m.id,
                    parent_id: m.parent_id,
                    level: from_code(&m.level, "org_units.level")?,
                    name: m.name,
                    code: m.code,
                    base_lat: m.base_lat,
                    base_lon: m.base_lon,
                })
            })
            .transpose()
    }

    /// Stores a sign-in ticket with the audit entry of the sign-on it ends, both or neither.
    pub async fn insert_sso_ticket(
        &self,
        ticket: &NewSsoTicket,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin().await?;
        sso_tickets::Entity::insert(sso_tickets::ActiveModel {
            id: Set(ticket.id),
            ticket_hash: Set(ticket.ticket_hash.clone()),
            binding_hash: Set(ticket.binding_hash.clone()),
            user_id: Set(ticket.user_id),
            created_at: Set(now),
            expires_at: Set(ticket.expires_at),
            used_at: Set(None),
        })
        .exec_without_returning(&tx)
        .await?;
        insert_audit(&tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Uses up the ticket that hashes to `ticket_hash`, issued to the browser whose binding
    /// cookie hashes to `binding_hash`, and returns whom it signs in; `None` when unknown,
    /// expired or used. Of two concurrent claims exactly one wins.
    pub async fn claim_sso_ticket(
        &self,
        ticket_hash: &str,
        binding_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError> {
        let tx = self.db.begin().await?;
        let claimed = sso_tickets::Entity::update_many()
            .col_expr(sso_tickets::Column::UsedAt, Expr::value(now))
            .filter(sso_tickets::Column::TicketHash.eq(ticket_hash))
            .filter(sso_tickets::Column::BindingHash.eq(binding_hash))
            .filter(sso_tickets::Column::UsedAt.is_null())
            .filter(sso_tickets::Column::ExpiresAt.gt(now))
            .exec(&tx)
            .await?;
        if claimed.rows_affected != 1 {
            return Ok(None);
        }
        let user_id = sso_tickets::Entity::find()
            .filter(sso_tickets::Column::TicketHash.eq(ticket_hash))
            .one(&tx)
            .await?
            .map(|t| t.user_id);
        tx.commit().await?;
        Ok(user_id)
    }
}
