//! The typed client of the REST API: one function per endpoint.
//!
//! Every call sends the stored token, decodes the JSON body into the shared `domain` types, and
//! turns any failure into an [`ApiError`] carrying the server's `Problem`. A 401 forgets the
//! token and tells the app (through [`set_unauthorized_handler`]) so it can show the sign-in
//! page, wherever the call was made from.

use crate::i18n::T;
use crate::state;
use domain::audit::AuditPage;
use domain::auth::{LoginRequest, LoginResponse};
use domain::client::{
    Client, ClientDetail, ClientFields, ClientPage, ClientQuery, UpdateClientRequest,
};
use domain::error::{ErrorCode, Problem};
use domain::org::{OrgUnit, Role, UserInfo};
use domain::validation::FieldError;
use domain::Lang;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use uuid::Uuid;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Why an API call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server answered with a problem document (boxed: it is large, errors are rare).
    Problem(Box<Problem>),
    /// The server answered with an error status but no readable problem (e.g. a proxy's page).
    Status(u16),
    /// The request never got an answer (offline, DNS, server down).
    Network(String),
    /// A success status with a body that does not decode as expected.
    Decode(String),
}

impl ApiError {
    /// What to tell the user, in their language.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ApiError::Problem(p) => {
                let detail = p.detail_in(lang);
                if detail.trim().is_empty() {
                    p.code.label(lang).to_owned()
                } else {
                    detail.to_owned()
                }
            }
            ApiError::Status(status) => {
                let code = match status {
                    401 => ErrorCode::Unauthorized,
                    403 => ErrorCode::Forbidden,
                    404 => ErrorCode::NotFound,
                    409 => ErrorCode::Conflict,
                    413 => ErrorCode::PayloadTooLarge,
                    502..=504 => ErrorCode::ServiceUnavailable,
                    _ => ErrorCode::InternalError,
                };
                format!("{} (HTTP {status})", code.label(lang))
            }
            ApiError::Network(_) => T::NetworkError.get(lang).to_owned(),
            ApiError::Decode(_) => T::UnexpectedResponse.get(lang).to_owned(),
        }
    }

    /// Per-field errors of a validation failure; empty otherwise.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            ApiError::Problem(p) => &p.errors,
            _ => &[],
        }
    }

    /// True when the session is missing or expired.
    pub fn is_unauthorized(&self) -> bool {
        match self {
            ApiError::Problem(p) => p.status == 401,
            ApiError::Status(s) => *s == 401,
            _ => false,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Problem(p) => write!(f, "{} ({}): {}", p.status, p.code, p.detail),
            ApiError::Status(s) => write!(f, "HTTP {s}"),
            ApiError::Network(e) => write!(f, "network error: {e}"),
            ApiError::Decode(e) => write!(f, "unexpected response: {e}"),
        }
    }
}

impl std::error::Error for ApiError {}

thread_local! {
    // WASM in the browser is single-threaded, so a thread-local is the whole app's handler.
    static ON_UNAUTHORIZED: RefCell<Option<Rc<dyn Fn()>>> = RefCell::new(None);
}

/// Registers what to do when the server rejects the session (clear state, go to sign-in).
pub fn set_unauthorized_handler(handler: impl Fn() + 'static) {
    ON_UNAUTHORIZED.with(|h| *h.borrow_mut() = Some(Rc::new(handler)));
}

fn notify_unauthorized() {
    // Clone out of the cell first: the handler updates signals, which may re-enter the API.
    let handler = ON_UNAUTHORIZED.with(|h| h.borrow().clone());
    if let Some(handler) = handler {
        handler();
    }
}

fn js_error(value: JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

/// Sends one request and returns the status and body text.
async fn send(
    method: &str,
    path: &str,
    body: Option<String>,
    authorized: bool,
) -> Result<(u16, String), ApiError> {
    let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".into()))?;
    let headers = web_sys::Headers::new().map_err(|e| ApiError::Network(js_error(e)))?;
    let set = |name: &str, value: &str| {
        headers
            .set(name, value)
            .map_err(|e| ApiError::Network(js_error(e)))
    };
    set("Accept", "application/json, application/problem+json")?;
    if authorized {
        if let Some(token) = state::stored_token() {
            set("Authorization", &format!("Bearer {token}"))?;
        }
    }
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(body) = &body {
        set("Content-Type", "application/json")?;
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&headers);
    let response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(|e| ApiError::Network(js_error(e)))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|e| ApiError::Network(js_error(e)))?;
    let status = response.status();
    let text_promise = response
        .text()
        .map_err(|e| ApiError::Network(js_error(e)))?;
    let text = JsFuture::from(text_promise)
        .await
        .map_err(|e| ApiError::Network(js_error(e)))?
        .as_string()
        .unwrap_or_default();
    Ok((status, text))
}

thread_local! {
    // The refresh in flight, shared by every request that found its access token expired:
    // a refresh token works once, so two refreshes racing would end the session.
    static REFRESHING: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
}

/// Trades the stored refresh token for a new pair; true when the session goes on.
async fn refresh_tokens() -> bool {
    let Some(refresh_token) = state::stored_refresh() else {
        return false;
    };
    let body = serde_json::json!({ "refresh_token": refresh_token }).to_string();
    match send("POST", "/api/v1/auth/refresh", Some(body), false).await {
        Ok((200, text)) => match serde_json::from_str::<LoginResponse>(&text) {
            Ok(pair) => {
                state::store_token(Some(&pair.access_token));
                state::store_refresh(Some(&pair.refresh_token));
                true
            }
            Err(_) => false,
        },
        Ok(_) => {
            state::store_refresh(None);
            false
        }
        Err(_) => false,
    }
}

/// Refreshes the session once for every caller waiting on it.
async fn refresh_session() -> bool {
    let promise = REFRESHING.with(|r| r.borrow().clone()).unwrap_or_else(|| {
        let promise = wasm_bindgen_futures::future_to_promise(async {
            let ok = refresh_tokens().await;
            REFRESHING.with(|r| *r.borrow_mut() = None);
            Ok(JsValue::from_bool(ok))
        });
        REFRESHING.with(|r| *r.borrow_mut() = Some(promise.clone()));
        promise
    });
    JsFuture::from(promise)
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// Sends a request; the body of a success, or the error decoded from the problem document.
/// An expired access token is refreshed once and the request sent again.
///
/// Kept apart from the decoding in [`request`] so this async machinery is compiled once, not
/// once per response type.
async fn fetch_text(
    method: &str,
    path: &str,
    body: Option<String>,
    authorized: bool,
) -> Result<String, ApiError> {
    let sent_with = state::stored_token();
    let (mut status, mut text) = send(method, path, body.clone(), authorized).await?;
    if authorized && status == 401 {
        // Another request may have refreshed meanwhile; then just use the new token.
        let renewed = state::stored_token() != sent_with || refresh_session().await;
        if renewed {
            (status, text) = send(method, path, body, authorized).await?;
        }
    }
    if (200..300).contains(&status) {
        return Ok(text);
    }
    let error = match serde_json::from_str::<Problem>(&text) {
        Ok(problem) => ApiError::Problem(Box::new(problem)),
        Err(_) => ApiError::Status(status),
    };
    // Sign-in itself answers 401 for a wrong password; that is not a lost session.
    if authorized && status == 401 {
        state::store_token(None);
        state::store_refresh(None);
        notify_unauthorized();
    }
    Err(error)
}

/// Sends a request and decodes a success body as `R`.
async fn request<R: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<String>,
    authorized: bool,
) -> Result<R, ApiError> {
    let text = fetch_text(method, path, body, authorized).await?;
    serde_json::from_str(&text).map_err(|e| ApiError::Decode(e.to_string()))
}

fn json<B: Serialize>(body: &B) -> Result<String, ApiError> {
    serde_json::to_string(body).map_err(|e| ApiError::Decode(e.to_string()))
}

/// Percent-encodes a query value.
fn enc(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}

/// The query string (without `?`) of a client list query; defaults are left out so URLs stay
/// short. The list page uses the same string in its own URL, so links and the API agree.
pub fn client_query_string(query: &ClientQuery) -> String {
    let mut parts: Vec<String> = query
        .filter_pairs()
        .into_iter()
        .map(|(key, value)| format!("{key}={}", enc(&value)))
        .collect();
    if let Some(s) = query.sort {
        parts.push(format!("sort={}", enc(s.code())));
    }
    if query.page > 1 {
        parts.push(format!("page={}", query.page));
    }
    if query.per_page != 0 && query.per_page != domain::client::DEFAULT_PER_PAGE {
        parts.push(format!("per_page={}", query.per_page));
    }
    if query.unit_view {
        parts.push("view=unit".to_owned());
    }
    parts.join("&")
}

/// `POST /api/v1/auth/login`.
pub async fn login(body: &LoginRequest) -> Result<LoginResponse, ApiError> {
    request("POST", "/api/v1/auth/login", Some(json(body)?), false).await
}

/// `GET /api/v1/me`.
pub async fn me() -> Result<UserInfo, ApiError> {
    request("GET", "/api/v1/me", None, true).await
}

/// `GET /api/v1/org-units`: the whole tree, flat.
pub async fn org_units() -> Result<Vec<OrgUnit>, ApiError> {
    request("GET", "/api/v1/org-units", None, true).await
}

/// `GET /api/v1/users`, optionally by role and within an org unit's subtree.
pub async fn users(
    role: Option<Role>,
    org_unit_id: Option<Uuid>,
) -> Result<Vec<UserInfo>, ApiError> {
    let mut parts = Vec::new();
    if let Some(role) = role {
        parts.push(format!("role={}", role.code()));
    }
    if let Some(id) = org_unit_id {
        parts.push(format!("org_unit_id={id}"));
    }
    let path = if parts.is_empty() {
        "/api/v1/users".to_owned()
    } else {
        format!("/api/v1/users?{}", parts.join("&"))
    };
    request("GET", &path, None, true).await
}

/// `GET /api/v1/clients`: one page of the list.
pub async fn list_clients(query: &ClientQuery) -> Result<ClientPage, ApiError> {
    let qs = client_query_string(query);
    let path = if qs.is_empty() {
        "/api/v1/clients".to_owned()
    } else {
        format!("/api/v1/clients?{qs}")
    };
    request("GET", &path, None, true).await
}

/// `GET /api/v1/clients/{id}`.
pub async fn get_client(id: Uuid) -> Result<ClientDetail, ApiError> {
    request("GET", &format!("/api/v1/clients/{id}"), None, true).await
}

/// `POST /api/v1/clients`.
pub async fn create_client(fields: &ClientFields) -> Result<Client, ApiError> {
    request("POST", "/api/v1/clients", Some(json(fields)?), true).await
}

/// `PATCH /api/v1/clients/{id}`.
pub async fn update_client(id: Uuid, update: &UpdateClientRequest) -> Result<Client, ApiError> {
    request(
        "PATCH",
        &format!("/api/v1/clients/{id}"),
        Some(json(update)?),
        true,
    )
    .await
}

/// `POST /api/v1/auth/logout`: ends this session on the server.
pub async fn logout() -> Result<(), ApiError> {
    fetch_text("POST", "/api/v1/auth/logout", None, true)
        .await
        .map(|_| ())
}

/// `GET /api/v1/clients/{id}/history`: the newest changes first.
pub async fn client_history(id: Uuid) -> Result<AuditPage, ApiError> {
    request(
        "GET",
        &format!("/api/v1/clients/{id}/history?per_page=50"),
        None,
        true,
    )
    .await
}

// ---- Administration (org tree, users, integrator tokens, audit log) ----
//
// The administration pages send every request through these three non-generic helpers (and
// `components::get_resource` / `components::submit`) rather than one typed async function per
// endpoint: each async function is compiled into its own state machine, and a dozen of them
// cost tens of kilobytes of WASM. The paths are those of the API contract (DESIGN §4.1):
// `/api/v1/org-units[/{id}]`, `/api/v1/users[/{id}[/reassign-clients]]`,
// `/api/v1/integrator-tokens[/{id}/revoke]`, `/api/v1/audit`, `/api/v1/clients/{id}/owners`.

/// Sends a signed-in request and returns the body of a success as text.
pub async fn call(method: &str, path: &str, body: Option<String>) -> Result<String, ApiError> {
    fetch_text(method, path, body, true).await
}

/// Decodes a response body.
pub fn decode<R: DeserializeOwned>(text: &str) -> Result<R, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::Decode(e.to_string()))
}

/// A request body as JSON (these types always serialize; `None` would be a bug).
pub fn to_json<B: Serialize>(body: &B) -> Option<String> {
    serde_json::to_string(body).ok()
}

/// Appends `key=value` to a query, the value percent-encoded; empty values are left out.
pub fn query_pair(parts: &mut Vec<String>, key: &str, value: &str) {
    let value = value.trim();
    if !value.is_empty() {
        parts.push(format!("{key}={}", enc(value)));
    }
}

/// `GET /api/v1/auth/sso`: whether the sign-in page offers single sign-on, and its button text.
pub async fn sso_status() -> Result<domain::sso::SsoStatus, ApiError> {
    request("GET", "/api/v1/auth/sso", None, false).await
}

/// `POST /api/v1/auth/sso/exchange`: trades the one-time ticket of a finished single sign-on for
/// a session (the browser's binding cookie goes along: same origin).
pub async fn sso_exchange(ticket: &str) -> Result<LoginResponse, ApiError> {
    let body = domain::sso::SsoExchangeRequest {
        ticket: ticket.to_owned(),
    };
    request(
        "POST",
        "/api/v1/auth/sso/exchange",
        Some(json(&body)?),
        false,
    )
    .await
}

/// `GET /api/v1/clients/export`: the list with `query`'s filters as CSV text (every page).
pub async fn export_clients(query: &ClientQuery) -> Result<String, ApiError> {
    let mut all = query.clone();
    all.page = 1;
    let qs = client_query_string(&all);
    let csv = fetch_text("GET", &format!("/api/v1/clients/export?{qs}"), None, true).await?;
    // Reading the body as text drops the byte-order mark; Excel needs it to see UTF-8.
    Ok(format!("\u{feff}{}", csv.trim_start_matches('\u{feff}')))
}

/// Hands `text` to the browser as a file download named `filename`.
pub fn save_text_file(filename: &str, mime: &str, text: &str) -> Result<(), ApiError> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| ApiError::Network("no document".into()))?;
    let link = document
        .create_element("a")
        .map_err(|e| ApiError::Network(js_error(e)))?;
    let href = format!("data:{mime};charset=utf-8,{}", enc(text));
    for (name, value) in [("href", href.as_str()), ("download", filename)] {
        link.set_attribute(name, value)
            .map_err(|e| ApiError::Network(js_error(e)))?;
    }
    let click = js_sys::Reflect::get(&link, &JsValue::from_str("click"))
        .map_err(|e| ApiError::Network(js_error(e)))?;
    let click: js_sys::Function = click
        .dyn_into()
        .map_err(|e| ApiError::Network(js_error(e)))?;
    click
        .call0(&link)
        .map_err(|e| ApiError::Network(js_error(e)))?;
    Ok(())
}

// ---- Files: uploads (multipart) and authorised downloads as object URLs ----

/// Sends `form` (multipart, the browser sets the boundary) signed in; the body of a success.
/// An expired access token is refreshed once and the form sent again.
pub async fn send_form(path: &str, form: &web_sys::FormData) -> Result<String, ApiError> {
    send_body(path, form, None).await
}

/// Sends `blob` (a photo's bytes) signed in as the body with `Content-Type: content_type`; the
/// body of a success. An expired access token is refreshed once and the bytes sent again.
pub async fn send_blob(
    path: &str,
    blob: &web_sys::Blob,
    content_type: &str,
) -> Result<String, ApiError> {
    send_body(path, blob, Some(content_type)).await
}

async fn send_body(
    path: &str,
    body: &JsValue,
    content_type: Option<&str>,
) -> Result<String, ApiError> {
    let mut refreshed = false;
    loop {
        let response = raw_fetch("POST", path, Some(body), content_type).await?;
        let status = response.status();
        if status == 401 && !refreshed && refresh_session().await {
            refreshed = true;
            continue;
        }
        let text = JsFuture::from(
            response
                .text()
                .map_err(|e| ApiError::Network(js_error(e)))?,
        )
        .await
        .map_err(|e| ApiError::Network(js_error(e)))?
        .as_string()
        .unwrap_or_default();
        if (200..300).contains(&status) {
            return Ok(text);
        }
        return Err(match serde_json::from_str::<Problem>(&text) {
            Ok(problem) => ApiError::Problem(Box::new(problem)),
            Err(_) => ApiError::Status(status),
        });
    }
}

/// Fetches a file signed in and returns an object URL for it (for `<img src>` or a new tab).
pub async fn object_url(path: &str) -> Result<String, ApiError> {
    let mut response = raw_fetch("GET", path, None, None).await?;
    if response.status() == 401 && refresh_session().await {
        response = raw_fetch("GET", path, None, None).await?;
    }
    if !response.ok() {
        return Err(ApiError::Status(response.status()));
    }
    let blob = JsFuture::from(
        response
            .blob()
            .map_err(|e| ApiError::Network(js_error(e)))?,
    )
    .await
    .map_err(|e| ApiError::Network(js_error(e)))?;
    let blob: web_sys::Blob = blob
        .dyn_into()
        .map_err(|e| ApiError::Network(js_error(e)))?;
    web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| ApiError::Network(js_error(e)))
}

async fn raw_fetch(
    method: &str,
    path: &str,
    body: Option<&JsValue>,
    content_type: Option<&str>,
) -> Result<web_sys::Response, ApiError> {
    let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".into()))?;
    let headers = web_sys::Headers::new().map_err(|e| ApiError::Network(js_error(e)))?;
    if let Some(token) = state::stored_token() {
        headers
            .set("Authorization", &format!("Bearer {token}"))
            .map_err(|e| ApiError::Network(js_error(e)))?;
    }
    let init = web_sys::RequestInit::new();
    if let Some(content_type) = content_type {
        headers
            .set("Content-Type", content_type)
            .map_err(|e| ApiError::Network(js_error(e)))?;
    }
    init.set_method(method);
    init.set_headers(&headers);
    if let Some(body) = body {
        init.set_body(body);
    }
    let response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(|e| ApiError::Network(js_error(e)))?;
    response
        .dyn_into()
        .map_err(|e| ApiError::Network(js_error(e)))
}

/// Opens `url` in a new tab (an object URL of a page or a printable card).
pub fn open_in_new_tab(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.open_with_url_and_target(url, "_blank");
    }
}

/// Navigates the page to `url` (a download: the page stays, the browser saves the file).
pub fn start_download(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(url);
    }
}

/// Downloads `path` signed in and saves it as `filename`.
pub async fn download(path: String, filename: String) -> Result<(), ApiError> {
    let url = object_url(&path).await?;
    let link = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .ok_or_else(|| ApiError::Network("no document".into()))?;
    let _ = link.set_attribute("href", &url);
    let _ = link.set_attribute("download", &filename);
    // `HTMLElement.click` through reflection: the crate enables no `HtmlElement` binding.
    let clicked = js_sys::Reflect::get(&link, &wasm_bindgen::JsValue::from_str("click"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .map(|f| f.call0(&link));
    // The browser has read the object URL once the click is handled.
    let _ = web_sys::Url::revoke_object_url(&url);
    match clicked {
        Some(Ok(_)) => Ok(()),
        _ => Err(ApiError::Network("download".into())),
    }
}
