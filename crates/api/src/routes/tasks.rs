//! Tasks of every kind (renewals, visits, calls, follow-ups) and the on-demand run of the
//! scheduled jobs that raise them.

use crate::audit::RequestMeta;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_opt, parse_paging, ValidJson};
use crate::guard::Admin;
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use domain::audit::{AuditAction, FieldChange};
use domain::org::Role;
use domain::task::{JobReport, Task, TaskKind, TaskPage, TaskSource, TaskStatus};
use domain::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};
use store::tasks::TaskFilter;
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

type Problem = domain::error::Problem;

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list_tasks, get_task, create_task, run_job),
    tags((name = "tasks", description = "Tasks of every kind and the jobs that raise them"))
)]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_tasks)
        .service(create_task)
        .service(get_task)
        .service(run_job);
}

fn task_statuses() -> utoipa::openapi::Object {
    crate::extract::one_of_schema(TaskStatus::ALL.iter().map(|s| s.code()).chain(["overdue"]))
}

/// Filters and paging of the task list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskListParams {
    /// Only this kind.
    #[param(value_type = Option<TaskKind>)]
    pub kind: Option<String>,
    /// Only this status; `overdue` for open tasks past their due date.
    #[param(schema_with = task_statuses)]
    pub status: Option<String>,
    /// Only this client.
    #[param(value_type = Option<Uuid>)]
    pub client_id: Option<String>,
    /// `true`: only tasks assigned to the caller.
    #[param(value_type = Option<bool>)]
    pub mine: Option<String>,
    /// Only tasks assigned to this user (within the caller's scope).
    #[param(value_type = Option<Uuid>)]
    pub assignee_id: Option<String>,
    /// Only this source (the rule or action that raised the task).
    #[param(value_type = Option<TaskSource>)]
    pub source: Option<String>,
    /// Only tasks due on or after this day (YYYY-MM-DD).
    #[param(value_type = Option<NaiveDate>)]
    pub due_from: Option<String>,
    /// Only tasks due on or before this day (YYYY-MM-DD).
    #[param(value_type = Option<NaiveDate>)]
    pub due_to: Option<String>,
    /// Page number from 1.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Rows per page, 1–200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
}

/// Account managers also see tasks assigned to them for clients they no longer own; others
/// see the tasks of the clients in their scope.
fn assigned_extra(auth: &AuthUser) -> Option<Uuid> {
    (auth.user.role == Role::AccountManager).then_some(auth.user.id)
}

/// Tasks in the caller's scope (by their client, or assigned to the caller), soonest due first.
#[utoipa::path(
    tag = "tasks",
    security(("bearer" = [])),
    params(TaskListParams),
    responses(
        (status = 200, body = TaskPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tasks")]
pub async fn list_tasks(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<TaskListParams>,
) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    let mut errors = ValidationErrors::new();
    let kind = parse_opt(&mut errors, "kind", &p.kind, TaskKind::from_code);
    let status = parse_opt(&mut errors, "status", &p.status, |s| match s {
        "overdue" => Some(None),
        other => TaskStatus::from_code(other).map(Some),
    });
    let client_id = parse_opt(&mut errors, "client_id", &p.client_id, |s| {
        s.parse::<Uuid>().ok()
    });
    let mine = crate::extract::parse_flag(&mut errors, "mine", &p.mine);
    let assignee_id = parse_opt(&mut errors, "assignee_id", &p.assignee_id, |s| {
        s.parse::<Uuid>().ok()
    });
    let source = parse_opt(&mut errors, "source", &p.source, TaskSource::from_code);
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let due_from = parse_opt(&mut errors, "due_from", &p.due_from, day);
    let due_to = parse_opt(&mut errors, "due_to", &p.due_to, day);
    if let (Some(from), Some(to)) = (due_from, due_to) {
        if to < from {
            errors.push(FieldError::new(
                "due_to",
                "out_of_range",
                "due_to: must not be before due_from",
                "due_to：不能早于 due_from",
            ));
        }
    }
    let (page, per_page) = parse_paging(&mut errors, &p.page, &p.per_page);
    errors.into_result(())?;
    let tree = state.store.org_tree().await?;
    let filter = TaskFilter {
        kind,
        status: status.flatten(),
        overdue: matches!(status, Some(None)),
        client_id,
        assignee: if mine {
            Some(auth.user.id)
        } else {
            assignee_id
        },
        source,
        due_from,
        due_until: due_to,
        page,
        per_page,
        ..TaskFilter::default()
    };
    let (items, total) = state
        .store
        .list_tasks(
            &filter,
            &auth.scope(&tree),
            assigned_extra(&auth),
            state.clock.now().date_naive(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(TaskPage {
        items,
        total,
        page,
        per_page,
    }))
}

/// One task with its assignees and, when closed, its evidence.
#[utoipa::path(
    tag = "tasks",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Task id")),
    responses(
        (status = 200, body = Task),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tasks/{id}")]
pub async fn get_task(
    auth: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let tree = state.store.org_tree().await?;
    let task = state
        .store
        .task(
            id.into_inner(),
            &auth.scope(&tree),
            assigned_extra(&auth),
            state.clock.now().date_naive(),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(task))
}

/// The day a job run evaluates.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunJobRequest {
    /// The day to evaluate (default today).
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
}

/// Runs a scheduled job now (administrators): `expiry_alerts`, `recompute_intel`,
/// `dynamic_visits`, `overdue_escalation`, `service_sla` or `monthly_scorecards`. Safe to repeat: jobs never duplicate
/// their tasks or escalations.
#[utoipa::path(
    tag = "tasks",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "Job name: expiry_alerts, recompute_intel, dynamic_visits, overdue_escalation, service_sla or monthly_scorecards")),
    request_body = RunJobRequest,
    responses(
        (status = 200, body = JobReport),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/jobs/{name}/run")]
pub async fn run_job(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    name: web::Path<String>,
    body: ValidJson<RunJobRequest>,
) -> ApiResult<HttpResponse> {
    let name = name.into_inner();
    if !crate::jobs::JOBS.contains(&name.as_str()) {
        return Err(ApiError::NotFound);
    }
    let now = state.clock.now();
    let as_of = body.0.as_of.unwrap_or_else(|| now.date_naive());
    let report = crate::jobs::run_job_counted(&state, &name, as_of, now)
        .await
        .ok_or(ApiError::NotFound)??;
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Create,
        "job_run",
        None,
        vec![FieldChange {
            field: name,
            before: serde_json::Value::Null,
            after: serde_json::to_value(&report).unwrap_or_default(),
        }],
    );
    state.store.record_audit(&entry).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// A task raised by hand.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTaskRequest {
    /// `visit` or `follow_up`.
    pub kind: TaskKind,
    /// The client (in the caller's scope).
    pub client_id: Uuid,
    /// One line (1–300 characters).
    pub title: String,
    /// Detail (≤ 2 000 characters).
    #[serde(default)]
    pub detail: String,
    /// Due date (today or later).
    pub due_date: NaiveDate,
    /// Responsible people (1–5; not viewers). Default: the caller.
    #[serde(default)]
    pub assignee_ids: Vec<Uuid>,
}

/// Raises a visit or follow-up task by hand (source `manual`) for the given people.
#[utoipa::path(
    tag = "tasks",
    security(("bearer" = [])),
    request_body = NewTaskRequest,
    responses(
        (status = 201, body = Task),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tasks")]
pub async fn create_task(
    crate::guard::Writer(auth): crate::guard::Writer,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<NewTaskRequest>,
) -> ApiResult<HttpResponse> {
    use domain::task::AssigneeLevel;
    use domain::validation::{check_optional_text, check_text};
    let r = body.0;
    if auth.integrator.is_some() {
        return Err(ApiError::Forbidden);
    }
    crate::routes::clients::visible_client(&state, &auth, r.client_id).await?;
    let now = state.clock.now();
    let mut errors = ValidationErrors::new();
    if !matches!(r.kind, TaskKind::Visit | TaskKind::FollowUp) {
        errors.push(FieldError::invalid_value(
            "kind",
            "only visit and follow_up tasks are raised by hand",
            "只能手工创建走访或跟进任务",
        ));
    }
    check_text(&mut errors, "title", &r.title, 300);
    check_optional_text(&mut errors, "detail", &r.detail, 2000);
    if r.due_date < now.date_naive() {
        errors.push(FieldError::new(
            "due_date",
            "out_of_range",
            "due_date: must be today or later",
            "due_date：不能早于今天",
        ));
    }
    let ids = if r.assignee_ids.is_empty() {
        vec![auth.user.id]
    } else {
        r.assignee_ids.clone()
    };
    if ids.len() > 5 {
        errors.push(FieldError::out_of_range("assignee_ids", 1.0, 5.0));
    }
    let mut assignees = Vec::new();
    for (i, id) in ids.iter().enumerate().take(5) {
        match state.store.user(*id).await? {
            Some(u) if u.role != Role::Viewer => {
                assignees.push((u.id, AssigneeLevel::for_role(u.role)));
            }
            _ => errors.push(FieldError::not_found(&format!("assignee_ids[{i}]"))),
        }
    }
    errors.into_result(())?;
    let task = store::tasks::NewTask {
        id: Uuid::now_v7(),
        kind: r.kind,
        source: TaskSource::Manual,
        client_id: r.client_id,
        title: r.title.trim().to_owned(),
        title_en: r.title.trim().to_owned(),
        detail: r.detail.trim().to_owned(),
        detail_en: r.detail.trim().to_owned(),
        due_date: r.due_date,
        tier: None,
        document_id: None,
        dedupe_key: None,
        assignees,
        created_at: now,
    };
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Create,
        "task",
        Some(task.id),
        vec![FieldChange {
            field: "task".to_owned(),
            before: serde_json::Value::Null,
            after: serde_json::to_value(&r).unwrap_or_default(),
        }],
    );
    state
        .store
        .create_tasks(std::slice::from_ref(&task), Some(&entry))
        .await?;
    let tree = state.store.org_tree().await?;
    let created = state
        .store
        .task(
            task.id,
            &auth.scope(&tree),
            Some(auth.user.id),
            now.date_naive(),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Created().json(created))
}
