//! Configuration from the environment, with safe defaults (documented in README).

use rand::RngCore;
use std::path::{Path, PathBuf};

/// Server settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Address to listen on.
    pub bind: String,
    /// Where the SQLite file, the generated JWT secret and uploaded files live.
    pub data_dir: PathBuf,
    /// HMAC secret for access tokens.
    pub jwt_secret: Vec<u8>,
    /// Access-token lifetime in seconds.
    pub access_token_ttl_secs: i64,
    /// Session lifetime without a refresh, seconds (each refresh extends it).
    pub refresh_token_ttl_secs: i64,
    /// Directory of the built frontend (index.html and hashed assets).
    pub frontend_dir: PathBuf,
    /// Largest accepted JSON body, bytes.
    pub max_json_bytes: usize,
}

/// Why the settings could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The data directory or the secret file could not be written.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// Which path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A variable has a value that cannot be used.
    #[error("{name}: {reason}")]
    Invalid {
        /// Variable name.
        name: &'static str,
        /// Why.
        reason: String,
    },
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Reads (or creates, 0600) the JWT secret kept in the data directory when none is configured,
/// so tokens survive restarts without anyone having to invent a secret.
fn secret_from_data_dir(data_dir: &Path) -> Result<Vec<u8>, ConfigError> {
    let path = data_dir.join("jwt_secret");
    let err = |source| ConfigError::DataDir {
        path: path.clone(),
        source,
    };
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(existing.as_bytes().to_vec());
        }
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(&path, &hex).map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(err)?;
    }
    Ok(hex.into_bytes())
}

fn seconds(name: &'static str, default: i64) -> Result<i64, ConfigError> {
    match var(name) {
        Some(v) => v
            .parse()
            .ok()
            .filter(|n: &i64| *n > 0)
            .ok_or_else(|| ConfigError::Invalid {
                name,
                reason: "must be a positive number of seconds".into(),
            }),
        None => Ok(default),
    }
}

impl Settings {
    /// Settings from `DATABASE_URL`, `YGJ_BIND`, `YGJ_DATA_DIR`, `YGJ_JWT_SECRET`,
    /// `YGJ_ACCESS_TOKEN_TTL`, `YGJ_REFRESH_TOKEN_TTL`, `YGJ_FRONTEND_DIR`; creates the data directory.
    pub fn from_env() -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(var("YGJ_DATA_DIR").unwrap_or_else(|| "data".to_owned()));
        std::fs::create_dir_all(&data_dir).map_err(|source| ConfigError::DataDir {
            path: data_dir.clone(),
            source,
        })?;
        let database_url = var("DATABASE_URL").unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("youguanjia.sqlite").display()
            )
        });
        let jwt_secret = match var("YGJ_JWT_SECRET") {
            Some(s) if s.len() < 32 => {
                return Err(ConfigError::Invalid {
                    name: "YGJ_JWT_SECRET",
                    reason: "must be at least 32 characters".into(),
                })
            }
            Some(s) => s.into_bytes(),
            None => secret_from_data_dir(&data_dir)?,
        };
        let access_token_ttl_secs = seconds("YGJ_ACCESS_TOKEN_TTL", 15 * 60)?;
        let refresh_token_ttl_secs = seconds("YGJ_REFRESH_TOKEN_TTL", 30 * 24 * 3600)?;
        Ok(Settings {
            database_url,
            bind: var("YGJ_BIND").unwrap_or_else(|| "127.0.0.1:8080".to_owned()),
            data_dir,
            jwt_secret,
            access_token_ttl_secs,
            refresh_token_ttl_secs,
            frontend_dir: PathBuf::from(
                var("YGJ_FRONTEND_DIR").unwrap_or_else(|| "frontend/dist".to_owned()),
            ),
            max_json_bytes: 2 * 1024 * 1024,
        })
    }
}
