//! `/admin/org`: the organisation tree (province → cities → counties), collapsible; the
//! selected unit can be edited, moved, given a sub-unit, or deleted when empty.

use crate::api;
use crate::app::OrgUnits;
use crate::components::{
    acted_on, badge_html, dyn_view, esc, options_view, org_unit_list, parse_uuid, sorted_options,
    submit, Flash, FlashLine, FormNotice, FormStatus, LabelledInput,
};
use crate::i18n::{tr, T};
use crate::pages::admin::AdminFrame;
use crate::state::use_lang;
use domain::org::{NewOrgUnit, OrgLevel, OrgUnit, UpdateOrgUnit};
use domain::validation::FieldError;
use domain::Lang;
use leptos::prelude::*;
use uuid::Uuid;

/// `/admin/org`.
#[component]
pub fn AdminOrgPage() -> impl IntoView {
    view! {
        <AdminFrame title=T::OrgTree>
            <OrgAdmin/>
        </AdminFrame>
    }
}

/// Shared by the tree and the unit panel.
#[derive(Clone, Copy)]
struct Tree {
    units: Memo<Vec<OrgUnit>>,
    selected: RwSignal<Option<Uuid>>,
    /// Units whose open/closed state differs from the default (the province open, others closed).
    toggled: RwSignal<Vec<Uuid>>,
    flash: Flash,
    /// Loads the tree again (the shell's copy, so every page sees the change).
    reload: Callback<()>,
}

impl Tree {
    fn is_open(&self, id: Uuid, level: OrgLevel) -> bool {
        let toggled = self.toggled.with(|t| t.contains(&id));
        (level == OrgLevel::Province) != toggled
    }

    /// Opens a unit (so a new sub-unit is seen).
    fn open(&self, id: Uuid) {
        let default_open = self.units.with_untracked(|u| {
            u.iter()
                .any(|x| x.id == id && x.level == OrgLevel::Province)
        });
        self.toggled.update(|t| {
            t.retain(|x| *x != id);
            if !default_open {
                t.push(id);
            }
        });
    }
}

#[component]
fn OrgAdmin() -> impl IntoView {
    let shared = use_context::<OrgUnits>();
    let tree = Tree {
        units: org_unit_list(),
        selected: RwSignal::new(None),
        toggled: RwSignal::new(Vec::new()),
        flash: RwSignal::new(None),
        reload: Callback::new(move |_| {
            if let Some(OrgUnits(resource)) = shared {
                resource.refetch();
            }
        }),
    };
    let load_error = dyn_view(move || {
        shared
            .and_then(|OrgUnits(r)| r.get())
            .and_then(Result::err)
            .map(|error| view! { <crate::components::ErrorBox error=error retry=move |_| tree.reload.run(())/> })
            .into_any()
    });
    let lang = use_lang();
    let tree_text = move || {
        let mut html = String::new();
        tree.units
            .with(|u| tree_html(u, None, tree, lang.get(), &mut html));
        html
    };
    let on_tree_click = move |ev: leptos::ev::MouseEvent| {
        let Some((act, id)) = acted_on(&ev) else {
            return;
        };
        let Some(id) = parse_uuid(&id) else {
            return;
        };
        if act == "toggle" {
            tree.toggled.update(|t| {
                if let Some(i) = t.iter().position(|x| *x == id) {
                    t.remove(i);
                } else {
                    t.push(id);
                }
            });
        } else {
            tree.flash.set(None);
            tree.selected.set(Some(id));
        }
    };
    view! {
        <FlashLine flash=tree.flash/>
        {load_error}
        <div class="org-admin">
            <div class="card org-tree-card">
                <p class="muted small">{tr(T::OrgTreeHint)}</p>
                <div id="org-tree" on:click=on_tree_click inner_html=tree_text></div>
            </div>
            <div class="org-panel">
                {dyn_view(move || {
                    let unit = tree
                        .selected
                        .get()
                        .and_then(|id| tree.units.with(|u| u.iter().find(|x| x.id == id).cloned()));
                    match unit {
                        Some(unit) => view! { <UnitPanel unit=unit tree=tree/> }.into_any(),
                        None => view! { <div class="card muted">{tr(T::SelectUnit)}</div> }.into_any(),
                    }
                })}
            </div>
        </div>
    }
}

/// The units under `parent` (sorted by division code) as HTML, each followed by its own
/// sub-tree when open. Buttons carry `data-act` (`toggle` / `select`) and the unit's id.
fn tree_html(units: &[OrgUnit], parent: Option<Uuid>, tree: Tree, lang: Lang, out: &mut String) {
    let children = sorted_options(
        units
            .iter()
            .filter(|u| u.parent_id == parent)
            .map(|u| (u.code.clone(), u.id, u.name.clone()))
            .collect(),
    );
    if children.is_empty() {
        return;
    }
    out.push_str(if parent.is_none() {
        "<ul class=\"org-tree\">"
    } else {
        "<ul class=\"org-tree nested\">"
    });
    let selected = tree.selected.get();
    for unit in children
        .iter()
        .filter_map(|(id, _)| units.iter().find(|u| u.id == *id))
    {
        let id = unit.id;
        let has_children = units.iter().any(|u| u.parent_id == Some(id));
        let open = has_children && tree.is_open(id, unit.level);
        let class = if selected == Some(id) {
            "org-node selected"
        } else {
            "org-node"
        };
        out.push_str(&format!("<li class=\"org-item\"><div class=\"{class}\">"));
        if has_children {
            out.push_str(&format!(
                "<button type=\"button\" class=\"org-toggle\" data-act=\"toggle\" data-id=\"{id}\" aria-expanded=\"{open}\" aria-label=\"{}\">{}</button>",
                esc(T::ShowSubUnits.get(lang)),
                if open { "▾" } else { "▸" },
            ));
        } else {
            out.push_str("<span class=\"org-toggle\"></span>");
        }
        out.push_str(&format!(
            "<button type=\"button\" class=\"org-name\" data-act=\"select\" data-id=\"{id}\">{}</button> \
             <span class=\"mono muted\">{}</span> {}</div>",
            esc(&unit.name),
            esc(&unit.code),
            badge_html("", unit.level.label(lang)),
        ));
        if open {
            tree_html(units, Some(id), tree, lang, out);
        }
        out.push_str("</li>");
    }
    out.push_str("</ul>");
}

fn text_of(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Reads an optional coordinate; an unreadable one is a field error.
fn coordinate(text: &str, field: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ => {
            errors.push(FieldError::new(
                field,
                "invalid_type",
                format!("{field} must be a number"),
                format!("{field} 必须是数字"),
            ));
            None
        }
    }
}

/// The inputs of a unit's own fields.
#[derive(Clone, Copy)]
struct UnitInputs {
    name: RwSignal<String>,
    code: RwSignal<String>,
    lat: RwSignal<String>,
    lon: RwSignal<String>,
}

impl UnitInputs {
    fn new(unit: Option<&OrgUnit>) -> Self {
        Self {
            name: RwSignal::new(unit.map(|u| u.name.clone()).unwrap_or_default()),
            code: RwSignal::new(unit.map(|u| u.code.clone()).unwrap_or_default()),
            lat: RwSignal::new(text_of(unit.and_then(|u| u.base_lat))),
            lon: RwSignal::new(text_of(unit.and_then(|u| u.base_lon))),
        }
    }

    /// (name, code, lat, lon) as typed, or the field errors of unreadable coordinates.
    #[allow(clippy::type_complexity)]
    fn read(&self) -> Result<(String, String, Option<f64>, Option<f64>), Vec<FieldError>> {
        let mut errors = Vec::new();
        let lat = coordinate(&self.lat.get_untracked(), "base_lat", &mut errors);
        let lon = coordinate(&self.lon.get_untracked(), "base_lon", &mut errors);
        if errors.is_empty() {
            Ok((
                self.name.get_untracked().trim().to_owned(),
                self.code.get_untracked().trim().to_owned(),
                lat,
                lon,
            ))
        } else {
            Err(errors)
        }
    }
}

/// Name, code and base position inputs, with ids prefixed by `prefix`.
#[component]
fn UnitFields(inputs: UnitInputs, status: FormStatus, prefix: &'static str) -> impl IntoView {
    // Ids are static strings (one set per form) so labels can point at them.
    let ids: [&'static str; 4] = match prefix {
        "child" => ["child-name", "child-code", "child-lat", "child-lon"],
        _ => ["unit-name", "unit-code", "unit-lat", "unit-lon"],
    };
    view! {
        <div class="form-grid">
            <LabelledInput id=ids[0] label=T::UnitName value=inputs.name field="name" status=status required=true/>
            <LabelledInput id=ids[1] label=T::DivisionCode value=inputs.code field="code" status=status required=true/>
            <LabelledInput id=ids[2] label=T::BaseLat value=inputs.lat field="base_lat" status=status/>
            <LabelledInput id=ids[3] label=T::BaseLon value=inputs.lon field="base_lon" status=status/>
        </div>
    }
}

/// The selected unit: edit, move, add a sub-unit, delete.
#[component]
fn UnitPanel(unit: OrgUnit, tree: Tree) -> impl IntoView {
    let id = unit.id;
    let level = unit.level;
    let has_children = tree
        .units
        .with_untracked(|u| u.iter().any(|x| x.parent_id == Some(id)));

    // Edit the unit's own fields.
    let edit = UnitInputs::new(Some(&unit));
    let edit_status = FormStatus::new();
    let original = StoredValue::new(unit.clone());
    let on_save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (name, code, lat, lon) = match edit.read() {
            Ok(values) => values,
            Err(errors) => return edit_status.errors.set(errors),
        };
        let old = original.get_value();
        let update = UpdateOrgUnit {
            parent_id: None,
            name: (name != old.name).then_some(name),
            code: (code != old.code).then_some(code),
            base_lat: lat.filter(|v| Some(*v) != old.base_lat),
            base_lon: lon.filter(|v| Some(*v) != old.base_lon),
        };
        let path = format!("/api/v1/org-units/{id}");
        submit(
            edit_status,
            "PATCH",
            path,
            api::to_json(&update),
            move |text| {
                let unit: OrgUnit = api::decode(&text)?;
                tree.flash.set(Some((T::UnitSaved, unit.name)));
                tree.reload.run(());
                Ok(())
            },
        );
    };

    // Move under another parent of the level above.
    let parent_level = level.parent_level();
    let current_parent = unit.parent_id;
    let candidates = Memo::new(move |_| {
        let Some(wanted) = parent_level else {
            return Vec::new();
        };
        tree.units.with(|u| {
            sorted_options(
                u.iter()
                    .filter(|x| x.level == wanted && Some(x.id) != current_parent)
                    .map(|x| (x.code.clone(), x.id, x.name.clone()))
                    .collect(),
            )
        })
    });
    let move_to = RwSignal::new(None::<Uuid>);
    let move_status = FormStatus::new();
    let on_move = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(parent) = move_to.get_untracked() else {
            return move_status
                .errors
                .set(vec![FieldError::required("parent_id")]);
        };
        let update = UpdateOrgUnit {
            parent_id: Some(parent),
            ..Default::default()
        };
        let path = format!("/api/v1/org-units/{id}");
        submit(
            move_status,
            "PATCH",
            path,
            api::to_json(&update),
            move |text| {
                let unit: OrgUnit = api::decode(&text)?;
                tree.open(parent);
                tree.flash.set(Some((T::UnitMoved, unit.name)));
                tree.reload.run(());
                Ok(())
            },
        );
    };

    // Add a unit one level below.
    let child_level = match level {
        OrgLevel::Province => Some(OrgLevel::City),
        OrgLevel::City => Some(OrgLevel::County),
        OrgLevel::County => None,
    };
    let child = UnitInputs::new(None);
    let child_status = FormStatus::new();
    let on_create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(child_level) = child_level else {
            return;
        };
        let (name, code, base_lat, base_lon) = match child.read() {
            Ok(values) => values,
            Err(errors) => return child_status.errors.set(errors),
        };
        let new = NewOrgUnit {
            parent_id: Some(id),
            level: child_level,
            name,
            code,
            base_lat,
            base_lon,
        };
        let path = "/api/v1/org-units".to_owned();
        submit(
            child_status,
            "POST",
            path,
            api::to_json(&new),
            move |text| {
                let unit: OrgUnit = api::decode(&text)?;
                tree.open(id);
                tree.selected.set(Some(unit.id));
                tree.flash.set(Some((T::UnitCreated, unit.name)));
                tree.reload.run(());
                Ok(())
            },
        );
    };

    // Delete, after a second click.
    let confirming = RwSignal::new(false);
    let delete_status = FormStatus::new();
    let name_for_delete = unit.name.clone();
    let on_delete = move |_| {
        let name = name_for_delete.clone();
        confirming.set(false);
        submit(
            delete_status,
            "DELETE",
            format!("/api/v1/org-units/{id}"),
            None,
            move |_| {
                tree.selected.set(None);
                tree.flash.set(Some((T::UnitDeleted, name)));
                tree.reload.run(());
                Ok(())
            },
        );
    };

    view! {
        <div class="card section unit-panel" id="unit-panel">
            <h2>
                {unit.name.clone()} " " <span class="badge">{label!(level)}</span>
            </h2>
            <form on:submit=on_save novalidate>
                <h3>{tr(T::EditUnit)}</h3>
                <UnitFields inputs=edit status=edit_status prefix="unit"/>
                <FormNotice status=edit_status/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" id="save-unit" prop:disabled=move || edit_status.busy.get()>
                        {tr(T::Save)}
                    </button>
                </div>
            </form>

            {dyn_view(move || {
                (!candidates.with(Vec::is_empty))
                    .then(|| {
                        view! {
                            <form on:submit=on_move novalidate>
                                <h3>{tr(T::MoveUnit)}</h3>
                                <div class="field">
                                    <label class="field-label" for="move-parent">{tr(T::NewParent)}</label>
                                    <select
                                        id="move-parent"
                                        on:change=move |ev| move_to.set(parse_uuid(&event_target_value(&ev)))
                                    >
                                        <option value="">{tr(T::ChooseUnit)}</option>
                                        {dyn_view(move || options_view(candidates.get(), move_to.get_untracked()).into_any())}
                                    </select>
                                    <crate::components::FieldErrorsFor status=move_status field="parent_id" label=T::NewParent/>
                                </div>
                                <FormNotice status=move_status/>
                                <div class="form-actions">
                                    <button type="submit" class="btn" id="move-unit" prop:disabled=move || move_status.busy.get()>
                                        {tr(T::Move)}
                                    </button>
                                </div>
                            </form>
                        }
                    })
                    .into_any()
            })}

            {child_level
                .map(|child_level| {
                    view! {
                        <form on:submit=on_create novalidate>
                            <h3>{tr(T::AddSubUnit)} " · " {label!(child_level)}</h3>
                            <UnitFields inputs=child status=child_status prefix="child"/>
                            <FormNotice status=child_status/>
                            <div class="form-actions">
                                <button type="submit" class="btn btn-primary" id="create-unit" prop:disabled=move || child_status.busy.get()>
                                    "+ "
                                    {tr(T::Create)}
                                </button>
                            </div>
                        </form>
                    }
                })}

            {(level != OrgLevel::Province)
                .then(|| {
                    view! {
                        <div class="danger-zone">
                            <h3>{tr(T::DeleteUnit)}</h3>
                            <p class="muted small">
                                {tr(if has_children { T::DeleteUnitHasChildren } else { T::DeleteUnitHint })}
                            </p>
                            <FormNotice status=delete_status/>
                            {dyn_view(move || {
                                if confirming.get() {
                                    view! {
                                        <div class="confirm-row">
                                            <span>{tr(T::ConfirmDelete)}</span>
                                            <button type="button" class="btn btn-danger" id="confirm-delete" on:click=on_delete.clone()>
                                                {tr(T::Delete)}
                                            </button>
                                            <button type="button" class="btn" on:click=move |_| confirming.set(false)>
                                                {tr(T::Cancel)}
                                            </button>
                                        </div>
                                    }
                                        .into_any()
                                } else {
                                    view! {
                                        <button
                                            type="button"
                                            class="btn btn-danger-outline"
                                            id="delete-unit"
                                            on:click=move |_| {
                                                delete_status.clear();
                                                confirming.set(true);
                                            }
                                        >
                                            {tr(T::Delete)}
                                        </button>
                                    }
                                        .into_any()
                                }
                            })}
                        </div>
                    }
                })}
        </div>
    }
}
