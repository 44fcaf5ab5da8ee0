//! `/clients/:id`: the client's master data in sections, its sales figures and chart, and its
//! intelligence (class, grade and class history, churn reasons; see `client_intel`).

use crate::api::{self, ApiError};
use crate::components::{badge_html, dyn_view, esc, get_resource, loaded, ErrorBox, LoadingLine};
use crate::i18n::{self, tr, T};
use crate::pages::client_intel::{intel_data, sales_chart, ClientIntelSections};
use crate::state::{use_app, use_lang};
use domain::client::ClientDetail;
use domain::org::OwnershipPeriod;
use domain::Lang;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

/// The client id of the current route, if it is a UUID.
pub fn route_client_id() -> Memo<Option<Uuid>> {
    let params = use_params_map();
    Memo::new(move |_| {
        params
            .with(|p| p.get("id"))
            .and_then(|id| Uuid::parse_str(&id).ok())
    })
}

/// A resource loading the client of the current route.
pub fn client_resource(id: Memo<Option<Uuid>>) -> LocalResource<Result<ClientDetail, ApiError>> {
    LocalResource::new(move || {
        let id = id.get();
        async move {
            match id {
                Some(id) => api::get_client(id).await,
                // Not a UUID: the same answer the server would give.
                None => Err(ApiError::Status(404)),
            }
        }
    })
}

/// The client page.
#[component]
pub fn ClientDetailPage() -> impl IntoView {
    let id = route_client_id();
    let client = client_resource(id);

    view! {
        <section class="page client-page">
            <div class="breadcrumb">
                <a href="/clients" class="link">
                    "← "
                    {tr(T::BackToList)}
                </a>
            </div>
            <Suspense fallback=|| view! { <LoadingLine/> }>
                {move || Suspend::new(async move {
                    match client.await {
                        Ok(detail) => view! { <ClientView detail=detail/> }.into_any(),
                        Err(error) => view! { <ErrorBox error=error retry=move |_| client.refetch()/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// One label/value pair of a details grid.
#[component]
fn Item(label: T, #[prop(optional)] id: Option<&'static str>, children: Children) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="item">
            <dt>{move || label.get(lang.get())}</dt>
            <dd id=id>{children()}</dd>
        </div>
    }
}

fn or_dash(text: &str) -> String {
    if text.trim().is_empty() {
        "—".to_owned()
    } else {
        text.to_owned()
    }
}

/// Renders a loaded client.
#[component]
fn ClientView(detail: ClientDetail) -> impl IntoView {
    let writer = use_app();
    let lang = use_lang();
    let client = detail.client;
    let sales = detail.sales;
    let f = client.fields;
    let id = client.id;
    let category = f.category;
    let industry = f.industry;
    let location = f.location;
    let created_at = client.created_at;
    let updated_at = client.updated_at;
    let facilities = f.facilities;
    let channels = f.purchase_channels;
    let demand = f.demand;
    let delivery = f.delivery;
    let online = f.online_ordering;
    let card = f.membership_card_no;
    let tags = f.tags;
    let contacts = f.contacts;

    let coordinates = move || match location {
        Some(p) => format!(
            "{}, {}",
            i18n::fixed_decimals(p.lat, 6),
            i18n::fixed_decimals(p.lon, 6)
        ),
        None => "—".to_owned(),
    };
    let join_labels = move |labels: Vec<&'static str>, lang: Lang| {
        if labels.is_empty() {
            T::Nothing.get(lang).to_owned()
        } else {
            labels.join(if lang == Lang::Zh { "、" } else { ", " })
        }
    };
    let products = demand.products.clone();
    let monthly_demand = demand.monthly_tonnes;
    let notes = demand.notes.clone();
    let has_sales = sales.orders_12m > 0 || sales.monthly.iter().any(|m| m.tonnes > 0.0);
    let months = sales.monthly.clone();
    let first_order = sales.first_order_date;
    let last_order = sales.last_order_date;
    let (intel, reload_intel) = intel_data(id);

    view! {
        <div class="page-header">
            <div>
                <h1 id="client-name">{f.name.clone()}</h1>
                <div class="header-badges">
                    <span class=format!("badge badge-cat-{}", category.code())>{label!(category)}</span>
                    <span class="badge">{label!(industry)}</span>
                    <span class="mono muted">{f.uscc.clone()}</span>
                </div>
            </div>
            <Show when=move || writer.can_write()>
                <a class="btn btn-primary" id="edit-client" href=format!("/clients/{id}/edit")>
                    {tr(T::Edit)}
                </a>
            </Show>
        </div>

        <div class="detail-grid">
            <section class="card section" id="section-basic">
                <h2>{tr(T::BasicInfo)}</h2>
                <dl class="items">
                    <Item label=T::Name>{f.name.clone()}</Item>
                    <Item label=T::Uscc id="client-uscc"><span class="mono">{f.uscc.clone()}</span></Item>
                    <Item label=T::Category>{label!(category)}</Item>
                    <Item label=T::Industry>{label!(industry)}</Item>
                    <Item label=T::Address>{or_dash(&f.address)}</Item>
                    <Item label=T::Location><span class="mono">{coordinates}</span></Item>
                    <Item label=T::OrgUnit>{client.org_unit_name.clone()}</Item>
                    <Item label=T::AccountManager>{client.account_manager_name.clone()}</Item>
                    <Item label=T::CreatedAt>{move || i18n::format_datetime(created_at, lang.get())}</Item>
                    <Item label=T::UpdatedAt>{move || i18n::format_datetime(updated_at, lang.get())}</Item>
                </dl>
            </section>

            <section class="card section" id="section-sales">
                <h2>{tr(T::Sales)}</h2>
                <div class="kpis">
                    <div class="kpi">
                        <div class="kpi-label">{tr(T::Orders12m)}</div>
                        <div class="kpi-value">{i18n::format_count(sales.orders_12m.max(0) as u64)}</div>
                    </div>
                    <div class="kpi">
                        <div class="kpi-label">{tr(T::Tonnes12m)}</div>
                        <div class="kpi-value" id="sales-tonnes">
                            {move || i18n::format_tonnes(sales.tonnes_12m, lang.get())}
                        </div>
                    </div>
                    <div class="kpi">
                        <div class="kpi-label">{tr(T::Amount12m)}</div>
                        <div class="kpi-value" id="sales-amount">
                            {move || i18n::format_yuan(sales.amount_yuan_12m, lang.get())}
                        </div>
                    </div>
                </div>
                <dl class="items items-compact">
                    <Item label=T::FirstOrder>
                        {move || first_order.map(|d| i18n::format_date(d, lang.get())).unwrap_or_else(|| "—".into())}
                    </Item>
                    <Item label=T::LastOrder>
                        {move || last_order.map(|d| i18n::format_date(d, lang.get())).unwrap_or_else(|| "—".into())}
                    </Item>
                </dl>
                <h3>{tr(T::SalesByProduct)}</h3>
                {if has_sales {
                    sales_chart(intel, months)
                } else {
                    view! { <p class="muted">{tr(T::NoSales)}</p> }.into_any()
                }}
            </section>

            <ClientIntelSections id=id data=intel reload=reload_intel/>

            <section class="card section" id="section-contacts">
                <h2>{tr(T::Contacts)}</h2>
                {if contacts.is_empty() {
                    view! { <p class="muted">{tr(T::NoContacts)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="contact-list">
                            {contacts
                                .into_iter()
                                .enumerate()
                                .map(|(i, c)| {
                                    let tel = format!("tel:{}", c.phone.replace(' ', ""));
                                    view! {
                                        <li class="contact">
                                            <div>
                                                <strong>{c.name}</strong>
                                                {(!c.title.is_empty()).then(|| view! { <span class="muted">" · " {c.title}</span> })}
                                                {(i == 0)
                                                    .then(|| {
                                                        view! {
                                                            <span class="badge badge-info">
                                                                {tr(T::MainContact)}
                                                            </span>
                                                        }
                                                    })}
                                            </div>
                                            <a class="mono" href=tel>{c.phone}</a>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }}
            </section>

            <section class="card section" id="section-facilities">
                <h2>{tr(T::Facilities)}</h2>
                <dl class="items items-compact">
                    <Item label=T::TankCount>{facilities.tank_count.to_string()}</Item>
                    <Item label=T::TankCapacity>{i18n::format_number(facilities.tank_capacity_m3, 0, 3)}</Item>
                    <Item label=T::DispenserCount>{facilities.dispenser_count.to_string()}</Item>
                    <Item label=T::VehicleCount>{facilities.vehicle_count.to_string()}</Item>
                </dl>
            </section>

            <section class="card section" id="section-demand">
                <h2>{tr(T::PurchaseAndDemand)}</h2>
                <dl class="items items-compact">
                    <Item label=T::PurchaseChannels>
                        {move || {
                            let lang = lang.get();
                            join_labels(channels.iter().map(|c| c.label(lang)).collect(), lang)
                        }}
                    </Item>
                    <Item label=T::Products>
                        {move || {
                            let lang = lang.get();
                            join_labels(products.iter().map(|p| p.label(lang)).collect(), lang)
                        }}
                    </Item>
                    <Item label=T::MonthlyDemand>
                        {monthly_demand.map(|t| i18n::format_number(t, 0, 3)).unwrap_or_else(|| "—".into())}
                    </Item>
                    <Item label=T::Notes>{or_dash(&notes)}</Item>
                </dl>
            </section>

            <section class="card section" id="section-services">
                <h2>{tr(T::Services)}</h2>
                <dl class="items items-compact">
                    <Item label=T::Delivery>{move || i18n::format_bool(delivery, lang.get())}</Item>
                    <Item label=T::MembershipCard>{or_dash(card.as_deref().unwrap_or(""))}</Item>
                    <Item label=T::OnlineOrdering>
                        {move || {
                            if online.registered {
                                T::Registered.get(lang.get())
                            } else {
                                T::NotRegistered.get(lang.get())
                            }
                        }}
                    </Item>
                    <Item label=T::RegisteredOn>
                        {move || {
                            online.registered_on.map(|d| i18n::format_date(d, lang.get())).unwrap_or_else(|| "—".into())
                        }}
                    </Item>
                    <Item label=T::OnlineAccount>{or_dash(online.account.as_deref().unwrap_or(""))}</Item>
                </dl>
            </section>

            <section class="card section" id="section-tags">
                <h2>{tr(T::Tags)}</h2>
                {if tags.is_empty() {
                    view! { <p class="muted">{tr(T::NoTags)}</p> }.into_any()
                } else {
                    view! {
                        <div class="tags">
                            {tags.into_iter().map(|t| view! { <span class="tag">{t}</span> }).collect_view()}
                        </div>
                    }
                        .into_any()
                }}
            </section>

            <crate::pages::service::ClientTicketsPanel client_id=id/>
            <ClientOwners id=id/>
            <crate::pages::archive::ClientDocumentsPanel client_id=id/>
            <ClientHistory id=id/>
        </div>
    }
}

/// A JSON value as a reader sees it: text without quotes, nothing as a dash.
fn show_value(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Who owned the client when (effective-dated ownership), newest first.
#[component]
fn ClientOwners(id: Uuid) -> impl IntoView {
    let lang = use_lang();
    let owners = get_resource(move || format!("/api/v1/clients/{id}/owners"));
    view! {
        <section class="card section" id="section-owners">
            <h2>{tr(T::Ownership)}</h2>
            {dyn_view(move || match loaded::<Vec<OwnershipPeriod>>(owners) {
                None => ().into_any(),
                Some(Err(error)) => view! { <ErrorBox error=error/> }.into_any(),
                Some(Ok(periods)) => view! { <ol class="owners" inner_html=move || owners_html(&periods, lang.get())></ol> }.into_any(),
            })}
        </section>
    }
}

/// Ownership periods as HTML list items, the current owner first.
fn owners_html(periods: &[OwnershipPeriod], lang: Lang) -> String {
    // The server lists the oldest first.
    periods
        .iter()
        .rev()
        .map(|p| {
            let end = p
                .valid_to
                .map(|t| i18n::format_datetime(t, lang))
                .unwrap_or_else(|| T::UntilNow.get(lang).to_owned());
            let current = if p.valid_to.is_none() {
                badge_html("badge-info", T::CurrentOwner.get(lang))
            } else {
                String::new()
            };
            format!(
                "<li class=\"owner-period\"><strong>{}</strong> <span class=\"muted\">{} – {end}</span> {current}</li>",
                esc(&p.account_manager_name),
                i18n::format_datetime(p.valid_from, lang),
            )
        })
        .collect()
}

/// The client's change history (audit trail), newest first.
#[component]
fn ClientHistory(id: Uuid) -> impl IntoView {
    let lang = use_lang();
    let history = LocalResource::new(move || api::client_history(id));
    view! {
        <section class="card section" id="section-history">
            <h2>{tr(T::History)}</h2>
            <Suspense fallback=|| view! { <LoadingLine/> }>
                {move || {
                    history
                        .get()
                        .map(|result| match result {
                            Err(error) => view! { <ErrorBox error=error/> }.into_any(),
                            Ok(page) if page.items.is_empty() => {
                                view! { <p class="muted">{tr(T::NoHistory)}</p> }.into_any()
                            }
                            Ok(page) => {
                                view! {
                                    <ol class="history">
                                        {page
                                            .items
                                            .into_iter()
                                            .map(|entry| {
                                                let at = entry.at;
                                                let action = entry.action;
                                                let changes = entry.changes;
                                                view! {
                                                    <li class="history-entry">
                                                        <div class="history-head">
                                                            <strong>{entry.actor_name}</strong>
                                                            " · "
                                                            {move || action.label(lang.get())}
                                                            " · "
                                                            <span class="muted">
                                                                {move || i18n::format_datetime(at, lang.get())}
                                                            </span>
                                                        </div>
                                                        <ul class="history-changes">
                                                            {changes
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
                                                                .collect_view()}
                                                        </ul>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ol>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </section>
    }
}
