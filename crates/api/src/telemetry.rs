//! Logging: `RUST_LOG` filter (default `info`), `YGJ_LOG_FORMAT=json` for JSON lines.
//! Every line inside a request carries its `request_id` (from the request span).

use tracing_subscriber::{fmt, EnvFilter};

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str =
    "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,actix_server=warn";

/// Installs the global subscriber once; later calls are ignored (tests call it repeatedly).
pub fn init() {
    init_with_default(DEFAULT_FILTER);
}

/// Like [`init`] with another default filter (tests log only errors unless `RUST_LOG` is set).
pub fn init_with_default(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = std::env::var("YGJ_LOG_FORMAT")
        .map(|v| v == "json")
        .unwrap_or(false);
    let builder = fmt().with_env_filter(filter).with_target(false);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
