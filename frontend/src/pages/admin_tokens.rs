//! `/admin/tokens`: integrator tokens for machine clients. A new token's secret is shown once,
//! here, and never again (the server keeps only its hash).

use crate::api;
use crate::components::{
    dyn_text, dyn_view, get_resource, loaded, now_millis, submit, ErrorBox, FieldErrorsFor, Flash,
    FlashLine, FormNotice, FormStatus, LabelledInput, LoadingLine,
};
use crate::i18n::{self, tr, T};
use crate::pages::admin::AdminFrame;
use crate::state::use_lang;
use domain::integrator::{CreatedIntegratorToken, IntegratorToken, NewIntegratorToken, TokenScope};
use domain::validation::FieldError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

/// `/admin/tokens`.
#[component]
pub fn AdminTokensPage() -> impl IntoView {
    view! {
        <AdminFrame title=T::IntegratorTokens>
            <TokensAdmin/>
        </AdminFrame>
    }
}

/// Copies text to the clipboard through `navigator.clipboard.writeText` (looked up at run time,
/// so no extra `web-sys` features are compiled in). Resolves to whether it worked.
async fn copy_to_clipboard(text: &str) -> bool {
    let get = |target: &JsValue, key: &str| js_sys::Reflect::get(target, &JsValue::from_str(key));
    let Some(window) = web_sys::window() else {
        return false;
    };
    let Ok(clipboard) = get(&window, "navigator").and_then(|n| get(&n, "clipboard")) else {
        return false;
    };
    let Ok(write) = get(&clipboard, "writeText") else {
        return false;
    };
    let Ok(write) = wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(write) else {
        return false;
    };
    let Ok(promise) = write.call1(&clipboard, &JsValue::from_str(text)) else {
        return false;
    };
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise))
        .await
        .is_ok()
}

#[component]
fn TokensAdmin() -> impl IntoView {
    let lang = use_lang();
    let tokens = get_resource(|| "/api/v1/integrator-tokens".to_owned());
    let flash: Flash = RwSignal::new(None);
    // The secret of the token just created: kept in memory only, gone on reload.
    let secret = RwSignal::new(None::<String>);
    let copied = RwSignal::new(false);

    let status = FormStatus::new();
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(Vec::<TokenScope>::new());
    let days = RwSignal::new("90".to_owned());
    let rate = RwSignal::new("600".to_owned());

    let on_create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut errors = Vec::new();
        let number = |text: String, field: &str, errors: &mut Vec<FieldError>| {
            text.trim().parse::<u32>().map_err(|_| {
                errors.push(FieldError::new(
                    field,
                    "invalid_type",
                    format!("{field} must be a whole number"),
                    format!("{field} 必须是整数"),
                ))
            })
        };
        let expires_in_days = number(days.get_untracked(), "expires_in_days", &mut errors);
        let rate_text = rate.get_untracked();
        let rate_limit = if rate_text.trim().is_empty() {
            Ok(None)
        } else {
            number(rate_text, "rate_limit_per_minute", &mut errors).map(Some)
        };
        let (Ok(expires_in_days), Ok(rate_limit_per_minute)) = (expires_in_days, rate_limit) else {
            return status.errors.set(errors);
        };
        let chosen = scopes.get_untracked();
        let new = NewIntegratorToken {
            name: name.get_untracked().trim().to_owned(),
            scopes: TokenScope::ALL.iter().copied().filter(|s| chosen.contains(s)).collect(),
            expires_in_days,
            rate_limit_per_minute,
        };
        let path = "/api/v1/integrator-tokens".to_owned();
        submit(status, "POST", path, api::to_json(&new), move |text| {
            let created: CreatedIntegratorToken = api::decode(&text)?;
            flash.set(Some((T::TokenCreated, created.token.name)));
            copied.set(false);
            secret.set(Some(created.secret));
            name.set(String::new());
            scopes.set(Vec::new());
            tokens.refetch();
            Ok(())
        });
    };

    let on_copy = move |_| {
        if let Some(text) = secret.get_untracked() {
            spawn_local(async move {
                copied.set(copy_to_clipboard(&text).await);
            });
        }
    };

    view! {
        <FlashLine flash=flash/>
        {dyn_view(move || {
            secret
                .get()
                .map(|text| {
                    view! {
                        <div class="card section secret-box" id="token-secret-box">
                            <h2>{tr(T::TokenSecret)}</h2>
                            <div class="alert alert-warn" role="alert">{tr(T::TokenSecretWarning)}</div>
                            <div class="secret-row">
                                <input
                                    id="token-secret"
                                    class="mono"
                                    type="text"
                                    readonly
                                    aria-label=tr(T::TokenSecret)
                                    prop:value=text
                                    on:focus=move |ev| {
                                        if let Some(input) = ev
                                            .target()
                                            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(t).ok())
                                        {
                                            input.select();
                                        }
                                    }
                                />
                                <button type="button" class="btn" id="copy-secret" on:click=on_copy>
                                    {move || if copied.get() { T::Copied.get(lang.get()) } else { T::Copy.get(lang.get()) }}
                                </button>
                            </div>
                            <div class="form-actions">
                                <button type="button" class="btn btn-primary" id="dismiss-secret" on:click=move |_| secret.set(None)>
                                    {tr(T::SecretSaved)}
                                </button>
                            </div>
                        </div>
                    }
                })
                .into_any()
        })}

        <form class="card section" id="token-form" on:submit=on_create novalidate>
            <h2>{tr(T::NewToken)}</h2>
            <div class="form-grid">
                <LabelledInput id="token-name" label=T::TokenName value=name field="name" status=status required=true/>
                <LabelledInput id="token-days" label=T::ExpiresInDays value=days field="expires_in_days" status=status input_type="number"/>
                <LabelledInput id="token-rate" label=T::RateLimit value=rate field="rate_limit_per_minute" status=status input_type="number"/>
            </div>
            <div class="field">
                <span class="field-label">{tr(T::Scopes)}</span>
                <div class="checks" id="token-scopes">
                    {TokenScope::ALL
                        .iter()
                        .map(|s| {
                            let s = *s;
                            view! {
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        class="token-scope"
                                        value=s.code()
                                        prop:checked=move || scopes.with(|v| v.contains(&s))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            scopes.update(|v| {
                                                v.retain(|x| *x != s);
                                                if on {
                                                    v.push(s);
                                                }
                                            });
                                        }
                                    />
                                    <span>{label!(s)} " " <code>{s.code()}</code></span>
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
                <FieldErrorsFor status=status field="scopes" label=T::Scopes/>
            </div>
            <FormNotice status=status/>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="create-token" prop:disabled=move || status.busy.get()>
                    "+ "
                    {tr(T::Create)}
                </button>
            </div>
        </form>

        {dyn_view(move || {
            match loaded::<Vec<IntegratorToken>>(tokens) {
                    None => view! { <LoadingLine/> }.into_any(),
                    Some(Ok(list)) if list.is_empty() => {
                        view! { <div class="card empty-state"><p>{tr(T::NoTokens)}</p></div> }.into_any()
                    }
                    Some(Ok(list)) => {
                        let rows = list
                            .into_iter()
                            .map(|t| view! { <TokenRow token=t flash=flash reload=Callback::new(move |_| tokens.refetch())/> })
                            .collect_view();
                        view! {
                            <div class="card table-card">
                                <table class="data-table token-table">
                                    <thead>
                                        <tr>
                                            <th>{tr(T::TokenName)}</th>
                                            <th>{tr(T::Scopes)}</th>
                                            <th>{tr(T::TokenHint)}</th>
                                            <th>{tr(T::CreatedBy)}</th>
                                            <th>{tr(T::ExpiresAt)}</th>
                                            <th>{tr(T::LastUsed)}</th>
                                            <th>{tr(T::Status)}</th>
                                            <th></th>
                                        </tr>
                                    </thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                        }
                            .into_any()
                    }
                    Some(Err(error)) => view! { <ErrorBox error=error retry=move |_| tokens.refetch()/> }.into_any(),
            }
        })}
        <p class="muted small">{tr(T::TokenUsage)}</p>
    }
}

/// One token, with a revoke button that asks once more.
#[component]
fn TokenRow(token: IntegratorToken, flash: Flash, reload: Callback<()>) -> impl IntoView {
    let lang = use_lang();
    let id = token.id;
    let created_at = token.created_at;
    let expires_at = token.expires_at;
    let last_used = token.last_used_at;
    let revoked = token.revoked_at.is_some();
    let expired = expires_at.timestamp_millis() <= now_millis();
    let confirming = RwSignal::new(false);
    let status = FormStatus::new();
    let name = token.name.clone();
    let on_revoke = move |_| {
        let name = name.clone();
        confirming.set(false);
        let path = format!("/api/v1/integrator-tokens/{id}/revoke");
        submit(status, "POST", path, None, move |_| {
            flash.set(Some((T::TokenRevoked, name)));
            reload.run(());
            Ok(())
        });
    };
    let scopes = token
        .scopes
        .iter()
        .map(|s| view! { <span class="tag" title=s.code()>{label!(*s)}</span> })
        .collect_view();
    view! {
        <tr class="token-row" data-id=id.to_string() data-name=token.name.clone() class:inactive=revoked || expired>
            <td class="cell-name">
                <strong>{token.name.clone()}</strong>
                <div class="sub">{dyn_text(move || T::RateLimitShort.get(lang.get()).replace("{}", &token.rate_limit_per_minute.to_string()))}</div>
            </td>
            <td data-label=tr(T::Scopes)><div class="tags">{scopes}</div></td>
            <td data-label=tr(T::TokenHint) class="mono">{token.hint.clone()} "…"</td>
            <td data-label=tr(T::CreatedBy)>
                {token.created_by_name.clone()}
                <div class="sub nowrap">{dyn_text(move || i18n::format_datetime(created_at, lang.get()))}</div>
            </td>
            <td data-label=tr(T::ExpiresAt) class="nowrap">{dyn_text(move || i18n::format_datetime(expires_at, lang.get()))}</td>
            <td data-label=tr(T::LastUsed) class="nowrap">
                {dyn_text(move || last_used.map(|at| i18n::format_datetime(at, lang.get())).unwrap_or_else(|| T::Never.get(lang.get()).to_owned()))}
            </td>
            <td data-label=tr(T::Status) class="token-status">
                {if revoked {
                    view! { <span class="badge badge-off">{tr(T::Revoked)}</span> }.into_any()
                } else if expired {
                    view! { <span class="badge badge-off">{tr(T::Expired)}</span> }.into_any()
                } else {
                    view! { <span class="badge badge-ok">{tr(T::Active)}</span> }.into_any()
                }}
            </td>
            <td>
                {(!revoked)
                    .then(|| {
                        view! {
                            {dyn_view(move || {
                                if confirming.get() {
                                    view! {
                                        <div class="confirm-row">
                                            <span class="small">{tr(T::ConfirmRevoke)}</span>
                                            <button type="button" class="btn btn-small btn-danger confirm-revoke" on:click=on_revoke.clone()>
                                                {tr(T::Revoke)}
                                            </button>
                                            <button type="button" class="btn btn-small" on:click=move |_| confirming.set(false)>
                                                {tr(T::Cancel)}
                                            </button>
                                        </div>
                                    }
                                        .into_any()
                                } else {
                                    view! {
                                        <button type="button" class="btn btn-small btn-danger-outline revoke-token" on:click=move |_| confirming.set(true)>
                                            {tr(T::Revoke)}
                                        </button>
                                    }
                                        .into_any()
                                }
                            })}
                            <FormNotice status=status/>
                        }
                    })}
            </td>
        </tr>
    }
}
