//! Sign-in and the signed-in user.

use crate::auth::{verify_password, AuthUser};
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use domain::auth::{LoginRequest, LoginResponse};
use domain::error::ErrorCode;
use domain::org::UserInfo;

/// Password sign-in: returns an access token (JWT) and the user.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 400, description = "Malformed body", body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong username or password", body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing fields", body = domain::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    body: ValidJson<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest { username, password } = body.0;
    let mut errors = domain::ValidationErrors::new();
    if username.trim().is_empty() {
        errors.push(domain::FieldError::required("username"));
    }
    if password.is_empty() {
        errors.push(domain::FieldError::required("password"));
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let credentials = state.store.credentials(username.trim()).await?;
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
    let Some(credentials) = credentials.filter(|_| known && matches) else {
        tracing::info!(username = %username.trim(), "failed sign-in");
        return Err(ApiError::Unauthorized(ErrorCode::InvalidCredentials));
    };
    let user = credentials.user;
    let token = state.keys.issue(&user, state.clock.now().timestamp())?;
    tracing::info!(user = %user.username, "signed in");
    Ok(HttpResponse::Ok().json(LoginResponse {
        access_token: token,
        token_type: "Bearer".to_owned(),
        expires_in: state.keys.ttl_secs,
        user,
    }))
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
