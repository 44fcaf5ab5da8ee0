//! Sign-in, refresh, sign-out, password change and the signed-in user.

use crate::audit::RequestMeta;
use crate::auth::{hash_password, random_hex, sha256_hex, verify_password, AuthUser};
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Duration;
use domain::auth::{
    check_password_policy, lockout_secs, ChangePasswordRequest, LoginRequest, LoginResponse,
    RefreshRequest,
};
use domain::error::ErrorCode;
use domain::org::UserInfo;
use domain::{FieldError, ValidationErrors};
use store::{NewSession, RefreshOutcome};
use uuid::Uuid;

/// A fresh refresh token: `<id>.<secret>`; only the SHA-256 of the secret is stored.
fn new_refresh_token() -> (Uuid, String, String) {
    let id = Uuid::new_v4();
    let secret = random_hex(32);
    let hash = sha256_hex(&secret);
    (id, format!("{id}.{secret}"), hash)
}

fn session_response(
    state: &AppState,
    user: UserInfo,
    sid: Uuid,
    refresh_token: String,
) -> ApiResult<HttpResponse> {
    let access_token = state
        .keys
        .issue(&user, sid, state.clock.now().timestamp())?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(LoginResponse {
            access_token,
            token_type: "Bearer".to_owned(),
            expires_in: state.keys.ttl_secs,
            refresh_token,
            user,
        }))
}

/// Password sign-in: returns a short-lived access token (JWT), a refresh token and the user.
///
/// After 5 consecutive failures the account is locked for a minute, doubling with each further
/// failure up to an hour (429 with `Retry-After`).
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 400, description = "Malformed body", body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong username or password", body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 415, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing fields", body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Locked after repeated failures", body = domain::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest { username, password } = body.0;
    let mut errors = ValidationErrors::new();
    if username.trim().is_empty() {
        errors.push(FieldError::required("username"));
    }
    if password.is_empty() {
        errors.push(FieldError::required("password"));
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let now = state.clock.now();
    let credentials = state.store.credentials(username.trim()).await?;
    if let Some(until) = credentials
        .as_ref()
        .and_then(|c| c.locked_until)
        .filter(|until| *until > now)
    {
        return Err(ApiError::TooManyAttempts {
            retry_after: (until - now).num_seconds().max(1),
        });
    }
    let (hash, known) = match &credentials {
        Some(c) if c.active => (
            c.password_hash
                .clone()
                .unwrap_or_else(|| state.dummy_hash.clone()),
            true,
        ),
        _ => (state.dummy_hash.clone(), false),
    };
    // argon2 takes tens of milliseconds: keep it off the async workers.
    let matches = web::block(move || verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::Unexpected(e.into()))?;
    let credentials = match credentials {
        Some(c) if known && matches => c,
        Some(c) if known => {
            let failed = state
                .store
                .record_failed_login(c.user.id, |n| {
                    lockout_secs(n).map(|secs| now + Duration::seconds(secs))
                })
                .await?;
            tracing::info!(username = %username.trim(), failed, "failed sign-in");
            return Err(ApiError::Unauthorized(ErrorCode::InvalidCredentials));
        }
        _ => {
            tracing::info!(username = %username.trim(), "failed sign-in (unknown or inactive user)");
            return Err(ApiError::Unauthorized(ErrorCode::InvalidCredentials));
        }
    };
    if credentials.failed_logins > 0 {
        state.store.reset_failed_logins(credentials.user.id).await?;
    }
    issue_session(&state, &req, credentials.user, "password").await
}

/// Opens a session for `user`, who has just proved who they are (by password or single
/// sign-on, named by `method` in the log), and answers with its access and refresh tokens:
/// every way of signing in ends here.
pub(crate) async fn issue_session(
    state: &AppState,
    req: &HttpRequest,
    user: UserInfo,
    method: &str,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let (refresh_id, refresh_token, refresh_hash) = new_refresh_token();
    let sid = Uuid::new_v4();
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(255).collect::<String>());
    let ip = req
        .connection_info()
        .realip_remote_addr()
        .map(str::to_owned);
    state
        .store
        .create_session(
            &NewSession {
                id: sid,
                user_id: user.id,
                refresh_id,
                refresh_hash,
                expires_at: now + Duration::seconds(state.refresh_ttl_secs),
                ip,
                user_agent,
            },
            now,
        )
        .await?;
    tracing::info!(user = %user.username, method, "signed in");
    session_response(state, user, sid, refresh_token)
}

/// Exchanges a refresh token for a new access token and a new refresh token. Each refresh token
/// works once; presenting a used one again ends the whole session (it may have been stolen).
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 400, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 415, body = domain::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: ValidJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let invalid = || ApiError::Unauthorized(ErrorCode::InvalidRefreshToken);
    let (id, secret) = body
        .0
        .refresh_token
        .trim()
        .split_once('.')
        .ok_or_else(invalid)?;
    let id: Uuid = id.parse().map_err(|_| invalid())?;
    let now = state.clock.now();
    let (new_id, new_token, new_hash) = new_refresh_token();
    let outcome = state
        .store
        .rotate_refresh(
            id,
            &sha256_hex(secret),
            new_id,
            &new_hash,
            now + Duration::seconds(state.refresh_ttl_secs),
            now,
        )
        .await?;
    match outcome {
        RefreshOutcome::Rotated {
            user_id,
            session_id,
        } => {
            let user = state.store.user(user_id).await?.ok_or_else(invalid)?;
            session_response(&state, user, session_id, new_token)
        }
        RefreshOutcome::Reused => {
            tracing::warn!(token = %id, "refresh token reused; session revoked");
            Err(invalid())
        }
        RefreshOutcome::Invalid => Err(invalid()),
    }
}

/// Signs out: ends the current session (its refresh token and access tokens stop working).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, body = domain::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, auth: AuthUser) -> ApiResult<HttpResponse> {
    state
        .store
        .revoke_session(auth.session_id, state.clock.now())
        .await?;
    tracing::info!(user = %auth.user.username, "signed out");
    Ok(HttpResponse::NoContent().finish())
}

/// Changes the caller's password (policy: 10+ characters, three character classes, not the
/// username) and signs out every session of theirs, this one included.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; sign in again"),
        (status = 400, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 415, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = domain::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    body: ValidJson<ChangePasswordRequest>,
) -> ApiResult<HttpResponse> {
    let ChangePasswordRequest {
        current_password,
        new_password,
    } = body.0;
    check_password_policy(&new_password, &auth.user.username)?;
    let credentials = state
        .store
        .credentials(&auth.user.username)
        .await?
        .ok_or(ApiError::NotFound)?;
    let hash = credentials
        .password_hash
        .unwrap_or_else(|| state.dummy_hash.clone());
    let new_hash = web::block(move || {
        if verify_password(&current_password, &hash) {
            hash_password(&new_password).map(Some)
        } else {
            Ok(None)
        }
    })
    .await
    .map_err(|e| ApiError::Unexpected(e.into()))??;
    let Some(new_hash) = new_hash else {
        return Err(ApiError::field(FieldError::new(
            "current_password",
            "invalid_credentials",
            "current_password is wrong",
            "当前密码不正确",
        )));
    };
    let now = state.clock.now();
    state
        .store
        .change_password(auth.user.id, &new_hash, now)
        .await?;
    let entry = meta.entry(
        &auth,
        now,
        domain::audit::AuditAction::Update,
        "user_password",
        Some(auth.user.id),
        vec![],
    );
    state.store.record_audit(&entry).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserInfo),
        (status = 401, body = domain::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me")]
pub async fn me(auth: AuthUser) -> HttpResponse {
    HttpResponse::Ok().json(auth.user)
}
