//! Visits for managers (DESIGN §2.4, §2.5, §5): the visit list, the review queue (directors
//! review account managers' visits, leaders directors'), and one visit with its photos, the
//! review comments and the comment form that may raise a follow-up task.
//!
//! The sub-navigation and the small helpers here are shared by the plans, map and
//! effectiveness pages (`plans`, `visit_map`). Lists are HTML text (see `components`).

use crate::api;
use crate::components::{
    badge_html, dyn_text, dyn_view, esc, field_errors, get_resource, has_error, html_block, loaded,
    now_millis, pager, section_tabs, FormStatus, HtmlTable, Label,
};
use crate::i18n;
use crate::state::{use_app, use_lang};
use chrono::{DateTime, NaiveDate, Utc};
use domain::checkin::{CheckInAssessment, CheckInVerdict};
use domain::org::Role;
use domain::visit::{FollowUpRequest, NewVisitComment, Visit, VisitPage};
use domain::Lang;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

/// The text of a phrase in the current language.
pub fn w(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    (zh, en).text(lang)
}

/// Reactive text of a phrase (follows the language switch).
pub fn wt(zh: &'static str, en: &'static str) -> AnyView {
    let lang = use_lang();
    dyn_text(move || w(lang.get(), zh, en).to_owned())
}

/// Today in the browser's time zone (`chrono`'s clock does not run in WASM).
pub fn browser_today() -> NaiveDate {
    let now = js_sys::Date::new_0();
    NaiveDate::from_ymd_opt(
        now.get_full_year() as i32,
        now.get_month() + 1,
        now.get_date(),
    )
    .unwrap_or_default()
}

/// The browser's clock as a UTC instant.
pub fn browser_now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(now_millis()).unwrap_or_default()
}

/// A link to a client's page (HTML).
pub fn client_link(id: Uuid, name: &str) -> String {
    format!(
        "<a href=\"/clients/{id}\" class=\"client-link\">{}</a>",
        esc(name)
    )
}

/// A distance in metres, as metres below 1 km and as kilometres above.
pub fn distance_text(metres: f64, lang: Lang) -> String {
    if metres < 1000.0 {
        let m = i18n::format_number(metres, 0, 0);
        match lang {
            Lang::Zh => format!("{m} 米"),
            Lang::En => format!("{m} m"),
        }
    } else {
        let km = i18n::format_number(metres / 1000.0, 1, 1);
        match lang {
            Lang::Zh => format!("{km} 公里"),
            Lang::En => format!("{km} km"),
        }
    }
}

/// The verdict of a check-in as a badge with the distance (HTML).
pub fn verdict_badge(a: &CheckInAssessment, lang: Lang) -> String {
    let (class, word) = match a.verdict {
        CheckInVerdict::Verified => ("badge-ok verdict-verified", w(lang, "已核实", "Verified")),
        CheckInVerdict::OffSite => (
            "badge-danger verdict-off_site",
            w(lang, "不在现场", "Off site"),
        ),
        CheckInVerdict::NoClientLocation => (
            "badge-muted verdict-no_client_location",
            w(lang, "客户无位置", "No client location"),
        ),
    };
    let text = match a.distance_m {
        Some(d) => format!("{word} · {}", distance_text(d, lang)),
        None => word.to_owned(),
    };
    badge_html(class, &text)
}

/// A clock skew in words: seconds, minutes or hours, with the direction.
fn skew_text(seconds: i64, lang: Lang) -> String {
    let size = seconds.unsigned_abs();
    let amount = if size < 120 {
        format!("{size}{}", w(lang, " 秒", " s"))
    } else if size < 7200 {
        format!("{}{}", size / 60, w(lang, " 分钟", " min"))
    } else {
        format!("{}{}", size / 3600, w(lang, " 小时", " h"))
    };
    let way = if seconds < 0 {
        w(lang, "慢", "behind")
    } else {
        w(lang, "快", "ahead")
    };
    match lang {
        Lang::Zh => format!("手机时间{way} {amount}"),
        Lang::En => format!("phone {amount} {way}"),
    }
}

/// The clock check as a badge (HTML): flagged, or fine.
fn clock_badge(a: &CheckInAssessment, lang: Lang) -> String {
    if a.clock_flag {
        badge_html(
            "badge-warn clock-flag",
            &format!(
                "{} · {}",
                w(lang, "时间异常", "Clock off"),
                skew_text(a.clock_skew_s, lang)
            ),
        )
    } else {
        format!("<span class=\"muted\">{}</span>", w(lang, "正常", "OK"))
    }
}

/// The first `max` characters of a text, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

/// Whole days a visit has waited for its review.
fn waiting_days(v: &Visit, now: DateTime<Utc>) -> i64 {
    (now - v.received_at).num_days()
}

/// Whether the signed-in user reviews visits and plans (directors, leaders, administrators).
pub fn is_reviewer() -> Signal<bool> {
    let app = use_app();
    Signal::derive(move || {
        app.user.with(|u| {
            u.as_ref()
                .is_some_and(|u| matches!(u.role, Role::Director | Role::Leader | Role::Admin))
        })
    })
}

/// The sub-navigation of the visits section.
pub fn visits_nav() -> AnyView {
    section_tabs(
        "visits",
        "visits",
        &[
            ("list", "/visits", "走访记录", "Visits"),
            ("review", "/visits/review", "待点评", "Review queue"),
            ("plans", "/visits/plans", "计划与覆盖", "Plans and coverage"),
            ("map", "/visits/map", "地图", "Map"),
            (
                "effectiveness",
                "/visits/effectiveness",
                "走访成效",
                "Effectiveness",
            ),
        ],
    )
}

/// The visits as an HTML table. With `highlight_after` (days), unreviewed visits that have
/// waited longer are marked.
fn visits_table(items: &[Visit], lang: Lang, highlight_after: Option<i64>) -> String {
    let now = browser_now();
    let headers = [
        w(lang, "时间", "Time"),
        w(lang, "客户", "Client"),
        w(lang, "走访人", "Who"),
        w(lang, "位置核验", "Place"),
        w(lang, "时间核验", "Clock"),
        w(lang, "目的 / 结果", "Purpose / outcome"),
        w(lang, "照片", "Photos"),
        w(lang, "点评", "Review"),
    ];
    let mut table = HtmlTable::new("visit-table", &headers);
    for v in items {
        let waited = waiting_days(v, now);
        let late = v.reviewed_at.is_none() && highlight_after.is_some_and(|n| waited > n);
        table.row(
            if late {
                "visit-row overdue"
            } else {
                "visit-row"
            },
            &format!("id=\"visit-{}\" data-id=\"{}\"", v.id, v.id),
        );
        table.cell(
            headers[0],
            "nowrap",
            &format!(
                "<a href=\"/visits/{}\" class=\"visit-link\">{}</a>",
                v.id,
                esc(&i18n::format_datetime(v.received_at, lang))
            ),
        );
        table.cell(headers[1], "", &client_link(v.client_id, &v.client_name));
        table.cell(headers[2], "", &esc(&v.user_name));
        table.cell(headers[3], "", &verdict_badge(&v.assessment, lang));
        table.cell(headers[4], "", &clock_badge(&v.assessment, lang));
        table.cell(
            headers[5],
            "cell-record",
            &format!(
                "<strong>{}</strong><br><span class=\"muted\">{}</span>",
                esc(&shorten(&v.record.purpose, 40)),
                esc(&shorten(&v.record.outcome, 80))
            ),
        );
        table.cell(headers[6], "num", &v.photo_ids.len().to_string());
        let review = match v.reviewed_at {
            Some(at) => format!(
                "{}<br><span class=\"muted\">{}</span>",
                badge_html("badge-ok", w(lang, "已点评", "Reviewed")),
                esc(&i18n::format_datetime(at, lang))
            ),
            None => {
                let waiting = match lang {
                    Lang::Zh => format!("已等待 {waited} 天"),
                    Lang::En if waited == 1 => "waiting 1 day".to_owned(),
                    Lang::En => format!("waiting {waited} days"),
                };
                format!(
                    "{}<br><span class=\"{}\">{}</span>",
                    badge_html(
                        if late { "badge-danger" } else { "badge-info" },
                        w(lang, "待点评", "Not reviewed")
                    ),
                    if late {
                        "waiting late"
                    } else {
                        "waiting muted"
                    },
                    waiting
                )
            }
        };
        table.cell(headers[7], "", &review);
    }
    table.finish()
}

/// Rows per page of the visit lists.
const PER_PAGE: u64 = 50;

/// `/visits`: every visit the caller may see, newest first.
#[component]
pub fn VisitListPage() -> impl IntoView {
    let lang = use_lang();
    let page = RwSignal::new(1u64);
    let mine = RwSignal::new(false);
    let list = get_resource(move || {
        format!(
            "/api/v1/visits?page={}&per_page={PER_PAGE}{}",
            page.get(),
            if mine.get() { "&mine=true" } else { "" }
        )
    });
    let total = Memo::new(move |_| {
        loaded::<VisitPage>(list)
            .and_then(Result::ok)
            .map(|p| (p.total, p.per_page))
    });
    let html = move || {
        let lang = lang.get();
        match loaded::<VisitPage>(list) {
            None => format!("<p class=\"muted\">{}</p>", w(lang, "加载中…", "Loading…")),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok(p)) if p.items.is_empty() => format!(
                "<p class=\"muted empty\">{}</p>",
                w(lang, "暂无走访记录", "No visits yet")
            ),
            Some(Ok(p)) => format!(
                "<p class=\"total\">{}</p>{}",
                esc(&i18n::format_entries(p.total, lang)),
                visits_table(&p.items, lang, None)
            ),
        }
    };
    view! {
        <section class="page visits-page">
            <h1>{wt("走访", "Visits")}</h1>
            {visits_nav()}
            <div class="toolbar">
                <label class="check">
                    <input
                        type="checkbox"
                        id="visits-mine"
                        prop:checked=move || mine.get()
                        on:change=move |ev| {
                            mine.set(event_target_checked(&ev));
                            page.set(1);
                        }
                    />
                    {wt("只看我的", "Mine only")}
                </label>
            </div>
            {html_block("visit-list", html, |_, _| {})}
            {pager("visits", page, total)}
        </section>
    }
}

/// `/visits/review`: the visits waiting for the caller's review, oldest waits marked.
#[component]
pub fn ReviewQueuePage() -> impl IntoView {
    let lang = use_lang();
    let page = RwSignal::new(1u64);
    let days = RwSignal::new(3i64);
    let only_late = RwSignal::new(false);
    let list = get_resource(move || {
        let mut path = format!(
            "/api/v1/visits?unreviewed=true&page={}&per_page={PER_PAGE}",
            page.get()
        );
        if only_late.get() {
            path.push_str(&format!("&older_than_days={}", days.get()));
        }
        path
    });
    let total = Memo::new(move |_| {
        loaded::<VisitPage>(list)
            .and_then(Result::ok)
            .map(|p| (p.total, p.per_page))
    });
    let html = move || {
        let lang = lang.get();
        let days = days.get();
        match loaded::<VisitPage>(list) {
            None => format!("<p class=\"muted\">{}</p>", w(lang, "加载中…", "Loading…")),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok(p)) if p.items.is_empty() => format!(
                "<p class=\"muted empty\" id=\"review-empty\">{}</p>",
                w(lang, "没有待点评的走访", "Nothing waiting for your review")
            ),
            Some(Ok(p)) => {
                let now = browser_now();
                let late = p
                    .items
                    .iter()
                    .filter(|v| waiting_days(v, now) > days)
                    .count();
                let note = match lang {
                    Lang::Zh => format!(
                        "待点评 {} 条，本页有 {late} 条已等待超过 {days} 天",
                        i18n::format_count(p.total)
                    ),
                    Lang::En => format!(
                        "{} waiting; {late} on this page for more than {days} days",
                        i18n::format_count(p.total)
                    ),
                };
                format!(
                    "<p class=\"total\" id=\"review-total\">{}</p>{}",
                    esc(&note),
                    visits_table(&p.items, lang, Some(days))
                )
            }
        }
    };
    view! {
        <section class="page visits-page review-page">
            <h1>{wt("走访", "Visits")}</h1>
            {visits_nav()}
            <p class="hint">
                {wt(
                    "主任点评客户经理的走访，分管领导点评主任的走访。",
                    "Directors review account managers' visits; leaders review directors'.",
                )}
            </p>
            <div class="toolbar">
                <label class="inline-field" for="review-days">
                    {wt("超过以下天数未点评时标红", "Mark visits waiting more than")}
                    <select
                        id="review-days"
                        on:change=move |ev| {
                            if let Ok(n) = event_target_value(&ev).parse() {
                                days.set(n);
                                page.set(1);
                            }
                        }
                    >
                        {[1i64, 2, 3, 5, 7, 14, 30]
                            .into_iter()
                            .map(|n| {
                                view! {
                                    <option value=n.to_string() prop:selected=move || days.get() == n>
                                        {move || match lang.get() {
                                            Lang::Zh => format!("{n} 天"),
                                            Lang::En => format!("{n} days"),
                                        }}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label class="check">
                    <input
                        type="checkbox"
                        id="review-only-late"
                        prop:checked=move || only_late.get()
                        on:change=move |ev| {
                            only_late.set(event_target_checked(&ev));
                            page.set(1);
                        }
                    />
                    {wt("只看超时的", "Only those waiting longer")}
                </label>
            </div>
            {html_block("review-queue", html, |_, _| {})}
            {pager("visits", page, total)}
        </section>
    }
}

/// `/visits/:id`: one visit, its photos and comments, and the review form.
#[component]
pub fn VisitDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .with(|p| p.get("id"))
            .and_then(|id| Uuid::parse_str(&id).ok())
    });
    let lang = use_lang();
    let visit = get_resource(move || match id.get() {
        Some(id) => format!("/api/v1/visits/{id}"),
        // Not a UUID: the server answers 404 for it like for any unknown visit.
        None => "/api/v1/visits/not-found".to_owned(),
    });
    let current = Memo::new(move |_| loaded::<Visit>(visit).and_then(Result::ok));
    let photos = Memo::new(move |_| current.get().map(|v| v.photo_ids).unwrap_or_default());
    // The form is made again only for another visit, not when this one reloads.
    let who = Memo::new(move |_| current.get().map(|v| (v.id, v.user_id)));
    let sent = RwSignal::new(false);
    let html = move || {
        let lang = lang.get();
        match loaded::<Visit>(visit) {
            None => format!("<p class=\"muted\">{}</p>", w(lang, "加载中…", "Loading…")),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok(v)) => visit_html(&v, lang),
        }
    };
    let comments = move || {
        let lang = lang.get();
        match current.get() {
            None => String::new(),
            Some(v) => comments_html(&v, lang),
        }
    };
    view! {
        <section class="page visit-detail-page">
            <h1>{wt("走访记录", "Visit record")}</h1>
            {visits_nav()}
            {html_block("visit-detail", html, |_, _| {})}
            {dyn_view(move || photo_strip(photos.get()))}
            <section class="card section">
                <h2>{wt("点评", "Review comments")}</h2>
                {html_block("visit-comments", comments, |_, _| {})}
                {move || sent.get().then(|| view! {
                    <div class="alert alert-ok" role="status" id="comment-sent">{wt("点评已提交", "Comment posted")}</div>
                })}
                {dyn_view(move || match who.get() {
                    Some((id, author)) => comment_form(id, author, sent, move || visit.refetch()),
                    None => ().into_any(),
                })}
            </section>
        </section>
    }
}

fn visit_html(v: &Visit, lang: Lang) -> String {
    let a = &v.assessment;
    let r = &v.record;
    let mut items: Vec<(&str, String)> = vec![
        (
            w(lang, "客户", "Client"),
            client_link(v.client_id, &v.client_name),
        ),
        (w(lang, "走访人", "Visited by"), esc(&v.user_name)),
        (
            w(lang, "打卡时间（手机）", "Check-in time (phone)"),
            esc(&i18n::format_datetime(v.device_time, lang)),
        ),
        (
            w(lang, "服务器收到", "Received by the server"),
            esc(&i18n::format_datetime(v.received_at, lang)),
        ),
    ];
    if let Some(sent) = v.sent_at {
        items.push((
            w(lang, "手机发送时间", "Sent by the phone"),
            esc(&i18n::format_datetime(sent, lang)),
        ));
    }
    items.push((
        w(lang, "位置核验", "Place"),
        format!(
            "{} <span class=\"muted\">{}</span>",
            verdict_badge(a, lang),
            esc(&match lang {
                Lang::Zh => format!("允许范围 {}", distance_text(a.allowed_m, lang)),
                Lang::En => format!("allowed {}", distance_text(a.allowed_m, lang)),
            })
        ),
    ));
    items.push((
        w(lang, "定位", "Position"),
        esc(&format!(
            "{}, {} (±{})",
            i18n::format_number(v.position.lat, 5, 5),
            i18n::format_number(v.position.lon, 5, 5),
            distance_text(v.accuracy_m, lang)
        )),
    ));
    items.push((w(lang, "时间核验", "Clock"), clock_badge(a, lang)));
    items.push((w(lang, "走访目的", "Purpose"), esc(&r.purpose)));
    items.push((w(lang, "走访结果", "Outcome"), esc(&r.outcome)));
    items.push((
        w(lang, "下一步", "Next step"),
        if r.next_step.is_empty() {
            "—".to_owned()
        } else {
            esc(&r.next_step)
        },
    ));
    items.push((
        w(lang, "竞争对手", "Competitor seen"),
        r.competitor_seen
            .as_deref()
            .map_or_else(|| "—".to_owned(), esc),
    ));
    items.push((
        w(lang, "价差（元/吨）", "Price gap (yuan/t)"),
        r.price_gap_yuan_per_t
            .map_or_else(|| "—".to_owned(), |g| i18n::format_number(g, 0, 2)),
    ));
    if let Some(reason) = r.churn_reason {
        items.push((w(lang, "流失原因", "Churn reason"), esc(reason.label(lang))));
    }
    items.push((
        w(lang, "点评状态", "Review"),
        match v.reviewed_at {
            Some(at) => format!(
                "{} <span class=\"muted\">{}</span>",
                badge_html("badge-ok", w(lang, "已点评", "Reviewed")),
                esc(&i18n::format_datetime(at, lang))
            ),
            None => badge_html("badge-info", w(lang, "待点评", "Not reviewed")),
        },
    ));
    let mut html = String::from("<dl class=\"items visit-grid card\">");
    for (label, value) in items {
        html.push_str(&format!(
            "<div class=\"item\"><dt>{}</dt><dd>{value}</dd></div>",
            esc(label)
        ));
    }
    html.push_str("</dl>");
    html
}

fn comments_html(v: &Visit, lang: Lang) -> String {
    if v.comments.is_empty() {
        return format!(
            "<p class=\"muted\" id=\"no-comments\">{}</p>",
            w(lang, "还没有点评", "No comments yet")
        );
    }
    let mut html = String::from("<ul class=\"comment-list\">");
    for c in &v.comments {
        let follow_up = if c.follow_up_task_id.is_some() {
            format!(
                " {}",
                badge_html(
                    "badge-warn",
                    w(lang, "已生成跟进任务", "Follow-up task raised")
                )
            )
        } else {
            String::new()
        };
        html.push_str(&format!(
            "<li class=\"comment\" id=\"comment-{}\"><div class=\"comment-head\"><strong>{}</strong> \
             <span class=\"muted\">{}</span>{follow_up}</div><p class=\"comment-body\">{}</p></li>",
            c.id,
            esc(&c.author_name),
            esc(&i18n::format_datetime(c.created_at, lang)),
            esc(&c.body)
        ));
    }
    html.push_str("</ul>");
    html
}

/// The visit's photos, fetched signed in (the image routes need the token).
fn photo_strip(ids: Vec<Uuid>) -> AnyView {
    if ids.is_empty() {
        return view! {
            <p class="muted" id="no-photos">{wt("没有照片", "No photos")}</p>
        }
        .into_any();
    }
    let urls = RwSignal::new(vec![None::<String>; ids.len()]);
    for (index, id) in ids.iter().copied().enumerate() {
        leptos::task::spawn_local(async move {
            if let Ok(url) = api::object_url(&format!("/api/v1/visits/photos/{id}")).await {
                urls.try_update(|all| {
                    if let Some(slot) = all.get_mut(index) {
                        *slot = Some(url);
                    }
                });
            }
        });
    }
    // The object URLs hold the images in memory until they are revoked.
    on_cleanup(move || {
        if let Some(all) = urls.try_get_untracked() {
            for url in all.into_iter().flatten() {
                let _ = web_sys::Url::revoke_object_url(&url);
            }
        }
    });
    view! {
        <div class="visit-photos" id="visit-photos">
            {move || {
                urls.get()
                    .into_iter()
                    .map(|url| match url {
                        Some(url) => {
                            let open = url.clone();
                            view! {
                                <button type="button" class="photo-thumb" on:click=move |_| api::open_in_new_tab(&open)>
                                    <img src=url class="visit-photo" alt="" loading="lazy"/>
                                </button>
                            }
                            .into_any()
                        }
                        None => view! { <span class="photo-thumb loading" aria-busy="true"></span> }.into_any(),
                    })
                    .collect_view()
            }}
        </div>
    }
    .into_any()
}

/// The review form: a comment and, optionally, a follow-up task for the visit's author.
/// Shown to reviewers on visits that are not their own (the server has the last word).
fn comment_form(
    visit_id: Uuid,
    author_id: Uuid,
    sent: RwSignal<bool>,
    on_done: impl Fn() + Send + Sync + 'static,
) -> AnyView {
    let app = use_app();
    let reviewer = is_reviewer();
    let own = app
        .user
        .with_untracked(|u| u.as_ref().is_some_and(|u| u.id == author_id));
    if own {
        return view! {
            <p class="muted">{wt("这是您自己的走访，由上级点评。", "This is your own visit; your superior reviews it.")}</p>
        }
        .into_any();
    }
    let lang = use_lang();
    let body = RwSignal::new(String::new());
    let with_follow_up = RwSignal::new(false);
    let title = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let status = FormStatus::new();
    let on_done = std::sync::Arc::new(on_done);
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        sent.set(false);
        let follow_up = if with_follow_up.get_untracked() {
            match due.get_untracked().trim().parse::<NaiveDate>() {
                Ok(due_date) => Some(FollowUpRequest {
                    title: title.get_untracked(),
                    due_date,
                }),
                Err(_) => {
                    status.clear();
                    let mut errors = vec![domain::FieldError::required("follow_up.due_date")];
                    if title.get_untracked().trim().is_empty() {
                        errors.insert(0, domain::FieldError::required("follow_up.title"));
                    }
                    status.errors.set(errors);
                    return;
                }
            }
        } else {
            None
        };
        let comment = NewVisitComment {
            body: body.get_untracked(),
            follow_up,
        };
        // The server's rules, here first for an instant answer.
        if let Err(errors) = comment.validate(browser_today()) {
            status.clear();
            status.errors.set(errors.0);
            return;
        }
        let on_done = on_done.clone();
        crate::components::submit(
            status,
            "POST",
            format!("/api/v1/visits/{visit_id}/comments"),
            api::to_json(&comment),
            move |_| {
                body.set(String::new());
                title.set(String::new());
                due.set(String::new());
                with_follow_up.set(false);
                sent.set(true);
                on_done();
                Ok(())
            },
        );
    };
    let body_invalid = move || has_error(status.errors, "body");
    let title_invalid = move || has_error(status.errors, "follow_up.title");
    let due_invalid = move || has_error(status.errors, "follow_up.due_date");
    view! {
        <form class="comment-form" id="comment-form" on:submit=send novalidate>
            {move || (!reviewer.get()).then(|| view! {
                <p class="hint">{wt("只有主任、分管领导和管理员可以点评。", "Only directors, leaders and administrators review visits.")}</p>
            })}
            <div class="field">
                <label class="field-label" for="comment-body">{wt("点评内容", "Comment")}<span class="required" aria-hidden="true">" *"</span></label>
                <textarea
                    id="comment-body"
                    name="body"
                    rows="3"
                    class:invalid=body_invalid
                    aria-invalid=move || if body_invalid() { "true" } else { "false" }
                    prop:value=move || body.get()
                    on:input=move |ev| body.set(event_target_value(&ev))
                ></textarea>
                {field_errors(status.errors, "body", ("点评内容", "Comment"))}
            </div>
            <label class="check">
                <input
                    type="checkbox"
                    id="comment-follow-up"
                    prop:checked=move || with_follow_up.get()
                    on:change=move |ev| with_follow_up.set(event_target_checked(&ev))
                />
                {wt("要求跟进（为走访人生成跟进任务）", "Ask for a follow-up (a task for the visitor)")}
            </label>
            <div class="follow-up-fields" class:hidden=move || !with_follow_up.get()>
                <div class="field">
                    <label class="field-label" for="follow-up-title">{wt("跟进事项", "Follow-up")}</label>
                    <input
                        id="follow-up-title"
                        name="follow_up.title"
                        type="text"
                        autocomplete="off"
                        class:invalid=title_invalid
                        prop:value=move || title.get()
                        on:input=move |ev| title.set(event_target_value(&ev))
                    />
                    {field_errors(status.errors, "follow_up.title", ("跟进事项", "Follow-up"))}
                </div>
                <div class="field">
                    <label class="field-label" for="follow-up-due">{wt("完成期限", "Due date")}</label>
                    <input
                        id="follow-up-due"
                        name="follow_up.due_date"
                        type="date"
                        class:invalid=due_invalid
                        prop:value=move || due.get()
                        on:input=move |ev| due.set(event_target_value(&ev))
                    />
                    {field_errors(status.errors, "follow_up.due_date", ("完成期限", "Due date"))}
                </div>
            </div>
            {move || status.notice.get().map(|e| view! {
                <div class="alert alert-error form-notice" role="alert">{e.message(lang.get())}</div>
            })}
            <button id="comment-submit" type="submit" class="btn btn-primary" disabled=move || status.busy.get()>
                {wt("提交点评", "Post comment")}
            </button>
        </form>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_read_in_metres_then_kilometres() {
        assert_eq!(distance_text(40.4, Lang::Zh), "40 米");
        assert_eq!(distance_text(999.0, Lang::En), "999 m");
        assert_eq!(distance_text(2345.0, Lang::Zh), "2.3 公里");
        assert_eq!(distance_text(12_000.0, Lang::En), "12.0 km");
    }

    #[test]
    fn clock_skews_say_how_far_and_which_way() {
        assert_eq!(skew_text(-45, Lang::Zh), "手机时间慢 45 秒");
        assert_eq!(skew_text(1800, Lang::En), "phone 30 min ahead");
        assert_eq!(skew_text(-7200, Lang::En), "phone 2 h behind");
    }

    #[test]
    fn long_texts_are_cut_with_an_ellipsis() {
        assert_eq!(shorten("客户反映价格偏高", 4), "客户反映…");
        assert_eq!(shorten("正常", 4), "正常");
    }
}
