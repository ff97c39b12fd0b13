//! AWS's 60-second rules, which need what this node did recently: one `PurgeQueue` per queue
//! every 60 seconds (a second one inside the window → `PurgeQueueInProgress`, 403; recorded
//! AWS answer), and, when enabled, no queue created under a name deleted less than 60 seconds
//! ago (`QueueDeletedRecently`, 400). The times are kept per node, in memory: nodes sharing a
//! PostgreSQL store each apply the windows to the requests they serve.

use std::collections::HashMap;
use std::sync::Mutex;

/// How long each rule holds after the event.
pub const WINDOW_MS: u64 = 60_000;

/// Entries kept before the expired ones are swept (bounds memory under many queues).
const SWEEP_AT: usize = 4096;

/// What this node remembers for the rules.
#[derive(Default)]
pub struct Recent {
    pub purges: LastEvent,
    /// Queue deletions, kept only while `QueueDeletedRecently` is enforced
    /// ([`crate::SqsConfig::queue_deleted_recently`]).
    pub deletions: Option<LastEvent>,
}

impl Recent {
    pub fn new(enforce_deleted_recently: bool) -> Recent {
        Recent {
            purges: LastEvent::default(),
            deletions: enforce_deleted_recently.then(LastEvent::default),
        }
    }
}

/// When each queue name last had the event (a purge, a deletion).
#[derive(Default)]
pub struct LastEvent {
    last: Mutex<HashMap<String, u64>>,
}

impl LastEvent {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        self.last.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn within(last: &HashMap<String, u64>, name: &str, since_ms: u64, now: u64) -> bool {
        last.get(name)
            .is_some_and(|&at| at >= since_ms && now < at.saturating_add(WINDOW_MS))
    }

    fn insert(last: &mut HashMap<String, u64>, name: &str, now: u64) {
        if last.len() >= SWEEP_AT {
            last.retain(|_, at| now < at.saturating_add(WINDOW_MS));
        }
        last.insert(name.to_string(), now);
    }

    /// Records the event for `name` at `now`, unless it already happened less than
    /// [`WINDOW_MS`] ago and not before `since_ms` (a queue created since starts afresh): then
    /// `false`, recording nothing. Checked and recorded at once, so of two racing purges one
    /// is refused.
    pub fn admit(&self, name: &str, since_ms: u64, now: u64) -> bool {
        let mut last = self.lock();
        if Self::within(&last, name, since_ms, now) {
            return false;
        }
        Self::insert(&mut last, name, now);
        true
    }

    /// Records the event for `name` at `now`.
    pub fn record(&self, name: &str, now: u64) {
        Self::insert(&mut self.lock(), name, now);
    }

    /// Whether `name` had the event less than [`WINDOW_MS`] before `now`.
    pub fn recent(&self, name: &str, now: u64) -> bool {
        Self::within(&self.lock(), name, 0, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_purge_per_queue_every_sixty_seconds() {
        let p = LastEvent::default();
        assert!(p.admit("q", 0, 1_000));
        assert!(!p.admit("q", 0, 1_000 + WINDOW_MS - 1));
        assert!(p.admit("other", 0, 1_001), "per queue");
        assert!(p.admit("q", 0, 1_000 + WINDOW_MS));
    }

    #[test]
    fn a_recreated_queue_starts_afresh() {
        let p = LastEvent::default();
        assert!(p.admit("q", 0, 1_000));
        assert!(p.admit("q", 2_000, 3_000), "created after the last purge");
        assert!(!p.admit("q", 2_000, 4_000));
    }

    #[test]
    fn a_recorded_event_is_recent_for_sixty_seconds() {
        let d = LastEvent::default();
        assert!(!d.recent("q", 1_000));
        d.record("q", 1_000);
        assert!(d.recent("q", 1_000 + WINDOW_MS - 1));
        assert!(!d.recent("other", 1_001), "per name");
        assert!(!d.recent("q", 1_000 + WINDOW_MS));
    }

    #[test]
    fn expired_entries_are_swept() {
        let p = LastEvent::default();
        for i in 0..SWEEP_AT {
            assert!(p.admit(&format!("q{i}"), 0, 0));
        }
        assert!(p.admit("late", 0, WINDOW_MS));
        assert_eq!(p.last.lock().unwrap().len(), 1);
    }
}
