//! HTTP handlers, grouped by resource.

pub mod audit;
pub mod auth;
pub mod clients;
pub mod health;
pub mod org;
pub mod sso;
pub mod tokens;

use actix_web::web;

/// Registers every `/api/v1` route.
pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.service(auth::login)
        .service(auth::refresh)
        .service(auth::logout)
        .service(auth::change_password)
        .service(auth::me)
        .service(org::list_org_units)
        .service(org::list_users)
        .service(clients::list_clients)
        .service(clients::create_client)
        .service(clients::get_client)
        .service(clients::update_client)
        .service(clients::client_history)
        .service(audit::list_audit)
        .configure(tokens::configure)
        .configure(sso::configure);
}
