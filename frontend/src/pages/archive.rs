//! Archives: the documents section (completeness by unit and its drill-down, the review queue,
//! expiring and expired documents, the hazchem screening, the bulk export), the task list, the
//! archive overview on the dashboard, and the documents panel of the client page.
//!
//! Lists are HTML text (see `components`), buttons inside carry `data-act`/`data-id`.

use crate::api;
use crate::components::{badge_html, esc, get_resource, html_block, loaded, HtmlTable};
use crate::state::{use_app, use_lang};
use domain::archive::{
    ClientDocuments, CompletenessReport, DocumentMeta, DocumentPage, DocumentStatus, DocumentType,
    HazchemPage, IncompletePage,
};
use domain::org::Role;
use domain::task::TaskPage;
use domain::Lang;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

/// The text of a phrase in the current language.
fn w(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

fn status_badge(status: DocumentStatus, lang: Lang) -> String {
    let class = match status {
        DocumentStatus::Valid => "badge-ok",
        DocumentStatus::Expiring => "badge-warn",
        DocumentStatus::PendingReview => "badge-info",
        DocumentStatus::Missing => "badge-muted",
        DocumentStatus::Expired | DocumentStatus::Rejected => "badge-danger",
    };
    badge_html(class, status.label(lang))
}

fn client_link(id: Uuid, name: &str) -> String {
    format!("<a href=\"/clients/{id}\">{}</a>", esc(name))
}

/// Whether the signed-in user reviews documents and dispatches work.
fn is_reviewer() -> Signal<bool> {
    let app = use_app();
    Signal::derive(move || {
        app.user.with(|u| {
            u.as_ref()
                .is_some_and(|u| matches!(u.role, Role::Director | Role::Leader | Role::Admin))
        })
    })
}

/// `/documents`: the archive work of managers, in tabs.
#[component]
pub fn DocumentsPage() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let tab = Memo::new(move |_| {
        query.with(|m| m.get("tab").unwrap_or_else(|| "completeness".to_owned()))
    });
    let tabs: [(&str, &str, &str); 6] = [
        ("completeness", "档案完整率", "Completeness"),
        ("review", "待审核", "Review queue"),
        ("expiring", "即将到期", "Expiring"),
        ("expired", "已过期", "Expired"),
        ("hazchem", "危化证筛查", "Hazchem screening"),
        ("export", "批量导出", "Bulk export"),
    ];
    view! {
        <section class="page archive-page">
            <h1>{move || w(lang.get(), "证照档案", "Licence archives")}</h1>
            <nav class="tabs" aria-label="archive">
                {tabs
                    .into_iter()
                    .map(|(key, zh, en)| {
                        view! {
                            <a
                                href=format!("/documents?tab={key}")
                                class=move || if tab.get() == key { "tab active" } else { "tab" }
                                id=format!("tab-{key}")
                            >
                                {move || w(lang.get(), zh, en)}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
            {move || match tab.get().as_str() {
                "review" => DocumentList(DocumentStatus::PendingReview).into_any(),
                "expiring" => DocumentList(DocumentStatus::Expiring).into_any(),
                "expired" => DocumentList(DocumentStatus::Expired).into_any(),
                "incomplete" => Incomplete().into_any(),
                "hazchem" => Hazchem().into_any(),
                "export" => ExportPanel().into_any(),
                _ => Completeness().into_any(),
            }}
        </section>
    }
}

#[allow(non_snake_case)]
fn Completeness() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let report = get_resource(move || {
        let unit = query.with(|m| m.get("unit").unwrap_or_default());
        format!(
            "/api/v1/archive/completeness?org_unit_id={}",
            api_enc(&unit)
        )
    });
    let html = move || {
        let lang = lang.get();
        match loaded::<CompletenessReport>(report) {
            None => format!("<p class=\"muted\">{}</p>", w(lang, "加载中…", "Loading…")),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok(r)) => completeness_html(&r, lang),
        }
    };
    html_block("completeness", html, |_, _| {})
}

fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

fn completeness_html(r: &CompletenessReport, lang: Lang) -> String {
    let t = &r.total;
    let mut html = format!(
        "<div class=\"kpis\"><div class=\"kpi\"><span class=\"kpi-label\">{}</span><span class=\"kpi-value\" id=\"kpi-rate\">{}</span></div>\
         <div class=\"kpi\"><span class=\"kpi-label\">{}</span><span class=\"kpi-value\">{} / {}</span></div>\
         <div class=\"kpi\"><span class=\"kpi-label\">{}</span><span class=\"kpi-value\"><a href=\"/documents?tab=incomplete&unit={}&status=expiring\">{}</a></span></div>\
         <div class=\"kpi\"><span class=\"kpi-label\">{}</span><span class=\"kpi-value\"><a href=\"/documents?tab=incomplete&unit={}&status=expired\">{}</a></span></div></div>",
        w(lang, "档案完整率", "Complete archives"),
        percent(t.rate),
        w(lang, "完整 / 客户", "Complete / clients"),
        t.complete,
        t.clients,
        w(lang, "证照即将到期的客户", "Clients with expiring documents"),
        t.org_unit_id,
        t.expiring,
        w(lang, "证照已过期的客户", "Clients with expired documents"),
        t.org_unit_id,
        t.expired,
    );
    html.push_str(&format!(
        "<h2>{} · {}</h2>",
        esc(&t.org_unit_name),
        w(
            lang,
            "下级单位（完整率由低到高）",
            "Units below (worst first)"
        )
    ));
    let types = DocumentType::ALL;
    let mut headers = vec![
        w(lang, "单位", "Unit"),
        w(lang, "客户", "Clients"),
        w(lang, "完整率", "Complete"),
    ];
    headers.extend(types.iter().map(|t| t.label(lang)));
    let mut table = HtmlTable::new("completeness-table", &headers);
    let rows = if r.children.is_empty() {
        std::slice::from_ref(t)
    } else {
        &r.children[..]
    };
    for u in rows {
        table.row("", &format!("data-unit=\"{}\"", u.org_unit_id));
        table.cell(
            headers[0],
            "",
            &format!(
                "<a href=\"/documents?tab=completeness&unit={}\">{}</a>",
                u.org_unit_id,
                esc(&u.org_unit_name)
            ),
        );
        table.cell(headers[1], "num", &u.clients.to_string());
        table.cell(
            headers[2],
            "num",
            &format!(
                "<span class=\"rate-bar\"><span style=\"width:{:.0}%\"></span></span> {}",
                u.rate * 100.0,
                percent(u.rate)
            ),
        );
        for (i, doc_type) in types.iter().enumerate() {
            let n = u.missing_by_type.get(doc_type).copied().unwrap_or(0);
            let inner = if n == 0 {
                "—".to_owned()
            } else {
                format!(
                    "<a href=\"/documents?tab=incomplete&unit={}&doc_type={}\">{n}</a>",
                    u.org_unit_id,
                    doc_type.code()
                )
            };
            table.cell(headers[3 + i], "num", &inner);
        }
    }
    html.push_str(&table.finish());
    html.push_str(&format!(
        "<p class=\"muted\">{} {} · {} v{}</p>",
        w(lang, "统计日期", "As of"),
        r.as_of,
        w(lang, "证照要求", "Requirement matrix"),
        r.requirements_version
    ));
    html
}

/// Today in the browser's time zone (`chrono`'s clock does not run in WASM).
fn browser_today() -> chrono::NaiveDate {
    let now = js_sys::Date::new_0();
    chrono::NaiveDate::from_ymd_opt(
        now.get_full_year() as i32,
        now.get_month() + 1,
        now.get_date(),
    )
    .unwrap_or_default()
}

fn api_enc(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}

#[allow(non_snake_case)]
fn Incomplete() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let page = get_resource(move || {
        query.with(|m| {
            let mut parts = vec!["per_page=200".to_owned()];
            for key in ["unit", "doc_type", "status"] {
                if let Some(v) = m.get(key).filter(|v| !v.is_empty()) {
                    let api_key = if key == "unit" { "org_unit_id" } else { key };
                    parts.push(format!("{api_key}={}", api_enc(&v)));
                }
            }
            format!("/api/v1/archive/incomplete?{}", parts.join("&"))
        })
    });
    let html = move || {
        let lang = lang.get();
        match loaded::<IncompletePage>(page) {
            None => String::new(),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok(p)) => {
                let headers = [
                    w(lang, "客户", "Client"),
                    w(lang, "单位", "Unit"),
                    w(lang, "客户经理", "Account manager"),
                    w(lang, "问题证照", "Documents not in order"),
                ];
                let mut table = HtmlTable::new("incomplete-table", &headers);
                for c in &p.items {
                    table.row("", "");
                    table.cell(headers[0], "", &client_link(c.client_id, &c.client_name));
                    table.cell(headers[1], "", &esc(&c.org_unit_name));
                    table.cell(headers[2], "", &esc(&c.account_manager_name));
                    let items: Vec<String> = c
                        .items
                        .iter()
                        .map(|i| {
                            format!(
                                "{} {}",
                                esc(i.doc_type.label(lang)),
                                status_badge(i.status, lang)
                            )
                        })
                        .collect();
                    table.cell(headers[3], "", &items.join("<br>"));
                }
                format!(
                    "<p>{} {}</p>{}",
                    w(lang, "共", "Total"),
                    p.total,
                    table.finish()
                )
            }
        }
    };
    html_block("incomplete", html, |_, _| {})
}

/// Approves or rejects a document (a reason is asked for a rejection), then runs `done`.
fn review(id: String, approve: bool, lang: Lang, done: impl Fn() + 'static) {
    let reason = if approve {
        String::new()
    } else {
        let asked = web_sys::window().and_then(|win| {
            win.prompt_with_message(w(lang, "驳回原因", "Reason for rejecting"))
                .ok()
                .flatten()
        });
        match asked {
            Some(r) if !r.trim().is_empty() => r,
            _ => return,
        }
    };
    let body = serde_json::json!({
        "decision": if approve { "approve" } else { "reject" },
        "reason": reason,
    })
    .to_string();
    leptos::task::spawn_local(async move {
        let result = api::call(
            "POST",
            &format!("/api/v1/documents/{id}/review"),
            Some(body),
        )
        .await;
        if let Err(e) = result {
            if let Some(win) = web_sys::window() {
                let _ = win.alert_with_message(&e.message(lang));
            }
        }
        done();
    });
}

/// Opens page 1 (or `page`) of a document in a new tab.
fn open_page(id: String, page: u32) {
    leptos::task::spawn_local(async move {
        if let Ok(url) = api::object_url(&format!("/api/v1/documents/{id}/file?page={page}")).await
        {
            api::open_in_new_tab(&url);
        }
    });
}

#[allow(non_snake_case)]
fn DocumentList(status: DocumentStatus) -> impl IntoView {
    let lang = use_lang();
    let reviewer = is_reviewer();
    let page =
        get_resource(move || format!("/api/v1/documents?status={}&per_page=200", status.code()));
    let html = move || {
        let lang = lang.get();
        match loaded::<DocumentPage>(page) {
            None => String::new(),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok(p)) if p.items.is_empty() => {
                format!(
                    "<p class=\"muted empty\">{}</p>",
                    w(lang, "没有记录", "Nothing here")
                )
            }
            Some(Ok(p)) => {
                let headers = [
                    w(lang, "客户", "Client"),
                    w(lang, "证照", "Document"),
                    w(lang, "编号", "Number"),
                    w(lang, "有效期至", "Valid to"),
                    w(lang, "上传", "Uploaded"),
                    w(lang, "操作", "Actions"),
                ];
                let mut table = HtmlTable::new("document-table", &headers);
                let today = browser_today();
                for d in &p.items {
                    table.row("", &format!("data-doc=\"{}\"", d.id));
                    table.cell(headers[0], "", &client_link(d.client_id, &d.client_name));
                    table.cell(
                        headers[1],
                        "",
                        &format!(
                            "{} {}",
                            esc(d.meta.doc_type.label(lang)),
                            status_badge(d.status, lang)
                        ),
                    );
                    table.cell(headers[2], "", &esc(&d.meta.number));
                    let valid = match d.meta.valid_to {
                        Some(to) => {
                            let days = (to - today).num_days();
                            let note = if days >= 0 {
                                format!(
                                    "{} {days} {}",
                                    w(lang, "剩", ""),
                                    w(lang, "天", "days left")
                                )
                            } else {
                                format!(
                                    "{} {} {}",
                                    w(lang, "已过", ""),
                                    -days,
                                    w(lang, "天", "days ago")
                                )
                            };
                            format!("{to}<br><span class=\"muted\">{note}</span>")
                        }
                        None => w(lang, "长期", "Long-term").to_owned(),
                    };
                    table.cell(headers[3], "", &valid);
                    table.cell(
                        headers[4],
                        "",
                        &format!(
                            "{}<br><span class=\"muted\">{}</span>",
                            esc(&d.uploaded_by_name),
                            d.uploaded_at.format("%Y-%m-%d")
                        ),
                    );
                    let mut actions = format!(
                        "<button type=\"button\" class=\"btn btn-small\" data-act=\"view\" data-id=\"{}\">{}</button>",
                        d.id,
                        w(lang, "查看", "View")
                    );
                    if d.status == DocumentStatus::PendingReview && reviewer.get() {
                        actions.push_str(&format!(
                            " <button type=\"button\" class=\"btn btn-small btn-primary\" data-act=\"approve\" data-id=\"{id}\">{}</button>\
                             <button type=\"button\" class=\"btn btn-small btn-danger\" data-act=\"reject\" data-id=\"{id}\">{}</button>",
                            w(lang, "通过", "Approve"),
                            w(lang, "驳回", "Reject"),
                            id = d.id
                        ));
                    }
                    table.cell(headers[5], "actions", &actions);
                }
                format!(
                    "<p>{} {}</p>{}",
                    w(lang, "共", "Total"),
                    p.total,
                    table.finish()
                )
            }
        }
    };
    html_block("document-list", html, move |act, id| match act.as_str() {
        "view" => open_page(id, 1),
        "approve" | "reject" => review(id, act == "approve", lang.get_untracked(), move || {
            page.refetch()
        }),
        _ => {}
    })
}

#[allow(non_snake_case)]
fn Hazchem() -> impl IntoView {
    let lang = use_lang();
    let reviewer = is_reviewer();
    let page = get_resource(|| "/api/v1/compliance/hazchem?per_page=200".to_owned());
    let outcome = RwSignal::new(String::new());
    let html = move || {
        let lang = lang.get();
        match loaded::<HazchemPage>(page) {
            None => String::new(),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok(p)) => {
                let headers = [
                    w(lang, "客户", "Client"),
                    w(lang, "类别", "Category"),
                    w(lang, "单位 / 客户经理", "Unit / account manager"),
                    w(lang, "近 12 月柴油（吨）", "Diesel, 12 months (t)"),
                    w(lang, "危化证", "Hazchem permit"),
                    w(lang, "走访任务", "Visit"),
                ];
                let mut table = HtmlTable::new("hazchem-table", &headers);
                for r in &p.items {
                    table.row("", "");
                    table.cell(headers[0], "", &client_link(r.client_id, &r.client_name));
                    table.cell(headers[1], "", r.category.label(lang));
                    table.cell(
                        headers[2],
                        "",
                        &format!(
                            "{}<br>{}",
                            esc(&r.org_unit_name),
                            esc(&r.account_manager_name)
                        ),
                    );
                    table.cell(headers[3], "num", &format!("{:.3}", r.diesel_tonnes_12m));
                    let problem = r.permit.problem.map(|p| p.label(lang)).unwrap_or_default();
                    table.cell(
                        headers[4],
                        "",
                        &format!("{} {}", status_badge(r.permit.status, lang), esc(problem)),
                    );
                    table.cell(
                        headers[5],
                        "",
                        if r.open_task_id.is_some() {
                            w(lang, "已派发", "Dispatched")
                        } else {
                            "—"
                        },
                    );
                }
                format!(
                    "<p>{} <strong id=\"hazchem-total\">{}</strong> {}</p>{}",
                    w(
                        lang,
                        "缺少覆盖柴油的有效危化证的柴油转售客户：",
                        "Diesel resellers without a valid hazchem permit covering diesel:"
                    ),
                    p.total,
                    w(lang, "家", ""),
                    table.finish()
                )
            }
        }
    };
    let dispatch = move |_| {
        outcome.set(w(lang.get_untracked(), "正在派发…", "Dispatching…").to_owned());
        leptos::task::spawn_local(async move {
            let lang = lang.get_untracked();
            let result = api::call(
                "POST",
                "/api/v1/compliance/hazchem/dispatch",
                Some("{}".to_owned()),
            )
            .await;
            outcome.set(
                match result.and_then(|t| api::decode::<domain::archive::DispatchResult>(&t)) {
                    Ok(r) => format!(
                        "{} {}，{} {}",
                        w(lang, "新派发走访任务", "Visit tasks created:"),
                        r.created,
                        w(lang, "已有未完成任务", "already open:"),
                        r.already_open
                    ),
                    Err(e) => e.message(lang),
                },
            );
            page.refetch();
        });
    };
    view! {
        <div class="toolbar">
            <Show when=move || reviewer.get()>
                <button id="hazchem-dispatch" type="button" class="btn btn-primary" on:click=dispatch>
                    {move || w(lang.get(), "向客户经理派发走访任务（全部）", "Dispatch visits to account managers (all)")}
                </button>
            </Show>
            <span id="hazchem-outcome" class="muted">{move || outcome.get()}</span>
        </div>
        {html_block("hazchem", html, |_, _| {})}
    }
}

#[allow(non_snake_case)]
fn ExportPanel() -> impl IntoView {
    let lang = use_lang();
    let outcome = RwSignal::new(String::new());
    let only = RwSignal::new(String::new());
    let start = move |_| {
        let lang = lang.get_untracked();
        outcome.set(w(lang, "正在准备…", "Preparing…").to_owned());
        let body = match only.get_untracked().as_str() {
            "complete" => r#"{"complete":true}"#,
            "incomplete" => r#"{"complete":false}"#,
            _ => "{}",
        }
        .to_owned();
        leptos::task::spawn_local(async move {
            match api::call("POST", "/api/v1/archive/export", Some(body))
                .await
                .and_then(|t| api::decode::<serde_json::Value>(&t))
            {
                Ok(ticket) => {
                    let clients = ticket["clients"].as_u64().unwrap_or(0);
                    let mb = ticket["estimated_bytes"].as_f64().unwrap_or(0.0) / 1e6;
                    outcome.set(format!(
                        "{} {clients} {}，{} {mb:.1} MB。{}",
                        w(lang, "共", "Exporting"),
                        w(lang, "家客户", "clients"),
                        w(lang, "约", "about"),
                        w(
                            lang,
                            "已开始下载，进度见浏览器下载栏。",
                            "The download has started; the browser shows its progress."
                        )
                    ));
                    if let Some(url) = ticket["download_url"].as_str() {
                        api::start_download(url);
                    }
                }
                Err(e) => outcome.set(e.message(lang)),
            }
        });
    };
    view! {
        <div class="card export-panel">
            <p>{move || w(lang.get(), "导出权限范围内客户的档案：每个客户一个文件夹（档案卡与证照文件），另附索引表（XLSX）。", "Exports the archives in your scope: a folder per client (archive card and document files) and an index spreadsheet (XLSX).")}</p>
            <div class="field">
                <select id="export-filter" on:change=move |ev| only.set(event_target_value(&ev))>
                    <option value="">{move || w(lang.get(), "全部客户", "All clients")}</option>
                    <option value="complete">{move || w(lang.get(), "档案完整的客户", "Complete archives")}</option>
                    <option value="incomplete">{move || w(lang.get(), "档案不完整的客户", "Incomplete archives")}</option>
                </select>
            </div>
            <button id="export-start" type="button" class="btn btn-primary" on:click=start>
                {move || w(lang.get(), "导出 ZIP", "Export ZIP")}
            </button>
            <p id="export-outcome">{move || outcome.get()}</p>
        </div>
    }
}

/// `/tasks`: the signed-in user's tasks (or all in scope), soonest due first.
#[component]
pub fn TasksPage() -> impl IntoView {
    let lang = use_lang();
    let status = RwSignal::new("open".to_owned());
    let mine = RwSignal::new(true);
    let page = get_resource(move || {
        format!(
            "/api/v1/tasks?per_page=200&mine={}{}",
            mine.get(),
            match status.get().as_str() {
                "" => String::new(),
                s => format!("&status={s}"),
            }
        )
    });
    let html = move || {
        let lang = lang.get();
        match loaded::<TaskPage>(page) {
            None => String::new(),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok(p)) if p.items.is_empty() => {
                format!(
                    "<p class=\"muted empty\">{}</p>",
                    w(lang, "没有任务", "No tasks")
                )
            }
            Some(Ok(p)) => {
                let headers = [
                    w(lang, "任务", "Task"),
                    w(lang, "客户", "Client"),
                    w(lang, "截止", "Due"),
                    w(lang, "负责人", "Assignees"),
                    w(lang, "状态", "Status"),
                ];
                let mut table = HtmlTable::new("task-table", &headers);
                for t in &p.items {
                    table.row(if t.overdue { "overdue" } else { "" }, "");
                    let (title, detail) = match lang {
                        Lang::Zh => (&t.title, &t.detail),
                        Lang::En => (&t.title_en, &t.detail_en),
                    };
                    table.cell(
                        headers[0],
                        "",
                        &format!(
                            "<strong>{}</strong><br><span class=\"muted\">{}</span>",
                            esc(title),
                            esc(detail)
                        ),
                    );
                    table.cell(headers[1], "", &client_link(t.client_id, &t.client_name));
                    let due = if t.overdue {
                        format!(
                            "{} {}",
                            t.due_date,
                            badge_html("badge-danger", w(lang, "逾期", "Overdue"))
                        )
                    } else {
                        t.due_date.to_string()
                    };
                    table.cell(headers[2], "", &due);
                    let people: Vec<String> = t
                        .assignees
                        .iter()
                        .map(|a| format!("{}（{}）", esc(&a.name), a.level.label(lang)))
                        .collect();
                    table.cell(headers[3], "", &people.join("<br>"));
                    table.cell(headers[4], "", &esc(t.status.label(lang)));
                }
                format!(
                    "<p>{} {}</p>{}",
                    w(lang, "共", "Total"),
                    p.total,
                    table.finish()
                )
            }
        }
    };
    view! {
        <section class="page tasks-page">
            <h1>{move || w(lang.get(), "任务", "Tasks")}</h1>
            <div class="toolbar">
                <select id="task-status" on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="open">{move || w(lang.get(), "待办", "Open")}</option>
                    <option value="overdue">{move || w(lang.get(), "逾期", "Overdue")}</option>
                    <option value="closed">{move || w(lang.get(), "已办结", "Closed")}</option>
                    <option value="">{move || w(lang.get(), "全部", "All")}</option>
                </select>
                <label class="check">
                    <input type="checkbox" id="task-mine" prop:checked=move || mine.get() on:change=move |ev| mine.set(event_target_checked(&ev))/>
                    {move || w(lang.get(), "只看我的", "Mine only")}
                </label>
            </div>
            {html_block("tasks", html, |_, _| {})}
        </section>
    }
}

/// The archive overview: completeness and what needs attention. A section below the dashboard's
/// figures (`embedded`), or a page of its own at `/dashboard/archive`.
#[component]
pub fn ArchiveOverview(#[prop(optional)] embedded: bool) -> impl IntoView {
    let lang = use_lang();
    let report = get_resource(|| "/api/v1/archive/completeness".to_owned());
    let pending = get_resource(|| "/api/v1/documents?status=pending_review&per_page=1".to_owned());
    let hazchem = get_resource(|| "/api/v1/compliance/hazchem?per_page=1".to_owned());
    let tasks = get_resource(|| "/api/v1/tasks?mine=true&status=open&per_page=1".to_owned());
    let html = move || {
        let lang = lang.get();
        let total = |r: TextResource2| {
            loaded::<serde_json::Value>(r)
                .and_then(Result::ok)
                .and_then(|v| v["total"].as_u64())
                .map_or_else(|| "…".to_owned(), |n| n.to_string())
        };
        let mut html = match loaded::<CompletenessReport>(report) {
            Some(Ok(r)) => completeness_html(&r, lang),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            None => String::new(),
        };
        html.insert_str(
            0,
            &format!(
                "<div class=\"kpis\"><div class=\"kpi\"><span class=\"kpi-label\">{}</span><span class=\"kpi-value\"><a href=\"/documents?tab=review\">{}</a></span></div>\
                 <div class=\"kpi\"><span class=\"kpi-label\">{}</span><span class=\"kpi-value\"><a href=\"/documents?tab=hazchem\">{}</a></span></div>\
                 <div class=\"kpi\"><span class=\"kpi-label\">{}</span><span class=\"kpi-value\"><a href=\"/tasks\">{}</a></span></div></div>",
                w(lang, "待审核证照", "Documents awaiting review"),
                total(pending),
                w(lang, "危化证不合规客户", "Resellers without a diesel hazchem permit"),
                total(hazchem),
                w(lang, "我的待办任务", "My open tasks"),
                total(tasks),
            ),
        );
        html
    };
    if embedded {
        view! {
            <section class="card section archive-overview-section" id="section-archive">
                <h2>{crate::i18n::tr(crate::i18n::T::ArchiveOverviewTitle)}</h2>
                {html_block("archive-overview", html, |_, _| {})}
            </section>
        }
        .into_any()
    } else {
        view! {
            <section class="page dashboard-page">
                <h1>{move || w(lang.get(), "仪表盘 · 客户档案", "Dashboard · client archives")}</h1>
                {html_block("archive-overview", html, |_, _| {})}
            </section>
        }
        .into_any()
    }
}

type TextResource2 = crate::components::TextResource;

/// The documents panel of the client page: the archive status, every version with its pages,
/// review buttons for reviewers, the upload form (phones open the camera) and the printable card.
#[component]
pub fn ClientDocumentsPanel(client_id: Uuid) -> impl IntoView {
    let lang = use_lang();
    let app = use_app();
    let reviewer = is_reviewer();
    let docs = get_resource(move || format!("/api/v1/clients/{client_id}/documents"));
    let html = move || {
        let lang = lang.get();
        match loaded::<ClientDocuments>(docs) {
            None => String::new(),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok(d)) => {
                let mut html = format!(
                    "<p id=\"archive-state\">{}</p><ul class=\"archive-items\">",
                    if d.archive.complete {
                        badge_html("badge-ok", w(lang, "档案完整", "Archive complete"))
                    } else {
                        badge_html("badge-danger", w(lang, "档案不完整", "Archive incomplete"))
                    }
                );
                for item in &d.archive.items {
                    html.push_str(&format!(
                        "<li>{} <span class=\"muted\">{}</span> {}{}</li>",
                        esc(item.doc_type.label(lang)),
                        item.requirement.label(lang),
                        status_badge(item.status, lang),
                        item.problem
                            .map(|p| format!(
                                " <span class=\"muted\">{}</span>",
                                esc(p.label(lang))
                            ))
                            .unwrap_or_default()
                    ));
                }
                html.push_str("</ul>");
                let headers = [
                    w(lang, "证照", "Document"),
                    w(lang, "编号 / 发证机关", "Number / issuer"),
                    w(lang, "有效期", "Validity"),
                    w(lang, "上传 / 审核", "Uploaded / reviewed"),
                    w(lang, "页", "Pages"),
                ];
                let mut table = HtmlTable::new("client-documents", &headers);
                for doc in &d.documents {
                    table.row(
                        if doc.superseded { "superseded" } else { "" },
                        &format!("data-doc=\"{}\"", doc.id),
                    );
                    let mut first = format!(
                        "{} {}",
                        esc(doc.meta.doc_type.label(lang)),
                        status_badge(doc.status, lang)
                    );
                    if doc.superseded {
                        first.push_str(&format!(
                            " <span class=\"muted\">{}</span>",
                            w(lang, "旧版本", "older version")
                        ));
                    }
                    table.cell(headers[0], "", &first);
                    table.cell(
                        headers[1],
                        "",
                        &format!(
                            "{}<br><span class=\"muted\">{}</span>",
                            esc(&doc.meta.number),
                            esc(&doc.meta.issuer)
                        ),
                    );
                    let validity = match (doc.meta.valid_from, doc.meta.valid_to) {
                        (_, None) if doc.meta.long_term => {
                            w(lang, "长期有效", "Long-term").to_owned()
                        }
                        (from, Some(to)) => {
                            format!("{} – {to}", from.map(|f| f.to_string()).unwrap_or_default())
                        }
                        _ => "—".to_owned(),
                    };
                    table.cell(headers[2], "", &validity);
                    let mut who = format!(
                        "{} {}",
                        esc(&doc.uploaded_by_name),
                        doc.uploaded_at.format("%Y-%m-%d")
                    );
                    if let Some(name) = &doc.reviewed_by_name {
                        who.push_str(&format!(
                            "<br>{} {}",
                            esc(name),
                            esc(doc.review.label(lang))
                        ));
                    }
                    if let Some(reason) = &doc.review_reason {
                        who.push_str(&format!("<br><span class=\"muted\">{}</span>", esc(reason)));
                    }
                    if doc.status == DocumentStatus::PendingReview && reviewer.get() {
                        who.push_str(&format!(
                            "<br><button type=\"button\" class=\"btn btn-small btn-primary\" data-act=\"approve\" data-id=\"{id}\">{}</button> \
                             <button type=\"button\" class=\"btn btn-small btn-danger\" data-act=\"reject\" data-id=\"{id}\">{}</button>",
                            w(lang, "通过", "Approve"),
                            w(lang, "驳回", "Reject"),
                            id = doc.id
                        ));
                    }
                    table.cell(headers[3], "", &who);
                    let pages: Vec<String> = doc
                        .files
                        .iter()
                        .map(|f| {
                            format!(
                                "<button type=\"button\" class=\"btn btn-small\" data-act=\"page\" data-id=\"{}:{}\">{} {}</button>",
                                doc.id,
                                f.page,
                                w(lang, "第", "p."),
                                f.page
                            )
                        })
                        .collect();
                    table.cell(headers[4], "", &pages.join(" "));
                }
                html.push_str(&table.finish());
                html
            }
        }
    };
    let print_card = move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(url) =
                api::object_url(&format!("/api/v1/clients/{client_id}/card.html")).await
            {
                api::open_in_new_tab(&url);
            }
        });
    };
    view! {
        <div class="card documents-panel" id="documents-panel">
            <div class="toolbar">
                <h2>{move || w(lang.get(), "证照", "Documents")}</h2>
                <button id="print-card" type="button" class="btn" on:click=print_card>
                    {move || w(lang.get(), "打印档案卡", "Print archive card")}
                </button>
            </div>
            {html_block("documents-list", html, move |act, id| match act.as_str() {
                "page" => {
                    if let Some((doc, page)) = id.split_once(':') {
                        open_page(doc.to_owned(), page.parse().unwrap_or(1));
                    }
                }
                "approve" | "reject" => review(id, act == "approve", lang.get_untracked(), move || docs.refetch()),
                _ => {}
            })}
            <Show when=move || app.can_write()>
                <UploadForm client_id=client_id on_done=move || docs.refetch()/>
            </Show>
        </div>
    }
}

#[component]
fn UploadForm(
    client_id: Uuid,
    on_done: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let lang = use_lang();
    let doc_type = RwSignal::new(DocumentType::BusinessLicence);
    let number = RwSignal::new(String::new());
    let issuer = RwSignal::new(String::new());
    let valid_from = RwSignal::new(String::new());
    let valid_to = RwSignal::new(String::new());
    let long_term = RwSignal::new(false);
    let scope = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let files_ref = NodeRef::<leptos::html::Input>::new();
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let lang = lang.get_untracked();
        let meta = DocumentMeta {
            doc_type: doc_type.get_untracked(),
            number: number.get_untracked(),
            issuer: issuer.get_untracked(),
            valid_from: valid_from.get_untracked().parse().ok(),
            valid_to: valid_to.get_untracked().parse().ok(),
            long_term: long_term.get_untracked(),
            business_scope: scope.get_untracked(),
        }
        .normalized();
        // The same rules as the server, before anything is sent.
        if let Err(errors) = meta.validate() {
            message.set(
                errors
                    .0
                    .iter()
                    .map(|e| {
                        if lang == Lang::Zh {
                            e.message_zh.clone()
                        } else {
                            e.message.clone()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("；"),
            );
            return;
        }
        let Some(input) = files_ref.get_untracked() else {
            return;
        };
        let files = input.files();
        let count = files.as_ref().map_or(0, |f| f.length());
        if count == 0 {
            message.set(
                w(
                    lang,
                    "请选择或拍摄证照页面",
                    "Choose or take a photo of the pages",
                )
                .to_owned(),
            );
            return;
        }
        let Ok(form) = web_sys::FormData::new() else {
            return;
        };
        let _ = form.append_with_str("meta", &serde_json::to_string(&meta).unwrap_or_default());
        if let Some(files) = files {
            for i in 0..files.length() {
                if let Some(file) = files.get(i) {
                    let _ = form.append_with_blob("file", &file);
                }
            }
        }
        busy.set(true);
        message.set(w(lang, "正在上传…", "Uploading…").to_owned());
        let on_done = on_done.clone();
        leptos::task::spawn_local(async move {
            match api::send_form(&format!("/api/v1/clients/{client_id}/documents"), &form).await {
                Ok(_) => {
                    message.set(
                        w(lang, "已上传，等待主任审核", "Uploaded; awaiting review").to_owned(),
                    );
                    input.set_value("");
                    on_done();
                }
                Err(e) => message.set(e.message(lang)),
            }
            busy.set(false);
        });
    };
    let text_field = move |id: &'static str,
                           zh: &'static str,
                           en: &'static str,
                           signal: RwSignal<String>,
                           kind: &'static str| {
        view! {
            <div class="field">
                <label class="field-label" for=id>{move || w(lang.get(), zh, en)}</label>
                <input id=id type=kind prop:value=move || signal.get() on:input=move |ev| signal.set(event_target_value(&ev))/>
            </div>
        }
    };
    view! {
        <form class="upload-form" id="upload-form" on:submit=send>
            <h3>{move || w(lang.get(), "上传证照（新版本不会覆盖旧版本）", "Upload a document (a new version keeps the old one)")}</h3>
            <div class="field">
                <label class="field-label" for="doc-type">{move || w(lang.get(), "证照类型", "Type")}</label>
                <select id="doc-type" on:change=move |ev| {
                    if let Some(t) = DocumentType::from_code(&event_target_value(&ev)) {
                        doc_type.set(t);
                    }
                }>
                    {DocumentType::ALL
                        .iter()
                        .map(|t| view! { <option value=t.code()>{label!(*t)}</option> })
                        .collect_view()}
                </select>
            </div>
            {text_field("doc-number", "证照编号", "Number", number, "text")}
            {text_field("doc-issuer", "发证机关", "Issuer", issuer, "text")}
            {text_field("doc-valid-from", "有效期起", "Valid from", valid_from, "date")}
            {text_field("doc-valid-to", "有效期至", "Valid to", valid_to, "date")}
            <label class="check">
                <input type="checkbox" id="doc-long-term" on:change=move |ev| long_term.set(event_target_checked(&ev))/>
                {move || w(lang.get(), "长期有效", "Long-term")}
            </label>
            {text_field("doc-scope", "经营范围（危化证须写明是否含柴油）", "Business scope (for hazchem permits: does it cover diesel?)", scope, "text")}
            <div class="field">
                <label class="field-label" for="doc-files">{move || w(lang.get(), "页面（JPEG/PNG/PDF，可多选；手机可直接拍照）", "Pages (JPEG/PNG/PDF; phones open the camera)")}</label>
                <input id="doc-files" type="file" accept="image/*,application/pdf" multiple capture="environment" node_ref=files_ref/>
            </div>
            <button id="doc-upload" type="submit" class="btn btn-primary" disabled=move || busy.get()>
                {move || w(lang.get(), "上传", "Upload")}
            </button>
            <p id="upload-message" class="form-message">{move || message.get()}</p>
        </form>
    }
}

/// `/admin/requirements`: the requirement matrix as a grid (client group × document type),
/// saved as a new version; and the expiry-alerts job on demand.
#[component]
pub fn RequirementsPage() -> impl IntoView {
    use domain::archive::{ClientGroup, Requirement, RequirementMatrix, RequirementMatrixHistory};
    let lang = use_lang();
    let history = get_resource(|| "/api/v1/archive/requirements".to_owned());
    let matrix: RwSignal<Option<RequirementMatrix>> = RwSignal::new(None);
    let message = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(h)) = loaded::<RequirementMatrixHistory>(history) {
            matrix.set(Some(h.current.matrix));
        }
    });
    let save = move |_| {
        let Some(m) = matrix.get_untracked() else {
            return;
        };
        let lang = lang.get_untracked();
        if let Err(e) = m.validate() {
            message.set(
                e.0.iter()
                    .map(|f| {
                        if lang == Lang::Zh {
                            f.message_zh.clone()
                        } else {
                            f.message.clone()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("；"),
            );
            return;
        }
        let body = serde_json::to_string(&m).ok();
        leptos::task::spawn_local(async move {
            message.set(
                match api::call("PUT", "/api/v1/archive/requirements", body).await {
                    Ok(_) => {
                        history.refetch();
                        w(lang, "已保存为新版本", "Saved as a new version").to_owned()
                    }
                    Err(e) => e.message(lang),
                },
            );
        });
    };
    let run_job = move |_| {
        let lang = lang.get_untracked();
        message.set(w(lang, "正在运行…", "Running…").to_owned());
        leptos::task::spawn_local(async move {
            let result = api::call(
                "POST",
                "/api/v1/jobs/expiry_alerts/run",
                Some("{}".to_owned()),
            )
            .await
            .and_then(|t| api::decode::<domain::task::JobReport>(&t));
            message.set(match result {
                Ok(r) => format!(
                    "{} {}，{} {}，{} {} ms",
                    w(lang, "新建任务", "tasks created"),
                    r.created,
                    w(lang, "更新", "updated"),
                    r.updated,
                    w(lang, "用时", "in"),
                    r.elapsed_ms
                ),
                Err(e) => e.message(lang),
            });
        });
    };
    let cell = move |group: ClientGroup, doc_type: DocumentType| {
        let current = move || {
            matrix.with(|m| {
                m.as_ref()
                    .and_then(|m| {
                        m.groups
                            .get(&group)
                            .and_then(|row| row.get(&doc_type))
                            .copied()
                    })
                    .map_or("", |r| r.code())
            })
        };
        let change = move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            matrix.update(|m| {
                if let Some(m) = m {
                    let row = m.groups.entry(group).or_default();
                    match Requirement::from_code(&value) {
                        Some(r) => {
                            row.insert(doc_type, r);
                        }
                        None => {
                            row.remove(&doc_type);
                        }
                    }
                }
            });
        };
        view! {
            <td>
                <select class="req-cell" on:change=change prop:value=current>
                    <option value="">"—"</option>
                    <option value="required">{label!(Requirement::Required)}</option>
                    <option value="optional">{label!(Requirement::Optional)}</option>
                </select>
            </td>
        }
    };
    view! {
        <crate::pages::admin::AdminFrame title=crate::i18n::T::Requirements>
            <div class="card">
                <table class="data-table requirements-table">
                    <thead>
                        <tr>
                            <th>{move || w(lang.get(), "客户类别", "Client group")}</th>
                            {DocumentType::ALL.iter().map(|t| view! { <th>{label!(*t)}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {ClientGroup::ALL
                            .iter()
                            .map(|g| {
                                let g = *g;
                                view! {
                                    <tr>
                                        <th>{label!(g)}</th>
                                        {DocumentType::ALL.iter().map(|t| cell(g, *t)).collect_view()}
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
                <div class="field">
                    <label class="field-label" for="expiring-days">
                        {move || w(lang.get(), "到期前多少天算“即将到期”", "Days before valid-to that count as expiring")}
                    </label>
                    <input
                        id="expiring-days"
                        type="number"
                        min="1"
                        max="365"
                        prop:value=move || matrix.with(|m| m.as_ref().map(|m| m.expiring_days.to_string()).unwrap_or_default())
                        on:input=move |ev| {
                            let days = event_target_value(&ev).parse().unwrap_or(0);
                            matrix.update(|m| if let Some(m) = m { m.expiring_days = days; });
                        }
                    />
                </div>
                <div class="toolbar">
                    <button id="requirements-save" type="button" class="btn btn-primary" on:click=save>
                        {move || w(lang.get(), "保存为新版本", "Save as a new version")}
                    </button>
                    <button id="run-expiry-job" type="button" class="btn" on:click=run_job>
                        {move || w(lang.get(), "立即运行证照到期提醒", "Run the expiry alerts now")}
                    </button>
                    <span id="requirements-message">{move || message.get()}</span>
                </div>
                <p class="muted">
                    {move || {
                        let lang = lang.get();
                        loaded::<RequirementMatrixHistory>(history)
                            .and_then(Result::ok)
                            .map(|h| {
                                h.versions
                                    .iter()
                                    .map(|v| format!(
                                        "v{} {} {}",
                                        v.version,
                                        v.created_by_name.clone().unwrap_or_else(|| w(lang, "系统默认", "built-in default").to_owned()),
                                        if v.created_by.is_some() { v.created_at.format("%Y-%m-%d %H:%M").to_string() } else { String::new() }
                                    ))
                                    .collect::<Vec<_>>()
                                    .join(" · ")
                            })
                            .unwrap_or_default()
                    }}
                </p>
            </div>
        </crate::pages::admin::AdminFrame>
    }
}
