//! The OpenAPI document, generated from the handlers' annotations.

use crate::routes;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{AdditionalProperties, Schema};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Required, ResponseBuilder};
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

/// What the shared extractors answer, declared on every operation that uses them, so that no
/// route can forget one: a JSON body (`ValidJson`) may be malformed (400), too large (413) or
/// not JSON (415); a query string (`web::Query`) may not parse (422); a path parameter that does
/// not parse finds nothing (404); a route behind the bearer scheme answers 401 without valid
/// credentials. And an optional query parameter sent empty (`?org_unit_id=`) counts as absent,
/// which is what the dashboard sends for "all" (`allowEmptyValue`).
struct ExtractorResponses;

impl Modify for ExtractorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
                &mut item.options,
                &mut item.trace,
            ]
            .into_iter()
            .flatten()
            {
                declare_extractor_responses(operation);
            }
        }
    }
}

fn declare_extractor_responses(operation: &mut Operation) {
    let mut statuses: Vec<&str> = Vec::new();
    let json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|body| body.content.contains_key("application/json"));
    if json_body {
        statuses.extend(["400", "413", "415"]);
    }
    let parameters = operation.parameters.as_deref_mut().unwrap_or_default();
    if parameters
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query))
    {
        statuses.push("422");
    }
    if parameters
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path))
    {
        statuses.push("404");
    }
    for parameter in parameters.iter_mut() {
        if matches!(parameter.parameter_in, ParameterIn::Query)
            && matches!(parameter.required, Required::False)
        {
            // utoipa has no field for it (OpenAPI 3.1 keeps it, deprecated); it serialises
            // flattened next to the parameter's own fields.
            parameter
                .extensions
                .get_or_insert_with(Default::default)
                .insert("allowEmptyValue".to_owned(), serde_json::Value::Bool(true));
        }
    }
    if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
        statuses.push("401");
    }
    for status in statuses {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| {
                ResponseBuilder::new()
                    .description("")
                    .content(
                        "application/problem+json",
                        Content::new(Some(Ref::from_schema_name("Problem"))),
                    )
                    .build()
                    .into()
            });
    }
}

/// A record that `#[serde(flatten)]`s a body type (`Document` = `DocumentMeta` + stored fields)
/// comes out as `allOf` of that type's schema and its own fields. A body type that refuses
/// unknown fields is closed (`additionalProperties: false`), and a closed part of an `allOf`
/// rejects the other parts' fields: no record could match. Inside such an `allOf` the part is
/// inlined open; the body type itself stays closed where it is a request body.
struct OpenFlattenedParts;

impl Modify for OpenFlattenedParts {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let closed: std::collections::BTreeMap<String, Schema> = components
            .schemas
            .iter()
            .filter_map(|(name, schema)| match schema {
                RefOr::T(Schema::Object(object))
                    if matches!(
                        object.additional_properties.as_deref(),
                        Some(AdditionalProperties::FreeForm(false))
                    ) =>
                {
                    let mut open = object.clone();
                    open.additional_properties = None;
                    Some((format!("#/components/schemas/{name}"), Schema::Object(open)))
                }
                _ => None,
            })
            .collect();
        for schema in components.schemas.values_mut() {
            let RefOr::T(Schema::AllOf(all_of)) = schema else {
                continue;
            };
            for part in &mut all_of.items {
                if let RefOr::Ref(reference) = part {
                    if let Some(open) = closed.get(&reference.ref_location) {
                        *part = RefOr::T(open.clone());
                    }
                }
            }
        }
    }
}

/// Routes under `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    paths(
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
    ),
    components(schemas(domain::client::ClientSort))
)]
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
    modifiers(&BearerAuth, &ExtractorResponses, &OpenFlattenedParts),
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
