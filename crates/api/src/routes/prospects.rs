//! The prospect development pipeline (DESIGN §2.6): prospects entered from market surveys as
//! client records with a pipeline beside them, duplicate checks on USCC and on similar names in
//! the same county, stage changes by rule, and the conversion funnel. The first sales order for
//! a prospect's USCC (batch API or file import) makes it a client by itself.

use crate::audit::RequestMeta;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_opt, parse_paging, ValidJson};
use crate::guard::Writer;
use crate::jobs::Supervisors;
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use domain::audit::{AuditAction, FieldChange};
use domain::org::{OrgLevel, Role};
use domain::prospect::{
    check_stage_change, funnel, similar_names, FunnelFact, FunnelRow, NewProspect, PipelineStage,
    Prospect, SimilarName, StageChange,
};
use domain::task::AssigneeLevel;
use domain::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::prospects::{ProspectFilter, ProspectRow};
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

type Problem = domain::error::Problem;

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(list_prospects, create_prospect, get_prospect, change_stage, similar_prospects, funnel_report),
    tags((name = "prospects", description = "The prospect development pipeline"))
)]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_prospects)
        .service(create_prospect)
        .service(similar_prospects)
        .service(funnel_report)
        .service(get_prospect)
        .service(change_stage);
}

/// One page of prospects.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProspectPage {
    /// Rows.
    pub items: Vec<Prospect>,
    /// Matching rows over all pages.
    pub total: u64,
    /// Page from 1.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
}

fn stage_filters() -> utoipa::openapi::Object {
    crate::extract::one_of_schema(PipelineStage::ALL.iter().map(|s| s.code()).chain(["open"]))
}

/// Filters and paging of the prospect list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProspectListParams {
    /// Only this stage; `open` for identified, contacted and negotiating.
    #[param(schema_with = stage_filters)]
    pub stage: Option<String>,
    /// `true`: only those the caller is responsible for (as account manager, director or
    /// leader).
    #[param(value_type = Option<bool>)]
    pub mine: Option<String>,
    /// Name contains.
    pub q: Option<String>,
    /// Page number from 1.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Rows per page, 1–200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
}

/// Prospects whose client is in the caller's scope, newest first (the kanban asks per stage).
#[utoipa::path(
    tag = "prospects",
    security(("bearer" = [])),
    params(ProspectListParams),
    responses(
        (status = 200, body = ProspectPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/prospects")]
pub async fn list_prospects(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<ProspectListParams>,
) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    let mut errors = ValidationErrors::new();
    let stage = parse_opt(&mut errors, "stage", &p.stage, |s| match s {
        "open" => Some(None),
        other => PipelineStage::from_code(other).map(Some),
    });
    let mine = crate::extract::parse_flag(&mut errors, "mine", &p.mine);
    let (page, per_page) = parse_paging(&mut errors, &p.page, &p.per_page);
    errors.into_result(())?;
    let scope = auth.scope_from(&state.store).await?;
    let filter = ProspectFilter {
        stage: stage.flatten(),
        open: matches!(stage, Some(None)),
        responsible: mine.then_some(auth.user.id),
        q: p.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
        page,
        per_page,
    };
    let (items, total) = state.store.list_prospects(&filter, &scope).await?;
    Ok(HttpResponse::Ok().json(ProspectPage {
        items,
        total,
        page,
        per_page,
    }))
}

fn prefixed(e: ApiError, prefix: &str) -> ApiError {
    match e {
        ApiError::Validation(ValidationErrors(errors)) => ApiError::Validation(ValidationErrors(
            errors
                .into_iter()
                .map(|mut f| {
                    f.field = format!("{prefix}{}", f.field);
                    f
                })
                .collect(),
        )),
        other => other,
    }
}

/// Checks a named director or leader: an active user of that role.
async fn check_person(
    state: &AppState,
    errors: &mut ValidationErrors,
    field: &str,
    id: Option<Uuid>,
    role: Role,
) -> Result<(), ApiError> {
    if let Some(id) = id {
        match state.store.user(id).await? {
            Some(u) if u.role == role => {}
            Some(_) => errors.push(FieldError::invalid_value(
                field,
                &format!("must be an active {}", role.label_en().to_lowercase()),
                &format!("必须是在岗的{}", role.label_zh()),
            )),
            None => errors.push(FieldError::not_found(field)),
        }
    }
    Ok(())
}

/// Enters a prospect (anyone who may write, for a county in their scope): its archive fields
/// under `client` (validated as any client's; `client.uscc` taken is 409 naming the record that
/// holds it) and its pipeline, starting at `identified`. Its director and leader default to the
/// nearest above its county. Clients with similar names in the same county make it 409
/// `similar_names` listing them, unless `confirm_similar` is true.
#[utoipa::path(
    tag = "prospects",
    security(("bearer" = [])),
    request_body = NewProspect,
    responses(
        (status = 201, body = Prospect),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/prospects")]
pub async fn create_prospect(
    Writer(auth): Writer,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<NewProspect>,
) -> ApiResult<HttpResponse> {
    if auth.integrator.is_some() {
        return Err(ApiError::Forbidden);
    }
    let request = NewProspect {
        client: body.0.client.normalized(),
        previous_channel: body
            .0
            .previous_channel
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        source: body
            .0
            .source
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        ..body.0
    };
    let mut errors = request.validate_pipeline();
    if let Err(ValidationErrors(client_errors)) = request.client.validate() {
        for mut e in client_errors {
            e.field = format!("client.{}", e.field);
            errors.push(e);
        }
    }
    errors.into_result(())?;
    let tree = state.store.org_tree().await?;
    let scope = auth.scope(&tree);
    crate::routes::clients::check_references(&state, &tree, &request.client, &scope)
        .await
        .map_err(|e| prefixed(e, "client."))?;
    let mut errors = ValidationErrors::new();
    check_person(
        &state,
        &mut errors,
        "director_id",
        request.director_id,
        Role::Director,
    )
    .await?;
    check_person(
        &state,
        &mut errors,
        "leader_id",
        request.leader_id,
        Role::Leader,
    )
    .await?;
    errors.into_result(())?;
    if let Some((id, name, prospect)) = state.store.client_by_uscc(&request.client.uscc).await? {
        let what = if prospect { "潜在客户" } else { "客户" };
        return Err(ApiError::ConflictWith(FieldError::new(
            "client.uscc",
            "duplicate",
            format!("client.uscc: already registered to {name} ({id})"),
            format!("client.uscc：该信用代码已登记为{what}“{name}”（{id}）"),
        )));
    }
    if !request.confirm_similar {
        let alike = similar_names(
            &request.client.name,
            state
                .store
                .names_in_unit(request.client.org_unit_id)
                .await?,
        );
        if !alike.is_empty() {
            let names: Vec<String> = alike
                .iter()
                .map(|s| format!("{} ({})", s.name, s.client_id))
                .collect();
            return Err(ApiError::ConflictWith(FieldError::new(
                "client.name",
                "similar_names",
                format!(
                    "client.name: similar names in the same county: {}; send confirm_similar to create anyway",
                    names.join(", ")
                ),
                format!(
                    "client.name：同一县区已有名称相近的客户：{}；确认不是同一家后请勾选“仍然创建”",
                    names.join("，")
                ),
            )));
        }
    }
    let supervisors = Supervisors::load(&state.store).await?;
    let unit = request.client.org_unit_id;
    let pipeline = ProspectRow {
        director_id: request
            .director_id
            .or_else(|| supervisors.nearest(unit, AssigneeLevel::Director)),
        leader_id: request
            .leader_id
            .or_else(|| supervisors.nearest(unit, AssigneeLevel::Leader)),
        est_monthly_demand_t: request.est_monthly_demand_t,
        previous_channel: request.previous_channel.clone(),
        source: request.source.clone(),
    };
    let id = Uuid::new_v4();
    let now = state.clock.now();
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Create,
        "prospect",
        Some(id),
        vec![FieldChange {
            field: "prospect".to_owned(),
            before: serde_json::Value::Null,
            after: serde_json::json!({
                "client": request.client,
                "stage": PipelineStage::Identified,
                "director_id": pipeline.director_id,
                "leader_id": pipeline.leader_id,
                "est_monthly_demand_t": pipeline.est_monthly_demand_t,
                "previous_channel": pipeline.previous_channel,
                "source": pipeline.source,
            }),
        }],
    );
    state
        .store
        .insert_prospect(id, &request.client, &pipeline, now, &entry)
        .await?;
    let prospect = state
        .store
        .prospect(id, &domain::org::DataScope::All)
        .await?
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("prospect {id} vanished")))?;
    Ok(HttpResponse::Created().json(prospect))
}

/// One prospect (its id is its client record's id).
#[utoipa::path(
    tag = "prospects",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The prospect's client id")),
    responses(
        (status = 200, body = Prospect),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/prospects/{id}")]
pub async fn get_prospect(
    auth: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let scope = auth.scope_from(&state.store).await?;
    let p = state
        .store
        .prospect(id.into_inner(), &scope)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(p))
}

/// Moves a prospect one stage on (identified → contacted → negotiating), to `lost` with a
/// reason, or from lost back to identified. `won` is refused (409 `won_needs_order`): the first
/// sales order for its USCC makes it won; a skipped stage is 409 `stage_skipped`.
#[utoipa::path(
    tag = "prospects",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The prospect's client id")),
    request_body = StageChange,
    responses(
        (status = 200, body = Prospect),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/prospects/{id}/stage")]
pub async fn change_stage(
    Writer(auth): Writer,
    state: web::Data<AppState>,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: ValidJson<StageChange>,
) -> ApiResult<HttpResponse> {
    if auth.integrator.is_some() {
        return Err(ApiError::Forbidden);
    }
    let scope = auth.scope_from(&state.store).await?;
    let current = state
        .store
        .prospect(id.into_inner(), &scope)
        .await?
        .ok_or(ApiError::NotFound)?;
    let Some(to) = body.0.stage else {
        return Err(ApiError::field(FieldError::required("stage")));
    };
    let reason = body
        .0
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > domain::prospect::limits::TEXT) {
        return Err(ApiError::field(FieldError::too_long(
            "reason",
            domain::prospect::limits::TEXT,
        )));
    }
    if let Err(refused) = check_stage_change(current.stage, to, reason) {
        let (field, code, en, zh) = refused.describe();
        let error = FieldError::new(field, code, en, zh);
        return Err(if refused.is_conflict() {
            ApiError::ConflictWith(error)
        } else {
            ApiError::field(error)
        });
    }
    let reason = (to == PipelineStage::Lost).then_some(reason).flatten();
    let now = state.clock.now();
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Update,
        "prospect",
        Some(current.client_id),
        vec![FieldChange {
            field: "stage".to_owned(),
            before: serde_json::json!({"stage": current.stage, "lost_reason": current.lost_reason}),
            after: serde_json::json!({"stage": to, "lost_reason": reason}),
        }],
    );
    if !state
        .store
        .set_prospect_stage(current.client_id, current.stage, to, reason, now, &entry)
        .await?
    {
        return Err(ApiError::ConflictWith(FieldError::new(
            "stage",
            "changed",
            "the prospect was changed meanwhile; reload it",
            "潜在客户已被他人更新，请刷新后重试",
        )));
    }
    let p = state
        .store
        .prospect(current.client_id, &scope)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(p))
}

/// The name to check and where.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimilarParams {
    /// The name about to be entered.
    pub name: String,
    /// Its county.
    pub org_unit_id: Uuid,
}

/// Clients (and prospects) in the county whose names are likely the same company: the warning
/// the form shows before creating.
#[utoipa::path(
    tag = "prospects",
    security(("bearer" = [])),
    params(SimilarParams),
    responses(
        (status = 200, body = Vec<SimilarName>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/prospects/similar")]
pub async fn similar_prospects(
    _auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<SimilarParams>,
) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    let found = similar_names(&p.name, state.store.names_in_unit(p.org_unit_id).await?);
    Ok(HttpResponse::Ok().json(found))
}

/// The conversion funnel of a period.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FunnelReport {
    /// First day (China time).
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Everything in scope.
    pub total: FunnelRow,
    /// Per city (prospects of county units counted under their city), most entered first.
    pub by_unit: Vec<FunnelRow>,
}

/// The period of the funnel.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FunnelParams {
    /// First day a prospect was entered (YYYY-MM-DD; default a year before `to`).
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Last day (default today).
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
}

/// Prospects entered in the period, per city: how many are at each stage now, the conversion
/// rate, the mean days from entry to the first order, and the won prospects' estimated monthly
/// demand against what they bought per month since.
#[utoipa::path(
    tag = "prospects",
    security(("bearer" = [])),
    params(FunnelParams),
    responses(
        (status = 200, body = FunnelReport),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/prospects/funnel")]
pub async fn funnel_report(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<FunnelParams>,
) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    let mut errors = ValidationErrors::new();
    let today = domain::china_date(state.clock.now());
    let (from, to) = crate::extract::parse_period(&mut errors, &p.from, &p.to, today, 365, 3660);
    errors.into_result(())?;
    let scope = auth.scope_from(&state.store).await?;
    let units = state.store.org_units().await?;
    let by_id: HashMap<Uuid, &domain::org::OrgUnit> = units.iter().map(|u| (u.id, u)).collect();
    let city = |mut id: Uuid| -> (Uuid, String) {
        let start = id;
        while let Some(u) = by_id.get(&id) {
            if u.level == OrgLevel::City {
                return (u.id, u.name.clone());
            }
            match u.parent_id {
                Some(parent) => id = parent,
                None => break,
            }
        }
        (
            start,
            by_id
                .get(&start)
                .map(|u| u.name.clone())
                .unwrap_or_default(),
        )
    };
    let facts: Vec<FunnelFact> = state
        .store
        .funnel_facts(from, to, &scope)
        .await?
        .into_iter()
        .map(|mut f| {
            (f.org_unit_id, f.org_unit_name) = city(f.org_unit_id);
            f
        })
        .collect();
    let (by_unit, total) = funnel(&facts, today);
    Ok(HttpResponse::Ok().json(FunnelReport {
        from,
        to,
        total,
        by_unit,
    }))
}
