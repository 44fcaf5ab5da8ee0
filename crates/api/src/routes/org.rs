//! The organisation tree and people (read side; administration comes with Identity and access).

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use domain::org::{subtree, OrgUnit, Role, UserInfo};
use domain::FieldError;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// Every org unit: the province, its cities and counties (tree by `parent_id`).
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<OrgUnit>), (status = 401, body = domain::error::Problem, content_type = "application/problem+json"))
)]
#[get("/org-units")]
pub async fn list_org_units(
    state: web::Data<AppState>,
    _auth: AuthUser,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.store.org_units().await?))
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
}

/// Active users visible to the caller (their own org subtree; all for admins), by username.
#[utoipa::path(
    tag = "organisation",
    security(("bearer" = [])),
    params(UserListParams),
    responses(
        (status = 200, body = Vec<UserInfo>),
        (status = 401, body = domain::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = domain::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    auth: AuthUser,
    params: web::Query<UserListParams>,
) -> ApiResult<HttpResponse> {
    let mut errors = domain::ValidationErrors::new();
    let role = match params.role.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(code) => Role::from_code(code).or_else(|| {
            errors.push(FieldError::invalid_value(
                "role",
                "unknown role",
                "未知角色",
            ));
            None
        }),
    };
    let unit = match params.org_unit_id.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => text.parse::<Uuid>().ok().or_else(|| {
            errors.push(FieldError::invalid_value(
                "org_unit_id",
                "not a UUID",
                "不是有效的 UUID",
            ));
            None
        }),
    };
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
    Ok(HttpResponse::Ok().json(state.store.users(role, units.as_deref()).await?))
}
