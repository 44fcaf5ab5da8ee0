//! Client service: tickets raised from the phone, by staff or by a call-centre system, their
//! response and resolution targets, the steps people take, the return visit that closes them,
//! the SLA rule set and the service report (JSON and XLSX).

use crate::audit::RequestMeta;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_flag, parse_opt, parse_paging, ValidJson};
use crate::guard::{Admin, Writer};
use crate::state::AppState;
use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use domain::audit::{AuditAction, FieldChange};
use domain::org::Role;
use domain::service::{
    apply_action, service_report, NewTicket, ReturnVisitInput, ServiceReport, Severity, SlaPolicy,
    Ticket, TicketAction, TicketChannel, TicketEventKind, TicketStatus, TicketType,
};
use domain::task::AssigneeLevel;
use domain::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};
use store::tickets::{NewTicketEvent, NewTicketRow, TicketChange, TicketFilter, TicketSaved};
use store::StoreError;
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

type Problem = domain::error::Problem;

/// The rule-set kind of the SLA targets.
pub const SLA_RULES_KIND: &str = "service_sla";

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        list_tickets,
        create_ticket,
        get_ticket,
        ticket_action,
        return_visit,
        get_sla_rules,
        put_sla_rules,
        report,
        report_xlsx
    ),
    tags((name = "service", description = "Client service: complaints, requests and inquiries with SLA, return visits and the service report"))
)]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_tickets)
        .service(create_ticket)
        .service(get_ticket)
        .service(ticket_action)
        .service(return_visit)
        .service(get_sla_rules)
        .service(put_sla_rules)
        .service(report_xlsx)
        .service(report);
}

/// The SLA targets in force and the version they are.
pub async fn sla_in_force(store: &store::Store) -> Result<SlaPolicy, StoreError> {
    Ok(
        match store.latest_rule_set::<SlaPolicy>(SLA_RULES_KIND).await? {
            Some((version, policy)) => SlaPolicy { version, ..policy },
            None => SlaPolicy::default(),
        },
    )
}

/// One page of tickets.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketPage {
    /// Rows (without their timelines).
    pub items: Vec<Ticket>,
    /// Matching rows over all pages.
    pub total: u64,
    /// Page, from 1.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
}

fn ticket_statuses() -> utoipa::openapi::Object {
    crate::extract::one_of_schema(TicketStatus::ALL.iter().map(|s| s.code()).chain(["active"]))
}

/// Filters and paging of the ticket list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketListParams {
    /// Only this status; `active` for everything not closed.
    #[param(schema_with = ticket_statuses)]
    pub status: Option<String>,
    /// Only this type.
    #[param(value_type = Option<TicketType>)]
    pub ticket_type: Option<String>,
    /// Only this severity.
    #[param(value_type = Option<Severity>)]
    pub severity: Option<String>,
    /// Only tickets escalated to this level or higher (`director`, `leader`).
    #[param(value_type = Option<AssigneeLevel>)]
    pub level: Option<String>,
    /// `true`: only tickets with a target breached.
    #[param(value_type = Option<bool>)]
    pub breached: Option<String>,
    /// Only this client.
    #[param(value_type = Option<Uuid>)]
    pub client_id: Option<String>,
    /// `true`: only tickets assigned to the caller.
    #[param(value_type = Option<bool>)]
    pub mine: Option<String>,
    /// Page number from 1.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Rows per page, 1–200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
}

/// Tickets of the clients in the caller's scope, newest first, with their clocks.
#[utoipa::path(
    tag = "service",
    security(("bearer" = [])),
    params(TicketListParams),
    responses(
        (status = 200, body = TicketPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tickets")]
pub async fn list_tickets(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<TicketListParams>,
) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    let mut errors = ValidationErrors::new();
    let status = parse_opt(&mut errors, "status", &p.status, |s| match s {
        "active" => Some(None),
        other => TicketStatus::from_code(other).map(Some),
    });
    let ticket_type = parse_opt(
        &mut errors,
        "ticket_type",
        &p.ticket_type,
        TicketType::from_code,
    );
    let severity = parse_opt(&mut errors, "severity", &p.severity, Severity::from_code);
    let level = parse_opt(&mut errors, "level", &p.level, AssigneeLevel::from_code);
    let breached = parse_flag(&mut errors, "breached", &p.breached);
    let mine = parse_flag(&mut errors, "mine", &p.mine);
    let client_id = parse_opt(&mut errors, "client_id", &p.client_id, |s| {
        s.parse::<Uuid>().ok()
    });
    let (page, per_page) = parse_paging(&mut errors, &p.page, &p.per_page);
    errors.into_result(())?;
    let scope = auth.scope_from(&state.store).await?;
    let filter = TicketFilter {
        status: status.flatten(),
        active: matches!(status, Some(None)),
        ticket_type,
        severity,
        min_level: level,
        breached,
        client_id,
        assignee_id: mine.then_some(auth.user.id),
        page,
        per_page,
    };
    let (items, total) = state
        .store
        .list_tickets(&filter, &scope, state.clock.now())
        .await?;
    Ok(HttpResponse::Ok().json(TicketPage {
        items,
        total,
        page,
        per_page,
    }))
}

/// A ticket's human number: `KF` + the China date + six hex digits of its id's random part.
fn ticket_number(id: Uuid, now: DateTime<Utc>) -> String {
    let hex = id.simple().to_string();
    format!(
        "KF{}-{}",
        domain::china_date(now).format("%Y%m%d"),
        hex[hex.len() - 6..].to_uppercase()
    )
}

/// Raises a ticket for a client in the caller's scope (account managers from the phone, staff
/// on the client's behalf, a call-centre system with a `tickets:write` token). It is assigned
/// to the client's account manager with the targets of the SLA rule set in force. A call
/// centre's `external_ref` sent again answers 200 with the ticket it raised first.
#[utoipa::path(
    tag = "service",
    security(("bearer" = [])),
    request_body = NewTicket,
    responses(
        (status = 201, body = Ticket, description = "Raised"),
        (status = 200, body = Ticket, description = "Already raised under this external_ref"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tickets")]
pub async fn create_ticket(
    Writer(auth): Writer,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<NewTicket>,
) -> ApiResult<HttpResponse> {
    let request = body.0.normalised();
    request.validate().into_result(())?;
    let now = state.clock.now();
    let scope = auth.scope_from(&state.store).await?;
    let client = state
        .store
        .client(request.client_id, &scope)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(r) = &request.external_ref {
        if let Some(id) = state.store.ticket_by_external_ref(r).await? {
            return read_back(&state, id, &scope, now, false).await;
        }
    }
    let mut errors = ValidationErrors::new();
    let own = if auth.integrator.is_some() {
        Vec::new()
    } else {
        state
            .store
            .own_visit_photos(auth.user.id, &request.photo_ids)
            .await?
    };
    for (i, photo) in request.photo_ids.iter().enumerate() {
        if !own.contains(photo) {
            errors.push(FieldError::not_found(&format!("photo_ids[{i}]")));
        }
    }
    errors.into_result(())?;
    let policy = sla_in_force(&state.store).await?;
    let target = policy.target(request.ticket_type, request.severity);
    let channel = if auth.integrator.is_some() {
        TicketChannel::CallCentre
    } else if auth.user.role == Role::AccountManager {
        TicketChannel::Field
    } else {
        TicketChannel::Staff
    };
    let actor = (
        auth.integrator.is_none().then_some(auth.user.id),
        auth.user.display_name.as_str(),
    );
    for _ in 0..3 {
        let id = Uuid::now_v7();
        let row = NewTicketRow {
            id,
            number: ticket_number(id, now),
            client_id: client.id,
            ticket_type: request.ticket_type,
            severity: request.severity,
            channel,
            title: request.title.clone(),
            description: request.description.clone(),
            order_no: request.order_no.clone(),
            reporter: request.reporter.clone(),
            reporter_phone: request.reporter_phone.clone(),
            external_ref: request.external_ref.clone(),
            photo_ids: request.photo_ids.clone(),
            assignee_id: client.fields.account_manager_id,
            raised_by: actor.0,
            raised_by_name: auth.user.display_name.clone(),
            opened_at: now,
            target,
            policy_version: policy.version,
        };
        let events = [
            NewTicketEvent::note(id, TicketEventKind::Created, actor, now, &request.title),
            NewTicketEvent::note(
                id,
                TicketEventKind::Assigned,
                actor,
                now,
                &format!(
                    "分派给客户经理 {}（响应时限 {} 小时，解决时限 {} 小时）",
                    client.account_manager_name, target.respond_hours, target.resolve_hours
                ),
            ),
        ];
        let entry = meta.entry(
            &auth,
            now,
            AuditAction::Create,
            "ticket",
            Some(id),
            vec![FieldChange {
                field: "ticket".to_owned(),
                before: serde_json::Value::Null,
                after: serde_json::json!({
                    "number": row.number,
                    "client_id": row.client_id,
                    "ticket_type": row.ticket_type,
                    "severity": row.severity,
                    "channel": row.channel,
                    "title": row.title,
                    "external_ref": row.external_ref,
                }),
            }],
        );
        match state.store.insert_ticket(&row, &events, &entry).await? {
            TicketSaved::Created => return read_back(&state, id, &scope, now, true).await,
            TicketSaved::Existing(existing) => {
                return read_back(&state, existing, &scope, now, false).await
            }
            TicketSaved::NumberTaken => continue,
        }
    }
    Err(ApiError::Unexpected(anyhow::anyhow!(
        "three ticket numbers in a row were taken"
    )))
}

async fn read_back(
    state: &AppState,
    id: Uuid,
    scope: &domain::org::DataScope,
    now: DateTime<Utc>,
    created: bool,
) -> ApiResult<HttpResponse> {
    let ticket = state
        .store
        .ticket(id, scope, now)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(if created {
        HttpResponse::Created().json(ticket)
    } else {
        HttpResponse::Ok().json(ticket)
    })
}

/// One ticket with its clocks, its whole timeline (oldest first) and the churn reasons that
/// cite it.
#[utoipa::path(
    tag = "service",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Ticket id")),
    responses(
        (status = 200, body = Ticket),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tickets/{id}")]
pub async fn get_ticket(
    auth: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let scope = auth.scope_from(&state.store).await?;
    read_back(&state, id.into_inner(), &scope, state.clock.now(), false).await
}

fn refused(r: domain::service::ActionRefused) -> ApiError {
    let (code, en, zh) = r.describe();
    ApiError::ConflictWith(FieldError::new("action", code, en, zh))
}

fn moved_meanwhile() -> ApiError {
    ApiError::ConflictWith(FieldError::new(
        "status",
        "changed",
        "the ticket was changed by someone else meanwhile; reload it",
        "工单已被他人更新，请刷新后重试",
    ))
}

async fn ticket_in_scope(
    state: &AppState,
    auth: &AuthUser,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(Ticket, domain::org::DataScope), ApiError> {
    let scope = auth.scope_from(&state.store).await?;
    let ticket = state
        .store
        .ticket(id, &scope, now)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((ticket, scope))
}

fn status_change(
    auth: &AuthUser,
    meta: &RequestMeta,
    now: DateTime<Utc>,
    t: &Ticket,
    to: TicketStatus,
    what: serde_json::Value,
) -> domain::audit::AuditEntry {
    meta.entry(
        auth,
        now,
        AuditAction::Update,
        "ticket",
        Some(t.id),
        vec![FieldChange {
            field: "status".to_owned(),
            before: serde_json::json!(t.status),
            after: serde_json::json!({ "status": to, "step": what }),
        }],
    )
}

/// A step on a ticket: `respond` (the first response), `comment` (a note on the timeline),
/// `resolve` (done; a return visit comes next). `close` is always refused (409
/// `return_visit_required`): only a return visit in which the client confirms it is solved
/// closes a ticket. Nothing moves on a closed ticket (409 `ticket_closed`).
#[utoipa::path(
    tag = "service",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Ticket id")),
    request_body = TicketAction,
    responses(
        (status = 200, body = Ticket),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tickets/{id}/actions")]
pub async fn ticket_action(
    Writer(auth): Writer,
    state: web::Data<AppState>,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: ValidJson<TicketAction>,
) -> ApiResult<HttpResponse> {
    if auth.integrator.is_some() {
        return Err(ApiError::Forbidden);
    }
    let now = state.clock.now();
    let (ticket, scope) = ticket_in_scope(&state, &auth, id.into_inner(), now).await?;
    let action = TicketAction {
        note: body.0.note.trim().to_owned(),
        ..body.0
    };
    action.validate().into_result(())?;
    let kind = action
        .action
        .unwrap_or(domain::service::TicketActionKind::Comment);
    let (to, kinds) = apply_action(ticket.status, kind).map_err(refused)?;
    let actor = (Some(auth.user.id), auth.user.display_name.as_str());
    let mut change = TicketChange {
        status: (to != ticket.status).then_some(to),
        ..TicketChange::default()
    };
    let mut events = Vec::new();
    for step in kinds {
        let note = match step {
            TicketEventKind::Responded if kind != domain::service::TicketActionKind::Respond => {
                "首次响应".to_owned()
            }
            _ => action.note.clone(),
        };
        match step {
            TicketEventKind::Responded => change.responded_at = Some(now),
            TicketEventKind::Resolved => change.resolved_at = Some(Some(now)),
            _ => {}
        }
        events.push(NewTicketEvent::note(ticket.id, step, actor, now, &note));
    }
    let entry = status_change(
        &auth,
        &meta,
        now,
        &ticket,
        to,
        serde_json::json!({ "action": kind, "note": action.note }),
    );
    if !state
        .store
        .update_ticket(ticket.id, ticket.status, &change, &events, &entry, now)
        .await?
    {
        return Err(moved_meanwhile());
    }
    read_back(&state, ticket.id, &scope, now, false).await
}

/// The return visit (回访) of a resolved ticket: a call or a visit in which the client says
/// whether it is solved and rates the service 1–5. Solved closes the ticket with the rating;
/// not solved reopens it (back in progress, its resolution cleared, the resolution clock
/// still counting from when it was raised). Only a resolved ticket takes one (409).
#[utoipa::path(
    tag = "service",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Ticket id")),
    request_body = ReturnVisitInput,
    responses(
        (status = 200, body = Ticket),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tickets/{id}/return-visits")]
pub async fn return_visit(
    Writer(auth): Writer,
    state: web::Data<AppState>,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: ValidJson<ReturnVisitInput>,
) -> ApiResult<HttpResponse> {
    if auth.integrator.is_some() {
        return Err(ApiError::Forbidden);
    }
    let now = state.clock.now();
    let (ticket, scope) = ticket_in_scope(&state, &auth, id.into_inner(), now).await?;
    let input = ReturnVisitInput {
        note: body.0.note.trim().to_owned(),
        ..body.0
    };
    match ticket.status {
        TicketStatus::Resolved => {}
        TicketStatus::Closed => return Err(refused(domain::service::ActionRefused::Closed)),
        _ => {
            return Err(ApiError::ConflictWith(FieldError::new(
                "status",
                "not_resolved",
                "a return visit follows a resolution: resolve the ticket first",
                "回访须在工单解决之后进行，请先标记已解决",
            )))
        }
    }
    input.validate().into_result(())?;
    let (to, kinds) = input.outcome();
    let (method, solved, satisfaction) =
        (input.method, input.solved == Some(true), input.satisfaction);
    let actor = (Some(auth.user.id), auth.user.display_name.as_str());
    let change = if solved {
        TicketChange {
            status: Some(to),
            closed_at: Some(now),
            satisfaction,
            ..TicketChange::default()
        }
    } else {
        TicketChange {
            status: Some(to),
            resolved_at: Some(None),
            reopen: true,
            ..TicketChange::default()
        }
    };
    let events: Vec<NewTicketEvent> = kinds
        .into_iter()
        .map(|kind| {
            let mut e = NewTicketEvent::note(ticket.id, kind, actor, now, "");
            if kind == TicketEventKind::ReturnVisit {
                e.note = input.note.clone();
                e.method = method;
                e.solved = Some(solved);
                e.satisfaction = satisfaction;
            } else if kind == TicketEventKind::Reopened {
                e.note = "回访未解决，重新处理".to_owned();
            }
            e
        })
        .collect();
    let entry = status_change(
        &auth,
        &meta,
        now,
        &ticket,
        to,
        serde_json::json!({
            "return_visit": method, "solved": solved, "satisfaction": satisfaction
        }),
    );
    if !state
        .store
        .update_ticket(ticket.id, ticket.status, &change, &events, &entry, now)
        .await?
    {
        return Err(moved_meanwhile());
    }
    read_back(&state, ticket.id, &scope, now, false).await
}

/// The SLA rule set's versions, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SlaRulesHistory {
    /// In force.
    pub current: SlaPolicy,
    /// Every saved version and the built-in default (version 1), newest first.
    pub versions: Vec<SlaPolicy>,
}

async fn sla_history(state: &AppState) -> Result<SlaRulesHistory, StoreError> {
    let versions = crate::routes::rules::rule_versions(
        &state.store,
        SLA_RULES_KIND,
        SlaPolicy::default(),
        |p, version| SlaPolicy { version, ..p },
    )
    .await?;
    Ok(SlaRulesHistory {
        current: versions[0].clone(),
        versions,
    })
}

/// The response and resolution targets per type × severity in force, and earlier versions.
#[utoipa::path(
    tag = "service",
    security(("bearer" = [])),
    responses(
        (status = 200, body = SlaRulesHistory),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rules/sla")]
pub async fn get_sla_rules(_auth: AuthUser, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(sla_history(&state).await?))
}

/// Saves a new version of the SLA targets (administrators): every type × severity once, hours
/// 1–720, resolution no sooner than response. New tickets take it; raised ones keep theirs.
#[utoipa::path(
    tag = "service",
    security(("bearer" = [])),
    request_body = SlaPolicy,
    responses(
        (status = 200, body = SlaRulesHistory),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/rules/sla")]
pub async fn put_sla_rules(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<SlaPolicy>,
) -> ApiResult<HttpResponse> {
    let policy = SlaPolicy {
        version: 0,
        ..body.0
    };
    policy.validate().into_result(())?;
    let old = sla_in_force(&state.store).await?;
    crate::routes::rules::save_rule_version(&state, &auth, &meta, SLA_RULES_KIND, &old, &policy)
        .await?;
    Ok(HttpResponse::Ok().json(sla_history(&state).await?))
}

/// The period of a report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First day (YYYY-MM-DD, China time; default 89 days before `to`).
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Last day (default today).
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
}

async fn build_report(
    auth: &AuthUser,
    state: &AppState,
    params: ReportParams,
) -> Result<ServiceReport, ApiError> {
    let mut errors = ValidationErrors::new();
    let now = state.clock.now();
    let (from, to) = crate::extract::parse_period(
        &mut errors,
        &params.from,
        &params.to,
        domain::china_date(now),
        89,
        731,
    );
    errors.into_result(())?;
    let scope = auth.scope_from(&state.store).await?;
    let facts = state.store.ticket_facts(from, to, &scope).await?;
    Ok(service_report(&facts, from, to, now))
}

/// SLA compliance, mean and 90th-percentile times to respond and to resolve, satisfaction by
/// org unit and account manager, complaint types per month and the clients with the most
/// complaints, over the tickets raised in the period in the caller's scope.
#[utoipa::path(
    tag = "service",
    security(("bearer" = [])),
    params(ReportParams),
    responses(
        (status = 200, body = ServiceReport),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/service/report")]
pub async fn report(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<ReportParams>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(build_report(&auth, &state, params.into_inner()).await?))
}

/// The same report as an XLSX workbook: summary, per unit, per account manager, complaint
/// types per month, top clients.
#[utoipa::path(
    tag = "service",
    security(("bearer" = [])),
    params(ReportParams),
    responses(
        (status = 200, description = "XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/service/report.xlsx")]
pub async fn report_xlsx(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<ReportParams>,
) -> ApiResult<HttpResponse> {
    let r = build_report(&auth, &state, params.into_inner()).await?;
    let bytes = report_workbook(&r)
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("service report workbook: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"service-report-{}-{}.xlsx\"",
                r.from, r.to
            ),
        ))
        .body(bytes))
}

fn report_workbook(r: &ServiceReport) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use domain::service::SlaFigures;
    use rust_xlsxwriter::{Format, Workbook, Worksheet};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0%");
    let dec = Format::new().set_num_format("0.0");
    const FIGURE_HEADERS: [&str; 8] = [
        "工单数",
        "按时响应率",
        "按时解决率",
        "平均响应（小时）",
        "P90 响应（小时）",
        "平均解决（小时）",
        "P90 解决（小时）",
        "平均满意度",
    ];
    fn figures(
        sheet: &mut Worksheet,
        row: u32,
        col: u16,
        f: &SlaFigures,
        pct: &Format,
        dec: &Format,
    ) -> Result<(), rust_xlsxwriter::XlsxError> {
        sheet.write_number(row, col, f64::from(f.tickets))?;
        let cells = [
            (f.respond_compliance, pct),
            (f.resolve_compliance, pct),
            (f.respond_mean_h, dec),
            (f.respond_p90_h, dec),
            (f.resolve_mean_h, dec),
            (f.resolve_p90_h, dec),
            (f.satisfaction_mean, dec),
        ];
        for (i, (value, format)) in cells.into_iter().enumerate() {
            if let Some(v) = value {
                sheet.write_number_with_format(row, col + 1 + i as u16, v, format)?;
            }
        }
        Ok(())
    }
    let sheet = book.add_worksheet().set_name("汇总")?;
    sheet.write_with_format(0, 0, "期间", &bold)?;
    sheet.write(0, 1, format!("{} 至 {}", r.from, r.to))?;
    for (i, h) in FIGURE_HEADERS.iter().enumerate() {
        sheet.write_with_format(2, i as u16, *h, &bold)?;
    }
    figures(sheet, 3, 0, &r.total, &pct, &dec)?;
    for (name, groups) in [("按单位", &r.by_unit), ("按客户经理", &r.by_assignee)] {
        let sheet = book.add_worksheet().set_name(name)?;
        sheet.write_with_format(0, 0, "名称", &bold)?;
        for (i, h) in FIGURE_HEADERS.iter().enumerate() {
            sheet.write_with_format(0, 1 + i as u16, *h, &bold)?;
        }
        for (row, g) in groups.iter().enumerate() {
            let row = 1 + row as u32;
            sheet.write(row, 0, &g.name)?;
            figures(sheet, row, 1, &g.figures, &pct, &dec)?;
        }
    }
    let sheet = book.add_worksheet().set_name("投诉类别")?;
    for (i, h) in ["月份", "类型", "工单数"].iter().enumerate() {
        sheet.write_with_format(0, i as u16, *h, &bold)?;
    }
    for (row, c) in r.categories.iter().enumerate() {
        let row = 1 + row as u32;
        sheet.write(row, 0, &c.month)?;
        sheet.write(row, 1, c.ticket_type.label_zh())?;
        sheet.write_number(row, 2, f64::from(c.tickets))?;
    }
    let sheet = book.add_worksheet().set_name("投诉最多客户")?;
    for (i, h) in ["客户", "投诉数", "工单数"].iter().enumerate() {
        sheet.write_with_format(0, i as u16, *h, &bold)?;
    }
    for (row, c) in r.top_clients.iter().enumerate() {
        let row = 1 + row as u32;
        sheet.write(row, 0, &c.client_name)?;
        sheet.write_number(row, 1, f64::from(c.complaints))?;
        sheet.write_number(row, 2, f64::from(c.tickets))?;
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    #[test]
    fn ticket_numbers_carry_the_china_date_and_differ_by_id() {
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 17, 0, 0).unwrap();
        let a = ticket_number(Uuid::from_u128(0xABCDEF), now);
        assert_eq!(a, "KF20261121-ABCDEF");
        assert_ne!(a, ticket_number(Uuid::from_u128(0xABCDE0), now));
    }

    #[test]
    fn the_report_workbook_opens_as_a_zip() {
        let r = service_report(
            &[],
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            Utc::now(),
        );
        let bytes = report_workbook(&r).unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }
}
