//! App-wide state: the session token, the signed-in user and the language.
//!
//! Persisted pieces (token, language) live in `localStorage` so a reload keeps the session; the
//! reactive copies live in an [`AppState`] provided as context at the root.

use domain::org::UserInfo;
use domain::Lang;
use leptos::prelude::*;

const TOKEN_KEY: &str = "ygj.token";
const REFRESH_KEY: &str = "ygj.refresh";
const LANG_KEY: &str = "ygj.lang";

fn storage() -> Option<web_sys::Storage> {
    // Storage may be unavailable (private mode, sandboxed frames): the app then works for the
    // page's lifetime only, which is better than failing.
    web_sys::window()?.local_storage().ok()?
}

/// Reads a value from `localStorage`.
pub fn load(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

/// Writes (or with `None`, removes) a value in `localStorage`.
pub fn save(key: &str, value: Option<&str>) {
    if let Some(s) = storage() {
        // A failed write (quota, disabled storage) only costs persistence across reloads.
        let _ = match value {
            Some(v) => s.set_item(key, v),
            None => s.remove_item(key),
        };
    }
}

/// The stored access token, if any.
pub fn stored_token() -> Option<String> {
    load(TOKEN_KEY).filter(|t| !t.is_empty())
}

/// Stores or forgets the access token.
pub fn store_token(token: Option<&str>) {
    save(TOKEN_KEY, token);
}

/// The stored refresh token, if any.
pub fn stored_refresh() -> Option<String> {
    load(REFRESH_KEY).filter(|t| !t.is_empty())
}

/// Stores or forgets the refresh token.
pub fn store_refresh(token: Option<&str>) {
    save(REFRESH_KEY, token);
}

/// The stored language; Chinese when none was chosen.
pub fn stored_lang() -> Lang {
    match load(LANG_KEY).as_deref() {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    }
}

/// Reactive state shared by every page.
#[derive(Clone, Copy)]
pub struct AppState {
    /// UI language.
    pub lang: RwSignal<Lang>,
    /// The access token; `None` means signed out.
    pub token: RwSignal<Option<String>>,
    /// The signed-in user, once known.
    pub user: RwSignal<Option<UserInfo>>,
    /// Set when the user pressed "sign out" (rather than the session expiring), so the sign-in
    /// page does not offer to return to the page they left.
    pub left_on_purpose: StoredValue<bool>,
}

impl AppState {
    /// State initialised from `localStorage`.
    pub fn from_storage() -> Self {
        Self {
            lang: RwSignal::new(stored_lang()),
            token: RwSignal::new(stored_token()),
            user: RwSignal::new(None),
            left_on_purpose: StoredValue::new(false),
        }
    }

    /// Switches the language and remembers the choice.
    pub fn set_lang(&self, lang: Lang) {
        save(LANG_KEY, Some(if lang == Lang::En { "en" } else { "zh" }));
        set_document_lang(lang);
        self.lang.set(lang);
    }

    /// Signs out because the user asked to: the server ends the session first (so a copied
    /// token stops working), then the local state is cleared whatever the server said.
    pub fn sign_out_on_purpose(&self) {
        self.left_on_purpose.set_value(true);
        let app = *self;
        leptos::task::spawn_local(async move {
            let _ = crate::api::logout().await;
            app.sign_out();
        });
    }

    /// Records a successful sign-in.
    pub fn sign_in(&self, token: String, refresh_token: String, user: UserInfo) {
        self.left_on_purpose.set_value(false);
        store_token(Some(&token));
        store_refresh(Some(&refresh_token));
        self.token.set(Some(token));
        self.user.set(Some(user));
    }

    /// Whether the signed-in user may change data (viewers only read; the server enforces it,
    /// this only hides buttons that would end in "not allowed").
    pub fn can_write(&self) -> bool {
        self.user.with(|u| {
            u.as_ref()
                .is_some_and(|u| u.role != domain::org::Role::Viewer)
        })
    }

    /// Whether the signed-in user is an account manager (who may also browse their unit's
    /// clients, read-only).
    pub fn is_account_manager(&self) -> bool {
        self.user.with(|u| {
            u.as_ref()
                .is_some_and(|u| u.role == domain::org::Role::AccountManager)
        })
    }

    /// Forgets the session; the protected pages then redirect to the sign-in page.
    pub fn sign_out(&self) {
        store_token(None);
        store_refresh(None);
        self.token.set(None);
        self.user.set(None);
    }
}

/// Sets `<html lang>` so the browser picks fitting fonts and screen readers the right voice.
pub fn set_document_lang(lang: Lang) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = el.set_attribute("lang", if lang == Lang::En { "en" } else { "zh-CN" });
    }
}

/// The app state provided at the root.
pub fn use_app() -> AppState {
    // Provided by `App` before any page renders; a missing context is a programming error that
    // a fresh state would only hide, but panicking is denied by lint, so fall back quietly.
    use_context::<AppState>().unwrap_or_else(AppState::from_storage)
}

/// The current language, reactively.
pub fn use_lang() -> Signal<Lang> {
    let app = use_app();
    Signal::derive(move || app.lang.get())
}
