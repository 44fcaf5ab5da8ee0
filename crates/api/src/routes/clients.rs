//! Clients: list (filters, search, sort, paging), read, create, update.

use crate::audit::RequestMeta;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_opt, parse_paging, ValidJson};
use crate::guard::Writer;
use crate::metrics::CacheOutcome;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpResponse};
use domain::audit::{field_changes, AuditAction, AuditPage, FieldChange};
use domain::client::{
    Client, ClientCategory, ClientDetail, ClientFields, ClientPage, ClientQuery, ClientSort,
    ClientSummary, Industry, UpdateClientRequest,
};
use domain::export;
use domain::org::{subtree, DataScope, OrgLevel, OwnershipPeriod, Role};
use domain::{FieldError, ValidationErrors};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

fn client_views() -> utoipa::openapi::Object {
    crate::extract::one_of_schema(["own", "unit"])
}

/// Filters, sort and paging of the client list. Unknown values are a 422 naming the parameter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientListParams {
    /// Search text: part of the name, USCC, contact name or phone.
    pub q: Option<String>,
    /// Only clients of this unit and the units below it.
    #[param(value_type = Option<Uuid>)]
    pub org_unit_id: Option<String>,
    /// Only this category.
    #[param(value_type = Option<ClientCategory>)]
    pub category: Option<String>,
    /// Only this industry.
    #[param(value_type = Option<Industry>)]
    pub industry: Option<String>,
    /// Only this account manager's clients.
    #[param(value_type = Option<Uuid>)]
    pub account_manager_id: Option<String>,
    /// `name`, `-name`, `uscc`, `-uscc`, `updated_at`, `-updated_at`, `created_at`, `-created_at`.
    #[param(value_type = Option<ClientSort>)]
    pub sort: Option<String>,
    /// Page number from 1 (default 1).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Rows per page, 1–200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
    /// `own` (default) or `unit`: an account manager's view of every client of their unit,
    /// read-only and with contact phones masked. Other roles see their whole scope either way.
    #[param(schema_with = client_views)]
    pub view: Option<String>,
}

impl ClientListParams {
    /// The validated query.
    pub fn into_query(self) -> Result<ClientQuery, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let unit_view = parse_opt(&mut errors, "view", &self.view, |s| match s {
            "own" => Some(false),
            "unit" => Some(true),
            _ => None,
        })
        .unwrap_or(false);
        let org_unit_id = parse_opt(&mut errors, "org_unit_id", &self.org_unit_id, |s| {
            s.parse().ok()
        });
        let category = parse_opt(
            &mut errors,
            "category",
            &self.category,
            ClientCategory::from_code,
        );
        let industry = parse_opt(&mut errors, "industry", &self.industry, Industry::from_code);
        let account_manager_id = parse_opt(
            &mut errors,
            "account_manager_id",
            &self.account_manager_id,
            |s| s.parse().ok(),
        );
        let sort = parse_opt(&mut errors, "sort", &self.sort, ClientSort::from_code);
        let (page, per_page) = parse_paging(&mut errors, &self.page, &self.per_page);
        if let Some(q) = &self.q {
            if q.chars().count() > 100 {
                errors.push(FieldError::too_long("q", 100));
            }
        }
        errors.into_result(ClientQuery {
            q: self.q,
            org_unit_id,
            category,
            industry,
            account_manager_id,
            sort,
            page,
            per_page,
            unit_view,
        })
    }
}

/// Which clients a list shows the caller, and whether their phones are masked: an account
/// manager's unit view is their unit, read-only and masked; otherwise the caller's data scope.
fn list_scope(
    auth: &AuthUser,
    tree: &[(Uuid, Option<Uuid>)],
    query: &ClientQuery,
) -> (DataScope, bool) {
    if query.unit_view && auth.user.role == Role::AccountManager {
        (DataScope::Units(vec![auth.user.org_unit_id]), true)
    } else {
        (auth.scope(tree), !auth.user.role.sees_contact_details())
    }
}

/// The client list as a spreadsheet (CSV, UTF-8 with BOM): the same filters, scope and masking
/// as the list, every page, at most 50,000 rows (narrow the filters beyond that). Every export is
/// recorded in the audit trail with its filters and row count.
#[utoipa::path(
    tag = "clients",
    security(("bearer" = [])),
    params(ClientListParams),
    responses(
        (status = 200, content_type = "text/csv", body = String),
        (status = 401, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = domain::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/clients/export")]
pub async fn export_clients(
    auth: AuthUser,
    state: web::Data<AppState>,
    meta: RequestMeta,
    params: web::Query<ClientListParams>,
) -> ApiResult<HttpResponse> {
    let mut query = params.into_inner().into_query()?;
    let tree = state.store.org_tree().await?;
    let (scope, masked) = list_scope(&auth, &tree, &query);
    let units = query.org_unit_id.map(|unit| subtree(&tree, unit));
    query.per_page = 1_000;
    query.page = 1;
    let mut body = String::from(export::BOM);
    body.push_str(&export::client_csv_header());
    let mut rows = 0u64;
    loop {
        let (items, total) = state
            .store
            .list_clients(&query, units.as_deref(), &scope, export::MAX_EXPORT_ROWS)
            .await?;
        if !total.exact || total.total > export::MAX_EXPORT_ROWS {
            let (total, total_zh) = if total.exact {
                (total.total.to_string(), total.total.to_string())
            } else {
                (
                    format!("more than {}", total.total),
                    format!("超过 {}", total.total),
                )
            };
            return Err(ApiError::field(FieldError::invalid_value(
                "q",
                &format!(
                    "{total} clients match; an export holds at most {}: narrow the filters",
                    export::MAX_EXPORT_ROWS
                ),
                &format!(
                    "符合条件的客户有 {total_zh} 个，单次导出最多 {} 个，请缩小筛选范围",
                    export::MAX_EXPORT_ROWS
                ),
            )));
        }
        let last = (items.len() as u64) < query.per_page;
        for item in items {
            let item = if masked { item.masked() } else { item };
            body.push_str(&export::client_csv_line(&item));
            rows += 1;
        }
        if last {
            break;
        }
        query.page += 1;
    }
    let now = state.clock.now();
    let filters = describe_query(&query);
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Export,
        "client",
        None,
        vec![
            FieldChange {
                field: "filters".to_owned(),
                before: serde_json::Value::Null,
                after: serde_json::Value::String(filters),
            },
            FieldChange {
                field: "rows".to_owned(),
                before: serde_json::Value::Null,
                after: serde_json::json!(rows),
            },
        ],
    );
    state.store.record_audit(&entry).await?;
    tracing::info!(rows, by = %auth.user.username, "clients exported");
    let filename = format!(
        "clients-{}.csv",
        (now + chrono::TimeDelta::hours(8)).format("%Y%m%d-%H%M")
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// The filters of a list query in words, for the audit trail of an export.
pub fn describe_query(query: &ClientQuery) -> String {
    let mut parts: Vec<String> = query
        .filter_pairs()
        .into_iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    if query.unit_view {
        parts.push("view=unit".to_owned());
    }
    if parts.is_empty() {
        "(none)".to_owned()
    } else {
        parts.join("&")
    }
}

/// Clients visible to the caller, filtered, searched, sorted and paged; `total` counts all pages.
#[utoipa::path(
    tag = "clients",
    security(("bearer" = [])),
    params(ClientListParams),
    responses(
        (status = 200, body = ClientPage),
        (status = 401, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = domain::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/clients")]
pub async fn list_clients(
    state: web::Data<AppState>,
    auth: AuthUser,
    params: web::Query<ClientListParams>,
) -> ApiResult<HttpResponse> {
    let query = params.into_inner().into_query()?;
    // Read before the data: a change committed meanwhile leaves the answer under an old version.
    let version = if state.client_lists.enabled() {
        state.store.data_version().await?
    } else {
        None
    };
    let tree = if auth.scope_needs_tree() || query.org_unit_id.is_some() {
        state.store.org_tree().await?
    } else {
        Vec::new()
    };
    let (scope, masked) = list_scope(&auth, &tree, &query);
    // The scope, the masking and the query decide the answer; the tree is the version's.
    let key = format!("{scope:?}|{masked}|{query:?}");
    if let Some(body) = version.and_then(|v| state.client_lists.get(&key, v)) {
        state.metrics.count_cache("client_list", CacheOutcome::Hit);
        return Ok(json_body(body));
    }
    let units = query.org_unit_id.map(|unit| subtree(&tree, unit));
    let (items, total) = state
        .store
        .list_clients(&query, units.as_deref(), &scope, query.count_up_to())
        .await?;
    let items = if masked {
        items.into_iter().map(ClientSummary::masked).collect()
    } else {
        items
    };
    let body = web::Bytes::from(
        serde_json::to_vec(&ClientPage {
            items,
            total: total.total,
            total_exact: total.exact,
            page: query.page,
            per_page: query.per_page,
        })
        .map_err(|e| ApiError::Unexpected(e.into()))?,
    );
    match version {
        Some(version) => {
            state.metrics.count_cache("client_list", CacheOutcome::Miss);
            state.client_lists.put(key, version, body.clone());
        }
        None => state
            .metrics
            .count_cache("client_list", CacheOutcome::Bypass),
    }
    Ok(json_body(body))
}

fn json_body(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body)
}

/// A client's master data and its sales figures. Clients outside the caller's scope are 404.
#[utoipa::path(
    tag = "clients",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, body = ClientDetail),
        (status = 401, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = domain::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/clients/{id}")]
pub async fn get_client(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let client = visible_client(&state, &auth, *id).await?;
    let sales = state
        .store
        .sales_summary(client.id, state.clock.now().date_naive())
        .await?;
    let client = if auth.user.role.sees_contact_details() {
        // Contact phones are personal data: every read of them leaves a trace.
        let entry = meta.entry(
            &auth,
            state.clock.now(),
            AuditAction::Read,
            "client",
            Some(client.id),
            Vec::new(),
        );
        state.store.record_audit(&entry).await?;
        client
    } else {
        client.masked()
    };
    Ok(HttpResponse::Ok().json(ClientDetail { client, sales }))
}

/// Client `id` if the caller may see it; 404 otherwise (whether it exists or not).
pub(crate) async fn visible_client(
    state: &AppState,
    auth: &AuthUser,
    id: Uuid,
) -> Result<Client, ApiError> {
    let scope = auth.scope(&state.store.org_tree().await?);
    state
        .store
        .client(id, &scope)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Checks what only the database knows: the org unit is a county, the account manager is an
/// active account manager of that unit (or above it), and both are within the caller's scope.
pub(crate) async fn check_references(
    state: &AppState,
    tree: &[(Uuid, Option<Uuid>)],
    fields: &ClientFields,
    scope: &DataScope,
) -> Result<(), ApiError> {
    let mut errors = ValidationErrors::new();
    match state.store.org_unit(fields.org_unit_id).await? {
        None => errors.push(FieldError::not_found("org_unit_id")),
        Some(unit) if unit.level != OrgLevel::County => errors.push(FieldError::invalid_value(
            "org_unit_id",
            "clients belong to a county-level unit",
            "客户须归属县（区）级营销单元",
        )),
        Some(_) => {}
    }
    match state.store.user(fields.account_manager_id).await? {
        None => errors.push(FieldError::not_found("account_manager_id")),
        Some(manager) if manager.role != Role::AccountManager => {
            errors.push(FieldError::invalid_value(
                "account_manager_id",
                "the owner must be an account manager",
                "负责人必须是客户经理",
            ))
        }
        Some(manager) => {
            if !subtree(tree, manager.org_unit_id).contains(&fields.org_unit_id) {
                errors.push(FieldError::invalid_value(
                    "account_manager_id",
                    "the account manager does not serve this org unit",
                    "该客户经理不负责此营销单元",
                ));
            }
        }
    }
    if errors.is_empty() && !scope.permits(fields.org_unit_id, fields.account_manager_id) {
        errors.push(FieldError::invalid_value(
            "org_unit_id",
            "outside your data scope",
            "超出您的数据权限范围",
        ));
    }
    Ok(errors.into_result(())?)
}

async fn read_back(state: &AppState, id: Uuid) -> Result<Client, ApiError> {
    state
        .store
        .client(id, &DataScope::All)
        .await?
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("client {id} vanished after write")))
}

/// Creates a client. The USCC must be valid and not yet registered (409 otherwise).
#[utoipa::path(
    tag = "clients",
    security(("bearer" = [])),
    request_body = ClientFields,
    responses(
        (status = 201, body = Client),
        (status = 400, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 413, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 415, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = domain::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/clients")]
pub async fn create_client(
    Writer(auth): Writer,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<ClientFields>,
) -> ApiResult<HttpResponse> {
    let fields = body.0.normalized();
    fields.validate()?;
    let tree = state.store.org_tree().await?;
    let scope = auth.scope(&tree);
    check_references(&state, &tree, &fields, &scope).await?;
    let id = Uuid::new_v4();
    let now = state.clock.now();
    let changes = field_changes(
        &serde_json::json!({}),
        &serde_json::to_value(&fields).unwrap_or_default(),
    );
    let audit = meta.entry(&auth, now, AuditAction::Create, "client", Some(id), changes);
    state.store.insert_client(id, &fields, now, &audit).await?;
    let client = read_back(&state, id).await?;
    tracing::info!(client = %id, by = %auth.user.username, "client created");
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/clients/{id}")))
        .json(client))
}

/// Changes some fields of a client; absent fields stay as they are.
#[utoipa::path(
    tag = "clients",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id")),
    request_body = UpdateClientRequest,
    responses(
        (status = 200, body = Client),
        (status = 400, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 413, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 415, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = domain::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/clients/{id}")]
pub async fn update_client(
    Writer(auth): Writer,
    state: web::Data<AppState>,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateClientRequest>,
) -> ApiResult<HttpResponse> {
    let tree = state.store.org_tree().await?;
    let scope = auth.scope(&tree);
    let existing = state
        .store
        .client(*id, &scope)
        .await?
        .ok_or(ApiError::NotFound)?;
    if body.0.is_empty() {
        return Ok(HttpResponse::Ok().json(existing));
    }
    let fields = body.0.apply(existing.fields.clone()).normalized();
    fields.validate()?;
    check_references(&state, &tree, &fields, &scope).await?;
    let changes = field_changes(
        &serde_json::to_value(&existing.fields).unwrap_or_default(),
        &serde_json::to_value(&fields).unwrap_or_default(),
    );
    if changes.is_empty() {
        return Ok(HttpResponse::Ok().json(existing));
    }
    let now = state.clock.now();
    let audit = meta.entry(
        &auth,
        now,
        AuditAction::Update,
        "client",
        Some(existing.id),
        changes,
    );
    state
        .store
        .update_client(existing.id, &fields, now, &audit)
        .await?;
    tracing::info!(client = %existing.id, by = %auth.user.username, "client updated");
    Ok(HttpResponse::Ok().json(read_back(&state, existing.id).await?))
}

/// Paging of a client's history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// Page number from 1 (default 1).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Entries per page, 1–200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
}

/// Field-level change history of a client, newest first (who, when, from where, before/after).
#[utoipa::path(
    tag = "clients",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id"), HistoryParams),
    responses(
        (status = 200, body = AuditPage),
        (status = 401, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = domain::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/clients/{id}/history")]
pub async fn client_history(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    params: web::Query<HistoryParams>,
) -> ApiResult<HttpResponse> {
    let mut errors = ValidationErrors::new();
    let (page, per_page) = parse_paging(&mut errors, &params.page, &params.per_page);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let client = visible_client(&state, &auth, *id).await?;
    let filter = store::AuditFilter {
        entity: Some("client".to_owned()),
        entity_id: Some(client.id),
        writes_only: true,
        page,
        per_page,
        ..Default::default()
    };
    let (items, total) = state.store.audit(&filter).await?;
    let items = if auth.user.role.sees_contact_details() {
        items
    } else {
        items.into_iter().map(|e| e.masked()).collect()
    };
    Ok(HttpResponse::Ok().json(AuditPage {
        items,
        total,
        page,
        per_page,
    }))
}

/// Who owned the client from when until when (effective-dated; the last period is open).
#[utoipa::path(
    tag = "clients",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, body = Vec<OwnershipPeriod>),
        (status = 401, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = domain::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/clients/{id}/owners")]
pub async fn client_owners(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let client = visible_client(&state, &auth, *id).await?;
    Ok(HttpResponse::Ok().json(state.store.ownership(client.id).await?))
}
