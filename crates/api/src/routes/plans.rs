//! Half-year coverage plans (DESIGN §2.4): every client of every account manager in the
//! caller's scope spread over the weeks under a weekly capacity, grade A and at-risk clients
//! first, nearby clients in the same week, each day routed from the unit's base; and the
//! coverage figures per account manager and org unit.

use crate::audit::RequestMeta;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::guard::Reviewer;
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use domain::audit::{AuditAction, FieldChange};
use domain::custom_plan::{spread_over_period, CustomPlanReport, CustomPlanRequest};
use domain::planning::{
    coverage, plan_half_year, DatedTask, DoneVisit, DueClient, HalfYear, PlanningInput,
    PlanningRules,
};
use domain::task::{AssigneeLevel, TaskKind, TaskSource};
use domain::visit::{CoverageReport, CoverageRow, PlanReport, PlanRequest, QuotaPlan};
use domain::{FieldError, ValidationErrors};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::time::Instant;
use store::plans::{coverage_key, coverage_key_level, PlanningClient};
use store::tasks::NewTask;
use utoipa::{IntoParams, OpenApi};
use uuid::Uuid;

type Problem = domain::error::Problem;

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(generate_plans, custom_plan, coverage_report),
    tags((name = "plans", description = "Half-year coverage plans and coverage"))
)]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(generate_plans)
        .service(custom_plan)
        .service(coverage_report);
}

fn parse_half(errors: &mut ValidationErrors, code: &str) -> Option<HalfYear> {
    let half = HalfYear::parse(code.trim());
    if half.is_none() {
        errors.push(FieldError::invalid_value(
            "half_year",
            "a half-year such as 2026-h1 or 2026-h2",
            "半年度格式如 2026-h1 或 2026-h2",
        ));
    }
    half
}

/// Plans the half-year for every account manager in the caller's scope (directors: their
/// unit; leaders and administrators: theirs). Re-planning keeps what is done (a visit by the
/// account manager this half-year covers the client) and what is dated (the plan's open
/// tasks stay on their days); only clients with neither get new tasks. The plan's visits are
/// visit tasks (source `coverage_plan`) for the account manager, due on their planned day.
#[utoipa::path(
    tag = "plans",
    security(("bearer" = [])),
    request_body = PlanRequest,
    responses(
        (status = 200, body = PlanReport),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/plans/generate")]
pub async fn generate_plans(
    Reviewer(auth): Reviewer,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<PlanRequest>,
) -> ApiResult<HttpResponse> {
    let started = Instant::now();
    let r = body.0;
    let now = state.clock.now();
    let today = now.date_naive();
    let mut errors = ValidationErrors::new();
    let half = parse_half(&mut errors, &r.half_year);
    let rules = PlanningRules {
        capacity_per_week: r.capacity_per_week.unwrap_or(15),
        ..PlanningRules::default()
    };
    if !(1..=50).contains(&rules.capacity_per_week) {
        errors.push(FieldError::out_of_range("capacity_per_week", 1.0, 50.0));
    }
    let start = r.start.unwrap_or(today);
    if start < today {
        errors.push(FieldError::new(
            "start",
            "out_of_range",
            "start: must be today or later",
            "start：不能早于今天",
        ));
    }
    if let Some(h) = half {
        if h.last_day() < start {
            errors.push(FieldError::new(
                "half_year",
                "out_of_range",
                "half_year: already over",
                "half_year：该半年度已结束",
            ));
        }
    }
    errors.into_result(())?;
    let Some(half) = half else {
        return Err(ApiError::NotFound);
    };
    let code = half.code();
    let units = state.store.org_units().await?;
    let tree: Vec<(Uuid, Option<Uuid>)> = units.iter().map(|u| (u.id, u.parent_id)).collect();
    let scope = auth.scope(&tree);
    let clients = state.store.planning_clients(&scope).await?;
    let visits = state
        .store
        .visits_between(half.first_day(), half.last_day())
        .await?;
    // The day each (client, visitor) pair was visited this half-year.
    let done: HashMap<(Uuid, Uuid), NaiveDate> =
        visits.iter().map(|(c, u, d)| ((*c, *u), *d)).collect();
    // The plan tasks already dated, by level and client.
    let dated: HashMap<(AssigneeLevel, Uuid), (Uuid, NaiveDate)> = state
        .store
        .coverage_tasks(&code)
        .await?
        .into_iter()
        .filter_map(|(task, client, day, key)| {
            Some(((coverage_key_level(&code, &key)?, client), (task, day)))
        })
        .collect();
    // Who visits whom: every client its account manager; under the quotas, grade A the nearest
    // director above it, key clients and high-risk traders the nearest leader — as far up as the
    // caller plans (a director plans account managers and directors).
    let supervisors = crate::jobs::Supervisors::load(&state.store).await?;
    let top = AssigneeLevel::for_role(auth.user.role);
    let mut groups: HashMap<(AssigneeLevel, Uuid), Vec<&PlanningClient>> = HashMap::new();
    for c in &clients {
        groups
            .entry((AssigneeLevel::AccountManager, c.account_manager_id))
            .or_default()
            .push(c);
        for (level, due) in [
            (AssigneeLevel::Director, c.grade_a),
            (AssigneeLevel::Leader, c.key_client || c.high_risk_trader),
        ] {
            if due && level.rank() <= top.rank() {
                if let Some(person) = supervisors.nearest(c.org_unit_id, level) {
                    groups.entry((level, person)).or_default().push(c);
                }
            }
        }
    }
    let bases = state.store.user_bases().await?;
    let mut figures: HashMap<AssigneeLevel, QuotaPlan> = HashMap::new();
    let mut new_tasks = Vec::new();
    let mut keys: Vec<(AssigneeLevel, Uuid)> = groups.keys().copied().collect();
    keys.sort_by_key(|(level, person)| (level.rank(), *person));
    for (level, person) in keys {
        let mine = &groups[&(level, person)];
        let figure = figures
            .entry(level)
            .or_insert_with(|| QuotaPlan::empty(level));
        figure.assignees += 1;
        figure.clients_due += mine.len() as u64;
        let input = PlanningInput {
            base: bases.get(&person).copied(),
            half_year: half,
            start,
            due: mine
                .iter()
                .map(|c| DueClient {
                    client_id: c.client_id,
                    location: c.location,
                    grade_a: c.grade_a,
                    at_risk: c.at_risk,
                    expected_volume_at_risk_t: c.volume_at_risk_t,
                })
                .collect(),
            done: mine
                .iter()
                .filter_map(|c| {
                    done.get(&(c.client_id, person)).map(|day| DoneVisit {
                        client_id: c.client_id,
                        date: *day,
                    })
                })
                .collect(),
            dated: mine
                .iter()
                .filter_map(|c| {
                    dated
                        .get(&(level, c.client_id))
                        .map(|(task, day)| DatedTask {
                            task_id: *task,
                            client_id: c.client_id,
                            date: *day,
                            location: c.location,
                        })
                })
                .collect(),
            holidays: Vec::new(),
        };
        figure.covered += mine
            .iter()
            .filter(|c| done.contains_key(&(c.client_id, person)))
            .count() as u64;
        let plan = plan_half_year(&input, &rules);
        figure.unplanned += plan.unplanned.len() as u64;
        let (role_zh, role_en) = match level {
            AssigneeLevel::AccountManager => ("", ""),
            AssigneeLevel::Director => ("主任", "director's "),
            AssigneeLevel::Leader => ("领导", "leader's "),
        };
        for visit in &plan.visits {
            if visit.kept || visit.task_id.is_some() {
                figure.kept += u64::from(visit.task_id.is_some());
                continue;
            }
            figure.created += 1;
            new_tasks.push(NewTask {
                id: Uuid::now_v7(),
                kind: TaskKind::Visit,
                source: TaskSource::CoveragePlan,
                client_id: visit.client_id,
                title: format!("{role_zh}半年走访计划（{}，第 {} 站）", code, visit.order),
                title_en: format!(
                    "Half-year {role_en}coverage visit ({code}, stop {})",
                    visit.order
                ),
                detail: format!("计划日期 {}，所在周 {}", visit.date, visit.week),
                detail_en: format!("Planned for {}, week of {}", visit.date, visit.week),
                due_date: visit.date,
                tier: None,
                document_id: None,
                dedupe_key: Some(coverage_key(&code, level, visit.client_id)),
                assignees: vec![(person, level)],
                created_at: now,
            });
        }
    }
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Create,
        "coverage_plan",
        None,
        vec![FieldChange {
            field: "plan".to_owned(),
            before: serde_json::Value::Null,
            after: serde_json::json!({
                "half_year": code,
                "start": start,
                "capacity_per_week": rules.capacity_per_week,
                "tasks": new_tasks.len(),
            }),
        }],
    );
    let inserted = state.store.create_tasks(&new_tasks, Some(&entry)).await?;
    let mut managers = figures
        .remove(&AssigneeLevel::AccountManager)
        .unwrap_or_else(|| QuotaPlan::empty(AssigneeLevel::AccountManager));
    // Another plan run at the same moment may have dated some first: count what went in.
    let attempted = new_tasks.len() as u64;
    if inserted < attempted {
        managers.created = managers.created.saturating_sub(attempted - inserted);
    }
    let mut quotas: Vec<QuotaPlan> = figures.into_values().collect();
    quotas.sort_by_key(|q| q.level.rank());
    let mut report = PlanReport {
        half_year: code,
        assignees: managers.assignees,
        clients_due: managers.clients_due,
        covered: managers.covered,
        kept: managers.kept,
        created: managers.created,
        unplanned: managers.unplanned,
        quotas,
        elapsed_ms: 0,
    };
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(HttpResponse::Ok().json(report))
}

/// Raises a custom plan (DESIGN §2.4): one visit task for each client in the caller's scope
/// that matches the filter (category, industry, grade, class, org unit, tag), for its account
/// manager or the nearest director or leader above it, due on the period's working days spread
/// evenly, the most expected volume at risk first.
#[utoipa::path(
    tag = "plans",
    security(("bearer" = [])),
    request_body = CustomPlanRequest,
    responses(
        (status = 201, body = CustomPlanReport),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/plans/custom")]
pub async fn custom_plan(
    Reviewer(auth): Reviewer,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<CustomPlanRequest>,
) -> ApiResult<HttpResponse> {
    let r = body.0;
    let now = state.clock.now();
    let today = domain::china_date(now);
    let mut errors = match r.validate(today) {
        Ok(()) => ValidationErrors::new(),
        Err(e) => e,
    };
    let units = state.store.org_units().await?;
    let tree: Vec<(Uuid, Option<Uuid>)> = units.iter().map(|u| (u.id, u.parent_id)).collect();
    let scope = auth.scope(&tree);
    let within = match r.filter.org_unit_id {
        Some(unit) if tree.iter().any(|(id, _)| *id == unit) => {
            Some(domain::org::subtree(&tree, unit))
        }
        Some(_) => {
            errors.push(FieldError::not_found("filter.org_unit_id"));
            None
        }
        None => None,
    };
    errors.into_result(())?;
    let limit = domain::custom_plan::MAX_CLIENTS;
    let clients = state
        .store
        .custom_plan_clients(&r.filter, within.as_deref(), &scope, limit + 1)
        .await?;
    if clients.len() > limit {
        return Err(ValidationErrors(vec![FieldError::new(
            "filter",
            "too_many",
            "filter: matches more than 20,000 clients; narrow it",
            "filter：匹配客户超过 20,000 家，请缩小范围",
        )])
        .into());
    }
    let supervisors = crate::jobs::Supervisors::load(&state.store).await?;
    let plan_id = Uuid::now_v7();
    let assigned: Vec<(&store::plans::CustomPlanClient, Uuid)> = clients
        .iter()
        .filter_map(|c| {
            let person = match r.level {
                AssigneeLevel::AccountManager => Some(c.account_manager_id),
                level => supervisors.nearest(c.org_unit_id, level),
            };
            person.map(|p| (c, p))
        })
        .collect();
    let days = spread_over_period(assigned.len(), r.from, r.to);
    let name = r.name.trim();
    let tasks: Vec<NewTask> = assigned
        .iter()
        .zip(&days)
        .map(|((c, person), day)| NewTask {
            id: Uuid::now_v7(),
            kind: TaskKind::Visit,
            source: TaskSource::CustomPlan,
            client_id: c.client_id,
            title: format!("定制走访：{name}"),
            title_en: format!("Custom visit: {name}"),
            detail: format!("计划期 {} 至 {}", r.from, r.to),
            detail_en: format!("Plan period {} to {}", r.from, r.to),
            due_date: *day,
            tier: None,
            document_id: None,
            dedupe_key: Some(format!("custom:{plan_id}:{}", c.client_id)),
            assignees: vec![(*person, r.level)],
            created_at: now,
        })
        .collect();
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Create,
        "custom_plan",
        Some(plan_id),
        vec![FieldChange {
            field: "plan".to_owned(),
            before: serde_json::Value::Null,
            after: serde_json::to_value(&r).unwrap_or_default(),
        }],
    );
    let created = state.store.create_tasks(&tasks, Some(&entry)).await?;
    Ok(HttpResponse::Created().json(CustomPlanReport {
        plan_id,
        matched: clients.len() as u64,
        created,
        without_assignee: (clients.len() - assigned.len()) as u64,
    }))
}

/// Which half-year.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageParams {
    /// `2026-h2` (default: the current half-year).
    #[param(pattern = r"^[1-9][0-9]{3}-h[12]$")]
    pub half_year: Option<String>,
}

/// Coverage of the half-year over the caller's scope: clients visited by their account
/// manager at least once, per account manager and per org unit (live, from the visits).
#[utoipa::path(
    tag = "plans",
    security(("bearer" = [])),
    params(CoverageParams),
    responses(
        (status = 200, body = CoverageReport),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/plans/coverage")]
pub async fn coverage_report(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<CoverageParams>,
) -> ApiResult<HttpResponse> {
    let today = state.clock.now().date_naive();
    let mut errors = ValidationErrors::new();
    // Sent empty, like every optional query parameter, it is absent.
    let half = match params.half_year.as_deref().filter(|code| !code.is_empty()) {
        Some(code) => parse_half(&mut errors, code),
        None => Some(HalfYear::of(today)),
    };
    errors.into_result(())?;
    let Some(half) = half else {
        return Err(ApiError::NotFound);
    };
    let scope = auth.scope(&state.store.org_tree().await?);
    let clients = state.store.planning_clients(&scope).await?;
    let visited: HashSet<(Uuid, Uuid)> = state
        .store
        .visits_between(half.first_day(), half.last_day())
        .await?
        .into_iter()
        .map(|(c, u, _)| (c, u))
        .collect();
    let mut per_manager: HashMap<Uuid, (u64, u64)> = HashMap::new();
    let mut per_unit: HashMap<Uuid, (u64, u64)> = HashMap::new();
    let (mut due, mut covered) = (0u64, 0u64);
    for c in &clients {
        let hit = u64::from(visited.contains(&(c.client_id, c.account_manager_id)));
        for (map, key) in [
            (&mut per_manager, c.account_manager_id),
            (&mut per_unit, c.org_unit_id),
        ] {
            let entry = map.entry(key).or_default();
            entry.0 += 1;
            entry.1 += hit;
        }
        due += 1;
        covered += hit;
    }
    let units = state.store.org_units().await?;
    let unit_names: HashMap<Uuid, String> = units.into_iter().map(|u| (u.id, u.name)).collect();
    let names: HashMap<Uuid, String> = state
        .store
        .user_records(&store::UserFilter::default())
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let rows = |map: HashMap<Uuid, (u64, u64)>, names: &HashMap<Uuid, String>| {
        let mut rows: Vec<CoverageRow> = map
            .into_iter()
            .map(|(id, (due, covered))| {
                let figure = coverage(due, covered);
                CoverageRow {
                    id,
                    name: names.get(&id).cloned().unwrap_or_default(),
                    due: figure.due,
                    covered: figure.covered,
                    percent: figure.percent,
                }
            })
            .collect();
        rows.sort_by(|a, b| a.percent.total_cmp(&b.percent).then(a.name.cmp(&b.name)));
        rows
    };
    let total = coverage(due, covered);
    Ok(HttpResponse::Ok().json(CoverageReport {
        half_year: half.code(),
        total: CoverageRow {
            id: auth.user.org_unit_id,
            name: unit_names
                .get(&auth.user.org_unit_id)
                .cloned()
                .unwrap_or_default(),
            due: total.due,
            covered: total.covered,
            percent: total.percent,
        },
        assignees: rows(per_manager, &names),
        units: rows(per_unit, &unit_names),
    }))
}
