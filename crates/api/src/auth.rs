//! Access tokens (JWT, HS256), password hashing (argon2), integrator tokens, and the
//! signed-in-user extractor that accepts both kinds of bearer token.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use domain::error::ErrorCode;
use domain::integrator::{actor_name, IntegratorToken, TokenScope, TOKEN_PREFIX};
use domain::org::{DataScope, Role, UserInfo};
use jsonwebtoken::{
    decode, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::future::{ready, Ready};
use std::sync::{Mutex, PoisonError};
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

/// The caller of a request (any route that takes it requires a valid bearer token): a person
/// signed in with a JWT, or a machine with an integrator token.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// Who. For an integrator token: `id` is the token's id, `display_name` reads
    /// `集成令牌 <name>` (so the audit trail names the token), the role is administrator and the
    /// org unit is nil; what the token may reach is limited by [`MACHINE_ROUTES`] instead.
    pub user: UserInfo,
    /// Their session (nil for an integrator token).
    pub session_id: Uuid,
    /// The integrator token's id when a machine is calling.
    pub integrator: Option<Uuid>,
}

impl AuthUser {
    /// Which clients this caller may see, given the org tree as (id, parent). Integrator tokens
    /// see every client (they only reach the routes their scopes open).
    pub fn scope(&self, tree: &[(Uuid, Option<Uuid>)]) -> DataScope {
        if self.integrator.is_some() {
            return DataScope::All;
        }
        DataScope::for_user(self.user.role, self.user.id, self.user.org_unit_id, tree)
    }

    /// Whether [`AuthUser::scope`] looks at the org tree (leaders, directors and viewers see
    /// a subtree; administrators, integrators and account managers do not).
    pub fn scope_needs_tree(&self) -> bool {
        self.integrator.is_none()
            && matches!(
                self.user.role,
                domain::org::Role::Leader | domain::org::Role::Director | domain::org::Role::Viewer
            )
    }

    /// [`AuthUser::scope`], reading the org tree only when the role needs it (account managers
    /// and administrators do not): one query less on the hot routes of the phone.
    pub async fn scope_from(&self, store: &store::Store) -> Result<DataScope, store::StoreError> {
        let tree = if self.scope_needs_tree() {
            store.org_tree().await?
        } else {
            Vec::new()
        };
        Ok(self.scope(&tree))
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

/// The routes machines may call with an integrator token, as (method, route pattern, the scope
/// the token needs). Every other route refuses integrator tokens (403), whatever their scopes:
/// a token can never sign out, change a password, read `/me`, administer users, units or tokens,
/// or write anything not listed here. Add a line when a machine-callable route appears.
pub const MACHINE_ROUTES: &[(&str, &str, TokenScope)] = &[
    ("GET", "/api/v1/clients", TokenScope::ClientsRead),
    ("GET", "/api/v1/clients/{id}", TokenScope::ClientsRead),
    ("GET", "/api/v1/audit", TokenScope::AuditRead),
    ("POST", "/api/v1/sales/orders", TokenScope::SalesWrite),
    ("POST", "/api/v1/sales/prepayments", TokenScope::SalesWrite),
    ("POST", "/api/v1/gauges/readings", TokenScope::GaugesWrite),
    ("POST", "/api/v1/tickets", TokenScope::TicketsWrite),
    ("GET", "/api/v1/tickets/{id}", TokenScope::TicketsWrite),
];

/// The scope an integrator token needs for `method` on the route `pattern` (as actix names it,
/// e.g. `/api/v1/clients/{id}`); `None` when machines may not call the route at all.
pub fn required_scope(method: &str, pattern: &str) -> Option<TokenScope> {
    MACHINE_ROUTES
        .iter()
        .find(|(m, p, _)| *m == method && *p == pattern)
        .map(|(_, _, scope)| *scope)
}

/// `bytes` random bytes (from a CSPRNG seeded by the operating system) in lower-case hex: the
/// secret part of refresh tokens, integrator tokens, SSO states and tickets, the JWT key.
pub fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex(&buffer)
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// SHA-256 of `text` in lower-case hex: how token, ticket and state secrets are stored (they
/// are high-entropy random, so a fast hash is the right one).
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// A new integrator token secret: [`TOKEN_PREFIX`] and 32 random bytes, hex-encoded (256 bits:
/// nothing to guess, so [`sha256_hex`] suffices to store it).
pub fn new_integrator_secret() -> String {
    format!("{TOKEN_PREFIX}{}", random_hex(32))
}

/// Per-token request budgets and last-use bookkeeping of integrator tokens, in memory (one
/// server process). Each token has a bucket of `rate_limit_per_minute` requests that refills
/// continuously at that rate, so a client may burst up to a minute's worth and then keeps to the
/// rate.
#[derive(Debug, Default)]
pub struct IntegratorUsage {
    tokens: Mutex<HashMap<Uuid, Usage>>,
}

#[derive(Debug)]
struct Usage {
    /// Requests that may be made now (fractional while refilling).
    allowance: f64,
    /// When `allowance` was computed.
    checked_at: DateTime<Utc>,
    /// When `last_used_at` was last written to the database.
    recorded_at: Option<DateTime<Utc>>,
}

/// How often, at most, a token's `last_used_at` is written.
const RECORD_USE_EVERY_SECS: i64 = 60;

impl IntegratorUsage {
    /// Takes one request from token `id`'s budget of `per_minute` at `now`. `Ok(true)` when the
    /// request may proceed and its use should be recorded (at most once a minute), `Ok(false)`
    /// when it may proceed without a write, `Err(seconds)` when the budget is spent and a request
    /// will be allowed again after that many seconds.
    pub fn admit(&self, id: Uuid, per_minute: u32, now: DateTime<Utc>) -> Result<bool, i64> {
        let capacity = f64::from(per_minute.max(1));
        let per_second = capacity / 60.0;
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        let usage = tokens.entry(id).or_insert(Usage {
            allowance: capacity,
            checked_at: now,
            recorded_at: None,
        });
        // A clock that steps back refills nothing rather than draining the bucket.
        let elapsed = (now - usage.checked_at).num_milliseconds().max(0) as f64 / 1000.0;
        usage.allowance = (usage.allowance + elapsed * per_second).min(capacity);
        usage.checked_at = now.max(usage.checked_at);
        if usage.allowance < 1.0 {
            let wait = ((1.0 - usage.allowance) / per_second).ceil() as i64;
            return Err(wait.max(1));
        }
        usage.allowance -= 1.0;
        let due = usage
            .recorded_at
            .is_none_or(|at| (now - at).num_seconds() >= RECORD_USE_EVERY_SECS);
        if due {
            usage.recorded_at = Some(now);
        }
        Ok(due)
    }
}

/// The caller behind integrator token `secret`, on a route that needs `needed` (`None`: a route
/// closed to machines).
async fn integrator_caller(
    state: &AppState,
    secret: &str,
    needed: Option<TokenScope>,
) -> Result<AuthUser, ApiError> {
    let now = state.clock.now();
    let token = state
        .store
        .integrator_token_by_hash(&sha256_hex(secret))
        .await?
        .ok_or(ApiError::Unauthorized(ErrorCode::Unauthorized))?;
    if token.revoked_at.is_some() {
        return Err(ApiError::Unauthorized(ErrorCode::Unauthorized));
    }
    if !token.is_live(now) {
        return Err(ApiError::Unauthorized(ErrorCode::TokenExpired));
    }
    match needed {
        Some(scope) if token.scopes.contains(&scope) => {}
        _ => return Err(ApiError::Forbidden),
    }
    let record_use = state
        .integrator_usage
        .admit(token.id, token.rate_limit_per_minute, now)
        .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
    if record_use {
        // At most once a minute per token, so machines do not add a write to every read.
        if let Err(e) = state.store.record_integrator_token_use(token.id, now).await {
            tracing::warn!(token = %token.id, error = %e, "could not record integrator token use");
        }
    }
    Ok(integrator_user(&token))
}

/// How an integrator token appears as the caller.
fn integrator_user(token: &IntegratorToken) -> AuthUser {
    AuthUser {
        user: UserInfo {
            id: token.id,
            username: format!("integrator:{}", token.id),
            // The audit trail keeps 100 characters of the actor's name.
            display_name: actor_name(&token.name).chars().take(100).collect(),
            role: Role::Admin,
            org_unit_id: Uuid::nil(),
            org_unit_name: String::new(),
        },
        session_id: Uuid::nil(),
        integrator: Some(token.id),
    }
}

/// Authenticates the bearer token of `req`: a JWT (checked against its live session and the
/// user's current record) or an integrator token (checked against its route's scope and its rate).
async fn resolve(req: HttpRequest) -> Result<AuthUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("app state missing")))?;
    let token = bearer(&req).ok_or(ApiError::Unauthorized(ErrorCode::Unauthorized))?;
    if token.starts_with(TOKEN_PREFIX) {
        let needed = req
            .match_pattern()
            .and_then(|pattern| required_scope(req.method().as_str(), &pattern));
        return integrator_caller(&state, &token, needed).await;
    }
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
        integrator: None,
    })
}

/// What [`authenticate`] found for a request carrying a bearer token.
struct AuthOutcome(Result<AuthUser, ApiError>);

/// Middleware of `/api/v1`: authenticates a request's bearer token, if it has one, before any
/// handler input is read, and leaves the outcome for the [`AuthUser`] extractor.
///
/// Doing this ahead of extraction makes the order of answers fixed: actix reads a handler's
/// inputs concurrently, so an extractor that had to wait for the database could lose the race to
/// a malformed body or path, and a caller without the right would learn about validation rules
/// (400/422) instead of getting 401/403. With the outcome ready, the first input of a handler —
/// the caller or a role guard — always decides first.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if bearer(req.request()).is_some() {
        let outcome = resolve(req.request().clone()).await;
        req.extensions_mut().insert(AuthOutcome(outcome));
    }
    next.call(req).await
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let mut extensions = req.extensions_mut();
        let result = match extensions.remove::<AuthOutcome>() {
            Some(AuthOutcome(Ok(user))) => {
                extensions.insert(AuthOutcome(Ok(user.clone())));
                Ok(user)
            }
            Some(AuthOutcome(Err(e))) => Err(e),
            None => Err(ApiError::Unauthorized(ErrorCode::Unauthorized)),
        };
        ready(result)
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
    fn machines_reach_only_the_routes_in_the_table_with_the_scope_it_names() {
        assert_eq!(
            required_scope("GET", "/api/v1/clients"),
            Some(TokenScope::ClientsRead)
        );
        assert_eq!(
            required_scope("GET", "/api/v1/clients/{id}"),
            Some(TokenScope::ClientsRead)
        );
        assert_eq!(
            required_scope("GET", "/api/v1/audit"),
            Some(TokenScope::AuditRead)
        );
        // The same path with another method, a concrete path instead of the pattern, and the
        // routes a token must never reach.
        for (method, pattern) in [
            ("PATCH", "/api/v1/clients/{id}"),
            ("POST", "/api/v1/clients"),
            (
                "GET",
                "/api/v1/clients/0b7f7a2c-0000-0000-0000-000000000000",
            ),
            ("GET", "/api/v1/clients/{id}/history"),
            ("GET", "/api/v1/me"),
            ("POST", "/api/v1/auth/logout"),
            ("POST", "/api/v1/auth/password"),
            ("GET", "/api/v1/users"),
            ("GET", "/api/v1/integrator-tokens"),
            ("POST", "/api/v1/integrator-tokens"),
            ("POST", "/api/v1/integrator-tokens/{id}/revoke"),
            ("get", "/api/v1/clients"),
        ] {
            assert_eq!(required_scope(method, pattern), None, "{method} {pattern}");
        }
    }

    #[test]
    fn every_route_in_the_table_exists_in_the_api() {
        use utoipa::OpenApi;
        let spec = crate::openapi::ApiDoc::openapi();
        for (method, pattern, _) in MACHINE_ROUTES {
            let item = spec
                .paths
                .paths
                .get(*pattern)
                .unwrap_or_else(|| panic!("{pattern} is not a route"));
            let operation = match *method {
                "GET" => item.get.as_ref(),
                "POST" => item.post.as_ref(),
                "PUT" => item.put.as_ref(),
                "PATCH" => item.patch.as_ref(),
                "DELETE" => item.delete.as_ref(),
                _ => None,
            };
            assert!(operation.is_some(), "{method} {pattern} is not a route");
        }
    }

    #[test]
    fn the_table_lists_each_route_once() {
        for (i, (method, pattern, _)) in MACHINE_ROUTES.iter().enumerate() {
            assert!(pattern.starts_with("/api/v1/"), "{pattern}");
            assert!(
                MACHINE_ROUTES[i + 1..]
                    .iter()
                    .all(|(m, p, _)| (m, p) != (method, pattern)),
                "{method} {pattern} twice"
            );
        }
    }

    #[test]
    fn integrator_secrets_are_prefixed_random_and_stored_only_as_hashes() {
        let a = new_integrator_secret();
        let b = new_integrator_secret();
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
        assert_ne!(a, b);
        let hash = sha256_hex(&a);
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(&a[TOKEN_PREFIX.len()..]));
        assert_eq!(hash, sha256_hex(&a));
        assert_ne!(hash, sha256_hex(&b));
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + secs, 0).expect("time")
    }

    #[test]
    fn a_token_may_burst_a_minutes_worth_then_keeps_to_its_rate() {
        let usage = IntegratorUsage::default();
        let id = Uuid::from_u128(1);
        for _ in 0..3 {
            assert!(usage.admit(id, 3, at(0)).is_ok());
        }
        // Three a minute: one request every 20 seconds.
        assert_eq!(usage.admit(id, 3, at(0)), Err(20));
        assert_eq!(usage.admit(id, 3, at(15)), Err(5));
        assert!(usage.admit(id, 3, at(20)).is_ok());
        assert_eq!(usage.admit(id, 3, at(20)), Err(20));
        // Idle time refills up to a minute's worth, no more.
        for _ in 0..3 {
            assert!(usage.admit(id, 3, at(3600)).is_ok());
        }
        assert!(usage.admit(id, 3, at(3600)).is_err());
        // Another token has its own budget; a clock stepping back drains nothing.
        assert!(usage.admit(Uuid::from_u128(2), 3, at(0)).is_ok());
        assert!(usage.admit(id, 3, at(10)).is_err());
    }

    #[test]
    fn last_use_is_recorded_at_most_once_a_minute() {
        let usage = IntegratorUsage::default();
        let id = Uuid::from_u128(1);
        assert_eq!(usage.admit(id, 600, at(0)), Ok(true));
        assert_eq!(usage.admit(id, 600, at(1)), Ok(false));
        assert_eq!(usage.admit(id, 600, at(59)), Ok(false));
        assert_eq!(usage.admit(id, 600, at(60)), Ok(true));
        assert_eq!(usage.admit(id, 600, at(61)), Ok(false));
    }

    #[test]
    fn an_integrator_acts_under_its_token_with_every_client_in_view() {
        let token = IntegratorToken {
            id: Uuid::from_u128(9),
            name: "液".repeat(100),
            scopes: vec![TokenScope::ClientsRead],
            hint: "ygj_it_abcd".into(),
            created_by_name: "管理员".into(),
            created_at: at(0),
            expires_at: at(60),
            revoked_at: None,
            last_used_at: None,
            rate_limit_per_minute: 600,
        };
        let caller = integrator_user(&token);
        assert_eq!(caller.integrator, Some(token.id));
        assert_eq!(caller.user.id, token.id);
        assert!(caller.user.display_name.starts_with("集成令牌 液"));
        assert_eq!(caller.user.display_name.chars().count(), 100);
        assert_eq!(caller.scope(&[]), DataScope::All);
    }

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("Demo@2026").expect("hash");
        assert!(verify_password("Demo@2026", &hash));
        assert!(!verify_password("demo@2026", &hash));
        assert!(!verify_password("Demo@2026", "garbage"));
    }
}
