//! `/admin/tokens`: integrator tokens for machine clients. A new token's secret is shown once,
//! here, and never again (the server keeps only its hash).

use crate::api;
use crate::components::{
    acted_on, badge_html, dyn_view, esc, get_resource, loaded, now_millis, parse_uuid, submit,
    ErrorBox, FieldErrorsFor, Flash, FlashLine, FormNotice, FormStatus, HtmlTable, LabelledInput,
    LoadingLine,
};
use crate::i18n::{self, tr, T};
use crate::pages::admin::AdminFrame;
use crate::state::use_lang;
use domain::integrator::{CreatedIntegratorToken, IntegratorToken, NewIntegratorToken, TokenScope};
use domain::validation::FieldError;
use domain::Lang;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;
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
            scopes: TokenScope::ALL
                .iter()
                .copied()
                .filter(|s| chosen.contains(s))
                .collect(),
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

    let token_list = Memo::new(move |_| loaded::<Vec<IntegratorToken>>(tokens));
    let confirming = RwSignal::new(None::<Uuid>);
    let revoke_status = FormStatus::new();
    let table_html = move || {
        token_list.with(|l| match l {
            Some(Ok(list)) => token_table(list, confirming.get(), lang.get()),
            _ => String::new(),
        })
    };
    let on_table_click = move |ev: leptos::ev::MouseEvent| {
        let Some((act, id)) = acted_on(&ev) else {
            return;
        };
        let Some(id) = parse_uuid(&id) else {
            return;
        };
        match act.as_str() {
            "revoke" => {
                revoke_status.clear();
                confirming.set(Some(id));
            }
            "confirm-revoke" => {
                confirming.set(None);
                let path = format!("/api/v1/integrator-tokens/{id}/revoke");
                submit(revoke_status, "POST", path, None, move |text| {
                    let token: IntegratorToken = api::decode(&text)?;
                    flash.set(Some((T::TokenRevoked, token.name)));
                    tokens.refetch();
                    Ok(())
                });
            }
            _ => confirming.set(None),
        }
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

        <FormNotice status=revoke_status/>
        {dyn_view(move || {
            match token_list.get() {
                None => view! { <LoadingLine/> }.into_any(),
                Some(Ok(list)) if list.is_empty() => {
                    view! { <div class="card empty-state"><p>{tr(T::NoTokens)}</p></div> }.into_any()
                }
                Some(Ok(_)) => view! {
                    <div class="card table-card" on:click=on_table_click inner_html=table_html></div>
                }
                .into_any(),
                Some(Err(error)) => view! { <ErrorBox error=error retry=move |_| tokens.refetch()/> }.into_any(),
            }
        })}
        <p class="muted small">{tr(T::TokenUsage)}</p>
    }
}

/// A button of the token table.
fn button_html(class: &str, act: &str, id: Uuid, text: &str) -> String {
    format!(
        "<button type=\"button\" class=\"btn btn-small {class}\" data-act=\"{act}\" data-id=\"{id}\">{}</button>",
        esc(text)
    )
}

/// The tokens as HTML; `confirming` is the token whose revocation is being confirmed.
fn token_table(list: &[IntegratorToken], confirming: Option<Uuid>, lang: Lang) -> String {
    let t = |key: T| key.get(lang);
    let headers = [
        t(T::TokenName),
        t(T::Scopes),
        t(T::TokenHint),
        t(T::CreatedBy),
        t(T::ExpiresAt),
        t(T::LastUsed),
        t(T::Status),
        "",
    ];
    let now = now_millis();
    let mut table = HtmlTable::new("token-table", &headers);
    for token in list {
        let revoked = token.revoked_at.is_some();
        let expired = token.expires_at.timestamp_millis() <= now;
        let class = if revoked || expired {
            "token-row inactive"
        } else {
            "token-row"
        };
        let attrs = format!(
            "data-id=\"{}\" data-name=\"{}\"",
            token.id,
            esc(&token.name)
        );
        table.row(class, &attrs);
        let rate = t(T::RateLimitShort).replace("{}", &token.rate_limit_per_minute.to_string());
        let name = format!(
            "<strong>{}</strong><div class=\"sub\">{}</div>",
            esc(&token.name),
            esc(&rate)
        );
        table.cell("", "cell-name", &name);
        let scopes: String = token
            .scopes
            .iter()
            .map(|s| {
                format!(
                    "<span class=\"tag\" title=\"{}\">{}</span>",
                    s.code(),
                    esc(s.label(lang))
                )
            })
            .collect();
        table.cell(
            headers[1],
            "",
            &format!("<div class=\"tags\">{scopes}</div>"),
        );
        table.cell(headers[2], "mono", &format!("{}…", esc(&token.hint)));
        let created = format!(
            "{}<div class=\"sub nowrap\">{}</div>",
            esc(&token.created_by_name),
            i18n::format_datetime(token.created_at, lang)
        );
        table.cell(headers[3], "", &created);
        table.cell(
            headers[4],
            "nowrap",
            &i18n::format_datetime(token.expires_at, lang),
        );
        let last_used = token
            .last_used_at
            .map(|at| i18n::format_datetime(at, lang))
            .unwrap_or_else(|| t(T::Never).to_owned());
        table.cell(headers[5], "nowrap", &last_used);
        let status = if revoked {
            badge_html("badge-off", t(T::Revoked))
        } else if expired {
            badge_html("badge-off", t(T::Expired))
        } else {
            badge_html("badge-ok", t(T::Active))
        };
        table.cell(headers[6], "token-status", &status);
        let actions = if revoked {
            String::new()
        } else if confirming == Some(token.id) {
            format!(
                "<div class=\"confirm-row\"><span class=\"small\">{}</span>{}{}</div>",
                esc(t(T::ConfirmRevoke)),
                button_html(
                    "btn-danger confirm-revoke",
                    "confirm-revoke",
                    token.id,
                    t(T::Revoke)
                ),
                button_html("", "cancel-revoke", token.id, t(T::Cancel)),
            )
        } else {
            button_html(
                "btn-danger-outline revoke-token",
                "revoke",
                token.id,
                t(T::Revoke),
            )
        };
        table.cell("", "cell-actions", &actions);
    }
    table.finish()
}
