//! The client list: search, filters, sort and server-side paging, all kept in the URL.

use crate::api::{self, client_query_string};
use crate::components::{
    account_managers, cities, city_and_county, counties_of, options_view, org_unit_list,
    parse_uuid, people, ErrorBox, LoadingLine,
};
use crate::i18n::{self, tr, T};
use crate::state::{use_app, use_lang};
use domain::client::{
    ClientCategory, ClientPage, ClientQuery, ClientSort, ClientSummary, Industry, DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use leptos_router::NavigateOptions;
use std::time::Duration;
use wasm_bindgen::JsCast;

/// Page sizes offered.
const PER_PAGE_CHOICES: [u64; 4] = [20, 50, 100, 200];
/// Quiet time after the last keystroke before the search runs.
const SEARCH_DEBOUNCE: Duration = Duration::from_millis(350);

/// Reads the list state from the URL's query; anything unparsable falls back to the default.
fn query_from_map(map: &ParamsMap) -> ClientQuery {
    let text = |key: &str| {
        map.get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let number = |key: &str| text(key).and_then(|v| v.parse::<u64>().ok());
    ClientQuery {
        q: text("q"),
        org_unit_id: text("org_unit_id").and_then(|v| parse_uuid(&v)),
        category: text("category").and_then(|v| ClientCategory::from_code(&v)),
        industry: text("industry").and_then(|v| Industry::from_code(&v)),
        account_manager_id: text("account_manager_id").and_then(|v| parse_uuid(&v)),
        sort: text("sort").and_then(|v| ClientSort::from_code(&v)),
        page: number("page").filter(|p| *p >= 1).unwrap_or(1),
        per_page: number("per_page")
            .filter(|n| (1..=MAX_PER_PAGE).contains(n))
            .unwrap_or(DEFAULT_PER_PAGE),
        unit_view: text("view").as_deref() == Some("unit"),
    }
}

/// The list page's URL for a query.
fn list_url(query: &ClientQuery) -> String {
    let qs = client_query_string(query);
    if qs.is_empty() {
        "/clients".to_owned()
    } else {
        format!("/clients?{qs}")
    }
}

/// Page numbers to offer around the current one; `None` stands for an ellipsis.
fn page_numbers(current: u64, last: u64) -> Vec<Option<u64>> {
    let mut pages = Vec::new();
    let from = current.saturating_sub(2).max(1);
    let to = (current + 2).min(last);
    if from > 1 {
        pages.push(Some(1));
        if from > 2 {
            pages.push(None);
        }
    }
    pages.extend((from..=to).map(Some));
    if to < last {
        if to + 1 < last {
            pages.push(None);
        }
        pages.push(Some(last));
    }
    pages
}

/// `/clients`: the filterable, paged client list.
#[component]
pub fn ClientListPage() -> impl IntoView {
    let writer = use_app();
    let lang = use_lang();
    let navigate = use_navigate();
    let query_map = use_query_map();
    let query = Memo::new(move |_| query_map.with(query_from_map));

    // Filters change the URL (history entry per change, so back/forward step through them);
    // the page re-reads its state from the URL.
    let go = move |q: ClientQuery, replace: bool| {
        navigate(
            &list_url(&q),
            NavigateOptions {
                replace,
                scroll: false,
                ..Default::default()
            },
        );
    };
    let set_filter = {
        let go = go.clone();
        move |change: &dyn Fn(&mut ClientQuery)| {
            let mut q = query.get_untracked();
            change(&mut q);
            q.page = 1;
            go(q, false);
        }
    };

    let set_view = {
        let set_filter = set_filter.clone();
        move |unit: bool| set_filter(&move |q: &mut ClientQuery| q.unit_view = unit)
    };

    // Export: the server writes the CSV (same filters, scope and masking, audited); the browser
    // saves it.
    let exporting = RwSignal::new(false);
    let export_error = RwSignal::new(None::<api::ApiError>);
    let on_export = move |_| {
        if exporting.get_untracked() {
            return;
        }
        exporting.set(true);
        export_error.set(None);
        let q = query.get_untracked();
        leptos::task::spawn_local(async move {
            let result = match api::export_clients(&q).await {
                Ok(csv) => api::save_text_file("clients.csv", "text/csv", &csv),
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                export_error.set(Some(e));
            }
            exporting.set(false);
        });
    };

    let clients = LocalResource::new(move || {
        let q = query.get();
        async move { api::list_clients(&q).await }
    });

    let units = org_unit_list();
    let selected = Memo::new(move |_| {
        let id = query.with(|q| q.org_unit_id);
        units.with(|u| city_and_county(u, id))
    });
    let unit_filter = Memo::new(move |_| query.with(|q| q.org_unit_id));
    let managers = account_managers(unit_filter);

    // Search box: typed text lives here; the URL follows after a pause.
    let search = RwSignal::new(query.with_untracked(|q| q.q.clone().unwrap_or_default()));
    let timer = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        // Back/forward changes the URL's text: show it in the box.
        let from_url = query.with(|q| q.q.clone().unwrap_or_default());
        if search.with_untracked(|s| s.trim() != from_url) {
            search.set(from_url);
        }
    });
    let run_search = {
        let go = go.clone();
        move |text: String, replace: bool| {
            let mut q = query.get_untracked();
            let text = text.trim().to_owned();
            if q.q.as_deref().unwrap_or("") == text {
                return;
            }
            q.q = Some(text).filter(|t| !t.is_empty());
            q.page = 1;
            go(q, replace);
        }
    };
    let on_search_input = {
        let run_search = run_search.clone();
        move |ev: leptos::ev::Event| {
            let text = event_target_value(&ev);
            search.set(text.clone());
            if let Some(handle) = timer.get_value() {
                handle.clear();
            }
            let run_search = run_search.clone();
            // Typing replaces the history entry so "back" does not step through every letter.
            let handle =
                set_timeout_with_handle(move || run_search(text, true), SEARCH_DEBOUNCE).ok();
            timer.set_value(handle);
        }
    };
    let on_search_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
        run_search(search.get_untracked(), false);
    };

    let on_city = {
        let set_filter = set_filter.clone();
        move |ev: leptos::ev::Event| {
            let city = parse_uuid(&event_target_value(&ev));
            set_filter(&|q| {
                q.org_unit_id = city;
                q.account_manager_id = None;
            });
        }
    };
    let on_county = {
        let set_filter = set_filter.clone();
        move |ev: leptos::ev::Event| {
            let county = parse_uuid(&event_target_value(&ev));
            let city = selected.get_untracked().0;
            set_filter(&|q| {
                q.org_unit_id = county.or(city);
                q.account_manager_id = None;
            });
        }
    };
    let on_category = {
        let set_filter = set_filter.clone();
        move |ev: leptos::ev::Event| {
            let value = ClientCategory::from_code(&event_target_value(&ev));
            set_filter(&|q| q.category = value);
        }
    };
    let on_industry = {
        let set_filter = set_filter.clone();
        move |ev: leptos::ev::Event| {
            let value = Industry::from_code(&event_target_value(&ev));
            set_filter(&|q| q.industry = value);
        }
    };
    let on_manager = {
        let set_filter = set_filter.clone();
        move |ev: leptos::ev::Event| {
            let value = parse_uuid(&event_target_value(&ev));
            set_filter(&|q| q.account_manager_id = value);
        }
    };
    let on_sort = {
        let set_filter = set_filter.clone();
        move |ev: leptos::ev::Event| {
            let value = ClientSort::from_code(&event_target_value(&ev));
            set_filter(&|q| q.sort = value);
        }
    };
    let on_per_page = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev)
            .parse::<u64>()
            .unwrap_or(DEFAULT_PER_PAGE);
        set_filter(&|q| q.per_page = value);
    };

    let has_filters = move || {
        query.with(|q| {
            q.q.is_some()
                || q.org_unit_id.is_some()
                || q.category.is_some()
                || q.industry.is_some()
                || q.account_manager_id.is_some()
        })
    };

    view! {
        <section class="page clients-page">
            <div class="page-header">
                <h1>{tr(T::ClientList)}</h1>
                <button
                    type="button"
                    class="btn"
                    id="export-clients"
                    prop:disabled=move || exporting.get()
                    on:click=on_export
                >
                    {move || if exporting.get() { tr(T::Exporting)() } else { tr(T::Export)() }}
                </button>
                <Show when=move || writer.can_write()>
                    <a class="btn btn-primary" id="new-client" href="/clients/new">
                        "+ "
                        {tr(T::NewClient)}
                    </a>
                </Show>
            </div>

            {move || export_error.get().map(|error| view! { <ErrorBox error=error/> })}
            <Show when=move || writer.is_account_manager()>
                <div class="segmented" role="group" aria-label=tr(T::ClientList)>
                    <button
                        type="button"
                        id="view-own"
                        class="btn"
                        class:btn-primary=move || !query.with(|q| q.unit_view)
                        aria-pressed=move || (!query.with(|q| q.unit_view)).to_string()
                        on:click={
                            let set_view = set_view.clone();
                            move |_| set_view(false)
                        }
                    >
                        {tr(T::MyClients)}
                    </button>
                    <button
                        type="button"
                        id="view-unit"
                        class="btn"
                        class:btn-primary=move || query.with(|q| q.unit_view)
                        aria-pressed=move || query.with(|q| q.unit_view).to_string()
                        on:click={
                            let set_view = set_view.clone();
                            move |_| set_view(true)
                        }
                    >
                        {tr(T::UnitClients)}
                    </button>
                </div>
                <Show when=move || query.with(|q| q.unit_view)>
                    <p class="hint" id="unit-view-note">{tr(T::UnitViewNote)}</p>
                </Show>
            </Show>

            <div class="card filters">
                <form class="search-form" role="search" on:submit=on_search_submit>
                    <input
                        id="client-search"
                        type="search"
                        class="search-input"
                        autocomplete="off"
                        placeholder=tr(T::SearchPlaceholder)
                        aria-label=tr(T::Search)
                        prop:value=move || search.get()
                        on:input=on_search_input
                    />
                    <button type="submit" class="btn">
                        {tr(T::Search)}
                    </button>
                </form>
                <div class="filter-grid">
                    <select id="filter-city" aria-label=tr(T::City) on:change=on_city>
                        <option value="" prop:selected=move || selected.get().0.is_none()>
                            {tr(T::AllCities)}
                        </option>
                        {move || options_view(units.with(|u| cities(u)), selected.get().0)}
                    </select>
                    <select
                        id="filter-county"
                        aria-label=tr(T::County)
                        prop:disabled=move || selected.get().0.is_none()
                        on:change=on_county
                    >
                        <option value="" prop:selected=move || selected.get().1.is_none()>
                            {tr(T::AllCounties)}
                        </option>
                        {move || {
                            let (city, county) = selected.get();
                            city.map(|city| options_view(units.with(|u| counties_of(u, city)), county))
                        }}
                    </select>
                    <select id="filter-category" aria-label=tr(T::Category) on:change=on_category>
                        <option value="" prop:selected=move || query.with(|q| q.category.is_none())>
                            {tr(T::AllCategories)}
                        </option>
                        {ClientCategory::ALL
                            .iter()
                            .map(|c| {
                                let c = *c;
                                view! {
                                    <option value=c.code() prop:selected=move || query.with(|q| q.category == Some(c))>
                                        {label!(c)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <select id="filter-industry" aria-label=tr(T::Industry) on:change=on_industry>
                        <option value="" prop:selected=move || query.with(|q| q.industry.is_none())>
                            {tr(T::AllIndustries)}
                        </option>
                        {Industry::ALL
                            .iter()
                            .map(|i| {
                                let i = *i;
                                view! {
                                    <option value=i.code() prop:selected=move || query.with(|q| q.industry == Some(i))>
                                        {label!(i)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <select id="filter-manager" aria-label=tr(T::AccountManager) on:change=on_manager>
                        <option value="" prop:selected=move || query.with(|q| q.account_manager_id.is_none())>
                            {tr(T::AllManagers)}
                        </option>
                        {move || {
                            let list = people(managers.get().and_then(Result::ok).unwrap_or_default());
                            options_view(list, query.with(|q| q.account_manager_id))
                        }}
                    </select>
                </div>
            </div>

            <div class="list-toolbar">
                <span id="client-total" class="total">
                    {move || {
                        clients
                            .get()
                            .and_then(Result::ok)
                            .map(|p| i18n::format_total(p.total, p.total_exact, lang.get()))
                    }}
                </span>
                {move || has_filters().then(|| view! { <a class="link" href="/clients">{tr(T::ClearFilters)}</a> })}
                <span class="spacer"></span>
                <label class="inline-field">
                    <span>{tr(T::SortBy)}</span>
                    <select id="client-sort" on:change=on_sort>
                        {ClientSort::ALL
                            .iter()
                            .map(|s| {
                                let s = *s;
                                view! {
                                    <option
                                        value=s.code()
                                        prop:selected=move || query.with(|q| q.sort.unwrap_or(ClientSort::Name) == s)
                                    >
                                        {label!(s)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label class="inline-field">
                    <span>{tr(T::PerPage)}</span>
                    <select id="client-per-page" on:change=on_per_page>
                        {PER_PAGE_CHOICES
                            .iter()
                            .map(|n| {
                                let n = *n;
                                view! {
                                    <option value=n.to_string() prop:selected=move || query.with(|q| q.per_page == n)>
                                        {n.to_string()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
            </div>

            <Transition fallback=|| view! { <LoadingLine/> }>
                {move || Suspend::new(async move {
                    match clients.await {
                        Ok(page) => view! { <ClientTable page=page query=query.get_untracked()/> }.into_any(),
                        Err(error) => {
                            view! { <ErrorBox error=error retry=move |_| clients.refetch()/> }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// The rows of one page (a table on wide screens, cards on phones) and the pager.
#[component]
fn ClientTable(page: ClientPage, query: ClientQuery) -> impl IntoView {
    if page.items.is_empty() {
        return view! {
            <div class="card empty-state">
                <p>{tr(T::NoClients)}</p>
            </div>
        }
        .into_any();
    }
    // Beyond a counted bound there is at least one more page; reaching it counts further.
    let more = u64::from(!page.total_exact);
    let last_page = page.total.div_ceil(page.per_page.max(1)).max(1) + more;
    // In an account manager's unit view, colleagues' clients are listed but not openable.
    let me = use_app().user.with_untracked(|u| u.as_ref().map(|u| u.id));
    let rows = page
        .items
        .into_iter()
        .map(|c| {
            let linkable = !query.unit_view || Some(c.account_manager_id) == me;
            view! { <ClientRow client=c linkable=linkable/> }
        })
        .collect_view();
    view! {
        <div class="card table-card">
            <table class="data-table client-table">
                <thead>
                    <tr>
                        <th>{tr(T::Name)}</th>
                        <th>{tr(T::Category)}</th>
                        <th>{tr(T::Industry)}</th>
                        <th>{tr(T::OrgUnit)}</th>
                        <th>{tr(T::AccountManager)}</th>
                        <th>{tr(T::Contact)}</th>
                        <th>{tr(T::UpdatedAt)}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <Pager current=page.page last=last_page query=query/>
    }
    .into_any()
}

/// One client: a table row that turns into a card on narrow screens.
#[component]
fn ClientRow(client: ClientSummary, linkable: bool) -> impl IntoView {
    let lang = use_lang();
    let navigate = use_navigate();
    let href = format!("/clients/{}", client.id);
    let href_for_click = href.clone();
    // The whole row opens the client; the name link does the same for keyboards and
    // "open in new tab", so a click on the link itself is left to the link.
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let on_link = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("a").ok().flatten())
            .is_some();
        if linkable && !on_link {
            navigate(&href_for_click, NavigateOptions::default());
        }
    };
    let category = client.category;
    let industry = client.industry;
    let updated_at = client.updated_at;
    let contact = match (client.contact_name, client.contact_phone) {
        (Some(name), Some(phone)) => format!("{name} {phone}"),
        (Some(name), None) => name,
        (None, Some(phone)) => phone,
        (None, None) => "—".to_owned(),
    };
    view! {
        <tr class="client-row" data-id=client.id.to_string() on:click=on_click>
            <td class="cell-name">
                {if linkable {
                    view! { <a class="client-link" href=href>{client.name}</a> }.into_any()
                } else {
                    view! { <span class="client-name">{client.name}</span> }.into_any()
                }}
                <div class="sub mono">{client.uscc}</div>
            </td>
            <td data-label=tr(T::Category)>
                <span class=format!("badge badge-cat-{}", category.code())>{label!(category)}</span>
            </td>
            <td data-label=tr(T::Industry)>{label!(industry)}</td>
            <td data-label=tr(T::OrgUnit)>{client.org_unit_name}</td>
            <td data-label=tr(T::AccountManager)>{client.account_manager_name}</td>
            <td data-label=tr(T::Contact)>{contact}</td>
            <td data-label=tr(T::UpdatedAt) class="nowrap">
                {move || i18n::format_datetime(updated_at, lang.get())}
            </td>
        </tr>
    }
}

/// Previous / numbered / next links; plain links so the router keeps history and URLs.
#[component]
fn Pager(current: u64, last: u64, query: ClientQuery) -> impl IntoView {
    if last <= 1 {
        return ().into_any();
    }
    let url_for = move |page: u64| {
        let mut q = query.clone();
        q.page = page;
        list_url(&q)
    };
    let prev = (current > 1).then(|| url_for(current - 1));
    let next = (current < last).then(|| url_for(current + 1));
    let numbers = page_numbers(current, last)
        .into_iter()
        .map(|n| match n {
            Some(n) if n == current => {
                view! { <span class="page-link current" aria-current="page">{n.to_string()}</span> }
                    .into_any()
            }
            Some(n) => {
                view! { <a class="page-link" href=url_for(n)>{n.to_string()}</a> }.into_any()
            }
            None => view! { <span class="page-gap">"…"</span> }.into_any(),
        })
        .collect_view();
    view! {
        <nav class="pager" aria-label=tr(T::Pagination)>
            {match prev {
                Some(href) => {
                    view! { <a class="page-link" rel="prev" href=href>{tr(T::Previous)}</a> }
                        .into_any()
                }
                None => {
                    view! { <span class="page-link disabled">{tr(T::Previous)}</span> }.into_any()
                }
            }}
            {numbers}
            {match next {
                Some(href) => {
                    view! { <a class="page-link" rel="next" href=href>{tr(T::Next)}</a> }
                        .into_any()
                }
                None => view! { <span class="page-link disabled">{tr(T::Next)}</span> }.into_any(),
            }}
        </nav>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_shows_neighbours_and_both_ends() {
        assert_eq!(page_numbers(1, 1), vec![Some(1)]);
        assert_eq!(
            page_numbers(1, 10),
            vec![Some(1), Some(2), Some(3), None, Some(10)]
        );
        assert_eq!(
            page_numbers(6, 12),
            vec![
                Some(1),
                None,
                Some(4),
                Some(5),
                Some(6),
                Some(7),
                Some(8),
                None,
                Some(12)
            ]
        );
        assert_eq!(
            page_numbers(4, 5),
            vec![Some(1), Some(2), Some(3), Some(4), Some(5)]
        );
    }
}
