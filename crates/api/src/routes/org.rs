//! The organisation tree and the people in it: reading for everyone signed in (within their
//! scope), administration for administrators.

use crate::audit::RequestMeta;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_opt, ValidJson};
use crate::guard::Admin;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use domain::audit::{field_changes, AuditAction};
use domain::client::mask_phone;
use domain::org::{
    check_placement, subtree, NewOrgUnit, NewUser, OrgLevel, OrgUnit, ReassignClients,
    ReassignResult, Role, UpdateOrgUnit, UpdateUser, UserRecord,
};
use domain::{FieldError, ValidationErrors};
use serde::Deserialize;
use serde_json::json;
use store::{UserFilter, UserWrite};
use utoipa::IntoParams;
use uuid::Uuid;

type Problem = domain::error::Problem;

/// Every org unit: the province, its cities and counties (tree by `parent_id`).
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<OrgUnit>), (status = 401, body = Problem, content_type = "application/problem+json"))
)]
#[get("/org-units")]
pub async fn list_org_units(
    _auth: AuthUser,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.store.org_units().await?))
}

/// The parent of a unit as (id, level), or a field error when it does not exist.
async fn parent_of(
    state: &AppState,
    parent_id: Option<Uuid>,
) -> Result<Option<(Uuid, OrgLevel)>, ApiError> {
    match parent_id {
        None => Ok(None),
        Some(id) => match state.store.org_unit(id).await? {
            Some(parent) => Ok(Some((parent.id, parent.level))),
            None => Err(ApiError::field(FieldError::not_found("parent_id"))),
        },
    }
}

/// Names are unique among siblings (two 开福区 under one city would be indistinguishable).
fn check_sibling_name(units: &[OrgUnit], unit: &OrgUnit) -> Result<(), ApiError> {
    let taken = units
        .iter()
        .any(|u| u.id != unit.id && u.parent_id == unit.parent_id && u.name == unit.name);
    if taken {
        return Err(ApiError::field(FieldError::duplicate("name")));
    }
    Ok(())
}

/// Creates a city under the province or a county under a city (administrators).
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    request_body = NewOrgUnit,
    responses(
        (status = 201, body = OrgUnit),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/org-units")]
pub async fn create_org_unit(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<NewOrgUnit>,
) -> ApiResult<HttpResponse> {
    let new = body.0.normalized();
    new.validate()?;
    let parent = parent_of(&state, new.parent_id).await?;
    let id = Uuid::new_v4();
    let tree = state.store.org_tree().await?;
    check_placement(id, new.level, parent, &tree).map_err(ApiError::field)?;
    let unit = OrgUnit {
        id,
        parent_id: new.parent_id,
        level: new.level,
        name: new.name,
        code: new.code,
        base_lat: new.base_lat,
        base_lon: new.base_lon,
    };
    check_sibling_name(&state.store.org_units().await?, &unit)?;
    let now = state.clock.now();
    let changes = field_changes(&json!({}), &serde_json::to_value(&unit).unwrap_or_default());
    let audit = meta.entry(
        &auth,
        now,
        AuditAction::Create,
        "org_unit",
        Some(id),
        changes,
    );
    state.store.insert_org_unit(&unit, now, &audit).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/org-units/{id}")))
        .json(unit))
}

/// Renames, recodes or moves a unit (with everything below it). A unit never moves under itself
/// or its own sub-units, and stays one level below its parent (administrators).
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Org unit id")),
    request_body = UpdateOrgUnit,
    responses(
        (status = 200, body = OrgUnit),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/org-units/{id}")]
pub async fn update_org_unit(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateOrgUnit>,
) -> ApiResult<HttpResponse> {
    let existing = state.store.org_unit(*id).await?.ok_or(ApiError::NotFound)?;
    let update = body.0.normalized();
    update.validate()?;
    let unit = update.apply(existing.clone());
    if unit.parent_id != existing.parent_id {
        let parent = parent_of(&state, unit.parent_id).await?;
        let tree = state.store.org_tree().await?;
        check_placement(unit.id, unit.level, parent, &tree).map_err(ApiError::field)?;
    }
    if unit.base_lat.is_some() != unit.base_lon.is_some() {
        return Err(ApiError::field(FieldError::invalid_value(
            "base_lon",
            "give both latitude and longitude, or neither",
            "经纬度须同时填写或同时留空",
        )));
    }
    let changes = field_changes(
        &serde_json::to_value(&existing).unwrap_or_default(),
        &serde_json::to_value(&unit).unwrap_or_default(),
    );
    if changes.is_empty() {
        return Ok(HttpResponse::Ok().json(existing));
    }
    check_sibling_name(&state.store.org_units().await?, &unit)?;
    let now = state.clock.now();
    let audit = meta.entry(
        &auth,
        now,
        AuditAction::Update,
        "org_unit",
        Some(unit.id),
        changes,
    );
    state.store.update_org_unit(&unit, &audit).await?;
    Ok(HttpResponse::Ok().json(unit))
}

/// Deletes a unit that has no sub-units, people or clients (409 otherwise; administrators).
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Org unit id")),
    responses(
        (status = 204),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/org-units/{id}")]
pub async fn delete_org_unit(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let unit = state.store.org_unit(*id).await?.ok_or(ApiError::NotFound)?;
    let in_use = || {
        ApiError::ConflictWith(FieldError::new(
            "id",
            "in_use",
            "the unit still has sub-units, people or clients; move them first",
            "该单元下仍有下级单元、人员或客户，请先移走",
        ))
    };
    let (children, people, clients) = state.store.org_unit_usage(unit.id).await?;
    if children + people + clients > 0 {
        return Err(in_use());
    }
    let changes = field_changes(&serde_json::to_value(&unit).unwrap_or_default(), &json!({}));
    let audit = meta.entry(
        &auth,
        state.clock.now(),
        AuditAction::Delete,
        "org_unit",
        Some(unit.id),
        changes,
    );
    if !state.store.delete_org_unit(unit.id, &audit).await? {
        return Err(in_use());
    }
    Ok(HttpResponse::NoContent().finish())
}

fn active_filters() -> utoipa::openapi::Object {
    crate::extract::one_of_schema(["true", "false", "all"])
}

/// Filters of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    /// Only this role.
    #[param(value_type = Option<Role>)]
    pub role: Option<String>,
    /// Only users of this unit and the units below it.
    #[param(value_type = Option<Uuid>)]
    pub org_unit_id: Option<String>,
    /// `true` (default): active users; `false`: deactivated ones; `all`: both.
    #[param(schema_with = active_filters)]
    pub active: Option<String>,
    /// Part of the username, display name, employee id or e-mail.
    pub q: Option<String>,
}

/// The record as `viewer` may see it: phones masked for roles without the right.
fn for_viewer(auth: &AuthUser, mut record: UserRecord) -> UserRecord {
    if !auth.user.role.sees_contact_details() {
        record.phone = record.phone.as_deref().map(mask_phone);
    }
    record
}

/// Users visible to the caller (their own org subtree; everyone for admins), by username.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(UserListParams),
    responses(
        (status = 200, body = Vec<UserRecord>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users")]
pub async fn list_users(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<UserListParams>,
) -> ApiResult<HttpResponse> {
    let mut errors = ValidationErrors::new();
    let role = parse_opt(&mut errors, "role", &params.role, Role::from_code);
    let unit = parse_opt(&mut errors, "org_unit_id", &params.org_unit_id, |s| {
        s.parse::<Uuid>().ok()
    });
    let active = parse_opt(&mut errors, "active", &params.active, |s| match s {
        "true" => Some(Some(true)),
        "false" => Some(Some(false)),
        "all" => Some(None),
        _ => None,
    })
    .unwrap_or(Some(true));
    if params.q.as_deref().is_some_and(|q| q.chars().count() > 100) {
        errors.push(FieldError::too_long("q", 100));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let tree = state.store.org_tree().await?;
    let visible = (auth.user.role != Role::Admin).then(|| subtree(&tree, auth.user.org_unit_id));
    let requested = unit.map(|u| subtree(&tree, u));
    let units: Option<Vec<Uuid>> = match (visible, requested) {
        (None, r) => r,
        (Some(v), None) => Some(v),
        (Some(v), Some(r)) => Some(r.into_iter().filter(|u| v.contains(u)).collect()),
    };
    let filter = UserFilter {
        role,
        units,
        active,
        q: params.q.clone(),
    };
    let users: Vec<UserRecord> = state
        .store
        .user_records(&filter)
        .await?
        .into_iter()
        .map(|u| for_viewer(&auth, u))
        .collect();
    Ok(HttpResponse::Ok().json(users))
}

/// A user within the caller's org subtree (everyone for admins); others are 404.
async fn visible_user(state: &AppState, auth: &AuthUser, id: Uuid) -> ApiResult<UserRecord> {
    let user = state
        .store
        .user_record(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if auth.user.role != Role::Admin {
        let tree = state.store.org_tree().await?;
        if !subtree(&tree, auth.user.org_unit_id).contains(&user.org_unit_id) {
            return Err(ApiError::NotFound);
        }
    }
    Ok(for_viewer(auth, user))
}

/// One user (within the caller's org subtree; any for admins).
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, body = UserRecord),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    auth: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(visible_user(&state, &auth, *id).await?))
}

/// The unit must exist.
async fn check_unit(state: &AppState, unit: Uuid) -> Result<(), ApiError> {
    match state.store.org_unit(unit).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::field(FieldError::not_found("org_unit_id"))),
    }
}

async fn hash(password: String) -> ApiResult<String> {
    web::block(move || crate::auth::hash_password(&password))
        .await
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("hashing: {e}")))?
}

/// Creates a user (administrators). Without a password the user signs in through SSO only.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    request_body = NewUser,
    responses(
        (status = 201, body = UserRecord),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users")]
pub async fn create_user(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<NewUser>,
) -> ApiResult<HttpResponse> {
    let new = body.0.normalized();
    new.validate()?;
    check_unit(&state, new.org_unit_id).await?;
    let password_hash = match new.password.clone() {
        Some(p) => Some(hash(p).await?),
        None => None,
    };
    let write = UserWrite {
        username: new.username,
        display_name: new.display_name,
        role: new.role,
        org_unit_id: new.org_unit_id,
        employee_id: new.employee_id,
        email: new.email,
        phone: new.phone,
        active: true,
    };
    let id = Uuid::new_v4();
    let now = state.clock.now();
    let changes = field_changes(&json!({}), &user_json(&write));
    let audit = meta.entry(&auth, now, AuditAction::Create, "user", Some(id), changes);
    state
        .store
        .insert_user(id, &write, password_hash, now, &audit)
        .await?;
    let user = state
        .store
        .user_record(id)
        .await?
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("user {id} vanished")))?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{id}")))
        .json(user))
}

/// What the audit trail records of a user (never a password or its hash).
fn user_json(w: &UserWrite) -> serde_json::Value {
    json!({
        "username": w.username,
        "display_name": w.display_name,
        "role": w.role,
        "org_unit_id": w.org_unit_id,
        "employee_id": w.employee_id,
        "email": w.email,
        "phone": w.phone,
        "active": w.active,
    })
}

fn non_empty(value: Option<String>, current: Option<String>) -> Option<String> {
    match value {
        Some(v) if v.is_empty() => None,
        Some(v) => Some(v),
        None => current,
    }
}

/// Changes a user (administrators): names, ids, role, unit, a password reset, or deactivation.
/// Deactivation is refused (409) while the user still owns clients; reassign them first.
/// Deactivation, a role or unit change and a password reset sign the user out everywhere.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    request_body = UpdateUser,
    responses(
        (status = 200, body = UserRecord),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateUser>,
) -> ApiResult<HttpResponse> {
    let existing = state
        .store
        .user_record(*id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let update = body.0.normalized();
    update.validate(&existing.username)?;
    if update.is_empty() {
        return Ok(HttpResponse::Ok().json(existing));
    }
    if let Some(unit) = update.org_unit_id {
        check_unit(&state, unit).await?;
    }
    let before = UserWrite {
        username: existing.username.clone(),
        display_name: existing.display_name.clone(),
        role: existing.role,
        org_unit_id: existing.org_unit_id,
        employee_id: existing.employee_id.clone(),
        email: existing.email.clone(),
        phone: existing.phone.clone(),
        active: existing.active,
    };
    let after = UserWrite {
        username: existing.username.clone(),
        display_name: update
            .display_name
            .clone()
            .unwrap_or_else(|| existing.display_name.clone()),
        role: update.role.unwrap_or(existing.role),
        org_unit_id: update.org_unit_id.unwrap_or(existing.org_unit_id),
        employee_id: non_empty(update.employee_id.clone(), existing.employee_id.clone()),
        email: non_empty(update.email.clone(), existing.email.clone()),
        phone: non_empty(update.phone.clone(), existing.phone.clone()),
        active: update.active.unwrap_or(existing.active),
    };
    let owns_clients = existing.client_count > 0;
    if owns_clients && !after.active && before.active {
        return Err(ApiError::ConflictWith(FieldError::new(
            "active",
            "owns_clients",
            format!(
                "{} still owns {} clients; reassign them before deactivating",
                existing.display_name, existing.client_count
            ),
            format!(
                "{} 名下还有 {} 个客户，请先移交再停用",
                existing.display_name, existing.client_count
            ),
        )));
    }
    if owns_clients && after.role != Role::AccountManager && before.role == Role::AccountManager {
        return Err(ApiError::ConflictWith(FieldError::new(
            "role",
            "owns_clients",
            "the account manager still owns clients; reassign them before changing the role",
            "该客户经理名下还有客户，请先移交再更改角色",
        )));
    }
    if auth.user.id == existing.id && (!after.active || after.role != Role::Admin) {
        return Err(ApiError::ConflictWith(FieldError::new(
            "role",
            "self_lockout",
            "you cannot deactivate yourself or drop your own administrator role",
            "不能停用自己或取消自己的管理员角色",
        )));
    }
    let password_hash = match update.password.clone() {
        Some(p) => Some(hash(p).await?),
        None => None,
    };
    let mut changes = field_changes(&user_json(&before), &user_json(&after));
    if password_hash.is_some() {
        changes.push(domain::audit::FieldChange {
            field: "password".to_owned(),
            before: json!("********"),
            after: json!("(reset)"),
        });
    }
    if changes.is_empty() {
        return Ok(HttpResponse::Ok().json(existing));
    }
    let end_sessions = password_hash.is_some()
        || !after.active
        || after.role != before.role
        || after.org_unit_id != before.org_unit_id;
    let now = state.clock.now();
    let audit = meta.entry(
        &auth,
        now,
        AuditAction::Update,
        "user",
        Some(existing.id),
        changes,
    );
    state
        .store
        .update_user(
            existing.id,
            &after,
            password_hash,
            end_sessions,
            now,
            &audit,
        )
        .await?;
    let user = state
        .store
        .user_record(existing.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(user))
}

/// Hands every client of an account manager to another active account manager in one action
/// (administrators). Ownership is effective-dated: the clients' ownership periods show who owned
/// them until now and who from now, and each client's history records the change.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The account manager giving up the clients")),
    request_body = ReassignClients,
    responses(
        (status = 200, body = ReassignResult),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users/{id}/reassign-clients")]
pub async fn reassign_clients(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: ValidJson<ReassignClients>,
) -> ApiResult<HttpResponse> {
    let from = state
        .store
        .user_record(*id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let to = state.store.user_record(body.0.to_user_id).await?;
    let to = match to {
        None => return Err(ApiError::field(FieldError::not_found("to_user_id"))),
        Some(to) if to.id == from.id => {
            return Err(ApiError::field(FieldError::invalid_value(
                "to_user_id",
                "choose another account manager",
                "请选择另一位客户经理",
            )))
        }
        Some(to) if !to.active || to.role != Role::AccountManager => {
            return Err(ApiError::field(FieldError::invalid_value(
                "to_user_id",
                "must be an active account manager",
                "须为在岗的客户经理",
            )))
        }
        Some(to) => to,
    };
    let now = state.clock.now();
    let moved = state
        .store
        .reassign_clients(from.id, to.id, now, |client| {
            meta.entry(
                &auth,
                now,
                AuditAction::Update,
                "client",
                Some(client),
                vec![domain::audit::FieldChange {
                    field: "account_manager_id".to_owned(),
                    before: json!(from.id),
                    after: json!(to.id),
                }],
            )
        })
        .await?;
    tracing::info!(from = %from.id, to = %to.id, moved, "clients reassigned");
    Ok(HttpResponse::Ok().json(ReassignResult {
        moved,
        effective_from: now,
    }))
}
