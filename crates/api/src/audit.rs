//! Building audit entries for the request being served.

use crate::auth::AuthUser;
use crate::telemetry::RequestId;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use chrono::{DateTime, Utc};
use domain::audit::{AuditAction, AuditEntry, FieldChange};
use std::future::{ready, Ready};
use uuid::Uuid;

/// Where a request came from, for the audit trail.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    /// Client address (the peer, or the first `X-Forwarded-For` hop behind a proxy).
    pub ip: Option<String>,
    /// The request id also logged and returned in `X-Request-Id`.
    pub request_id: Option<String>,
}

impl FromRequest for RequestMeta {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let ip = req
            .connection_info()
            .realip_remote_addr()
            .map(str::to_owned);
        let request_id = req.extensions().get::<RequestId>().map(ToString::to_string);
        ready(Ok(RequestMeta { ip, request_id }))
    }
}

impl RequestMeta {
    /// An audit entry for something `auth` did now. When a machine called with an integrator
    /// token, the token is the actor: its id and `集成令牌 <name>`.
    pub fn entry(
        &self,
        auth: &AuthUser,
        at: DateTime<Utc>,
        action: AuditAction,
        entity: &str,
        entity_id: Option<Uuid>,
        changes: Vec<FieldChange>,
    ) -> AuditEntry {
        AuditEntry {
            // Time-ordered ids keep entries of the same instant in the order they were written.
            id: Uuid::now_v7(),
            at,
            actor_id: Some(auth.user.id),
            actor_name: auth.user.display_name.clone(),
            ip: self.ip.clone(),
            action,
            entity: entity.to_owned(),
            entity_id,
            changes,
            request_id: self.request_id.clone(),
        }
    }
}
