//! Monthly scorecards of account managers and their pay (DESIGN §2.7): targets (JSON or an
//! XLSX workbook), the computation (on the 1st for the month before, or on demand), review
//! with audited adjustments, the lock that makes a month immutable (a correction after it is a
//! new, linked adjustment), drill-down to the rows behind each figure, and the payroll export.

use crate::audit::RequestMeta;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::guard::{Admin, Writer};
use crate::state::AppState;
use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use domain::audit::{AuditAction, FieldChange};
use domain::org::{DataScope, Role};
use domain::scorecard::{
    bonus, month_bounds, score, Adjustment, AdjustmentInput, EvidenceRow, ScoreComponent,
    ScoreInputs, ScoreScheme, Scorecard,
};
use domain::task::TaskStatus;
use domain::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::scorecards::NewScorecard;
use store::{Store, StoreError, UserFilter};
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

type Problem = domain::error::Problem;

/// The rule-set kind of the scoring scheme.
pub const SCHEME_KIND: &str = "scorecard_scheme";

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        list_scorecards,
        get_scorecard,
        compute,
        adjust,
        lock,
        export,
        put_targets,
        import_targets,
        get_scheme,
        put_scheme
    ),
    tags((name = "scorecards", description = "Monthly performance and pay of account managers"))
)]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(put_targets)
        .service(import_targets)
        .service(get_scheme)
        .service(put_scheme)
        .service(list_scorecards)
        .service(export)
        .service(compute)
        .service(lock)
        .service(get_scorecard)
        .service(adjust);
}

fn bad_month() -> ApiError {
    ApiError::field(FieldError::invalid_value(
        "month",
        "a month is written YYYY-MM",
        "月份格式为 YYYY-MM",
    ))
}

fn month_locked() -> ApiError {
    ApiError::ConflictWith(FieldError::new(
        "month",
        "month_locked",
        "the month is locked: its scorecards cannot change; record a correction instead",
        "该月已锁定，考核结果不可更改；如需更正请登记更正调整",
    ))
}

/// Every scheme version with the built-in default (version 1), newest first.
async fn schemes(store: &Store) -> Result<Vec<ScoreScheme>, StoreError> {
    crate::routes::rules::rule_versions(store, SCHEME_KIND, ScoreScheme::default(), |s, version| {
        ScoreScheme { version, ..s }
    })
    .await
}

/// Computes the scorecards of every active account manager for `month` and stores them
/// (keeping adjustments). `Ok(None)` when the month is locked.
pub async fn compute_month(
    store: &Store,
    month: &str,
    now: DateTime<Utc>,
    audit: &domain::audit::AuditEntry,
) -> Result<Option<usize>, StoreError> {
    let Some((first, last)) = month_bounds(month) else {
        return Ok(Some(0));
    };
    if store.month_locked(month).await? {
        return Ok(None);
    }
    let scheme = schemes(store).await?.remove(0);
    let people = store
        .user_records(&UserFilter {
            role: Some(Role::AccountManager),
            active: Some(true),
            ..UserFilter::default()
        })
        .await?;
    let targets = store.score_targets(month).await?;
    let orders = store.month_orders(first, last).await?;
    let dates = store.order_dates(first).await?;
    let (planned, overdue) = store.counted_tasks(first, last).await?;
    let (version, matrix) = store.requirement_matrix().await?;
    let archives = store
        .archive_facts(&DataScope::All, &store::ArchiveFilter::default(), last)
        .await?;

    let mut inputs: HashMap<Uuid, ScoreInputs> = HashMap::new();
    let mut evidence: HashMap<Uuid, Vec<EvidenceRow>> = HashMap::new();
    let mut first_in_month: HashMap<Uuid, (&store::scorecards::MonthOrder, Uuid)> = HashMap::new();
    for o in &orders {
        let i = inputs.entry(o.account_manager_id).or_default();
        i.volume_t += o.quantity_kg as f64 / 1000.0;
        evidence
            .entry(o.account_manager_id)
            .or_default()
            .push(EvidenceRow {
                component: ScoreComponent::Volume,
                id: o.id,
                label: o.order_no.clone(),
                client_name: o.client_name.clone(),
                date: Some(o.order_date),
                tonnes: Some(o.quantity_kg as f64 / 1000.0),
                outcome: "order".to_owned(),
            });
        first_in_month
            .entry(o.client_id)
            .or_insert((o, o.account_manager_id));
    }
    for (client, (order, manager)) in &first_in_month {
        let Some((first_ever, previous)) = dates.get(client) else {
            continue;
        };
        let outcome = if *first_ever >= first {
            Some("new")
        } else if previous.is_some_and(|p| (order.order_date - p).num_days() > 90) {
            Some("returning")
        } else {
            None
        };
        if let Some(outcome) = outcome {
            let i = inputs.entry(*manager).or_default();
            if outcome == "new" {
                i.new_clients += 1;
            } else {
                i.returning_clients += 1;
            }
            evidence.entry(*manager).or_default().push(EvidenceRow {
                component: ScoreComponent::NewClients,
                id: *client,
                label: order.order_no.clone(),
                client_name: order.client_name.clone(),
                date: Some(order.order_date),
                tonnes: None,
                outcome: outcome.to_owned(),
            });
        }
    }
    for t in &planned {
        let done = matches!(
            t.status,
            TaskStatus::CheckedIn | TaskStatus::Reviewed | TaskStatus::Closed
        );
        let i = inputs.entry(t.user_id).or_default();
        i.visits_due += 1;
        i.visits_done += u32::from(done);
        evidence.entry(t.user_id).or_default().push(EvidenceRow {
            component: ScoreComponent::Visits,
            id: t.id,
            label: t.title.clone(),
            client_name: t.client_name.clone(),
            date: Some(t.due_date),
            tonnes: None,
            outcome: if done { "done" } else { "missed" }.to_owned(),
        });
    }
    for t in &overdue {
        inputs.entry(t.user_id).or_default().overdue_tasks += 1;
        evidence.entry(t.user_id).or_default().push(EvidenceRow {
            component: ScoreComponent::Overdue,
            id: t.id,
            label: t.title.clone(),
            client_name: t.client_name.clone(),
            date: Some(t.due_date),
            tonnes: None,
            outcome: "overdue".to_owned(),
        });
    }
    for facts in &archives {
        let complete = facts.evaluate(&matrix, version, last).complete;
        let i = inputs.entry(facts.account_manager_id).or_default();
        i.clients += 1;
        i.archive_complete += u32::from(complete);
        if !complete {
            evidence
                .entry(facts.account_manager_id)
                .or_default()
                .push(EvidenceRow {
                    component: ScoreComponent::Archive,
                    id: facts.client_id,
                    label: facts.client_name.clone(),
                    client_name: facts.client_name.clone(),
                    date: None,
                    tonnes: None,
                    outcome: "incomplete".to_owned(),
                });
        }
    }
    let cards: Vec<NewScorecard> = people
        .iter()
        .map(|p| {
            let mut i = inputs.remove(&p.id).unwrap_or_default();
            i.target_t = targets.get(&p.id).copied();
            i.volume_t = (i.volume_t * 1000.0).round() / 1000.0;
            let (components, total) = score(&i, &scheme);
            NewScorecard {
                user_id: p.id,
                org_unit_id: p.org_unit_id,
                inputs: i,
                components,
                evidence: evidence.remove(&p.id).unwrap_or_default(),
                computed_score: total,
            }
        })
        .collect();
    let saved = store
        .save_scorecards(month, &cards, scheme.version, now, audit)
        .await?;
    Ok(saved.then_some(cards.len()))
}

/// The people whose scorecards `auth` may see: their own (account managers), those of the
/// account managers in their units (directors), everyone's (leaders, viewers, administrators).
async fn visible_people(state: &AppState, auth: &AuthUser) -> Result<Option<Vec<Uuid>>, ApiError> {
    Ok(match auth.user.role {
        Role::AccountManager => Some(vec![auth.user.id]),
        Role::Director => {
            let scope = auth.scope_from(&state.store).await?;
            let units = match scope {
                DataScope::Units(units) => Some(units),
                _ => None,
            };
            let people = state
                .store
                .user_records(&UserFilter {
                    role: Some(Role::AccountManager),
                    units,
                    ..UserFilter::default()
                })
                .await?;
            Some(people.into_iter().map(|u| u.id).collect())
        }
        _ => None,
    })
}

/// A unit's roll-up.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnitRollup {
    /// Unit.
    pub org_unit_id: Uuid,
    /// Its name.
    pub org_unit_name: String,
    /// Account managers.
    pub people: u32,
    /// Mean final score.
    pub mean_score: f64,
    /// Bonuses, yuan.
    pub bonus_total_yuan: f64,
}

/// A month's scorecards.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScorecardMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Locked.
    pub locked: bool,
    /// The scorecards the caller may see, by unit and name.
    pub items: Vec<Scorecard>,
    /// Per unit.
    pub units: Vec<UnitRollup>,
}

/// The month's scorecards the caller may see, each with its bonus under the scheme it was
/// computed with; `one` narrows them to that person's (with the evidence rows, which only a
/// single scorecard's page shows).
async fn month_cards(
    state: &AppState,
    auth: &AuthUser,
    month: &str,
    one: Option<Uuid>,
) -> Result<Vec<(Scorecard, Vec<EvidenceRow>)>, ApiError> {
    let users = match (visible_people(state, auth).await?, one) {
        (Some(people), Some(user)) if !people.contains(&user) => return Ok(Vec::new()),
        (_, Some(user)) => Some(vec![user]),
        (people, None) => people,
    };
    let schemes = schemes(&state.store).await?;
    let mut cards = state
        .store
        .scorecards(month, users.as_deref(), one.is_some())
        .await?;
    for (card, _) in &mut cards {
        let scheme = schemes
            .iter()
            .find(|s| s.version == card.scheme_version)
            .unwrap_or(&schemes[0]);
        card.bonus_yuan = bonus(card.final_score, scheme);
    }
    Ok(cards)
}

/// The month to read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthParams {
    /// `YYYY-MM`.
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub month: String,
}

/// A month's scorecards the caller may see (account managers their own, directors their
/// units', leaders and administrators all), with per-unit roll-ups.
#[utoipa::path(
    tag = "scorecards",
    security(("bearer" = [])),
    params(MonthParams),
    responses(
        (status = 200, body = ScorecardMonth),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/scorecards")]
pub async fn list_scorecards(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<MonthParams>,
) -> ApiResult<HttpResponse> {
    let month = params.into_inner().month;
    month_bounds(&month).ok_or_else(bad_month)?;
    let items: Vec<Scorecard> = month_cards(&state, &auth, &month, None)
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let mut units: Vec<UnitRollup> = Vec::new();
    for c in &items {
        match units.iter_mut().find(|u| u.org_unit_id == c.org_unit_id) {
            Some(u) => {
                u.people += 1;
                u.mean_score += c.final_score;
                u.bonus_total_yuan += c.bonus_yuan;
            }
            None => units.push(UnitRollup {
                org_unit_id: c.org_unit_id,
                org_unit_name: c.org_unit_name.clone(),
                people: 1,
                mean_score: c.final_score,
                bonus_total_yuan: c.bonus_yuan,
            }),
        }
    }
    for u in &mut units {
        u.mean_score = (u.mean_score / f64::from(u.people) * 10.0).round() / 10.0;
    }
    // From the same read as the cards, so the flag and their status never disagree.
    let locked = items
        .iter()
        .any(|c| c.status == domain::scorecard::ScorecardStatus::Locked);
    Ok(HttpResponse::Ok().json(ScorecardMonth {
        locked,
        month,
        items,
        units,
    }))
}

/// One scorecard with the rows behind its figures.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScorecardDetail {
    /// The scorecard.
    pub scorecard: Scorecard,
    /// The orders, visits, clients and tasks each figure counted (`component` says which).
    pub evidence: Vec<EvidenceRow>,
}

/// One person's scorecard of a month with its drill-down ("why is my score 82?").
#[utoipa::path(
    tag = "scorecards",
    security(("bearer" = [])),
    params(
        ("month" = String, Path, description = "YYYY-MM", pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
        ("user_id" = Uuid, Path, description = "The account manager"),
    ),
    responses(
        (status = 200, body = ScorecardDetail),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/scorecards/{month}/users/{user_id}")]
pub async fn get_scorecard(
    auth: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<(String, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (month, user) = path.into_inner();
    month_bounds(&month).ok_or(ApiError::NotFound)?;
    let (scorecard, evidence) = month_cards(&state, &auth, &month, Some(user))
        .await?
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(ScorecardDetail {
        scorecard,
        evidence,
    }))
}

/// What a computation did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ComputeReport {
    /// `YYYY-MM`.
    pub month: String,
    /// Scorecards computed.
    pub scorecards: usize,
    /// Milliseconds.
    pub elapsed_ms: u64,
}

/// Computes (or recomputes, keeping adjustments) every account manager's scorecard of the
/// month (administrators). A locked month is 409 `month_locked`.
#[utoipa::path(
    tag = "scorecards",
    security(("bearer" = [])),
    params(("month" = String, Path, description = "YYYY-MM", pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$")),
    responses(
        (status = 200, body = ComputeReport),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/scorecards/{month}/compute")]
pub async fn compute(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    month: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let month = month.into_inner();
    month_bounds(&month).ok_or_else(bad_month)?;
    let now = state.clock.now();
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Create,
        "scorecard_month",
        None,
        vec![FieldChange {
            field: "compute".to_owned(),
            before: serde_json::Value::Null,
            after: serde_json::json!({ "month": month }),
        }],
    );
    let started = std::time::Instant::now();
    let n = compute_month(&state.store, &month, now, &entry)
        .await?
        .ok_or_else(month_locked)?;
    Ok(HttpResponse::Ok().json(ComputeReport {
        month,
        scorecards: n,
        elapsed_ms: started.elapsed().as_millis() as u64,
    }))
}

/// Adjusts a scorecard by ±points with a reason (directors for their account managers, leaders,
/// administrators; audited). On a locked month it is recorded as a correction: linked to the
/// locked scorecard, leaving its figures as they were locked.
#[utoipa::path(
    tag = "scorecards",
    security(("bearer" = [])),
    params(
        ("month" = String, Path, description = "YYYY-MM", pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
        ("user_id" = Uuid, Path, description = "The account manager"),
    ),
    request_body = AdjustmentInput,
    responses(
        (status = 201, body = Scorecard),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/scorecards/{month}/users/{user_id}/adjustments")]
pub async fn adjust(
    Writer(auth): Writer,
    state: web::Data<AppState>,
    meta: RequestMeta,
    path: web::Path<(String, Uuid)>,
    body: ValidJson<AdjustmentInput>,
) -> ApiResult<HttpResponse> {
    if auth.integrator.is_some() || auth.user.role == Role::AccountManager {
        return Err(ApiError::Forbidden);
    }
    let (month, user) = path.into_inner();
    month_bounds(&month).ok_or(ApiError::NotFound)?;
    let (card, _) = month_cards(&state, &auth, &month, Some(user))
        .await?
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound)?;
    let input = body.0;
    input.validate().into_result(())?;
    let now = state.clock.now();
    let adjustment = Adjustment {
        id: Uuid::now_v7(),
        points: input.points.unwrap_or_default(),
        reason: input.reason.unwrap_or_default().trim().to_owned(),
        correction: card.locked_at.is_some(),
        by_name: auth.user.display_name.clone(),
        at: now,
    };
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Update,
        "scorecard",
        Some(card.id),
        vec![FieldChange {
            field: if adjustment.correction {
                "correction"
            } else {
                "adjustment"
            }
            .to_owned(),
            before: serde_json::json!({ "final_score": card.final_score }),
            after: serde_json::json!({ "points": adjustment.points, "reason": adjustment.reason }),
        }],
    );
    state
        .store
        .add_adjustment(card.id, &adjustment, auth.user.id, &entry)
        .await?;
    let (card, _) = month_cards(&state, &auth, &month, Some(user))
        .await?
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Created().json(card))
}

/// What locking did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LockReport {
    /// `YYYY-MM`.
    pub month: String,
    /// Scorecards locked.
    pub locked: u64,
}

/// Locks the month's scorecards (administrators): from now on they cannot be recomputed or
/// adjusted, only corrected. Nothing computed, or already locked: 409.
#[utoipa::path(
    tag = "scorecards",
    security(("bearer" = [])),
    params(("month" = String, Path, description = "YYYY-MM", pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$")),
    responses(
        (status = 200, body = LockReport),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/scorecards/{month}/lock")]
pub async fn lock(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    month: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let month = month.into_inner();
    month_bounds(&month).ok_or_else(bad_month)?;
    if state.store.month_locked(&month).await? {
        return Err(month_locked());
    }
    let now = state.clock.now();
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Update,
        "scorecard_month",
        None,
        vec![FieldChange {
            field: "lock".to_owned(),
            before: serde_json::Value::Null,
            after: serde_json::json!({ "month": month }),
        }],
    );
    let locked = state
        .store
        .lock_month(&month, auth.user.id, now, &entry)
        .await?;
    if locked == 0 {
        return Err(ApiError::ConflictWith(FieldError::new(
            "month",
            "not_computed",
            "the month has no scorecards yet: compute it first",
            "该月尚未计算考核，请先计算",
        )));
    }
    Ok(HttpResponse::Ok().json(LockReport { month, locked }))
}

/// The month's scorecards as an XLSX workbook for payroll (administrators and leaders): one
/// row per account manager with the five scores, the computed and final score, the bonus, and
/// corrections made after the lock.
#[utoipa::path(
    tag = "scorecards",
    security(("bearer" = [])),
    params(("month" = String, Path, description = "YYYY-MM", pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$")),
    responses(
        (status = 200, description = "XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/scorecards/{month}/export.xlsx")]
pub async fn export(
    auth: AuthUser,
    state: web::Data<AppState>,
    month: web::Path<String>,
) -> ApiResult<HttpResponse> {
    if !matches!(auth.user.role, Role::Admin | Role::Leader) || auth.integrator.is_some() {
        return Err(ApiError::Forbidden);
    }
    let month = month.into_inner();
    month_bounds(&month).ok_or_else(bad_month)?;
    let cards: Vec<Scorecard> = month_cards(&state, &auth, &month, None)
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let bytes = workbook(&month, &cards)
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("scorecard workbook: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"scorecards-{month}.xlsx\""),
        ))
        .body(bytes))
}

fn workbook(month: &str, cards: &[Scorecard]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet().set_name(format!("考核 {month}"))?;
    let mut headers = vec!["客户经理", "营销单元"];
    headers.extend(ScoreComponent::ALL.iter().map(|c| c.label_zh()));
    headers.extend([
        "计算得分",
        "审核调整",
        "最终得分",
        "奖金（元）",
        "锁定后更正",
        "状态",
    ]);
    for (i, h) in headers.iter().enumerate() {
        sheet.write_with_format(0, i as u16, *h, &bold)?;
    }
    for (r, c) in cards.iter().enumerate() {
        let row = 1 + r as u32;
        sheet.write(row, 0, &c.user_name)?;
        sheet.write(row, 1, &c.org_unit_name)?;
        for (i, comp) in c.components.iter().enumerate() {
            if let Some(s) = comp.score {
                sheet.write_number(row, 2 + i as u16, s)?;
            }
        }
        let col = 2 + ScoreComponent::ALL.len() as u16;
        sheet.write_number(row, col, c.computed_score)?;
        sheet.write_number(row, col + 1, c.adjustment_points)?;
        sheet.write_number(row, col + 2, c.final_score)?;
        sheet.write_number(row, col + 3, c.bonus_yuan)?;
        let corrections: f64 = c
            .adjustments
            .iter()
            .filter(|a| a.correction)
            .map(|a| a.points)
            .sum();
        sheet.write_number(row, col + 4, corrections)?;
        sheet.write(row, col + 5, c.status.label_zh())?;
    }
    book.save_to_buffer()
}

/// One target.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TargetInput {
    /// The account manager's username (or employee id).
    pub person: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Tonnes (0–1,000,000).
    pub target_t: f64,
}

/// Targets to save.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TargetsRequest {
    /// Rows (1–5,000).
    pub targets: Vec<TargetInput>,
}

/// What was saved.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TargetsSaved {
    /// Rows saved.
    pub saved: usize,
}

/// Resolves and checks target rows; errors are named `rows[i].<field>` with the sheet's row
/// (or the array index) as `i`.
async fn resolve_targets(
    state: &AppState,
    rows: &[(usize, String, String, String)],
) -> Result<Vec<(Uuid, String, f64)>, ApiError> {
    let people = state
        .store
        .user_records(&UserFilter {
            role: Some(Role::AccountManager),
            ..UserFilter::default()
        })
        .await?;
    let mut by_key: HashMap<String, Uuid> = HashMap::new();
    for p in &people {
        by_key.insert(p.username.clone(), p.id);
        if let Some(e) = &p.employee_id {
            by_key.entry(e.clone()).or_insert(p.id);
        }
    }
    let mut errors = ValidationErrors::new();
    let mut out = Vec::new();
    if rows.is_empty() || rows.len() > 5000 {
        errors.push(FieldError::new(
            "targets",
            "out_of_range",
            "1 to 5,000 targets at a time",
            "每次 1 至 5000 条目标",
        ));
    }
    for (i, person, month, target) in rows {
        let user = by_key.get(person.trim()).copied();
        if user.is_none() {
            errors.push(FieldError::new(
                format!("rows[{i}].person"),
                "unknown_person",
                format!("rows[{i}].person: no account manager `{person}`"),
                format!("第 {i} 行：没有客户经理“{person}”"),
            ));
        }
        if month_bounds(month.trim()).is_none() {
            errors.push(FieldError::new(
                format!("rows[{i}].month"),
                "invalid_value",
                format!("rows[{i}].month: `{month}` is not YYYY-MM"),
                format!("第 {i} 行：月份“{month}”应为 YYYY-MM"),
            ));
        }
        let value = target.trim().replace(',', "").parse::<f64>().ok();
        match value {
            Some(v) if v.is_finite() && (0.0..=1_000_000.0).contains(&v) => {
                if let Some(u) = user {
                    out.push((u, month.trim().to_owned(), v));
                }
            }
            _ => errors.push(FieldError::new(
                format!("rows[{i}].target_t"),
                "invalid_number",
                format!(
                    "rows[{i}].target_t: `{target}` is not a number of tonnes from 0 to 1,000,000"
                ),
                format!("第 {i} 行：目标“{target}”应为 0 至 1000000 的吨数"),
            )),
        }
    }
    errors.into_result(())?;
    Ok(out)
}

async fn save_targets(
    state: &AppState,
    auth: &AuthUser,
    meta: &RequestMeta,
    rows: Vec<(Uuid, String, f64)>,
    source: &str,
) -> ApiResult<HttpResponse> {
    let months: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    for m in months {
        if state.store.month_locked(m).await? {
            return Err(month_locked());
        }
    }
    let now = state.clock.now();
    let entry = meta.entry(
        auth,
        now,
        AuditAction::Update,
        "score_targets",
        None,
        vec![FieldChange {
            field: "targets".to_owned(),
            before: serde_json::Value::Null,
            after: serde_json::json!(rows
                .iter()
                .map(|(u, m, t)| serde_json::json!({"user_id": u, "month": m, "target_t": t}))
                .collect::<Vec<_>>()),
        }],
    );
    state.store.save_score_targets(&rows, now, &entry).await?;
    state
        .metrics
        .count_import_rows("score_target", source, rows.len() as u64);
    Ok(HttpResponse::Ok().json(TargetsSaved { saved: rows.len() }))
}

/// Saves monthly volume targets (administrators), all or nothing: an unknown person, a bad
/// month or a bad number anywhere refuses the whole request, row by row.
#[utoipa::path(
    tag = "scorecards",
    security(("bearer" = [])),
    request_body = TargetsRequest,
    responses(
        (status = 200, body = TargetsSaved),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/scorecards/targets")]
pub async fn put_targets(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<TargetsRequest>,
) -> ApiResult<HttpResponse> {
    let rows: Vec<(usize, String, String, String)> = body
        .0
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| (i, t.person.clone(), t.month.clone(), t.target_t.to_string()))
        .collect();
    let rows = resolve_targets(&state, &rows).await?;
    save_targets(&state, &auth, &meta, rows, "api").await
}

/// Imports monthly targets from an XLSX workbook (administrators; the body is the file): the
/// first sheet with the columns 用户名 (or 工号), 月份 (`YYYY-MM` or a date) and 目标吨数. All
/// or nothing, with per-row errors named by the sheet's row number.
#[utoipa::path(
    tag = "scorecards",
    security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses(
        (status = 200, body = TargetsSaved),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/scorecards/targets/import")]
pub async fn import_targets(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let bytes = crate::routes::imports::read_body(payload, state.max_upload_bytes).await?;
    let cells = ingest::targets::read_targets(&bytes)
        .map_err(|e| crate::routes::imports::file_error(&e))?;
    let rows: Vec<(usize, String, String, String)> = cells
        .into_iter()
        .map(|c| (c.row, c.person, c.month, c.target))
        .collect();
    let rows = resolve_targets(&state, &rows).await?;
    save_targets(&state, &auth, &meta, rows, "file:xlsx").await
}

/// The scoring scheme's versions, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SchemeHistory {
    /// In force.
    pub current: ScoreScheme,
    /// Every version (1: the built-in default), newest first.
    pub versions: Vec<ScoreScheme>,
}

/// The weights and bonus formula in force and earlier versions.
#[utoipa::path(
    tag = "scorecards",
    security(("bearer" = [])),
    responses(
        (status = 200, body = SchemeHistory),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rules/scorecard")]
pub async fn get_scheme(_auth: AuthUser, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let versions = schemes(&state.store).await?;
    Ok(HttpResponse::Ok().json(SchemeHistory {
        current: versions[0].clone(),
        versions,
    }))
}

/// Saves a new version of the scheme (administrators): weights summing to 100 and the bonus
/// formula. The next computation uses it; computed months keep theirs.
#[utoipa::path(
    tag = "scorecards",
    security(("bearer" = [])),
    request_body = ScoreScheme,
    responses(
        (status = 200, body = SchemeHistory),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/rules/scorecard")]
pub async fn put_scheme(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<ScoreScheme>,
) -> ApiResult<HttpResponse> {
    let scheme = ScoreScheme {
        version: 0,
        ..body.0
    };
    scheme.validate().into_result(())?;
    let old = schemes(&state.store).await?.remove(0);
    crate::routes::rules::save_rule_version(&state, &auth, &meta, SCHEME_KIND, &old, &scheme)
        .await?;
    let versions = schemes(&state.store).await?;
    Ok(HttpResponse::Ok().json(SchemeHistory {
        current: versions[0].clone(),
        versions,
    }))
}
