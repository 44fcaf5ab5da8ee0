//! HTTP handlers, grouped by resource.

pub mod analytics;
pub mod archive;
pub mod audit;
pub mod auth;
pub mod card;
pub mod clients;
pub mod compliance;
pub mod documents;
pub mod export;
pub mod field;
pub mod gauges;
pub mod health;
pub mod imports;
pub mod methods;
pub mod org;
pub mod plans;
pub mod prospects;
pub mod rules;
pub mod sales;
pub mod scorecards;
pub mod service;
pub mod sso;
pub mod tasks;
pub mod tokens;
pub mod visits;

use actix_web::web;

/// Registers every `/api/v1` route.
pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.service(auth::login)
        .service(auth::refresh)
        .service(auth::logout)
        .service(auth::change_password)
        .service(auth::me)
        .service(org::list_org_units)
        .service(org::create_org_unit)
        .service(org::update_org_unit)
        .service(org::delete_org_unit)
        .service(org::list_users)
        .service(org::create_user)
        .service(org::get_user)
        .service(org::update_user)
        .service(org::reassign_clients)
        .service(clients::list_clients)
        .service(clients::create_client)
        .service(clients::export_clients)
        .service(clients::get_client)
        .service(clients::update_client)
        .service(clients::client_history)
        .service(clients::client_owners)
        .service(audit::list_audit)
        .configure(tokens::configure)
        .configure(sso::configure)
        .configure(documents::configure)
        .configure(archive::configure)
        .configure(compliance::configure)
        .configure(tasks::configure)
        .configure(card::configure)
        .configure(export::configure)
        .configure(sales::configure)
        .configure(analytics::configure)
        .configure(gauges::configure)
        .configure(imports::configure)
        .configure(rules::configure)
        .configure(visits::configure)
        .configure(plans::configure)
        .configure(field::configure)
        .configure(service::configure)
        .configure(prospects::configure)
        .configure(scorecards::configure);
}
