//! `/audit`: the audit log (administrators). Filters and the page live in the URL, so a filtered
//! view can be linked (e.g. `/audit?entity=client&entity_id=…`); each entry opens to its
//! field-level before/after changes.

use crate::api;
use crate::components::{
    dyn_text, dyn_view, get_resource, loaded, options_view, sorted_options, ErrorBox, LoadingLine,
};
use crate::i18n::{self, tr, T};
use crate::pages::admin::AdminFrame;
use crate::state::use_lang;
use domain::audit::{AuditAction, AuditEntry, AuditPage};
use domain::org::UserRecord;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use leptos_router::NavigateOptions;

/// Entries per page.
const PER_PAGE: u64 = 50;

/// The URL query keys the page understands (the API's filters, `until` as an inclusive date).
const KEYS: [&str; 6] = ["entity", "entity_id", "actor_id", "action", "from", "to"];

/// Kinds of record the server audits, with their names.
const ENTITIES: [(&str, T); 5] = [
    ("client", T::EntityClient),
    ("user", T::EntityUser),
    ("user_password", T::EntityPassword),
    ("org_unit", T::EntityOrgUnit),
    ("integrator_token", T::EntityToken),
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
    map.get(key).map(|v| v.trim().to_owned()).unwrap_or_default()
}

fn page_of(map: &ParamsMap) -> u64 {
    value(map, "page").parse::<u64>().ok().filter(|p| *p >= 1).unwrap_or(1)
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

/// The API's query for the page's URL: the inclusive "to" date becomes an exclusive `until`.
fn api_query(map: &ParamsMap) -> String {
    let mut parts = Vec::new();
    for key in ["entity", "entity_id", "actor_id", "action", "from"] {
        api::query_pair(&mut parts, key, &value(map, key));
    }
    let to = value(map, "to");
    match to.parse::<chrono::NaiveDate>().ok().and_then(|d| d.succ_opt()) {
        Some(next) => parts.push(format!("until={next}")),
        None => api::query_pair(&mut parts, "until", &to),
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
                view! { <option value=code prop:selected=move || entity.get_untracked() == code>{tr(*label)}</option> }
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
                view! { <option value=a.code() prop:selected=move || action.get_untracked() == a.code()>{label!(a)}</option> }
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
            options_view(list, crate::components::parse_uuid(&actor.get_untracked())).into_any()
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
        return view! { <div class="card empty-state"><p>{tr(T::NoAuditEntries)}</p></div> }.into_any();
    }
    let items = page.items.into_iter().map(|e| view! { <AuditItem entry=e/> }).collect_view();
    let link = move |page: u64| query.with_untracked(|m| page_url(m, page));
    view! {
        <div class="list-toolbar">
            <span class="total" id="audit-total">
                {dyn_text(move || i18n::format_entries(total, lang.get()))}
            </span>
        </div>
        <div class="card audit-list">{items}</div>
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

/// One entry: a summary line that opens to the field-level changes.
#[component]
fn AuditItem(entry: AuditEntry) -> impl IntoView {
    let lang = use_lang();
    let at = entry.at;
    let action = entry.action;
    let entity_label = ENTITIES.iter().find(|(code, _)| *code == entry.entity).map(|(_, label)| *label);
    let entity_code = entry.entity.clone();
    let record = entry.entity_id.map(|id| {
        let text = id.to_string();
        if entry.entity == "client" {
            view! { <a class="mono" href=format!("/clients/{id}")>{text}</a> }.into_any()
        } else {
            view! { <span class="mono">{text}</span> }.into_any()
        }
    });
    let count = entry.changes.len();
    let changes = entry
        .changes
        .into_iter()
        .map(|c| {
            view! {
                <li>
                    <code>{c.field}</code>
                    ": "
                    <span class="before">{show_value(&c.before)}</span>
                    " → "
                    <span class="after">{show_value(&c.after)}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <details class="audit-entry" data-entity=entry.entity.clone() data-action=action.code()>
            <summary>
                <span class="nowrap muted">{dyn_text(move || i18n::format_datetime(at, lang.get()))}</span>
                <strong>{entry.actor_name.clone()}</strong>
                <span class=format!("badge audit-{}", action.code())>{label!(action)}</span>
                <span>{dyn_text(move || entity_label.map(|l| l.get(lang.get()).to_owned()).unwrap_or_else(|| entity_code.clone()))}</span>
                {record}
                <span class="muted small">{dyn_text(move || T::ChangeCount.get(lang.get()).replace("{}", &count.to_string()))}</span>
            </summary>
            <div class="audit-detail">
                <div class="muted small">
                    {entry.ip.map(|ip| format!("IP {ip}"))}
                    {entry.request_id.map(|r| format!(" · {r}"))}
                </div>
                <ul class="history-changes">{changes}</ul>
            </div>
        </details>
    }
}
