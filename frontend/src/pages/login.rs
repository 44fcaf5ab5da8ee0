//! The sign-in page.

use crate::api;
use crate::app::LangSwitch;
use crate::i18n::{tr, T};
use crate::state::{use_app, use_lang};
use domain::auth::{LoginRequest, LoginResponse};
use domain::sso::SsoErrorCode;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

/// Where to go after signing in: the `next` query value when it is a path of this app.
fn next_path(next: Option<String>) -> String {
    // Only same-origin paths: an absolute URL here would be an open redirect.
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/login"))
        .unwrap_or_else(|| "/clients".to_owned())
}

/// Username and password form, and the single sign-on button when a provider is configured; on
/// success stores the token and opens the page asked for.
///
/// Single sign-on ends here too: the server's callback sends the browser back with
/// `?sso_ticket=…`, which this page trades for a session, or with `?sso_error=<code>`, which it
/// explains.
#[component]
pub fn LoginPage() -> impl IntoView {
    let app = use_app();
    let lang = use_lang();
    let navigate = use_navigate();
    let query = use_query_map();

    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    // A local message (empty fields) or the server's answer; both re-render on language change.
    let missing_fields = RwSignal::new(false);

    let login = Action::new_unsync(|req: &LoginRequest| {
        let req = req.clone();
        async move { api::login(&req).await }
    });
    let pending = login.pending();

    // Single sign-on: the button (when configured), a ticket to trade, or an error to explain.
    let sso_status = LocalResource::new(api::sso_status);
    let sso_error = query.with_untracked(|q| q.get("sso_error"));
    let exchange = Action::new_unsync(|ticket: &String| {
        let ticket = ticket.clone();
        async move { api::sso_exchange(&ticket).await }
    });
    let exchanging = exchange.pending();
    if let Some(ticket) = query
        .with_untracked(|q| q.get("sso_ticket"))
        .filter(|t| !t.is_empty())
    {
        exchange.dispatch(ticket);
    }

    // On success (either way): remember the session and leave.
    let finish = {
        let navigate = navigate.clone();
        move |response: LoginResponse| {
            let LoginResponse {
                access_token,
                refresh_token,
                user,
                ..
            } = response;
            app.sign_in(access_token, refresh_token, user);
            let next = next_path(query.with_untracked(|q| q.get("next")));
            navigate(
                &next,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    };
    let finish_password = finish.clone();
    Effect::new(move |_| {
        if let Some(Ok(response)) = login.value().get() {
            finish_password(response);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(response)) = exchange.value().get() {
            finish(response);
        }
    });

    // Already signed in (e.g. the back button): go straight to the app.
    Effect::new(move |_| {
        if app.token.with(Option::is_some)
            && login.value().with_untracked(Option::is_none)
            && exchange.value().with_untracked(Option::is_none)
        {
            navigate(
                "/clients",
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });

    let error_text = move || {
        let lang = lang.get();
        if missing_fields.get() {
            return Some(T::CredentialsRequired.get(lang).to_owned());
        }
        if let Some(Err(e)) = login.value().get() {
            return Some(e.message(lang));
        }
        match exchange.value().get() {
            Some(Err(e)) if e.is_unauthorized() => {
                return Some(T::SsoTicketInvalid.get(lang).to_owned())
            }
            Some(Err(e)) => return Some(e.message(lang)),
            _ => {}
        }
        sso_error
            .as_deref()
            .map(|code| match SsoErrorCode::from_code(code) {
                Some(code) => code.label(lang).to_owned(),
                None => T::SsoFailed.get(lang).to_owned(),
            })
    };

    // A plain link: the browser itself must go to the provider (the router leaves
    // `rel="external"` links alone).
    let sso_button = move || {
        let status = sso_status.get().and_then(Result::ok)?;
        let label = status.label.filter(|_| status.enabled)?;
        Some(view! {
            <p class="muted" style="text-align: center; margin: 12px 0 8px">
                {tr(T::OrSignOnWith)}
            </p>
            <a
                id="login-sso"
                class="btn btn-block"
                href="/api/v1/auth/sso/start"
                rel="external"
                aria-disabled=move || exchanging.get().to_string()
            >
                {move || {
                    if exchanging.get() {
                        T::SsoSigningIn.get(lang.get()).to_owned()
                    } else {
                        label.clone()
                    }
                }}
            </a>
        })
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let req = LoginRequest {
            username: username.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        if req.username.is_empty() || req.password.is_empty() {
            missing_fields.set(true);
            return;
        }
        missing_fields.set(false);
        login.dispatch(req);
    };

    view! {
        <div class="login-page">
            <div class="login-lang">
                <LangSwitch/>
            </div>
            <form class="login-card card" on:submit=on_submit novalidate>
                <div class="login-brand">
                    <span class="brand-mark brand-mark-lg" aria-hidden="true">"油"</span>
                    <div>
                        <h1>{tr(T::ProductName)}</h1>
                        <p class="muted">{tr(T::Tagline)}</p>
                    </div>
                </div>
                <label class="field">
                    <span class="field-label">{tr(T::Username)}</span>
                    <input
                        id="username"
                        name="username"
                        type="text"
                        autocomplete="username"
                        autocapitalize="none"
                        spellcheck="false"
                        required
                        prop:value=move || username.get()
                        on:input=move |ev| username.set(event_target_value(&ev))
                    />
                </label>
                <label class="field">
                    <span class="field-label">{tr(T::Password)}</span>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                </label>
                {move || {
                    error_text()
                        .map(|text| {
                            view! {
                                <div class="alert alert-error" id="login-error" role="alert">
                                    {text}
                                </div>
                            }
                        })
                }}
                <button
                    id="login-submit"
                    type="submit"
                    class="btn btn-primary btn-block"
                    prop:disabled=move || pending.get() || exchanging.get()
                >
                    {move || {
                        if pending.get() {
                            T::SigningIn.get(lang.get())
                        } else {
                            T::SignIn.get(lang.get())
                        }
                    }}
                </button>
                {sso_button}
            </form>
        </div>
    }
}
