//! Client service (客户服务): the ticket list (`/service`), raising a ticket (`/service/new`, and
//! the phone's `/m/ticket/new`), one ticket with its clocks, timeline, steps and return visit
//! (`/service/:id`), and the directors' SLA board with the service report (`/service/board`).
//! The client page lists the client's tickets ([`ClientTicketsPanel`]).
//!
//! Lists and read-only blocks are HTML text (see `components`); the forms are views.

use crate::api::{self, ApiError};
use crate::components::{
    badge_html, dyn_view, esc, field_errors, get_resource, has_error, html_block, loaded, pager,
    section_tabs, FormStatus, HtmlTable, LabelledInput,
};
use crate::i18n;
use crate::pages::visits::{client_link, w, wt};
use crate::state::use_lang;
use chrono::{DateTime, Utc};
use domain::client::{ClientDetail, ClientPage};
use domain::service::{
    NewTicket, ReturnVisitInput, ReturnVisitMethod, ServiceReport, Severity, SlaFigures, SlaGroup,
    Ticket, TicketAction, TicketActionKind, TicketEvent, TicketEventKind, TicketStatus, TicketType,
};
use domain::task::AssigneeLevel;
use domain::visit::PhotoUploaded;
use domain::Lang;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use serde::Deserialize;
use uuid::Uuid;
use wasm_bindgen::JsCast;

/// One page of tickets, as `GET /api/v1/tickets` answers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TicketPage {
    /// Rows.
    pub items: Vec<Ticket>,
    /// Matching rows over all pages.
    pub total: u64,
    /// Rows per page.
    pub per_page: u64,
}

/// Rows per page of the ticket list.
const PER_PAGE: u64 = 50;

/// The severity as a badge (HTML).
fn severity_badge(s: Severity, lang: Lang) -> String {
    let class = match s {
        Severity::High => "badge-danger",
        Severity::Normal => "badge-warn",
        Severity::Low => "badge-muted",
    };
    badge_html(&format!("{class} severity-{}", s.code()), s.label(lang))
}

/// The status as a badge (HTML).
fn status_badge(s: TicketStatus, lang: Lang) -> String {
    let class = match s {
        TicketStatus::Open => "badge-warn",
        TicketStatus::InProgress => "badge-info",
        TicketStatus::Resolved => "badge-ok",
        TicketStatus::Closed => "badge-muted",
    };
    badge_html(&format!("{class} status-{}", s.code()), s.label(lang))
}

/// Who is on the ticket, marked once it went above the account manager.
fn level_html(level: AssigneeLevel, lang: Lang) -> String {
    match level {
        AssigneeLevel::AccountManager => esc(level.label(lang)),
        _ => badge_html("badge-warn level-escalated", level.label(lang)),
    }
}

/// A due time with a red "超时" mark when the target is breached (HTML).
fn due_html(due: DateTime<Utc>, breached: bool, lang: Lang) -> String {
    let mut html = format!(
        "<span class=\"due\">{}</span>",
        esc(&i18n::format_datetime(due, lang))
    );
    if breached {
        html.push(' ');
        html.push_str(&badge_html(
            "badge-danger breached",
            w(lang, "超时", "Overdue"),
        ));
    }
    html
}

/// A rating as stars and the number: ★★★★☆ 4/5.
fn stars(rating: i32) -> String {
    let n = rating.clamp(0, 5) as usize;
    format!("{}{} {rating}/5", "★".repeat(n), "☆".repeat(5 - n))
}

/// The tickets as an HTML table.
fn tickets_table(id: &str, items: &[Ticket], lang: Lang, with_client: bool) -> String {
    let headers = [
        w(lang, "编号", "Number"),
        w(lang, "客户", "Client"),
        w(lang, "类型", "Type"),
        w(lang, "严重程度", "Severity"),
        w(lang, "状态", "Status"),
        w(lang, "处理层级", "Level"),
        w(lang, "响应时限", "Respond by"),
        w(lang, "解决时限", "Resolve by"),
    ];
    let shown: Vec<&str> = headers
        .iter()
        .enumerate()
        .filter(|(i, _)| with_client || *i != 1)
        .map(|(_, h)| *h)
        .collect();
    let mut table = HtmlTable::new(&format!("ticket-table {id}"), &shown);
    for t in items {
        let breached = t.status != TicketStatus::Closed
            && (t.clock.respond_breached || t.clock.resolve_breached);
        table.row(
            if breached {
                "ticket-row overdue"
            } else {
                "ticket-row"
            },
            &format!(
                "id=\"ticket-{}\" data-id=\"{}\" data-number=\"{}\"",
                t.id,
                t.id,
                esc(&t.number)
            ),
        );
        table.cell(
            headers[0],
            "nowrap",
            &format!(
                "<a href=\"/service/{}\" class=\"ticket-link mono\">{}</a><br>\
                 <span class=\"muted\">{}</span>",
                t.id,
                esc(&t.number),
                esc(&t.title)
            ),
        );
        if with_client {
            table.cell(headers[1], "", &client_link(t.client_id, &t.client_name));
        }
        table.cell(headers[2], "", &esc(t.ticket_type.label(lang)));
        table.cell(headers[3], "", &severity_badge(t.severity, lang));
        table.cell(headers[4], "", &status_badge(t.status, lang));
        table.cell(headers[5], "", &level_html(t.escalation_level, lang));
        table.cell(
            headers[6],
            "nowrap respond-due",
            &due_html(t.clock.respond_due, t.clock.respond_breached, lang),
        );
        table.cell(
            headers[7],
            "nowrap resolve-due",
            &due_html(t.clock.resolve_due, t.clock.resolve_breached, lang),
        );
    }
    table.finish()
}

/// The HTML of a loaded ticket page: the count and the table, or why there is none.
fn ticket_page_html(
    id: &str,
    page: Option<Result<TicketPage, ApiError>>,
    lang: Lang,
    with_client: bool,
) -> String {
    match page {
        None => format!("<p class=\"muted\">{}</p>", w(lang, "加载中…", "Loading…")),
        Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
        Some(Ok(p)) if p.items.is_empty() => format!(
            "<p class=\"muted empty\" id=\"{id}-empty\">{}</p>",
            w(lang, "暂无工单", "No tickets")
        ),
        Some(Ok(p)) => format!(
            "<p class=\"total\" id=\"{id}-total\">{}</p>{}",
            esc(&i18n::format_entries(p.total, lang)),
            tickets_table(id, &p.items, lang, with_client)
        ),
    }
}

/// The sub-navigation of the service section.
fn service_nav() -> AnyView {
    section_tabs(
        "service",
        "service",
        &[
            ("list", "/service", "工单", "Tickets"),
            ("board", "/service/board", "时效看板", "SLA board"),
            ("new", "/service/new", "新建工单", "New ticket"),
        ],
    )
}

/// A select of `""` (any) plus each option `(code, zh, en)`, bound to `value`.
fn filter_select(
    id: &'static str,
    any: (&'static str, &'static str),
    options: Vec<(&'static str, &'static str, &'static str)>,
    value: RwSignal<String>,
    page: RwSignal<u64>,
) -> AnyView {
    let lang = use_lang();
    view! {
        <select id=id on:change=move |ev| {
            value.set(event_target_value(&ev));
            page.set(1);
        }>
            <option value="">{move || w(lang.get(), any.0, any.1)}</option>
            {options
                .into_iter()
                .map(|(code, zh, en)| {
                    view! {
                        <option value=code prop:selected=move || value.get() == code>
                            {move || w(lang.get(), zh, en)}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
    .into_any()
}

fn codes<E: Copy>(
    all: &[E],
    f: impl Fn(E) -> (&'static str, &'static str, &'static str),
) -> Vec<(&'static str, &'static str, &'static str)> {
    all.iter().copied().map(f).collect()
}

/// `/service`: the tickets in the caller's scope with filters, newest first.
#[component]
pub fn TicketListPage() -> impl IntoView {
    let lang = use_lang();
    let page = RwSignal::new(1u64);
    let status = RwSignal::new(String::new());
    let ticket_type = RwSignal::new(String::new());
    let severity = RwSignal::new(String::new());
    let breached = RwSignal::new(false);
    let mine = RwSignal::new(false);
    let list = get_resource(move || {
        let mut parts = vec![
            format!("page={}", page.get()),
            format!("per_page={PER_PAGE}"),
        ];
        api::query_pair(&mut parts, "status", &status.get());
        api::query_pair(&mut parts, "ticket_type", &ticket_type.get());
        api::query_pair(&mut parts, "severity", &severity.get());
        if breached.get() {
            parts.push("breached=true".to_owned());
        }
        if mine.get() {
            parts.push("mine=true".to_owned());
        }
        format!("/api/v1/tickets?{}", parts.join("&"))
    });
    let total = Memo::new(move |_| {
        loaded::<TicketPage>(list)
            .and_then(Result::ok)
            .map(|p| (p.total, p.per_page))
    });
    let html = move || ticket_page_html("tickets", loaded::<TicketPage>(list), lang.get(), true);
    let mut statuses = vec![("active", "未关闭", "Not closed")];
    statuses.extend(codes(TicketStatus::ALL, |s| {
        (s.code(), s.label_zh(), s.label_en())
    }));
    let check = move |id: &'static str, signal: RwSignal<bool>, zh, en| {
        view! {
            <label class="check">
                <input
                    type="checkbox"
                    id=id
                    prop:checked=move || signal.get()
                    on:change=move |ev| {
                        signal.set(event_target_checked(&ev));
                        page.set(1);
                    }
                />
                {wt(zh, en)}
            </label>
        }
    };
    view! {
        <section class="page service-page">
            <div class="page-header">
                <h1>{wt("客户服务", "Client service")}</h1>
                <a class="btn btn-primary" id="new-ticket" href="/service/new">{wt("新建工单", "New ticket")}</a>
            </div>
            {service_nav()}
            <div class="toolbar filters">
                {filter_select("filter-status", ("全部状态", "Any status"), statuses, status, page)}
                {filter_select(
                    "filter-type",
                    ("全部类型", "Any type"),
                    codes(TicketType::ALL, |t| (t.code(), t.label_zh(), t.label_en())),
                    ticket_type,
                    page,
                )}
                {filter_select(
                    "filter-severity",
                    ("全部严重程度", "Any severity"),
                    codes(Severity::ALL, |s| (s.code(), s.label_zh(), s.label_en())),
                    severity,
                    page,
                )}
                {check("filter-breached", breached, "只看超时", "Breached only")}
                {check("filter-mine", mine, "只看我的", "Mine only")}
            </div>
            {html_block("ticket-list", html, |_, _| {})}
            {pager("tickets", page, total)}
        </section>
    }
}

// ---- Raising a ticket ----

/// The client id of the `client` query parameter, if it is a UUID.
fn query_client() -> Memo<Option<Uuid>> {
    let query = use_query_map();
    Memo::new(move |_| {
        query
            .with(|q| q.get("client"))
            .and_then(|id| Uuid::parse_str(id.trim()).ok())
    })
}

/// `/service/new?client=<id>`: raising a ticket from the desktop.
#[component]
pub fn NewTicketPage() -> impl IntoView {
    view! {
        <section class="page service-new-page">
            <h1>{wt("新建工单", "New ticket")}</h1>
            {service_nav()}
            <div class="card section">{keyed_form(false)}</div>
        </section>
    }
}

/// `/m/ticket/new?client=<id>`: raising a ticket from the phone, next to a stop.
#[component]
pub fn PhoneTicketPage() -> impl IntoView {
    view! {
        <section class="phone-page" id="phone-ticket">
            <a href="/m" class="phone-back">{wt("‹ 今日走访", "‹ Today's visits")}</a>
            <h1>{wt("报告问题", "Report a problem")}</h1>
            <div class="card">{keyed_form(true)}</div>
        </section>
    }
}

/// The form, made afresh when the `client` query changes (the route stays the same).
fn keyed_form(phone: bool) -> AnyView {
    let client = query_client();
    dyn_view(move || {
        client.track();
        untrack(|| ticket_form(phone))
    })
}

/// The client the ticket is for: fixed by the query, or chosen from the first 200 in scope.
fn client_picker(
    fixed: Option<Uuid>,
    chosen: RwSignal<Option<Uuid>>,
    status: FormStatus,
) -> AnyView {
    let lang = use_lang();
    if let Some(id) = fixed {
        let client = get_resource(move || format!("/api/v1/clients/{id}"));
        let name = move || {
            let lang = lang.get();
            match loaded::<ClientDetail>(client) {
                None => w(lang, "加载中…", "Loading…").to_owned(),
                Some(Ok(c)) => c.client.fields.name,
                Some(Err(e)) => e.message(lang),
            }
        };
        return view! {
            <div class="field">
                <span class="field-label">{wt("客户", "Client")}</span>
                <strong id="ticket-client-name">{name}</strong>
                {field_errors(status.errors, "client_id", ("客户", "Client"))}
            </div>
        }
        .into_any();
    }
    let q = RwSignal::new(String::new());
    let clients = get_resource(move || {
        let mut parts = vec!["per_page=200".to_owned()];
        api::query_pair(&mut parts, "q", &q.get());
        format!("/api/v1/clients?{}", parts.join("&"))
    });
    let options = move || match loaded::<ClientPage>(clients) {
        Some(Ok(p)) => p
            .items
            .into_iter()
            .map(|c| {
                let selected = chosen.get_untracked() == Some(c.id);
                view! { <option value=c.id.to_string() prop:selected=selected>{c.name}</option> }
            })
            .collect_view()
            .into_any(),
        _ => ().into_any(),
    };
    let invalid = move || has_error(status.errors, "client_id");
    view! {
        <div class="field">
            <label class="field-label" for="ticket-client">
                {wt("客户", "Client")}<span class="required" aria-hidden="true">" *"</span>
            </label>
            <input
                id="ticket-client-search"
                type="search"
                placeholder=move || w(lang.get(), "搜索客户名称", "Search clients")
                on:change=move |ev| q.set(event_target_value(&ev))
            />
            <select
                id="ticket-client"
                class:invalid=invalid
                on:change=move |ev| chosen.set(Uuid::parse_str(&event_target_value(&ev)).ok())
            >
                <option value="">{move || w(lang.get(), "请选择客户", "Choose a client")}</option>
                {options}
            </select>
            {field_errors(status.errors, "client_id", ("客户", "Client"))}
        </div>
    }
    .into_any()
}

/// The form that raises a ticket; on the phone it stays on the page and says the number.
fn ticket_form(phone: bool) -> AnyView {
    let lang = use_lang();
    let navigate = use_navigate();
    let fixed = query_client().get_untracked();
    let client = RwSignal::new(fixed);
    let ticket_type = RwSignal::new(TicketType::ComplaintQuality);
    let severity = RwSignal::new(Severity::Normal);
    let title = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let order_no = RwSignal::new(String::new());
    let reporter = RwSignal::new(String::new());
    let reporter_phone = RwSignal::new(String::new());
    let photos = RwSignal::new(Vec::<Uuid>::new());
    let uploading = RwSignal::new(0usize);
    let raised = RwSignal::new(None::<(Uuid, String)>);
    let status = FormStatus::new();
    let optional = |s: RwSignal<String>| Some(s.get_untracked()).filter(|v| !v.trim().is_empty());
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(client_id) = client.get_untracked() else {
            status.clear();
            status
                .errors
                .set(vec![domain::FieldError::required("client_id")]);
            return;
        };
        let body = NewTicket {
            client_id,
            ticket_type: ticket_type.get_untracked(),
            severity: severity.get_untracked(),
            title: title.get_untracked(),
            description: description.get_untracked(),
            order_no: optional(order_no),
            reporter: optional(reporter),
            reporter_phone: optional(reporter_phone),
            photo_ids: photos.get_untracked(),
            external_ref: None,
        };
        let navigate = navigate.clone();
        crate::components::submit(
            status,
            "POST",
            "/api/v1/tickets".to_owned(),
            api::to_json(&body),
            move |text| {
                let ticket = api::decode::<Ticket>(&text)?;
                if phone {
                    raised.set(Some((ticket.id, ticket.number)));
                } else {
                    navigate(&format!("/service/{}", ticket.id), Default::default());
                }
                Ok(())
            },
        );
    };
    let add_photos = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(files) = input.files() else {
            return;
        };
        for i in 0..files.length() {
            if let Some(file) = files.get(i) {
                uploading.update(|n| *n += 1);
                leptos::task::spawn_local(async move {
                    let blob = crate::offline::prepare_photo(&file).await;
                    let sent = api::send_blob("/api/v1/visits/photos", &blob, &blob.type_()).await;
                    match sent.and_then(|t| api::decode::<PhotoUploaded>(&t)) {
                        Ok(p) => {
                            photos.try_update(|all| all.push(p.id));
                        }
                        Err(e) => {
                            status.notice.try_set(Some(e));
                        }
                    }
                    uploading.try_update(|n| *n = n.saturating_sub(1));
                });
            }
        }
        input.set_value("");
    };
    let type_options = move || {
        let lang = lang.get();
        TicketType::ALL
            .iter()
            .map(|&t| {
                view! { <option value=t.code() prop:selected=move || ticket_type.get() == t>{t.label(lang)}</option> }
            })
            .collect_view()
    };
    let severity_options = move || {
        let lang = lang.get();
        Severity::ALL
            .iter()
            .map(|&s| {
                view! { <option value=s.code() prop:selected=move || severity.get() == s>{s.label(lang)}</option> }
            })
            .collect_view()
    };
    let done = move || {
        raised.get().map(|(_, number)| {
            view! {
                <div class="alert alert-ok" role="status" id="ticket-raised">
                    <span>{move || w(lang.get(), "工单已提交：", "Ticket raised: ")}</span>
                    <strong class="mono" id="ticket-raised-number">{number}</strong>
                </div>
                <a class="btn btn-large btn-block" href="/m">{wt("返回今日走访", "Back to today's visits")}</a>
            }
        })
    };
    let big = if phone {
        "btn btn-primary btn-large btn-block"
    } else {
        "btn btn-primary"
    };
    view! {
        {done}
        <form class="ticket-form" id="ticket-form" on:submit=send novalidate class:hidden=move || raised.with(Option::is_some)>
            {client_picker(fixed, client, status)}
            <div class="field">
                <label class="field-label" for="ticket-type">{wt("类型", "Type")}</label>
                <select id="ticket-type" on:change=move |ev| {
                    if let Some(t) = TicketType::from_code(&event_target_value(&ev)) {
                        ticket_type.set(t);
                    }
                }>{type_options}</select>
            </div>
            <div class="field">
                <label class="field-label" for="ticket-severity">{wt("严重程度", "Severity")}</label>
                <select id="ticket-severity" on:change=move |ev| {
                    if let Some(s) = Severity::from_code(&event_target_value(&ev)) {
                        severity.set(s);
                    }
                }>{severity_options}</select>
            </div>
            <LabelledInput id="ticket-title" field="title" label=("标题", "Title") value=title status=status required=true/>
            <LabelledInput id="ticket-description" field="description" label=("问题描述", "Description") value=description status=status required=true rows=3/>
            <LabelledInput id="ticket-order-no" field="order_no" label=("订单/配送单号", "Order or delivery number") value=order_no status=status/>
            <LabelledInput id="ticket-reporter" field="reporter" label=("反映人", "Reported by") value=reporter status=status/>
            <LabelledInput id="ticket-reporter-phone" field="reporter_phone" label=("联系电话", "Phone") value=reporter_phone status=status/>
            <div class="field">
                <label class="field-label" for="ticket-photos">{wt("照片", "Photos")}</label>
                <input id="ticket-photos" type="file" accept="image/jpeg,image/png" multiple on:change=add_photos/>
                <span class="muted" id="ticket-photo-count">
                    {move || {
                        let lang = lang.get();
                        let n = photos.with(Vec::len);
                        let busy = uploading.get();
                        match (lang, busy) {
                            (Lang::Zh, 0) => format!("已上传 {n} 张"),
                            (Lang::Zh, b) => format!("已上传 {n} 张，{b} 张上传中…"),
                            (Lang::En, 0) => format!("{n} uploaded"),
                            (Lang::En, b) => format!("{n} uploaded, {b} uploading…"),
                        }
                    }}
                </span>
                {field_errors(status.errors, "photo_ids", ("照片", "Photos"))}
            </div>
            {move || status.notice.get().map(|e| view! {
                <div class="alert alert-error form-notice" role="alert" id="ticket-form-error">{e.message(lang.get())}</div>
            })}
            <button
                id="ticket-submit"
                type="submit"
                class=big
                disabled=move || status.busy.get() || uploading.get() != 0
            >
                {wt("提交工单", "Raise ticket")}
            </button>
        </form>
    }
    .into_any()
}

// ---- One ticket ----

/// `/service/:id`: the ticket, its clocks and timeline, the steps and the return visit.
#[component]
pub fn TicketDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .with(|p| p.get("id"))
            .and_then(|id| Uuid::parse_str(&id).ok())
    });
    let lang = use_lang();
    let ticket = get_resource(move || match id.get() {
        Some(id) => format!("/api/v1/tickets/{id}"),
        None => "/api/v1/tickets/not-found".to_owned(),
    });
    let current = Memo::new(move |_| loaded::<Ticket>(ticket).and_then(Result::ok));
    // The forms are made again only when the ticket moves to another status.
    let state = Memo::new(move |_| current.get().map(|t| (t.id, t.status)));
    let head = move || {
        let lang = lang.get();
        match loaded::<Ticket>(ticket) {
            None => format!("<p class=\"muted\">{}</p>", w(lang, "加载中…", "Loading…")),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok(t)) => ticket_html(&t, lang),
        }
    };
    let timeline = move || {
        let lang = lang.get();
        current
            .get()
            .map(|t| timeline_html(&t.events, lang))
            .unwrap_or_default()
    };
    let reload = Callback::new(move |_| ticket.refetch());
    view! {
        <section class="page ticket-detail-page">
            <h1>{wt("服务工单", "Service ticket")}</h1>
            {service_nav()}
            {html_block("ticket-detail", head, |_, _| {})}
            {dyn_view(move || match state.get() {
                Some((id, status)) => steps_view(id, status, reload),
                None => ().into_any(),
            })}
            <section class="card section">
                <h2>{wt("处理过程", "Timeline")}</h2>
                {html_block("ticket-timeline", timeline, |_, _| {})}
            </section>
        </section>
    }
}

fn ticket_html(t: &Ticket, lang: Lang) -> String {
    let or_dash = |v: &Option<String>| v.as_deref().map_or_else(|| "—".to_owned(), esc);
    let items: Vec<(&str, String)> = vec![
        (
            w(lang, "编号", "Number"),
            format!(
                "<span class=\"mono\" id=\"ticket-number\">{}</span>",
                esc(&t.number)
            ),
        ),
        (
            w(lang, "状态", "Status"),
            format!(
                "<span id=\"ticket-status\">{}</span>",
                status_badge(t.status, lang)
            ),
        ),
        (w(lang, "类型", "Type"), esc(t.ticket_type.label(lang))),
        (
            w(lang, "严重程度", "Severity"),
            severity_badge(t.severity, lang),
        ),
        (
            w(lang, "客户", "Client"),
            client_link(t.client_id, &t.client_name),
        ),
        (w(lang, "所属单位", "Org unit"), esc(&t.org_unit_name)),
        (
            w(lang, "客户经理", "Account manager"),
            esc(&t.assignee_name),
        ),
        (
            w(lang, "处理层级", "Level"),
            format!(
                "<span id=\"ticket-level\">{}</span>",
                level_html(t.escalation_level, lang)
            ),
        ),
        (w(lang, "来源", "Channel"), esc(t.channel.label(lang))),
        (w(lang, "登记人", "Raised by"), esc(&t.raised_by_name)),
        (
            w(lang, "登记时间", "Raised"),
            esc(&i18n::format_datetime(t.opened_at, lang)),
        ),
        (
            w(lang, "响应时限", "Respond by"),
            format!(
                "<span id=\"clock-respond\">{}</span> <span class=\"muted\">{}</span>",
                due_html(t.clock.respond_due, t.clock.respond_breached, lang),
                esc(&hours_note(t.target.respond_hours, t.responded_at, lang))
            ),
        ),
        (
            w(lang, "解决时限", "Resolve by"),
            format!(
                "<span id=\"clock-resolve\">{}</span> <span class=\"muted\">{}</span>",
                due_html(t.clock.resolve_due, t.clock.resolve_breached, lang),
                esc(&hours_note(t.target.resolve_hours, t.resolved_at, lang))
            ),
        ),
        (
            w(lang, "订单/配送单号", "Order number"),
            or_dash(&t.order_no),
        ),
        (w(lang, "反映人", "Reported by"), or_dash(&t.reporter)),
        (w(lang, "联系电话", "Phone"), or_dash(&t.reporter_phone)),
        (
            w(lang, "满意度", "Satisfaction"),
            t.satisfaction
                .map_or_else(|| "—".to_owned(), |s| esc(&stars(s))),
        ),
        (w(lang, "照片", "Photos"), t.photo_ids.len().to_string()),
    ];
    let mut html = format!(
        "<div class=\"card\"><h2 id=\"ticket-title\">{}</h2><p id=\"ticket-description\">{}</p>\
         <dl class=\"items visit-grid\">",
        esc(&t.title),
        esc(&t.description)
    );
    for (label, value) in items {
        html.push_str(&format!(
            "<div class=\"item\"><dt>{}</dt><dd>{value}</dd></div>",
            esc(label)
        ));
    }
    html.push_str("</dl></div>");
    html
}

/// "4 小时内；已于 … 完成" / "within 4 h; done …".
fn hours_note(hours: u32, done: Option<DateTime<Utc>>, lang: Lang) -> String {
    let within = match lang {
        Lang::Zh => format!("{hours} 小时内"),
        Lang::En => format!("within {hours} h"),
    };
    match done {
        Some(at) => format!(
            "{within}{}{}",
            w(lang, "；完成于 ", "; done "),
            i18n::format_datetime(at, lang)
        ),
        None => within,
    }
}

fn timeline_html(events: &[TicketEvent], lang: Lang) -> String {
    if events.is_empty() {
        return format!(
            "<p class=\"muted\">{}</p>",
            w(lang, "暂无记录", "Nothing yet")
        );
    }
    let mut html = String::from("<ol class=\"timeline comment-list\" id=\"timeline\">");
    for e in events {
        let mut extra = Vec::new();
        if e.kind == TicketEventKind::ReturnVisit {
            if let Some(m) = e.method {
                extra.push(esc(m.label(lang)));
            }
            if let Some(solved) = e.solved {
                extra.push(if solved {
                    badge_html("badge-ok rv-solved", w(lang, "已解决", "Solved"))
                } else {
                    badge_html("badge-danger rv-unsolved", w(lang, "未解决", "Not solved"))
                });
            }
            if let Some(s) = e.satisfaction {
                extra.push(format!(
                    "<span class=\"rating\" data-rating=\"{s}\" title=\"{}\">{}</span>",
                    w(lang, "满意度", "Satisfaction"),
                    esc(&stars(s))
                ));
            }
        }
        if let Some(level) = e.level {
            extra.push(esc(level.label(lang)));
        }
        html.push_str(&format!(
            "<li class=\"comment event event-{}\"><div class=\"comment-head\"><strong class=\"event-kind\">{}</strong> \
             {} <span class=\"muted\">{}</span> {}</div><p class=\"comment-body\">{}</p></li>",
            e.kind.code(),
            esc(e.kind.label(lang)),
            esc(&e.actor_name),
            esc(&i18n::format_datetime(e.at, lang)),
            extra.join(" "),
            esc(&e.note)
        ));
    }
    html.push_str("</ol>");
    html
}

/// The steps the ticket's status allows, and the return-visit form once it is resolved.
fn steps_view(id: Uuid, status: TicketStatus, reload: Callback<()>) -> AnyView {
    if status == TicketStatus::Closed {
        return view! {
            <section class="card section" id="ticket-steps">
                <p class="muted" id="ticket-closed">{wt("工单已关闭，处理记录不可更改。", "The ticket is closed; its history is final.")}</p>
            </section>
        }
        .into_any();
    }
    let lang = use_lang();
    let note = RwSignal::new(String::new());
    let form = FormStatus::new();
    let act = move |kind: TicketActionKind| {
        let body = TicketAction {
            action: Some(kind),
            note: note.get_untracked(),
        };
        crate::components::submit(
            form,
            "POST",
            format!("/api/v1/tickets/{id}/actions"),
            api::to_json(&body),
            move |_| {
                note.set(String::new());
                reload.run(());
                Ok(())
            },
        );
    };
    let mut kinds = Vec::new();
    if status == TicketStatus::Open {
        kinds.push(TicketActionKind::Respond);
    }
    kinds.push(TicketActionKind::Comment);
    if status != TicketStatus::Resolved {
        kinds.push(TicketActionKind::Resolve);
    }
    kinds.push(TicketActionKind::Close);
    let buttons = kinds
        .into_iter()
        .map(|kind| {
            let class = match kind {
                TicketActionKind::Resolve => "btn btn-primary",
                TicketActionKind::Close => "btn btn-ghost",
                _ => "btn",
            };
            view! {
                <button
                    type="button"
                    class=class
                    id=format!("action-{}", kind.code())
                    disabled=move || form.busy.get()
                    on:click=move |_| act(kind)
                >
                    {move || kind.label(lang.get())}
                </button>
            }
        })
        .collect_view();
    view! {
        <section class="card section" id="ticket-steps">
            <h2>{wt("处理", "Steps")}</h2>
            <LabelledInput id="action-note" field="note" label=("处理说明", "Note") value=note status=form rows=3/>
            {move || form.notice.get().map(|e| view! {
                <div class="alert alert-error form-notice" role="alert" id="action-error">{e.message(lang.get())}</div>
            })}
            <div class="toolbar">{buttons}</div>
        </section>
        {(status == TicketStatus::Resolved).then(|| return_visit_form(id, reload))}
    }
    .into_any()
}

/// The return visit: how the client was reached, solved or not, satisfaction 1–5, a note.
fn return_visit_form(id: Uuid, reload: Callback<()>) -> AnyView {
    let lang = use_lang();
    let method = RwSignal::new(None::<ReturnVisitMethod>);
    let solved = RwSignal::new(None::<bool>);
    let satisfaction = RwSignal::new(None::<i32>);
    let note = RwSignal::new(String::new());
    let form = FormStatus::new();
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = ReturnVisitInput {
            method: method.get_untracked(),
            solved: solved.get_untracked(),
            satisfaction: satisfaction.get_untracked(),
            note: note.get_untracked(),
        };
        crate::components::submit(
            form,
            "POST",
            format!("/api/v1/tickets/{id}/return-visits"),
            api::to_json(&body),
            move |_| {
                reload.run(());
                Ok(())
            },
        );
    };
    let methods = move || {
        let lang = lang.get();
        ReturnVisitMethod::ALL
            .iter()
            .map(|&m| view! { <option value=m.code() prop:selected=move || method.get() == Some(m)>{m.label(lang)}</option> })
            .collect_view()
    };
    let radio = move |value: bool, zh: &'static str, en: &'static str| {
        view! {
            <label class="check">
                <input
                    type="radio"
                    name="rv-solved"
                    id=if value { "rv-solved-yes" } else { "rv-solved-no" }
                    prop:checked=move || solved.get() == Some(value)
                    on:change=move |_| solved.set(Some(value))
                />
                {wt(zh, en)}
            </label>
        }
    };
    view! {
        <section class="card section" id="return-visit">
            <h2>{wt("回访", "Return visit")}</h2>
            <form id="return-visit-form" on:submit=send novalidate>
                <div class="field">
                    <label class="field-label" for="rv-method">{wt("回访方式", "Method")}</label>
                    <select id="rv-method" on:change=move |ev| method.set(ReturnVisitMethod::from_code(&event_target_value(&ev)))>
                        <option value="">{move || w(lang.get(), "请选择", "Choose")}</option>
                        {methods}
                    </select>
                    {field_errors(form.errors, "method", ("回访方式", "Method"))}
                </div>
                <div class="field">
                    <span class="field-label">{wt("客户确认已解决？", "Solved, says the client?")}</span>
                    {radio(true, "已解决", "Solved")}
                    {radio(false, "未解决", "Not solved")}
                    {field_errors(form.errors, "solved", ("是否解决", "Solved"))}
                </div>
                <div class="field">
                    <label class="field-label" for="rv-satisfaction">{wt("满意度（1–5）", "Satisfaction (1–5)")}</label>
                    <select id="rv-satisfaction" on:change=move |ev| satisfaction.set(event_target_value(&ev).parse().ok())>
                        <option value="">{move || w(lang.get(), "请选择", "Choose")}</option>
                        {(1..=5).rev().map(|n: i32| view! { <option value=n.to_string()>{stars(n)}</option> }).collect_view()}
                    </select>
                    {field_errors(form.errors, "satisfaction", ("满意度", "Satisfaction"))}
                </div>
                <LabelledInput id="rv-note" field="note" label=("客户意见", "What the client said") value=note status=form rows=3/>
                {move || form.notice.get().map(|e| view! {
                    <div class="alert alert-error form-notice" role="alert" id="rv-error">{e.message(lang.get())}</div>
                })}
                <button id="rv-submit" type="submit" class="btn btn-primary" disabled=move || form.busy.get()>
                    {wt("提交回访", "Record return visit")}
                </button>
            </form>
        </section>
    }
    .into_any()
}

// ---- The SLA board ----

/// The figures of a report as KPI tiles (HTML), for the board and the home page.
pub fn figure_tiles(f: &SlaFigures, lang: Lang, prefix: &str) -> String {
    let pct = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), i18n::format_percent);
    let h = |v: Option<f64>| {
        v.map_or_else(
            || "—".to_owned(),
            |v| format!("{} {}", i18n::format_number(v, 1, 1), w(lang, "小时", "h")),
        )
    };
    let tiles = [
        (
            "tickets",
            w(lang, "工单数", "Tickets"),
            i18n::format_count(u64::from(f.tickets)),
            String::new(),
        ),
        (
            "respond",
            w(lang, "及时响应率", "Responded in time"),
            pct(f.respond_compliance),
            format!(
                "{} {} · P90 {}",
                w(lang, "平均", "mean"),
                h(f.respond_mean_h),
                h(f.respond_p90_h)
            ),
        ),
        (
            "resolve",
            w(lang, "及时解决率", "Resolved in time"),
            pct(f.resolve_compliance),
            format!(
                "{} {} · P90 {}",
                w(lang, "平均", "mean"),
                h(f.resolve_mean_h),
                h(f.resolve_p90_h)
            ),
        ),
        (
            "satisfaction",
            w(lang, "平均满意度", "Mean satisfaction"),
            f.satisfaction_mean
                .map_or_else(|| "—".to_owned(), |s| i18n::format_number(s, 1, 1)),
            match lang {
                Lang::Zh => format!("{} 单已评", f.rated),
                Lang::En => format!("{} rated", f.rated),
            },
        ),
    ];
    tiles
        .into_iter()
        .map(|(key, label, value, note)| {
            format!(
                "<div class=\"intel-kpi\" id=\"{prefix}-{key}\"><span class=\"kpi-label\">{}</span>\
                 <span class=\"kpi-value\">{}</span><span class=\"kpi-note\">{}</span></div>",
                esc(label),
                esc(&value),
                esc(&note)
            )
        })
        .collect()
}

fn groups_table(id: &str, first: &str, groups: &[SlaGroup], lang: Lang) -> String {
    if groups.is_empty() {
        return format!("<p class=\"muted\">{}</p>", w(lang, "暂无数据", "No data"));
    }
    let pct = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), i18n::format_percent);
    let num = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| i18n::format_number(v, 1, 1));
    let headers = [
        first,
        w(lang, "工单数", "Tickets"),
        w(lang, "及时响应率", "Responded in time"),
        w(lang, "及时解决率", "Resolved in time"),
        w(lang, "平均解决（小时）", "Mean to resolve (h)"),
        w(lang, "P90 解决（小时）", "P90 to resolve (h)"),
        w(lang, "平均满意度", "Satisfaction"),
    ];
    let mut table = HtmlTable::new(id, &headers);
    for g in groups {
        let f = &g.figures;
        table.row("group-row", &format!("data-id=\"{}\"", g.id));
        table.cell(headers[0], "", &esc(&g.name));
        table.cell(headers[1], "num", &f.tickets.to_string());
        table.cell(headers[2], "num", &pct(f.respond_compliance));
        table.cell(headers[3], "num", &pct(f.resolve_compliance));
        table.cell(headers[4], "num", &num(f.resolve_mean_h));
        table.cell(headers[5], "num", &num(f.resolve_p90_h));
        table.cell(headers[6], "num", &num(f.satisfaction_mean));
    }
    table.finish()
}

/// The active tickets escalated to a director or above, and the breached ones, once each,
/// the soonest due first.
fn board_tickets(escalated: Vec<Ticket>, breached: Vec<Ticket>) -> Vec<Ticket> {
    let mut all = escalated;
    for t in breached {
        if !all.iter().any(|a| a.id == t.id) {
            all.push(t);
        }
    }
    // The clock that matters: the response until there is one, then the resolution.
    let due = |t: &Ticket| {
        if t.responded_at.is_none() {
            t.clock.respond_due
        } else {
            t.clock.resolve_due
        }
    };
    all.sort_by_key(due);
    all
}

/// `/service/board`: what needs a director now, and the last 90 days' service figures.
#[component]
pub fn ServiceBoardPage() -> impl IntoView {
    let lang = use_lang();
    let escalated =
        get_resource(|| "/api/v1/tickets?status=active&level=director&per_page=200".to_owned());
    let breached =
        get_resource(|| "/api/v1/tickets?status=active&breached=true&per_page=200".to_owned());
    let report = get_resource(|| "/api/v1/service/report".to_owned());
    let board = move || {
        let lang = lang.get();
        let page = match (
            loaded::<TicketPage>(escalated),
            loaded::<TicketPage>(breached),
        ) {
            (Some(Ok(a)), Some(Ok(b))) => {
                let items = board_tickets(a.items, b.items);
                Some(Ok(TicketPage {
                    total: items.len() as u64,
                    per_page: 200,
                    items,
                }))
            }
            (Some(Err(e)), _) | (_, Some(Err(e))) => Some(Err(e)),
            _ => None,
        };
        ticket_page_html("board-tickets", page, lang, true)
    };
    let figures = move || {
        let lang = lang.get();
        match loaded::<ServiceReport>(report) {
            None => format!("<p class=\"muted\">{}</p>", w(lang, "加载中…", "Loading…")),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok(r)) => format!(
                "<p class=\"muted\" id=\"board-period\">{} – {}</p><div class=\"intel-kpis\">{}</div>",
                esc(&i18n::format_date(r.from, lang)),
                esc(&i18n::format_date(r.to, lang)),
                figure_tiles(&r.total, lang, "board-kpi")
            ),
        }
    };
    let units = move || {
        let lang = lang.get();
        match loaded::<ServiceReport>(report) {
            Some(Ok(r)) => groups_table("board-units", w(lang, "单位", "Unit"), &r.by_unit, lang),
            _ => String::new(),
        }
    };
    let people = move || {
        let lang = lang.get();
        match loaded::<ServiceReport>(report) {
            Some(Ok(r)) => groups_table(
                "board-assignees",
                w(lang, "客户经理", "Account manager"),
                &r.by_assignee,
                lang,
            ),
            _ => String::new(),
        }
    };
    let export_error = RwSignal::new(None::<ApiError>);
    let export = move |_| {
        export_error.set(None);
        let name = match loaded::<ServiceReport>(report) {
            Some(Ok(r)) => format!("service-report-{}-{}.xlsx", r.from, r.to),
            _ => "service-report.xlsx".to_owned(),
        };
        leptos::task::spawn_local(async move {
            if let Err(e) = api::download("/api/v1/service/report.xlsx".to_owned(), name).await {
                export_error.try_set(Some(e));
            }
        });
    };
    view! {
        <section class="page service-board-page">
            <div class="page-header">
                <h1>{wt("服务时效看板", "Service SLA board")}</h1>
                <button type="button" class="btn" id="report-export" on:click=export>
                    {wt("导出 XLSX", "Export XLSX")}
                </button>
            </div>
            {service_nav()}
            {move || export_error.get().map(|e| view! {
                <div class="alert alert-error" role="alert">{e.message(lang.get())}</div>
            })}
            <section class="card section">
                <h2>{wt("近 90 天服务指标", "Last 90 days")}</h2>
                {html_block("board-figures", figures, |_, _| {})}
            </section>
            <section class="card section">
                <h2>{wt("已升级或超时的未关闭工单", "Open tickets escalated or overdue")}</h2>
                {html_block("board-list", board, |_, _| {})}
            </section>
            <section class="card section">
                <h2>{wt("按单位", "By unit")}</h2>
                {html_block("board-by-unit", units, |_, _| {})}
            </section>
            <section class="card section">
                <h2>{wt("按客户经理", "By account manager")}</h2>
                {html_block("board-by-assignee", people, |_, _| {})}
            </section>
        </section>
    }
}

// ---- On the client page ----

/// The client's tickets, newest first, with a link to raise one.
#[component]
pub fn ClientTicketsPanel(client_id: Uuid) -> impl IntoView {
    let lang = use_lang();
    let list = get_resource(move || format!("/api/v1/tickets?client_id={client_id}&per_page=20"));
    let html = move || {
        ticket_page_html(
            "client-tickets",
            loaded::<TicketPage>(list),
            lang.get(),
            false,
        )
    };
    view! {
        <section class="card section span-all" id="section-tickets">
            <div class="toolbar">
                <h2>{wt("服务工单", "Service tickets")}</h2>
                <a class="btn btn-small" id="client-new-ticket" href=format!("/service/new?client={client_id}")>
                    {wt("新建工单", "New ticket")}
                </a>
            </div>
            {html_block("client-ticket-list", html, |_, _| {})}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_read_as_stars_and_a_number() {
        assert_eq!(stars(4), "★★★★☆ 4/5");
        assert_eq!(stars(1), "★☆☆☆☆ 1/5");
    }
}
