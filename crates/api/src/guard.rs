//! Role guards as extractors: a handler states who may call it in its signature
//! (`_: Admin`, `auth: Writer`), so the rule is checked before the handler body runs and in one
//! place for every route.

use crate::auth::AuthUser;
use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use domain::org::Role;
use futures_util::future::LocalBoxFuture;

/// A signed-in administrator (others: 403).
#[derive(Debug, Clone)]
pub struct Admin(pub AuthUser);

/// A signed-in user who may change data (viewers: 403).
#[derive(Debug, Clone)]
pub struct Writer(pub AuthUser);

fn guarded<T: 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    allowed: fn(Role) -> bool,
    wrap: fn(AuthUser) -> T,
) -> LocalBoxFuture<'static, Result<T, ApiError>> {
    let auth = AuthUser::from_request(req, payload);
    Box::pin(async move {
        let auth = auth.await?;
        if allowed(auth.user.role) {
            Ok(wrap(auth))
        } else {
            Err(ApiError::Forbidden)
        }
    })
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        guarded(req, payload, |role| role == Role::Admin, Admin)
    }
}

impl FromRequest for Writer {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        guarded(req, payload, |role| role != Role::Viewer, Writer)
    }
}

/// A signed-in director, leader or administrator: the people who review documents and visits
/// and dispatch work to account managers (others: 403).
#[derive(Debug, Clone)]
pub struct Reviewer(pub AuthUser);

impl FromRequest for Reviewer {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        guarded(
            req,
            payload,
            |role| matches!(role, Role::Director | Role::Leader | Role::Admin),
            Reviewer,
        )
    }
}
