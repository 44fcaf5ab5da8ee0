//! `/audit`: the audit log (administrators). Filters and the page live in the URL, so a filtered
//! view can be linked (e.g. `/audit?entity=client&entity_id=…`); each entry opens to its
//! field-level before/after changes.

use crate::api;
use crate::components::{
    dyn_text, dyn_view, esc, get_resource, loaded, options_view, sorted_options, ErrorBox,
    LoadingLine,
};
use crate::i18n::{self, tr, T};
use crate::pages::admin::AdminFrame;
use crate::state::use_lang;
use domain::audit::{AuditAction, AuditEntry, AuditPage};
use domain::org::UserRecord;
use domain::Lang;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use leptos_router::NavigateOptions;

/// Entries per page.
const PER_PAGE: u64 = 50;

/// The URL query keys the page understands (the API's filters, `until` as an inclusive date).
const KEYS: [&str; 6] = ["entity", "entity_id", "actor_id", "action", "from", "to"];

/// Kinds of record the server audits, with their names.
const ENTITIES: [(&str, T); 6] = [
    ("client", T::EntityClient),
    ("user", T::EntityUser),
    ("user_password", T::EntityPassword),
    ("org_unit", T::EntityOrgUnit),
    ("integrator_token", T::EntityToken),
    ("sso_sign_in", T::EntitySsoSignIn),
];

/// `/audit`.
#[component]
pub fn AuditLogPage() -> impl IntoView {
    view! {
        <AdminFrame title=T::AuditLog>
            <AuditLog/>
        </AdminFrame>
    }
}

fn value(map: &ParamsMap, key: &str) -> String {
    map.get(key)
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

fn page_of(map: &ParamsMap) -> u64 {
    value(map, "page")
        .parse::<u64>()
        .ok()
        .filter(|p| *p >= 1)
        .unwrap_or(1)
}

/// The page's own URL for the given filters and page.
fn page_url(map: &ParamsMap, page: u64) -> String {
    let mut parts = Vec::new();
    for key in KEYS {
        api::query_pair(&mut parts, key, &value(map, key));
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        "/audit".to_owned()
    } else {
        format!("/audit?{}", parts.join("&"))
    }
}

/// Local midnight at the start of `date` as an RFC 3339 instant, so a date filter means the
/// user's day rather than UTC's.
fn local_midnight(date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let local = js_sys::Date::new_with_year_month_day(
        date.year() as u32,
        date.month0() as i32,
        date.day() as i32,
    );
    // Minutes behind UTC (China: -480, i.e. UTC+08:00).
    let ahead = -(local.get_timezone_offset() as i32);
    let sign = if ahead < 0 { '-' } else { '+' };
    let ahead = ahead.abs();
    format!("{date}T00:00:00{sign}{:02}:{:02}", ahead / 60, ahead % 60)
}

/// The API's query for the page's URL: dates become the user's local midnights, and the
/// inclusive "to" date an exclusive `until` (the next day's midnight).
fn api_query(map: &ParamsMap) -> String {
    let mut parts = Vec::new();
    for key in ["entity", "entity_id", "actor_id", "action"] {
        api::query_pair(&mut parts, key, &value(map, key));
    }
    let date = |key: &str| value(map, key).parse::<chrono::NaiveDate>().ok();
    if let Some(from) = date("from") {
        api::query_pair(&mut parts, "from", &local_midnight(from));
    }
    if let Some(next) = date("to").and_then(|d| d.succ_opt()) {
        api::query_pair(&mut parts, "until", &local_midnight(next));
    }
    parts.push(format!("page={}&per_page={PER_PAGE}", page_of(map)));
    parts.join("&")
}

#[component]
fn AuditLog() -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let entries = get_resource(move || format!("/api/v1/audit?{}", query.with(api_query)));
    // Everyone who may have acted, active or not, for the "who" filter.
    let actors = get_resource(|| "/api/v1/users?active=all".to_owned());

    // Filter inputs start from the URL; "apply" writes them back.
    let inputs: [RwSignal<String>; 6] =
        KEYS.map(|key| RwSignal::new(query.with_untracked(|m| value(m, key))));
    let [entity, entity_id, actor, action, from, to] = inputs;
    // Back, forward and "clear" change the URL: the inputs follow it.
    Effect::new(move |_| {
        query.with(|m| {
            for (key, input) in KEYS.iter().zip(inputs) {
                let now = value(m, key);
                if input.with_untracked(|v| *v != now) {
                    input.set(now);
                }
            }
        })
    });
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut map = ParamsMap::new();
        for (key, input) in KEYS.iter().zip(inputs) {
            map.insert(*key, input.get_untracked());
        }
        navigate(&page_url(&map, 1), NavigateOptions::default());
    };
    let select = move |id: &'static str, label: T, signal: RwSignal<String>, options: AnyView| {
        view! {
            <div class="field">
                <label class="field-label" for=id>{tr(label)}</label>
                <select id=id on:change=move |ev| signal.set(event_target_value(&ev))>
                    {options}
                </select>
            </div>
        }
    };
    let entity_options = view! {
        <option value="">{tr(T::AllEntities)}</option>
        {ENTITIES
            .iter()
            .map(|(code, label)| {
                let code = *code;
                view! { <option value=code prop:selected=move || entity.with(|e| e == code)>{tr(*label)}</option> }
            })
            .collect_view()}
    }
    .into_any();
    let action_options = view! {
        <option value="">{tr(T::AllActions)}</option>
        {AuditAction::ALL
            .iter()
            .map(|a| {
                let a = *a;
                view! { <option value=a.code() prop:selected=move || action.with(|x| x == a.code())>{label!(a)}</option> }
            })
            .collect_view()}
    }
    .into_any();
    let actor_options = view! {
        <option value="">{tr(T::AllActors)}</option>
        {dyn_view(move || {
            let list = sorted_options(
                loaded::<Vec<UserRecord>>(actors)
                    .and_then(Result::ok)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|u| (u.display_name.clone(), u.id, format!("{} ({})", u.display_name, u.username)))
                    .collect(),
            );
            options_view(list, crate::components::parse_uuid(&actor.get())).into_any()
        })}
    }
    .into_any();
    let date = move |id: &'static str, label: T, signal: RwSignal<String>| {
        view! {
            <div class="field">
                <label class="field-label" for=id>{tr(label)}</label>
                <input
                    id=id
                    type="date"
                    prop:value=move || signal.get()
                    on:input=move |ev| signal.set(event_target_value(&ev))
                />
            </div>
        }
    };

    view! {
        <form class="card filters audit-filters" on:submit=apply>
            <div class="filter-grid">
                {select("audit-entity", T::Entity, entity, entity_options)}
                {select("audit-action", T::Action, action, action_options)}
                {select("audit-actor", T::Actor, actor, actor_options)}
                <div class="field">
                    <label class="field-label" for="audit-entity-id">{tr(T::EntityId)}</label>
                    <input
                        id="audit-entity-id"
                        type="text"
                        class="mono"
                        autocomplete="off"
                        placeholder="00000000-0000-…"
                        prop:value=move || entity_id.get()
                        on:input=move |ev| entity_id.set(event_target_value(&ev))
                    />
                </div>
                {date("audit-from", T::FromDate, from)}
                {date("audit-to", T::ToDate, to)}
            </div>
            <div class="form-actions">
                <a class="btn" href="/audit">{tr(T::ClearFilters)}</a>
                <button type="submit" class="btn btn-primary" id="audit-apply">{tr(T::Apply)}</button>
            </div>
        </form>

        {dyn_view(move || match loaded::<AuditPage>(entries) {
            None => view! { <LoadingLine/> }.into_any(),
            Some(Ok(page)) => view! { <AuditEntries page=page/> }.into_any(),
            Some(Err(error)) => view! { <ErrorBox error=error retry=move |_| entries.refetch()/> }.into_any(),
        })}
    }
}

/// The entries of one page and the pager.
#[component]
fn AuditEntries(page: AuditPage) -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let total = page.total;
    let current = page.page;
    let last = total.div_ceil(page.per_page.max(1)).max(1);
    if page.items.is_empty() {
        return view! { <div class="card empty-state"><p>{tr(T::NoAuditEntries)}</p></div> }
            .into_any();
    }
    let items = page.items;
    let link = move |page: u64| query.with_untracked(|m| page_url(m, page));
    view! {
        <div class="list-toolbar">
            <span class="total" id="audit-total">
                {dyn_text(move || i18n::format_entries(total, lang.get()))}
            </span>
        </div>
        <div class="card audit-list" inner_html=move || entries_html(&items, lang.get())></div>
        <nav class="pager" aria-label=tr(T::Pagination)>
            {if current > 1 {
                view! { <a class="page-link" id="audit-prev" rel="prev" href=link(current - 1)>{tr(T::Previous)}</a> }.into_any()
            } else {
                view! { <span class="page-link disabled">{tr(T::Previous)}</span> }.into_any()
            }}
            <span class="page-link current">{format!("{current} / {last}")}</span>
            {if current < last {
                view! { <a class="page-link" id="audit-next" rel="next" href=link(current + 1)>{tr(T::Next)}</a> }.into_any()
            } else {
                view! { <span class="page-link disabled">{tr(T::Next)}</span> }.into_any()
            }}
        </nav>
    }
    .into_any()
}

/// A JSON value as a reader sees it: text without quotes, nothing as a dash.
fn show_value(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The entries as HTML: each a summary line that opens to its field-level changes.
fn entries_html(entries: &[AuditEntry], lang: Lang) -> String {
    let mut html = String::new();
    for entry in entries {
        let entity = ENTITIES
            .iter()
            .find(|(code, _)| *code == entry.entity)
            .map(|(_, label)| label.get(lang).to_owned())
            .unwrap_or_else(|| entry.entity.clone());
        let record = entry
            .entity_id
            .map(|id| format!("<span class=\"mono\">{id}</span>"))
            .unwrap_or_default();
        let count = T::ChangeCount
            .get(lang)
            .replace("{}", &entry.changes.len().to_string());
        html.push_str(&format!(
            "<details class=\"audit-entry\" data-entity=\"{}\" data-action=\"{}\"><summary>\
             <span class=\"nowrap muted\">{}</span> <strong>{}</strong> \
             <span class=\"badge audit-{}\">{}</span> <span>{}</span> {record} \
             <span class=\"muted small\">{}</span></summary><div class=\"audit-detail\">",
            esc(&entry.entity),
            entry.action.code(),
            i18n::format_datetime(entry.at, lang),
            esc(&entry.actor_name),
            entry.action.code(),
            esc(entry.action.label(lang)),
            esc(&entity),
            esc(&count),
        ));
        let origin: Vec<String> = [
            entry.ip.as_ref().map(|ip| format!("IP {ip}")),
            entry.request_id.clone(),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !origin.is_empty() {
            html.push_str(&format!(
                "<div class=\"muted small\">{}</div>",
                esc(&origin.join(" · "))
            ));
        }
        // The client itself is a link away (kept out of the summary, which opens the entry).
        if let (Some(id), "client") = (entry.entity_id, entry.entity.as_str()) {
            html.push_str(&format!(
                "<a class=\"link small\" href=\"/clients/{id}\">{} →</a>",
                esc(T::OpenClient.get(lang))
            ));
        }
        html.push_str("<ul class=\"history-changes\">");
        for change in &entry.changes {
            html.push_str(&format!(
                "<li><code>{}</code>: <span class=\"before\">{}</span> → <span class=\"after\">{}</span></li>",
                esc(&change.field),
                esc(&show_value(&change.before)),
                esc(&show_value(&change.after)),
            ));
        }
        html.push_str("</ul></div></details>");
    }
    html
}
