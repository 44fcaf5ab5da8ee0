//! The account manager's phone pages (DESIGN §2.5, §5): today's visits in route order with a
//! navigation link, and the check-in with GPS, camera and the visit record.
//!
//! They live outside the desktop shell (no sidebar, large touch targets) under `/m`. Everything
//! they need keeps working without a network: the day's route is kept from the last load, and
//! check-ins go through the outbox ([`crate::offline`]), which sends them when the network
//! returns.

use crate::api::{self, ApiError};
use crate::app::LangSwitch;
use crate::components::{badge_html, dyn_text, esc, field_errors, has_error, html_block};
use crate::i18n;
use crate::offline::{
    self, browser_now, current_position, new_key, prepare_photo, Fix, FixError, Outbox,
    QueuedCheckIn,
};
use crate::pages::visits::{distance_text, verdict_badge, w, wt};
use crate::state::{load, save, use_app, use_lang};
use domain::checkin::{limits, CheckInRequest, VisitRecord};
use domain::classification::{ChurnReason, ClientClass};
use domain::coords::wgs84_to_gcj02;
use domain::geo::GeoPoint;
use domain::validation::FieldError;
use domain::visit::{PhotoUploaded, RouteStop, TodayRoute, Visit};
use domain::Lang;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Outlet, Redirect};
use leptos_router::hooks::{use_location, use_params_map};
use uuid::Uuid;
use wasm_bindgen::JsCast;

/// Where the last loaded route is kept for offline use.
const ROUTE_KEY: &str = "ygj.phone.today";

/// Set once an account manager dismissed the offer of the phone pages.
const OFFER_KEY: &str = "ygj.phone.offer";

/// How long to wait for a GPS fix, milliseconds.
const FIX_TIMEOUT_MS: u32 = 20_000;

fn outbox() -> Option<Outbox> {
    offline::use_outbox()
}

/// Frame of the phone pages: a slim top bar and the page; visitors without a session go to the
/// sign-in page and come back.
#[component]
pub fn PhoneShell() -> impl IntoView {
    let app = use_app();
    let location = use_location();
    let signed_in = crate::app::session_user(app);
    move || {
        if signed_in.get() {
            view! {
                <div class="phone">
                    <PhoneBar/>
                    <main class="phone-main" id="main">
                        <Outlet/>
                    </main>
                </div>
            }
            .into_any()
        } else {
            let here = location.pathname.get_untracked();
            let path = if app.left_on_purpose.get_value() {
                "/login".to_owned()
            } else {
                format!(
                    "/login?next={}",
                    String::from(js_sys::encode_uri_component(&here))
                )
            };
            view! { <Redirect path=path/> }.into_any()
        }
    }
}

#[component]
fn PhoneBar() -> impl IntoView {
    let app = use_app();
    let lang = use_lang();
    let network = move || {
        let lang = lang.get();
        match outbox() {
            Some(o) if !o.online.get() => badge_html("badge-warn", w(lang, "离线", "Offline")),
            _ => badge_html("badge-ok", w(lang, "在线", "Online")),
        }
    };
    view! {
        <header class="phone-bar">
            <a href="/m" class="brand">
                <span class="brand-mark" aria-hidden="true">"油"</span>
                <span class="brand-name">{wt("今日走访", "Today's visits")}</span>
            </a>
            <span id="network-state" inner_html=network></span>
            <div class="phone-bar-right">
                <LangSwitch/>
                <a href="/clients" class="btn btn-ghost" id="to-desktop">{wt("电脑版", "Desktop")}</a>
                <button type="button" class="btn btn-ghost" on:click=move |_| app.sign_out_on_purpose()>
                    {wt("退出", "Sign out")}
                </button>
            </div>
        </header>
    }
}

/// Offers the phone pages to an account manager on a narrow screen (on the desktop shell).
#[component]
pub fn PhoneOffer() -> impl IntoView {
    let app = use_app();
    let narrow = web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|w| w.as_f64())
        .is_some_and(|w| w <= 720.0);
    let location = use_location();
    let dismissed = RwSignal::new(load(OFFER_KEY).is_some());
    move || {
        let show = narrow
            && app.is_account_manager()
            && !dismissed.get()
            && !location.pathname.get().starts_with("/m");
        show.then(|| {
            view! {
                <div class="alert alert-info phone-offer" id="phone-offer">
                    <span>{wt("在手机上走访？打开手机版查看今日路线并打卡。", "Visiting on a phone? Open the phone pages for today's route and check-ins.")}</span>
                    <a href="/m" class="btn btn-primary btn-small">{wt("打开手机版", "Open")}</a>
                    <button type="button" class="btn btn-small" id="phone-offer-dismiss" on:click=move |_| {
                        save(OFFER_KEY, Some("dismissed"));
                        dismissed.set(true);
                    }>
                        {wt("不再提示", "Don't show again")}
                    </button>
                </div>
            }
        })
    }
}

// ---- Today's route ----

/// Today's route from the server, or the one loaded last when there is no network (`true`).
async fn load_route() -> Result<(TodayRoute, bool), ApiError> {
    match api::call("GET", "/api/v1/visits/today", None).await {
        Ok(text) => {
            let route = api::decode::<TodayRoute>(&text)?;
            save(ROUTE_KEY, Some(&text));
            Ok((route, false))
        }
        Err(ApiError::Network(e)) => load(ROUTE_KEY)
            .and_then(|text| serde_json::from_str::<TodayRoute>(&text).ok())
            .map(|route| (route, true))
            .ok_or(ApiError::Network(e)),
        Err(e) => Err(e),
    }
}

type RouteResource = LocalResource<Result<(TodayRoute, bool), ApiError>>;

fn route_resource() -> RouteResource {
    let outbox = outbox();
    LocalResource::new(move || {
        // Load again once a check-in arrives: its task leaves the list.
        if let Some(o) = outbox {
            o.delivered.with(Vec::len);
        }
        load_route()
    })
}

/// An AMap marker link for a WGS-84 point (`position` is lon,lat): AMap expects GCJ-02, so the
/// point is shifted first, or the pin lands 100–700 m off in China.
pub fn amap_link(point: GeoPoint, name: &str) -> String {
    let gcj = wgs84_to_gcj02(point);
    format!(
        "https://uri.amap.com/marker?position={},{}&name={}&coordinate=gaode&callnative=1",
        i18n::fixed_decimals(gcj.lon, 6),
        i18n::fixed_decimals(gcj.lat, 6),
        percent_encode(name)
    )
}

/// Percent-encodes a query value (UTF-8; letters, digits and `-_.~` stay).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn class_html(class: Option<ClientClass>, lang: Lang) -> String {
    class.map_or_else(String::new, |c| {
        format!(
            "<span class=\"cls cls-{}\">{}</span>",
            c.code(),
            esc(c.label(lang))
        )
    })
}

/// What the phone knows about a stop's task beyond the route: checked in here, or queued.
fn stop_state(outbox: Option<Outbox>, task_id: Uuid) -> Option<(bool, &'static str)> {
    let o = outbox?;
    let task = Some(task_id);
    if o.delivered
        .with(|d| d.iter().any(|(_, v)| v.task_id == task))
    {
        return Some((true, "delivered"));
    }
    o.entries.with(|all| {
        all.iter()
            .find(|e| e.item.request.task_id == task)
            .map(|e| {
                (
                    false,
                    if e.item.failure.is_some() {
                        "failed"
                    } else {
                        "pending"
                    },
                )
            })
    })
}

fn stops_html(route: &TodayRoute, lang: Lang, outbox: Option<Outbox>) -> String {
    if route.stops.is_empty() {
        return format!(
            "<div class=\"card empty-state\" id=\"no-stops\"><p>{}</p></div>",
            w(lang, "今天没有待走访的客户。", "No visits due today.")
        );
    }
    let mut html = String::from("<ol class=\"stops\" id=\"stops\">");
    for stop in &route.stops {
        html.push_str(&stop_html(stop, lang, outbox));
    }
    html.push_str("</ol>");
    html
}

fn stop_html(stop: &RouteStop, lang: Lang, outbox: Option<Outbox>) -> String {
    let c = &stop.client;
    let task = &stop.task;
    let title = match lang {
        Lang::Zh => &task.title,
        Lang::En => &task.title_en,
    };
    let mut meta = Vec::new();
    if let Some(leg) = stop.leg_m {
        meta.push(esc(&match lang {
            Lang::Zh => format!("距上一站 {}", distance_text(leg, lang)),
            Lang::En => format!("{} from the previous stop", distance_text(leg, lang)),
        }));
    }
    if task.overdue {
        meta.push(badge_html("badge-danger", w(lang, "已逾期", "Overdue")));
    }
    let nav = match c.location {
        Some(point) => format!(
            "<a class=\"btn btn-large stop-nav\" href=\"{}\" target=\"_blank\" rel=\"external noopener\">{}</a>\
             <a class=\"btn btn-large btn-ghost stop-geo\" href=\"geo:{},{}\" rel=\"external\">{}</a>",
            esc(&amap_link(point, &c.name)),
            w(lang, "高德导航", "Navigate (AMap)"),
            i18n::fixed_decimals(point.lat, 6),
            i18n::fixed_decimals(point.lon, 6),
            w(lang, "其他地图", "Other maps"),
        ),
        None => format!(
            "<span class=\"muted\">{}</span>",
            w(lang, "客户未登记位置", "No registered location")
        ),
    };
    let action = match stop_state(outbox, task.id) {
        Some((_, "delivered")) => badge_html("badge-ok stop-done", w(lang, "已打卡", "Checked in")),
        Some((_, "pending")) => badge_html(
            "badge-warn stop-queued",
            w(lang, "已打卡，待发送", "Checked in, waiting to send"),
        ),
        _ => format!(
            "<a class=\"btn btn-large btn-primary stop-checkin\" href=\"/m/checkin/{}\">{}</a>",
            task.id,
            w(lang, "打卡", "Check in")
        ),
    };
    let report = format!(
        "<a class=\"btn btn-large btn-ghost stop-ticket\" href=\"/m/ticket/new?client={}\">{}</a>",
        c.id,
        w(lang, "报告问题", "Report a problem")
    );
    format!(
        "<li class=\"stop card\" data-task=\"{task_id}\" data-client=\"{client_id}\">\
         <div class=\"stop-head\"><span class=\"stop-order\">{order}</span>\
         <strong class=\"stop-name\">{name}</strong>{class}</div>\
         <div class=\"stop-address\">{address}</div>\
         <div class=\"stop-title muted\">{title}</div>\
         <div class=\"stop-meta\">{meta}</div>\
         <div class=\"stop-actions\">{nav}{action}{report}</div></li>",
        task_id = task.id,
        client_id = c.id,
        order = stop.order,
        name = esc(&c.name),
        class = class_html(c.class, lang),
        address = esc(if c.address.is_empty() {
            "—"
        } else {
            &c.address
        }),
        title = esc(title),
        meta = meta.join(" · "),
    )
}

/// Today's stops in route order, with the outbox.
#[component]
pub fn TodayPage() -> impl IntoView {
    let lang = use_lang();
    let route = route_resource();
    let outbox = outbox();
    let summary = move || {
        let lang = lang.get();
        match route.get() {
            Some(Ok((r, cached))) => {
                let date = i18n::format_date(r.date, lang);
                let count = match lang {
                    Lang::Zh => format!("{} 站", r.stops.len()),
                    Lang::En => format!("{} stops", r.stops.len()),
                };
                let length = match lang {
                    Lang::Zh => format!("路线全长 {}", distance_text(r.route_length_m, lang)),
                    Lang::En => format!("route {}", distance_text(r.route_length_m, lang)),
                };
                let cached = if cached {
                    format!(
                        "<div class=\"alert alert-warn\" id=\"route-cached\">{}</div>",
                        w(
                            lang,
                            "无网络：显示上次加载的路线。",
                            "No network: showing the route as last loaded."
                        )
                    )
                } else {
                    String::new()
                };
                format!(
                    "<p class=\"phone-summary\"><span id=\"route-date\">{}</span> · \
                     <span id=\"stop-count\">{}</span> · <span id=\"route-length\">{}</span></p>{cached}",
                    esc(&date),
                    esc(&count),
                    esc(&length)
                )
            }
            Some(Err(e)) => format!(
                "<div class=\"alert alert-error\" role=\"alert\">{}</div>",
                esc(&e.message(lang))
            ),
            None => format!(
                "<div class=\"loading\">{}</div>",
                w(lang, "加载中…", "Loading…")
            ),
        }
    };
    let stops = move || {
        let lang = lang.get();
        // Re-render when the outbox changes (a stop becomes "queued" or "checked in").
        if let Some(o) = outbox {
            o.entries.track();
            o.delivered.track();
        }
        match route.get() {
            Some(Ok((r, _))) => stops_html(&r, lang, outbox),
            _ => String::new(),
        }
    };
    view! {
        <section class="phone-page" id="phone-today">
            <h1>{wt("今日走访", "Today's visits")}</h1>
            {html_block("route-summary", summary, |_, _| {})}
            <OutboxPanel/>
            {html_block("route-stops", stops, |_, _| {})}
        </section>
    }
}

/// The outbox: how many check-ins wait, each with its state, and "send now".
#[component]
fn OutboxPanel() -> impl IntoView {
    let lang = use_lang();
    let Some(outbox) = outbox() else {
        return ().into_any();
    };
    let count = move || {
        let lang = lang.get();
        let mine = outbox.mine();
        let failed = mine.iter().filter(|e| e.item.failure.is_some()).count();
        let pending = mine.len() - failed;
        let mut text = match lang {
            Lang::Zh => format!("待发送 {pending} 条"),
            Lang::En => format!("{pending} waiting to send"),
        };
        if failed > 0 {
            text.push_str(&match lang {
                Lang::Zh => format!(" · 发送失败 {failed} 条"),
                Lang::En => format!(" · {failed} refused"),
            });
        }
        text
    };
    let list = move || {
        let lang = lang.get();
        let mut html = String::from("<ul class=\"outbox-list\" id=\"outbox-list\">");
        for e in outbox.mine() {
            let r = &e.item.request;
            let mut line = format!(
                "<strong>{}</strong> <span class=\"muted\">{}</span>",
                esc(&e.item.client_name),
                esc(&i18n::format_datetime(r.device_time, lang))
            );
            if e.photos > 0 {
                line.push_str(&format!(
                    " <span class=\"muted\">{}</span>",
                    esc(&match lang {
                        Lang::Zh => format!("{} 张照片待上传", e.photos),
                        Lang::En => format!("{} photos to upload", e.photos),
                    })
                ));
            }
            let (state, status) = match &e.item.failure {
                Some(f) => (
                    "failed",
                    format!(
                        "{} <span class=\"outbox-error\">{}</span> \
                         <button type=\"button\" class=\"btn btn-small btn-danger-outline\" data-act=\"discard\" data-id=\"{}\">{}</button>",
                        badge_html("badge-danger", w(lang, "发送失败", "Refused")),
                        esc(f.message(lang)),
                        esc(&e.key),
                        w(lang, "删除", "Discard")
                    ),
                ),
                None => ("pending", badge_html("badge-warn", w(lang, "待发送", "Waiting"))),
            };
            html.push_str(&format!(
                "<li class=\"outbox-item\" data-key=\"{}\" data-state=\"{state}\">{line}<div>{status}</div></li>",
                esc(&e.key)
            ));
        }
        html.push_str("</ul>");
        if let Some(error) = outbox.storage_error.get() {
            html.push_str(&format!(
                "<div class=\"alert alert-error\">{} {}</div>",
                w(lang, "无法使用本机存储：", "Local storage unavailable:"),
                esc(&error)
            ));
        }
        html
    };
    let on_act = move |act: String, key: String| {
        if act == "discard" {
            let confirmed = web_sys::window()
                .and_then(|w| w.confirm_with_message(w_confirm(lang.get_untracked())).ok())
                .unwrap_or(false);
            if confirmed {
                spawn_local(async move { outbox.discard(&key).await });
            }
        }
    };
    let disabled = move || !outbox.online.get() || outbox.sending.get() || outbox.mine().is_empty();
    view! {
        <div class="card outbox" id="outbox">
            <div class="outbox-head">
                <strong id="outbox-count">{dyn_text(count)}</strong>
                <button
                    type="button"
                    id="send-now"
                    class="btn btn-primary"
                    disabled=disabled
                    on:click=move |_| outbox.send_now()
                >
                    {move || if outbox.sending.get() {
                        w(lang.get(), "正在发送…", "Sending…")
                    } else {
                        w(lang.get(), "立即发送", "Send now")
                    }}
                </button>
            </div>
            {html_block("outbox-items", list, on_act)}
        </div>
    }
    .into_any()
}

fn w_confirm(lang: Lang) -> &'static str {
    w(
        lang,
        "删除这条未发送的打卡？删除后无法恢复。",
        "Discard this check-in that was never recorded? This cannot be undone.",
    )
}

// ---- Check-in ----

/// The position as the page knows it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Locating {
    Busy,
    Got(Fix),
    Failed(FixError),
}

/// A photo picked for the check-in.
#[derive(Clone)]
struct Photo {
    url: String,
    blob: web_sys::Blob,
    state: PhotoState,
}

#[derive(Clone, PartialEq)]
enum PhotoState {
    Uploading,
    Uploaded(Uuid),
    /// Not uploaded yet (no network): it goes into the outbox with the check-in.
    Waiting,
    Refused(String, String),
}

/// Where the check-in stands once submitted.
#[derive(Clone, PartialEq)]
enum Outcome {
    Delivered(Box<Visit>),
    Waiting,
    Refused(offline::Failure),
}

/// Check-in for one of today's tasks: position, photos, the visit record, the server's verdict.
#[component]
pub fn CheckInPage() -> impl IntoView {
    let params = use_params_map();
    let lang = use_lang();
    let app = use_app();
    let outbox = outbox();
    let task_id = move || {
        params
            .with(|p| p.get("task_id"))
            .and_then(|s| Uuid::parse_str(&s).ok())
    };
    let route = route_resource();
    // The stop is kept once found: after the check-in arrives its task leaves today's list,
    // and the page still shows the verdict.
    let stop = RwSignal::new(None::<RouteStop>);
    Effect::new(move |_| {
        if let (Some(Ok((r, _))), Some(id)) = (route.get(), task_id()) {
            if let Some(found) = r.stops.into_iter().find(|s| s.task.id == id) {
                stop.set(Some(found));
            }
        }
    });

    let fix = RwSignal::new(Locating::Busy);
    let locate = move || {
        fix.set(Locating::Busy);
        spawn_local(async move {
            let result = current_position(FIX_TIMEOUT_MS).await;
            fix.try_set(match result {
                Ok(f) => Locating::Got(f),
                Err(e) => Locating::Failed(e),
            });
        });
    };
    locate();

    let photos = RwSignal::new_local(Vec::<Photo>::new());
    on_cleanup(move || {
        if let Some(all) = photos.try_get_untracked() {
            for p in all {
                let _ = web_sys::Url::revoke_object_url(&p.url);
            }
        }
    });

    let purpose = RwSignal::new(String::new());
    let outcome_text = RwSignal::new(String::new());
    let next_step = RwSignal::new(String::new());
    let competitor = RwSignal::new(String::new());
    let price_gap = RwSignal::new(String::new());
    let churn_reason = RwSignal::new(String::new());
    // The task's title is the usual purpose; the user may change it.
    Effect::new(move |_| {
        if let Some(s) = stop.get() {
            if purpose.get_untracked().is_empty() {
                let title: String = s.task.title.chars().take(limits::PURPOSE).collect();
                purpose.set(title);
            }
        }
    });

    // One key per check-in, made on the phone; a new one only after a key conflict.
    let key = StoredValue::new(new_key());
    let submitted = RwSignal::new(false);
    let local_errors = RwSignal::new(Vec::<FieldError>::new());
    let notice = RwSignal::new(None::<String>);

    let outcome = Memo::new(move |_| {
        if !submitted.get() {
            return None;
        }
        let o = outbox?;
        let key = key.get_value();
        if let Some(visit) = o.delivered_visit(&key) {
            return Some(Outcome::Delivered(Box::new(visit)));
        }
        o.entries
            .with(|all| {
                all.iter()
                    .find(|e| e.key == key)
                    .map(|e| match &e.item.failure {
                        Some(f) => Outcome::Refused(f.clone()),
                        None => Outcome::Waiting,
                    })
            })
            .or(Some(Outcome::Waiting))
    });
    let locked = move || {
        matches!(
            outcome.get(),
            Some(Outcome::Delivered(_) | Outcome::Waiting)
        )
    };
    let errors = Memo::new(move |_| {
        let local = local_errors.get();
        if !local.is_empty() {
            return local;
        }
        match outcome.get() {
            Some(Outcome::Refused(f)) => f.errors,
            _ => Vec::new(),
        }
    });

    let on_files = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(files) = input.files() else {
            return;
        };
        let picked: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
        input.set_value("");
        for file in picked {
            if photos.with_untracked(Vec::len) >= domain::checkin::MAX_PHOTOS {
                notice.set(Some(
                    w(
                        lang.get_untracked(),
                        "每次打卡最多 9 张照片。",
                        "At most 9 photos per check-in.",
                    )
                    .to_owned(),
                ));
                break;
            }
            spawn_local(add_photo(file, photos));
        }
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if locked() {
            return;
        }
        let lang_now = lang.get_untracked();
        notice.set(None);
        let Some(o) = outbox else {
            return;
        };
        let Some(s) = stop.get_untracked() else {
            return;
        };
        let Locating::Got(position) = fix.get_untracked() else {
            notice.set(Some(
                w(
                    lang_now,
                    "尚未取得位置，无法打卡。请允许定位后点“重新定位”。",
                    "No position yet. Allow location access and press “Locate again”.",
                )
                .to_owned(),
            ));
            return;
        };
        if photos.with_untracked(|all| all.iter().any(|p| p.state == PhotoState::Uploading)) {
            notice.set(Some(
                w(
                    lang_now,
                    "照片仍在上传，请稍候。",
                    "Photos are still uploading; a moment please.",
                )
                .to_owned(),
            ));
            return;
        }
        let mut errors = Vec::new();
        let gap_text = price_gap.get_untracked();
        let price_gap_yuan_per_t = if gap_text.trim().is_empty() {
            None
        } else {
            match gap_text.trim().parse::<f64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    errors.push(FieldError::invalid_value(
                        "record.price_gap_yuan_per_t",
                        "not a number",
                        "不是数字",
                    ));
                    None
                }
            }
        };
        let churned = s.client.class == Some(ClientClass::Churned);
        let (uploaded, waiting): (Vec<Uuid>, Vec<web_sys::Blob>) = photos.with_untracked(|all| {
            let ids = all
                .iter()
                .filter_map(|p| match p.state {
                    PhotoState::Uploaded(id) => Some(id),
                    _ => None,
                })
                .collect();
            let blobs = all
                .iter()
                .filter(|p| p.state == PhotoState::Waiting)
                .map(|p| p.blob.clone())
                .collect();
            (ids, blobs)
        });
        // A key the server already holds for other content cannot be used again.
        if matches!(outcome.get_untracked(), Some(Outcome::Refused(f)) if f.status == 409) {
            key.set_value(new_key());
        }
        let request = CheckInRequest {
            client_id: s.client.id,
            task_id: Some(s.task.id),
            idempotency_key: key.get_value(),
            device_time: browser_now(),
            sent_at: None,
            position: GeoPoint {
                lat: position.lat,
                lon: position.lon,
            },
            accuracy_m: position.accuracy_m,
            record: VisitRecord {
                purpose: purpose.get_untracked(),
                outcome: outcome_text.get_untracked(),
                next_step: next_step.get_untracked(),
                competitor_seen: Some(competitor.get_untracked()),
                price_gap_yuan_per_t,
                churn_reason: if churned {
                    ChurnReason::from_code(&churn_reason.get_untracked())
                } else {
                    None
                },
            },
            photo_ids: uploaded,
        }
        .normalised();
        if let Err(found) = request.validate() {
            errors.extend(found.0);
        }
        if !errors.is_empty() {
            local_errors.set(errors);
            return;
        }
        local_errors.set(Vec::new());
        let item = QueuedCheckIn {
            user_id: offline::user_id(&app),
            client_name: s.client.name.clone(),
            request,
            failure: None,
        };
        spawn_local(async move {
            match o.enqueue(&item, &waiting).await {
                Ok(()) => {
                    submitted.try_set(true);
                }
                Err(e) => {
                    notice.try_set(Some(e));
                }
            }
        });
    };

    let header = move || {
        let lang = lang.get();
        match (stop.get(), route.get()) {
            (Some(s), _) => format!(
                "<h1>{} <span class=\"checkin-client\">{}</span></h1>\
                 <p class=\"stop-address\">{} {}</p>",
                w(lang, "打卡", "Check in"),
                esc(&s.client.name),
                class_html(s.client.class, lang),
                esc(&s.client.address)
            ),
            (None, Some(Ok(_))) => format!(
                "<h1>{}</h1><div class=\"alert alert-warn\" id=\"task-missing\">{}</div>",
                w(lang, "打卡", "Check in"),
                w(
                    lang,
                    "该任务不在今日待走访列表中（可能已打卡或已办结）。",
                    "This task is not among today's open visits (checked in or closed already)."
                )
            ),
            (None, Some(Err(e))) => format!(
                "<h1>{}</h1><div class=\"alert alert-error\" role=\"alert\">{}</div>",
                w(lang, "打卡", "Check in"),
                esc(&e.message(lang))
            ),
            (None, None) => format!(
                "<div class=\"loading\">{}</div>",
                w(lang, "加载中…", "Loading…")
            ),
        }
    };

    let result = move || {
        let lang = lang.get();
        match outcome.get() {
            Some(Outcome::Delivered(visit)) => {
                let a = &visit.assessment;
                let explain = match a.verdict {
                    domain::checkin::CheckInVerdict::Verified => {
                        w(lang, "打卡成功，位置已核实。", "Checked in; the place is verified.")
                    }
                    domain::checkin::CheckInVerdict::OffSite => w(
                        lang,
                        "打卡已记录，但位置不在客户现场，将提交主任复核。",
                        "Recorded, but away from the client: your director will review it.",
                    ),
                    domain::checkin::CheckInVerdict::NoClientLocation => w(
                        lang,
                        "打卡已记录；客户未登记位置，无法核实。",
                        "Recorded; the client has no registered location to verify against.",
                    ),
                };
                let clock = if a.clock_flag {
                    format!(
                        "<p>{}</p>",
                        badge_html(
                            "badge-warn",
                            w(lang, "手机时间与服务器相差超过 10 分钟", "Phone clock more than 10 minutes off")
                        )
                    )
                } else {
                    String::new()
                };
                format!(
                    "<div class=\"card checkin-result\" id=\"checkin-result\" data-state=\"delivered\" data-verdict=\"{}\">\
                     <p class=\"checkin-verdict\">{}</p><p>{}</p>{clock}\
                     <a class=\"btn btn-large btn-primary btn-block\" href=\"/m\">{}</a></div>",
                    a.verdict.code(),
                    verdict_badge(a, lang),
                    esc(explain),
                    w(lang, "返回今日走访", "Back to today's visits")
                )
            }
            Some(Outcome::Waiting) => {
                let online = outbox.is_some_and(|o| o.online.get());
                let sending = outbox.is_some_and(|o| o.sending.get());
                let text = if !online {
                    w(
                        lang,
                        "无网络：打卡已保存到待发送队列，网络恢复后自动发送。",
                        "No network: the check-in is saved and will be sent when the network returns.",
                    )
                } else if sending {
                    w(lang, "正在发送…", "Sending…")
                } else {
                    w(
                        lang,
                        "尚未发送成功：打卡已保存在待发送队列，将自动重试。",
                        "Not sent yet: the check-in is saved in the outbox and will be retried.",
                    )
                };
                format!(
                    "<div class=\"card checkin-result\" id=\"checkin-result\" data-state=\"pending\">\
                     <p>{}</p><p>{}</p><a class=\"btn btn-large btn-block\" href=\"/m\">{}</a></div>",
                    badge_html("badge-warn", w(lang, "待发送", "Waiting to send")),
                    esc(text),
                    w(lang, "返回今日走访", "Back to today's visits")
                )
            }
            Some(Outcome::Refused(f)) => format!(
                "<div class=\"alert alert-error checkin-result\" id=\"checkin-result\" data-state=\"failed\" role=\"alert\">\
                 {} {}</div>",
                badge_html("badge-danger", w(lang, "未被接受", "Refused")),
                esc(f.message(lang))
            ),
            None => String::new(),
        }
    };

    let position_html = move || {
        let lang = lang.get();
        match fix.get() {
            Locating::Busy => format!(
                "<p id=\"checkin-position\" data-state=\"busy\">{}</p>",
                w(lang, "正在定位…", "Finding your position…")
            ),
            Locating::Got(f) => format!(
                "<p id=\"checkin-position\" data-state=\"ok\">{} {}, {} \
                 <span id=\"checkin-accuracy\" class=\"badge {}\">{} ±{}</span></p>",
                w(lang, "当前位置", "Position"),
                i18n::format_number(f.lat, 5, 5),
                i18n::format_number(f.lon, 5, 5),
                if f.accuracy_m <= 100.0 { "badge-ok" } else { "badge-warn" },
                w(lang, "精度", "accuracy"),
                esc(&distance_text(f.accuracy_m, lang))
            ),
            Locating::Failed(e) => format!(
                "<div id=\"checkin-position\" data-state=\"error\" class=\"alert alert-error\" role=\"alert\">{}</div>",
                esc(fix_error_text(e, lang))
            ),
        }
    };

    let photos_view = move || {
        let lang = lang.get();
        photos
            .get()
            .into_iter()
            .map(|p| {
                let (class, text) = match &p.state {
                    PhotoState::Uploading => {
                        ("badge-info", w(lang, "上传中…", "Uploading…").to_owned())
                    }
                    PhotoState::Uploaded(_) => {
                        ("badge-ok", w(lang, "已上传", "Uploaded").to_owned())
                    }
                    PhotoState::Waiting => ("badge-warn", w(lang, "待上传", "Waiting").to_owned()),
                    PhotoState::Refused(zh, en) => (
                        "badge-danger",
                        if lang == Lang::Zh {
                            zh.clone()
                        } else {
                            en.clone()
                        },
                    ),
                };
                let url = p.url.clone();
                view! {
                    <li class="checkin-photo">
                        <img src=url alt=""/>
                        <span class=format!("badge {class}")>{text}</span>
                    </li>
                }
            })
            .collect_view()
    };

    let churned = move || {
        stop.with(|s| {
            s.as_ref()
                .is_some_and(|s| s.client.class == Some(ClientClass::Churned))
        })
    };
    // Errors of fields that are not on the form (the task, photos, the position).
    let other_errors = move || {
        let lang = lang.get();
        const ON_FORM: [&str; 6] = [
            "record.purpose",
            "record.outcome",
            "record.next_step",
            "record.competitor_seen",
            "record.price_gap_yuan_per_t",
            "record.churn_reason",
        ];
        errors.with(|all| {
            all.iter()
                .filter(|e| !ON_FORM.contains(&e.field.as_str()))
                .map(|e| {
                    let text = match lang {
                        Lang::Zh => e.message_zh.clone(),
                        Lang::En => e.message.clone(),
                    };
                    view! { <div class="field-error" data-field=e.field.clone()>{text}</div> }
                })
                .collect_view()
        })
    };

    view! {
        <section class="phone-page" id="phone-checkin">
            <a href="/m" class="phone-back">{wt("‹ 今日走访", "‹ Today's visits")}</a>
            {html_block("checkin-head", header, |_, _| {})}
            {html_block("checkin-outcome", result, |_, _| {})}
            {move || stop.with(Option::is_some).then(|| view! {
                <div class="card checkin-section">
                    <h2>{wt("定位", "Position")}</h2>
                    {html_block("checkin-fix", position_html, |_, _| {})}
                    <button type="button" id="locate-again" class="btn btn-large" on:click=move |_| locate()
                        disabled=move || fix.get() == Locating::Busy || locked()>
                        {wt("重新定位", "Locate again")}
                    </button>
                </div>
                <div class="card checkin-section">
                    <h2>{wt("现场照片", "Photos")}</h2>
                    <ul class="checkin-photos" id="checkin-photos">{photos_view}</ul>
                    <label class="btn btn-large photo-button" for="photo-input"
                        class:hidden=locked>
                        {wt("拍照 / 选择照片", "Take or choose a photo")}
                    </label>
                    <input id="photo-input" type="file" accept="image/*" capture="environment" multiple
                        class="visually-hidden" on:change=on_files/>
                </div>
                <form class="card checkin-section checkin-form" id="checkin-form" on:submit=submit novalidate>
                    <h2>{wt("走访记录", "Visit record")}</h2>
                    <div class="field">
                        <label class="field-label" for="purpose">{wt("走访目的", "Purpose")}<span class="required">" *"</span></label>
                        <input id="purpose" name="record.purpose" type="text" maxlength="200"
                            class:invalid=move || has_error(errors, "record.purpose")
                            prop:value=move || purpose.get() on:input=move |ev| purpose.set(event_target_value(&ev))
                            disabled=locked/>
                        {field_errors(errors, "record.purpose", ("走访目的", "Purpose"))}
                    </div>
                    <div class="field">
                        <label class="field-label" for="outcome">{wt("走访结果", "Outcome")}<span class="required">" *"</span></label>
                        <textarea id="outcome" name="record.outcome" rows="4"
                            class:invalid=move || has_error(errors, "record.outcome")
                            prop:value=move || outcome_text.get() on:input=move |ev| outcome_text.set(event_target_value(&ev))
                            disabled=locked></textarea>
                        {field_errors(errors, "record.outcome", ("走访结果", "Outcome"))}
                    </div>
                    <div class="field">
                        <label class="field-label" for="next-step">{wt("下一步", "Next step")}</label>
                        <textarea id="next-step" name="record.next_step" rows="2"
                            class:invalid=move || has_error(errors, "record.next_step")
                            prop:value=move || next_step.get() on:input=move |ev| next_step.set(event_target_value(&ev))
                            disabled=locked></textarea>
                        {field_errors(errors, "record.next_step", ("下一步", "Next step"))}
                    </div>
                    <div class="field">
                        <label class="field-label" for="competitor">{wt("现场竞争对手", "Competitor seen")}</label>
                        <input id="competitor" name="record.competitor_seen" type="text" maxlength="100"
                            class:invalid=move || has_error(errors, "record.competitor_seen")
                            prop:value=move || competitor.get() on:input=move |ev| competitor.set(event_target_value(&ev))
                            disabled=locked/>
                        {field_errors(errors, "record.competitor_seen", ("现场竞争对手", "Competitor seen"))}
                    </div>
                    <div class="field">
                        <label class="field-label" for="price-gap">{wt("价差（元/吨，对手比我们便宜为负）", "Price gap (yuan/t, negative: they are cheaper)")}</label>
                        <input id="price-gap" name="record.price_gap_yuan_per_t" type="number" inputmode="decimal" step="any"
                            class:invalid=move || has_error(errors, "record.price_gap_yuan_per_t")
                            prop:value=move || price_gap.get() on:input=move |ev| price_gap.set(event_target_value(&ev))
                            disabled=locked/>
                        {field_errors(errors, "record.price_gap_yuan_per_t", ("价差", "Price gap"))}
                    </div>
                    {move || churned().then(|| view! {
                        <div class="field">
                            <label class="field-label" for="churn-reason">{wt("流失原因", "Churn reason")}</label>
                            <select id="churn-reason" name="record.churn_reason"
                                on:change=move |ev| churn_reason.set(event_target_value(&ev)) disabled=locked>
                                <option value="" selected=move || churn_reason.get().is_empty()>{wt("（未确定）", "(not known)")}</option>
                                {ChurnReason::ALL.iter().map(|r| view! {
                                    <option value=r.code() selected=move || churn_reason.get() == r.code()>{label!(*r)}</option>
                                }).collect_view()}
                            </select>
                            {field_errors(errors, "record.churn_reason", ("流失原因", "Churn reason"))}
                        </div>
                    })}
                    <div class="field-errors-other">{other_errors}</div>
                    {move || notice.get().map(|n| view! { <div class="alert alert-error" role="alert" id="checkin-notice">{n}</div> })}
                    <button type="submit" id="checkin-submit" class="btn btn-primary btn-large btn-block"
                        disabled=move || locked() || !matches!(fix.get(), Locating::Got(_))>
                        {wt("提交打卡", "Check in")}
                    </button>
                </form>
            })}
        </section>
    }
}

fn fix_error_text(error: FixError, lang: Lang) -> &'static str {
    match error {
        FixError::Denied => w(
            lang,
            "未获得定位权限：请在浏览器或系统设置中允许本网站使用位置信息，然后点“重新定位”。",
            "Location access was refused: allow this site to use your location in the browser or phone settings, then press “Locate again”.",
        ),
        FixError::Timeout => w(
            lang,
            "定位超时：请到开阔处或打开 GPS 后点“重新定位”。",
            "No position in time: move into the open or turn on GPS, then press “Locate again”.",
        ),
        FixError::Unavailable => w(
            lang,
            "无法取得位置：请打开 GPS 后重试。",
            "The position is not available: turn on GPS and try again.",
        ),
        FixError::Unsupported => w(
            lang,
            "此浏览器不支持定位，无法打卡。",
            "This browser cannot tell its position; checking in needs it.",
        ),
    }
}

/// Prepares a picked photo and uploads it at once when there is a network.
async fn add_photo(file: web_sys::File, photos: RwSignal<Vec<Photo>, LocalStorage>) {
    let blob = prepare_photo(&file).await;
    let content_type = blob.type_();
    let accepted = matches!(content_type.as_str(), "image/jpeg" | "image/png");
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let state = if !accepted {
        PhotoState::Refused(
            "只支持 JPEG / PNG 照片".to_owned(),
            "Only JPEG or PNG photos".to_owned(),
        )
    } else if offline::is_online() {
        PhotoState::Uploading
    } else {
        PhotoState::Waiting
    };
    let index = photos.with_untracked(Vec::len);
    let upload = state == PhotoState::Uploading;
    photos.update(|all| {
        all.push(Photo {
            url,
            blob: blob.clone(),
            state,
        })
    });
    if !upload {
        return;
    }
    let next = match api::send_blob("/api/v1/visits/photos", &blob, &content_type).await {
        Ok(text) => match api::decode::<PhotoUploaded>(&text) {
            Ok(p) => PhotoState::Uploaded(p.id),
            Err(_) => PhotoState::Waiting,
        },
        // Sent later with the check-in.
        Err(ApiError::Network(_)) => PhotoState::Waiting,
        Err(e) if matches!(&e, ApiError::Problem(p) if p.status >= 500) => PhotoState::Waiting,
        Err(e) => PhotoState::Refused(e.message(Lang::Zh), e.message(Lang::En)),
    };
    photos.try_update(|all| {
        if let Some(p) = all.get_mut(index) {
            p.state = next;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amap_links_carry_the_gcj02_point_as_lon_lat() {
        // Changsha: GCJ-02 lies a few hundred metres from WGS-84.
        let point = GeoPoint {
            lat: 28.2282,
            lon: 112.9388,
        };
        let gcj = wgs84_to_gcj02(point);
        let link = amap_link(point, "岳麓 A&B");
        assert!(link.starts_with(&format!(
            "https://uri.amap.com/marker?position={:.6},{:.6}&",
            gcj.lon, gcj.lat
        )));
        assert!((gcj.lat - point.lat).abs() + (gcj.lon - point.lon).abs() > 0.001);
        assert!(link.contains("&name=%E5%B2%B3%E9%BA%93%20A%26B&"), "{link}");
    }

    #[test]
    fn outside_china_the_link_keeps_the_point() {
        let seattle = GeoPoint {
            lat: 47.6062,
            lon: -122.3321,
        };
        assert!(amap_link(seattle, "x").contains("position=-122.332100,47.606200&"));
    }
}
