//! Integrator tokens: named, scoped, expiring, revocable credentials for machine clients
//! (the ERP, the tank-gauge system). Shown once, stored hashed.

use crate::validation::check_text;
use crate::{FieldError, ValidationErrors};
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
        TicketsWrite => "tickets:write", "登记并查询服务工单", "Raise and read service tickets";
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

/// Longest token name, in characters.
pub const NAME_MAX_CHARS: usize = 100;
/// Longest lifetime, in days (two years): a machine credential must be rotated eventually.
pub const MAX_EXPIRES_IN_DAYS: u32 = 730;
/// Requests per minute when the request does not say.
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 600;
/// Highest rate a token may be given (100 requests a second).
pub const MAX_RATE_LIMIT_PER_MINUTE: u32 = 6000;
/// How many characters of the secret are kept as its hint: the prefix and four more, enough
/// to tell tokens apart, far too few to guess the rest.
pub const HINT_CHARS: usize = TOKEN_PREFIX.len() + 4;

/// The first characters of `secret`, stored and listed to recognise a token.
pub fn hint_of(secret: &str) -> String {
    secret.chars().take(HINT_CHARS).collect()
}

/// The name an integrator acts under in the audit trail and the logs, e.g. `集成令牌 ERP 订单同步`.
pub fn actor_name(token_name: &str) -> String {
    format!("集成令牌 {token_name}")
}

impl IntegratorToken {
    /// Whether the token is accepted at `now`: neither revoked nor expired.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

impl NewIntegratorToken {
    /// The same request with the name trimmed.
    pub fn normalized(mut self) -> Self {
        self.name = self.name.trim().to_owned();
        self
    }

    /// The rate limit to store: the one given or the default.
    pub fn rate_limit(&self) -> u32 {
        self.rate_limit_per_minute
            .unwrap_or(DEFAULT_RATE_LIMIT_PER_MINUTE)
    }

    /// The field rules that need no database (the name's uniqueness among live tokens does).
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        check_text(&mut errors, "name", &self.name, NAME_MAX_CHARS);
        if self.scopes.is_empty() {
            errors.push(FieldError::required("scopes"));
        } else {
            let mut seen = Vec::with_capacity(self.scopes.len());
            for (i, scope) in self.scopes.iter().enumerate() {
                if seen.contains(scope) {
                    errors.push(FieldError::new(
                        format!("scopes[{i}]"),
                        "duplicate",
                        format!("scopes[{i}]: `{scope}` is listed twice"),
                        format!("scopes[{i}]：权限“{}”重复", scope.label_zh()),
                    ));
                } else {
                    seen.push(*scope);
                }
            }
        }
        if !(1..=MAX_EXPIRES_IN_DAYS).contains(&self.expires_in_days) {
            errors.push(FieldError::out_of_range(
                "expires_in_days",
                1.0,
                f64::from(MAX_EXPIRES_IN_DAYS),
            ));
        }
        if !(1..=MAX_RATE_LIMIT_PER_MINUTE).contains(&self.rate_limit()) {
            errors.push(FieldError::out_of_range(
                "rate_limit_per_minute",
                1.0,
                f64::from(MAX_RATE_LIMIT_PER_MINUTE),
            ));
        }
        errors.into_result(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn request() -> NewIntegratorToken {
        NewIntegratorToken {
            name: "  ERP 订单同步 ".into(),
            scopes: vec![TokenScope::ClientsRead, TokenScope::SalesWrite],
            expires_in_days: 365,
            rate_limit_per_minute: None,
        }
    }

    fn fields(result: Result<(), ValidationErrors>) -> Vec<(String, String)> {
        result
            .err()
            .map(|e| e.0.into_iter().map(|f| (f.field, f.code)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_sensible_request_is_valid_and_gets_the_default_rate() {
        let new = request().normalized();
        assert_eq!(new.name, "ERP 订单同步");
        assert!(new.validate().is_ok());
        assert_eq!(new.rate_limit(), DEFAULT_RATE_LIMIT_PER_MINUTE);
    }

    #[test]
    fn every_broken_field_is_reported_at_once() {
        let new = NewIntegratorToken {
            name: " ".into(),
            scopes: vec![],
            expires_in_days: 0,
            rate_limit_per_minute: Some(0),
        };
        assert_eq!(
            fields(new.validate()),
            [
                ("name".to_owned(), "required".to_owned()),
                ("scopes".to_owned(), "required".to_owned()),
                ("expires_in_days".to_owned(), "out_of_range".to_owned()),
                (
                    "rate_limit_per_minute".to_owned(),
                    "out_of_range".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn limits_are_inclusive() {
        let mut new = request();
        new.name = "名".repeat(NAME_MAX_CHARS);
        new.expires_in_days = MAX_EXPIRES_IN_DAYS;
        new.rate_limit_per_minute = Some(MAX_RATE_LIMIT_PER_MINUTE);
        assert!(new.validate().is_ok());
        new.name.push('x');
        new.expires_in_days += 1;
        new.rate_limit_per_minute = Some(MAX_RATE_LIMIT_PER_MINUTE + 1);
        assert_eq!(
            fields(new.validate()),
            [
                ("name".to_owned(), "too_long".to_owned()),
                ("expires_in_days".to_owned(), "out_of_range".to_owned()),
                (
                    "rate_limit_per_minute".to_owned(),
                    "out_of_range".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn a_repeated_scope_is_named_by_its_position() {
        let mut new = request();
        new.scopes = vec![
            TokenScope::ClientsRead,
            TokenScope::AuditRead,
            TokenScope::ClientsRead,
        ];
        assert_eq!(
            fields(new.validate()),
            [("scopes[2]".to_owned(), "duplicate".to_owned())]
        );
    }

    #[test]
    fn a_token_is_live_until_it_expires_or_is_revoked() {
        let at = |h| {
            Utc.with_ymd_and_hms(2026, 11, 20, h, 0, 0)
                .single()
                .expect("time")
        };
        let mut token = IntegratorToken {
            id: Uuid::from_u128(1),
            name: "ERP".into(),
            scopes: vec![TokenScope::ClientsRead],
            hint: hint_of("ygj_it_0123456789abcdef"),
            created_by_name: "管理员".into(),
            created_at: at(8),
            expires_at: at(10),
            revoked_at: None,
            last_used_at: None,
            rate_limit_per_minute: 600,
        };
        assert_eq!(token.hint, "ygj_it_0123");
        assert!(token.is_live(at(9)));
        assert!(!token.is_live(at(10)));
        token.revoked_at = Some(at(9));
        assert!(!token.is_live(at(9)));
    }
}
