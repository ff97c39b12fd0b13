//! The in-memory engine (`--store memory`): authoritative state in per-queue indexes behind
//! one lock per queue. The embedded store builds on it.

mod queue;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::{Mutex, RwLock};

use crate::error::{CoreError, CoreResult};
use crate::ids::{message_id, seq_from_message_id, Receipt};
use crate::model::*;
use crate::store::{QueueStore, QueueUpdate};
use queue::QueueState;

type SharedQueue = Arc<Mutex<QueueState>>;

pub struct MemoryStore {
    queues: RwLock<BTreeMap<String, SharedQueue>>,
    next_seq: AtomicU64,
    id_prefix: u64,
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
        }
    }

    fn queue(&self, name: &str) -> CoreResult<SharedQueue> {
        self.queues
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| CoreError::QueueNotFound(name.to_string()))
    }

    /// Puts dead-lettered or moved messages into `target`, visible now.
    fn deliver_moved(
        &self,
        target: &str,
        from: &str,
        msgs: Vec<Message>,
        now: u64,
    ) -> CoreResult<()> {
        let q = self.queue(target)?;
        let mut q = q.lock();
        for mut m in msgs {
            m.visible_ms = now;
            m.receive_count = 0;
            m.first_receive_ms = None;
            m.lease += 1;
            m.dead_letter_source = Some(from.to_string());
            q.insert(m, now);
        }
        Ok(())
    }

    fn build_message(&self, q: &QueueState, new: NewMessage, now: u64) -> CoreResult<Message> {
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
        Ok(Message {
            id: message_id(self.id_prefix, seq),
            seq,
            body: new.body,
            attributes: new.attributes,
            system_attributes: new.system_attributes,
            priority,
            enqueued_ms: now,
            visible_ms: now + delay * 1000,
            expires_ms,
            receive_count: 0,
            first_receive_ms: None,
            lease: 0,
            state: MessageState::Ready,
            sequence_number: q.config.fifo.then_some(seq),
            group_id: new.group_id,
            dedup_id: new.dedup_id,
            sender_id: new.sender_id,
            dead_letter_source: None,
        })
    }

    fn send_one(&self, q: &mut QueueState, new: NewMessage, now: u64) -> CoreResult<Sent> {
        let dedup_key = if q.config.fifo {
            new.dedup_id.as_ref().map(|d| match q.config.dedup_scope {
                DedupScope::Queue => d.clone(),
                DedupScope::MessageGroup => {
                    format!("{}\n{d}", new.group_id.as_deref().unwrap_or(""))
                }
            })
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
        let m = self.build_message(q, new, now)?;
        let sent = Sent {
            id: m.id.clone(),
            receipt: m.receipt(),
            enqueued_ms: m.enqueued_ms,
            visible_ms: m.visible_ms,
            expires_ms: m.expires_ms,
            sequence_number: m.sequence_number,
            deduplicated: false,
        };
        if let Some(key) = dedup_key {
            q.remember_dedup(key, m.id.clone(), m.seq, now);
        }
        q.insert(m, now);
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
        // Lock order: never take a queue's lock while holding the map's.
        let existing = {
            let mut queues = self.queues.write();
            match queues.get(name) {
                Some(q) => q.clone(),
                None => {
                    let q = QueueState::new(name, config, now);
                    let info = q.info();
                    queues.insert(name.to_string(), Arc::new(Mutex::new(q)));
                    return Ok(CreateOutcome::Created(info));
                }
            }
        };
        let mut q = existing.lock();
        q.advance(now);
        Ok(CreateOutcome::Exists(q.info()))
    }

    async fn delete_queue(&self, name: &str) -> CoreResult<()> {
        self.queues
            .write()
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| CoreError::QueueNotFound(name.to_string()))
    }

    async fn get_queue(&self, name: &str, now: u64) -> CoreResult<QueueInfo> {
        let q = self.queue(name)?;
        let mut q = q.lock();
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
            .map(|q| {
                let mut q = q.lock();
                q.advance(now);
                q.info()
            })
            .collect())
    }

    async fn update_queue(
        &self,
        name: &str,
        update: QueueUpdate,
        now: u64,
    ) -> CoreResult<QueueInfo> {
        let q = self.queue(name)?;
        let mut q = q.lock();
        let mut config = q.config.clone();
        update(&mut config)?;
        if config.fifo != q.config.fifo {
            return Err(CoreError::InvalidArgument(
                "the FIFO flag of a queue cannot change".into(),
            ));
        }
        q.config = config;
        q.modified_ms = now;
        q.advance(now);
        Ok(q.info())
    }

    async fn purge_queue(&self, name: &str, _now: u64) -> CoreResult<u64> {
        Ok(self.queue(name)?.lock().purge())
    }

    async fn send(
        &self,
        queue: &str,
        messages: Vec<NewMessage>,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Sent>>> {
        let q = self.queue(queue)?;
        let mut q = q.lock();
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
            let mut q = q.lock();
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
                next_visible_ms: q.next_visible_ms(),
                queue_wait_seconds: q.config.receive_wait_seconds,
            };
            (outcome, dead, redrive.map(|r| r.dead_letter_queue))
        };
        if let (false, Some(dlq)) = (dead.is_empty(), dlq) {
            self.deliver_moved(&dlq, queue, dead, now)?;
        }
        Ok(outcome)
    }

    async fn peek(&self, queue: &str, max: usize, now: u64) -> CoreResult<Vec<Message>> {
        Ok(self.queue(queue)?.lock().peek(max, now))
    }

    async fn get_message(&self, queue: &str, id: &str, now: u64) -> CoreResult<Message> {
        let q = self.queue(queue)?;
        let seq = seq_from_message_id(id).ok_or(CoreError::MessageNotFound)?;
        let m = q.lock().get(seq, now).ok_or(CoreError::MessageNotFound)?;
        if m.id != id {
            return Err(CoreError::MessageNotFound);
        }
        Ok(m)
    }

    async fn delete(
        &self,
        queue: &str,
        receipts: &[Receipt],
        now: u64,
    ) -> CoreResult<Vec<CoreResult<()>>> {
        let q = self.queue(queue)?;
        let mut q = q.lock();
        Ok(receipts.iter().map(|r| q.delete(r, now)).collect())
    }

    async fn change_visibility(
        &self,
        queue: &str,
        changes: &[VisibilityChange],
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Relet>>> {
        let q = self.queue(queue)?;
        let mut q = q.lock();
        Ok(changes
            .iter()
            .map(|c| q.change_visibility(c, now))
            .collect())
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
        let taken = source.lock().take_visible(max, now);
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
            moved += msgs.len() as u64;
            let q = self.queue(&target)?;
            let mut q = q.lock();
            for mut m in msgs {
                m.visible_ms = now;
                m.lease += 1;
                m.dead_letter_source = None;
                q.insert(m, now);
            }
        }
        // Messages with nowhere to go stay where they were.
        let mut source = source.lock();
        for m in unmovable {
            source.insert(m, now);
        }
        Ok(moved)
    }
}
