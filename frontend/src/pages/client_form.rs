//! The client form, shared by `/clients/new` (create) and `/clients/:id/edit` (partial update).
//!
//! Input is kept as text while editing and turned into `ClientFields` on save, so a half-typed
//! number is an error message rather than a lost keystroke. The same `validate()` the server
//! runs is run here first; the server's per-field errors are shown in the same places.

use crate::api::{self, ApiError};
use crate::components::{
    account_managers, cities, city_and_county, counties_of, has_error, options_view, org_unit_list,
    parse_uuid, people, LoadingLine,
};
use crate::i18n::{tr, T};
use crate::pages::client_detail::{client_resource, route_client_id};
use crate::state::use_lang;
use chrono::NaiveDate;
use domain::client::{
    Client, ClientCategory, ClientFields, Contact, DemandPreference, Facilities, Industry,
    OnlineOrdering, PurchaseChannel, UpdateClientRequest,
};
use domain::geo::GeoPoint;
use domain::sales::Product;
use domain::validation::FieldError;
use domain::Lang;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use uuid::Uuid;

/// `/clients/new`.
#[component]
pub fn ClientNewPage() -> impl IntoView {
    view! {
        <section class="page client-form-page">
            <div class="breadcrumb">
                <a href="/clients" class="link">"← " {tr(T::BackToList)}</a>
            </div>
            <div class="page-header">
                <h1>{tr(T::NewClient)}</h1>
            </div>
            <ClientForm initial=None/>
        </section>
    }
}

/// `/clients/:id/edit`.
#[component]
pub fn ClientEditPage() -> impl IntoView {
    let id = route_client_id();
    let client = client_resource(id);
    view! {
        <section class="page client-form-page">
            <div class="breadcrumb">
                <a href=move || id.get().map(|id| format!("/clients/{id}")).unwrap_or_else(|| "/clients".into()) class="link">
                    "← "
                    {tr(T::Cancel)}
                </a>
            </div>
            <div class="page-header">
                <h1>{tr(T::EditClient)}</h1>
            </div>
            <Suspense fallback=|| view! { <LoadingLine/> }>
                {move || Suspend::new(async move {
                    match client.await {
                        Ok(detail) => view! { <ClientForm initial=Some(detail.client)/> }.into_any(),
                        Err(error) => view! { <crate::components::ErrorBox error=error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// One editable contact; `key` identifies the row to remove.
#[derive(Clone, Copy)]
struct ContactRow {
    key: u64,
    name: RwSignal<String>,
    title: RwSignal<String>,
    phone: RwSignal<String>,
}

impl ContactRow {
    fn new(key: u64, contact: &Contact) -> Self {
        Self {
            key,
            name: RwSignal::new(contact.name.clone()),
            title: RwSignal::new(contact.title.clone()),
            phone: RwSignal::new(contact.phone.clone()),
        }
    }
}

/// The form's inputs, as typed (the prospect form uses them too).
#[derive(Clone, Copy)]
pub struct FormState {
    uscc: RwSignal<String>,
    pub(crate) name: RwSignal<String>,
    category: RwSignal<ClientCategory>,
    industry: RwSignal<Industry>,
    address: RwSignal<String>,
    lat: RwSignal<String>,
    lon: RwSignal<String>,
    city: RwSignal<Option<Uuid>>,
    pub(crate) county: RwSignal<Option<Uuid>>,
    manager: RwSignal<Option<Uuid>>,
    contacts: RwSignal<Vec<ContactRow>>,
    next_key: StoredValue<u64>,
    tank_count: RwSignal<String>,
    tank_capacity: RwSignal<String>,
    dispenser_count: RwSignal<String>,
    vehicle_count: RwSignal<String>,
    channels: RwSignal<Vec<PurchaseChannel>>,
    products: RwSignal<Vec<Product>>,
    monthly_tonnes: RwSignal<String>,
    notes: RwSignal<String>,
    delivery: RwSignal<bool>,
    card: RwSignal<String>,
    online_registered: RwSignal<bool>,
    online_registered_on: RwSignal<String>,
    online_account: RwSignal<String>,
    tags: RwSignal<String>,
}

/// Shows a number without a pointless `.0`.
fn number_text(value: f64) -> String {
    if value == 0.0 {
        String::new()
    } else {
        value.to_string()
    }
}

fn count_text(value: u32) -> String {
    if value == 0 {
        String::new()
    } else {
        value.to_string()
    }
}

impl FormState {
    pub(crate) fn new(initial: Option<&ClientFields>) -> Self {
        let f = initial.cloned().unwrap_or_else(|| ClientFields {
            uscc: String::new(),
            name: String::new(),
            category: ClientCategory::EndUser,
            industry: Industry::Manufacturing,
            address: String::new(),
            location: None,
            org_unit_id: Uuid::nil(),
            account_manager_id: Uuid::nil(),
            contacts: vec![Contact::default()],
            facilities: Facilities::default(),
            purchase_channels: Vec::new(),
            demand: DemandPreference::default(),
            delivery: false,
            membership_card_no: None,
            online_ordering: OnlineOrdering::default(),
            tags: Vec::new(),
        });
        let contacts: Vec<ContactRow> = f
            .contacts
            .iter()
            .enumerate()
            .map(|(i, c)| ContactRow::new(i as u64, c))
            .collect();
        let some_id = |id: Uuid| Some(id).filter(|id| !id.is_nil());
        Self {
            uscc: RwSignal::new(f.uscc),
            name: RwSignal::new(f.name),
            category: RwSignal::new(f.category),
            industry: RwSignal::new(f.industry),
            address: RwSignal::new(f.address),
            lat: RwSignal::new(f.location.map(|p| p.lat.to_string()).unwrap_or_default()),
            lon: RwSignal::new(f.location.map(|p| p.lon.to_string()).unwrap_or_default()),
            city: RwSignal::new(None),
            county: RwSignal::new(some_id(f.org_unit_id)),
            manager: RwSignal::new(some_id(f.account_manager_id)),
            next_key: StoredValue::new(contacts.len() as u64),
            contacts: RwSignal::new(contacts),
            tank_count: RwSignal::new(count_text(f.facilities.tank_count)),
            tank_capacity: RwSignal::new(number_text(f.facilities.tank_capacity_m3)),
            dispenser_count: RwSignal::new(count_text(f.facilities.dispenser_count)),
            vehicle_count: RwSignal::new(count_text(f.facilities.vehicle_count)),
            channels: RwSignal::new(f.purchase_channels),
            products: RwSignal::new(f.demand.products),
            monthly_tonnes: RwSignal::new(
                f.demand
                    .monthly_tonnes
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
            ),
            notes: RwSignal::new(f.demand.notes),
            delivery: RwSignal::new(f.delivery),
            card: RwSignal::new(f.membership_card_no.unwrap_or_default()),
            online_registered: RwSignal::new(f.online_ordering.registered),
            online_registered_on: RwSignal::new(
                f.online_ordering
                    .registered_on
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
            online_account: RwSignal::new(f.online_ordering.account.unwrap_or_default()),
            tags: RwSignal::new(f.tags.join(", ")),
        }
    }

    fn add_contact(&self) {
        let key = self.next_key.get_value();
        self.next_key.set_value(key + 1);
        self.contacts
            .update(|c| c.push(ContactRow::new(key, &Contact::default())));
    }

    /// The typed values as master data, normalised and validated: every problem at once.
    pub(crate) fn to_fields(self) -> Result<ClientFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        let not_a_number = |field: &str| {
            FieldError::new(
                field,
                "invalid_type",
                format!("{field} must be a number"),
                format!("{field} 必须是数字"),
            )
        };
        let not_a_count = |field: &str| {
            FieldError::new(
                field,
                "invalid_type",
                format!("{field} must be a whole number, 0 or more"),
                format!("{field} 必须是非负整数"),
            )
        };
        let mut float = |field: &str, text: String| -> Option<f64> {
            let text = text.trim().replace(',', "");
            if text.is_empty() {
                return None;
            }
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    errors.push(not_a_number(field));
                    None
                }
            }
        };
        let lat = float("location.lat", self.lat.get_untracked());
        let lon = float("location.lon", self.lon.get_untracked());
        let tank_capacity = float(
            "facilities.tank_capacity_m3",
            self.tank_capacity.get_untracked(),
        );
        let monthly_tonnes = float("demand.monthly_tonnes", self.monthly_tonnes.get_untracked());
        let mut count = |field: &str, text: String| -> u32 {
            let text = text.trim();
            if text.is_empty() {
                return 0;
            }
            text.parse::<u32>().unwrap_or_else(|_| {
                errors.push(not_a_count(field));
                0
            })
        };
        let tank_count = count("facilities.tank_count", self.tank_count.get_untracked());
        let dispenser_count = count(
            "facilities.dispenser_count",
            self.dispenser_count.get_untracked(),
        );
        let vehicle_count = count(
            "facilities.vehicle_count",
            self.vehicle_count.get_untracked(),
        );

        // Both coordinates or neither.
        let location = match (
            lat,
            lon,
            self.lat.with_untracked(|s| s.trim().is_empty()),
            self.lon.with_untracked(|s| s.trim().is_empty()),
        ) {
            (Some(lat), Some(lon), _, _) => Some(GeoPoint { lat, lon }),
            (Some(_), None, _, true) => {
                errors.push(FieldError::required("location.lon"));
                None
            }
            (None, Some(_), true, _) => {
                errors.push(FieldError::required("location.lat"));
                None
            }
            _ => None,
        };

        let registered_on = {
            let text = self.online_registered_on.get_untracked();
            let text = text.trim();
            if text.is_empty() {
                None
            } else {
                match text.parse::<NaiveDate>() {
                    Ok(d) => Some(d),
                    Err(_) => {
                        errors.push(FieldError::new(
                            "online_ordering.registered_on",
                            "invalid_type",
                            "online_ordering.registered_on must be a date (YYYY-MM-DD)",
                            "online_ordering.registered_on 必须是日期（年-月-日）",
                        ));
                        None
                    }
                }
            }
        };

        let org_unit_id = self.county.get_untracked();
        if org_unit_id.is_none() {
            errors.push(FieldError::required("org_unit_id"));
        }
        let account_manager_id = self.manager.get_untracked();
        if account_manager_id.is_none() {
            errors.push(FieldError::required("account_manager_id"));
        }

        let contacts: Vec<Contact> = self
            .contacts
            .get_untracked()
            .iter()
            .map(|row| Contact {
                name: row.name.get_untracked(),
                title: row.title.get_untracked(),
                phone: row.phone.get_untracked(),
            })
            // A row left completely empty is no contact, not an error.
            .filter(|c| {
                !(c.name.trim().is_empty()
                    && c.title.trim().is_empty()
                    && c.phone.trim().is_empty())
            })
            .collect();

        let tags: Vec<String> = self
            .tags
            .get_untracked()
            .split([',', '，', '、', ';', '；'])
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();

        let optional = |text: String| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        let channels: Vec<PurchaseChannel> = PurchaseChannel::ALL
            .iter()
            .copied()
            .filter(|c| self.channels.with_untracked(|v| v.contains(c)))
            .collect();
        let products: Vec<Product> = Product::ALL
            .iter()
            .copied()
            .filter(|p| self.products.with_untracked(|v| v.contains(p)))
            .collect();

        let fields = ClientFields {
            uscc: self.uscc.get_untracked(),
            name: self.name.get_untracked(),
            category: self.category.get_untracked(),
            industry: self.industry.get_untracked(),
            address: self.address.get_untracked(),
            location,
            org_unit_id: org_unit_id.unwrap_or_else(Uuid::nil),
            account_manager_id: account_manager_id.unwrap_or_else(Uuid::nil),
            contacts,
            facilities: Facilities {
                tank_count,
                tank_capacity_m3: tank_capacity.unwrap_or(0.0),
                dispenser_count,
                vehicle_count,
            },
            purchase_channels: channels,
            demand: DemandPreference {
                products,
                monthly_tonnes,
                notes: self.notes.get_untracked().trim().to_owned(),
            },
            delivery: self.delivery.get_untracked(),
            membership_card_no: optional(self.card.get_untracked()),
            online_ordering: OnlineOrdering {
                registered: self.online_registered.get_untracked(),
                registered_on,
                account: optional(self.online_account.get_untracked()),
            },
            tags,
        }
        .normalized();

        if let Err(more) = fields.validate() {
            errors.extend(more.0);
        }
        if errors.is_empty() {
            Ok(fields)
        } else {
            Err(errors)
        }
    }
}

/// Human name of a field path such as `contacts[0].phone`, for error messages.
fn field_label(path: &str, lang: Lang) -> String {
    let indexed = |prefix: &str| -> Option<(usize, String)> {
        let rest = path.strip_prefix(prefix)?.strip_prefix('[')?;
        let (index, tail) = rest.split_once(']')?;
        Some((
            index.parse::<usize>().ok()? + 1,
            tail.trim_start_matches('.').to_owned(),
        ))
    };
    if let Some((n, tail)) = indexed("contacts") {
        let part = match tail.as_str() {
            "name" => T::ContactName.get(lang),
            "title" => T::Title.get(lang),
            "phone" => T::Phone.get(lang),
            _ => "",
        };
        return format!("{} {n} {part}", T::Contact.get(lang))
            .trim_end()
            .to_owned();
    }
    if let Some((n, _)) = indexed("tags") {
        return format!("{} {n}", T::Tags.get(lang));
    }
    let key = match path {
        "uscc" => T::Uscc,
        "name" => T::Name,
        "category" => T::Category,
        "industry" => T::Industry,
        "address" => T::Address,
        "location" => T::Location,
        "location.lat" => T::Latitude,
        "location.lon" => T::Longitude,
        "org_unit_id" => T::OrgUnit,
        "account_manager_id" => T::AccountManager,
        "contacts" => T::Contacts,
        "facilities.tank_count" => T::TankCount,
        "facilities.tank_capacity_m3" => T::TankCapacity,
        "facilities.dispenser_count" => T::DispenserCount,
        "facilities.vehicle_count" => T::VehicleCount,
        "purchase_channels" => T::PurchaseChannels,
        "demand.products" => T::Products,
        "demand.monthly_tonnes" => T::MonthlyDemand,
        "demand.notes" => T::Notes,
        "delivery" => T::Delivery,
        "membership_card_no" => T::MembershipCard,
        "online_ordering.registered_on" => T::RegisteredOn,
        "online_ordering.account" => T::OnlineAccount,
        "tags" => T::Tags,
        "est_monthly_demand_t" => T::EstMonthlyDemand,
        "previous_channel" => T::PreviousChannel,
        "source" => T::ProspectSource,
        _ => return path.to_owned(),
    };
    key.get(lang).to_owned()
}

/// An error message with the field path replaced by the field's name.
fn error_text(error: &FieldError, lang: Lang) -> String {
    let message = match lang {
        Lang::Zh => &error.message_zh,
        Lang::En => &error.message,
    };
    let Some(rest) = message
        .strip_prefix(error.field.as_str())
        .filter(|_| !error.field.is_empty())
    else {
        return message.clone();
    };
    let label = field_label(&error.field, lang);
    // "uscc：统一社会信用代码应为…" already names the field after the colon: drop the path.
    let after_colon = rest.trim_start_matches([':', '：', ' ']);
    if after_colon.starts_with(&label) {
        return after_colon.to_owned();
    }
    format!("{label}{rest}")
}

/// Errors of one field, under its input.
#[component]
pub(crate) fn FieldErrors(
    errors: RwSignal<Vec<FieldError>>,
    #[prop(into)] field: String,
) -> impl IntoView {
    let lang = use_lang();
    move || {
        let lang = lang.get();
        errors.with(|all| {
            all.iter()
                .filter(|e| e.field == field)
                .map(|e| view! { <div class="field-error" data-field=e.field.clone()>{error_text(e, lang)}</div> })
                .collect_view()
        })
    }
}

fn input_id(field: &str) -> String {
    format!(
        "field-{}",
        field.replace(['.', '[', ']'], "-").trim_end_matches('-')
    )
}

/// A labelled text input bound to a signal, with its errors.
#[component]
pub(crate) fn TextInput(
    label: T,
    value: RwSignal<String>,
    field: &'static str,
    errors: RwSignal<Vec<FieldError>>,
    #[prop(optional)] required: bool,
    #[prop(optional)] input_type: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] class: Option<&'static str>,
) -> impl IntoView {
    let lang = use_lang();
    let id = input_id(field);
    view! {
        <div class=format!("field {}", class.unwrap_or(""))>
            <label class="field-label" for=id.clone()>
                {move || label.get(lang.get())}
                {required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}
            </label>
            <input
                id=id
                name=field
                type=input_type.unwrap_or("text")
                inputmode=inputmode
                class:invalid=move || has_error(errors, field)
                aria-invalid=move || if has_error(errors, field) { "true" } else { "false" }
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <FieldErrors errors=errors field=field/>
        </div>
    }
}

/// What to send on save.
#[derive(Clone)]
enum Save {
    Create(ClientFields),
    Update(Uuid, UpdateClientRequest),
}

/// The client form: empty for a new client, filled for an edit.
#[component]
pub fn ClientForm(initial: Option<Client>) -> impl IntoView {
    let lang = use_lang();
    let navigate = use_navigate();
    let form = FormState::new(initial.as_ref().map(|c| &c.fields));
    let original = StoredValue::new(initial.as_ref().map(|c| (c.id, c.fields.clone())));
    let initial_manager = initial
        .as_ref()
        .map(|c| (c.fields.account_manager_id, c.account_manager_name.clone()));
    let cancel_href = initial
        .as_ref()
        .map(|c| format!("/clients/{}", c.id))
        .unwrap_or_else(|| "/clients".into());

    let errors = RwSignal::new(Vec::<FieldError>::new());
    // A message for the whole form: a server error that is not about one field, or a hint.
    let notice = RwSignal::new(None::<Notice>);

    let save = Action::new_unsync(|save: &Save| {
        let save = save.clone();
        async move {
            match save {
                Save::Create(fields) => api::create_client(&fields).await,
                Save::Update(id, update) => api::update_client(id, &update).await,
            }
        }
    });
    let pending = save.pending();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(client)) => {
            navigate(
                &format!("/clients/{}", client.id),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
        Some(Err(error)) => {
            errors.set(error.field_errors().to_vec());
            notice.set(Some(Notice::Server(error)));
        }
        None => {}
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        match form.to_fields() {
            Err(found) => {
                errors.set(found);
                notice.set(Some(Notice::FixErrors));
            }
            Ok(fields) => {
                errors.set(Vec::new());
                notice.set(None);
                match original.get_value() {
                    None => {
                        save.dispatch(Save::Create(fields));
                    }
                    Some((id, old)) => {
                        let update = UpdateClientRequest::between(&old, fields);
                        if update.is_empty() {
                            notice.set(Some(Notice::NoChanges));
                        } else {
                            save.dispatch(Save::Update(id, update));
                        }
                    }
                }
            }
        }
    };

    view! {
        <form class="client-form" on:submit=on_submit novalidate>
            <ClientBasicFields form=form errors=errors initial_manager=initial_manager/>
            <ClientContactsFields form=form errors=errors/>

            <fieldset class="card section">
                <legend>{tr(T::Facilities)}</legend>
                <div class="form-grid">
                    <TextInput label=T::TankCount value=form.tank_count field="facilities.tank_count" errors=errors inputmode="numeric"/>
                    <TextInput
                        label=T::TankCapacity
                        value=form.tank_capacity
                        field="facilities.tank_capacity_m3"
                        errors=errors
                        inputmode="decimal"
                    />
                    <TextInput
                        label=T::DispenserCount
                        value=form.dispenser_count
                        field="facilities.dispenser_count"
                        errors=errors
                        inputmode="numeric"
                    />
                    <TextInput
                        label=T::VehicleCount
                        value=form.vehicle_count
                        field="facilities.vehicle_count"
                        errors=errors
                        inputmode="numeric"
                    />
                </div>
            </fieldset>

            <fieldset class="card section">
                <legend>{tr(T::PurchaseAndDemand)}</legend>
                <div class="field">
                    <span class="field-label">{tr(T::PurchaseChannels)}</span>
                    <div class="checks" id="field-purchase_channels">
                        {PurchaseChannel::ALL
                            .iter()
                            .map(|c| {
                                let c = *c;
                                view! {
                                    <label class="check">
                                        <input
                                            type="checkbox"
                                            value=c.code()
                                            prop:checked=move || form.channels.with(|v| v.contains(&c))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                form.channels.update(|v| {
                                                    v.retain(|x| *x != c);
                                                    if on {
                                                        v.push(c);
                                                    }
                                                });
                                            }
                                        />
                                        <span>{label!(c)}</span>
                                    </label>
                                }
                            })
                            .collect_view()}
                    </div>
                    <FieldErrors errors=errors field="purchase_channels"/>
                </div>
                <div class="field">
                    <span class="field-label">{tr(T::Products)}</span>
                    <div class="checks" id="field-demand-products">
                        {Product::ALL
                            .iter()
                            .map(|p| {
                                let p = *p;
                                view! {
                                    <label class="check">
                                        <input
                                            type="checkbox"
                                            value=p.code()
                                            prop:checked=move || form.products.with(|v| v.contains(&p))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                form.products.update(|v| {
                                                    v.retain(|x| *x != p);
                                                    if on {
                                                        v.push(p);
                                                    }
                                                });
                                            }
                                        />
                                        <span>{label!(p)}</span>
                                    </label>
                                }
                            })
                            .collect_view()}
                    </div>
                    <FieldErrors errors=errors field="demand.products"/>
                </div>
                <div class="form-grid">
                    <TextInput
                        label=T::MonthlyDemand
                        value=form.monthly_tonnes
                        field="demand.monthly_tonnes"
                        errors=errors
                        inputmode="decimal"
                    />
                </div>
                <div class="field">
                    <label class="field-label" for="field-demand-notes">{tr(T::Notes)}</label>
                    <textarea
                        id="field-demand-notes"
                        rows="3"
                        class:invalid=move || has_error(errors, "demand.notes")
                        prop:value=move || form.notes.get()
                        on:input=move |ev| form.notes.set(event_target_value(&ev))
                    ></textarea>
                    <FieldErrors errors=errors field="demand.notes"/>
                </div>
            </fieldset>

            <fieldset class="card section">
                <legend>{tr(T::Services)}</legend>
                <div class="form-grid">
                    <label class="check check-field">
                        <input
                            type="checkbox"
                            id="field-delivery"
                            prop:checked=move || form.delivery.get()
                            on:change=move |ev| form.delivery.set(event_target_checked(&ev))
                        />
                        <span>{tr(T::Delivery)}</span>
                    </label>
                    <TextInput label=T::MembershipCard value=form.card field="membership_card_no" errors=errors/>
                    <label class="check check-field">
                        <input
                            type="checkbox"
                            id="field-online_ordering-registered"
                            prop:checked=move || form.online_registered.get()
                            on:change=move |ev| form.online_registered.set(event_target_checked(&ev))
                        />
                        <span>{tr(T::OnlineOrdering)} " · " {tr(T::Registered)}</span>
                    </label>
                    <TextInput
                        label=T::RegisteredOn
                        value=form.online_registered_on
                        field="online_ordering.registered_on"
                        errors=errors
                        input_type="date"
                    />
                    <TextInput label=T::OnlineAccount value=form.online_account field="online_ordering.account" errors=errors/>
                </div>
            </fieldset>

            <fieldset class="card section">
                <legend>{tr(T::Tags)}</legend>
                <div class="field">
                    <label class="field-label" for="field-tags">
                        {tr(T::Tags)}
                        <span class="muted">" (" {tr(T::TagsHint)} ")"</span>
                    </label>
                    <input
                        id="field-tags"
                        type="text"
                        class:invalid=move || errors.with(|all| all.iter().any(|e| e.field.starts_with("tags")))
                        prop:value=move || form.tags.get()
                        on:input=move |ev| form.tags.set(event_target_value(&ev))
                    />
                    {move || {
                        let lang = lang.get();
                        errors.with(|all| {
                            all.iter()
                                .filter(|e| e.field.starts_with("tags"))
                                .map(|e| view! { <div class="field-error">{error_text(e, lang)}</div> })
                                .collect_view()
                        })
                    }}
                </div>
            </fieldset>

            <div class="form-footer">
                {move || {
                    notice
                        .get()
                        .map(|n| {
                            let lang = lang.get();
                            let (class, text) = match &n {
                                // With field errors listed below, the code's label is the
                                // summary; the server's detail would repeat the first of them.
                                Notice::Server(ApiError::Problem(p)) if !p.errors.is_empty() => {
                                    ("alert alert-error", p.code.label(lang).to_owned())
                                }
                                Notice::Server(e) => ("alert alert-error", e.message(lang)),
                                Notice::FixErrors => ("alert alert-error", T::FixErrors.get(lang).to_owned()),
                                Notice::NoChanges => ("alert alert-info", T::NoChanges.get(lang).to_owned()),
                            };
                            let list = errors.with(|all| {
                                all.iter().map(|e| view! { <li>{error_text(e, lang)}</li> }).collect_view()
                            });
                            view! {
                                <div class=class id="form-notice" role="alert">
                                    <div>{text}</div>
                                    <ul class="error-list">{list}</ul>
                                </div>
                            }
                        })
                }}
                <div class="form-actions">
                    <a class="btn" href=cancel_href>{tr(T::Cancel)}</a>
                    <button type="submit" class="btn btn-primary" id="save-client" prop:disabled=move || pending.get()>
                        {move || if pending.get() { T::Saving.get(lang.get()) } else { T::Save.get(lang.get()) }}
                    </button>
                </div>
            </div>
        </form>
    }
}

/// The basic-information fieldset (name, USCC, category, industry, address, coordinates, city
/// and county, account manager) of the client form and the prospect form.
#[component]
pub(crate) fn ClientBasicFields(
    form: FormState,
    errors: RwSignal<Vec<FieldError>>,
    /// The stored manager (kept selectable when the list does not hold them).
    initial_manager: Option<(Uuid, String)>,
) -> impl IntoView {
    let units = org_unit_list();
    // An edited client arrives with its county only; pick its city once the tree is known.
    Effect::new(move |_| {
        let (city, _) = units.with(|u| city_and_county(u, form.county.get_untracked()));
        if form.city.get_untracked().is_none() && city.is_some() {
            form.city.set(city);
        }
    });
    let manager_scope = Memo::new(move |_| form.county.get().or(form.city.get()));
    let managers = account_managers(manager_scope);

    let on_city = move |ev: leptos::ev::Event| {
        form.city.set(parse_uuid(&event_target_value(&ev)));
        form.county.set(None);
        form.manager.set(None);
    };
    let on_county = move |ev: leptos::ev::Event| {
        form.county.set(parse_uuid(&event_target_value(&ev)));
        form.manager.set(None);
    };

    view! {
        <fieldset class="card section">
            <legend>{tr(T::BasicInfo)}</legend>
            <div class="form-grid">
                <TextInput label=T::Name value=form.name field="name" errors=errors required=true class="span-2"/>
                <TextInput label=T::Uscc value=form.uscc field="uscc" errors=errors required=true class="mono-input"/>
                <div class="field">
                    <label class="field-label" for="field-category">{tr(T::Category)}</label>
                    <select
                        id="field-category"
                        on:change=move |ev| {
                            if let Some(c) = ClientCategory::from_code(&event_target_value(&ev)) {
                                form.category.set(c);
                            }
                        }
                    >
                        {ClientCategory::ALL
                            .iter()
                            .map(|c| {
                                let c = *c;
                                view! {
                                    <option value=c.code() prop:selected=move || form.category.get() == c>
                                        {label!(c)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label class="field-label" for="field-industry">{tr(T::Industry)}</label>
                    <select
                        id="field-industry"
                        on:change=move |ev| {
                            if let Some(i) = Industry::from_code(&event_target_value(&ev)) {
                                form.industry.set(i);
                            }
                        }
                    >
                        {Industry::ALL
                            .iter()
                            .map(|i| {
                                let i = *i;
                                view! {
                                    <option value=i.code() prop:selected=move || form.industry.get() == i>
                                        {label!(i)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <TextInput label=T::Address value=form.address field="address" errors=errors class="span-2"/>
                <TextInput label=T::Latitude value=form.lat field="location.lat" errors=errors inputmode="decimal"/>
                <TextInput label=T::Longitude value=form.lon field="location.lon" errors=errors inputmode="decimal"/>
                <div class="field">
                    <label class="field-label" for="field-city">
                        {tr(T::City)}
                        <span class="required" aria-hidden="true">" *"</span>
                    </label>
                    <select id="field-city" on:change=on_city>
                        <option value="" prop:selected=move || form.city.get().is_none()>
                            {tr(T::ChooseCity)}
                        </option>
                        {move || options_view(units.with(|u| cities(u)), form.city.get())}
                    </select>
                </div>
                <div class="field">
                    <label class="field-label" for="field-org_unit_id">
                        {tr(T::County)}
                        <span class="required" aria-hidden="true">" *"</span>
                    </label>
                    <select
                        id="field-org_unit_id"
                        class:invalid=move || has_error(errors, "org_unit_id")
                        prop:disabled=move || form.city.get().is_none()
                        on:change=on_county
                    >
                        <option value="" prop:selected=move || form.county.get().is_none()>
                            {tr(T::ChooseCounty)}
                        </option>
                        {move || {
                            form.city
                                .get()
                                .map(|city| options_view(units.with(|u| counties_of(u, city)), form.county.get()))
                        }}
                    </select>
                    <FieldErrors errors=errors field="org_unit_id"/>
                </div>
                <div class="field">
                    <label class="field-label" for="field-account_manager_id">
                        {tr(T::AccountManager)}
                        <span class="required" aria-hidden="true">" *"</span>
                    </label>
                    <select
                        id="field-account_manager_id"
                        class:invalid=move || has_error(errors, "account_manager_id")
                        on:change=move |ev| form.manager.set(parse_uuid(&event_target_value(&ev)))
                    >
                        <option value="" prop:selected=move || form.manager.get().is_none()>
                            {tr(T::ChooseManager)}
                        </option>
                        {move || {
                            let current = form.manager.get();
                            let mut list = people(managers.get().and_then(Result::ok).unwrap_or_default());
                            // Keep the stored manager selectable even if the list does not hold them.
                            if let Some((id, name)) = initial_manager.clone() {
                                if current == Some(id) && !list.iter().any(|(u, _)| *u == id) {
                                    list.insert(0, (id, name));
                                }
                            }
                            options_view(list, current)
                        }}
                    </select>
                    <FieldErrors errors=errors field="account_manager_id"/>
                </div>
            </div>
        </fieldset>
    }
}

/// The contacts fieldset of the client form and the prospect form.
#[component]
pub(crate) fn ClientContactsFields(
    form: FormState,
    errors: RwSignal<Vec<FieldError>>,
) -> impl IntoView {
    view! {
        <fieldset class="card section">
            <legend>{tr(T::Contacts)}</legend>
            <FieldErrors errors=errors field="contacts"/>
            // Rows are rebuilt only when one is added or removed (typing changes the row's own
            // signals, not the list), so a plain closure does what a keyed <For> would.
            {move || {
                form.contacts
                    .get()
                    .into_iter()
                    .enumerate()
                    .map(|(index, row)| view! { <ContactEditor index=index row=row form=form errors=errors/> })
                    .collect_view()
            }}
            <button type="button" class="btn btn-small" id="add-contact" on:click=move |_| form.add_contact()>
                "+ "
                {tr(T::AddContact)}
            </button>
        </fieldset>
    }
}

/// A message for the whole form.
#[derive(Clone)]
enum Notice {
    Server(ApiError),
    FixErrors,
    NoChanges,
}

/// One contact's inputs.
#[component]
fn ContactEditor(
    index: usize,
    row: ContactRow,
    form: FormState,
    errors: RwSignal<Vec<FieldError>>,
) -> impl IntoView {
    let lang = use_lang();
    let field = move |part: &str| format!("contacts[{index}].{part}");
    let name_field = field("name");
    let title_field = field("title");
    let phone_field = field("phone");
    let input = move |label: T, value: RwSignal<String>, path: String, kind: &'static str| {
        let id = input_id(&path);
        let path_for_check = path.clone();
        let path_for_check2 = path.clone();
        view! {
            <div class="field">
                <label class="field-label" for=id.clone()>{move || label.get(lang.get())}</label>
                <input
                    id=id
                    type=kind
                    class:invalid=move || has_error(errors, &path_for_check)
                    aria-invalid=move || if has_error(errors, &path_for_check2) { "true" } else { "false" }
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
                <FieldErrors errors=errors field=path/>
            </div>
        }
    };
    view! {
        <div class="contact-editor">
            <div class="contact-index">{(index + 1).to_string()}</div>
            <div class="form-grid contact-grid">
                {input(T::ContactName, row.name, name_field, "text")}
                {input(T::Title, row.title, title_field, "text")}
                {input(T::Phone, row.phone, phone_field, "tel")}
            </div>
            <button
                type="button"
                class="btn btn-small btn-ghost remove-contact"
                on:click=move |_| form.contacts.update(|rows| rows.retain(|r| r.key != row.key))
            >
                {tr(T::Remove)}
            </button>
        </div>
    }
}
