//! The audit log (administrators). Read-only: the API has no way to edit or delete entries.

use crate::error::ApiResult;
use crate::extract::{parse_opt, parse_paging};
use crate::guard::Admin;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::{AuditAction, AuditPage};
use domain::ValidationErrors;
use serde::Deserialize;
use utoipa::IntoParams;

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Kind of record, e.g. `client`.
    pub entity: Option<String>,
    /// Which record.
    #[param(value_type = Option<Uuid>)]
    pub entity_id: Option<String>,
    /// Who acted.
    #[param(value_type = Option<Uuid>)]
    pub actor_id: Option<String>,
    /// What was done.
    #[param(value_type = Option<AuditAction>)]
    pub action: Option<String>,
    /// From this instant or date (inclusive), ISO 8601.
    #[param(schema_with = instant_or_day)]
    pub from: Option<String>,
    /// Until this instant or date (exclusive), ISO 8601.
    #[param(schema_with = instant_or_day)]
    pub until: Option<String>,
    /// Page number from 1 (default 1).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Entries per page, 1–200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
}

/// An RFC 3339 instant or a `YYYY-MM-DD` day, as [`instant`] reads them.
fn instant_or_day() -> utoipa::openapi::Schema {
    use utoipa::openapi::schema::{KnownFormat, SchemaFormat, Type};
    let string = |format| {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(format)))
    };
    utoipa::openapi::schema::AnyOfBuilder::new()
        .item(string(KnownFormat::DateTime))
        .item(string(KnownFormat::Date))
        .build()
        .into()
}

fn instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })
}

/// Audit entries, newest first, with filters. Administrators only.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    params(AuditParams),
    responses(
        (status = 200, body = AuditPage),
        (status = 401, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = domain::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit")]
pub async fn list_audit(
    _admin: Admin,
    state: web::Data<AppState>,
    params: web::Query<AuditParams>,
) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    let mut errors = ValidationErrors::new();
    let entity_id = parse_opt(&mut errors, "entity_id", &p.entity_id, |s| s.parse().ok());
    let actor_id = parse_opt(&mut errors, "actor_id", &p.actor_id, |s| s.parse().ok());
    let action = parse_opt(&mut errors, "action", &p.action, AuditAction::from_code);
    let from = parse_opt(&mut errors, "from", &p.from, instant);
    let until = parse_opt(&mut errors, "until", &p.until, instant);
    let (page, per_page) = parse_paging(&mut errors, &p.page, &p.per_page);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let filter = store::AuditFilter {
        entity: p.entity.filter(|e| !e.trim().is_empty()),
        entity_id,
        actor_id,
        action,
        writes_only: false,
        from,
        until,
        page,
        per_page,
    };
    let (items, total) = state.store.audit(&filter).await?;
    Ok(HttpResponse::Ok().json(AuditPage {
        items,
        total,
        page,
        per_page,
    }))
}
