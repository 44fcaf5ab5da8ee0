//! Pieces shared by several pages: error boxes, org-tree helpers, forms, HTML-text blocks.

use crate::api::{self, ApiError};
use crate::app::OrgUnits;
use crate::i18n::{tr, T};
use crate::state::use_lang;
use domain::org::{OrgLevel, OrgUnit, Role, UserInfo};
use domain::Lang;
use leptos::prelude::*;
use uuid::Uuid;

/// An API error in the user's language, with an optional retry button.
#[component]
pub fn ErrorBox(
    error: ApiError,
    #[prop(optional, into)] retry: Option<Callback<()>>,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="alert alert-error" role="alert">
            <span>{move || error.message(lang.get())}</span>
            {retry
                .map(|retry| {
                    view! {
                        <button type="button" class="btn btn-small" on:click=move |_| retry.run(())>
                            {tr(T::Retry)}
                        </button>
                    }
                })}
        </div>
    }
}

/// A "loading" line for `Suspense` fallbacks.
#[component]
pub fn LoadingLine() -> impl IntoView {
    view! { <div class="loading" aria-busy="true">{tr(T::Loading)}</div> }
}

/// Options for a select: (id, name), sorted by the given key.
///
/// One non-generic sort for every list of the app keeps the WASM small (each sort
/// instantiation costs kilobytes).
pub fn sorted_options(mut list: Vec<(String, Uuid, String)>) -> Vec<(Uuid, String)> {
    list.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    list.into_iter().map(|(_, id, name)| (id, name)).collect()
}

/// The cities of the tree as select options, by division code.
pub fn cities(units: &[OrgUnit]) -> Vec<(Uuid, String)> {
    sorted_options(
        units
            .iter()
            .filter(|u| u.level == OrgLevel::City)
            .map(|u| (u.code.clone(), u.id, u.name.clone()))
            .collect(),
    )
}

/// The counties under a city as select options, by division code.
pub fn counties_of(units: &[OrgUnit], city: Uuid) -> Vec<(Uuid, String)> {
    sorted_options(
        units
            .iter()
            .filter(|u| u.level == OrgLevel::County && u.parent_id == Some(city))
            .map(|u| (u.code.clone(), u.id, u.name.clone()))
            .collect(),
    )
}

/// People as select options, by name.
pub fn people(users: Vec<UserInfo>) -> Vec<(Uuid, String)> {
    sorted_options(
        users
            .into_iter()
            .map(|u| (u.display_name.clone(), u.id, u.display_name))
            .collect(),
    )
}

/// Renders select options with the one matching `selected` chosen.
pub fn options_view(list: Vec<(Uuid, String)>, selected: Option<Uuid>) -> impl IntoView {
    list.into_iter()
        .map(|(id, name)| {
            let is_selected = selected == Some(id);
            view! { <option value=id.to_string() prop:selected=is_selected>{name}</option> }
        })
        .collect_view()
}

/// The organisation tree loaded by the shell; empty until it arrives.
pub fn org_unit_list() -> Memo<Vec<OrgUnit>> {
    let org_units = use_context::<OrgUnits>();
    Memo::new(move |_| {
        org_units
            .and_then(|OrgUnits(r)| r.get())
            .and_then(Result::ok)
            .unwrap_or_default()
    })
}

/// Account managers within a unit's subtree (every one visible for `None`), reloaded when the
/// unit changes.
pub fn account_managers(
    unit: Memo<Option<Uuid>>,
) -> LocalResource<Result<Vec<UserInfo>, ApiError>> {
    LocalResource::new(move || {
        let unit = unit.get();
        async move { api::users(Some(Role::AccountManager), unit).await }
    })
}

/// The (city, county) a unit stands for in the cascading selects.
pub fn city_and_county(units: &[OrgUnit], id: Option<Uuid>) -> (Option<Uuid>, Option<Uuid>) {
    let Some(unit) = id.and_then(|id| units.iter().find(|u| u.id == id)) else {
        return (None, None);
    };
    match unit.level {
        OrgLevel::Province => (None, None),
        OrgLevel::City => (Some(unit.id), None),
        OrgLevel::County => (unit.parent_id, Some(unit.id)),
    }
}

/// Parses an `<option>` value holding a UUID; empty means "none".
pub fn parse_uuid(value: &str) -> Option<Uuid> {
    Uuid::parse_str(value.trim()).ok()
}

// ---- Forms of the administration pages ----

/// The state of one small form: field errors, a message for the whole form, a busy flag.
#[derive(Clone, Copy)]
pub struct FormStatus {
    /// Per-field errors (from the server's 422/409 or checked here first).
    pub errors: RwSignal<Vec<domain::validation::FieldError>>,
    /// The server's error for the whole form.
    pub notice: RwSignal<Option<ApiError>>,
    /// A request is under way.
    pub busy: RwSignal<bool>,
}

impl FormStatus {
    /// An empty status.
    pub fn new() -> Self {
        Self {
            errors: RwSignal::new(Vec::new()),
            notice: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }

    /// Starts a request: false when one is already running.
    pub fn start(&self) -> bool {
        if self.busy.get_untracked() {
            return false;
        }
        self.clear();
        self.busy.set(true);
        true
    }

    /// Forgets errors and messages.
    pub fn clear(&self) {
        self.errors.set(Vec::new());
        self.notice.set(None);
    }

    /// Ends a request that failed: its field errors go next to the fields.
    pub fn fail(&self, error: ApiError) {
        // `try_set`: the form may be gone by the time the answer arrives.
        self.busy.try_set(false);
        self.errors.try_set(error.field_errors().to_vec());
        self.notice.try_set(Some(error));
    }

    /// Ends a request that worked.
    pub fn done(&self) {
        self.busy.try_set(false);
    }
}

impl Default for FormStatus {
    fn default() -> Self {
        Self::new()
    }
}

/// A field error's text with the field's path (`username`, `base_lat`…) replaced by its name.
pub fn field_error_text(error: &domain::validation::FieldError, label: &str, lang: Lang) -> String {
    let message = match lang {
        Lang::Zh => &error.message_zh,
        Lang::En => &error.message,
    };
    match message.strip_prefix(error.field.as_str()) {
        Some(rest) if !error.field.is_empty() => format!("{label}{rest}"),
        _ => message.clone(),
    }
}

/// A field's name in both languages: an i18n key, or a (Chinese, English) pair.
pub trait Label: Copy + Send + Sync + 'static {
    /// The name in `lang`.
    fn text(self, lang: Lang) -> &'static str;
}

impl Label for T {
    fn text(self, lang: Lang) -> &'static str {
        self.get(lang)
    }
}

impl Label for (&'static str, &'static str) {
    fn text(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.0,
            Lang::En => self.1,
        }
    }
}

/// Whether `field` has an error among `errors`, for `aria-invalid` and the red border.
pub fn has_error(
    errors: impl With<Value = Vec<domain::validation::FieldError>>,
    field: &str,
) -> bool {
    errors.with(|all| all.iter().any(|e| e.field == field))
}

/// The errors of `field` among `errors`, each a line under its input naming the field by
/// `label`.
pub fn field_errors<E>(errors: E, field: &'static str, label: impl Label) -> AnyView
where
    E: With<Value = Vec<domain::validation::FieldError>> + Copy + Send + Sync + 'static,
{
    let lang = use_lang();
    dyn_view(move || {
        let lang = lang.get();
        errors
            .with(|all| {
                all.iter()
                    .filter(|e| e.field == field)
                    .map(|e| field_error_text(e, label.text(lang), lang))
                    .collect::<Vec<_>>()
            })
            .into_iter()
            .map(|text| view! { <div class="field-error" data-field=field>{text}</div> })
            .collect_view()
            .into_any()
    })
}

/// The errors of one field, under its input.
#[component]
pub fn FieldErrorsFor(status: FormStatus, field: &'static str, label: T) -> impl IntoView {
    field_errors(status.errors, field, label)
}

/// A labelled input (a textarea of `rows` lines when given) bound to a text signal, with its
/// field errors; the label is an i18n key or a (Chinese, English) pair.
#[component]
pub fn LabelledInput<L: Label>(
    id: &'static str,
    label: L,
    value: RwSignal<String>,
    field: &'static str,
    status: FormStatus,
    #[prop(optional)] input_type: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] rows: Option<u32>,
) -> impl IntoView {
    let lang = use_lang();
    let invalid = move || has_error(status.errors, field);
    let input = match rows {
        Some(rows) => view! {
            <textarea
                id=id
                name=field
                rows=rows
                class:invalid=invalid
                aria-invalid=move || if invalid() { "true" } else { "false" }
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
        }
        .into_any(),
        None => view! {
            <input
                id=id
                name=field
                type=input_type.unwrap_or("text")
                autocomplete="off"
                class:invalid=invalid
                aria-invalid=move || if invalid() { "true" } else { "false" }
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        }
        .into_any(),
    };
    view! {
        <div class="field">
            <label class="field-label" for=id>
                {move || label.text(lang.get())}
                {required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}
            </label>
            {input}
            {field_errors(status.errors, field, label)}
        </div>
    }
}

/// The server's message for a whole form, when there is one.
#[component]
pub fn FormNotice(status: FormStatus) -> impl IntoView {
    let lang = use_lang();
    move || {
        status.notice.get().map(|error| {
            view! {
                <div class="alert alert-error form-notice" role="alert">
                    <span>{error.message(lang.get())}</span>
                </div>
            }
        })
    }
}

/// A success message: a phrase with `{}` replaced by `arg` (a count, a name).
pub type Flash = RwSignal<Option<(T, String)>>;

/// Shows a [`Flash`] while it is set.
#[component]
pub fn FlashLine(flash: Flash) -> impl IntoView {
    let lang = use_lang();
    move || {
        flash.get().map(|(key, arg)| {
            view! {
                <div class="alert alert-ok" role="status" id="flash">
                    <span>{key.get(lang.get()).replace("{}", &arg)}</span>
                </div>
            }
        })
    }
}

/// Every unit in tree order (province, each city followed by its counties), names indented by
/// level, as select options.
pub fn unit_options(units: &[OrgUnit]) -> Vec<(Uuid, String)> {
    fn walk(units: &[OrgUnit], parent: Option<Uuid>, depth: usize, out: &mut Vec<(Uuid, String)>) {
        let children = sorted_options(
            units
                .iter()
                .filter(|u| u.parent_id == parent)
                .map(|u| (u.code.clone(), u.id, u.name.clone()))
                .collect(),
        );
        for (id, name) in children {
            out.push((id, format!("{}{name}", "\u{3000}".repeat(depth))));
            if depth < 8 {
                walk(units, Some(id), depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(units, None, 0, &mut out);
    out
}

// ---- Size-conscious building blocks ----
//
// Leptos compiles the rendering code of a reactive closure, a resource or a spawned future once
// per closure type. These helpers box the caller's closure and hand it to one closure type of
// their own, so however many pages use them, that code exists once in the WASM.

/// The JSON text of `GET path()`; loads again when a signal read by `path` changes.
pub type TextResource = LocalResource<Result<String, ApiError>>;

/// A [`TextResource`] for the path `path` computes.
pub fn get_resource(path: impl Fn() -> String + 'static) -> TextResource {
    get_resource_boxed(Box::new(path))
}

fn get_resource_boxed(path: Box<dyn Fn() -> String>) -> TextResource {
    LocalResource::new(move || {
        let path = path();
        async move { api::call("GET", &path, None).await }
    })
}

/// The decoded value of a loaded resource; `None` while loading.
pub fn loaded<R: serde::de::DeserializeOwned>(
    resource: TextResource,
) -> Option<Result<R, ApiError>> {
    resource
        .get()
        .map(|result| result.and_then(|text| api::decode(&text)))
}

/// A view that re-renders when the signals `f` reads change.
pub fn dyn_view(f: impl Fn() -> AnyView + Send + Sync + 'static) -> AnyView {
    dyn_view_boxed(std::sync::Arc::new(f))
}

fn dyn_view_boxed(f: std::sync::Arc<dyn Fn() -> AnyView + Send + Sync>) -> AnyView {
    (move || f()).into_any()
}

/// Text that follows the signals `f` reads (the language, most often).
pub fn dyn_text(f: impl Fn() -> String + Send + Sync + 'static) -> AnyView {
    dyn_text_boxed(std::sync::Arc::new(f))
}

fn dyn_text_boxed(f: std::sync::Arc<dyn Fn() -> String + Send + Sync>) -> AnyView {
    (move || f()).into_any()
}

/// Sends a write for a form: `status` is busy meanwhile and gets the error if it fails; on
/// success `on_ok` gets the response body (its error, e.g. an unreadable body, goes to `status`).
pub fn submit(
    status: FormStatus,
    method: &'static str,
    path: String,
    body: Option<String>,
    on_ok: impl FnOnce(String) -> Result<(), ApiError> + 'static,
) {
    if status.start() {
        submit_boxed(status, method, path, body, Box::new(on_ok));
    }
}

fn submit_boxed(
    status: FormStatus,
    method: &'static str,
    path: String,
    body: Option<String>,
    on_ok: Box<dyn FnOnce(String) -> Result<(), ApiError>>,
) {
    leptos::task::spawn_local(async move {
        match api::call(method, &path, body).await {
            Ok(text) => {
                status.done();
                if let Err(error) = on_ok(text) {
                    status.fail(error);
                }
            }
            Err(error) => status.fail(error),
        }
    });
}

// ---- Read-only lists as HTML text ----
//
// Long read-only lists (users, tokens, audit entries, the org tree) are written as HTML text and
// set with `inner_html`: a `format!` per row instead of a typed view per cell keeps the WASM much
// smaller. Every piece of data goes through [`esc`]; buttons inside carry `data-act` and
// `data-id`, and one click handler on the container reads them ([`acted_on`]).

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    domain::export::html_escape(text)
}

/// The `(data-act, data-id)` of the element with `data-act` that a click landed in.
pub fn acted_on(ev: &leptos::ev::MouseEvent) -> Option<(String, String)> {
    use wasm_bindgen::JsCast;
    let element = ev
        .target()?
        .dyn_into::<web_sys::Element>()
        .ok()?
        .closest("[data-act]")
        .ok()??;
    Some((
        element.get_attribute("data-act")?,
        element.get_attribute("data-id").unwrap_or_default(),
    ))
}

/// A block of HTML text that re-renders from `html()`, with one click handler for the
/// `data-act` buttons and links inside it (`on_act` gets their `data-act` and `data-id`).
pub fn html_block(
    id: &'static str,
    html: impl Fn() -> String + Send + Sync + 'static,
    on_act: impl Fn(String, String) + 'static,
) -> AnyView {
    html_block_boxed(id, std::sync::Arc::new(html), Box::new(on_act))
}

fn html_block_boxed(
    id: &'static str,
    html: std::sync::Arc<dyn Fn() -> String + Send + Sync>,
    on_act: Box<dyn Fn(String, String)>,
) -> AnyView {
    view! {
        <div
            id=id
            class="html-block"
            inner_html=move || html()
            on:click=move |ev| {
                if let Some((act, id)) = acted_on(&ev) {
                    on_act(act, id);
                }
            }
        ></div>
    }
    .into_any()
}

/// Builds a data table as HTML text (a table on wide screens, cards on phones).
pub struct HtmlTable(String);

impl HtmlTable {
    /// A table with the given extra class and (already translated) column headers.
    pub fn new(class: &str, headers: &[&str]) -> Self {
        let mut html = format!("<table class=\"data-table stack-table {class}\"><thead><tr>");
        for header in headers {
            html.push_str("<th>");
            html.push_str(&esc(header));
            html.push_str("</th>");
        }
        html.push_str("</tr></thead><tbody>");
        Self(html)
    }

    /// Starts a row; `attrs` is raw attribute text (escape its values).
    pub fn row(&mut self, class: &str, attrs: &str) {
        self.0.push_str(&format!("<tr class=\"{class}\" {attrs}>"));
    }

    /// A cell labelled for the phone layout; `inner` is HTML.
    pub fn cell(&mut self, label: &str, class: &str, inner: &str) {
        self.0.push_str(&format!(
            "<td class=\"{class}\" data-label=\"{}\">{inner}</td>",
            esc(label)
        ));
    }

    /// The finished table.
    pub fn finish(mut self) -> String {
        self.0.push_str("</tbody></table>");
        self.0
    }
}

/// A badge as HTML.
pub fn badge_html(class: &str, text: &str) -> String {
    format!("<span class=\"badge {class}\">{}</span>", esc(text))
}

/// Today's instant as the browser knows it, in milliseconds since the epoch.
pub fn now_millis() -> i64 {
    js_sys::Date::now() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_is_escaped() {
        assert_eq!(
            esc(r#"<b onclick="x">A&B's</b>"#),
            "&lt;b onclick=&quot;x&quot;&gt;A&amp;B&#39;s&lt;/b&gt;"
        );
        assert_eq!(esc("长沙市"), "长沙市");
    }

    #[test]
    fn field_errors_name_the_field() {
        let error = domain::validation::FieldError::required("username");
        assert_eq!(
            field_error_text(&error, "用户名", Lang::Zh),
            "用户名 为必填项"
        );
        assert_eq!(
            field_error_text(&error, "Username", Lang::En),
            "Username is required"
        );
    }

    #[test]
    fn units_are_listed_in_tree_order_and_indented() {
        let unit = |id: u128, parent: Option<u128>, level, name: &str, code: &str| OrgUnit {
            id: Uuid::from_u128(id),
            parent_id: parent.map(Uuid::from_u128),
            level,
            name: name.into(),
            code: code.into(),
            base_lat: None,
            base_lon: None,
        };
        let units = [
            unit(3, Some(1), OrgLevel::City, "株洲市", "430200"),
            unit(4, Some(2), OrgLevel::County, "浏阳市", "430181"),
            unit(1, None, OrgLevel::Province, "湖南省", "430000"),
            unit(2, Some(1), OrgLevel::City, "长沙市", "430100"),
        ];
        let names: Vec<String> = unit_options(&units).into_iter().map(|(_, n)| n).collect();
        assert_eq!(
            names,
            [
                "湖南省",
                "\u{3000}长沙市",
                "\u{3000}\u{3000}浏阳市",
                "\u{3000}株洲市"
            ]
        );
    }
}

/// A section's sub-navigation: one tab per (key, path, Chinese, English), the current page's
/// tab marked. Tabs are `#{section}-tab-{key}` inside `nav.tabs.{section}-nav`.
pub fn section_tabs(
    section: &'static str,
    aria_label: &'static str,
    tabs: &'static [(&'static str, &'static str, &'static str, &'static str)],
) -> AnyView {
    let lang = use_lang();
    let location = leptos_router::hooks::use_location();
    view! {
        <nav class=format!("tabs {section}-nav") aria-label=aria_label>
            {tabs
                .iter()
                .map(|&(key, href, zh, en)| {
                    let active = move || location.pathname.with(|p| p.trim_end_matches('/') == href);
                    view! {
                        <a
                            href=href
                            id=format!("{section}-tab-{key}")
                            class=move || if active() { "tab active" } else { "tab" }
                            aria-current=move || if active() { "page" } else { "false" }
                        >
                            {move || (zh, en).text(lang.get())}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
    .into_any()
}

/// A pager below a list: previous / next (`#{id}-prev`, `#{id}-next`) and "page X of Y" from
/// the list's (total, per page).
pub fn pager(id: &'static str, page: RwSignal<u64>, total: Memo<Option<(u64, u64)>>) -> AnyView {
    let lang = use_lang();
    let pages = move || {
        total.get().map_or(1, |(total, per_page)| {
            total.div_ceil(per_page.max(1)).max(1)
        })
    };
    view! {
        <div class="pager">
            <button
                type="button"
                class="btn btn-small"
                id=format!("{id}-prev")
                disabled=move || page.get() <= 1
                on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))
            >
                {move || ("上一页", "Previous").text(lang.get())}
            </button>
            <span class="muted">
                {move || match lang.get() {
                    Lang::Zh => format!("第 {} / {} 页", page.get(), pages()),
                    Lang::En => format!("Page {} of {}", page.get(), pages()),
                }}
            </span>
            <button
                type="button"
                class="btn btn-small"
                id=format!("{id}-next")
                disabled=move || page.get() >= pages()
                on:click=move |_| page.update(|p| *p += 1)
            >
                {move || ("下一页", "Next").text(lang.get())}
            </button>
        </div>
    }
    .into_any()
}
