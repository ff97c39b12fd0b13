//! The in-memory engine (`--store memory`): authoritative state in per-queue indexes behind
//! one lock per queue. The embedded store builds on it: see [`Journal`] for how it observes
//! every change and [`Restorer`] for how it rebuilds the engine from disk.

mod fair;
mod journal;
mod queue;
mod stored;

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::{Mutex, MutexGuard, RwLock};

use crate::error::{CoreError, CoreResult};
use crate::ids::{seq_from_message_id, Receipt};
use crate::model::*;
use crate::store::{QueueStore, QueueUpdate};
pub use journal::{Change, DedupRecord, Journal, QueueDump, RestoredQueue, Restorer};
use queue::QueueState;
use stored::{render_id, Stored};

type SharedQueue = Arc<Mutex<QueueState>>;

pub struct MemoryStore {
    queues: RwLock<BTreeMap<String, SharedQueue>>,
    next_seq: AtomicU64,
    id_prefix: u64,
    journal: Option<Arc<dyn Journal>>,
}

/// A locked queue that hands the changes made through it to the journal when unlocked, while
/// the lock is still held (so the journal sees one queue's changes in apply order).
struct Locked<'a> {
    guard: MutexGuard<'a, QueueState>,
    journal: Option<&'a dyn Journal>,
}

impl Deref for Locked<'_> {
    type Target = QueueState;
    fn deref(&self) -> &QueueState {
        &self.guard
    }
}

impl DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut QueueState {
        &mut self.guard
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        if let (Some(journal), Some(log)) = (self.journal, self.guard.log.as_mut()) {
            if !log.is_empty() {
                journal.record(std::mem::take(log));
            }
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        let (hi, lo) = uuid::Uuid::new_v4().as_u64_pair();
        MemoryStore {
            queues: RwLock::new(BTreeMap::new()),
            next_seq: AtomicU64::new(1),
            id_prefix: hi ^ lo,
            journal: None,
        }
    }

    /// An empty store that reports every change to `journal`.
    pub fn with_journal(journal: Arc<dyn Journal>) -> Self {
        MemoryStore {
            journal: Some(journal),
            ..Self::new()
        }
    }

    pub(crate) fn from_parts(
        queues: BTreeMap<String, QueueState>,
        next_seq: u64,
        id_prefix: u64,
        journal: Option<Arc<dyn Journal>>,
    ) -> Self {
        let logging = journal.is_some();
        let queues = queues
            .into_iter()
            .map(|(name, mut q)| {
                q.log = logging.then(Vec::new);
                q.set_id_prefix(id_prefix);
                (name, Arc::new(Mutex::new(q)))
            })
            .collect();
        MemoryStore {
            queues: RwLock::new(queues),
            next_seq: AtomicU64::new(next_seq.max(1)),
            id_prefix,
            journal,
        }
    }

    /// The sequence number the next message will get (a durable store keeps it so that ids
    /// and receipts are never reused).
    pub fn next_seq(&self) -> u64 {
        self.next_seq.load(Ordering::Relaxed)
    }

    /// The salt of this store's message ids.
    pub fn id_prefix(&self) -> u64 {
        self.id_prefix
    }

    /// Every queue's durable state in name order, as it is (time not applied): lets a durable
    /// store's tests compare a restored engine with the one it replaced.
    pub fn dump(&self) -> Vec<QueueDump> {
        let queues: Vec<SharedQueue> = self.queues.read().values().cloned().collect();
        queues.iter().map(|q| q.lock().dump()).collect()
    }

    /// Hands the journal the current state of the messages `seqs` of `queue` again, as
    /// [`Change::MessagePut`]s, without changing anything. The embedded store's compaction
    /// uses it to copy the few live messages out of an old log segment so that the segment
    /// can be deleted; recording under the queue's lock keeps them in order with the queue's
    /// other changes. Unknown queues and messages (deleted meanwhile) are skipped.
    pub fn rejournal(&self, queue: &str, seqs: &[u64]) {
        let Ok(q) = self.queue(queue) else {
            return;
        };
        let Ok(mut q) = self.lock_live(&q, queue) else {
            return;
        };
        let puts: Vec<Change> = seqs
            .iter()
            .filter_map(|seq| q.stored(*seq))
            .map(|message| Change::MessagePut {
                queue: queue.to_string(),
                message,
            })
            .collect();
        if let Some(log) = q.log.as_mut() {
            log.extend(puts);
        }
    }

    fn lock<'a>(&'a self, q: &'a SharedQueue) -> Locked<'a> {
        Locked {
            guard: q.lock(),
            journal: self.journal.as_deref(),
        }
    }

    /// `q` locked, unless a delete took it out of the map meanwhile (see
    /// [`QueueState::deleted`]): then the queue does not exist for this operation.
    fn lock_live<'a>(&'a self, q: &'a SharedQueue, name: &str) -> CoreResult<Locked<'a>> {
        let locked = self.lock(q);
        if locked.deleted {
            return Err(CoreError::QueueNotFound(name.to_string()));
        }
        Ok(locked)
    }

    fn record(&self, change: Change) {
        if let Some(journal) = &self.journal {
            journal.record(vec![change]);
        }
    }

    fn queue(&self, name: &str) -> CoreResult<SharedQueue> {
        self.queues
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| CoreError::QueueNotFound(name.to_string()))
    }

    /// Puts dead-lettered messages into `target`, visible now; hands them back when `target`
    /// no longer exists.
    fn deliver_moved(
        &self,
        target: &str,
        from: &str,
        msgs: Vec<Message>,
        now: u64,
    ) -> Result<(), Vec<Message>> {
        let Ok(q) = self.queue(target) else {
            return Err(msgs);
        };
        let Ok(mut q) = self.lock_live(&q, target) else {
            return Err(msgs);
        };
        for mut m in msgs {
            m.visible_ms = now;
            // The receive count and first-receive time carry on, as on SQS (a message dead-
            // lettered after 5 receives shows 6 on its first receive from the dead-letter queue).
            m.lease += 1;
            m.dead_letter_source = Some(from.to_string());
            // SQS gives a dead-lettered FIFO message its message id as deduplication id.
            if m.dedup_id.is_some() {
                m.dedup_id = Some(m.id.clone());
            }
            q.insert(m, now);
        }
        Ok(())
    }

    /// Validates `new` and gives it the next seq.
    fn build_message(
        &self,
        q: &mut QueueState,
        mut new: NewMessage,
        now: u64,
    ) -> CoreResult<(u64, Stored)> {
        let priority = new.priority.unwrap_or(PRIORITY_DEFAULT);
        if !(PRIORITY_HIGHEST..=PRIORITY_LOWEST).contains(&priority) {
            return Err(CoreError::InvalidArgument(format!(
                "priority {priority} is outside 1..16"
            )));
        }
        if q.config.fifo && new.group_id.is_none() {
            return Err(CoreError::InvalidArgument(
                "a FIFO queue needs a message group id".into(),
            ));
        }
        if q.config.fifo && new.dedup_id.is_none() {
            return Err(CoreError::InvalidArgument(
                "a FIFO queue needs a deduplication id".into(),
            ));
        }
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        let delay = u64::from(new.delay_seconds.unwrap_or(q.config.delay_seconds));
        let expires_ms = match new.ttl {
            MessageTtl::QueueRetention => Some(now + q.config.retention_seconds * 1000),
            MessageTtl::Seconds(s) => Some(now.saturating_add(s.saturating_mul(1000))),
            MessageTtl::Never => None,
        };
        let sender_id = q.intern_sender(new.sender_id.take());
        let sequence_number = q.config.fifo.then_some(seq);
        let stored = Stored::sent(
            new,
            priority,
            now,
            now + delay * 1000,
            expires_ms,
            sequence_number,
            sender_id,
        );
        Ok((seq, stored))
    }

    fn send_one(&self, q: &mut QueueState, new: NewMessage, now: u64) -> CoreResult<Sent> {
        let dedup_key = if q.config.fifo {
            new.dedup_id
                .as_ref()
                .map(|d| q.config.dedup_key(d, new.group_id.as_deref(), now))
        } else {
            None
        };
        if let Some(key) = &dedup_key {
            if let Some((id, seq)) = q.find_duplicate(key, now) {
                return Ok(Sent {
                    id,
                    receipt: Receipt { seq, lease: 0 },
                    enqueued_ms: now,
                    visible_ms: now,
                    expires_ms: None,
                    sequence_number: Some(seq),
                    deduplicated: true,
                });
            }
        }
        let (seq, m) = self.build_message(q, new, now)?;
        let sent = Sent {
            id: render_id(q.id_prefix, seq),
            receipt: Receipt { seq, lease: 0 },
            enqueued_ms: m.enqueued_ms,
            visible_ms: m.visible_ms,
            expires_ms: m.expires_ms(),
            sequence_number: q.config.fifo.then_some(seq),
            deduplicated: false,
        };
        if let Some(key) = dedup_key {
            q.remember_dedup(key, sent.id.clone(), seq, now);
        }
        q.insert_stored(seq, m, now);
        Ok(sent)
    }
}

#[async_trait]
impl QueueStore for MemoryStore {
    async fn create_queue(
        &self,
        name: &str,
        config: QueueConfig,
        now: u64,
    ) -> CoreResult<CreateOutcome> {
        // Lock order: never take a queue's lock while holding the map's. A queue found
        // there but deleted before it could be locked is gone: look again.
        loop {
            let existing = {
                let mut queues = self.queues.write();
                match queues.get(name) {
                    Some(q) => q.clone(),
                    None => {
                        let mut q = QueueState::new(name, config, now);
                        q.id_prefix = self.id_prefix;
                        q.log = self.journal.is_some().then(Vec::new);
                        let info = q.info();
                        // Recorded under the map's lock: before anyone can send to the queue.
                        self.record(Change::QueuePut {
                            name: name.to_string(),
                            created_ms: now,
                            modified_ms: now,
                            config: info.config.clone(),
                        });
                        queues.insert(name.to_string(), Arc::new(Mutex::new(q)));
                        return Ok(CreateOutcome::Created(info));
                    }
                }
            };
            let mut q = self.lock(&existing);
            if q.deleted {
                continue;
            }
            q.advance(now);
            return Ok(CreateOutcome::Exists(q.info()));
        }
    }

    async fn delete_queue(&self, name: &str) -> CoreResult<()> {
        // Under the queue's lock (then the map's, the lock order): every change an operation
        // made under that lock before is journaled before the delete, and one that locks it
        // after finds it deleted and changes nothing.
        let q = self.queue(name)?;
        let mut locked = self.lock_live(&q, name)?;
        {
            let mut queues = self.queues.write();
            match queues.get(name) {
                Some(current) if Arc::ptr_eq(current, &q) => {
                    queues.remove(name);
                }
                _ => return Err(CoreError::QueueNotFound(name.to_string())),
            }
            self.record(Change::QueueDelete {
                name: name.to_string(),
            });
        }
        locked.deleted = true;
        Ok(())
    }

    async fn get_queue(&self, name: &str, now: u64) -> CoreResult<QueueInfo> {
        let shared = self.queue(name)?;
        let mut q = self.lock_live(&shared, name)?;
        q.advance(now);
        Ok(q.info())
    }

    async fn list_queues(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
        now: u64,
    ) -> CoreResult<Vec<QueueInfo>> {
        let picked: Vec<SharedQueue> = {
            let queues = self.queues.read();
            let lower = match start_after {
                Some(after) if after >= prefix => std::ops::Bound::Excluded(after.to_string()),
                _ => std::ops::Bound::Included(prefix.to_string()),
            };
            queues
                .range((lower, std::ops::Bound::Unbounded))
                .take_while(|(name, _)| name.starts_with(prefix))
                .take(limit)
                .map(|(_, q)| q.clone())
                .collect()
        };
        Ok(picked
            .into_iter()
            .filter_map(|shared| {
                let mut q = self.lock(&shared);
                // Deleted since the map was read.
                if q.deleted {
                    return None;
                }
                q.advance(now);
                Some(q.info())
            })
            .collect())
    }

    async fn update_queue(
        &self,
        name: &str,
        update: QueueUpdate,
        now: u64,
    ) -> CoreResult<QueueInfo> {
        let shared = self.queue(name)?;
        let mut q = self.lock_live(&shared, name)?;
        let mut config = q.config.clone();
        update(&mut config)?;
        if config.fifo != q.config.fifo {
            return Err(CoreError::InvalidArgument(
                "the FIFO flag of a queue cannot change".into(),
            ));
        }
        q.advance(now);
        let retime = config.fifo && config.delay_seconds != q.config.delay_seconds;
        q.config = config;
        q.modified_ms = now;
        q.note_config();
        if retime {
            let delay = q.config.delay_seconds;
            q.retime_delayed(delay, now);
        }
        Ok(q.info())
    }

    async fn purge_queue(&self, name: &str, now: u64) -> CoreResult<u64> {
        let shared = self.queue(name)?;
        let mut q = self.lock_live(&shared, name)?;
        // Expired messages are gone already: they are not counted as purged.
        q.advance(now);
        Ok(q.purge())
    }

    async fn send(
        &self,
        queue: &str,
        messages: Vec<NewMessage>,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Sent>>> {
        let shared = self.queue(queue)?;
        let mut q = self.lock_live(&shared, queue)?;
        q.advance(now);
        Ok(messages
            .into_iter()
            .map(|m| self.send_one(&mut q, m, now))
            .collect())
    }

    async fn lease(
        &self,
        queue: &str,
        request: LeaseRequest,
        now: u64,
    ) -> CoreResult<LeaseOutcome> {
        let q = self.queue(queue)?;
        let (outcome, dead, dlq) = {
            let mut q = self.lock_live(&q, queue)?;
            // Dead-letter only into a queue that exists; otherwise keep delivering.
            let redrive = q
                .config
                .redrive
                .clone()
                .filter(|r| self.queues.read().contains_key(&r.dead_letter_queue));
            let (messages, dead) =
                q.lease(&request, redrive.as_ref().map(|r| r.max_receive_count), now);
            let outcome = LeaseOutcome {
                messages,
                next_visible_ms: q.next_visible_ms(now),
                queue_wait_seconds: q.config.receive_wait_seconds,
                moved_into: None,
            };
            (outcome, dead, redrive.map(|r| r.dead_letter_queue))
        };
        let mut outcome = outcome;
        if let (false, Some(dlq)) = (dead.is_empty(), dlq) {
            match self.deliver_moved(&dlq, queue, dead, now) {
                Ok(()) => outcome.moved_into = Some(dlq),
                Err(back) => {
                    // The dead-letter queue was deleted between the two locks: the messages,
                    // taken out of the source already, go back there rather than nowhere.
                    let shared = self.queue(queue)?;
                    let mut q = self.lock_live(&shared, queue)?;
                    for mut m in back {
                        m.visible_ms = now;
                        q.insert(m, now);
                    }
                    outcome.moved_into = Some(queue.to_string());
                }
            }
        }
        Ok(outcome)
    }

    async fn peek(&self, queue: &str, max: usize, now: u64) -> CoreResult<Vec<Message>> {
        let shared = self.queue(queue)?;
        let peeked = self.lock_live(&shared, queue)?.peek(max, now);
        Ok(peeked)
    }

    async fn get_message(&self, queue: &str, id: &str, now: u64) -> CoreResult<Message> {
        let shared = self.queue(queue)?;
        let mut q = self.lock_live(&shared, queue)?;
        let seq = seq_from_message_id(id).ok_or(CoreError::MessageNotFound)?;
        let m = q.get(seq, now).ok_or(CoreError::MessageNotFound)?;
        if m.id != id {
            return Err(CoreError::MessageNotFound);
        }
        Ok(m)
    }

    /// One queue lock for the whole batch.
    async fn delete_receipts(
        &self,
        queue: &str,
        receipts: &[Receipt],
        leased_only: bool,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<()>>> {
        let shared = self.queue(queue)?;
        let mut q = self.lock_live(&shared, queue)?;
        Ok(receipts
            .iter()
            .map(|r| q.delete(r, leased_only, now))
            .collect())
    }

    async fn change_visibility(
        &self,
        queue: &str,
        changes: &[VisibilityChange],
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Relet>>> {
        let shared = self.queue(queue)?;
        let mut q = self.lock_live(&shared, queue)?;
        Ok(changes
            .iter()
            .map(|c| q.change_visibility(c, now))
            .collect())
    }

    async fn update_message(
        &self,
        queue: &str,
        change: VisibilityChange,
        body: Option<bytes::Bytes>,
        now: u64,
    ) -> CoreResult<Relet> {
        let shared = self.queue(queue)?;
        let mut q = self.lock_live(&shared, queue)?;
        q.update_message(&change, body, now)
    }

    async fn move_messages(
        &self,
        from: &str,
        to: Option<&str>,
        max: usize,
        now: u64,
    ) -> CoreResult<u64> {
        let source = self.queue(from)?;
        if let Some(to) = to {
            self.queue(to)?;
        }
        // Taking out is not recorded: each moved message's put into its target comes with the
        // removal of its old copy, and what stays is put back under its own seq.
        let taken = self.lock_live(&source, from)?.take_visible(max, now);
        let mut moved = 0;
        let mut by_target: BTreeMap<String, Vec<Message>> = BTreeMap::new();
        let mut unmovable = Vec::new();
        for m in taken {
            match to
                .map(str::to_string)
                .or_else(|| m.dead_letter_source.clone())
            {
                Some(t) if self.queues.read().contains_key(&t) => {
                    by_target.entry(t).or_default().push(m)
                }
                _ => unmovable.push(m),
            }
        }
        for (target, msgs) in by_target {
            // A target deleted since it was checked: its messages stay where they were
            // (they are out of the source already, and must not be lost on the way).
            let Ok(shared) = self.queue(&target) else {
                unmovable.extend(msgs);
                continue;
            };
            let Ok(mut q) = self.lock_live(&shared, &target) else {
                unmovable.extend(msgs);
                continue;
            };
            moved += msgs.len() as u64;
            for mut m in msgs {
                // A redriven message is a new message on SQS: a new id (from a new seq, so it
                // also goes to the back), sent now, a fresh retention period, never received
                // (else one received while in the dead-letter queue would be dead-lettered
                // again on its first receive from a source with a low maxReceiveCount).
                let old = m.seq;
                // A dead-lettered FIFO message's deduplication id is its message id (as on
                // SQS); it follows the new id, as the PostgreSQL store's "the id" marker does.
                let dedup_is_id = m.dedup_id.as_deref() == Some(m.id.as_str());
                m.seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
                m.id = render_id(q.id_prefix, m.seq);
                if dedup_is_id {
                    m.dedup_id = Some(m.id.clone());
                }
                m.enqueued_ms = now;
                m.visible_ms = now;
                m.expires_ms = m
                    .expires_ms
                    .map(|_| now + q.config.retention_seconds * 1000);
                m.sequence_number = q.config.fifo.then_some(m.seq);
                m.receive_count = 0;
                m.first_receive_ms = None;
                m.last_receive_ms = None;
                m.lease = 0;
                m.dead_letter_source = None;
                q.insert(m, now);
                // In the same change list as the put: on disk the old copy goes exactly when
                // the new one is there.
                q.note_removed(old);
            }
        }
        // Messages with nowhere to go stay where they were (unless the source itself was
        // deleted meanwhile, taking them with it).
        let Ok(mut source) = self.lock_live(&source, from) else {
            return Ok(moved);
        };
        for m in unmovable {
            source.insert(m, now);
        }
        Ok(moved)
    }
}

#[cfg(test)]
mod delete_order_tests {
    //! A delete and an operation that looked the queue up before it: the journal must never
    //! hold the operation's changes after the delete (a restart would bring the queue back).
    use super::*;

    #[derive(Default)]
    struct Recorded(parking_lot::Mutex<Vec<String>>);

    impl Journal for Recorded {
        fn record(&self, changes: Vec<Change>) {
            let mut r = self.0.lock();
            for c in changes {
                r.push(match c {
                    Change::QueuePut { .. } => "QueuePut".into(),
                    Change::QueueDelete { .. } => "QueueDelete".into(),
                    _ => "other".into(),
                });
            }
        }
    }

    /// A journaled store holding queue `q`.
    async fn store() -> (Arc<Recorded>, Arc<MemoryStore>) {
        let journal = Arc::new(Recorded::default());
        let store = Arc::new(MemoryStore::with_journal(journal.clone()));
        store
            .create_queue("q", QueueConfig::default(), 1)
            .await
            .unwrap();
        (journal, store)
    }

    /// An update holding the queue's lock when the delete comes: the delete waits for it, so
    /// the journal says QueuePut, then QueueDelete.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_delete_waits_for_the_change_in_progress() {
        let (journal, store) = store().await;
        let shared = store.queue("q").unwrap();
        let mut held = store.lock_live(&shared, "q").unwrap();
        let deleting = {
            let store = store.clone();
            tokio::spawn(async move { store.delete_queue("q").await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        held.config.visibility_timeout = 7;
        held.note_config();
        drop(held);
        deleting.await.unwrap().unwrap();
        assert_eq!(
            *journal.0.lock(),
            ["QueuePut", "QueuePut", "QueueDelete"],
            "create, the update, then the delete"
        );
    }

    /// An operation that looked the queue up before the delete and locks it after finds it
    /// gone, and records nothing.
    #[tokio::test]
    async fn an_operation_locking_after_the_delete_finds_no_queue() {
        let (journal, store) = store().await;
        let shared = store.queue("q").unwrap();
        store.delete_queue("q").await.unwrap();
        assert!(matches!(
            store.lock_live(&shared, "q"),
            Err(CoreError::QueueNotFound(_))
        ));
        // A queue of the same name made since is another queue.
        store
            .create_queue("q", QueueConfig::default(), 2)
            .await
            .unwrap();
        assert!(store.lock_live(&shared, "q").is_err());
        assert_eq!(*journal.0.lock(), ["QueuePut", "QueueDelete", "QueuePut"]);
    }
}
