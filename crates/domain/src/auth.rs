//! Sign-in request and response bodies.

use crate::org::UserInfo;
use serde::{Deserialize, Serialize};

/// Password sign-in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Sign-in name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub username: String,
    /// Password.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub password: String,
}

/// A signed-in session.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    /// JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque token for `POST /api/v1/auth/refresh`; single use (each refresh returns a new one).
    pub refresh_token: String,
    /// Who signed in.
    pub user: UserInfo,
}

/// Exchange a refresh token for a new pair (the old refresh token stops working).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last sign-in or refresh.
    pub refresh_token: String,
}

/// Change one's own password; every session of the user is signed out.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The password now.
    pub current_password: String,
    /// The new password (see the password policy).
    pub new_password: String,
}

/// Failed sign-ins allowed before the account is locked for a while.
pub const FREE_FAILED_SIGN_INS: u32 = 5;
/// First lock, seconds; doubles with every further failure.
pub const FIRST_LOCK_SECS: i64 = 60;
/// Longest lock, seconds.
pub const MAX_LOCK_SECS: i64 = 3600;

/// How long to lock an account after `failed` consecutive failed sign-ins: nothing for the first
/// few, then one minute, doubling with each further failure, at most an hour. Slows guessing to a
/// crawl while a user who mistyped a few times is never stuck for long.
pub fn lockout_secs(failed: u32) -> Option<i64> {
    if failed < FREE_FAILED_SIGN_INS {
        return None;
    }
    let doublings = (failed - FREE_FAILED_SIGN_INS).min(16);
    Some((FIRST_LOCK_SECS << doublings).min(MAX_LOCK_SECS))
}

/// Minimum password length (OWASP ASVS asks for at least 8; we ask 10).
pub const MIN_PASSWORD_CHARS: usize = 10;

/// The password policy: at least 10 characters and at most 128, three of the four character
/// classes (lower case, upper case, digit, other), and not containing the username.
pub fn check_password_policy(
    password: &str,
    username: &str,
) -> Result<(), crate::ValidationErrors> {
    check_password_policy_for("new_password", "新密码", password, username)
}

/// [`check_password_policy`] for a field named `field` (`label_zh` in Chinese messages).
pub fn check_password_policy_for(
    field: &str,
    label_zh: &str,
    password: &str,
    username: &str,
) -> Result<(), crate::ValidationErrors> {
    use crate::FieldError;
    let mut errors = crate::ValidationErrors::new();
    let count = password.chars().count();
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|&&present| present)
    .count();
    if !(MIN_PASSWORD_CHARS..=128).contains(&count) {
        errors.push(FieldError::new(
            field,
            "weak_password",
            format!("{field} must be {MIN_PASSWORD_CHARS} to 128 characters"),
            format!("{label_zh}长度须为 {MIN_PASSWORD_CHARS} 到 128 个字符"),
        ));
    } else if classes < 3 {
        errors.push(FieldError::new(
            field,
            "weak_password",
            format!("{field} must mix three of: lower case, upper case, digits, symbols"),
            format!("{label_zh}须包含小写字母、大写字母、数字、符号中的至少三类"),
        ));
    } else if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        errors.push(FieldError::new(
            field,
            "weak_password",
            format!("{field} must not contain the username"),
            format!("{label_zh}不能包含用户名"),
        ));
    }
    errors.into_result(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_starts_after_five_failures_and_doubles_up_to_an_hour() {
        assert_eq!(lockout_secs(4), None);
        assert_eq!(lockout_secs(5), Some(60));
        assert_eq!(lockout_secs(6), Some(120));
        assert_eq!(lockout_secs(10), Some(1920));
        assert_eq!(lockout_secs(11), Some(3600));
        assert_eq!(lockout_secs(1000), Some(3600));
    }

    #[test]
    fn the_password_policy_wants_length_variety_and_no_username() {
        assert!(check_password_policy("Oil-Depot-2026", "wang").is_ok());
        assert!(check_password_policy("Short1!", "wang").is_err());
        assert!(check_password_policy("alllowercaseletters", "wang").is_err());
        assert!(check_password_policy("Wang@Changsha2026", "wang").is_err());
        let errors = check_password_policy("abc", "x").expect_err("weak");
        assert_eq!(errors.0[0].field, "new_password");
        assert_eq!(errors.0[0].code, "weak_password");
    }
}
