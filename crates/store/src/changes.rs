//! Knowing, without asking the database each time, whether the data behind a cached answer has
//! changed: the clients, the org units and the names of users (what the client list and the org
//! tree are made of).
//!
//! - **PostgreSQL**: statement-level triggers on those tables send `NOTIFY ygj_changes` (migration
//!   `change_feed`), delivered to every listener when the writing transaction commits. Each
//!   process holds one listening connection ([`Store::follow_changes`]) and counts what it hears
//!   in a generation. While it is not subscribed (starting, the database away, the connection
//!   lost) the generation is unknown and nothing may be served from a cache; on (re)subscribing
//!   the generation moves on, since notifications sent meanwhile are lost.
//! - **SQLite**: row triggers bump a version row, which is read per request (a lookup in the
//!   process's own file, microseconds); other processes writing the file are seen too.
//!
//! On PostgreSQL, writes made through this process also move the generation as soon as they
//! commit, so a user's next request on the same instance never waits for the notification's
//! round trip.
//! A connection that dies silently (no reset) is not noticed by the listener; callers bound the
//! age of what they cache ([`MAX_CACHED_AGE`]) so such a failure is stale for seconds, not for
//! ever.

use crate::copy::sqlx_error;
use crate::{Store, StoreError};
use migration::CHANGE_CHANNEL;
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::DbBackend;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The longest an answer built from the watched tables may be served from a cache, even when
/// no change was heard.
pub const MAX_CACHED_AGE: Duration = Duration::from_secs(10);

/// How long to wait before connecting the listener again after a failure.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// The generation of the watched tables in this process.
#[derive(Debug, Default)]
pub(crate) struct ChangeWatch {
    generation: AtomicU64,
    /// PostgreSQL only: the listener is subscribed, so the generation is trustworthy.
    listening: AtomicBool,
    /// The org units, as last read, with the version they were read at.
    units: Mutex<Option<CachedUnits>>,
}

#[derive(Debug)]
struct CachedUnits {
    version: u64,
    at: Instant,
    units: Vec<domain::org::OrgUnit>,
    /// The same as (id, parent) pairs, which most requests want for their scope.
    tree: Vec<(Uuid, Option<Uuid>)>,
}

impl ChangeWatch {
    pub(crate) fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn set_listening(&self, listening: bool) {
        // Either way the past is uncertain: whatever was cached under the old generation goes.
        self.bump();
        self.listening.store(listening, Ordering::Release);
    }

    pub(crate) fn cached_units(&self, version: u64) -> Option<Vec<domain::org::OrgUnit>> {
        self.cached(version, |c| c.units.clone())
    }

    pub(crate) fn cached_tree(&self, version: u64) -> Option<Vec<(Uuid, Option<Uuid>)>> {
        self.cached(version, |c| c.tree.clone())
    }

    fn cached<T>(&self, version: u64, take: impl FnOnce(&CachedUnits) -> T) -> Option<T> {
        let cached = self.units.lock().unwrap_or_else(PoisonError::into_inner);
        cached
            .as_ref()
            .filter(|c| c.version == version && c.at.elapsed() < MAX_CACHED_AGE)
            .map(take)
    }

    pub(crate) fn keep_units(&self, version: u64, units: &[domain::org::OrgUnit]) {
        let mut cached = self.units.lock().unwrap_or_else(PoisonError::into_inner);
        *cached = Some(CachedUnits {
            version,
            at: Instant::now(),
            units: units.to_vec(),
            tree: units.iter().map(|u| (u.id, u.parent_id)).collect(),
        });
    }
}

impl Store {
    /// A number that changes whenever a client, an org unit or a user's name or unit changes,
    /// in this process or any other on the same database; `None` when that cannot be known now
    /// (PostgreSQL while the listener is not subscribed), and then nothing may come from a cache.
    /// Read it *before* reading the data an answer is built from, and keep the answer under it.
    pub async fn data_version(&self) -> Result<Option<u64>, StoreError> {
        match self.backend() {
            DbBackend::Postgres => Ok(self
                .changes
                .listening
                .load(Ordering::Acquire)
                .then(|| self.changes.generation.load(Ordering::Acquire))),
            _ => {
                let version: i64 = sea_orm::sqlx::query_scalar(
                    "SELECT version FROM data_versions WHERE name = 'client_list'",
                )
                .fetch_optional(self.db.get_sqlite_connection_pool())
                .await
                .map_err(sqlx_error)?
                .unwrap_or(0);
                // The triggers bump it inside the writing transaction: own writes included.
                Ok(Some(u64::try_from(version).unwrap_or(0)))
            }
        }
    }

    /// Records that this process changed watched data (called after the commit).
    pub(crate) fn data_changed(&self) {
        self.changes.bump();
    }

    /// Follows the change notifications of PostgreSQL until the pool is closed; spawn it once
    /// per server process. Returns at once on SQLite, whose version row needs no listener.
    pub async fn follow_changes(self) {
        if self.backend() != DbBackend::Postgres {
            return;
        }
        let pool = self.db.get_postgres_connection_pool().clone();
        loop {
            let subscribed = async {
                let mut listener = PgListener::connect_with(&pool).await?;
                listener.listen(CHANGE_CHANNEL).await?;
                Ok::<_, sea_orm::sqlx::Error>(listener)
            }
            .await;
            let mut listener = match subscribed {
                Ok(listener) => listener,
                Err(sea_orm::sqlx::Error::PoolClosed) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "change listener could not subscribe; retrying");
                    tokio::time::sleep(RECONNECT_AFTER).await;
                    continue;
                }
            };
            self.changes.set_listening(true);
            tracing::debug!("change listener subscribed");
            let ended = loop {
                match listener.try_recv().await {
                    Ok(Some(_)) => self.changes.bump(),
                    // The connection was lost: notifications sent meanwhile are gone.
                    Ok(None) => break None,
                    Err(e) => break Some(e),
                }
            };
            self.changes.set_listening(false);
            match ended {
                Some(sea_orm::sqlx::Error::PoolClosed) => return,
                Some(e) => tracing::warn!(error = %e, "change listener failed; reconnecting"),
                None => tracing::warn!("change listener lost its connection; reconnecting"),
            }
            drop(listener);
            tokio::time::sleep(RECONNECT_AFTER).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_or_a_lost_subscription_moves_the_generation() {
        let watch = ChangeWatch::default();
        let start = watch.generation.load(Ordering::Acquire);
        watch.bump();
        assert_eq!(watch.generation.load(Ordering::Acquire), start + 1);
        watch.set_listening(true);
        watch.set_listening(false);
        assert_eq!(watch.generation.load(Ordering::Acquire), start + 3);
        assert!(!watch.listening.load(Ordering::Acquire));
    }

    #[test]
    fn cached_units_are_kept_for_their_version_only() {
        let watch = ChangeWatch::default();
        watch.keep_units(4, &[]);
        assert!(watch.cached_units(4).is_some());
        assert!(watch.cached_tree(4).is_some());
        assert!(watch.cached_units(5).is_none());
        assert!(watch.cached_tree(5).is_none());
    }
}
