//! (being built) routes for archive.

use actix_web::web;
use utoipa::OpenApi;

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths())]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let _ = cfg;
}
