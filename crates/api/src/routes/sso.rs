//! Single sign-on through an OAuth 2.0 provider (authorization code with PKCE).

use actix_web::web;
use utoipa::OpenApi;

/// This module's routes in the OpenAPI document (nested under `/api/v1`).
#[derive(OpenApi)]
#[openapi()]
pub struct Api;

/// Registers this module's routes under `/api/v1`.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
