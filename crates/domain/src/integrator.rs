//! Integrator tokens: named, scoped, expiring, revocable credentials for machine clients
//! (the ERP, the tank-gauge system). Shown once, stored hashed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

labelled_enum! {
    /// What an integrator token may do. Each API route that machines may call names the scope it
    /// needs; a token reaches no other route.
    TokenScope {
        ClientsRead => "clients:read", "读取客户档案", "Read client archives";
        ClientsWrite => "clients:write", "写入客户档案", "Write client archives";
        SalesWrite => "sales:write", "写入销售数据", "Write sales data";
        GaugesWrite => "gauges:write", "写入液位数据", "Write tank-gauge readings";
        AuditRead => "audit:read", "读取审计日志", "Read the audit trail";
    }
}

/// Every integrator token's secret starts with this, so scanners and people can recognise one
/// and the server can tell it from a JWT without trying both.
pub const TOKEN_PREFIX: &str = "ygj_it_";

/// An integrator token as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntegratorToken {
    /// Identifier.
    pub id: Uuid,
    /// What it is for, e.g. `ERP 订单同步`.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<TokenScope>,
    /// The first characters of the secret (prefix included), to recognise it.
    pub hint: String,
    /// Who created it.
    pub created_by_name: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Refused after this instant.
    pub expires_at: DateTime<Utc>,
    /// Set when revoked; a revoked token is refused at once.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last time it was used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Requests allowed per minute.
    pub rate_limit_per_minute: u32,
}

/// Create an integrator token (administrators).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewIntegratorToken {
    /// What it is for (1–100 characters), unique among live tokens.
    pub name: String,
    /// At least one scope.
    pub scopes: Vec<TokenScope>,
    /// Days until it expires: 1 to 730 (two years).
    pub expires_in_days: u32,
    /// Requests allowed per minute (1 to 6000); 600 when omitted.
    #[serde(default)]
    pub rate_limit_per_minute: Option<u32>,
}

/// A token just created: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedIntegratorToken {
    /// The token as it will be listed.
    pub token: IntegratorToken,
    /// The secret to send as `Authorization: Bearer …`; not stored, not shown again.
    pub secret: String,
}
