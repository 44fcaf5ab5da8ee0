//! Configuration from the environment, with safe defaults (documented in README).

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
    /// Single sign-on through an OAuth 2.0 provider; `None` when `YGJ_SSO_CLIENT_ID` is unset.
    pub sso: Option<SsoSettings>,
    /// Where document pages and photos go: `YGJ_DATA_DIR/files`, or S3 when `YGJ_S3_BUCKET` is set.
    pub files: store::files::FileStoreConfig,
    /// Largest accepted file in an upload, bytes (`YGJ_MAX_UPLOAD_MB`, default 20).
    pub max_upload_bytes: usize,
    /// Whether this process runs the scheduled jobs (`YGJ_JOBS=off` turns them off).
    pub run_jobs: bool,
    /// Map tile URL template for the visit map (`YGJ_MAP_TILE_URL`, e.g. an intranet
    /// `https://tiles.example/{z}/{x}/{y}.png`); unset, the map draws points without tiles.
    pub map_tile_url: Option<String>,
    /// The bearer token `GET /metrics` requires (`YGJ_METRICS_TOKEN`); unset, it is open (keep
    /// it off the public proxy then).
    pub metrics_token: Option<String>,
    /// Whether answers are kept in memory while their data is unchanged (`YGJ_ANSWER_CACHE=off`
    /// turns that off: every request reads the database).
    pub answer_cache: bool,
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
    let hex = crate::auth::random_hex(32);
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
            jwt_secret,
            access_token_ttl_secs,
            refresh_token_ttl_secs,
            frontend_dir: PathBuf::from(
                var("YGJ_FRONTEND_DIR").unwrap_or_else(|| "frontend/dist".to_owned()),
            ),
            max_json_bytes: 2 * 1024 * 1024,
            sso: SsoSettings::from_env()?,
            files: files_from_env(&data_dir),
            max_upload_bytes: upload_limit()?,
            run_jobs: !matches!(var("YGJ_JOBS").as_deref(), Some("off" | "false" | "0")),
            map_tile_url: var("YGJ_MAP_TILE_URL"),
            metrics_token: var("YGJ_METRICS_TOKEN"),
            answer_cache: !matches!(
                var("YGJ_ANSWER_CACHE").as_deref(),
                Some("off" | "false" | "0")
            ),
            data_dir,
        })
    }
}

/// The file store from `YGJ_S3_BUCKET`, `YGJ_S3_ENDPOINT`, `YGJ_S3_REGION`,
/// `YGJ_S3_ACCESS_KEY_ID`, `YGJ_S3_SECRET_ACCESS_KEY`, `YGJ_S3_PREFIX`; without a bucket, the
/// `files` directory under the data directory.
fn files_from_env(data_dir: &Path) -> store::files::FileStoreConfig {
    match var("YGJ_S3_BUCKET") {
        Some(bucket) => store::files::FileStoreConfig::S3 {
            bucket,
            endpoint: var("YGJ_S3_ENDPOINT"),
            region: var("YGJ_S3_REGION").unwrap_or_else(|| "us-east-1".to_owned()),
            access_key_id: var("YGJ_S3_ACCESS_KEY_ID").unwrap_or_default(),
            secret_access_key: var("YGJ_S3_SECRET_ACCESS_KEY").unwrap_or_default(),
            prefix: var("YGJ_S3_PREFIX").unwrap_or_default(),
        },
        None => store::files::FileStoreConfig::Local(data_dir.join("files")),
    }
}

fn upload_limit() -> Result<usize, ConfigError> {
    match var("YGJ_MAX_UPLOAD_MB") {
        None => Ok(20 * 1024 * 1024),
        Some(text) => match text.parse::<usize>() {
            Ok(mb) if (1..=1024).contains(&mb) => Ok(mb * 1024 * 1024),
            _ => Err(ConfigError::Invalid {
                name: "YGJ_MAX_UPLOAD_MB",
                reason: "must be a whole number of megabytes from 1 to 1024".into(),
            }),
        },
    }
}

/// What single sign-on does with an identity that matches no user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownIdentity {
    /// Turn them away (`unknown_user`).
    Refuse,
    /// Create a viewer in the configured org unit and sign them in.
    Provision,
}

/// Single sign-on through an OAuth 2.0 / OpenID Connect provider (authorization code with PKCE),
/// from the `YGJ_SSO_*` variables.
#[derive(Clone)]
pub struct SsoSettings {
    /// The provider's authorization endpoint (`YGJ_SSO_AUTHORIZE_URL`).
    pub authorize_url: String,
    /// Its token endpoint (`YGJ_SSO_TOKEN_URL`).
    pub token_url: String,
    /// Its userinfo endpoint (`YGJ_SSO_USERINFO_URL`).
    pub userinfo_url: String,
    /// Its issuer identifier (`YGJ_SSO_ISSUER`): shown in logs and audit entries, and compared
    /// with the `iss` of the authorization response when the provider sends one (RFC 9207).
    pub issuer: Option<String>,
    /// Our client id at the provider (`YGJ_SSO_CLIENT_ID`).
    pub client_id: String,
    /// Our client secret (`YGJ_SSO_CLIENT_SECRET`); `None` for a public client (PKCE only).
    pub client_secret: Option<String>,
    /// Scopes asked for (`YGJ_SSO_SCOPES`, space-separated; default `openid profile email`).
    pub scopes: Vec<String>,
    /// Our callback as the provider sees it (`YGJ_SSO_REDIRECT_URL`), ending in
    /// `/api/v1/auth/sso/callback`.
    pub redirect_url: String,
    /// The userinfo claim holding the HR employee id (`YGJ_SSO_EMPLOYEE_ID_CLAIM`, default
    /// `employee_id`; a dotted path reaches into nested objects).
    pub employee_id_claim: String,
    /// The userinfo claim holding the e-mail (`YGJ_SSO_EMAIL_CLAIM`, default `email`).
    pub email_claim: String,
    /// Identities that match no user (`YGJ_SSO_UNKNOWN`: `refuse`, the default, or `provision`).
    pub unknown: UnknownIdentity,
    /// Code of the org unit provisioned users join as viewers (`YGJ_SSO_PROVISION_UNIT`);
    /// required with `provision`.
    pub provision_unit: Option<String>,
    /// The sign-in page's button text (`YGJ_SSO_LABEL`, default 统一身份认证登录).
    pub label: String,
}

impl std::fmt::Debug for SsoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The client secret stays out of logs.
        f.debug_struct("SsoSettings")
            .field("authorize_url", &self.authorize_url)
            .field("token_url", &self.token_url)
            .field("userinfo_url", &self.userinfo_url)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("scopes", &self.scopes)
            .field("redirect_url", &self.redirect_url)
            .field("employee_id_claim", &self.employee_id_claim)
            .field("email_claim", &self.email_claim)
            .field("unknown", &self.unknown)
            .field("provision_unit", &self.provision_unit)
            .field("label", &self.label)
            .finish()
    }
}

/// The path of our callback; the redirect URL must end in it.
pub const SSO_CALLBACK_PATH: &str = "/api/v1/auth/sso/callback";

fn http_url(name: &'static str, value: &str) -> Result<(), ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid {
        name,
        reason: format!("{reason} (got `{value}`)"),
    };
    let url = oauth2::url::Url::parse(value).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid("must be an absolute http(s) URL"));
    }
    if url.fragment().is_some() {
        return Err(invalid("must not have a #fragment"));
    }
    Ok(())
}

impl SsoSettings {
    /// Settings for a provider with every optional value at its default (refuse unknown
    /// identities, claims `employee_id` and `email`, scopes `openid profile email`).
    pub fn new(
        client_id: impl Into<String>,
        authorize_url: impl Into<String>,
        token_url: impl Into<String>,
        userinfo_url: impl Into<String>,
        redirect_url: impl Into<String>,
    ) -> Self {
        SsoSettings {
            authorize_url: authorize_url.into(),
            token_url: token_url.into(),
            userinfo_url: userinfo_url.into(),
            issuer: None,
            client_id: client_id.into(),
            client_secret: None,
            scopes: vec!["openid".into(), "profile".into(), "email".into()],
            redirect_url: redirect_url.into(),
            employee_id_claim: "employee_id".into(),
            email_claim: "email".into(),
            unknown: UnknownIdentity::Refuse,
            provision_unit: None,
            label: "统一身份认证登录".into(),
        }
    }

    /// Reads `YGJ_SSO_*`; `None` when `YGJ_SSO_CLIENT_ID` is unset. Missing or malformed values
    /// are errors naming the variable, so a half-configured provider stops the start-up.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        let Some(client_id) = var("YGJ_SSO_CLIENT_ID") else {
            return Ok(None);
        };
        let required = |name: &'static str| {
            var(name).ok_or_else(|| ConfigError::Invalid {
                name,
                reason: "required when YGJ_SSO_CLIENT_ID is set".into(),
            })
        };
        let mut sso = SsoSettings::new(
            client_id,
            required("YGJ_SSO_AUTHORIZE_URL")?,
            required("YGJ_SSO_TOKEN_URL")?,
            required("YGJ_SSO_USERINFO_URL")?,
            required("YGJ_SSO_REDIRECT_URL")?,
        );
        sso.issuer = var("YGJ_SSO_ISSUER");
        sso.client_secret = var("YGJ_SSO_CLIENT_SECRET");
        if let Some(scopes) = var("YGJ_SSO_SCOPES") {
            sso.scopes = scopes.split_whitespace().map(str::to_owned).collect();
        }
        if let Some(claim) = var("YGJ_SSO_EMPLOYEE_ID_CLAIM") {
            sso.employee_id_claim = claim;
        }
        if let Some(claim) = var("YGJ_SSO_EMAIL_CLAIM") {
            sso.email_claim = claim;
        }
        sso.unknown = match var("YGJ_SSO_UNKNOWN").as_deref() {
            None | Some("refuse") => UnknownIdentity::Refuse,
            Some("provision") => UnknownIdentity::Provision,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "YGJ_SSO_UNKNOWN",
                    reason: format!("must be `refuse` or `provision` (got `{other}`)"),
                })
            }
        };
        sso.provision_unit = var("YGJ_SSO_PROVISION_UNIT");
        if let Some(label) = var("YGJ_SSO_LABEL") {
            sso.label = label;
        }
        sso.validate()?;
        Ok(Some(sso))
    }

    /// Checks the values fit together: absolute http(s) endpoints, a redirect URL that is our
    /// callback, at least one scope, a unit for provisioning.
    pub fn validate(&self) -> Result<(), ConfigError> {
        http_url("YGJ_SSO_AUTHORIZE_URL", &self.authorize_url)?;
        http_url("YGJ_SSO_TOKEN_URL", &self.token_url)?;
        http_url("YGJ_SSO_USERINFO_URL", &self.userinfo_url)?;
        http_url("YGJ_SSO_REDIRECT_URL", &self.redirect_url)?;
        let invalid = |name: &'static str, reason: &str| ConfigError::Invalid {
            name,
            reason: reason.to_owned(),
        };
        let redirect_path = oauth2::url::Url::parse(&self.redirect_url)
            .map(|u| u.path().to_owned())
            .unwrap_or_default();
        if !redirect_path.ends_with(SSO_CALLBACK_PATH) {
            return Err(invalid(
                "YGJ_SSO_REDIRECT_URL",
                &format!("must be this server's {SSO_CALLBACK_PATH} as the provider reaches it"),
            ));
        }
        if self.client_id.trim().is_empty() {
            return Err(invalid("YGJ_SSO_CLIENT_ID", "must not be empty"));
        }
        if self.scopes.is_empty() {
            return Err(invalid("YGJ_SSO_SCOPES", "must name at least one scope"));
        }
        if self.employee_id_claim.trim().is_empty() {
            return Err(invalid("YGJ_SSO_EMPLOYEE_ID_CLAIM", "must not be empty"));
        }
        if self.email_claim.trim().is_empty() {
            return Err(invalid("YGJ_SSO_EMAIL_CLAIM", "must not be empty"));
        }
        if self.unknown == UnknownIdentity::Provision
            && self
                .provision_unit
                .as_deref()
                .is_none_or(|u| u.trim().is_empty())
        {
            return Err(invalid(
                "YGJ_SSO_PROVISION_UNIT",
                "required when YGJ_SSO_UNKNOWN=provision (the code of an org unit, e.g. 430104)",
            ));
        }
        if self.label.trim().is_empty() {
            return Err(invalid("YGJ_SSO_LABEL", "must not be empty"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> SsoSettings {
        SsoSettings::new(
            "ygj",
            "https://idp.example.cn/authorize",
            "https://idp.example.cn/token",
            "https://idp.example.cn/userinfo",
            "https://ygj.example.cn/api/v1/auth/sso/callback",
        )
    }

    fn rejected(sso: &SsoSettings) -> &'static str {
        match sso.validate() {
            Err(ConfigError::Invalid { name, .. }) => name,
            other => panic!("expected an invalid variable, got {other:?}"),
        }
    }

    #[test]
    fn sso_settings_must_fit_together() {
        assert!(valid().validate().is_ok());
        let mut sso = valid();
        sso.token_url = "idp.example.cn/token".into();
        assert_eq!(rejected(&sso), "YGJ_SSO_TOKEN_URL");
        let mut sso = valid();
        sso.authorize_url = "ftp://idp.example.cn/authorize".into();
        assert_eq!(rejected(&sso), "YGJ_SSO_AUTHORIZE_URL");
        let mut sso = valid();
        sso.redirect_url = "https://ygj.example.cn/callback".into();
        assert_eq!(rejected(&sso), "YGJ_SSO_REDIRECT_URL");
        let mut sso = valid();
        sso.scopes.clear();
        assert_eq!(rejected(&sso), "YGJ_SSO_SCOPES");
        let mut sso = valid();
        sso.unknown = UnknownIdentity::Provision;
        assert_eq!(rejected(&sso), "YGJ_SSO_PROVISION_UNIT");
        sso.provision_unit = Some("430104".into());
        assert!(sso.validate().is_ok());
    }

    #[test]
    fn the_client_secret_is_not_printed() {
        let mut sso = valid();
        sso.client_secret = Some("s3cret-value".into());
        let printed = format!("{sso:?}");
        assert!(!printed.contains("s3cret-value"), "{printed}");
        assert!(printed.contains("***"));
    }
}
