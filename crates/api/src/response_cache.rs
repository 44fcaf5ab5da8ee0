//! Answers kept in memory while the data they were built from has not changed.
//!
//! The client list is what every manager opens first and again after each visit to a client:
//! the same few pages for the same few scopes, over data that changes a few times a day. Its
//! answer, as JSON bytes, is kept under the [`store::Store::data_version`] read before it was
//! built and served again while that version holds (and for at most
//! [`store::MAX_CACHED_AGE`]); any change to clients, org units or users' names — made by any
//! instance — moves the version and the entry is never used again. When the version cannot be
//! known (PostgreSQL while the change listener is not subscribed) nothing is cached.

use actix_web::web::Bytes;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// Entries kept before old ones are swept (each is one page: tens of kilobytes at most).
const MAX_ENTRIES: usize = 4_096;

#[derive(Debug)]
struct Entry {
    version: u64,
    at: Instant,
    body: Bytes,
}

/// Answers by key (the caller's scope and the request's filters, paging and sort).
#[derive(Debug)]
pub struct ResponseCache {
    enabled: bool,
    entries: Mutex<HashMap<String, Entry>>,
}

impl ResponseCache {
    /// A cache; a disabled one keeps nothing (`YGJ_ANSWER_CACHE=off`).
    pub fn new(enabled: bool) -> Self {
        ResponseCache {
            enabled,
            entries: Mutex::default(),
        }
    }

    /// Whether answers are kept at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The answer kept for `key` at `version`, if it is still good.
    pub fn get(&self, key: &str, version: u64) -> Option<Bytes> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(key)
            .filter(|e| e.version == version && e.at.elapsed() < store::MAX_CACHED_AGE)
            .map(|e| e.body.clone())
    }

    /// Keeps `body` for `key`, built from data read at `version`.
    pub fn put(&self, key: String, version: u64, body: Bytes) {
        if !self.enabled {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.retain(|_, e| e.version == version && e.at.elapsed() < store::MAX_CACHED_AGE);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(
            key,
            Entry {
                version,
                at: Instant::now(),
                body,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_served_only_at_the_version_it_was_built_from() {
        let cache = ResponseCache::new(true);
        cache.put("k".into(), 3, Bytes::from_static(b"[]"));
        assert_eq!(cache.get("k", 3), Some(Bytes::from_static(b"[]")));
        assert_eq!(cache.get("k", 4), None);
        assert_eq!(cache.get("other", 3), None);
        let off = ResponseCache::new(false);
        off.put("k".into(), 3, Bytes::from_static(b"[]"));
        assert_eq!(off.get("k", 3), None);
    }

    #[test]
    fn a_full_cache_drops_what_is_stale_first_and_never_grows_past_its_bound() {
        let cache = ResponseCache::new(true);
        for i in 0..MAX_ENTRIES {
            cache.put(format!("old {i}"), 1, Bytes::new());
        }
        cache.put("new".into(), 2, Bytes::new());
        let entries = cache.entries.lock().unwrap_or_else(PoisonError::into_inner);
        assert_eq!(entries.len(), 1, "stale entries swept");
        drop(entries);
        for i in 0..MAX_ENTRIES + 10 {
            cache.put(format!("k {i}"), 2, Bytes::new());
        }
        let entries = cache.entries.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(entries.len() <= MAX_ENTRIES);
    }
}
