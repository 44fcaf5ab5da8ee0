//! Liveness and readiness.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use std::time::Duration;

/// Health status.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthResponse {
    /// `ok`.
    pub status: &'static str,
    /// `sqlite` or `postgres` (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// The process is up.
#[utoipa::path(tag = "health", responses((status = 200, body = HealthResponse)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse {
        status: "ok",
        database: None,
    })
}

/// How long the readiness check waits for the database. While PostgreSQL is away the pool
/// would wait its whole acquire timeout; a load balancer polling `/readyz` wants to hear "not
/// ready" sooner than that.
pub const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

/// The database answers (within 2 s); 503 while it does not.
#[utoipa::path(tag = "health", responses(
    (status = 200, body = HealthResponse),
    (status = 503, body = domain::error::Problem, content_type = "application/problem+json")
))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    match tokio::time::timeout(READINESS_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            return Err(ApiError::Unavailable);
        }
        Err(_) => {
            tracing::warn!(
                timeout_ms = READINESS_TIMEOUT.as_millis() as u64,
                "readiness check timed out"
            );
            return Err(ApiError::Unavailable);
        }
    }
    Ok(HttpResponse::Ok().json(HealthResponse {
        status: "ok",
        database: Some(state.store.backend_name()),
    }))
}
