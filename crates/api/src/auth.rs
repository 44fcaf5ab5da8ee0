//! Access tokens (JWT, HS256), password hashing (argon2) and the signed-in-user extractor.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use domain::error::ErrorCode;
use domain::org::{DataScope, Role, UserInfo};
use futures_util::future::LocalBoxFuture;
use jsonwebtoken::{
    decode, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: Uuid,
    /// Role at issue time (the server re-reads the user on every request).
    pub role: Role,
    /// Issued at (seconds since epoch).
    pub iat: i64,
    /// Expires at (seconds since epoch).
    pub exp: i64,
    /// Token id.
    pub jti: Uuid,
    /// The session (sign-in) the token belongs to; signing out ends it.
    pub sid: Uuid,
}

/// Signs and checks access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Lifetime in seconds.
    pub ttl_secs: i64,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// Keys from the HMAC secret.
    pub fn new(secret: &[u8], ttl_secs: i64) -> Self {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl_secs,
        }
    }

    /// A signed access token for `user` in session `sid`, valid from `now` for the TTL.
    pub fn issue(&self, user: &UserInfo, sid: Uuid, now: i64) -> Result<String, ApiError> {
        let claims = Claims {
            sub: user.id,
            role: user.role,
            iat: now,
            exp: now + self.ttl_secs,
            jti: Uuid::new_v4(),
            sid,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Unexpected(e.into()))
    }

    /// The claims of a valid token at time `now`.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against the injected clock below, not the system time.
        validation.validate_exp = false;
        validation.required_spec_claims =
            ["exp".to_owned(), "sub".to_owned()].into_iter().collect();
        let data =
            decode::<Claims>(token, &self.decoding, &validation).map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => ApiError::Unauthorized(ErrorCode::TokenExpired),
                _ => ApiError::Unauthorized(ErrorCode::Unauthorized),
            })?;
        if data.claims.exp <= now {
            return Err(ApiError::Unauthorized(ErrorCode::TokenExpired));
        }
        Ok(data.claims)
    }
}

/// An argon2id PHC string for `password` (slow on purpose; call off the async threads).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("hashing password: {e}")))
}

/// Whether `password` matches the PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The signed-in user of a request (any route that takes it requires a valid bearer token).
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// Who.
    pub user: UserInfo,
    /// Their session.
    pub session_id: Uuid,
}

impl AuthUser {
    /// Which clients this user may see, given the org tree as (id, parent).
    pub fn scope(&self, tree: &[(Uuid, Option<Uuid>)]) -> DataScope {
        DataScope::for_user(self.user.role, self.user.id, self.user.org_unit_id, tree)
    }

    /// Refuses roles that may only read.
    pub fn require_writer(&self) -> Result<(), ApiError> {
        match self.user.role {
            Role::Viewer => Err(ApiError::Forbidden),
            _ => Ok(()),
        }
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("app state missing")))?;
            let token = token.ok_or(ApiError::Unauthorized(ErrorCode::Unauthorized))?;
            let claims = state.keys.verify(&token, state.clock.now().timestamp())?;
            // Re-read the user with their session, so a deactivated account, a changed role, a
            // sign-out or a password change takes effect at once.
            let user = state
                .store
                .session_user(claims.sid, claims.sub, state.clock.now())
                .await?
                .ok_or(ApiError::Unauthorized(ErrorCode::Unauthorized))?;
            Ok(AuthUser {
                user,
                session_id: claims.sid,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserInfo {
        UserInfo {
            id: Uuid::from_u128(7),
            username: "admin".into(),
            display_name: "管理员".into(),
            role: Role::Admin,
            org_unit_id: Uuid::from_u128(1),
            org_unit_name: "湖南省".into(),
        }
    }

    #[test]
    fn a_token_verifies_until_it_expires() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", 60);
        let token = keys
            .issue(&user(), Uuid::from_u128(3), 1_000)
            .expect("token");
        assert_eq!(keys.verify(&token, 1_059).expect("valid").sub, user().id);
        assert!(matches!(
            keys.verify(&token, 1_060),
            Err(ApiError::Unauthorized(ErrorCode::TokenExpired))
        ));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", 60);
        let other = TokenKeys::new(b"ffffffffffffffffffffffffffffffff", 60);
        let token = other
            .issue(&user(), Uuid::from_u128(3), 1_000)
            .expect("token");
        assert!(matches!(
            keys.verify(&token, 1_001),
            Err(ApiError::Unauthorized(ErrorCode::Unauthorized))
        ));
        assert!(keys.verify("not.a.jwt", 1_001).is_err());
    }

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("Demo@2026").expect("hash");
        assert!(verify_password("Demo@2026", &hash));
        assert!(!verify_password("demo@2026", &hash));
        assert!(!verify_password("Demo@2026", "garbage"));
    }
}
