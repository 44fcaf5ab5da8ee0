//! A short-lived, in-process memory of recently verified sessions, so an authenticated request
//! usually needs no database query.
//!
//! Every change that can end a session or alter what a user may do (sign-out, password change,
//! refresh-token reuse, deactivation, role or unit change) goes through the store, which then
//! forgets everything at once (a generation counter), so on this instance such a change takes
//! effect on the very next request. Another instance behind the same database notices within
//! [`SESSION_CACHE_TTL`] at the latest.

use domain::org::UserInfo;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a verified session is trusted without asking the database again.
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(3);

/// Entries kept before stale ones are swept.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug)]
struct Entry {
    user: UserInfo,
    generation: u64,
    at: Instant,
}

/// Sessions verified lately, keyed by (session, user).
#[derive(Debug, Default)]
pub(crate) struct SessionCache {
    generation: AtomicU64,
    entries: Mutex<HashMap<(Uuid, Uuid), Entry>>,
}

impl SessionCache {
    /// The user of a session verified less than the TTL ago and since the last change.
    pub(crate) fn get(&self, session: Uuid, user: Uuid) -> Option<UserInfo> {
        let generation = self.generation.load(Ordering::Acquire);
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(&(session, user))
            .filter(|e| e.generation == generation && e.at.elapsed() < SESSION_CACHE_TTL)
            .map(|e| e.user.clone())
    }

    /// Remembers a session just verified against the database. `generation` is the one read
    /// before the query, so a change committed meanwhile is not papered over.
    pub(crate) fn put(&self, session: Uuid, user: UserInfo, generation: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() > SWEEP_ABOVE {
            let current = self.generation.load(Ordering::Acquire);
            entries.retain(|_, e| e.generation == current && e.at.elapsed() < SESSION_CACHE_TTL);
        }
        entries.insert(
            (session, user.id),
            Entry {
                user,
                generation,
                at: Instant::now(),
            },
        );
    }

    /// The current generation (read before a database check).
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Forgets every session: something that may end sessions or change users was written.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: u128) -> UserInfo {
        UserInfo {
            id: Uuid::from_u128(id),
            username: "u".into(),
            display_name: "U".into(),
            role: domain::org::Role::Viewer,
            org_unit_id: Uuid::nil(),
            org_unit_name: String::new(),
        }
    }

    #[test]
    fn a_change_forgets_every_session_and_a_stale_put_does_not_revive_one() {
        let cache = SessionCache::default();
        let sid = Uuid::from_u128(1);
        let g = cache.generation();
        cache.put(sid, user(2), g);
        assert!(cache.get(sid, Uuid::from_u128(2)).is_some());
        assert!(
            cache.get(sid, Uuid::from_u128(3)).is_none(),
            "keyed by user too"
        );
        cache.invalidate();
        assert!(cache.get(sid, Uuid::from_u128(2)).is_none());
        // A check that read the generation before the change must not be trusted after it.
        cache.put(sid, user(2), g);
        assert!(cache.get(sid, Uuid::from_u128(2)).is_none());
    }
}
