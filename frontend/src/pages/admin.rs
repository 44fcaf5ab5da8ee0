//! `/admin`: the administration home, and the frame (title, tabs, role check) shared by every
//! administration page. The pages themselves live in `admin_org`, `admin_users`, `admin_tokens`
//! and `audit_log`.

use crate::components::LoadingLine;
use crate::i18n::{tr, T};
use crate::state::use_app;
use domain::org::Role;
use leptos::prelude::*;
use leptos_router::components::A;

/// The administration pages: (title, path, one-line description).
const ADMIN_PAGES: [(T, &str, T); 5] = [
    (T::OrgTree, "/admin/org", T::OrgTreeText),
    (T::Users, "/admin/users", T::UsersText),
    (
        T::IntegratorTokens,
        "/admin/tokens",
        T::IntegratorTokensText,
    ),
    (T::AuditLog, "/audit", T::AuditLogText),
    (T::Requirements, "/admin/requirements", T::RequirementsText),
];

/// Whether the signed-in user is an administrator; `None` while who they are is loading.
pub fn admin_role() -> Memo<Option<bool>> {
    let app = use_app();
    Memo::new(move |_| app.user.with(|u| u.as_ref().map(|u| u.role == Role::Admin)))
}

/// An administration page: its title, the tabs between the pages, and the content for
/// administrators only. Others get a clear message (the API refuses them anyway).
#[component]
pub fn AdminFrame(title: T, children: ChildrenFn) -> impl IntoView {
    let is_admin = admin_role();
    view! {
        <section class="page admin-page">
            <div class="page-header">
                <h1>{tr(title)}</h1>
            </div>
            {move || match is_admin.get() {
                None => view! { <LoadingLine/> }.into_any(),
                Some(false) => view! { <NoAccess/> }.into_any(),
                Some(true) => view! { <AdminTabs/> {children()} }.into_any(),
            }}
        </section>
    }
}

/// Links between the administration pages; the current one is marked.
#[component]
fn AdminTabs() -> impl IntoView {
    view! {
        <nav class="admin-tabs" aria-label=tr(T::Admin)>
            <A href="/admin" exact=true attr:class="admin-tab">
                {tr(T::AdminHome)}
            </A>
            {ADMIN_PAGES
                .iter()
                .map(|(title, href, _)| {
                    view! {
                        <A href=*href attr:class="admin-tab">
                            {tr(*title)}
                        </A>
                    }
                })
                .collect_view()}
        </nav>
    }
}

/// Shown to signed-in users who are not administrators.
#[component]
fn NoAccess() -> impl IntoView {
    view! {
        <div class="card empty-state" id="no-access">
            <div class="badge badge-info">{tr(T::NoAccess)}</div>
            <p>{tr(T::NoAccessText)}</p>
            <a class="btn btn-primary" href="/clients">{tr(T::GoToClients)}</a>
        </div>
    }
}

/// `/admin`: one card per administration page.
#[component]
pub fn AdminHomePage() -> impl IntoView {
    view! {
        <AdminFrame title=T::Admin>
            <div class="admin-cards">
                {ADMIN_PAGES
                    .iter()
                    .map(|(title, href, text)| {
                        view! {
                            <a class="card admin-card" href=*href>
                                <h2>{tr(*title)}</h2>
                                <p class="muted">{tr(*text)}</p>
                            </a>
                        }
                    })
                    .collect_view()}
            </div>
        </AdminFrame>
    }
}
