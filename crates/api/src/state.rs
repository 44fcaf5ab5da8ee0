//! What every handler shares.

use crate::auth::TokenKeys;
use crate::clock::SharedClock;
use store::Store;

/// Application state (cheap to clone: everything inside is shared).
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Access-token keys.
    pub keys: TokenKeys,
    /// Time.
    pub clock: SharedClock,
    /// Session lifetime without a refresh, seconds.
    pub refresh_ttl_secs: i64,
    /// A hash to verify against when the username is unknown, so timing does not reveal
    /// which usernames exist.
    pub dummy_hash: String,
    /// Request budgets and last-use bookkeeping of integrator tokens.
    pub integrator_usage: std::sync::Arc<crate::auth::IntegratorUsage>,
    /// The single sign-on provider; `None` when single sign-on is off.
    pub sso: Option<std::sync::Arc<crate::routes::sso::SsoProvider>>,
    /// Document pages and photos.
    pub files: store::files::FileStore,
    /// Largest accepted file in an upload, bytes.
    pub max_upload_bytes: usize,
    /// Map tile URL template, if configured.
    pub map_tile_url: Option<String>,
    /// This server's Prometheus metrics (`GET /metrics`).
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Client-list answers while their data is unchanged.
    pub client_lists: std::sync::Arc<crate::response_cache::ResponseCache>,
}
