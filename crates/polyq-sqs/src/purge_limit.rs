//! SQS allows one `PurgeQueue` per queue every 60 seconds; a second one inside that window is
//! refused with `PurgeQueueInProgress` (403; recorded AWS answer). The times are kept per node,
//! in memory: nodes sharing a PostgreSQL store each apply the window to the purges they serve.

use std::collections::HashMap;
use std::sync::Mutex;

/// How long after a purge the next one of the same queue is refused.
pub const PURGE_WINDOW_MS: u64 = 60_000;

/// Entries kept before the expired ones are swept (bounds memory under many queues).
const SWEEP_AT: usize = 4096;

/// When each queue was last purged.
#[derive(Default)]
pub struct PurgeLimiter {
    last: Mutex<HashMap<String, u64>>,
}

impl PurgeLimiter {
    /// Records a purge of `queue` (created at `created_ms`) at `now`; `false`, recording
    /// nothing, when it was purged less than [`PURGE_WINDOW_MS`] ago. A queue created since
    /// its name was last purged starts afresh.
    pub fn admit(&self, queue: &str, created_ms: u64, now: u64) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&at) = last.get(queue) {
            if at >= created_ms && now < at.saturating_add(PURGE_WINDOW_MS) {
                return false;
            }
        }
        if last.len() >= SWEEP_AT {
            last.retain(|_, at| now < at.saturating_add(PURGE_WINDOW_MS));
        }
        last.insert(queue.to_string(), now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_purge_per_queue_every_sixty_seconds() {
        let p = PurgeLimiter::default();
        assert!(p.admit("q", 0, 1_000));
        assert!(!p.admit("q", 0, 1_000 + PURGE_WINDOW_MS - 1));
        assert!(p.admit("other", 0, 1_001), "per queue");
        assert!(p.admit("q", 0, 1_000 + PURGE_WINDOW_MS));
    }

    #[test]
    fn a_recreated_queue_starts_afresh() {
        let p = PurgeLimiter::default();
        assert!(p.admit("q", 0, 1_000));
        assert!(p.admit("q", 2_000, 3_000), "created after the last purge");
        assert!(!p.admit("q", 2_000, 4_000));
    }

    #[test]
    fn expired_entries_are_swept() {
        let p = PurgeLimiter::default();
        for i in 0..SWEEP_AT {
            assert!(p.admit(&format!("q{i}"), 0, 0));
        }
        assert!(p.admit("late", 0, PURGE_WINDOW_MS));
        assert_eq!(p.last.lock().unwrap().len(), 1);
    }
}
