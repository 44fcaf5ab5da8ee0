//! The OpenAPI document, generated from the handlers' annotations.

use crate::routes;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT or integrator token (ygj_it_…)".to_owned());
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

/// Routes under `/api/v1`.
#[derive(OpenApi)]
#[openapi(paths(
    routes::auth::login,
    routes::auth::refresh,
    routes::auth::logout,
    routes::auth::change_password,
    routes::auth::me,
    routes::org::list_org_units,
    routes::org::create_org_unit,
    routes::org::update_org_unit,
    routes::org::delete_org_unit,
    routes::org::list_users,
    routes::org::create_user,
    routes::org::get_user,
    routes::org::update_user,
    routes::org::reassign_clients,
    routes::clients::list_clients,
    routes::clients::create_client,
    routes::clients::export_clients,
    routes::clients::get_client,
    routes::clients::update_client,
    routes::clients::client_history,
    routes::clients::client_owners,
    routes::audit::list_audit,
))]
struct ApiV1;

/// The whole API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Youguanjia (油管家) API",
        description = "Client management for refined-oil direct and distribution sales. \
            All routes under /api/v1 except sign-in need `Authorization: Bearer <JWT>`. \
            Errors are RFC 7807 problem+json with a stable `code` and Chinese and English details."
    ),
    paths(routes::health::healthz, routes::health::readyz),
    nest(
        (path = "/api/v1", api = ApiV1),
        (path = "/api/v1", api = routes::tokens::Api),
        (path = "/api/v1", api = routes::sso::Api),
        (path = "/api/v1", api = routes::documents::Api),
        (path = "/api/v1", api = routes::archive::Api),
        (path = "/api/v1", api = routes::compliance::Api),
        (path = "/api/v1", api = routes::tasks::Api),
        (path = "/api/v1", api = routes::card::Api),
        (path = "/api/v1", api = routes::export::Api),
        (path = "/api/v1", api = routes::sales::Api),
        (path = "/api/v1", api = routes::analytics::Api),
        (path = "/api/v1", api = routes::gauges::Api),
        (path = "/api/v1", api = routes::imports::Api),
        (path = "/api/v1", api = routes::rules::Api),
        (path = "/api/v1", api = routes::visits::Api),
        (path = "/api/v1", api = routes::service::Api),
        (path = "/api/v1", api = routes::prospects::Api),
        (path = "/api/v1", api = routes::scorecards::Api),
        (path = "/api/v1", api = routes::plans::Api),
        (path = "/api/v1", api = routes::field::Api),
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-in and the signed-in user"),
        (name = "organisation", description = "Org units and people"),
        (name = "clients", description = "Client archives: master data"),
        (name = "audit", description = "The audit trail"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

/// The spec as pretty JSON with a trailing newline (what `api-spec/openapi.json` holds).
pub fn spec_json() -> String {
    let mut json = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}
