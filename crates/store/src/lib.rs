//! The store: sea-orm entities and queries. The only code that knows SQL; it returns domain types.

mod archive;
mod audit;
mod changes;
mod clients;
mod copy;
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
pub use changes::MAX_CACHED_AGE;
pub use clients::ListTotal;
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
    ConnectOptions, ConnectionTrait, Database, DbBackend, DbErr, RuntimeErr, SqlErr,
    SqlxSqliteConnector,
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
    /// True when the database is unreachable rather than the request being wrong: no
    /// connection could be made or taken from the pool in time, the connection broke in the
    /// middle of a statement (the server went away), or the server says it is shutting down or
    /// starting up (SQLSTATE classes 08 and 57P).
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => database_unavailable(e),
            _ => false,
        }
    }
}

fn database_unavailable(e: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    match e {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e {
                Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
                // PostgreSQL's SQLSTATE; SQLite's codes are plain numbers and never match.
                Sqlx::Database(d) => d
                    .code()
                    .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
                _ => false,
            }
        }
        _ => false,
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

/// PostgreSQL connections each process keeps open.
const POOL_SIZE: u32 = 20;

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    sessions: std::sync::Arc<session_cache::SessionCache>,
    changes: std::sync::Arc<changes::ChangeWatch>,
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
            // While PostgreSQL is away a request waits at most the acquire timeout for a
            // connection and then fails as unavailable (503); connections broken by a restart
            // fail the ping sqlx makes before handing one out and are replaced, so the pool
            // recovers by itself once the server is back.
            // Every connection is opened up front, by the pool's own task on the runtime that
            // connects the store, and kept: a socket belongs to the runtime that opened it, and
            // actix runs each worker on a runtime of its own. A connection a worker had opened
            // broke when that worker stopped — at a graceful stop an idle worker stops first,
            // and a request still running on another worker lost its connection (503) in the
            // middle of the drain. Kept for a long time, connections are replaced only after a
            // failure.
            options
                .max_connections(POOL_SIZE)
                .min_connections(POOL_SIZE)
                .idle_timeout(Duration::from_secs(365 * 24 * 3600))
                .max_lifetime(Duration::from_secs(365 * 24 * 3600))
                .connect_timeout(Duration::from_secs(5))
                .acquire_timeout(Duration::from_secs(5))
                .test_before_acquire(true)
                .sqlx_logging(false);
            Database::connect(options).await?
        };
        Ok(Store {
            db,
            sessions: Default::default(),
            changes: Default::default(),
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

    /// How many connections the pool holds now (for the metrics endpoint); `None` for a
    /// connection that is not a sqlx pool.
    pub fn pool_stats(&self) -> Option<PoolStats> {
        match &self.db {
            DatabaseConnection::SqlxPostgresPoolConnection(_) => {
                let pool = self.db.get_postgres_connection_pool();
                Some(PoolStats {
                    open: pool.size(),
                    idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                    max: pool.options().get_max_connections(),
                })
            }
            DatabaseConnection::SqlxSqlitePoolConnection(_) => {
                let pool = self.db.get_sqlite_connection_pool();
                Some(PoolStats {
                    open: pool.size(),
                    idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                    max: pool.options().get_max_connections(),
                })
            }
            _ => None,
        }
    }
}

/// A snapshot of the connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open (idle or in use).
    pub open: u32,
    /// Open connections waiting for work.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
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

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sqlx;

    fn exec(e: sqlx::Error) -> StoreError {
        StoreError::Database(DbErr::Exec(RuntimeErr::SqlxError(e)))
    }

    #[test]
    fn a_connection_lost_mid_statement_is_unavailable_not_a_bug() {
        let eof = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "got 0 bytes at EOF");
        assert!(exec(sqlx::Error::Io(eof)).is_unavailable());
        assert!(exec(sqlx::Error::PoolTimedOut).is_unavailable());
        assert!(
            StoreError::Database(DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout))
                .is_unavailable()
        );
        assert!(!exec(sqlx::Error::RowNotFound).is_unavailable());
        assert!(!StoreError::Database(DbErr::Custom("bad".into())).is_unavailable());
        assert!(!StoreError::NotFound.is_unavailable());
    }
}
