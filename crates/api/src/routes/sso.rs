//! Single sign-on through an OAuth 2.0 provider (authorization code with PKCE).
//!
//! 1. The sign-in page sends the browser to `/auth/sso/start`. We record the request in the
//!    database (hash of `state`, the PKCE verifier, hash of a browser-binding cookie we set) and
//!    redirect to the provider with `state` and the S256 challenge.
//! 2. The provider sends the browser back to `/auth/sso/callback?code&state`. We use the request
//!    up (once, within 10 minutes, only from the browser that started it), trade the code and
//!    the verifier for an access token, read the userinfo, find the user (employee id, else
//!    e-mail; unknown identities are refused or provisioned), and redirect to
//!    `/login?sso_ticket=…`: a random ticket, stored hashed, good once for 60 seconds.
//! 3. The sign-in page trades the ticket at `/auth/sso/exchange` for the same session a password
//!    sign-in gets.
//!
//! Every failure of the callback redirects to `/login?sso_error=<code>` (see
//! [`SsoErrorCode`]), never to an error page, and sign-ons and refusals are audited.
//!
//! Requests and tickets live in the database, so any instance of a cluster can serve any step.
//! The binding cookie stops login CSRF: a callback or ticket captured in one browser (say, an
//! attacker's own sign-on) does nothing when planted in another.

use crate::audit::RequestMeta;
use crate::auth::{random_hex, sha256_hex};
use crate::config::{SsoSettings, UnknownIdentity};
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::routes::auth::issue_session;
use crate::state::AppState;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use domain::audit::{field_changes, AuditAction, AuditEntry, FieldChange};
use domain::error::ErrorCode;
use domain::org::{Role, UserInfo};
use domain::sso::{
    identity_from_claims, provisioned_display_name, provisioned_username, SsoErrorCode,
    SsoExchangeRequest, SsoIdentity, SsoStatus,
};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use serde::Deserialize;
use serde_json::{json, Value};
use store::{NewSsoRequest, NewSsoTicket, Store, StoreError, UserWrite};
use utoipa::{IntoParams, OpenApi};
use uuid::Uuid;

type Problem = domain::error::Problem;

/// The OAuth 2.0 client with its authorization and token endpoints set.
type OAuthClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// How long a started sign-on may take at the provider.
const REQUEST_TTL_MINUTES: i64 = 10;
/// How long the sign-in page has to trade its ticket.
const TICKET_TTL_SECONDS: i64 = 60;
/// The browser-binding cookie, sent only to the single sign-on routes.
const BINDING_COOKIE: &str = "ygj_sso";
const BINDING_COOKIE_PATH: &str = "/api/v1/auth/sso";
/// The audit trail's kind of record for sign-ons and refusals.
const AUDIT_ENTITY: &str = "sso_sign_in";
/// Who the audit trail names for what single sign-on itself does (provisioning).
const SSO_ACTOR: &str = "统一身份认证 (single sign-on)";

/// This module's routes in the OpenAPI document (nested under `/api/v1`).
#[derive(OpenApi)]
#[openapi(paths(sso_status, start_sso, sso_callback, exchange_sso_ticket))]
pub struct Api;

/// Registers this module's routes under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(sso_status)
        .service(start_sso)
        .service(sso_callback)
        .service(exchange_sso_ticket);
}

/// The configured provider, ready to use (built once at start-up).
pub struct SsoProvider {
    oauth: OAuthClient,
    http: reqwest::Client,
    userinfo_url: reqwest::Url,
    scopes: Vec<Scope>,
    issuer: Option<String>,
    employee_id_claim: String,
    email_claim: String,
    unknown: UnknownIdentity,
    provision_unit: Option<String>,
    label: String,
    secure_cookie: bool,
}

impl std::fmt::Debug for SsoProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoProvider")
            .field("client_id", &self.oauth.client_id().as_str())
            .field("issuer", &self.issuer)
            .field("userinfo_url", &self.userinfo_url.as_str())
            .finish_non_exhaustive()
    }
}

impl SsoProvider {
    /// Checks `settings` and prepares the client. A provisioning unit missing from the database
    /// is only logged: administrators may create it after the server starts.
    pub async fn new(settings: &SsoSettings, store: &Store) -> anyhow::Result<Self> {
        settings.validate()?;
        let mut oauth = BasicClient::new(ClientId::new(settings.client_id.clone()))
            .set_auth_uri(AuthUrl::new(settings.authorize_url.clone())?)
            .set_token_uri(TokenUrl::new(settings.token_url.clone())?)
            .set_redirect_uri(RedirectUrl::new(settings.redirect_url.clone())?);
        if let Some(secret) = &settings.client_secret {
            oauth = oauth.set_client_secret(ClientSecret::new(secret.clone()));
        }
        let http = reqwest::Client::builder()
            // Following redirects would let a provider's answer point us anywhere (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        if settings.unknown == UnknownIdentity::Provision {
            let code = settings.provision_unit.as_deref().unwrap_or_default();
            if store.org_unit_by_code(code).await?.is_none() {
                tracing::warn!(
                    unit = code,
                    "YGJ_SSO_PROVISION_UNIT names no org unit (yet); unknown identities will be \
                     refused until it exists"
                );
            }
        }
        tracing::info!(
            issuer = settings.issuer.as_deref().unwrap_or("-"),
            client_id = %settings.client_id,
            "single sign-on enabled"
        );
        Ok(SsoProvider {
            oauth,
            http,
            userinfo_url: reqwest::Url::parse(&settings.userinfo_url)?,
            scopes: settings.scopes.iter().cloned().map(Scope::new).collect(),
            issuer: settings.issuer.clone(),
            employee_id_claim: settings.employee_id_claim.clone(),
            email_claim: settings.email_claim.clone(),
            unknown: settings.unknown,
            provision_unit: settings.provision_unit.clone(),
            label: settings.label.clone(),
            secure_cookie: settings.redirect_url.starts_with("https://"),
        })
    }
}

fn binding_cookie(value: &str, secure: bool, max_age: CookieDuration) -> Cookie<'static> {
    Cookie::build(BINDING_COOKIE, value.to_owned())
        .path(BINDING_COOKIE_PATH)
        .http_only(true)
        // Lax: the cookie comes along when the provider redirects the browser back to us.
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(max_age)
        .finish()
}

fn redirect(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn redirect_error(code: SsoErrorCode) -> HttpResponse {
    redirect(&format!("/login?sso_error={}", code.code()))
}

/// Whether the sign-in page offers single sign-on, and the text of its button.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, body = SsoStatus))
)]
#[get("/auth/sso")]
pub async fn sso_status(state: web::Data<AppState>) -> HttpResponse {
    let status = match &state.sso {
        Some(sso) => SsoStatus {
            enabled: true,
            label: Some(sso.label.clone()),
        },
        None => SsoStatus {
            enabled: false,
            label: None,
        },
    };
    HttpResponse::Ok().json(status)
}

/// Starts single sign-on: redirects the browser to the provider's authorization endpoint with
/// a fresh `state` and a PKCE S256 challenge, and sets the cookie that binds the sign-on to this
/// browser. The sign-on must come back within 10 minutes.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 302, description = "To the provider (or to `/login?sso_error=server_error`)",
            headers(("Location" = String, description = "The provider's authorization URL"))),
        (status = 404, description = "Single sign-on is not configured", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/auth/sso/start")]
pub async fn start_sso(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let Some(sso) = state.sso.as_deref() else {
        return Err(ApiError::NotFound);
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = sso
        .oauth
        .authorize_url(|| CsrfToken::new(random_hex(32)))
        .add_scopes(sso.scopes.iter().cloned())
        .set_pkce_challenge(challenge)
        .url();
    let binding = random_hex(32);
    let now = state.clock.now();
    let request = NewSsoRequest {
        id: Uuid::new_v4(),
        state_hash: sha256_hex(csrf.secret()),
        binding_hash: sha256_hex(&binding),
        pkce_verifier: verifier.secret().clone(),
        expires_at: now + Duration::minutes(REQUEST_TTL_MINUTES),
    };
    if let Err(e) = state.store.insert_sso_request(&request, now).await {
        tracing::error!(error = %e, "could not record a single sign-on request");
        return Ok(redirect_error(SsoErrorCode::ServerError));
    }
    let mut response = redirect(url.as_str());
    response
        .add_cookie(&binding_cookie(
            &binding,
            sso.secure_cookie,
            CookieDuration::minutes(REQUEST_TTL_MINUTES),
        ))
        .map_err(|e| ApiError::Unexpected(e.into()))?;
    Ok(response)
}

/// What the provider sends back to the callback.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackParams {
    /// The authorization code.
    pub code: Option<String>,
    /// The `state` we sent.
    pub state: Option<String>,
    /// The provider's error (e.g. `access_denied`) instead of a code.
    pub error: Option<String>,
    /// Its explanation.
    pub error_description: Option<String>,
    /// The provider's issuer (RFC 9207), checked against `YGJ_SSO_ISSUER` when both are known.
    pub iss: Option<String>,
}

/// The provider's redirect back after sign-on. Redirects the browser to
/// `/login?sso_ticket=<ticket>` on success, else to `/login?sso_error=<code>`: `invalid_state`
/// (unknown, used, expired or from another browser), `provider_error`, `exchange_failed`,
/// `userinfo_failed`, `missing_identity`, `unknown_user`, `inactive_user`, `provision_failed`,
/// `sso_disabled` or `server_error`.
#[utoipa::path(
    tag = "auth",
    params(CallbackParams),
    responses(
        (status = 302, description = "To the sign-in page with a ticket or an error code",
            headers(("Location" = String, description = "`/login?sso_ticket=…` or `/login?sso_error=…`"))),
    )
)]
#[get("/auth/sso/callback")]
pub async fn sso_callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    meta: RequestMeta,
) -> HttpResponse {
    match finish_sign_on(&state, &req, &meta).await {
        Ok(ticket) => redirect(&format!("/login?sso_ticket={ticket}")),
        Err(code) => redirect_error(code),
    }
}

fn server_error(e: StoreError) -> SsoErrorCode {
    tracing::error!(error = %e, "single sign-on failed on the database");
    SsoErrorCode::ServerError
}

/// The callback's work; the ticket on success.
async fn finish_sign_on(
    state: &AppState,
    req: &HttpRequest,
    meta: &RequestMeta,
) -> Result<String, SsoErrorCode> {
    let sso = state.sso.as_deref().ok_or(SsoErrorCode::SsoDisabled)?;
    let params = web::Query::<CallbackParams>::from_query(req.query_string())
        .map_err(|_| SsoErrorCode::InvalidState)?
        .into_inner();
    let sent_state = params
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(SsoErrorCode::InvalidState)?;
    let binding = req
        .cookie(BINDING_COOKIE)
        .map(|c| c.value().to_owned())
        .ok_or(SsoErrorCode::InvalidState)?;
    let binding_hash = sha256_hex(&binding);
    let now = state.clock.now();
    let verifier = state
        .store
        .claim_sso_request(&sha256_hex(sent_state), &binding_hash, now)
        .await
        .map_err(server_error)?
        .ok_or_else(|| {
            tracing::warn!("single sign-on callback with an unknown, used or expired state");
            SsoErrorCode::InvalidState
        })?;
    if let Some(error) = &params.error {
        tracing::warn!(
            error,
            description = params.error_description.as_deref().unwrap_or(""),
            "the provider refused the sign-on"
        );
        return Err(SsoErrorCode::ProviderError);
    }
    if let (Some(sent), Some(ours)) = (&params.iss, &sso.issuer) {
        if sent != ours {
            tracing::warn!(sent, ours, "authorization response from another issuer");
            return Err(SsoErrorCode::ProviderError);
        }
    }
    let code = params
        .code
        .filter(|c| !c.is_empty())
        .ok_or(SsoErrorCode::ProviderError)?;
    let token = sso
        .oauth
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&sso.http)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "the provider's token endpoint refused the code");
            SsoErrorCode::ExchangeFailed
        })?;
    let claims = userinfo(sso, token.access_token().secret()).await?;
    let identity = identity_from_claims(&claims, &sso.employee_id_claim, &sso.email_claim)
        .inspect_err(|code| tracing::warn!(%code, "userinfo identifies no one"))?;
    let user = match find_user(state, &identity).await? {
        Some((user, true)) => user,
        Some((user, false)) => {
            refuse(
                state,
                sso,
                meta,
                &identity,
                Some(&user),
                SsoErrorCode::InactiveUser,
            )
            .await?;
            return Err(SsoErrorCode::InactiveUser);
        }
        None if sso.unknown == UnknownIdentity::Provision => {
            match provision(state, sso, &identity, now).await {
                Ok(user) => user,
                Err(code) => {
                    refuse(state, sso, meta, &identity, None, code).await?;
                    return Err(code);
                }
            }
        }
        None => {
            refuse(state, sso, meta, &identity, None, SsoErrorCode::UnknownUser).await?;
            return Err(SsoErrorCode::UnknownUser);
        }
    };
    let ticket = random_hex(32);
    let audit = audit_entry(meta, now, sso, &identity, Some(&user), "signed_in");
    state
        .store
        .insert_sso_ticket(
            &NewSsoTicket {
                id: Uuid::new_v4(),
                ticket_hash: sha256_hex(&ticket),
                binding_hash,
                user_id: user.id,
                expires_at: now + Duration::seconds(TICKET_TTL_SECONDS),
            },
            now,
            &audit,
        )
        .await
        .map_err(server_error)?;
    tracing::info!(user = %user.username, subject = %identity.subject, "single sign-on succeeded");
    Ok(ticket)
}

/// The provider's claims about the bearer of `access_token`.
async fn userinfo(sso: &SsoProvider, access_token: &str) -> Result<Value, SsoErrorCode> {
    let failed = |what: &str, detail: String| {
        tracing::warn!(detail, "userinfo: {what}");
        SsoErrorCode::UserinfoFailed
    };
    let response = sso
        .http
        .get(sso.userinfo_url.clone())
        .bearer_auth(access_token)
        .header(header::ACCEPT.as_str(), "application/json")
        .send()
        .await
        .map_err(|e| failed("request failed", e.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(failed("error status", status.to_string()));
    }
    response
        .json::<Value>()
        .await
        .map_err(|e| failed("not JSON", e.to_string()))
}

/// The user the identity maps to and whether they are active: by employee id, else by e-mail.
async fn find_user(
    state: &AppState,
    identity: &SsoIdentity,
) -> Result<Option<(UserInfo, bool)>, SsoErrorCode> {
    let mut found = None;
    if let Some(employee_id) = &identity.employee_id {
        found = state
            .store
            .credentials_by_employee_id(employee_id)
            .await
            .map_err(server_error)?;
    }
    if found.is_none() {
        if let Some(email) = &identity.email {
            found = state
                .store
                .credentials_by_email(email)
                .await
                .map_err(server_error)?;
        }
    }
    Ok(found.map(|c| (c.user, c.active)))
}

/// Creates a viewer in the configured unit for an identity that matches no one.
async fn provision(
    state: &AppState,
    sso: &SsoProvider,
    identity: &SsoIdentity,
    now: DateTime<Utc>,
) -> Result<UserInfo, SsoErrorCode> {
    let code = sso.provision_unit.as_deref().unwrap_or_default();
    let Some(unit) = state
        .store
        .org_unit_by_code(code)
        .await
        .map_err(server_error)?
    else {
        tracing::error!(
            unit = code,
            "YGJ_SSO_PROVISION_UNIT names no org unit; cannot provision"
        );
        return Err(SsoErrorCode::ProvisionFailed);
    };
    let base = provisioned_username(identity);
    // A taken username gets a random suffix; a few tries make a clash vanishingly unlikely.
    for attempt in 0..5 {
        let username = if attempt == 0 {
            base.clone()
        } else {
            format!("{base}-{}", random_hex(3))
        };
        let id = Uuid::new_v4();
        let write = UserWrite {
            username,
            display_name: provisioned_display_name(identity),
            role: Role::Viewer,
            org_unit_id: unit.id,
            employee_id: identity.employee_id.clone(),
            email: identity.email.clone(),
            phone: None,
            active: true,
        };
        let snapshot = json!({
            "username": write.username,
            "display_name": write.display_name,
            "role": write.role,
            "org_unit_id": write.org_unit_id,
            "employee_id": write.employee_id,
            "email": write.email,
            "active": write.active,
        });
        let audit = AuditEntry {
            id: Uuid::now_v7(),
            at: now,
            actor_id: None,
            actor_name: SSO_ACTOR.to_owned(),
            ip: None,
            action: AuditAction::Create,
            entity: "user".to_owned(),
            entity_id: Some(id),
            changes: field_changes(&json!({}), &snapshot),
            request_id: None,
        };
        match state.store.insert_user(id, &write, None, now, &audit).await {
            Ok(()) => {
                tracing::info!(username = %write.username, unit = code, "provisioned by single sign-on");
                return state
                    .store
                    .user(id)
                    .await
                    .map_err(server_error)?
                    .ok_or(SsoErrorCode::ProvisionFailed);
            }
            Err(StoreError::Duplicate { field }) if field == "username" => continue,
            Err(e) => {
                tracing::error!(error = %e, "could not provision a single sign-on user");
                return Err(SsoErrorCode::ProvisionFailed);
            }
        }
    }
    Err(SsoErrorCode::ProvisionFailed)
}

/// The audit entry of a sign-on or a refusal: who the provider said it was and what came of it.
fn audit_entry(
    meta: &RequestMeta,
    now: DateTime<Utc>,
    sso: &SsoProvider,
    identity: &SsoIdentity,
    user: Option<&UserInfo>,
    outcome: &str,
) -> AuditEntry {
    let change = |field: &str, value: Value| FieldChange {
        field: field.to_owned(),
        before: Value::Null,
        after: value,
    };
    let mut changes = vec![
        change("outcome", json!(outcome)),
        change("subject", json!(identity.subject)),
        change("employee_id", json!(identity.employee_id)),
        change("email", json!(identity.email)),
    ];
    if let Some(issuer) = &sso.issuer {
        changes.push(change("issuer", json!(issuer)));
    }
    AuditEntry {
        id: Uuid::now_v7(),
        at: now,
        actor_id: user.map(|u| u.id),
        actor_name: user
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| format!("SSO {}", identity.subject)),
        ip: meta.ip.clone(),
        action: AuditAction::Create,
        entity: AUDIT_ENTITY.to_owned(),
        entity_id: user.map(|u| u.id),
        changes,
        request_id: meta.request_id.clone(),
    }
}

/// Records a refused sign-on. Failing to record it fails the sign-on too (it is refused
/// either way, but the trace must not go missing silently).
async fn refuse(
    state: &AppState,
    sso: &SsoProvider,
    meta: &RequestMeta,
    identity: &SsoIdentity,
    user: Option<&UserInfo>,
    reason: SsoErrorCode,
) -> Result<(), SsoErrorCode> {
    tracing::warn!(subject = %identity.subject, %reason, "single sign-on refused");
    let now = state.clock.now();
    let outcome = format!("refused: {}", reason.code());
    let entry = audit_entry(meta, now, sso, identity, user, &outcome);
    state.store.record_audit(&entry).await.map_err(server_error)
}

/// Trades the one-time ticket of a finished single sign-on for a session: the same answer as a
/// password sign-in. A ticket works once, for 60 seconds, and only in the browser that signed on.
#[utoipa::path(
    tag = "auth",
    request_body = SsoExchangeRequest,
    responses(
        (status = 200, body = domain::auth::LoginResponse),
        (status = 400, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown, used or expired ticket", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Single sign-on is not configured", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/sso/exchange")]
pub async fn exchange_sso_ticket(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<SsoExchangeRequest>,
) -> ApiResult<HttpResponse> {
    let Some(sso) = state.sso.as_deref() else {
        return Err(ApiError::NotFound);
    };
    let invalid = || ApiError::Unauthorized(ErrorCode::Unauthorized);
    let binding = req.cookie(BINDING_COOKIE).ok_or_else(invalid)?;
    let now = state.clock.now();
    let user_id = state
        .store
        .claim_sso_ticket(
            &sha256_hex(body.0.ticket.trim()),
            &sha256_hex(binding.value()),
            now,
        )
        .await?
        .ok_or_else(|| {
            tracing::warn!("single sign-on ticket unknown, used, expired or from another browser");
            invalid()
        })?;
    // Deactivated since the callback: no session.
    let user = state.store.user(user_id).await?.ok_or_else(invalid)?;
    let mut response = issue_session(&state, &req, user, "single sign-on").await?;
    response
        .add_cookie(&binding_cookie("", sso.secure_cookie, CookieDuration::ZERO))
        .map_err(|e| ApiError::Unexpected(e.into()))?;
    Ok(response)
}
