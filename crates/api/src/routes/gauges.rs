//! Tank-gauge readings in (液位仪, DESIGN §2.8): each batch updates the tanks' consumption
//! rate and days until empty, and raises one replenishment-call task per tank and episode
//! (refill to refill) when a tank will run dry within the threshold (3 days by default).

use crate::audit::RequestMeta;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::guard::Admin;
use crate::routes::sales::{batch_size_error, conflicts_error, resolve_clients, BatchResponse};
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, TimeDelta, Utc};
use domain::audit::{AuditAction, FieldChange};
use domain::gauge::{check_gauge_reading, needs_replenishment, tank_status, GaugeRules};
use domain::sales::Product;
use domain::task::{AssigneeLevel, TaskKind, TaskSource};
use domain::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};
use store::gauges::{NewReading, ReadingsOutcome, TankRecord};
use store::tasks::NewTask;
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

type Problem = domain::error::Problem;

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(ingest_readings, client_tanks))]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(ingest_readings).service(client_tanks);
}

/// One gauge reading.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingLine {
    /// The station by our id …
    #[serde(default)]
    pub client_id: Option<Uuid>,
    /// … or by its USCC.
    #[serde(default)]
    pub client_uscc: Option<String>,
    /// The station's own tank code (1–64 characters).
    pub tank_code: String,
    /// Product in the tank.
    pub product: Product,
    /// Capacity, litres (more than 0).
    pub capacity_litres: f64,
    /// Level, litres (0 to capacity + 5 %).
    pub level_litres: f64,
    /// When it was read (not more than 10 minutes ahead of the server).
    pub read_at: DateTime<Utc>,
}

/// A batch of readings, 1–5,000.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingBatchRequest {
    /// The readings.
    pub readings: Vec<ReadingLine>,
}

/// What a readings batch did.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ReadingBatchResponse {
    /// Counts.
    #[serde(flatten)]
    pub batch: BatchResponse,
    /// Replenishment-call tasks raised by this batch.
    pub tasks_created: u64,
    /// The tanks with new readings and their status now.
    pub tanks: Vec<TankView>,
}

/// A tank and what its readings say.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct TankView {
    /// Identifier.
    pub id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// Tank code.
    pub tank_code: String,
    /// Product.
    pub product: Product,
    /// Capacity, litres.
    pub capacity_litres: f64,
    /// Last level, litres.
    pub last_level_litres: Option<f64>,
    /// Last reading.
    pub last_read_at: Option<DateTime<Utc>>,
    /// Litres drawn per day.
    pub consumption_litres_per_day: Option<f64>,
    /// Days until empty at that rate.
    pub days_until_empty: Option<f64>,
    /// The current episode's start (the last refill).
    pub episode_started_at: Option<DateTime<Utc>>,
}

impl From<TankRecord> for TankView {
    fn from(t: TankRecord) -> Self {
        Self {
            id: t.id,
            client_id: t.client_id,
            tank_code: t.tank_code,
            product: t.product,
            capacity_litres: t.capacity_litres,
            last_level_litres: t.last_level_litres,
            last_read_at: t.last_read_at,
            consumption_litres_per_day: t.consumption_litres_per_day,
            days_until_empty: t.days_until_empty,
            episode_started_at: t.episode_started_at,
        }
    }
}

/// The dedupe key of a tank's replenishment call: one per tank and episode.
fn replenish_key(tank: Uuid, episode: Option<DateTime<Utc>>) -> String {
    match episode {
        Some(at) => format!("replenish:{tank}:{}", at.timestamp()),
        None => format!("replenish:{tank}:first"),
    }
}

/// Stores tank-gauge readings (administrators or `gauges:write` tokens), idempotent on
/// (station, tank, time) and all or nothing; then recomputes each touched tank's consumption
/// and days until empty from its last 60 days of readings and raises a replenishment-call
/// task for the station's account manager when it will run dry within 3 days — once per
/// episode between refills.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = ReadingBatchRequest,
    responses(
        (status = 200, body = ReadingBatchResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/gauges/readings")]
pub async fn ingest_readings(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<ReadingBatchRequest>,
) -> ApiResult<HttpResponse> {
    let lines = body.0.readings;
    if let Some(e) = batch_size_error("readings", lines.len()) {
        return Err(ApiError::field(e));
    }
    let now = state.clock.now();
    let mut errors = ValidationErrors::new();
    let prefixes: Vec<String> = (0..lines.len())
        .map(|i| format!("readings[{i}]."))
        .collect();
    let refs = lines
        .iter()
        .zip(&prefixes)
        .map(|(l, p)| (p.as_str(), l.client_id, l.client_uscc.as_deref()));
    let clients = resolve_clients(&state, refs, &mut errors).await?;
    let mut readings = Vec::with_capacity(lines.len());
    for ((l, prefix), client) in lines.iter().zip(&prefixes).zip(clients) {
        let code = l.tank_code.trim();
        if code.is_empty() {
            errors.push(FieldError::required(&format!("{prefix}tank_code")));
        } else if code.chars().count() > 64 {
            errors.push(FieldError::too_long(&format!("{prefix}tank_code"), 64));
        }
        let problems = check_gauge_reading(prefix, l.level_litres, l.capacity_litres);
        let fine = problems.is_empty();
        for e in problems {
            errors.push(e);
        }
        if l.read_at > now + TimeDelta::minutes(10) {
            errors.push(FieldError::new(
                format!("{prefix}read_at"),
                "future_time",
                format!(
                    "{prefix}read_at: {} is in the future",
                    l.read_at.to_rfc3339()
                ),
                format!("{prefix}read_at：{} 是未来时间", l.read_at.to_rfc3339()),
            ));
            continue;
        }
        if let Some(client_id) = client.filter(|_| fine && !code.is_empty()) {
            readings.push(NewReading {
                client_id,
                tank_code: code.to_owned(),
                product: l.product,
                capacity_litres: l.capacity_litres,
                level_litres: l.level_litres,
                read_at: l.read_at,
            });
        }
    }
    errors.into_result(())?;
    let audit = meta.entry(
        &auth,
        now,
        AuditAction::Create,
        "gauge_reading_batch",
        None,
        vec![FieldChange {
            field: "batch".to_owned(),
            before: serde_json::Value::Null,
            after: serde_json::json!({ "rows": readings.len() }),
        }],
    );
    let (inserted, unchanged, touched) =
        match state.store.ingest_readings(&readings, &audit, now).await? {
            ReadingsOutcome::Written {
                inserted,
                unchanged,
                tanks,
            } => (inserted, unchanged, tanks),
            ReadingsOutcome::Conflicts(keys) => return Err(conflicts_error("read_at", &keys)),
        };
    state
        .metrics
        .count_import_rows("gauge_reading", "api", lines.len() as u64);
    let rules = GaugeRules::default();
    let mut tasks = Vec::new();
    let mut views = Vec::with_capacity(touched.len());
    for (tank_id, client_id) in touched {
        let history = state
            .store
            .tank_readings(tank_id, now - TimeDelta::days(60))
            .await?;
        let Some(tank) = state.store.tank(tank_id).await? else {
            continue;
        };
        if let Some(status) = tank_status(&history, tank.capacity_litres, &rules) {
            state.store.set_tank_status(tank_id, &status, now).await?;
            if needs_replenishment(&status, rules.replenish_threshold_days) {
                if let Some(client) = state.store.client_record(client_id).await? {
                    let days = status.days_until_empty.unwrap_or(0.0);
                    let due = (status.last_reading_at
                        + TimeDelta::minutes((days.max(0.0) * 1440.0) as i64))
                    .date_naive()
                    .max(now.date_naive());
                    let rate = status.consumption_litres_per_day.unwrap_or(0.0);
                    tasks.push(NewTask {
                        id: Uuid::now_v7(),
                        kind: TaskKind::ReplenishCall,
                        source: TaskSource::TankGauge,
                        client_id,
                        title: format!("补货提醒：{} {} 号罐", client.1, tank.tank_code),
                        title_en: format!("Replenishment call: {} tank {}", client.1, tank.tank_code),
                        detail: format!(
                            "{} 液位 {:.0} 升（容量 {:.0} 升），日耗 {:.0} 升，约 {:.1} 天后见底",
                            tank.product.label_zh(),
                            status.last_level,
                            tank.capacity_litres,
                            rate,
                            days
                        ),
                        detail_en: format!(
                            "{}: level {:.0} L of {:.0} L, drawing {:.0} L/day, empty in about {:.1} days",
                            tank.product.label_en(),
                            status.last_level,
                            tank.capacity_litres,
                            rate,
                            days
                        ),
                        due_date: due,
                        tier: None,
                        document_id: None,
                        dedupe_key: Some(replenish_key(tank_id, status.episode_started_at)),
                        assignees: vec![(client.0, AssigneeLevel::AccountManager)],
                        created_at: now,
                    });
                }
            }
        }
        if let Some(tank) = state.store.tank(tank_id).await? {
            views.push(TankView::from(tank));
        }
    }
    let tasks_created = if tasks.is_empty() {
        0
    } else {
        state.store.create_tasks(&tasks, None).await?
    };
    Ok(HttpResponse::Ok().json(ReadingBatchResponse {
        batch: BatchResponse {
            received: lines.len() as u64,
            inserted,
            unchanged,
        },
        tasks_created,
        tanks: views,
    }))
}

/// A client's tanks with consumption and days until empty.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, body = [TankView]),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/clients/{id}/tanks")]
pub async fn client_tanks(
    auth: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    crate::routes::clients::visible_client(&state, &auth, id).await?;
    let tanks: Vec<TankView> = state
        .store
        .client_tanks(id)
        .await?
        .into_iter()
        .map(TankView::from)
        .collect();
    Ok(HttpResponse::Ok().json(tanks))
}
