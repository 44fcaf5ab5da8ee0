//! The store: sea-orm entities and queries. The only code that knows SQL; it returns domain types.

mod archive;
mod audit;
mod clients;
mod demo;
pub mod documents;
pub mod entity;
pub mod export;
pub mod field;
pub mod files;
pub mod gauges;
pub mod ingest;
pub mod intel;
mod job_runs;
mod org;
pub mod plans;
pub mod prospects;
pub mod rules;
mod sales;
pub mod scorecards;
mod session_cache;
mod sessions;
mod sql;
mod sso;
pub mod tasks;
pub mod tickets;
mod tokens;
pub mod visits;

pub use archive::{ArchiveFilter, REQUIREMENTS_KIND};
pub use audit::AuditFilter;
pub use demo::{DemoLoad, NewUser};
pub use org::{Credentials, UserFilter, UserWrite};
pub use sea_orm::DatabaseConnection;
pub use session_cache::SESSION_CACHE_TTL;
pub use sessions::{NewSession, RefreshOutcome};
pub use sso::{NewSsoRequest, NewSsoTicket};

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DbBackend, DbErr, SqlErr, SqlxSqliteConnector,
};
use std::str::FromStr;
use std::time::Duration;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated; the field is named when known.
    #[error("duplicate value for {field}")]
    Duplicate {
        /// Which field (API name).
        field: String,
    },
    /// The record does not exist.
    #[error("not found")]
    NotFound,
    /// A stored value could not be mapped to the domain (corrupt data).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The database failed or is unreachable.
    #[error(transparent)]
    Database(#[from] DbErr),
}

impl StoreError {
    /// True when the database is unreachable rather than the request being wrong.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Database(DbErr::Conn(_) | DbErr::ConnectionAcquire(_))
        )
    }
}

/// Maps a unique violation to [`StoreError::Duplicate`], naming the field by its column.
pub(crate) fn map_unique(err: DbErr, fields: &[&str]) -> StoreError {
    if let Some(SqlErr::UniqueConstraintViolation(message)) = err.sql_err() {
        let field = fields
            .iter()
            .find(|f| message.contains(*f))
            .copied()
            .unwrap_or("id");
        return StoreError::Duplicate {
            field: field.to_owned(),
        };
    }
    StoreError::Database(err)
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    sessions: std::sync::Arc<session_cache::SessionCache>,
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`).
    ///
    /// SQLite gets WAL, `synchronous=NORMAL`, foreign keys and a busy timeout, which make it
    /// serve concurrent readers while one writer commits.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let db = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::Internal(e.to_string())))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // 64 MB of page cache per connection: the recompute and the dashboard read
                // whole tables, which the 2 MB default would reread from the file.
                .pragma("cache_size", "-65536")
                .pragma("mmap_size", "268435456");
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await
                .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::Internal(e.to_string())))?;
            SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
        } else {
            let mut options = ConnectOptions::new(url);
            options
                .max_connections(20)
                .min_connections(1)
                .connect_timeout(Duration::from_secs(5))
                .acquire_timeout(Duration::from_secs(5))
                .sqlx_logging(false);
            Database::connect(options).await?
        };
        Ok(Store {
            db,
            sessions: Default::default(),
        })
    }

    /// Brings the schema up to date (idempotent).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self.db.get_database_backend() {
            DbBackend::Sqlite => "sqlite",
            DbBackend::Postgres => "postgres",
            DbBackend::MySql => "mysql",
        }
    }

    /// The raw connection, for tests and tools.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}

/// Parses a stored JSON column into a domain type.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    value: &serde_json::Value,
    what: &str,
) -> Result<T, StoreError> {
    serde_json::from_value(value.clone()).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Serialises a domain value for a JSON column.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Parses a stored code into a domain enum.
pub(crate) fn from_code<T: FromStr>(code: &str, what: &str) -> Result<T, StoreError> {
    code.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what}: unknown code `{code}`")))
}
