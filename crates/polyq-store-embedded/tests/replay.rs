//! Every conformance case, then a restart: the restored engine must hold exactly what the
//! running one held (queues, stats, every message with its lease state, the sequence counter,
//! and every live deduplication record). This catches any state change the journal misses.
//!
//! Timers that fire (a delay or a lease running out) are not journaled: they follow from
//! `visible_ms` and time. So both engines are first brought to the latest time the case used.

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use polyq_core::memory::QueueDump;
use polyq_core::*;
use polyq_store_embedded::EmbeddedStore;

/// Forwards to the store and remembers the latest `now` it was given.
struct Timed {
    store: EmbeddedStore,
    latest: AtomicU64,
}

impl Timed {
    fn saw(&self, now: u64) -> u64 {
        self.latest.fetch_max(now, Ordering::Relaxed);
        now
    }
}

#[async_trait]
impl QueueStore for Timed {
    async fn create_queue(
        &self,
        name: &str,
        c: QueueConfig,
        now: u64,
    ) -> CoreResult<CreateOutcome> {
        self.store.create_queue(name, c, self.saw(now)).await
    }
    async fn delete_queue(&self, name: &str) -> CoreResult<()> {
        self.store.delete_queue(name).await
    }
    async fn get_queue(&self, name: &str, now: u64) -> CoreResult<QueueInfo> {
        self.store.get_queue(name, self.saw(now)).await
    }
    async fn list_queues(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
        now: u64,
    ) -> CoreResult<Vec<QueueInfo>> {
        self.store
            .list_queues(prefix, after, limit, self.saw(now))
            .await
    }
    async fn update_queue(&self, name: &str, u: QueueUpdate, now: u64) -> CoreResult<QueueInfo> {
        self.store.update_queue(name, u, self.saw(now)).await
    }
    async fn purge_queue(&self, name: &str, now: u64) -> CoreResult<u64> {
        self.store.purge_queue(name, self.saw(now)).await
    }
    async fn send(
        &self,
        q: &str,
        m: Vec<NewMessage>,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Sent>>> {
        self.store.send(q, m, self.saw(now)).await
    }
    async fn lease(&self, q: &str, r: LeaseRequest, now: u64) -> CoreResult<LeaseOutcome> {
        self.store.lease(q, r, self.saw(now)).await
    }
    async fn peek(&self, q: &str, max: usize, now: u64) -> CoreResult<Vec<Message>> {
        self.store.peek(q, max, self.saw(now)).await
    }
    async fn get_message(&self, q: &str, id: &str, now: u64) -> CoreResult<Message> {
        self.store.get_message(q, id, self.saw(now)).await
    }
    async fn delete_receipts(
        &self,
        q: &str,
        r: &[Receipt],
        leased_only: bool,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<()>>> {
        self.store
            .delete_receipts(q, r, leased_only, self.saw(now))
            .await
    }
    async fn change_visibility(
        &self,
        q: &str,
        c: &[VisibilityChange],
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Relet>>> {
        self.store.change_visibility(q, c, self.saw(now)).await
    }
    async fn update_message(
        &self,
        q: &str,
        c: VisibilityChange,
        body: Option<bytes::Bytes>,
        now: u64,
    ) -> CoreResult<Relet> {
        self.store.update_message(q, c, body, self.saw(now)).await
    }
    async fn move_messages(
        &self,
        from: &str,
        to: Option<&str>,
        max: usize,
        now: u64,
    ) -> CoreResult<u64> {
        self.store.move_messages(from, to, max, self.saw(now)).await
    }
}

/// Applies time up to `now` to every queue.
async fn advance_all(store: &EmbeddedStore, now: u64) {
    for q in store.list_queues("", None, usize::MAX, now).await.unwrap() {
        store.get_queue(&q.name, now).await.unwrap();
    }
}

struct Snapshot {
    queues: Vec<QueueDump>,
    next_seq: u64,
    id_prefix: u64,
}

impl Snapshot {
    fn of(store: &EmbeddedStore) -> Snapshot {
        Snapshot {
            queues: store.memory().dump(),
            next_seq: store.memory().next_seq(),
            id_prefix: store.memory().id_prefix(),
        }
    }

    fn assert_restored_in(&self, store: &EmbeddedStore) {
        let after = Snapshot::of(store);
        assert_eq!(after.next_seq, self.next_seq, "sequence counter");
        assert_eq!(after.id_prefix, self.id_prefix, "id salt");
        assert_eq!(after.queues.len(), self.queues.len(), "queues");
        for (b, a) in self.queues.iter().zip(&after.queues) {
            assert_eq!(b.info, a.info, "queue {}", b.info.name);
            assert_eq!(b.messages, a.messages, "messages of {}", b.info.name);
            // The disk may still hold records the engine already let go (they are dropped
            // there lazily); none may be missing.
            for d in &b.dedup {
                assert!(
                    a.dedup.contains(d),
                    "dedup record {d:?} of {} lost",
                    b.info.name
                );
            }
        }
    }
}

macro_rules! replay_cases {
    ($($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let dir = tempfile::tempdir().unwrap();
                let store = EmbeddedStore::open(dir.path()).unwrap();
                let timed = Timed { store, latest: AtomicU64::new(0) };
                polyq_core::conformance::$case(&timed).await;
                let now = timed.latest.load(Ordering::Relaxed);
                advance_all(&timed.store, now).await;
                let snapshot = Snapshot::of(&timed.store);
                // Closes the database and releases the directory.
                drop(timed);
                let reopened = EmbeddedStore::open(dir.path()).unwrap();
                advance_all(&reopened, now).await;
                snapshot.assert_restored_in(&reopened);
            }
        )*
    };
}

replay_cases!(
    create_get_list_delete,
    create_existing_reports_it,
    list_prefix_and_paging,
    update_queue_config,
    send_lease_delete_roundtrip,
    priority_then_send_order,
    delay_hides_until_due,
    visibility_expiry_redelivers,
    stale_and_unknown_receipts,
    change_visibility_semantics,
    visibility_total_cap,
    dead_letter_after_max_receives,
    fifo_group_blocking,
    fifo_group_turns,
    fifo_delay_is_retroactive,
    fifo_dedup_window,
    expiry_and_ttl,
    purge_removes_everything,
    peek_and_get_message,
    move_messages_back_to_source,
    attempt_id_replays_lease,
    stats_track_states,
    missing_queue_errors,
    update_message_replaces_body,
);
