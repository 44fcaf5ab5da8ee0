//! The prospect pipeline (潜在客户开发): the kanban of stages (`/prospects`), entering a prospect
//! (`/prospects/new`, the client form's fields plus the pipeline's, with the similar-name check)
//! and the conversion funnel per city (`/prospects/funnel`).
//!
//! The board and the funnel are HTML text (see `components`); the form is a view built from the
//! client form's pieces.

use crate::api::{self, ApiError};
use crate::components::{esc, get_resource, html_block, loaded, section_tabs, TextResource};
use crate::i18n::{self, tr, T};
use crate::pages::client_form::{
    ClientBasicFields, ClientContactsFields, FieldErrors, FormState, TextInput,
};
use crate::pages::visits::{client_link, w, wt};
use crate::state::use_lang;
use chrono::NaiveDate;
use domain::prospect::{FunnelRow, NewProspect, PipelineStage, Prospect, SimilarName, StageChange};
use domain::validation::FieldError;
use domain::Lang;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use serde::Deserialize;
use uuid::Uuid;

/// One page of prospects, as `GET /api/v1/prospects` answers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProspectPage {
    /// Rows.
    pub items: Vec<Prospect>,
    /// Matching rows over all pages.
    pub total: u64,
}

/// The funnel, as `GET /api/v1/prospects/funnel` answers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FunnelReport {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Everything in scope.
    pub total: FunnelRow,
    /// Per city.
    pub by_unit: Vec<FunnelRow>,
}

/// Cards per column.
const PER_COLUMN: u64 = 50;

/// The stage a prospect is moved to by "推进到下一阶段" (negotiating → won is refused by the
/// server: only the first sales order makes it won, and the page shows why).
fn next_stage(stage: PipelineStage) -> Option<PipelineStage> {
    match stage {
        PipelineStage::Identified => Some(PipelineStage::Contacted),
        PipelineStage::Contacted => Some(PipelineStage::Negotiating),
        PipelineStage::Negotiating => Some(PipelineStage::Won),
        PipelineStage::Won | PipelineStage::Lost => None,
    }
}

/// Tonnes with up to one decimal.
fn tonnes(value: f64) -> String {
    i18n::format_number(value, 0, 1)
}

/// The sub-navigation of the prospects section.
fn prospect_nav() -> AnyView {
    section_tabs(
        "prospect",
        "prospects",
        &[
            ("board", "/prospects", "开发看板", "Pipeline"),
            ("funnel", "/prospects/funnel", "转化漏斗", "Funnel"),
            ("new", "/prospects/new", "新建潜在客户", "New prospect"),
        ],
    )
}

/// One card of the board (HTML).
fn card_html(p: &Prospect, losing: Option<Uuid>, lang: Lang) -> String {
    let mut html = format!(
        "<div class=\"card prospect-card stage-{}\" id=\"prospect-{}\" data-id=\"{}\" \
         style=\"padding:10px;margin-bottom:8px\">\
         <div class=\"prospect-name\"><strong>{}</strong></div>\
         <div class=\"muted prospect-county\">{} · {}</div>\
         <div class=\"prospect-demand\">{} {} {}</div>",
        p.stage.code(),
        p.client_id,
        p.client_id,
        client_link(p.client_id, &p.name),
        esc(&p.org_unit_name),
        esc(&p.account_manager_name),
        w(lang, "预计", "Est."),
        tonnes(p.est_monthly_demand_t),
        w(lang, "吨/月", "t/month"),
    );
    if p.stage == PipelineStage::Won {
        html.push_str(&format!(
            "<div class=\"prospect-realised\">{} {} {}</div>",
            w(lang, "已实现", "Realised"),
            tonnes(p.realised_t),
            w(lang, "吨", "t"),
        ));
    }
    if let Some(reason) = p.lost_reason.as_deref().filter(|r| !r.is_empty()) {
        html.push_str(&format!(
            "<div class=\"muted prospect-lost-reason\">{}：{}</div>",
            w(lang, "放弃原因", "Reason"),
            esc(reason)
        ));
    }
    let id = p.client_id;
    if p.stage.is_open() {
        if losing == Some(id) {
            html.push_str(&format!(
                "<div class=\"lose-form\" style=\"margin-top:6px\">\
                 <input type=\"text\" id=\"lose-reason-{id}\" class=\"lose-reason\" \
                 placeholder=\"{}\" style=\"width:100%\">\
                 <div class=\"toolbar\" style=\"margin-top:4px\">\
                 <button type=\"button\" class=\"btn btn-small btn-danger lose-confirm\" \
                 data-act=\"lose-confirm\" data-id=\"{id}\">{}</button> \
                 <button type=\"button\" class=\"btn btn-small lose-cancel\" data-act=\"lose-cancel\" \
                 data-id=\"{id}\">{}</button></div></div>",
                w(lang, "放弃原因（必填）", "Reason (required)"),
                w(lang, "确认放弃", "Confirm"),
                w(lang, "取消", "Cancel"),
            ));
        } else {
            html.push_str(&format!(
                "<div class=\"toolbar\" style=\"margin-top:6px\">\
                 <button type=\"button\" class=\"btn btn-small btn-primary advance\" \
                 data-act=\"advance\" data-id=\"{id}\">{}</button> \
                 <button type=\"button\" class=\"btn btn-small lose\" data-act=\"lose\" \
                 data-id=\"{id}\">{}</button></div>",
                w(lang, "推进到下一阶段", "Move to next stage"),
                w(lang, "放弃", "Give up"),
            ));
        }
    } else if p.stage == PipelineStage::Lost {
        html.push_str(&format!(
            "<div class=\"toolbar\" style=\"margin-top:6px\">\
             <button type=\"button\" class=\"btn btn-small reopen\" data-act=\"reopen\" \
             data-id=\"{id}\">{}</button></div>",
            w(lang, "重新跟进", "Take up again"),
        ));
    }
    html.push_str("</div>");
    html
}

/// One column of the board (HTML).
fn column_html(
    stage: PipelineStage,
    page: Option<Result<ProspectPage, ApiError>>,
    losing: Option<Uuid>,
    lang: Lang,
) -> String {
    let code = stage.code();
    let (count, body) = match page {
        None => (
            String::from("…"),
            format!("<p class=\"muted\">{}</p>", w(lang, "加载中…", "Loading…")),
        ),
        Some(Err(e)) => (
            String::from("—"),
            format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
        ),
        Some(Ok(p)) => {
            let cards: String = p
                .items
                .iter()
                .map(|item| card_html(item, losing, lang))
                .collect();
            let body = if p.items.is_empty() {
                format!("<p class=\"muted empty\">{}</p>", w(lang, "暂无", "None"))
            } else if p.total > p.items.len() as u64 {
                format!(
                    "{cards}<p class=\"muted more\">{}</p>",
                    esc(&match lang {
                        Lang::Zh => format!("仅显示最新 {} 条", p.items.len()),
                        Lang::En => format!("Newest {} shown", p.items.len()),
                    })
                )
            } else {
                cards
            };
            (p.total.to_string(), body)
        }
    };
    format!(
        "<div class=\"kanban-column\" id=\"col-{code}\" data-stage=\"{code}\" \
         style=\"min-width:220px;background:rgba(0,0,0,0.03);border-radius:8px;padding:8px\">\
         <h2 style=\"font-size:1rem;margin:4px 0 8px\">{} \
         <span class=\"badge badge-info count\" id=\"count-{code}\">{count}</span></h2>{body}</div>",
        esc(stage.label(lang)),
    )
}

/// Sends a stage change; `done` runs after a success, `error` gets the refusal.
fn change_stage(
    id: Uuid,
    stage: PipelineStage,
    reason: Option<String>,
    busy: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    done: impl FnOnce() + 'static,
) {
    if busy.get_untracked() {
        return;
    }
    busy.set(true);
    error.set(None);
    let body = StageChange {
        stage: Some(stage),
        reason,
    };
    leptos::task::spawn_local(async move {
        let result = api::call(
            "POST",
            &format!("/api/v1/prospects/{id}/stage"),
            api::to_json(&body),
        )
        .await;
        busy.try_set(false);
        match result {
            Ok(_) => done(),
            Err(e) => {
                error.try_set(Some(e));
            }
        }
    });
}

/// `/prospects`: one column per stage.
#[component]
pub fn ProspectBoardPage() -> impl IntoView {
    let lang = use_lang();
    let mine = RwSignal::new(false);
    let losing = RwSignal::new(None::<Uuid>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let columns: Vec<(PipelineStage, TextResource)> = PipelineStage::ALL
        .iter()
        .map(|&stage| {
            let resource = get_resource(move || {
                let mut path = format!(
                    "/api/v1/prospects?stage={}&per_page={PER_COLUMN}",
                    stage.code()
                );
                if mine.get() {
                    path.push_str("&mine=true");
                }
                path
            });
            (stage, resource)
        })
        .collect();
    let columns = StoredValue::new(columns);
    let reload = move || {
        columns.with_value(|all| {
            for (_, r) in all {
                r.refetch();
            }
        })
    };
    // The prospect of a card, from the loaded columns.
    let find = move |id: Uuid| -> Option<Prospect> {
        columns.with_value(|all| {
            all.iter().find_map(|(_, r)| {
                loaded::<ProspectPage>(*r)
                    .and_then(Result::ok)
                    .and_then(|p| p.items.into_iter().find(|x| x.client_id == id))
            })
        })
    };
    let html = move || {
        let lang = lang.get();
        let losing = losing.get();
        let cols: String = columns.with_value(|all| {
            all.iter()
                .map(|(stage, r)| column_html(*stage, loaded::<ProspectPage>(*r), losing, lang))
                .collect()
        });
        format!(
            "<div class=\"kanban\" style=\"display:grid;grid-template-columns:repeat(5,minmax(220px,1fr));\
             gap:12px;overflow-x:auto;align-items:start\">{cols}</div>"
        )
    };
    let on_act = move |act: String, id: String| {
        let Ok(id) = Uuid::parse_str(&id) else {
            return;
        };
        match act.as_str() {
            "advance" => {
                let Some(next) = find(id).and_then(|p| next_stage(p.stage)) else {
                    return;
                };
                change_stage(id, next, None, busy, error, reload);
            }
            "reopen" => change_stage(id, PipelineStage::Identified, None, busy, error, reload),
            "lose" => {
                error.set(None);
                losing.set(Some(id));
            }
            "lose-cancel" => losing.set(None),
            "lose-confirm" => {
                let reason = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id(&format!("lose-reason-{id}")))
                    .and_then(|e| {
                        use wasm_bindgen::JsCast;
                        e.dyn_into::<web_sys::HtmlInputElement>().ok()
                    })
                    .map(|i| i.value())
                    .unwrap_or_default();
                change_stage(
                    id,
                    PipelineStage::Lost,
                    Some(reason),
                    busy,
                    error,
                    move || {
                        losing.try_set(None);
                        reload();
                    },
                );
            }
            _ => {}
        }
    };
    view! {
        <section class="page prospects-page">
            <div class="page-header">
                <h1>{tr(T::Prospects)}</h1>
                <a class="btn btn-primary" id="new-prospect" href="/prospects/new">{tr(T::NewProspect)}</a>
            </div>
            {prospect_nav()}
            <div class="toolbar filters">
                <label class="check">
                    <input
                        type="checkbox"
                        id="filter-mine"
                        prop:checked=move || mine.get()
                        on:change=move |ev| mine.set(event_target_checked(&ev))
                    />
                    {wt("只看我负责的", "Mine only")}
                </label>
            </div>
            {move || {
                error
                    .get()
                    .map(|e| {
                        view! {
                            <div class="alert alert-error form-notice" role="alert" id="board-error">
                                {e.message(lang.get())}
                                {e.field_errors()
                                    .iter()
                                    .filter(|f| f.message != e.message(Lang::En) && f.message_zh != e.message(Lang::Zh))
                                    .map(|f| {
                                        let text = match lang.get() {
                                            Lang::Zh => f.message_zh.clone(),
                                            Lang::En => f.message.clone(),
                                        };
                                        view! { <div class="field-error">{text}</div> }
                                    })
                                    .collect_view()}
                            </div>
                        }
                    })
            }}
            {html_block("prospect-board", html, on_act)}
        </section>
    }
}

/// A server error about a prospect's `client.<field>` as the client form names its fields.
fn unprefixed(errors: &[FieldError]) -> Vec<FieldError> {
    errors
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if let Some(rest) = e.field.strip_prefix("client.") {
                e.field = rest.to_owned();
                for message in [&mut e.message, &mut e.message_zh] {
                    if let Some(m) = message.strip_prefix("client.") {
                        *message = m.to_owned();
                    }
                }
            }
            e
        })
        .collect()
}

/// `/prospects/new`.
#[component]
pub fn ProspectNewPage() -> impl IntoView {
    let lang = use_lang();
    let navigate = use_navigate();
    let form = FormState::new(None);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let notice = RwSignal::new(None::<ApiError>);
    let fix_errors = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let demand = RwSignal::new(String::new());
    let previous_channel = RwSignal::new(String::new());
    let source = RwSignal::new(String::new());
    let confirm = RwSignal::new(false);
    // The server said 409 `similar_names`.
    let refused_similar = RwSignal::new(false);

    // Likely duplicates in the county, as soon as the name and the county are known.
    let check = Memo::new(move |_| {
        let name = form.name.get().trim().to_owned();
        form.county
            .get()
            .filter(|_| name.chars().count() >= 2)
            .map(|county| (name, county))
    });
    let similar = LocalResource::new(move || {
        let check = check.get();
        async move {
            match check {
                None => Ok(Vec::new()),
                Some((name, county)) => {
                    let mut parts = Vec::new();
                    api::query_pair(&mut parts, "name", &name);
                    parts.push(format!("org_unit_id={county}"));
                    let text = api::call(
                        "GET",
                        &format!("/api/v1/prospects/similar?{}", parts.join("&")),
                        None,
                    )
                    .await?;
                    api::decode::<Vec<SimilarName>>(&text)
                }
            }
        }
    });
    let similar_list = Memo::new(move |_| similar.get().and_then(Result::ok).unwrap_or_default());

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let mut found = Vec::new();
        let client = match form.to_fields() {
            Ok(fields) => Some(fields),
            Err(e) => {
                found.extend(e);
                None
            }
        };
        let text = demand.get_untracked().trim().replace(',', "");
        let est = if text.is_empty() {
            found.push(FieldError::required("est_monthly_demand_t"));
            None
        } else {
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    found.push(FieldError::new(
                        "est_monthly_demand_t",
                        "invalid_type",
                        "est_monthly_demand_t must be a number",
                        "est_monthly_demand_t 必须是数字",
                    ));
                    None
                }
            }
        };
        let (Some(client), Some(est), true) = (client, est, found.is_empty()) else {
            errors.set(found);
            notice.set(None);
            fix_errors.set(true);
            return;
        };
        let optional =
            |s: RwSignal<String>| Some(s.get_untracked()).filter(|v| !v.trim().is_empty());
        let body = NewProspect {
            client,
            est_monthly_demand_t: est,
            previous_channel: optional(previous_channel),
            source: optional(source),
            director_id: None,
            leader_id: None,
            confirm_similar: confirm.get_untracked(),
        };
        errors.set(Vec::new());
        notice.set(None);
        fix_errors.set(false);
        pending.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let result = api::call("POST", "/api/v1/prospects", api::to_json(&body)).await;
            pending.try_set(false);
            match result {
                Ok(_) => navigate("/prospects", Default::default()),
                Err(e) => {
                    if e.field_errors().iter().any(|f| f.code == "similar_names") {
                        refused_similar.try_set(true);
                    }
                    errors.try_set(unprefixed(e.field_errors()));
                    notice.try_set(Some(e));
                }
            }
        });
    };

    let warning = move || {
        let list = similar_list.get();
        let lang = lang.get();
        (!list.is_empty()).then(|| {
            let items = list
                .into_iter()
                .map(|s| {
                    let kind = if s.prospect {
                        w(lang, "潜在客户", "prospect")
                    } else {
                        w(lang, "客户", "client")
                    };
                    view! {
                        <li class="similar-name">
                            <a href=format!("/clients/{}", s.client_id) class="client-link">{s.name}</a>
                            " (" {kind} ", " {i18n::format_percent(s.score)} ")"
                        </li>
                    }
                })
                .collect_view();
            view! {
                <div class="alert alert-warn" id="similar-warning" role="status">
                    <div>{w(lang, "同一县区已有名称相近的客户，请确认不是同一家：", "Clients with similar names in this county; make sure it is not one of them:")}</div>
                    <ul>{items}</ul>
                </div>
            }
        })
    };
    let show_confirm = move || refused_similar.get() || !similar_list.with(Vec::is_empty);

    view! {
        <section class="page client-form-page prospect-form-page">
            <div class="breadcrumb">
                <a href="/prospects" class="link">"← " {tr(T::BackToList)}</a>
            </div>
            <div class="page-header">
                <h1>{tr(T::NewProspect)}</h1>
            </div>
            <form class="client-form prospect-form" id="prospect-form" on:submit=on_submit novalidate>
                <ClientBasicFields form=form errors=errors initial_manager=None/>
                {warning}
                <ClientContactsFields form=form errors=errors/>
                <fieldset class="card section">
                    <legend>{wt("开发信息", "Pipeline")}</legend>
                    <div class="form-grid">
                        <TextInput
                            label=T::EstMonthlyDemand
                            value=demand
                            field="est_monthly_demand_t"
                            errors=errors
                            required=true
                            inputmode="decimal"
                        />
                        <TextInput label=T::PreviousChannel value=previous_channel field="previous_channel" errors=errors/>
                        <TextInput label=T::ProspectSource value=source field="source" errors=errors/>
                    </div>
                </fieldset>
                <div class="form-footer">
                    {move || {
                        let lang = lang.get();
                        let text = match notice.get() {
                            Some(e) => Some(e.message(lang)),
                            None if fix_errors.get() => Some(T::FixErrors.get(lang).to_owned()),
                            None => None,
                        };
                        text.map(|text| view! {
                            <div class="alert alert-error" id="form-notice" role="alert">{text}</div>
                        })
                    }}
                    {move || {
                        show_confirm()
                            .then(|| {
                                view! {
                                    <label class="check" id="confirm-similar-label">
                                        <input
                                            type="checkbox"
                                            id="confirm-similar"
                                            prop:checked=move || confirm.get()
                                            on:change=move |ev| confirm.set(event_target_checked(&ev))
                                        />
                                        {wt("仍然创建（确认不是同一家）", "Create anyway (it is not the same company)")}
                                    </label>
                                }
                            })
                    }}
                    <FieldErrors errors=errors field="confirm_similar"/>
                    <div class="form-actions">
                        <a class="btn" href="/prospects">{tr(T::Cancel)}</a>
                        <button type="submit" class="btn btn-primary" id="save-prospect" prop:disabled=move || pending.get()>
                            {move || if pending.get() { T::Saving.get(lang.get()) } else { T::Save.get(lang.get()) }}
                        </button>
                    </div>
                </div>
            </form>
        </section>
    }
}

/// The funnel as an HTML table: one row per city and the total.
fn funnel_html(report: Option<Result<FunnelReport, ApiError>>, lang: Lang) -> String {
    let report = match report {
        None => return format!("<p class=\"muted\">{}</p>", w(lang, "加载中…", "Loading…")),
        Some(Err(e)) => return format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
        Some(Ok(r)) => r,
    };
    let mut headers: Vec<&str> = vec![w(lang, "单位", "Unit"), w(lang, "新增", "Entered")];
    headers.extend(PipelineStage::ALL.iter().map(|s| s.label(lang)));
    headers.extend([
        w(lang, "转化率", "Conversion"),
        w(lang, "平均成交天数", "Mean days to win"),
        w(lang, "成交预计月需求（吨）", "Won: est. t/month"),
        w(lang, "成交实际月均（吨）", "Won: realised t/month"),
    ]);
    let mut table = crate::components::HtmlTable::new("funnel-table", &headers);
    let mut row = |r: &FunnelRow, class: &str, id: &str, name: &str| {
        table.row(class, &format!("id=\"{id}\""));
        let mut i = 0;
        let mut cell = |table: &mut crate::components::HtmlTable, class: &str, inner: &str| {
            table.cell(headers[i], class, inner);
            i += 1;
        };
        cell(&mut table, "unit", &esc(name));
        cell(&mut table, "num entered", &r.entered.to_string());
        for s in PipelineStage::ALL {
            let n = r.by_stage.get(s.code()).copied().unwrap_or(0);
            cell(
                &mut table,
                &format!("num stage-{}", s.code()),
                &n.to_string(),
            );
        }
        cell(
            &mut table,
            "num conversion",
            &r.conversion_rate
                .map(i18n::format_percent)
                .unwrap_or_else(|| "—".into()),
        );
        cell(
            &mut table,
            "num days",
            &r.mean_days_to_win
                .map(|d| i18n::format_number(d, 0, 1))
                .unwrap_or_else(|| "—".into()),
        );
        cell(&mut table, "num est", &tonnes(r.est_monthly_demand_won_t));
        cell(&mut table, "num realised", &tonnes(r.realised_monthly_t));
    };
    for r in &report.by_unit {
        row(
            r,
            "funnel-row",
            &format!("funnel-{}", r.org_unit_id),
            &r.org_unit_name,
        );
    }
    row(
        &report.total,
        "funnel-row funnel-total total-row",
        "funnel-total",
        w(lang, "合计", "Total"),
    );
    format!(
        "<p class=\"muted\" id=\"funnel-period\">{} – {}</p>{}",
        esc(&i18n::format_date(report.from, lang)),
        esc(&i18n::format_date(report.to, lang)),
        table.finish()
    )
}

/// `/prospects/funnel`.
#[component]
pub fn ProspectFunnelPage() -> impl IntoView {
    let lang = use_lang();
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let report = get_resource(move || {
        let mut parts = Vec::new();
        api::query_pair(&mut parts, "from", &from.get());
        api::query_pair(&mut parts, "to", &to.get());
        if parts.is_empty() {
            "/api/v1/prospects/funnel".to_owned()
        } else {
            format!("/api/v1/prospects/funnel?{}", parts.join("&"))
        }
    });
    let html = move || funnel_html(loaded::<FunnelReport>(report), lang.get());
    let date = move |id: &'static str, value: RwSignal<String>, zh, en| {
        view! {
            <label class="field">
                <span class="field-label">{wt(zh, en)}</span>
                <input
                    type="date"
                    id=id
                    prop:value=move || value.get()
                    on:change=move |ev| value.set(event_target_value(&ev))
                />
            </label>
        }
    };
    view! {
        <section class="page prospects-page funnel-page">
            <div class="page-header">
                <h1>{wt("潜在客户转化漏斗", "Prospect conversion funnel")}</h1>
            </div>
            {prospect_nav()}
            <div class="toolbar filters">
                {date("funnel-from", from, "录入起始日", "Entered from")}
                {date("funnel-to", to, "录入截止日", "Entered to")}
            </div>
            {html_block("prospect-funnel", html, |_, _| {})}
        </section>
    }
}
