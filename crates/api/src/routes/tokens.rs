//! Integrator tokens: administrators create, list and revoke them. The secret is shown once, in
//! the answer to its creation; only its SHA-256 is stored. How a token is checked on each
//! request (scope table, rate limit) lives with the other credentials in `crate::auth`.

use crate::audit::RequestMeta;
use crate::auth::{new_integrator_secret, sha256_hex};
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::guard::Admin;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use chrono::Duration;
use domain::audit::{field_changes, AuditAction, FieldChange};
use domain::integrator::{hint_of, CreatedIntegratorToken, IntegratorToken, NewIntegratorToken};
use domain::FieldError;
use serde_json::json;
use utoipa::OpenApi;
use uuid::Uuid;

type Problem = domain::error::Problem;

/// The audit trail's kind of record for these tokens.
const ENTITY: &str = "integrator_token";

/// This module's routes in the OpenAPI document (nested under `/api/v1`).
#[derive(OpenApi)]
#[openapi(
    paths(list_integrator_tokens, create_integrator_token, revoke_integrator_token),
    tags((
        name = "integrator tokens",
        description = "Credentials for machine clients (ERP, tank-gauge system): send \
            `Authorization: Bearer ygj_it_…`. A token reaches only the routes its scopes open \
            and is rate limited per minute (429 with `Retry-After`)."
    ))
)]
pub struct Api;

/// Registers this module's routes under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_integrator_tokens)
        .service(create_integrator_token)
        .service(revoke_integrator_token);
}

/// Every integrator token, newest first, revoked and expired ones included; never their secrets
/// (administrators).
#[utoipa::path(
    tag = "integrator tokens",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<IntegratorToken>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/integrator-tokens")]
pub async fn list_integrator_tokens(
    _admin: Admin,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.store.integrator_tokens().await?))
}

/// What the audit trail records of a token (never its secret or hash).
fn audit_json(token: &IntegratorToken) -> serde_json::Value {
    json!({
        "name": token.name,
        "scopes": token.scopes,
        "hint": token.hint,
        "expires_at": token.expires_at,
        "rate_limit_per_minute": token.rate_limit_per_minute,
    })
}

/// Creates an integrator token (administrators). The answer holds the secret: it is not stored
/// and cannot be shown again. Names are unique among live (unrevoked, unexpired) tokens.
#[utoipa::path(
    tag = "integrator tokens",
    security(("bearer" = [])),
    request_body = NewIntegratorToken,
    responses(
        (status = 201, body = CreatedIntegratorToken),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/integrator-tokens")]
pub async fn create_integrator_token(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<NewIntegratorToken>,
) -> ApiResult<HttpResponse> {
    let new = body.0.normalized();
    new.validate()?;
    let now = state.clock.now();
    let secret = new_integrator_secret();
    let token = IntegratorToken {
        id: Uuid::new_v4(),
        name: new.name.clone(),
        scopes: new.scopes.clone(),
        hint: hint_of(&secret),
        created_by_name: auth.user.display_name.clone(),
        created_at: now,
        expires_at: now + Duration::days(i64::from(new.expires_in_days)),
        revoked_at: None,
        last_used_at: None,
        rate_limit_per_minute: new.rate_limit(),
    };
    let changes = field_changes(&json!({}), &audit_json(&token));
    let audit = meta.entry(
        &auth,
        now,
        AuditAction::Create,
        ENTITY,
        Some(token.id),
        changes,
    );
    let stored = state
        .store
        .insert_integrator_token(&token, auth.user.id, &sha256_hex(&secret), &audit)
        .await?;
    if !stored {
        return Err(ApiError::field(FieldError::new(
            "name",
            "duplicate",
            "name is already used by another live token",
            "name 已被另一个有效的令牌使用",
        )));
    }
    tracing::info!(token = %token.id, name = %token.name, "integrator token created");
    Ok(HttpResponse::Created()
        // The secret must not linger in caches.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedIntegratorToken { token, secret }))
}

/// Revokes an integrator token: it is refused from the next request on. Revoking a revoked
/// token changes nothing and answers it as it is (administrators).
#[utoipa::path(
    tag = "integrator tokens",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Integrator token id")),
    responses(
        (status = 200, body = IntegratorToken),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/integrator-tokens/{id}/revoke")]
pub async fn revoke_integrator_token(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let changes = vec![FieldChange {
        field: "revoked_at".to_owned(),
        before: serde_json::Value::Null,
        after: json!(now),
    }];
    let audit = meta.entry(&auth, now, AuditAction::Update, ENTITY, Some(*id), changes);
    let token = state
        .store
        .revoke_integrator_token(*id, now, &audit)
        .await?
        .ok_or(ApiError::NotFound)?;
    tracing::info!(token = %token.id, name = %token.name, "integrator token revoked");
    Ok(HttpResponse::Ok().json(token))
}
