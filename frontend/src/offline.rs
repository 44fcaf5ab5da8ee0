//! The phone's outbox (DESIGN §2.5, §5): check-ins made without a network wait here, in
//! IndexedDB with their photos, and are sent in order when the network returns.
//!
//! Every check-in goes through the outbox, online or not: it is stored first and then sent, so
//! one code path covers "sent at once", "sent an hour later" and "the page was closed before the
//! answer came". The idempotency key made on the phone travels with the item, so a retry after
//! a lost answer is recognised by the server and the visit is recorded exactly once.
//!
//! What happens to an item:
//! - 201 or 200 (the server already had it — a retry differs only in `sent_at`, which the
//!   server leaves out of the comparison): removed, its visit kept for the page to show;
//! - a refusal (409, 422, 403, 404…): marked failed with the message and the field errors,
//!   and kept until the user fixes it or discards it — never dropped silently;
//! - no answer, a 5xx, or a lost session: kept as it is for the next attempt.
//!
//! Sending starts on app start (once the user is known), on the `online` event, after each new
//! check-in and on the "send now" button; only one round runs at a time.

use crate::api::{self, ApiError};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use domain::checkin::CheckInRequest;
use domain::validation::FieldError;
use domain::visit::{PhotoUploaded, Visit};
use domain::Lang;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use uuid::Uuid;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(inline_js = r#"
const DB_NAME = 'ygj-outbox';
const STORE = 'checkins';
let opening = null;

function db() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key' });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => {
        opening = null;
        reject(req.error);
      };
    });
  }
  return opening;
}

// Runs `work(store, done)` in one transaction; resolves with what `done` got once it commits.
function run(mode, work) {
  return db().then((d) => new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    let out = null;
    work(t.objectStore(STORE), (value) => { out = value; });
    t.oncomplete = () => resolve(out);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  }));
}

export function outbox_put(key, seq, json, photos) {
  return run('readwrite', (s) => s.put({ key, seq, json, photos: Array.from(photos) }));
}

export function outbox_set_json(key, json) {
  return run('readwrite', (s) => {
    const r = s.get(key);
    r.onsuccess = () => {
      if (r.result) s.put(Object.assign(r.result, { json }));
    };
  });
}

export function outbox_list() {
  return run('readonly', (s, done) => {
    const r = s.getAll();
    r.onsuccess = () => done(JSON.stringify(r.result
      .sort((a, b) => a.seq - b.seq)
      .map((x) => ({ key: x.key, seq: x.seq, json: x.json, photos: x.photos.length }))));
  });
}

export function outbox_first_photo(key) {
  return run('readonly', (s, done) => {
    const r = s.get(key);
    r.onsuccess = () => done(r.result && r.result.photos.length ? r.result.photos[0] : null);
  });
}

// The first photo is uploaded: forget its bytes and store the item with the photo's id, at once.
export function outbox_photo_sent(key, json) {
  return run('readwrite', (s) => {
    const r = s.get(key);
    r.onsuccess = () => {
      const item = r.result;
      if (!item) return;
      item.photos.shift();
      item.json = json;
      s.put(item);
    };
  });
}

export function outbox_delete(key) {
  return run('readwrite', (s) => s.delete(key));
}

export function is_online() {
  return navigator.onLine !== false;
}

export function watch_connectivity(callback) {
  window.addEventListener('online', () => callback(true));
  window.addEventListener('offline', () => callback(false));
}

export function new_key() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// [lat, lon, accuracy] of a fresh high-accuracy fix; rejects with the error code
// (1 denied, 2 unavailable, 3 timeout, 0 no geolocation in this browser).
export function geo_position(timeout_ms) {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(0);
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve([p.coords.latitude, p.coords.longitude, p.coords.accuracy]),
      (e) => reject(e.code),
      { enableHighAccuracy: true, timeout: timeout_ms, maximumAge: 0 },
    );
  });
}

// A camera photo made small enough to queue and send: at most `max` pixels on its longer side,
// as JPEG. Anything the browser cannot decode is returned as it came.
export async function shrink_photo(file, max) {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, max / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    if (bitmap.close) bitmap.close();
    const blob = await new Promise((done) => canvas.toBlob(done, 'image/jpeg', 0.85));
    return blob || file;
  } catch (e) {
    return file;
  }
}

export function register_service_worker() {
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('/sw.js').catch(() => {});
  }
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    fn outbox_put(
        key: &str,
        seq: f64,
        json: &str,
        photos: &js_sys::Array,
    ) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(catch)]
    fn outbox_set_json(key: &str, json: &str) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(catch)]
    fn outbox_list() -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(catch)]
    fn outbox_first_photo(key: &str) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(catch)]
    fn outbox_photo_sent(key: &str, json: &str) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(catch)]
    fn outbox_delete(key: &str) -> Result<js_sys::Promise, JsValue>;
    /// `navigator.onLine` (true when the browser does not say).
    pub fn is_online() -> bool;
    fn watch_connectivity(callback: &js_sys::Function);
    /// A new random idempotency key (a UUID v4 from the browser's crypto).
    pub fn new_key() -> String;
    #[wasm_bindgen(catch)]
    fn geo_position(timeout_ms: u32) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(catch)]
    fn shrink_photo(file: &web_sys::Blob, max: u32) -> Result<js_sys::Promise, JsValue>;
    /// Registers `/sw.js` (secure contexts only: https, localhost, 127.0.0.1).
    pub fn register_service_worker();
}

/// Why a queued check-in was refused, in both languages, with the field errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// HTTP status (0 when the photo could not be read).
    pub status: u16,
    /// The server's message, in Chinese.
    pub message_zh: String,
    /// The same in English.
    pub message_en: String,
    /// Field errors (of a 422), to show next to the fields.
    #[serde(default)]
    pub errors: Vec<FieldError>,
}

impl Failure {
    fn of(error: &ApiError) -> Self {
        let status = match error {
            ApiError::Problem(p) => p.status,
            ApiError::Status(s) => *s,
            _ => 0,
        };
        Failure {
            status,
            message_zh: error.message(Lang::Zh),
            message_en: error.message(Lang::En),
            errors: error.field_errors().to_vec(),
        }
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.message_zh,
            Lang::En => &self.message_en,
        }
    }
}

/// A check-in waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedCheckIn {
    /// Who made it (`None` when the phone did not know yet); only they send it.
    pub user_id: Option<Uuid>,
    /// The client's name, for the list.
    pub client_name: String,
    /// The check-in, with the ids of the photos uploaded so far.
    pub request: CheckInRequest,
    /// Set when the server refused it.
    #[serde(default)]
    pub failure: Option<Failure>,
}

/// One item of the outbox as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The idempotency key (the item's key in IndexedDB).
    pub key: String,
    /// When it was queued (ms since the epoch; the sending order).
    pub seq: f64,
    /// The check-in.
    pub item: QueuedCheckIn,
    /// Photos not uploaded yet.
    pub photos: u32,
}

#[derive(Deserialize)]
struct RawEntry {
    key: String,
    seq: f64,
    json: String,
    photos: u32,
}

/// The reactive view of the outbox, provided at the root.
#[derive(Clone, Copy)]
pub struct Outbox {
    /// Items still in the outbox (waiting or refused), in sending order.
    pub entries: RwSignal<Vec<Entry>>,
    /// Check-ins delivered during this visit of the app: (idempotency key, the server's visit).
    pub delivered: RwSignal<Vec<(String, Visit)>>,
    /// A sending round is under way.
    pub sending: RwSignal<bool>,
    /// What the browser says about the network.
    pub online: RwSignal<bool>,
    /// The outbox could not be read or written (IndexedDB unavailable).
    pub storage_error: RwSignal<Option<String>>,
    app: AppState,
}

thread_local! {
    // One sending round at a time; a request during a round asks for another one after it.
    static SENDING: Cell<bool> = const { Cell::new(false) };
    static AGAIN: Cell<bool> = const { Cell::new(false) };
}

const USER_KEY: &str = "ygj.phone.user";

fn js_text(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

async fn wait(promise: Result<js_sys::Promise, JsValue>) -> Result<JsValue, String> {
    let promise = promise.map_err(|e| js_text(&e))?;
    JsFuture::from(promise).await.map_err(|e| js_text(&e))
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The browser's clock as a UTC instant (`chrono`'s clock does not run in WASM).
pub fn browser_now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(now_ms() as i64).unwrap_or_default()
}

/// A position fix: latitude, longitude (WGS-84) and accuracy in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Accuracy radius, metres.
    pub accuracy_m: f64,
}

/// Why no position came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixError {
    /// The user (or the browser's settings) refused.
    Denied,
    /// No fix in time.
    Timeout,
    /// The device could not tell.
    Unavailable,
    /// This browser has no geolocation.
    Unsupported,
}

/// A fresh high-accuracy position from the browser.
pub async fn current_position(timeout_ms: u32) -> Result<Fix, FixError> {
    let Ok(promise) = geo_position(timeout_ms) else {
        return Err(FixError::Unsupported);
    };
    match JsFuture::from(promise).await {
        Ok(value) => {
            let a = js_sys::Array::from(&value);
            let n = |i: u32| a.get(i).as_f64().unwrap_or(f64::NAN);
            Ok(Fix {
                lat: n(0),
                lon: n(1),
                accuracy_m: n(2),
            })
        }
        // The rejection is the `GeolocationPositionError` code.
        Err(code) => Err(match code.as_f64().map(|c| c as u32) {
            Some(1) => FixError::Denied,
            Some(3) => FixError::Timeout,
            Some(0) => FixError::Unsupported,
            _ => FixError::Unavailable,
        }),
    }
}

/// A photo from the file input, shrunk to at most 1 600 pixels as JPEG.
pub async fn prepare_photo(file: &web_sys::Blob) -> web_sys::Blob {
    match wait(shrink_photo(file, 1600)).await {
        Ok(value) => value.dyn_into().unwrap_or_else(|_| file.clone()),
        Err(_) => file.clone(),
    }
}

/// Starts the outbox: provides it as context, follows the network, and sends what waits once
/// the signed-in user is known.
pub fn start(app: AppState) -> Outbox {
    let outbox = Outbox {
        entries: RwSignal::new(Vec::new()),
        delivered: RwSignal::new(Vec::new()),
        sending: RwSignal::new(false),
        online: RwSignal::new(is_online()),
        storage_error: RwSignal::new(None),
        app,
    };
    provide_context(outbox);
    // Lives as long as the page.
    let on_change = Closure::<dyn Fn(bool)>::new(move |online: bool| {
        outbox.online.set(online);
        if online {
            outbox.send_now();
        }
    });
    watch_connectivity(on_change.as_ref().unchecked_ref());
    on_change.forget();
    spawn_local(async move { outbox.reload().await });
    Effect::new(move |_| {
        if let Some(id) = app.user.with(|u| u.as_ref().map(|u| u.id)) {
            crate::state::save(USER_KEY, Some(&id.to_string()));
            outbox.send_now();
        }
    });
    outbox
}

/// The outbox provided at the root.
pub fn use_outbox() -> Option<Outbox> {
    use_context::<Outbox>()
}

/// The signed-in user's id, or the last one the phone knew (offline, after a reload).
pub fn user_id(app: &AppState) -> Option<Uuid> {
    app.user
        .with_untracked(|u| u.as_ref().map(|u| u.id))
        .or_else(|| crate::state::load(USER_KEY).and_then(|s| Uuid::parse_str(&s).ok()))
}

impl Outbox {
    /// Reads the outbox again into [`Outbox::entries`].
    pub async fn reload(&self) {
        match read_entries().await {
            Ok(list) => {
                self.entries.try_set(list);
                self.storage_error.try_set(None);
            }
            Err(e) => {
                self.storage_error.try_set(Some(e));
            }
        }
    }

    /// Items the signed-in user may see (theirs, or of an unknown user).
    pub fn mine(&self) -> Vec<Entry> {
        let me = user_id(&self.app);
        self.entries.with(|all| {
            all.iter()
                .filter(|e| e.item.user_id.is_none() || e.item.user_id == me)
                .cloned()
                .collect()
        })
    }

    /// Stores a check-in with its photos not yet uploaded (replacing a refused one with the same
    /// key), then starts sending.
    pub async fn enqueue(
        &self,
        item: &QueuedCheckIn,
        photos: &[web_sys::Blob],
    ) -> Result<(), String> {
        let json = serde_json::to_string(item).map_err(|e| e.to_string())?;
        let array = js_sys::Array::new();
        for photo in photos {
            array.push(photo);
        }
        wait(outbox_put(
            &item.request.idempotency_key,
            now_ms(),
            &json,
            &array,
        ))
        .await?;
        self.reload().await;
        self.send_now();
        Ok(())
    }

    /// Removes an item the user gave up on (a refused one).
    pub async fn discard(&self, key: &str) {
        if let Err(e) = wait(outbox_delete(key)).await {
            self.storage_error.try_set(Some(e));
        }
        self.reload().await;
    }

    /// The visit a key was delivered as, during this visit of the app.
    pub fn delivered_visit(&self, key: &str) -> Option<Visit> {
        self.delivered.with(|d| {
            d.iter()
                .find(|(k, _)| k == key)
                .map(|(_, visit)| visit.clone())
        })
    }

    /// Starts a sending round (or asks for another after the one under way).
    pub fn send_now(&self) {
        if SENDING.with(|s| s.replace(true)) {
            AGAIN.with(|a| a.set(true));
            return;
        }
        let outbox = *self;
        spawn_local(async move {
            outbox.sending.try_set(true);
            loop {
                AGAIN.with(|a| a.set(false));
                outbox.send_round().await;
                if !AGAIN.with(Cell::get) {
                    break;
                }
            }
            SENDING.with(|s| s.set(false));
            outbox.sending.try_set(false);
        });
    }

    async fn send_round(&self) {
        self.reload().await;
        if !is_online() || crate::state::stored_token().is_none() {
            return;
        }
        // Without knowing who is signed in, nobody's check-ins are sent (they could be another
        // account's on a shared phone). After a start without a network nobody asked yet.
        let mut me = self.app.user.with_untracked(|u| u.as_ref().map(|u| u.id));
        if me.is_none() {
            if let Ok(user) = api::me().await {
                me = Some(user.id);
                self.app.user.try_set(Some(user));
            }
        }
        let Some(me) = me else {
            return;
        };
        for entry in self.entries.get_untracked() {
            if entry.item.failure.is_some() || entry.item.user_id.is_some_and(|id| id != me) {
                continue;
            }
            let key = entry.key.clone();
            let outcome = deliver(entry).await;
            match outcome {
                Delivery::Sent(visit) => {
                    if let Err(e) = wait(outbox_delete(&key)).await {
                        self.storage_error.try_set(Some(e));
                    }
                    self.delivered.try_update(|d| d.push((key, *visit)));
                }
                Delivery::Refused(item) => {
                    if let Ok(json) = serde_json::to_string(&item) {
                        if let Err(e) = wait(outbox_set_json(&key, &json)).await {
                            self.storage_error.try_set(Some(e));
                        }
                    }
                }
                Delivery::Later => {
                    self.reload().await;
                    // In order: nothing after an item that could not go.
                    return;
                }
            }
            self.reload().await;
        }
    }
}

async fn read_entries() -> Result<Vec<Entry>, String> {
    let text = wait(outbox_list())
        .await?
        .as_string()
        .unwrap_or_else(|| "[]".to_owned());
    let raw: Vec<RawEntry> = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    Ok(raw
        .into_iter()
        .filter_map(|r| {
            let item = serde_json::from_str(&r.json).ok()?;
            Some(Entry {
                key: r.key,
                seq: r.seq,
                item,
                photos: r.photos,
            })
        })
        .collect())
}

enum Delivery {
    Sent(Box<Visit>),
    Refused(Box<QueuedCheckIn>),
    Later,
}

/// Worth trying again later: no answer, the server unwell, or the session to renew.
fn is_transient(error: &ApiError) -> bool {
    let status = match error {
        ApiError::Network(_) => return true,
        ApiError::Decode(_) => return false,
        ApiError::Problem(p) => p.status,
        ApiError::Status(s) => *s,
    };
    status == 401 || status == 408 || status == 429 || status >= 500
}

fn refused(mut item: QueuedCheckIn, error: &ApiError) -> Delivery {
    item.failure = Some(Failure::of(error));
    Delivery::Refused(Box::new(item))
}

async fn deliver(entry: Entry) -> Delivery {
    let key = entry.key;
    let mut item = entry.item;
    for _ in 0..entry.photos {
        let blob = match wait(outbox_first_photo(&key)).await {
            Ok(value) => match value.dyn_into::<web_sys::Blob>() {
                Ok(blob) => blob,
                Err(_) => break,
            },
            Err(_) => return Delivery::Later,
        };
        let content_type = match blob.type_().as_str() {
            "image/png" => "image/png",
            _ => "image/jpeg",
        };
        match api::send_blob("/api/v1/visits/photos", &blob, content_type).await {
            Ok(text) => {
                let Ok(photo) = api::decode::<PhotoUploaded>(&text) else {
                    return Delivery::Later;
                };
                item.request.photo_ids.push(photo.id);
                let Ok(json) = serde_json::to_string(&item) else {
                    return Delivery::Later;
                };
                if wait(outbox_photo_sent(&key, &json)).await.is_err() {
                    return Delivery::Later;
                }
            }
            Err(e) if is_transient(&e) => return Delivery::Later,
            Err(e) => return refused(item, &e),
        }
    }
    let mut request = item.request.clone();
    // The phone's clock may have been set back since; the server refuses a send before the visit.
    request.sent_at = Some(browser_now().max(request.device_time));
    match api::call("POST", "/api/v1/visits", api::to_json(&request)).await {
        Ok(text) => match api::decode::<Visit>(&text) {
            Ok(visit) => Delivery::Sent(Box::new(visit)),
            Err(_) => Delivery::Later,
        },
        Err(e) if is_transient(&e) => Delivery::Later,
        Err(e) => refused(item, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::error::{ErrorCode, Problem};

    fn problem(status: u16, code: ErrorCode) -> ApiError {
        ApiError::Problem(Box::new(Problem {
            problem_type: format!("/problems/{code}"),
            title: String::new(),
            status,
            code,
            detail: "task_id: the task is already closed".into(),
            detail_zh: "该任务已办结".into(),
            errors: vec![FieldError::required("record.outcome")],
            request_id: None,
        }))
    }

    #[test]
    fn only_missing_answers_and_server_trouble_are_tried_again() {
        assert!(is_transient(&ApiError::Network("offline".into())));
        assert!(is_transient(&ApiError::Status(503)));
        assert!(is_transient(&problem(401, ErrorCode::Unauthorized)));
        assert!(!is_transient(&problem(422, ErrorCode::ValidationFailed)));
        assert!(!is_transient(&problem(409, ErrorCode::Conflict)));
        assert!(!is_transient(&ApiError::Status(404)));
    }

    #[test]
    fn a_refusal_keeps_both_messages_and_the_field_errors() {
        let f = Failure::of(&problem(422, ErrorCode::ValidationFailed));
        assert_eq!(f.status, 422);
        assert_eq!(f.message(Lang::Zh), "该任务已办结");
        assert_eq!(f.message(Lang::En), "task_id: the task is already closed");
        assert_eq!(f.errors[0].field, "record.outcome");
        let back: Failure = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
        assert_eq!(back, f);
    }
}
