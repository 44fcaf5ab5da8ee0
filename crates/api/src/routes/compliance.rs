//! Compliance screening: diesel resellers without a valid hazchem permit covering diesel
//! (diesel has been a hazardous chemical since 2023-01-01), and dispatching visits to them.

use crate::audit::RequestMeta;
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::extract::{parse_opt, parse_paging, ValidJson};
use crate::guard::Reviewer;
use crate::routes::archive::{facts_under, figure_unit};
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::{NaiveDate, TimeDelta};
use domain::archive::{
    DispatchResult, DocumentType, HazchemDispatchRequest, HazchemPage, HazchemRow,
};
use domain::audit::{AuditAction, FieldChange};
use domain::sales::kg_to_tonnes;
use domain::task::{AssigneeLevel, TaskKind, TaskSource};
use domain::{FieldError, ValidationErrors};
use serde::Deserialize;
use store::tasks::NewTask;
use utoipa::{IntoParams, OpenApi};
use uuid::Uuid;

type Problem = domain::error::Problem;

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(list_hazchem, dispatch_hazchem))]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_hazchem).service(dispatch_hazchem);
}

fn dedupe_key(client: Uuid) -> String {
    format!("hazchem:{client}")
}

/// Every row of the screening under `unit` in the caller's scope, most diesel first.
async fn screening(
    state: &AppState,
    auth: &AuthUser,
    unit: Uuid,
    today: NaiveDate,
) -> ApiResult<Vec<HazchemRow>> {
    let tree = state.store.org_tree().await?;
    let (version, matrix) = state.store.requirement_matrix().await?;
    let facts = facts_under(state, auth, &tree, unit, today).await?;
    let mut rows: Vec<HazchemRow> = Vec::new();
    for f in facts {
        let status = f.evaluate(&matrix, version, today);
        if !f.lacks_hazchem_permit(&status) {
            continue;
        }
        let Some(permit) = status
            .items
            .into_iter()
            .find(|i| i.doc_type == DocumentType::HazchemPermit)
        else {
            continue;
        };
        rows.push(HazchemRow {
            client_id: f.client_id,
            client_name: f.client_name,
            category: f.category,
            org_unit_name: f.org_unit_name,
            account_manager_id: f.account_manager_id,
            account_manager_name: f.account_manager_name,
            diesel_tonnes_12m: kg_to_tonnes(f.diesel_kg_12m),
            permit,
            open_task_id: None,
        });
    }
    let keys: Vec<String> = rows.iter().map(|r| dedupe_key(r.client_id)).collect();
    let open = state.store.active_tasks_by_key(&keys).await?;
    for row in &mut rows {
        row.open_task_id = open.get(&dedupe_key(row.client_id)).copied();
    }
    rows.sort_by(|a, b| {
        b.diesel_tonnes_12m
            .total_cmp(&a.diesel_tonnes_12m)
            .then_with(|| a.client_name.cmp(&b.client_name))
    });
    Ok(rows)
}

/// Which part of the screening to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HazchemParams {
    /// The unit (default: the caller's own unit; the province for administrators).
    #[param(value_type = Option<Uuid>)]
    pub org_unit_id: Option<String>,
    /// Page number from 1.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Rows per page, 1–200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
}

/// Clients that buy diesel for resale (filling stations and traders with diesel orders in the
/// last 12 months, or diesel in their stated demand) and lack a valid hazchem permit whose
/// business scope covers diesel — "成品油批发（不含危化品）" alone does not count. Most diesel
/// first, each with its permit's status and any visit already dispatched.
#[utoipa::path(
    tag = "archive",
    security(("bearer" = [])),
    params(HazchemParams),
    responses(
        (status = 200, body = HazchemPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/compliance/hazchem")]
pub async fn list_hazchem(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<HazchemParams>,
) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    let mut errors = ValidationErrors::new();
    let asked = parse_opt(&mut errors, "org_unit_id", &p.org_unit_id, |s| {
        s.parse::<Uuid>().ok()
    });
    let (page, per_page) = parse_paging(&mut errors, &p.page, &p.per_page);
    errors.into_result(())?;
    let tree = state.store.org_tree().await?;
    let unit = figure_unit(&auth, &tree, asked)?;
    let rows = screening(&state, &auth, unit, state.clock.now().date_naive()).await?;
    let total = rows.len() as u64;
    let items = rows
        .into_iter()
        .skip(((page - 1) * per_page) as usize)
        .take(per_page as usize)
        .collect();
    Ok(HttpResponse::Ok().json(HazchemPage {
        items,
        total,
        page,
        per_page,
    }))
}

/// Dispatches a visit task to the account manager of each selected client on the screening
/// list (all of them in the caller's scope when none are named). A client with a visit from
/// the screening still open is skipped and counted as `already_open`.
#[utoipa::path(
    tag = "archive",
    security(("bearer" = [])),
    request_body = HazchemDispatchRequest,
    responses(
        (status = 200, body = DispatchResult),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/compliance/hazchem/dispatch")]
pub async fn dispatch_hazchem(
    Reviewer(auth): Reviewer,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<HazchemDispatchRequest>,
) -> ApiResult<HttpResponse> {
    let request = body.0;
    let now = state.clock.now();
    let today = now.date_naive();
    let mut errors = ValidationErrors::new();
    let due_date = request.due_date.unwrap_or(today + TimeDelta::days(14));
    if due_date < today {
        errors.push(FieldError::invalid_value(
            "due_date",
            "the due date is in the past",
            "截止日期早于今天",
        ));
    }
    let tree = state.store.org_tree().await?;
    let unit = figure_unit(&auth, &tree, None)?;
    let rows = screening(&state, &auth, unit, today).await?;
    let selected: Vec<&HazchemRow> = if request.client_ids.is_empty() {
        rows.iter().collect()
    } else {
        let mut picked = Vec::new();
        for (i, id) in request.client_ids.iter().enumerate() {
            match rows.iter().find(|r| r.client_id == *id) {
                Some(row) => picked.push(row),
                None => errors.push(FieldError::invalid_value(
                    &format!("client_ids[{i}]"),
                    "not on the hazchem screening list in your scope",
                    "不在您权限范围内的危化证筛查名单上",
                )),
            }
        }
        picked
    };
    errors.into_result(())?;
    let already_open = selected.iter().filter(|r| r.open_task_id.is_some()).count() as u64;
    let tasks: Vec<NewTask> = selected
        .iter()
        .filter(|r| r.open_task_id.is_none())
        .map(|r| {
            let (why_zh, why_en) = match r.permit.problem {
                Some(_) => (
                    "危化证经营范围未含柴油".to_owned(),
                    "its hazchem permit's scope does not cover diesel".to_owned(),
                ),
                None => (
                    format!("危化证状态：{}", r.permit.status.label_zh()),
                    format!(
                        "hazchem permit: {}",
                        r.permit.status.label_en().to_lowercase()
                    ),
                ),
            };
            NewTask {
                id: Uuid::now_v7(),
                kind: TaskKind::Visit,
                source: TaskSource::HazchemScreening,
                client_id: r.client_id,
                title: format!("{}：危化证合规走访", r.client_name),
                title_en: format!("{}: hazchem permit compliance visit", r.client_name),
                detail: format!(
                    "近 12 个月购进柴油 {:.3} 吨用于转售，{why_zh}。请走访客户，督促办理覆盖柴油的危险化学品经营许可证并上传。",
                    r.diesel_tonnes_12m
                ),
                detail_en: format!(
                    "Bought {:.3} t of diesel for resale in the last 12 months; {why_en}. Visit the client and have them obtain and upload a hazchem permit covering diesel.",
                    r.diesel_tonnes_12m
                ),
                due_date,
                tier: None,
                document_id: None,
                dedupe_key: Some(dedupe_key(r.client_id)),
                assignees: vec![(r.account_manager_id, AssigneeLevel::AccountManager)],
                created_at: now,
            }
        })
        .collect();
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Create,
        "task",
        None,
        vec![FieldChange {
            field: "hazchem_dispatch".to_owned(),
            before: serde_json::Value::Null,
            after: serde_json::json!({ "tasks": tasks.len(), "due_date": due_date }),
        }],
    );
    let created = state.store.create_tasks(&tasks, Some(&entry)).await?;
    let result = DispatchResult {
        created,
        already_open: already_open + (tasks.len() as u64 - created),
    };
    Ok(HttpResponse::Ok().json(result))
}
