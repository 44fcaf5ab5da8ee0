//! Field reports: visit effectiveness (DESIGN §2.4 闭环 — did the visited declining, at-risk
//! and churned clients buy again within 30/60/90 days?) and the visit map.

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::routes::analytics::{breakdown_root, child_of};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use chrono::TimeDelta;
use domain::china_date;
use domain::effectiveness::{
    measure, EffectivenessReport, EffectivenessRow, BASELINE_DAYS, WINDOWS,
};
use domain::visit::VisitMap;
use std::collections::HashMap;
use utoipa::OpenApi;
use uuid::Uuid;

type Problem = domain::error::Problem;

/// Visits older than this many days are no longer reported (their windows closed long ago).
const LOOKBACK_DAYS: i64 = 365;

/// Check-ins drawn on the map: the last 30 days.
const MAP_VISIT_DAYS: i64 = 30;

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(effectiveness, visit_map),
    tags((name = "field", description = "Visit effectiveness and the visit map"))
)]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(effectiveness).service(visit_map);
}

/// Recovery of the clients visited on dynamic-class tasks in the last year, within the caller's
/// scope: per visit, its volume 30/60/90 days after against the 90 days before (a window counts
/// once it has passed), summed per visitor and per unit below the caller's.
#[utoipa::path(
    tag = "field",
    security(("bearer" = [])),
    responses(
        (status = 200, body = EffectivenessReport),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/analytics/effectiveness")]
pub async fn effectiveness(auth: AuthUser, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let as_of = china_date(now);
    let units = state.store.org_units().await?;
    let tree: Vec<(Uuid, Option<Uuid>)> = units.iter().map(|u| (u.id, u.parent_id)).collect();
    let scope = auth.scope(&tree);
    let since = now - TimeDelta::days(LOOKBACK_DAYS);
    let visits = state.store.measured_visits(&scope, since).await?;
    let mut clients: Vec<Uuid> = visits.iter().map(|v| v.client_id).collect();
    clients.sort();
    clients.dedup();
    let from = china_date(since) - TimeDelta::days(BASELINE_DAYS);
    let sales = state.store.daily_tonnes(&clients, from).await?;
    let parent: HashMap<Uuid, Option<Uuid>> = tree.iter().copied().collect();
    let names: HashMap<Uuid, &str> = units.iter().map(|u| (u.id, u.name.as_str())).collect();
    let root = breakdown_root(&units, &auth, None);
    let mut total = EffectivenessRow::new(root.unwrap_or_default(), String::new());
    if let Some(root) = root {
        total.name = names.get(&root).copied().unwrap_or_default().to_owned();
    }
    let mut assignees: HashMap<Uuid, EffectivenessRow> = HashMap::new();
    let mut by_unit: HashMap<Uuid, EffectivenessRow> = HashMap::new();
    for v in &visits {
        let outcomes = measure(
            china_date(v.received_at),
            sales.get(&v.client_id).map(Vec::as_slice).unwrap_or(&[]),
            as_of,
        );
        total.add(&outcomes, v.class_now);
        assignees
            .entry(v.user_id)
            .or_insert_with(|| EffectivenessRow::new(v.user_id, v.user_name.clone()))
            .add(&outcomes, v.class_now);
        if let Some(unit) = root.and_then(|r| child_of(&parent, r, v.org_unit_id)) {
            by_unit
                .entry(unit)
                .or_insert_with(|| {
                    let name = names.get(&unit).copied().unwrap_or_default();
                    EffectivenessRow::new(unit, name.to_owned())
                })
                .add(&outcomes, v.class_now);
        }
    }
    total.finish();
    let rows = |map: HashMap<Uuid, EffectivenessRow>| {
        let mut rows: Vec<EffectivenessRow> = map
            .into_values()
            .map(|mut r| {
                r.finish();
                r
            })
            .collect();
        rows.sort_by(|a, b| b.visits.cmp(&a.visits).then(a.name.cmp(&b.name)));
        rows
    };
    Ok(HttpResponse::Ok().json(EffectivenessReport {
        as_of,
        windows: WINDOWS.to_vec(),
        total,
        assignees: rows(assignees),
        units: rows(by_unit),
    }))
}

/// The visit map's points: the clients in the caller's scope that have a location, with their
/// class and grade, and the check-ins of the last 30 days; and the configured tile server.
#[utoipa::path(
    tag = "field",
    security(("bearer" = [])),
    responses(
        (status = 200, body = VisitMap),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/analytics/map")]
pub async fn visit_map(auth: AuthUser, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let scope = auth.scope(&state.store.org_tree().await?);
    let (clients, visits) = state
        .store
        .map_points(&scope, now - TimeDelta::days(MAP_VISIT_DAYS))
        .await?;
    Ok(HttpResponse::Ok().json(VisitMap {
        tile_url: state.map_tile_url.clone(),
        clients,
        visits,
    }))
}
