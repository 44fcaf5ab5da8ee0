//! Client intelligence out (DESIGN §2.2, §2.3): the dashboard, the classification list with
//! reasons, class transitions, a client's intelligence panel, and churn reasons.

use crate::audit::RequestMeta;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_opt, parse_paging, ValidJson};
use crate::guard::Writer;
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::{Datelike, Months, NaiveDate, TimeZone, Utc};
use domain::analytics::{
    ChurnReasonRecord, ClassCount, ClientIntel, ClientIntelResponse, DashboardResponse, GradeCount,
    KeyClientShare, ProductMonthVolume, TransitionsSummary, UnitBreakdown, VolumeTrendPoint,
};
use domain::audit::{AuditAction, FieldChange};
use domain::classification::{ChurnReason, ClientClass};
use domain::grading::Grade;
use domain::org::{subtree, DataScope, OrgUnit};
use domain::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::intel::{IntelCountRow, IntelFilter, IntelSort, NewChurnReason, TopList};
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

type Problem = domain::error::Problem;

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        dashboard,
        list_classification,
        list_transitions,
        churn_reason_report,
        client_intel,
        record_churn_reason
    ),
    tags((name = "analytics", description = "Grades, dynamic classes with reasons, P(alive), the dashboard"))
)]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(dashboard)
        .service(list_classification)
        .service(list_transitions)
        .service(churn_reason_report)
        .service(client_intel)
        .service(record_churn_reason);
}

/// The caller's scope narrowed to `focus`'s subtree, and the unit the figures are about.
/// A focus outside the caller's scope is 404; account managers keep their own clients.
fn focused_scope(
    auth: &AuthUser,
    tree: &[(Uuid, Option<Uuid>)],
    focus: Option<Uuid>,
) -> ApiResult<(DataScope, Option<Uuid>)> {
    let scope = auth.scope(tree);
    let Some(focus) = focus else {
        return Ok((scope, None));
    };
    if !tree.iter().any(|(id, _)| *id == focus) {
        return Err(ApiError::NotFound);
    }
    match scope {
        DataScope::All => Ok((DataScope::Units(subtree(tree, focus)), Some(focus))),
        DataScope::Units(units) => {
            if units.contains(&focus) {
                Ok((DataScope::Units(subtree(tree, focus)), Some(focus)))
            } else {
                Err(ApiError::NotFound)
            }
        }
        DataScope::Owner(owner) => {
            if subtree(tree, focus).contains(&auth.user.org_unit_id) {
                Ok((DataScope::Owner(owner), None))
            } else {
                Err(ApiError::NotFound)
            }
        }
    }
}

/// The child of `root` that holds `unit` (`root` itself for `root`); `None` outside it.
pub(crate) fn child_of(
    parent: &HashMap<Uuid, Option<Uuid>>,
    root: Uuid,
    mut unit: Uuid,
) -> Option<Uuid> {
    if unit == root {
        return Some(root);
    }
    // The org tree is at most province → city → county → team deep.
    for _ in 0..8 {
        let up = parent.get(&unit).copied().flatten()?;
        if up == root {
            return Some(unit);
        }
        unit = up;
    }
    None
}

/// The unit whose children the dashboard breaks the figures down by.
pub(crate) fn breakdown_root(
    units: &[OrgUnit],
    auth: &AuthUser,
    focus: Option<Uuid>,
) -> Option<Uuid> {
    focus
        .or_else(|| (auth.integrator.is_none()).then_some(auth.user.org_unit_id))
        .filter(|id| units.iter().any(|u| u.id == *id))
        .or_else(|| units.iter().find(|u| u.parent_id.is_none()).map(|u| u.id))
}

fn class_counts(counts: &HashMap<ClientClass, u64>) -> Vec<ClassCount> {
    ClientClass::ALL
        .iter()
        .map(|c| ClassCount {
            class: *c,
            clients: counts.get(c).copied().unwrap_or(0),
        })
        .collect()
}

fn grade_counts(counts: &HashMap<Option<Grade>, u64>) -> Vec<GradeCount> {
    Grade::ALL
        .iter()
        .map(|g| Some(*g))
        .chain([None])
        .map(|g| GradeCount {
            grade: g,
            clients: counts.get(&g).copied().unwrap_or(0),
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    clients: u64,
    tonnes_12m: f64,
    by_class: HashMap<ClientClass, u64>,
    by_grade: HashMap<Option<Grade>, u64>,
}

impl Tally {
    fn add(&mut self, row: &IntelCountRow) {
        self.clients += row.clients;
        self.tonnes_12m += row.tonnes_12m;
        *self.by_class.entry(row.class).or_default() += row.clients;
        *self.by_grade.entry(row.grade).or_default() += row.clients;
    }
}

/// The month `n` months before `month` (`YYYY-MM`).
fn month_back(date: NaiveDate, n: u32) -> String {
    let first = date.with_day(1).unwrap_or(date);
    let m = first.checked_sub_months(Months::new(n)).unwrap_or(first);
    format!("{:04}-{:02}", m.year(), m.month())
}

/// The last 12 months with the same months a year earlier.
fn volume_trend(volumes: &[ProductMonthVolume], as_of: NaiveDate) -> Vec<VolumeTrendPoint> {
    let by_key: HashMap<(&str, domain::sales::Product), f64> = volumes
        .iter()
        .map(|v| ((v.month.as_str(), v.product), v.tonnes))
        .collect();
    let earliest = volumes.iter().map(|v| v.month.as_str()).min();
    let mut products: Vec<domain::sales::Product> = volumes.iter().map(|v| v.product).collect();
    products.sort();
    products.dedup();
    let mut out = Vec::new();
    for n in (0..12u32).rev() {
        let month = month_back(as_of, n);
        let year_ago = month_back(as_of, n + 12);
        for product in &products {
            let tonnes = by_key
                .get(&(month.as_str(), *product))
                .copied()
                .unwrap_or(0.0);
            let covered = earliest.is_some_and(|e| e <= year_ago.as_str());
            out.push(VolumeTrendPoint {
                month: month.clone(),
                product: *product,
                tonnes: (tonnes * 1000.0).round() / 1000.0,
                tonnes_year_ago: covered.then(|| {
                    let t = by_key
                        .get(&(year_ago.as_str(), *product))
                        .copied()
                        .unwrap_or(0.0);
                    (t * 1000.0).round() / 1000.0
                }),
            });
        }
    }
    out
}

/// Query of the dashboard.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardParams {
    /// Only this org unit's subtree (within the caller's scope; others 404).
    #[param(value_type = Option<Uuid>)]
    pub org_unit_id: Option<String>,
}

fn parse_unit(errors: &mut ValidationErrors, value: &Option<String>) -> Option<Uuid> {
    parse_opt(errors, "org_unit_id", value, |s| s.parse::<Uuid>().ok())
}

/// The dashboard's figures over the caller's scope (or one unit of it), as of the last
/// recompute: clients by class and grade with a breakdown by the child units, class changes
/// this week and over four weeks, monthly volume by product with year-on-year, key-client
/// share, prepaid not lifted, and the top at-risk clients by expected volume at risk.
#[utoipa::path(
    tag = "analytics",
    security(("bearer" = [])),
    params(DashboardParams),
    responses(
        (status = 200, body = DashboardResponse),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/analytics/dashboard")]
pub async fn dashboard(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<DashboardParams>,
) -> ApiResult<HttpResponse> {
    let mut errors = ValidationErrors::new();
    let focus = parse_unit(&mut errors, &params.org_unit_id);
    errors.into_result(())?;
    let units = state.store.org_units().await?;
    let tree: Vec<(Uuid, Option<Uuid>)> = units.iter().map(|u| (u.id, u.parent_id)).collect();
    let (scope, focus) = focused_scope(&auth, &tree, focus)?;
    // The independent reads run together (each on its own pooled connection).
    let (run, counts, weeks, top_at_risk, top_prepaid) = futures_util::try_join!(
        state.store.latest_intel_run(),
        state.store.intel_counts(&scope),
        state.store.snapshot_weeks(5),
        state.store.top_clients(&scope, TopList::AtRisk, 20),
        state.store.top_clients(&scope, TopList::Prepaid, 20),
    )?;
    // Each county's figures go to the child of the root that holds it.
    let root = breakdown_root(&units, &auth, focus);
    let parent: HashMap<Uuid, Option<Uuid>> = tree.iter().copied().collect();
    let mut total = Tally::default();
    let mut per_unit: HashMap<Uuid, Tally> = HashMap::new();
    let (mut key_clients, mut key_tonnes, mut buying, mut prepaid) = (0u64, 0.0f64, 0u64, 0.0f64);
    for row in &counts {
        total.add(row);
        prepaid += row.prepaid_t;
        if row.grade.is_some() {
            buying += row.clients;
        }
        if row.key_client {
            key_clients += row.clients;
            key_tonnes += row.tonnes_12m;
        }
        if let Some(unit) = root.and_then(|root| child_of(&parent, root, row.org_unit_id)) {
            per_unit.entry(unit).or_default().add(row);
        }
    }
    let names: HashMap<Uuid, &OrgUnit> = units.iter().map(|u| (u.id, u)).collect();
    let mut breakdown: Vec<UnitBreakdown> = per_unit
        .into_iter()
        .filter_map(|(id, tally)| {
            Some(UnitBreakdown {
                org_unit_id: id,
                name: names.get(&id)?.name.clone(),
                clients: tally.clients,
                by_class: class_counts(&tally.by_class),
                by_grade: grade_counts(&tally.by_grade),
                tonnes_12m: (tally.tonnes_12m * 1000.0).round() / 1000.0,
            })
        })
        .collect();
    breakdown.sort_by(|a, b| {
        let code = |id: &Uuid| names.get(id).map(|u| u.code.clone()).unwrap_or_default();
        code(&a.org_unit_id).cmp(&code(&b.org_unit_id))
    });
    let transitions = |from: Option<NaiveDate>| {
        let to = weeks.first().copied();
        let scope = scope.clone();
        let store = state.store.clone();
        async move {
            let (Some(from), Some(to)) = (from, to) else {
                return Ok::<_, ApiError>(TransitionsSummary {
                    from_week: from,
                    to_week: to,
                    changes: vec![],
                    changed: 0,
                });
            };
            let changes = store.transitions(from, to, &scope).await?;
            Ok(TransitionsSummary {
                from_week: Some(from),
                to_week: Some(to),
                changed: changes.iter().map(|c| c.clients).sum(),
                changes,
            })
        }
    };
    let month_from = weeks
        .get(4)
        .or(weeks.last())
        .copied()
        .filter(|w| weeks.len() > 1 && Some(*w) != weeks.first().copied());
    let as_of = run.as_ref().map(|r| r.as_of);
    let trend_date = as_of.unwrap_or_else(|| state.clock.now().date_naive());
    let volumes = async {
        Ok::<_, ApiError>(match &scope {
            DataScope::Owner(owner) => {
                let from = NaiveDate::parse_from_str(
                    &format!("{}-01", month_back(trend_date, 23)),
                    "%Y-%m-%d",
                )
                .unwrap_or(trend_date);
                state
                    .store
                    .monthly_by_product(None, Some(*owner), from, trend_date)
                    .await?
            }
            DataScope::Units(units) => {
                state
                    .store
                    .unit_monthly_volume(Some(units), &month_back(trend_date, 23))
                    .await?
            }
            DataScope::All => {
                state
                    .store
                    .unit_monthly_volume(None, &month_back(trend_date, 23))
                    .await?
            }
        })
    };
    let (transitions_week, transitions_month, volumes) = futures_util::try_join!(
        transitions(weeks.get(1).copied()),
        transitions(month_from),
        volumes,
    )?;
    let response = DashboardResponse {
        as_of,
        computed_at: run.as_ref().map(|r| r.started_at),
        org_unit_id: focus,
        clients: total.clients,
        by_class: class_counts(&total.by_class),
        by_grade: grade_counts(&total.by_grade),
        units: breakdown,
        transitions_week,
        transitions_month,
        volume_trend: volume_trend(&volumes, trend_date),
        key_clients: KeyClientShare {
            key_clients,
            buying_clients: buying,
            volume_share: if total.tonnes_12m > 0.0 {
                key_tonnes / total.tonnes_12m
            } else {
                0.0
            },
            client_share: if buying > 0 {
                key_clients as f64 / buying as f64
            } else {
                0.0
            },
        },
        top_at_risk,
        top_prepaid,
        prepaid_not_lifted_t: (prepaid * 1000.0).round() / 1000.0,
        tonnes_12m: (total.tonnes_12m * 1000.0).round() / 1000.0,
    };
    Ok(HttpResponse::Ok().json(response))
}

fn intel_sorts() -> utoipa::openapi::Object {
    crate::extract::one_of_schema(["volume_at_risk", "p_alive", "tonnes_12m", "name"])
}

/// Filters of the classification list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClassificationParams {
    /// Only this class.
    #[param(value_type = Option<ClientClass>)]
    pub class: Option<String>,
    /// Only this grade.
    #[param(value_type = Option<Grade>)]
    pub grade: Option<String>,
    /// Only key clients (`true`) or the others (`false`).
    #[param(value_type = Option<bool>)]
    pub key_client: Option<String>,
    /// Only this org unit's subtree.
    #[param(value_type = Option<Uuid>)]
    pub org_unit_id: Option<String>,
    /// `volume_at_risk` (default), `p_alive`, `tonnes_12m` or `name`.
    #[param(schema_with = intel_sorts)]
    pub sort: Option<String>,
    /// Page from 1.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Rows per page, 1–200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
}

/// One page of the classification list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClassificationPage {
    /// Rows.
    pub items: Vec<ClientIntel>,
    /// Matching rows.
    pub total: u64,
    /// Page.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
}

/// Every client in scope with its grade, class, reasons (numbers and a sentence), P(alive) and
/// expected volume at risk, as of the last recompute; by default most volume at risk first.
#[utoipa::path(
    tag = "analytics",
    security(("bearer" = [])),
    params(ClassificationParams),
    responses(
        (status = 200, body = ClassificationPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/analytics/classification")]
pub async fn list_classification(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<ClassificationParams>,
) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    let mut errors = ValidationErrors::new();
    let class = parse_opt(&mut errors, "class", &p.class, ClientClass::from_code);
    let grade = parse_opt(&mut errors, "grade", &p.grade, Grade::from_code);
    let key_client = parse_opt(&mut errors, "key_client", &p.key_client, |s| match s {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    });
    let focus = parse_unit(&mut errors, &p.org_unit_id);
    let sort = parse_opt(&mut errors, "sort", &p.sort, |s| match s {
        "volume_at_risk" => Some(IntelSort::VolumeAtRisk),
        "p_alive" => Some(IntelSort::PAlive),
        "tonnes_12m" => Some(IntelSort::Tonnes12m),
        "name" => Some(IntelSort::Name),
        _ => None,
    })
    .unwrap_or_default();
    let (page, per_page) = parse_paging(&mut errors, &p.page, &p.per_page);
    errors.into_result(())?;
    let tree = state.store.org_tree().await?;
    let (scope, _) = focused_scope(&auth, &tree, focus)?;
    let filter = IntelFilter {
        class,
        grade,
        key_client,
        units: None,
        sort,
        page,
        per_page,
    };
    let (items, total) = state.store.list_intel(&filter, &scope).await?;
    Ok(HttpResponse::Ok().json(ClassificationPage {
        items,
        total,
        page,
        per_page,
    }))
}

/// Query of the transitions.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransitionParams {
    /// Earlier snapshot: any day of its week (default: the week before `to_week`).
    #[param(value_type = Option<NaiveDate>)]
    pub from_week: Option<String>,
    /// Later snapshot: any day of its week (default: the latest).
    #[param(value_type = Option<NaiveDate>)]
    pub to_week: Option<String>,
    /// Only this org unit's subtree.
    #[param(value_type = Option<Uuid>)]
    pub org_unit_id: Option<String>,
}

/// Class changes between two weekly snapshots, counted per (from, to) class: how many
/// stable clients became declining, how many churned ones returned.
#[utoipa::path(
    tag = "analytics",
    security(("bearer" = [])),
    params(TransitionParams),
    responses(
        (status = 200, body = TransitionsSummary),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/analytics/transitions")]
pub async fn list_transitions(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<TransitionParams>,
) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    let mut errors = ValidationErrors::new();
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let from = parse_opt(&mut errors, "from_week", &p.from_week, date).map(store::intel::week_of);
    let to = parse_opt(&mut errors, "to_week", &p.to_week, date).map(store::intel::week_of);
    let focus = parse_unit(&mut errors, &p.org_unit_id);
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            errors.push(FieldError::new(
                "from_week",
                "out_of_range",
                "from_week must be before to_week",
                "from_week 必须早于 to_week",
            ));
        }
    }
    errors.into_result(())?;
    let tree = state.store.org_tree().await?;
    let (scope, _) = focused_scope(&auth, &tree, focus)?;
    let weeks = state.store.snapshot_weeks(200).await?;
    let to = to.or_else(|| weeks.first().copied());
    let from = from.or_else(|| to.and_then(|t| weeks.iter().copied().find(|w| *w < t)));
    let summary = match (from, to) {
        (Some(from), Some(to)) => {
            let changes = state.store.transitions(from, to, &scope).await?;
            TransitionsSummary {
                from_week: Some(from),
                to_week: Some(to),
                changed: changes.iter().map(|c| c.clients).sum(),
                changes,
            }
        }
        (from, to) => TransitionsSummary {
            from_week: from,
            to_week: to,
            changes: vec![],
            changed: 0,
        },
    };
    Ok(HttpResponse::Ok().json(summary))
}

/// Query of the churn-reason report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChurnReportParams {
    /// Only this org unit's subtree.
    #[param(value_type = Option<Uuid>)]
    pub org_unit_id: Option<String>,
    /// From this day (default: a year before `until`).
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Until this day inclusive (default today).
    #[param(value_type = Option<NaiveDate>)]
    pub until: Option<String>,
}

/// Clients of one reason under one unit.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChurnReasonUnitCount {
    /// The unit (a child of the report's unit).
    pub org_unit_id: Uuid,
    /// Its name.
    pub name: String,
    /// The reason.
    pub reason: ChurnReason,
    /// Clients.
    pub clients: u64,
}

/// The churn-reason report.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChurnReasonReport {
    /// Period start.
    pub from: NaiveDate,
    /// Period end (inclusive).
    pub until: NaiveDate,
    /// Clients per reason over the scope (every reason present).
    pub by_reason: Vec<ChurnReasonTotal>,
    /// Clients per reason and child unit.
    pub by_unit: Vec<ChurnReasonUnitCount>,
}

/// Clients of one reason.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChurnReasonTotal {
    /// The reason.
    pub reason: ChurnReason,
    /// Clients.
    pub clients: u64,
}

/// Churned clients by recorded reason (natural, competitor, service fault, deliberate) and by
/// org unit over a period; each client counts once, with its latest reason.
#[utoipa::path(
    tag = "analytics",
    security(("bearer" = [])),
    params(ChurnReportParams),
    responses(
        (status = 200, body = ChurnReasonReport),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/analytics/churn-reasons")]
pub async fn churn_reason_report(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<ChurnReportParams>,
) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    let mut errors = ValidationErrors::new();
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let focus = parse_unit(&mut errors, &p.org_unit_id);
    let until = parse_opt(&mut errors, "until", &p.until, date)
        .unwrap_or_else(|| state.clock.now().date_naive());
    let from = parse_opt(&mut errors, "from", &p.from, date)
        .unwrap_or_else(|| until - chrono::TimeDelta::days(365));
    if from > until {
        errors.push(FieldError::new(
            "from",
            "out_of_range",
            "from must not be after until",
            "from 不能晚于 until",
        ));
    }
    errors.into_result(())?;
    let units = state.store.org_units().await?;
    let tree: Vec<(Uuid, Option<Uuid>)> = units.iter().map(|u| (u.id, u.parent_id)).collect();
    let (scope, focus) = focused_scope(&auth, &tree, focus)?;
    let start = Utc.from_utc_datetime(&from.and_hms_opt(0, 0, 0).unwrap_or_default());
    let end = Utc.from_utc_datetime(&until.and_hms_opt(23, 59, 59).unwrap_or_default());
    let counts = state.store.churn_reason_counts(&scope, start, end).await?;
    let root = breakdown_root(&units, &auth, focus);
    let parent: HashMap<Uuid, Option<Uuid>> = tree.iter().copied().collect();
    let names: HashMap<Uuid, String> = units.iter().map(|u| (u.id, u.name.clone())).collect();
    let mut by_reason: HashMap<ChurnReason, u64> = HashMap::new();
    let mut by_unit: HashMap<(Uuid, ChurnReason), u64> = HashMap::new();
    for c in &counts {
        *by_reason.entry(c.reason).or_default() += c.clients;
        let unit = root
            .and_then(|root| child_of(&parent, root, c.org_unit_id))
            .unwrap_or(c.org_unit_id);
        *by_unit.entry((unit, c.reason)).or_default() += c.clients;
    }
    let mut by_unit: Vec<ChurnReasonUnitCount> = by_unit
        .into_iter()
        .map(|((unit, reason), clients)| ChurnReasonUnitCount {
            org_unit_id: unit,
            name: names.get(&unit).cloned().unwrap_or_default(),
            reason,
            clients,
        })
        .collect();
    by_unit.sort_by(|a, b| a.name.cmp(&b.name).then(a.reason.cmp(&b.reason)));
    Ok(HttpResponse::Ok().json(ChurnReasonReport {
        from,
        until,
        by_reason: ChurnReason::ALL
            .iter()
            .map(|r| ChurnReasonTotal {
                reason: *r,
                clients: by_reason.get(r).copied().unwrap_or(0),
            })
            .collect(),
        by_unit,
    }))
}

/// A client's intelligence panel: current grade, class with reasons, P(alive) and volume at
/// risk, grade history, weekly class history, monthly volume by product (24 months) and the
/// churn reasons recorded.
#[utoipa::path(
    tag = "analytics",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, body = ClientIntelResponse),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/clients/{id}/intel")]
pub async fn client_intel(
    auth: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    crate::routes::clients::visible_client(&state, &auth, id).await?;
    let current = state.store.client_intel(id).await?;
    let until = current
        .as_ref()
        .map(|c| c.as_of)
        .unwrap_or_else(|| state.clock.now().date_naive());
    let from = NaiveDate::parse_from_str(&format!("{}-01", month_back(until, 23)), "%Y-%m-%d")
        .unwrap_or(until);
    Ok(HttpResponse::Ok().json(ClientIntelResponse {
        current,
        grade_history: state.store.client_grade_history(id).await?,
        class_history: state.store.client_class_history(id).await?,
        monthly_by_product: state
            .store
            .monthly_by_product(Some(id), None, from, until)
            .await?,
        churn_reasons: state.store.churn_reasons_of(id).await?,
    }))
}

/// A churn reason to record.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChurnReasonRequest {
    /// Why the client left (required; read after the client's visibility is checked, so a
    /// client out of scope is 404 whatever the body).
    #[serde(default)]
    #[schema(value_type = ChurnReason, required = true)]
    pub reason: Option<ChurnReason>,
    /// For `competitor` (required then): who it buys from now, up to 100 characters.
    #[serde(default)]
    pub competitor: Option<String>,
    /// For `competitor`: their price minus ours, yuan per tonne (−5,000 to 5,000).
    #[serde(default)]
    pub price_gap_yuan_per_t: Option<f64>,
    /// A note, up to 1,000 characters.
    #[serde(default)]
    pub note: Option<String>,
    /// For `service_fault`: the client's service ticket that caused it (`/api/v1/tickets`).
    #[serde(default)]
    pub ticket_id: Option<Uuid>,
}

/// Records why a churned client left (account managers for their clients, directors,
/// leaders, administrators). The client must be churned in the latest classification (409
/// otherwise). A competitor reason needs the competitor's name.
#[utoipa::path(
    tag = "analytics",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id")),
    request_body = ChurnReasonRequest,
    responses(
        (status = 201, body = ChurnReasonRecord),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/clients/{id}/churn-reasons")]
pub async fn record_churn_reason(
    Writer(auth): Writer,
    state: web::Data<AppState>,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: ValidJson<ChurnReasonRequest>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    crate::routes::clients::visible_client(&state, &auth, id).await?;
    let body = body.0;
    let mut errors = ValidationErrors::new();
    let Some(reason) = body.reason else {
        return Err(ApiError::field(FieldError::required("reason")));
    };
    fn text(v: &Option<String>) -> Option<String> {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }
    let competitor = text(&body.competitor);
    let note = text(&body.note);
    if reason == ChurnReason::Competitor && competitor.is_none() {
        errors.push(FieldError::required("competitor"));
    }
    if competitor.as_ref().is_some_and(|c| c.chars().count() > 100) {
        errors.push(FieldError::too_long("competitor", 100));
    }
    if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
        errors.push(FieldError::too_long("note", 1000));
    }
    let gap = match body.price_gap_yuan_per_t {
        Some(g) if !g.is_finite() || !(-5000.0..=5000.0).contains(&g) => {
            errors.push(FieldError::out_of_range(
                "price_gap_yuan_per_t",
                -5000.0,
                5000.0,
            ));
            None
        }
        Some(g) => Some((g * 100.0).round() as i64),
        None => None,
    };
    if let Some(ticket) = body.ticket_id {
        if reason != ChurnReason::ServiceFault {
            errors.push(FieldError::invalid_value(
                "ticket_id",
                "only a service_fault reason links to a service ticket",
                "只有“过失流失”可以关联服务工单",
            ));
        } else if !state.store.ticket_of_client(ticket, id).await? {
            errors.push(FieldError::not_found("ticket_id"));
        }
    }
    errors.into_result(())?;
    let current = state.store.client_intel(id).await?;
    if current.as_ref().map(|c| c.class) != Some(ClientClass::Churned) {
        return Err(ApiError::ConflictWith(FieldError::new(
            "reason",
            "client_not_churned",
            "A churn reason is recorded only for a client classified as churned",
            "只有被分类为流失的客户才能记录流失原因",
        )));
    }
    let now = state.clock.now();
    let new = NewChurnReason {
        id: Uuid::now_v7(),
        client_id: id,
        reason,
        competitor: competitor.clone(),
        price_gap_fen_per_t: gap,
        note: note.clone(),
        ticket_id: body.ticket_id,
        recorded_by: auth.user.id,
        recorded_at: now,
    };
    let audit = meta.entry(
        &auth,
        now,
        AuditAction::Create,
        "churn_reason",
        Some(id),
        vec![FieldChange {
            field: "reason".to_owned(),
            before: serde_json::Value::Null,
            after: serde_json::json!({
                "reason": reason.code(),
                "competitor": competitor,
                "price_gap_yuan_per_t": gap.map(|g| g as f64 / 100.0),
                "note": note,
                "ticket_id": body.ticket_id,
            }),
        }],
    );
    state.store.record_churn_reason(&new, &audit).await?;
    let record = ChurnReasonRecord {
        id: new.id,
        client_id: id,
        reason: new.reason,
        competitor: new.competitor,
        price_gap_yuan_per_t: gap.map(|g| g as f64 / 100.0),
        note: new.note,
        ticket_id: new.ticket_id,
        recorded_by: auth.user.id,
        recorded_by_name: auth.user.display_name.clone(),
        recorded_at: now,
    };
    Ok(HttpResponse::Created().json(record))
}
