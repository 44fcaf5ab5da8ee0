//! `/admin/users`: people with filters; create, edit, reset a password, deactivate or
//! reactivate, and hand an account manager's clients to another in one action.

use crate::api;
use crate::components::{
    acted_on, badge_html, dyn_text, dyn_view, esc, get_resource, loaded, options_view,
    org_unit_list, parse_uuid, sorted_options, submit, unit_options, ErrorBox, FieldErrorsFor,
    Flash, FlashLine, FormNotice, FormStatus, HtmlTable, LabelledInput, LoadingLine,
};
use crate::i18n::{self, tr, T};
use crate::pages::admin::AdminFrame;
use crate::state::use_lang;
use domain::org::{NewUser, ReassignClients, ReassignResult, Role, UpdateUser, UserRecord};
use domain::Lang;
use leptos::prelude::*;
use uuid::Uuid;

/// `/admin/users`.
#[component]
pub fn AdminUsersPage() -> impl IntoView {
    view! {
        <AdminFrame title=T::Users>
            <UsersAdmin/>
        </AdminFrame>
    }
}

/// Which user the editor shows.
#[derive(Clone, PartialEq)]
enum Editing {
    New,
    User(Box<UserRecord>),
}

#[component]
fn UsersAdmin() -> impl IntoView {
    let lang = use_lang();
    let units = org_unit_list();
    let role = RwSignal::new(String::new());
    let unit = RwSignal::new(String::new());
    let active = RwSignal::new("true".to_owned());
    let text = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let reloads = RwSignal::new(0u32);
    let editing = RwSignal::new(None::<Editing>);
    let flash: Flash = RwSignal::new(None);

    let users = get_resource(move || {
        reloads.track();
        let mut parts = Vec::new();
        api::query_pair(&mut parts, "role", &role.get());
        api::query_pair(&mut parts, "org_unit_id", &unit.get());
        api::query_pair(&mut parts, "active", &active.get());
        api::query_pair(&mut parts, "q", &search.get());
        format!("/api/v1/users?{}", parts.join("&"))
    });
    let user_list = Memo::new(move |_| loaded::<Vec<UserRecord>>(users));
    let reload = Callback::new(move |_| reloads.update(|n| *n += 1));

    let on_search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        search.set(text.get_untracked());
    };
    let select = move |id: &'static str, label: T, value: RwSignal<String>, options: AnyView| {
        view! {
            <select id=id aria-label=tr(label) on:change=move |ev| value.set(event_target_value(&ev))>
                {options}
            </select>
        }
    };
    let role_options = view! {
        <option value="">{tr(T::AllRoles)}</option>
        {Role::ALL
            .iter()
            .map(|r| view! { <option value=r.code()>{label!(*r)}</option> })
            .collect_view()}
    }
    .into_any();
    let unit_filter_options = view! {
        <option value="">{tr(T::AllUnits)}</option>
        {dyn_view(move || options_view(units.with(|u| unit_options(u)), parse_uuid(&unit.get_untracked())).into_any())}
    }
    .into_any();
    let active_options = view! {
        <option value="true">{tr(T::ActiveUsers)}</option>
        <option value="false">{tr(T::InactiveUsers)}</option>
        <option value="all">{tr(T::AllUsers)}</option>
    }
    .into_any();

    let table_html = move || {
        user_list.with(|l| match l {
            Some(Ok(list)) => user_table(list, lang.get()),
            _ => String::new(),
        })
    };
    let on_table_click = move |ev: leptos::ev::MouseEvent| {
        let Some((_, id)) = acted_on(&ev) else {
            return;
        };
        let record = user_list.with_untracked(|l| {
            l.as_ref()
                .and_then(|r| r.as_ref().ok())
                .and_then(|list| list.iter().find(|u| u.id.to_string() == id).cloned())
        });
        if let Some(record) = record {
            flash.set(None);
            editing.set(Some(Editing::User(Box::new(record))));
            scroll_to_top();
        }
    };

    view! {
        <FlashLine flash=flash/>
        <div class="card filters">
            <form class="search-form" role="search" on:submit=on_search>
                <input
                    id="user-search"
                    type="search"
                    autocomplete="off"
                    placeholder=tr(T::UserSearchPlaceholder)
                    aria-label=tr(T::Search)
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                />
                <button type="submit" class="btn">{tr(T::Search)}</button>
            </form>
            <div class="filter-grid filter-grid-3">
                {select("user-filter-role", T::Role, role, role_options)}
                {select("user-filter-unit", T::OrgUnit, unit, unit_filter_options)}
                {select("user-filter-active", T::Status, active, active_options)}
            </div>
        </div>

        <div class="list-toolbar">
            <span class="total" id="user-total">
                {dyn_text(move || {
                    user_list
                        .with(|l| l.as_ref().and_then(|r| r.as_ref().ok()).map(Vec::len))
                        .map(|n| i18n::format_people(n as u64, lang.get()))
                        .unwrap_or_default()
                })}
            </span>
            <span class="spacer"></span>
            <button
                type="button"
                class="btn btn-primary"
                id="new-user"
                on:click=move |_| {
                    flash.set(None);
                    editing.set(Some(Editing::New));
                }
            >
                "+ "
                {tr(T::NewUser)}
            </button>
        </div>

        {dyn_view(move || {
            editing
                .get()
                .map(|e| {
                    let user = match e {
                        Editing::New => None,
                        Editing::User(u) => Some(*u),
                    };
                    view! { <UserEditor user=user editing=editing flash=flash reload=reload/> }
                })
                .into_any()
        })}

        {dyn_view(move || match user_list.get() {
            None => view! { <LoadingLine/> }.into_any(),
            Some(Err(error)) => view! { <ErrorBox error=error retry=move |_| users.refetch()/> }.into_any(),
            Some(Ok(list)) if list.is_empty() => {
                view! { <div class="card empty-state"><p>{tr(T::NoUsers)}</p></div> }.into_any()
            }
            Some(Ok(_)) => view! {
                <div class="card table-card" on:click=on_table_click inner_html=table_html></div>
            }
            .into_any(),
        })}
    }
}

/// Text or a dash, escaped.
fn or_dash(value: &Option<String>) -> String {
    match value.as_deref().filter(|v| !v.is_empty()) {
        Some(v) => esc(v),
        None => "—".to_owned(),
    }
}

/// The user list as HTML; each row's edit button carries the user's id.
fn user_table(list: &[UserRecord], lang: Lang) -> String {
    let t = |key: T| key.get(lang);
    let headers = [
        t(T::DisplayName),
        t(T::Role),
        t(T::OrgUnit),
        t(T::EmployeeId),
        t(T::Email),
        t(T::Phone),
        t(T::ClientCount),
        t(T::Status),
        "",
    ];
    let mut table = HtmlTable::new("user-table", &headers);
    for u in list {
        let class = if u.active {
            "user-row"
        } else {
            "user-row inactive"
        };
        table.row(class, &format!("data-username=\"{}\"", esc(&u.username)));
        let name = format!(
            "<strong>{}</strong><div class=\"sub mono\">{}</div>",
            esc(&u.display_name),
            esc(&u.username)
        );
        table.cell("", "cell-name", &name);
        table.cell(headers[1], "", &esc(u.role.label(lang)));
        table.cell(headers[2], "", &esc(&u.org_unit_name));
        table.cell(headers[3], "mono", &or_dash(&u.employee_id));
        table.cell(headers[4], "", &or_dash(&u.email));
        table.cell(headers[5], "mono", &or_dash(&u.phone));
        table.cell(headers[6], "num", &u.client_count.to_string());
        let mut status = if u.active {
            badge_html("badge-ok", t(T::Active))
        } else {
            badge_html("badge-off", t(T::Inactive))
        };
        if !u.has_password {
            status.push_str(&badge_html("", t(T::SsoOnly)));
        }
        table.cell(headers[7], "", &status);
        let edit = format!(
            "<button type=\"button\" class=\"btn btn-small edit-user\" data-act=\"edit\" data-id=\"{}\">{}</button>",
            u.id,
            esc(t(T::Edit))
        );
        table.cell("", "cell-actions", &edit);
    }
    table.finish()
}

/// Brings the editor (at the top of the page) into view.
fn scroll_to_top() {
    if let Some(w) = web_sys::window() {
        w.scroll_to_with_x_and_y(0.0, 0.0);
    }
}

/// An optional text as typed: `None` when empty.
fn typed(value: RwSignal<String>) -> Option<String> {
    Some(value.get_untracked().trim().to_owned()).filter(|v| !v.is_empty())
}

/// `Some(new)` when the typed text differs from the stored value (`Some("")` clears it).
fn changed(value: RwSignal<String>, old: &Option<String>) -> Option<String> {
    let new = value.get_untracked().trim().to_owned();
    (new != old.clone().unwrap_or_default()).then_some(new)
}

/// Create a user (`user` is `None`) or edit one.
#[component]
fn UserEditor(
    user: Option<UserRecord>,
    editing: RwSignal<Option<Editing>>,
    flash: Flash,
    reload: Callback<()>,
) -> impl IntoView {
    let units = org_unit_list();
    let status = FormStatus::new();
    let is_new = user.is_none();
    let text = |v: Option<&String>| RwSignal::new(v.cloned().unwrap_or_default());
    let username = text(user.as_ref().map(|u| &u.username));
    let display_name = text(user.as_ref().map(|u| &u.display_name));
    let role = RwSignal::new(
        user.as_ref()
            .map(|u| u.role)
            .unwrap_or(Role::AccountManager),
    );
    let unit = RwSignal::new(user.as_ref().map(|u| u.org_unit_id));
    let password = RwSignal::new(String::new());
    let sso_only = RwSignal::new(false);
    let employee_id = text(user.as_ref().and_then(|u| u.employee_id.as_ref()));
    let email = text(user.as_ref().and_then(|u| u.email.as_ref()));
    let phone = text(user.as_ref().and_then(|u| u.phone.as_ref()));
    let original = StoredValue::new(user.clone());

    let on_save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(org_unit_id) = unit.get_untracked() else {
            status
                .errors
                .set(vec![domain::validation::FieldError::required(
                    "org_unit_id",
                )]);
            return;
        };
        let (method, path, body, message) = match original.get_value() {
            None => {
                let new = NewUser {
                    username: username.get_untracked(),
                    display_name: display_name.get_untracked(),
                    role: role.get_untracked(),
                    org_unit_id,
                    password: (!sso_only.get_untracked()).then(|| password.get_untracked()),
                    employee_id: typed(employee_id),
                    email: typed(email),
                    phone: typed(phone),
                };
                (
                    "POST",
                    "/api/v1/users".to_owned(),
                    api::to_json(&new),
                    T::UserCreated,
                )
            }
            Some(old) => {
                let display = display_name.get_untracked().trim().to_owned();
                let update = UpdateUser {
                    display_name: (display != old.display_name).then_some(display),
                    role: Some(role.get_untracked()).filter(|r| *r != old.role),
                    org_unit_id: Some(org_unit_id).filter(|u| *u != old.org_unit_id),
                    employee_id: changed(employee_id, &old.employee_id),
                    email: changed(email, &old.email),
                    phone: changed(phone, &old.phone),
                    active: None,
                    password: Some(password.get_untracked()).filter(|p| !p.is_empty()),
                };
                let path = format!("/api/v1/users/{}", old.id);
                ("PATCH", path, api::to_json(&update), T::UserSaved)
            }
        };
        submit(status, method, path, body, move |text| {
            let saved: UserRecord = api::decode(&text)?;
            flash.set(Some((message, saved.display_name.clone())));
            editing.set((!is_new).then(|| Editing::User(Box::new(saved))));
            reload.run(());
            Ok(())
        });
    };

    let role_select = view! {
        <div class="field">
            <label class="field-label" for="user-role">{tr(T::Role)}</label>
            <select
                id="user-role"
                on:change=move |ev| {
                    if let Some(r) = Role::from_code(&event_target_value(&ev)) {
                        role.set(r);
                    }
                }
            >
                {Role::ALL
                    .iter()
                    .map(|r| {
                        let r = *r;
                        view! { <option value=r.code() prop:selected=move || role.get_untracked() == r>{label!(r)}</option> }
                    })
                    .collect_view()}
            </select>
            <FieldErrorsFor status=status field="role" label=T::Role/>
        </div>
    };
    let unit_select = view! {
        <div class="field">
            <label class="field-label" for="user-unit">
                {tr(T::OrgUnit)}
                <span class="required" aria-hidden="true">" *"</span>
            </label>
            <select id="user-unit" on:change=move |ev| unit.set(parse_uuid(&event_target_value(&ev)))>
                <option value="">{tr(T::ChooseUnit)}</option>
                {dyn_view(move || options_view(units.with(|u| unit_options(u)), unit.get_untracked()).into_any())}
            </select>
            <FieldErrorsFor status=status field="org_unit_id" label=T::OrgUnit/>
        </div>
    };
    let password_fields = if is_new {
        view! {
            <label class="check check-field">
                <input
                    type="checkbox"
                    id="user-sso-only"
                    prop:checked=move || sso_only.get()
                    on:change=move |ev| sso_only.set(event_target_checked(&ev))
                />
                <span>{tr(T::SsoOnlyLong)}</span>
            </label>
            <Show when=move || !sso_only.get()>
                <LabelledInput id="user-password" label=T::InitialPassword value=password field="password" status=status input_type="password"/>
            </Show>
        }
        .into_any()
    } else {
        view! {
            <LabelledInput id="user-password" label=T::ResetPassword value=password field="password" status=status input_type="password"/>
        }
        .into_any()
    };

    let title = if is_new { T::NewUser } else { T::EditUser };
    let extra =
        user.map(|u| view! { <UserActions user=u editing=editing flash=flash reload=reload/> });

    view! {
        <div class="card section user-editor" id="user-editor">
            <h2>{tr(title)}</h2>
            <form on:submit=on_save novalidate>
                <div class="form-grid">
                    {if is_new {
                        view! { <LabelledInput id="user-username" label=T::Username value=username field="username" status=status required=true/> }.into_any()
                    } else {
                        view! {
                            <div class="field">
                                <span class="field-label">{tr(T::Username)}</span>
                                <div class="mono static-value" id="user-username">{username.get_untracked()}</div>
                            </div>
                        }
                            .into_any()
                    }}
                    <LabelledInput id="user-display-name" label=T::DisplayName value=display_name field="display_name" status=status required=true/>
                    {role_select}
                    {unit_select}
                    {password_fields}
                    <LabelledInput id="user-employee-id" label=T::EmployeeId value=employee_id field="employee_id" status=status/>
                    <LabelledInput id="user-email" label=T::Email value=email field="email" status=status input_type="email"/>
                    <LabelledInput id="user-phone" label=T::Phone value=phone field="phone" status=status input_type="tel"/>
                </div>
                <FormNotice status=status/>
                <div class="form-actions">
                    <button type="button" class="btn" id="cancel-user" on:click=move |_| editing.set(None)>
                        {tr(T::Close)}
                    </button>
                    <button type="submit" class="btn btn-primary" id="save-user" prop:disabled=move || status.busy.get()>
                        {tr(T::Save)}
                    </button>
                </div>
            </form>
            {extra}
        </div>
    }
}

/// Deactivate / reactivate, and hand an account manager's clients to another.
#[component]
fn UserActions(
    user: UserRecord,
    editing: RwSignal<Option<Editing>>,
    flash: Flash,
    reload: Callback<()>,
) -> impl IntoView {
    let lang = use_lang();
    let id = user.id;
    let active = user.active;
    let is_manager = user.role == Role::AccountManager;
    let client_count = user.client_count;

    let active_status = FormStatus::new();
    let on_toggle = move |_| {
        let update = UpdateUser {
            active: Some(!active),
            ..Default::default()
        };
        let path = format!("/api/v1/users/{id}");
        submit(
            active_status,
            "PATCH",
            path,
            api::to_json(&update),
            move |text| {
                let saved: UserRecord = api::decode(&text)?;
                let message = if saved.active {
                    T::UserReactivated
                } else {
                    T::UserDeactivated
                };
                flash.set(Some((message, saved.display_name.clone())));
                editing.set(Some(Editing::User(Box::new(saved))));
                reload.run(());
                Ok(())
            },
        );
    };

    let target = RwSignal::new(None::<Uuid>);
    let reassign_status = FormStatus::new();
    // Active account managers, the possible new owners.
    let managers = get_resource(|| "/api/v1/users?role=account_manager".to_owned());
    let on_reassign = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(to) = target.get_untracked() else {
            reassign_status
                .errors
                .set(vec![domain::validation::FieldError::required("to_user_id")]);
            return;
        };
        let body = api::to_json(&ReassignClients { to_user_id: to });
        let path = format!("/api/v1/users/{id}/reassign-clients");
        submit(reassign_status, "POST", path, body, move |text| {
            let result: ReassignResult = api::decode(&text)?;
            flash.set(Some((T::ClientsMoved, result.moved.to_string())));
            // The counts changed: close the editor and show the list as it is now.
            editing.set(None);
            reload.run(());
            Ok(())
        });
    };

    view! {
        <div class="user-actions">
            <h3>{tr(T::Status)}</h3>
            <div class="confirm-row">
                {if active {
                    view! { <span class="badge badge-ok">{tr(T::Active)}</span> }.into_any()
                } else {
                    view! { <span class="badge badge-off">{tr(T::Inactive)}</span> }.into_any()
                }}
                <button
                    type="button"
                    id="toggle-active"
                    class=if active { "btn btn-danger-outline" } else { "btn" }
                    prop:disabled=move || active_status.busy.get()
                    on:click=on_toggle
                >
                    {tr(if active { T::Deactivate } else { T::Reactivate })}
                </button>
            </div>
            <FormNotice status=active_status/>

            {is_manager
                .then(|| {
                    view! {
                        <form on:submit=on_reassign novalidate class="reassign-form">
                            <h3>{tr(T::ReassignClients)}</h3>
                            <p class="muted small">
                                {dyn_text(move || T::OwnsClients.get(lang.get()).replace("{}", &client_count.to_string()))}
                            </p>
                            <div class="field">
                                <label class="field-label" for="reassign-to">{tr(T::ReassignTo)}</label>
                                <select id="reassign-to" on:change=move |ev| target.set(parse_uuid(&event_target_value(&ev)))>
                                    <option value="">{tr(T::ChooseManager)}</option>
                                    {dyn_view(move || {
                                        let list = loaded::<Vec<UserRecord>>(managers)
                                            .and_then(Result::ok)
                                            .unwrap_or_default()
                                            .into_iter()
                                            .filter(|u| u.id != id)
                                            .map(|u| (u.display_name.clone(), u.id, format!("{} · {}", u.display_name, u.org_unit_name)))
                                            .collect();
                                        options_view(sorted_options(list), target.get_untracked()).into_any()
                                    })}
                                </select>
                                <FieldErrorsFor status=reassign_status field="to_user_id" label=T::ReassignTo/>
                            </div>
                            <FormNotice status=reassign_status/>
                            <div class="form-actions">
                                <button type="submit" class="btn" id="reassign-clients" prop:disabled=move || reassign_status.busy.get()>
                                    {tr(T::Reassign)}
                                </button>
                            </div>
                        </form>
                    }
                })}
        </div>
    }
}
