//! The root component: routes, the app shell (top bar and navigation) and the simple pages.

use crate::api;
use crate::i18n::{tr, T};
use crate::pages::admin::{admin_role, AdminHomePage};
use crate::pages::admin_org::AdminOrgPage;
use crate::pages::admin_tokens::AdminTokensPage;
use crate::pages::admin_users::AdminUsersPage;
use crate::pages::audit_log::AuditLogPage;
use crate::pages::client_detail::ClientDetailPage;
use crate::pages::client_form::{ClientEditPage, ClientNewPage};
use crate::pages::clients::ClientListPage;
use crate::pages::dashboard::DashboardPage;
use crate::pages::login::LoginPage;
use crate::state::{set_document_lang, use_app, use_lang, AppState};
use domain::org::OrgUnit;
use domain::Lang;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Outlet, ParentRoute, Redirect, Route, Router, Routes, A};
use leptos_router::hooks::use_location;
use leptos_router::path;

/// The organisation tree, loaded once per session and shared by every page that needs it.
#[derive(Clone, Copy)]
pub struct OrgUnits(pub LocalResource<Result<Vec<OrgUnit>, api::ApiError>>);

/// The whole application.
#[component]
pub fn App() -> impl IntoView {
    let app = AppState::from_storage();
    provide_context(app);
    set_document_lang(app.lang.get_untracked());
    // The tab title follows the language.
    Effect::new(move |_| {
        let title = match app.lang.get() {
            Lang::Zh => "油管家",
            Lang::En => "Youguanjia 油管家",
        };
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            doc.set_title(title);
        }
    });
    // Any request that finds the session gone signs out; the shell then shows the sign-in page.
    api::set_unauthorized_handler(move || app.sign_out());
    // The phone's outbox sends queued check-ins whenever it can; the service worker keeps the
    // app shell for offline starts.
    crate::offline::start(app);
    crate::offline::register_service_worker();

    view! {
        <Router>
            <Routes fallback=|| view! { <NotFoundPage/> }>
                <Route path=path!("/login") view=LoginPage/>
                <ParentRoute path=path!("/m") view=crate::pages::phone::PhoneShell>
                    <Route path=path!("") view=crate::pages::phone::TodayPage/>
                    <Route path=path!("checkin/:task_id") view=crate::pages::phone::CheckInPage/>
                    <Route path=path!("ticket/new") view=crate::pages::service::PhoneTicketPage/>
                </ParentRoute>
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=DashboardPage/>
                    <Route path=path!("clients") view=ClientListPage/>
                    <Route path=path!("clients/new") view=ClientNewPage/>
                    <Route path=path!("clients/:id") view=ClientDetailPage/>
                    <Route path=path!("clients/:id/edit") view=ClientEditPage/>
                    <Route path=path!("dashboard") view=DashboardPage/>
                    <Route path=path!("dashboard/archive") view=|| view! { <crate::pages::archive::ArchiveOverview/> }/>
                    <Route path=path!("documents") view=crate::pages::archive::DocumentsPage/>
                    <Route path=path!("tasks") view=crate::pages::archive::TasksPage/>
                    <Route path=path!("visits") view=crate::pages::visits::VisitListPage/>
                    <Route path=path!("visits/review") view=crate::pages::visits::ReviewQueuePage/>
                    <Route path=path!("visits/plans") view=crate::pages::plans::PlansPage/>
                    <Route path=path!("visits/map") view=crate::pages::visit_map::VisitMapPage/>
                    <Route path=path!("visits/effectiveness") view=crate::pages::plans::EffectivenessPage/>
                    <Route path=path!("visits/:id") view=crate::pages::visits::VisitDetailPage/>
                    <Route path=path!("service") view=crate::pages::service::TicketListPage/>
                    <Route path=path!("service/new") view=crate::pages::service::NewTicketPage/>
                    <Route path=path!("service/board") view=crate::pages::service::ServiceBoardPage/>
                    <Route path=path!("service/:id") view=crate::pages::service::TicketDetailPage/>
                    <Route path=path!("prospects") view=crate::pages::prospects::ProspectBoardPage/>
                    <Route path=path!("prospects/new") view=crate::pages::prospects::ProspectNewPage/>
                    <Route path=path!("prospects/funnel") view=crate::pages::prospects::ProspectFunnelPage/>
                    <Route path=path!("performance") view=crate::pages::performance::PerformancePage/>
                    <Route path=path!("performance/:month/:user_id") view=crate::pages::performance::PerformanceDetailPage/>
                    <Route path=path!("admin") view=AdminHomePage/>
                    <Route path=path!("admin/org") view=AdminOrgPage/>
                    <Route path=path!("admin/users") view=AdminUsersPage/>
                    <Route path=path!("admin/tokens") view=AdminTokensPage/>
                    <Route path=path!("admin/requirements") view=crate::pages::archive::RequirementsPage/>
                    <Route path=path!("audit") view=AuditLogPage/>
                    <Route path=path!("*any") view=NotFoundPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The sections of the navigation, in order; the last (administration) only for administrators.
const SECTIONS: [(T, &str, &str); 9] = [
    (T::Dashboard, "/dashboard", "▦"),
    (T::Clients, "/clients", "◉"),
    (T::Documents, "/documents", "▤"),
    (T::Tasks, "/tasks", "☑"),
    (T::Visits, "/visits", "➤"),
    (T::Service, "/service", "✆"),
    (T::Prospects, "/prospects", "✚"),
    (T::Performance, "/performance", "▲"),
    (T::Admin, "/admin", "⚙"),
];

/// Whether there is a session; after a reload only its token is known, so this also fetches
/// who it belongs to. For the frames of the desktop and the phone pages.
pub(crate) fn session_user(app: AppState) -> Memo<bool> {
    let signed_in = Memo::new(move |_| app.token.with(Option::is_some));
    Effect::new(move |_| {
        if signed_in.get() && app.user.with_untracked(Option::is_none) {
            spawn_local(async move {
                if let Ok(user) = api::me().await {
                    app.user.set(Some(user));
                }
            });
        }
    });
    signed_in
}

/// Frame of every signed-in page; sends visitors without a session to the sign-in page.
#[component]
fn Shell() -> impl IntoView {
    let app = use_app();
    let signed_in = session_user(app);
    let location = use_location();

    // The organisation tree rarely changes; load it once for all pages of this session.
    let org_units = LocalResource::new(move || {
        let signed_in = signed_in.get();
        async move {
            if signed_in {
                api::org_units().await
            } else {
                Ok(Vec::new())
            }
        }
    });
    provide_context(OrgUnits(org_units));

    move || {
        if signed_in.get() {
            view! {
                <div class="shell">
                    <TopBar/>
                    <div class="shell-body">
                        <NavBar/>
                        <main class="content" id="main">
                            <crate::pages::phone::PhoneOffer/>
                            <Outlet/>
                        </main>
                    </div>
                </div>
            }
            .into_any()
        } else {
            // Come back to the page asked for once signed in.
            // The router's `search` has no leading `?`.
            let search = location.search.get_untracked();
            let here = if search.is_empty() {
                location.pathname.get_untracked()
            } else {
                format!(
                    "{}?{}",
                    location.pathname.get_untracked(),
                    search.trim_start_matches('?')
                )
            };
            let on_purpose = app.left_on_purpose.get_value();
            let path = if on_purpose || here == "/" || here.is_empty() {
                "/login".to_owned()
            } else {
                format!(
                    "/login?next={}",
                    String::from(js_sys::encode_uri_component(&here))
                )
            };
            view! { <Redirect path=path/> }.into_any()
        }
    }
}

/// The language switch: shows the other language's name.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let app = use_app();
    let lang = use_lang();
    view! {
        <button
            id="lang-switch"
            type="button"
            class="btn btn-ghost lang-switch"
            title=tr(T::SwitchLangTitle)
            on:click=move |_| {
                let next = if lang.get_untracked() == Lang::Zh { Lang::En } else { Lang::Zh };
                app.set_lang(next);
            }
        >
            {tr(T::SwitchLang)}
        </button>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    let app = use_app();
    let lang = use_lang();
    view! {
        <header class="topbar">
            <a href="/" class="brand">
                <span class="brand-mark" aria-hidden="true">"油"</span>
                <span class="brand-name">{tr(T::ProductName)}</span>
            </a>
            <div class="topbar-right">
                <span class="user" id="current-user">
                    {move || {
                        app.user
                            .get()
                            .map(|u| {
                                view! {
                                    <span class="user-name">{u.display_name.clone()}</span>
                                    <span class="user-role">
                                        {u.role.label(lang.get())} " · " {u.org_unit_name.clone()}
                                    </span>
                                }
                            })
                    }}
                </span>
                <LangSwitch/>
                <button
                    id="sign-out"
                    type="button"
                    class="btn btn-ghost"
                    on:click=move |_| app.sign_out_on_purpose()
                >
                    {tr(T::SignOut)}
                </button>
            </div>
        </header>
    }
}

#[component]
fn NavBar() -> impl IntoView {
    let lang = use_lang();
    let app = use_app();
    let is_admin = admin_role();
    let link = move |(label, href, icon): (T, &'static str, &'static str)| {
        view! {
            <A href=href attr:class="nav-link">
                <span class="nav-icon" aria-hidden="true">{icon}</span>
                <span class="nav-label">{move || label.get(lang.get())}</span>
            </A>
        }
    };
    let (admin, others) = SECTIONS.split_last().unzip();
    view! {
        <nav class="sidenav" aria-label="sections">
            {others.unwrap_or_default().iter().copied().map(link).collect_view()}
            // Account managers check in from the phone pages.
            {move || app.is_account_manager().then(|| view! {
                <a href="/m" class="nav-link nav-phone" id="nav-phone">
                    <span class="nav-icon" aria-hidden="true">"☎"</span>
                    <span class="nav-label">{crate::pages::visits::wt("手机打卡", "Phone check-in")}</span>
                </a>
            })}
            {move || (is_admin.get() == Some(true)).then(|| admin.copied().map(link))}
        </nav>
    }
}

/// Shown for paths that match no page.
#[component]
fn NotFoundPage() -> impl IntoView {
    view! {
        <section class="page not-found">
            <h1>{tr(T::NotFound)}</h1>
            <div class="card empty-state">
                <p>{tr(T::NotFoundText)}</p>
                <a class="btn btn-primary" href="/clients">{tr(T::GoToClients)}</a>
            </div>
        </section>
    }
}
