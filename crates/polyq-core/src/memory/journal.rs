//! The change journal: how a durable store observes the memory engine.
//!
//! A [`MemoryStore`](super::MemoryStore) built with a [`Journal`] hands it, per operation and
//! while still holding the lock of the queue it changed, the list of [`Change`]s the operation
//! made. Because every change of one queue is recorded under that queue's lock, the journal
//! sees them in the order they were applied, which is the order a durable store must write
//! them in. Without a journal (`--store memory`) nothing is collected: each recording site is
//! one `Option` test.
//!
//! Only changes that cannot be derived from time are recorded: a timer firing (delayed or
//! in-flight message becoming visible) is recomputed from `visible_ms` on restore, whereas
//! expiry is recorded (as a removal) so that the durable copy does not keep dead rows.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::{Message, MessageState, QueueConfig, QueueInfo};

/// One state change of the memory engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A queue was created, or its configuration (or modified time) changed.
    QueuePut {
        name: String,
        created_ms: u64,
        modified_ms: u64,
        config: QueueConfig,
    },
    /// A queue and all its messages and deduplication records are gone.
    QueueDelete { name: String },
    /// Every message of the queue is gone; its deduplication records stay.
    QueuePurge { name: String },
    /// A message entered `queue`: sent, dead-lettered, moved, or put back. It replaces any
    /// stored message with the same `seq` (a move changes the queue a message belongs to, so a
    /// move is one change and cannot lose the message half way).
    MessagePut { queue: String, message: Message },
    /// The lease fields of a message changed (receive, visibility change).
    MessageLease {
        seq: u64,
        lease: u64,
        receive_count: u32,
        first_receive_ms: Option<u64>,
        last_receive_ms: Option<u64>,
        visible_ms: u64,
        state: MessageState,
    },
    /// A message left for good: deleted or expired.
    MessageRemove { seq: u64 },
    /// A FIFO deduplication record was made (or replaced one with the same key).
    Dedup { queue: String, record: DedupRecord },
}

/// A FIFO deduplication record: a send with `key` before `expires_ms` answers with the
/// message `id`/`seq` instead of sending again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupRecord {
    pub key: String,
    pub id: String,
    pub seq: u64,
    pub expires_ms: u64,
}

/// Receives the changes of each operation, in apply order per queue.
///
/// `record` is called with a queue lock (or the queue map's lock) held, so it must be quick
/// and must not call back into the store: a durable store appends to its writer's queue and
/// returns.
pub trait Journal: Send + Sync + 'static {
    fn record(&self, changes: Vec<Change>);
}

/// A queue as read back from durable storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredQueue {
    pub name: String,
    pub created_ms: u64,
    pub modified_ms: u64,
    pub config: QueueConfig,
}

/// Builds a [`MemoryStore`](super::MemoryStore) from durable state: queues first, then their
/// messages (any order; state, lease and receive count are kept as stored) and deduplication
/// records (in expiry order), then [`finish`](Restorer::finish).
pub struct Restorer {
    pub(super) queues: BTreeMap<String, super::queue::QueueState>,
}

impl Default for Restorer {
    fn default() -> Self {
        Self::new()
    }
}

impl Restorer {
    pub fn new() -> Self {
        Restorer {
            queues: BTreeMap::new(),
        }
    }

    pub fn queue(&mut self, q: RestoredQueue) {
        let mut state = super::queue::QueueState::new(&q.name, q.config, q.created_ms);
        state.modified_ms = q.modified_ms;
        self.queues.insert(q.name, state);
    }

    /// Adds a message to a queue added before; `false` (and the message is dropped) when
    /// there is no such queue.
    pub fn message(&mut self, queue: &str, m: Message) -> bool {
        self.queues.get_mut(queue).map(|q| q.restore(m)).is_some()
    }

    /// Adds a deduplication record; `false` when there is no such queue.
    pub fn dedup(&mut self, queue: &str, record: DedupRecord) -> bool {
        self.queues
            .get_mut(queue)
            .map(|q| q.restore_dedup(record))
            .is_some()
    }

    /// The store, continuing ids at `next_seq` with the id salt `id_prefix` it had before.
    pub fn finish(
        self,
        next_seq: u64,
        id_prefix: u64,
        journal: Option<Arc<dyn Journal>>,
    ) -> super::MemoryStore {
        super::MemoryStore::from_parts(self.queues, next_seq, id_prefix, journal)
    }
}

/// Everything a queue holds that survives a restart, for checking a durable store against
/// the engine it restored (see [`MemoryStore::dump`](super::MemoryStore::dump)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDump {
    pub info: QueueInfo,
    /// In sequence order.
    pub messages: Vec<Message>,
    /// In key order.
    pub dedup: Vec<DedupRecord>,
}
