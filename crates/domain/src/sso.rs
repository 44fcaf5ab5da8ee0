//! Single sign-on through the head office's OAuth 2.0 platform (types shared with the frontend).
//!
//! The server runs the authorization-code flow with PKCE; this module holds what both sides need
//! (the sign-in page's status, the ticket exchange, the error codes the page translates) and the
//! pure rules: which claims identify a person, and the username given to someone provisioned.

use crate::org::{MAX_DISPLAY_NAME, MAX_EMAIL, MAX_EMPLOYEE_ID};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether the sign-in page offers single sign-on, and the text of its button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoStatus {
    /// True when a provider is configured.
    pub enabled: bool,
    /// The button's text (e.g. 统一身份认证登录); `null` when single sign-on is off.
    pub label: Option<String>,
}

/// Trades the one-time ticket of a finished single sign-on for a session.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SsoExchangeRequest {
    /// The `sso_ticket` the callback put in the sign-in page's address (valid 60 s, once).
    pub ticket: String,
}

labelled_enum! {
    /// Why a single sign-on failed: the `sso_error` the callback puts in the sign-in page's
    /// address. Never renamed once published.
    SsoErrorCode {
        InvalidState => "invalid_state", "登录请求无效或已过期，请重新发起统一身份认证登录", "The sign-in request is invalid, used or expired; start single sign-on again";
        ProviderError => "provider_error", "统一身份认证平台未完成登录", "The identity provider did not complete the sign-in";
        ExchangeFailed => "exchange_failed", "无法向统一身份认证平台换取令牌，请重新登录", "Could not obtain a token from the identity provider; sign in again";
        UserinfoFailed => "userinfo_failed", "无法从统一身份认证平台获取用户信息", "Could not read your details from the identity provider";
        MissingIdentity => "missing_identity", "统一身份认证平台未提供工号或电子邮箱", "The identity provider sent neither an employee id nor an e-mail address";
        UnknownUser => "unknown_user", "该统一身份尚未开通本系统账号，请联系管理员", "This identity has no account here; ask an administrator";
        InactiveUser => "inactive_user", "该账号已停用，请联系管理员", "This account is deactivated; ask an administrator";
        ProvisionFailed => "provision_failed", "无法为该统一身份创建账号，请联系管理员", "Could not create an account for this identity; ask an administrator";
        SsoDisabled => "sso_disabled", "未启用统一身份认证登录", "Single sign-on is not enabled";
        ServerError => "server_error", "服务器暂时无法完成登录，请稍后再试", "The server could not complete the sign-in; try again later";
    }
}

/// Who the provider says signed in, read from its userinfo claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoIdentity {
    /// The provider's stable subject (`sub`).
    pub subject: String,
    /// The employee id claim, when present.
    pub employee_id: Option<String>,
    /// The e-mail claim in lower case, when present and not marked unverified.
    pub email: Option<String>,
    /// A human name (`name`, else `preferred_username`), when present.
    pub display_name: Option<String>,
}

/// The text of claim `name`: a top-level key, or a dotted path into nested objects
/// (`ext.employee_id`). Strings are trimmed; numbers are written out; anything else is absent.
pub fn claim_text(claims: &Value, name: &str) -> Option<String> {
    let value = claims.get(name).or_else(|| {
        name.split('.')
            .try_fold(claims, |value, key| value.get(key))
            .filter(|_| name.contains('.'))
    })?;
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// Reads the identity from userinfo `claims`, with the employee id in claim `employee_id_claim`
/// and the e-mail in `email_claim`.
///
/// An e-mail the provider marks `email_verified: false` is ignored: anyone can type any address
/// into an account at some providers, and mapping on it would hand them someone else's account.
/// Values too long to be ours are ignored too. Without a subject, or with neither an employee id
/// nor an e-mail, there is no one to sign in.
pub fn identity_from_claims(
    claims: &Value,
    employee_id_claim: &str,
    email_claim: &str,
) -> Result<SsoIdentity, SsoErrorCode> {
    if !claims.is_object() {
        return Err(SsoErrorCode::UserinfoFailed);
    }
    let subject = claim_text(claims, "sub").ok_or(SsoErrorCode::MissingIdentity)?;
    let employee_id =
        claim_text(claims, employee_id_claim).filter(|id| id.chars().count() <= MAX_EMPLOYEE_ID);
    let unverified = claims.get("email_verified") == Some(&Value::Bool(false));
    let email = claim_text(claims, email_claim)
        .filter(|_| !unverified)
        .map(|e| e.to_lowercase())
        .filter(|e| e.chars().count() <= MAX_EMAIL && crate::validation::is_email(e));
    if employee_id.is_none() && email.is_none() {
        return Err(SsoErrorCode::MissingIdentity);
    }
    let display_name = claim_text(claims, "name")
        .or_else(|| claim_text(claims, "preferred_username"))
        .map(|n| n.chars().take(MAX_DISPLAY_NAME).collect());
    Ok(SsoIdentity {
        subject,
        employee_id,
        email,
        display_name,
    })
}

/// The username of someone provisioned on first sign-on: the first of their employee id, the
/// local part of their e-mail and the subject that still has 3 characters once kept to what
/// usernames allow (in lower case); else `sso-` and the subject. The caller adds a suffix when
/// it is taken.
pub fn provisioned_username(identity: &SsoIdentity) -> String {
    let clean = |text: &str| -> String {
        text.chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .map(|c| c.to_ascii_lowercase())
            .take(56)
            .collect()
    };
    let local_part = identity.email.as_deref().and_then(|e| e.split('@').next());
    [
        identity.employee_id.as_deref(),
        local_part,
        Some(identity.subject.as_str()),
    ]
    .into_iter()
    .flatten()
    .map(clean)
    .find(|name| name.len() >= 3)
    .unwrap_or_else(|| format!("sso-{}", clean(&identity.subject)))
}

/// The name shown for someone provisioned: the provider's name, else the employee id, else the
/// e-mail.
pub fn provisioned_display_name(identity: &SsoIdentity) -> String {
    identity
        .display_name
        .clone()
        .or_else(|| identity.employee_id.clone())
        .or_else(|| identity.email.clone())
        .unwrap_or_else(|| identity.subject.clone())
        .chars()
        .take(MAX_DISPLAY_NAME)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identity_takes_the_configured_claims() {
        let claims = json!({
            "sub": "u-1",
            "staff": { "no": 4301 },
            "mail": " Zhang.San@Example.CN ",
            "name": "张三",
        });
        let id = identity_from_claims(&claims, "staff.no", "mail").expect("identity");
        assert_eq!(id.subject, "u-1");
        assert_eq!(id.employee_id.as_deref(), Some("4301"));
        assert_eq!(id.email.as_deref(), Some("zhang.san@example.cn"));
        assert_eq!(id.display_name.as_deref(), Some("张三"));
    }

    #[test]
    fn a_top_level_claim_with_a_dot_in_its_name_wins_over_a_path() {
        let claims = json!({ "sub": "s", "a.b": "flat", "a": { "b": "nested" } });
        assert_eq!(claim_text(&claims, "a.b").as_deref(), Some("flat"));
        assert_eq!(
            claim_text(&json!({"a": {"b": "n"}}), "a.b").as_deref(),
            Some("n")
        );
        assert_eq!(claim_text(&json!({"a": {"b": true}}), "a.b"), None);
        assert_eq!(claim_text(&json!({"a": "  "}), "a"), None);
    }

    #[test]
    fn an_unverified_email_is_not_an_identity() {
        let claims = json!({ "sub": "s", "email": "boss@example.cn", "email_verified": false });
        assert_eq!(
            identity_from_claims(&claims, "employee_id", "email"),
            Err(SsoErrorCode::MissingIdentity)
        );
        let claims = json!({ "sub": "s", "email": "boss@example.cn", "email_verified": true });
        assert!(identity_from_claims(&claims, "employee_id", "email").is_ok());
    }

    #[test]
    fn no_subject_or_no_usable_claim_is_refused() {
        let no_sub = json!({ "employee_id": "E1" });
        assert_eq!(
            identity_from_claims(&no_sub, "employee_id", "email"),
            Err(SsoErrorCode::MissingIdentity)
        );
        let junk = json!({ "sub": "s", "employee_id": "x".repeat(65), "email": "not-an-address" });
        assert_eq!(
            identity_from_claims(&junk, "employee_id", "email"),
            Err(SsoErrorCode::MissingIdentity)
        );
        assert_eq!(
            identity_from_claims(&json!(["sub"]), "employee_id", "email"),
            Err(SsoErrorCode::UserinfoFailed)
        );
    }

    #[test]
    fn provisioned_usernames_are_valid_usernames() {
        let base = SsoIdentity {
            subject: "sub-9".into(),
            employee_id: None,
            email: None,
            display_name: None,
        };
        let with = |employee_id: Option<&str>, email: Option<&str>| SsoIdentity {
            employee_id: employee_id.map(str::to_owned),
            email: email.map(str::to_owned),
            ..base.clone()
        };
        assert_eq!(
            provisioned_username(&with(Some("E 000123"), None)),
            "e000123"
        );
        assert_eq!(
            provisioned_username(&with(None, Some("li.si@example.cn"))),
            "li.si"
        );
        assert_eq!(
            provisioned_username(&with(Some("王五"), Some("王@example.cn"))),
            "sub-9"
        );
        let short = SsoIdentity {
            subject: "7".into(),
            ..with(None, Some("王@example.cn"))
        };
        assert_eq!(provisioned_username(&short), "sso-7");
        let long = provisioned_username(&with(Some(&"a".repeat(64)), None));
        assert_eq!(long.len(), 56);
        for name in ["e000123", "li.si", "sso-7", "sub-9", long.as_str()] {
            assert!((3..=64).contains(&name.len()), "{name}");
            assert!(name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')));
        }
    }

    #[test]
    fn error_codes_round_trip() {
        for code in SsoErrorCode::ALL {
            assert_eq!(SsoErrorCode::from_code(code.code()), Some(*code));
        }
        assert_eq!(SsoErrorCode::from_code("nonsense"), None);
    }
}
