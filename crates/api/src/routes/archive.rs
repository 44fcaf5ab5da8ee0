//! Archive rules and figures: the requirement matrix (versioned), completeness per org unit,
//! and the incomplete archives behind each figure.

use crate::audit::RequestMeta;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_opt, parse_paging, ValidJson};
use crate::guard::Admin;
use crate::state::AppState;
use actix_web::{get, put, web, HttpResponse};
use chrono::NaiveDate;
use domain::archive::{
    completeness_report, ClientArchiveFacts, CompletenessReport, DocumentStatus, DocumentType,
    IncompleteClient, IncompletePage, Requirement, RequirementMatrix, RequirementMatrixHistory,
};
use domain::audit::{AuditAction, FieldChange};
use domain::org::{subtree, DataScope, OrgLevel, Role};
use domain::ValidationErrors;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};
use uuid::Uuid;

type Problem = domain::error::Problem;

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(get_requirements, put_requirements, get_completeness, list_incomplete),
    tags((
        name = "archive",
        description = "The requirement matrix, archive completeness, compliance screening"
    ))
)]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_requirements)
        .service(put_requirements)
        .service(get_completeness)
        .service(list_incomplete);
}

/// The requirement matrix in force (which document types each client group needs) and every
/// earlier version.
#[utoipa::path(
    tag = "archive",
    security(("bearer" = [])),
    responses(
        (status = 200, body = RequirementMatrixHistory),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/archive/requirements")]
pub async fn get_requirements(
    _auth: AuthUser,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let versions = state.store.requirement_matrix_versions().await?;
    let current = versions
        .first()
        .cloned()
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("no requirement matrix")))?;
    Ok(HttpResponse::Ok().json(RequirementMatrixHistory { current, versions }))
}

/// Saves a new version of the requirement matrix (administrators). Statuses and completeness
/// are computed with the new version from now on; earlier versions stay listed.
#[utoipa::path(
    tag = "archive",
    security(("bearer" = [])),
    request_body = RequirementMatrix,
    responses(
        (status = 200, body = RequirementMatrixHistory),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/archive/requirements")]
pub async fn put_requirements(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<RequirementMatrix>,
) -> ApiResult<HttpResponse> {
    let matrix = body.0;
    matrix.validate()?;
    let (old_version, old) = state.store.requirement_matrix().await?;
    let now = state.clock.now();
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Update,
        "rule_set",
        None,
        vec![FieldChange {
            field: store::REQUIREMENTS_KIND.to_owned(),
            before: serde_json::json!({ "version": old_version, "matrix": old }),
            after: serde_json::to_value(&matrix).unwrap_or_default(),
        }],
    );
    state
        .store
        .save_requirement_matrix(&matrix, auth.user.id, now, &entry)
        .await?;
    let versions = state.store.requirement_matrix_versions().await?;
    let current = versions
        .first()
        .cloned()
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("no requirement matrix")))?;
    Ok(HttpResponse::Ok().json(RequirementMatrixHistory { current, versions }))
}

/// Which unit a figure is for, and on which day.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompletenessParams {
    /// The unit (default: the caller's own unit; the province for administrators).
    #[param(value_type = Option<Uuid>)]
    pub org_unit_id: Option<String>,
    /// The day to evaluate (default today).
    #[param(value_type = Option<NaiveDate>)]
    pub as_of: Option<String>,
}

/// The unit a figure is asked for: given, or the caller's own (the province root for admins
/// and machines); outside the caller's scope is 404.
pub(crate) fn figure_unit(
    auth: &AuthUser,
    tree: &[(Uuid, Option<Uuid>)],
    asked: Option<Uuid>,
) -> ApiResult<Uuid> {
    let root = tree
        .iter()
        .find(|(_, parent)| parent.is_none())
        .map(|(id, _)| *id)
        .ok_or(ApiError::NotFound)?;
    let own = if matches!(auth.user.role, Role::Admin) || auth.integrator.is_some() {
        root
    } else {
        auth.user.org_unit_id
    };
    let unit = asked.unwrap_or(own);
    let visible = match auth.scope(tree) {
        DataScope::All => tree.iter().any(|(id, _)| *id == unit),
        // Account managers see their own clients; the figures of their unit are theirs.
        DataScope::Owner(_) => subtree(tree, auth.user.org_unit_id).contains(&unit),
        DataScope::Units(units) => units.contains(&unit),
    };
    if visible {
        Ok(unit)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Archive facts of the clients in the caller's scope under `unit`.
pub(crate) async fn facts_under(
    state: &AppState,
    auth: &AuthUser,
    tree: &[(Uuid, Option<Uuid>)],
    unit: Uuid,
    as_of: NaiveDate,
) -> ApiResult<Vec<ClientArchiveFacts>> {
    let filter = store::ArchiveFilter {
        org_units: Some(subtree(tree, unit)),
        client_ids: None,
    };
    Ok(state
        .store
        .archive_facts(&auth.scope(tree), &filter, as_of)
        .await?)
}

/// Archive completeness of a unit and of each unit below it: clients, complete archives, the
/// rate, clients missing each required type, clients with expiring and expired documents.
/// Account managers get the figures of their own clients.
#[utoipa::path(
    tag = "archive",
    security(("bearer" = [])),
    params(CompletenessParams),
    responses(
        (status = 200, body = CompletenessReport),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/archive/completeness")]
pub async fn get_completeness(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<CompletenessParams>,
) -> ApiResult<HttpResponse> {
    let mut errors = ValidationErrors::new();
    let asked = parse_opt(&mut errors, "org_unit_id", &params.org_unit_id, |s| {
        s.parse::<Uuid>().ok()
    });
    let as_of = parse_opt(&mut errors, "as_of", &params.as_of, |s| {
        s.parse::<NaiveDate>().ok()
    })
    .unwrap_or_else(|| state.clock.now().date_naive());
    errors.into_result(())?;
    let tree = state.store.org_tree().await?;
    let unit = figure_unit(&auth, &tree, asked)?;
    let (version, matrix) = state.store.requirement_matrix().await?;
    let facts = facts_under(&state, &auth, &tree, unit, as_of).await?;
    let archives: Vec<(Uuid, domain::archive::ArchiveStatus)> = facts
        .iter()
        .map(|f| (f.org_unit_id, f.evaluate(&matrix, version, as_of)))
        .collect();
    let units: Vec<(Uuid, Option<Uuid>, String, OrgLevel)> = state
        .store
        .org_units()
        .await?
        .into_iter()
        .map(|u| (u.id, u.parent_id, u.name, u.level))
        .collect();
    let report =
        completeness_report(unit, &units, &archives, as_of, version).ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(report))
}

/// The two document statuses the incomplete list filters by.
fn expiring_or_expired() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(
            [DocumentStatus::Expiring, DocumentStatus::Expired].map(|s| s.code()),
        ))
        .build()
}

/// Which incomplete archives to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncompleteParams {
    /// The unit (default as for completeness).
    #[param(value_type = Option<Uuid>)]
    pub org_unit_id: Option<String>,
    /// Only clients missing this required type.
    #[param(value_type = Option<DocumentType>)]
    pub doc_type: Option<String>,
    /// Only clients with a required document in this status (`expiring` or `expired`).
    #[param(schema_with = expiring_or_expired)]
    pub status: Option<String>,
    /// Page number from 1.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Rows per page, 1–200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
}

/// The clients behind a completeness figure: incomplete archives (or those missing one type,
/// or with an expiring or expired required document), with the items that are not in order.
#[utoipa::path(
    tag = "archive",
    security(("bearer" = [])),
    params(IncompleteParams),
    responses(
        (status = 200, body = IncompletePage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/archive/incomplete")]
pub async fn list_incomplete(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<IncompleteParams>,
) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    let mut errors = ValidationErrors::new();
    let asked = parse_opt(&mut errors, "org_unit_id", &p.org_unit_id, |s| {
        s.parse::<Uuid>().ok()
    });
    let doc_type = parse_opt(
        &mut errors,
        "doc_type",
        &p.doc_type,
        DocumentType::from_code,
    );
    let status = parse_opt(&mut errors, "status", &p.status, |s| {
        DocumentStatus::from_code(s)
            .filter(|s| matches!(s, DocumentStatus::Expiring | DocumentStatus::Expired))
    });
    let (page, per_page) = parse_paging(&mut errors, &p.page, &p.per_page);
    errors.into_result(())?;
    let today = state.clock.now().date_naive();
    let tree = state.store.org_tree().await?;
    let unit = figure_unit(&auth, &tree, asked)?;
    let (version, matrix) = state.store.requirement_matrix().await?;
    let facts = facts_under(&state, &auth, &tree, unit, today).await?;
    let mut rows: Vec<IncompleteClient> = facts
        .into_iter()
        .filter_map(|f| {
            let archive = f.evaluate(&matrix, version, today);
            let required = archive
                .items
                .into_iter()
                .filter(|i| i.requirement == Requirement::Required);
            let items: Vec<_> = match status {
                Some(wanted) => required.filter(|i| i.status == wanted).collect(),
                None => required
                    .filter(|i| {
                        !matches!(i.status, DocumentStatus::Valid | DocumentStatus::Expiring)
                    })
                    .collect(),
            };
            let keep = match doc_type {
                Some(t) => items.iter().any(|i| i.doc_type == t),
                None => !items.is_empty(),
            };
            keep.then_some(IncompleteClient {
                client_id: f.client_id,
                client_name: f.client_name,
                category: f.category,
                org_unit_name: f.org_unit_name,
                account_manager_name: f.account_manager_name,
                items,
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        a.org_unit_name
            .cmp(&b.org_unit_name)
            .then_with(|| a.client_name.cmp(&b.client_name))
    });
    let total = rows.len() as u64;
    let items = rows
        .into_iter()
        .skip(((page - 1) * per_page) as usize)
        .take(per_page as usize)
        .collect();
    Ok(HttpResponse::Ok().json(IncompletePage {
        items,
        total,
        page,
        per_page,
    }))
}
