//! Visits (DESIGN §2.5): photos, the check-in from the phone (idempotent on the phone's key,
//! assessed for place and time), the day's route, the visit list and review queue, and review
//! comments that close the visit's task or raise a follow-up.

use crate::audit::RequestMeta;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_flag, parse_opt, parse_paging, ValidJson};
use crate::guard::{Reviewer, Writer};
use crate::state::AppState;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use bytes::Bytes;
use chrono::{SubsecRound, TimeDelta};
use domain::audit::{AuditAction, FieldChange};
use domain::checkin::{assess, CheckInRequest, CheckInRules, MAX_FUTURE_DEVICE_TIME_S};
use domain::geo::GeoPoint;
use domain::org::{DataScope, Role};
use domain::routing::{plan_route, DistanceMatrix, RouteShape};
use domain::task::{AssigneeLevel, TaskKind, TaskSource, TaskStatus};
use domain::visit::{
    may_review, NewVisitComment, PhotoUploaded, RouteStop, TodayRoute, Visit, VisitPage,
};
use domain::{FieldError, ValidationErrors};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use store::tasks::{NewTask, TaskFilter};
use store::visits::{NewVisit, VisitFilter, VisitSaved};
use utoipa::{IntoParams, OpenApi};
use uuid::Uuid;

type Problem = domain::error::Problem;

/// Largest photo accepted, bytes.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(upload_photo, photo_file, check_in, list_visits, get_visit, today, add_comment),
    tags((name = "visits", description = "Check-ins from the phone, visit records and reviews"))
)]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(upload_photo)
        .service(photo_file)
        .service(today)
        .service(check_in)
        .service(list_visits)
        .service(get_visit)
        .service(add_comment);
}

/// Uploads one photo taken on a visit: the raw bytes as the body with `Content-Type:
/// image/jpeg` or `image/png` (at most 5 MB). The content is checked, not the header: a file
/// that is not a decodable JPEG or PNG is refused. List the returned id in the check-in's
/// `photo_ids`.
#[utoipa::path(
    tag = "visits",
    security(("bearer" = [])),
    request_body(content(
        (Vec<u8> = "image/jpeg"),
        (Vec<u8> = "image/png"),
    )),
    responses(
        (status = 201, body = PhotoUploaded),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/visits/photos")]
pub async fn upload_photo(
    Writer(auth): Writer,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> ApiResult<HttpResponse> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !matches!(
        declared.split(';').next().unwrap_or("").trim(),
        "image/jpeg" | "image/png"
    ) {
        return Err(ApiError::UnsupportedMediaType);
    }
    if body.len() > MAX_PHOTO_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_PHOTO_BYTES,
        });
    }
    let (content_type, _thumbnail) =
        crate::routes::documents::check_page(&body, "photo").map_err(ApiError::field)?;
    if content_type == "application/pdf" {
        return Err(ApiError::field(FieldError::new(
            "photo",
            "unsupported_type",
            "a visit photo must be a JPEG or PNG image",
            "走访照片必须是 JPEG 或 PNG 图片",
        )));
    }
    let id = Uuid::now_v7();
    let ext = domain::archive::extension_for(content_type);
    let key = format!("visits/{}/{id}.{ext}", auth.user.id);
    let sha = crate::auth::hex(&Sha256::digest(&body));
    state
        .files
        .put(&key, body.clone())
        .await
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("photo storage: {e}")))?;
    let now = state.clock.now();
    state
        .store
        .save_visit_photo(&store::visits::NewPhoto {
            id,
            user_id: auth.user.id,
            content_type,
            size: body.len() as u64,
            sha256: &sha,
            key: &key,
            created_at: now,
        })
        .await?;
    Ok(HttpResponse::Created().json(PhotoUploaded {
        id,
        content_type: content_type.to_owned(),
        size: body.len() as u64,
    }))
}

/// A visit photo's bytes (its uploader, or anyone who may see a visit that lists it).
#[utoipa::path(
    tag = "visits",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Photo id")),
    responses(
        (status = 200, description = "The photo as uploaded", content(
            (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "image/png"),
        )),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/visits/photos/{id}")]
pub async fn photo_file(
    auth: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let scope = auth.scope(&state.store.org_tree().await?);
    let (content_type, key) = state
        .store
        .visit_photo(id.into_inner(), &scope, auth.user.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let bytes = state
        .files
        .get(&key)
        .await
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("photo storage: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "private, max-age=86400"))
        .body(bytes))
}

/// The content hash of a check-in: equal for a faithful replay, different for anything else
/// sent under the same key. `sent_at` is left out: it says when this copy was sent, so each
/// retry from the phone's queue carries a new one for the same check-in.
fn request_hash(request: &CheckInRequest) -> String {
    let content = CheckInRequest {
        sent_at: None,
        ..request.clone()
    };
    let canonical = serde_json::to_vec(&content).unwrap_or_default();
    crate::auth::hex(&Sha256::digest(&canonical))
}

/// Records a check-in with its visit record. The server measures the distance to the client's
/// registered location (verified within 500 m plus the reported accuracy up to 200 m, else
/// `off_site` — accepted and flagged) and flags a device clock more than 10 minutes off.
/// Sending the same `idempotency_key` again with the same content returns the first visit
/// (200); with different content it is a 409 and nothing changes. A check-in for a task
/// names the task; only its assignees may answer it.
#[utoipa::path(
    tag = "visits",
    security(("bearer" = [])),
    request_body = CheckInRequest,
    responses(
        (status = 201, body = Visit, description = "Recorded"),
        (status = 200, body = Visit, description = "Already recorded under this key"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/visits")]
pub async fn check_in(
    Writer(auth): Writer,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<CheckInRequest>,
) -> ApiResult<HttpResponse> {
    if auth.integrator.is_some() {
        return Err(ApiError::Forbidden);
    }
    let request = body.0.normalised();
    request.validate()?;
    let now = state.clock.now();
    let hash = request_hash(&request);
    let scope = auth.scope_from(&state.store).await?;
    let context = state
        .store
        .check_in_context(
            request.client_id,
            &scope,
            auth.user.id,
            &request.idempotency_key,
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut errors = ValidationErrors::new();
    if request.device_time > now + TimeDelta::seconds(MAX_FUTURE_DEVICE_TIME_S) {
        errors.push(FieldError::new(
            "device_time",
            "future_time",
            "device_time: more than a day ahead of the server's clock",
            "device_time：比服务器时间超前一天以上",
        ));
    }
    if let Some(task_id) = request.task_id {
        match state.store.task_for_check_in(task_id, auth.user.id).await? {
            None => errors.push(FieldError::not_found("task_id")),
            Some((kind, task_client, status, assigned)) => {
                if !assigned {
                    errors.push(FieldError::new(
                        "task_id",
                        "not_assigned",
                        "task_id: the task is not assigned to you",
                        "task_id：该任务不是分配给您的",
                    ));
                } else if task_client != request.client_id {
                    errors.push(FieldError::new(
                        "task_id",
                        "invalid_value",
                        "task_id: the task is for another client",
                        "task_id：该任务属于其他客户",
                    ));
                } else if !matches!(kind, TaskKind::Visit | TaskKind::FollowUp) {
                    errors.push(FieldError::invalid_value(
                        "task_id",
                        "only a visit or follow-up task is answered by a check-in",
                        "只有走访或跟进任务可以打卡",
                    ));
                } else if !status.is_active() {
                    errors.push(FieldError::invalid_value(
                        "task_id",
                        "the task is already closed",
                        "该任务已办结",
                    ));
                }
            }
        }
    }
    let own = state
        .store
        .own_visit_photos(auth.user.id, &request.photo_ids)
        .await?;
    for (i, photo) in request.photo_ids.iter().enumerate() {
        if !own.contains(photo) {
            errors.push(FieldError::not_found(&format!("photo_ids[{i}]")));
        }
    }
    // A replay is answered before the checks that depend on the moment (a task closed since).
    if let Some((id, stored_hash)) = context.earlier {
        return replayed(&state, &scope, auth.user.id, id, &stored_hash, &hash).await;
    }
    errors.into_result(())?;
    let rules = CheckInRules::default();
    let assessment = assess(
        context.location,
        request.position,
        request.accuracy_m,
        request.clock_reading(),
        now,
        &rules,
    );
    let visit = NewVisit {
        id: Uuid::now_v7(),
        user_id: auth.user.id,
        client_id: request.client_id,
        task_id: request.task_id,
        idempotency_key: request.idempotency_key.clone(),
        request_hash: hash.clone(),
        // Microseconds, as both databases keep them: the answer equals what a replay reads.
        device_time: request.device_time.trunc_subsecs(6),
        sent_at: request.sent_at.map(|t| t.trunc_subsecs(6)),
        received_at: now.trunc_subsecs(6),
        position: request.position,
        accuracy_m: request.accuracy_m,
        assessment,
        record: request.record.clone(),
        photo_ids: request.photo_ids.clone(),
    };
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Create,
        "visit",
        Some(visit.id),
        vec![FieldChange {
            field: "check_in".to_owned(),
            before: serde_json::Value::Null,
            after: serde_json::json!({
                "client_id": visit.client_id,
                "task_id": visit.task_id,
                "verdict": assessment.verdict,
                "distance_m": assessment.distance_m,
            }),
        }],
    );
    match state.store.save_visit(&visit, &entry).await? {
        // What was stored, as stored: no second read.
        VisitSaved::Created(id) => Ok(HttpResponse::Created().json(Visit {
            id,
            idempotency_key: visit.idempotency_key,
            client_id: visit.client_id,
            client_name: context.client_name,
            task_id: visit.task_id,
            user_id: visit.user_id,
            user_name: auth.user.display_name,
            device_time: visit.device_time,
            sent_at: visit.sent_at,
            received_at: visit.received_at,
            position: visit.position,
            accuracy_m: visit.accuracy_m,
            assessment: visit.assessment,
            record: visit.record,
            photo_ids: visit.photo_ids,
            reviewed_at: None,
            comments: Vec::new(),
        })),
        VisitSaved::Existing { id, request_hash } => {
            replayed(&state, &scope, auth.user.id, id, &request_hash, &hash).await
        }
    }
}

async fn replayed(
    state: &AppState,
    scope: &DataScope,
    user_id: Uuid,
    id: Uuid,
    stored_hash: &str,
    hash: &str,
) -> ApiResult<HttpResponse> {
    if stored_hash != hash {
        return Err(ApiError::ConflictWith(FieldError::new(
            "idempotency_key",
            "conflict",
            "idempotency_key: already used for a different check-in",
            "idempotency_key：已用于另一条不同内容的打卡",
        )));
    }
    let visit = state
        .store
        .visit(id, scope, user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(visit))
}

/// The signed-in user's active visit and follow-up tasks due today or earlier, ordered as a
/// route from their unit's base (exact for up to 10 stops, 2-opt and Or-opt beyond); stops
/// without a location come last.
#[utoipa::path(
    tag = "visits",
    security(("bearer" = [])),
    responses(
        (status = 200, body = TodayRoute),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/visits/today")]
pub async fn today(auth: AuthUser, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let today = state.clock.now().date_naive();
    let tree = state.store.org_tree().await?;
    let mut tasks = Vec::new();
    for kind in [TaskKind::Visit, TaskKind::FollowUp] {
        let filter = TaskFilter {
            kind: Some(kind),
            assignee: Some(auth.user.id),
            active: true,
            due_until: Some(today),
            page: 1,
            per_page: 200,
            ..TaskFilter::default()
        };
        let (items, _) = state
            .store
            .list_tasks(&filter, &auth.scope(&tree), Some(auth.user.id), today)
            .await?;
        tasks.extend(items.into_iter().filter(|t| t.status == TaskStatus::Open));
    }
    let ids: Vec<Uuid> = tasks.iter().map(|t| t.client_id).collect();
    let clients = state.store.stop_clients(&ids).await?;
    let base = state.store.user_base(auth.user.id).await?;
    let (located, unlocated): (Vec<_>, Vec<_>) = tasks
        .into_iter()
        .filter_map(|t| clients.get(&t.client_id).cloned().map(|c| (t, c)))
        .partition(|(_, c)| c.location.is_some());
    let points: Vec<GeoPoint> = located.iter().filter_map(|(_, c)| c.location).collect();
    let start = base.or_else(|| points.first().copied());
    let mut stops = Vec::with_capacity(located.len() + unlocated.len());
    let mut route_length_m = 0.0;
    if let Some(start) = start {
        let matrix = DistanceMatrix::haversine(&start, &points);
        let route = plan_route(&matrix, RouteShape::Open);
        let mut previous = start;
        let mut located: Vec<Option<_>> = located.into_iter().map(Some).collect();
        for index in route.order {
            let Some((task, client)) = located.get_mut(index).and_then(Option::take) else {
                continue;
            };
            let here = client.location.unwrap_or(previous);
            let leg = previous.distance_m(&here);
            route_length_m += leg;
            previous = here;
            stops.push((task, client, Some(leg)));
        }
    }
    stops.extend(unlocated.into_iter().map(|(t, c)| (t, c, None)));
    Ok(HttpResponse::Ok().json(TodayRoute {
        date: today,
        base,
        route_length_m: route_length_m.round(),
        stops: stops
            .into_iter()
            .enumerate()
            .map(|(i, (task, client, leg_m))| RouteStop {
                order: i as u32 + 1,
                task,
                client,
                leg_m: leg_m.map(f64::round),
            })
            .collect(),
    }))
}

/// Filters of the visit list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitListParams {
    /// Only my own visits.
    #[param(value_type = Option<bool>)]
    pub mine: Option<String>,
    /// Only this client's visits.
    #[param(value_type = Option<Uuid>)]
    pub client_id: Option<String>,
    /// The review queue: visits not yet reviewed by anyone, made by people the caller reviews.
    #[param(value_type = Option<bool>)]
    pub unreviewed: Option<String>,
    /// With `unreviewed`: only those waiting more than this many days (at most 3650).
    #[param(value_type = Option<u32>, maximum = 3650)]
    pub older_than_days: Option<String>,
    /// Page from 1.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Rows per page (1–200, default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
}

/// Visits of the clients the caller may see (and their own), newest first; the review queue
/// with `unreviewed=true`.
#[utoipa::path(
    tag = "visits",
    security(("bearer" = [])),
    params(VisitListParams),
    responses(
        (status = 200, body = VisitPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/visits")]
pub async fn list_visits(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<VisitListParams>,
) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    let mut errors = ValidationErrors::new();
    let mine = parse_opt(&mut errors, "mine", &p.mine, |s| s.parse::<bool>().ok()).unwrap_or(false);
    let client_id = parse_opt(&mut errors, "client_id", &p.client_id, |s| {
        Uuid::parse_str(s).ok()
    });
    let older = parse_opt(&mut errors, "older_than_days", &p.older_than_days, |s| {
        s.parse::<u32>().ok().filter(|d| *d <= 3650)
    });
    let unreviewed = parse_flag(&mut errors, "unreviewed", &p.unreviewed);
    let (page, per_page) = parse_paging(&mut errors, &p.page, &p.per_page);
    errors.into_result(())?;
    let reviewed_roles = |role: Role| -> Vec<Role> {
        [Role::AccountManager, Role::Director]
            .into_iter()
            .filter(|author| may_review(role, *author))
            .collect()
    };
    let filter = VisitFilter {
        user_id: mine.then_some(auth.user.id),
        client_id,
        unreviewed,
        received_before: older.map(|d| state.clock.now() - TimeDelta::days(i64::from(d))),
        author_roles: unreviewed.then(|| reviewed_roles(auth.user.role)),
        page,
        per_page,
    };
    let scope = auth.scope(&state.store.org_tree().await?);
    let (items, total) = state.store.list_visits(&filter, &scope).await?;
    Ok(HttpResponse::Ok().json(VisitPage {
        items,
        total,
        page,
        per_page,
    }))
}

/// One visit with its review comments.
#[utoipa::path(
    tag = "visits",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Visit id")),
    responses(
        (status = 200, body = Visit),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/visits/{id}")]
pub async fn get_visit(
    auth: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let scope = auth.scope(&state.store.org_tree().await?);
    let visit = state
        .store
        .visit(id.into_inner(), &scope, auth.user.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(visit))
}

/// Reviews a visit: directors comment on account managers' visits, leaders on directors' (and
/// account managers'). The first comment marks the visit reviewed. Without a follow-up the
/// visit's task closes with the visit as its evidence; with one, the task becomes `reviewed`
/// and a follow-up task is raised for the visit's author.
#[utoipa::path(
    tag = "visits",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Visit id")),
    request_body = NewVisitComment,
    responses(
        (status = 201, body = Visit),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/visits/{id}/comments")]
pub async fn add_comment(
    Reviewer(auth): Reviewer,
    state: web::Data<AppState>,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: Bytes,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let scope = auth.scope(&state.store.org_tree().await?);
    // Out of scope is 404 whatever the body says.
    let visit = state
        .store
        .visit_for_review(id.into_inner(), &scope)
        .await?
        .ok_or(ApiError::NotFound)?;
    let comment: NewVisitComment = crate::extract::parse_json_body(&req, &body)?;
    comment.validate(now.date_naive())?;
    if visit.user_id == auth.user.id || !may_review(auth.user.role, visit.user_role) {
        return Err(ApiError::Forbidden);
    }
    let follow_up = comment.follow_up.as_ref().map(|f| NewTask {
        id: Uuid::now_v7(),
        kind: TaskKind::FollowUp,
        source: TaskSource::ReviewComment,
        client_id: visit.client_id,
        title: f.title.trim().to_owned(),
        title_en: f.title.trim().to_owned(),
        detail: comment.body.trim().to_owned(),
        detail_en: comment.body.trim().to_owned(),
        due_date: f.due_date,
        tier: None,
        document_id: None,
        dedupe_key: None,
        assignees: vec![(visit.user_id, AssigneeLevel::for_role(visit.user_role))],
        created_at: now,
    });
    let comment_id = Uuid::now_v7();
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Create,
        "visit_comment",
        Some(comment_id),
        vec![FieldChange {
            field: "comment".to_owned(),
            before: serde_json::Value::Null,
            after: serde_json::json!({
                "visit_id": visit.id,
                "body": comment.body.trim(),
                "follow_up_task_id": follow_up.as_ref().map(|t| t.id),
            }),
        }],
    );
    state
        .store
        .add_visit_comment(
            &visit,
            comment_id,
            auth.user.id,
            comment.body.trim(),
            follow_up.as_ref(),
            now,
            &entry,
        )
        .await?;
    let saved = state
        .store
        .visit(visit.id, &scope, auth.user.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Created().json(saved))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn the_hash_sees_every_field_but_not_the_order_of_nothing() {
        let json = serde_json::json!({
            "client_id": Uuid::nil(), "idempotency_key": "k", "device_time": Utc::now(),
            "position": {"lat": 28.0, "lon": 113.0}, "accuracy_m": 10.0,
            "record": {"purpose": "走访", "outcome": "正常"}
        });
        let a: CheckInRequest = serde_json::from_value(json.clone()).expect("request");
        let mut b = a.clone();
        assert_eq!(request_hash(&a), request_hash(&b));
        b.accuracy_m = 11.0;
        assert_ne!(request_hash(&a), request_hash(&b));
    }
}
