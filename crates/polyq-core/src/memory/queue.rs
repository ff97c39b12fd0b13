//! One queue's messages and the indexes that keep every operation O(log n) in the backlog.
//!
//! Every state transition of a message goes through `detach` (leave the indexes of its current
//! state) and `attach` (enter the indexes of its new state), so the indexes and counters can
//! only disagree with the messages if those two functions do.

use std::collections::{BTreeSet, HashMap, VecDeque};

use super::fair::{Place, Tenants};
use super::journal::{Change, DedupRecord, QueueDump};
use super::stored::{prefix_of, Messages, Senders, Stored};
use crate::error::{CoreError, CoreResult};
use crate::ids::Receipt;
use crate::model::*;

/// Where a message of `priority` is in `ready`: 1 (served first) at 0. Sends are checked to
/// be in range; anything else read back is served as the nearest priority.
fn ready_slot(priority: u8) -> usize {
    usize::from(priority.clamp(PRIORITY_HIGHEST, PRIORITY_LOWEST) - PRIORITY_HIGHEST)
}

/// Where a FIFO group stands in line: when its head message became visible (sent, delay over,
/// or lease ended), then the head's seq. A group whose lease ends goes behind the groups that
/// were waiting meanwhile, as on SQS (`g3, g1, g2` after `g1`, `g2` were received with a
/// visibility timeout of 0).
type GroupTurn = (u64, u64);

#[derive(Default)]
struct Group {
    /// Every message of the group still in the queue, in order.
    members: BTreeSet<u64>,
    /// The key under which this group is listed in `ready_groups`, if it is.
    listed: Option<GroupTurn>,
}

struct DedupEntry {
    id: String,
    seq: u64,
    expires_ms: u64,
}

struct Attempt {
    expires_ms: u64,
    /// Each message's receipt and the time it was to become visible again, as this attempt
    /// (or its latest retry) left it: a visibility change since then means "modified".
    leased: Vec<(Receipt, u64)>,
}

pub(crate) struct QueueState {
    pub name: String,
    pub created_ms: u64,
    pub modified_ms: u64,
    pub config: QueueConfig,
    /// The store's id salt: a message's id is `message_id(id_prefix, seq)` unless it keeps
    /// its own (see [`Stored`]).
    pub id_prefix: u64,
    msgs: Messages,
    senders: Senders,
    /// Standard queues: visible messages without a message group by seq, one set per priority
    /// (`ready_slot`): half the bytes per entry of one set of `(priority, seq)`.
    ready: [BTreeSet<u64>; PRIORITY_LOWEST as usize],
    /// Standard queues: messages with a message group (fair queues' tenants), visible ones
    /// indexed per group, and in-flight counts.
    tenants: Tenants,
    /// FIFO queues: messages per group, and groups that can deliver now by their turn.
    groups: HashMap<String, Group>,
    ready_groups: BTreeSet<(GroupTurn, String)>,
    /// Delayed and in-flight messages by the time they become visible.
    timers: BTreeSet<(u64, u64)>,
    expiry: BTreeSet<(u64, u64)>,
    dedup: HashMap<String, DedupEntry>,
    dedup_order: VecDeque<(u64, String)>,
    attempts: HashMap<String, Attempt>,
    attempt_order: VecDeque<(u64, String)>,
    stats: QueueStats,
    /// Changes made since the store last handed them to its journal; `None` when the store
    /// has no journal, so the memory-only engine collects nothing.
    pub log: Option<Vec<Change>>,
    /// Set, under this queue's lock, by the delete that took the queue out of the map: an
    /// operation that looked the queue up before the delete and locked it after must change
    /// nothing (its changes would reach the journal after the delete, and a restart would
    /// bring the queue back, or apply them to a new queue of the same name).
    pub deleted: bool,
}

impl QueueState {
    pub fn new(name: &str, config: QueueConfig, now: u64) -> Self {
        QueueState {
            name: name.to_string(),
            created_ms: now,
            modified_ms: now,
            config,
            id_prefix: 0,
            msgs: Messages::default(),
            senders: Senders::default(),
            ready: Default::default(),
            tenants: Tenants::default(),
            groups: HashMap::new(),
            ready_groups: BTreeSet::new(),
            timers: BTreeSet::new(),
            expiry: BTreeSet::new(),
            dedup: HashMap::new(),
            dedup_order: VecDeque::new(),
            attempts: HashMap::new(),
            attempt_order: VecDeque::new(),
            stats: QueueStats::default(),
            log: None,
            deleted: false,
        }
    }

    fn note(&mut self, change: impl FnOnce(&Self) -> Change) {
        if self.log.is_some() {
            let c = change(self);
            if let Some(log) = &mut self.log {
                log.push(c);
            }
        }
    }

    fn note_lease(&mut self, seq: u64) {
        self.note(|q| {
            let m = &q.msgs[&seq];
            Change::MessageLease {
                seq,
                lease: m.lease,
                receive_count: m.receive_count,
                first_receive_ms: m.first_receive_ms(),
                last_receive_ms: m.last_receive_ms(),
                visible_ms: m.visible_ms,
                state: m.state,
            }
        });
    }

    /// Adds a message read back from durable storage, keeping its state as stored (a message
    /// in flight stays in flight until its `visible_ms`).
    pub fn restore(&mut self, m: Message) {
        // The salt is not known before `Restorer::finish`: take it from the first message, so
        // that (normally) no restored message has to keep its id; `finish` re-keys if needed.
        if self.msgs.is_empty() {
            if let Some(p) = prefix_of(&m.id) {
                self.id_prefix = p;
            }
        }
        let seq = m.seq;
        let s = Stored::from_message(m, self.id_prefix, &mut self.senders);
        if let Some(at) = s.expires_ms() {
            self.expiry.insert((at, seq));
        }
        self.msgs.insert(seq, Box::new(s));
        self.attach(seq);
    }

    /// Renders ids with `prefix` from now on; every message keeps the id it has.
    pub fn set_id_prefix(&mut self, prefix: u64) {
        // Bits 12..16 of the salt do not show in ids.
        if (self.id_prefix ^ prefix) & !0xf000 != 0 {
            let old = self.id_prefix;
            for (&seq, s) in self.msgs.iter_mut() {
                let id = s.id(seq, old);
                s.set_id(seq, prefix, id);
            }
        }
        self.id_prefix = prefix;
    }

    /// How many messages keep an id of their own (for tests of the restore path).
    #[cfg(test)]
    pub fn explicit_ids(&self) -> usize {
        let prefix = self.id_prefix;
        self.msgs
            .iter()
            .filter(|(&seq, s)| s.id(seq, prefix) != super::stored::render_id(prefix, seq))
            .count()
    }

    /// Shares the sender id with the previous message's when equal.
    pub fn intern_sender(&mut self, id: Option<String>) -> Option<std::sync::Arc<String>> {
        self.senders.intern(id)
    }

    fn message(&self, seq: u64) -> Message {
        self.msgs[&seq].to_message(seq, self.id_prefix)
    }

    /// Adds a deduplication record read back from durable storage (call in expiry order).
    pub fn restore_dedup(&mut self, r: DedupRecord) {
        self.dedup_order.push_back((r.expires_ms, r.key.clone()));
        self.dedup.insert(
            r.key,
            DedupEntry {
                id: r.id,
                seq: r.seq,
                expires_ms: r.expires_ms,
            },
        );
    }

    /// The queue's durable state, without applying time.
    pub fn dump(&self) -> QueueDump {
        let mut messages: Vec<Message> = self
            .msgs
            .iter()
            .map(|(&seq, s)| s.to_message(seq, self.id_prefix))
            .collect();
        messages.sort_by_key(|m| m.seq);
        let mut dedup: Vec<DedupRecord> = self
            .dedup
            .iter()
            .map(|(key, e)| DedupRecord {
                key: key.clone(),
                id: e.id.clone(),
                seq: e.seq,
                expires_ms: e.expires_ms,
            })
            .collect();
        dedup.sort_by(|a, b| a.key.cmp(&b.key));
        QueueDump {
            info: self.info(),
            messages,
            dedup,
        }
    }

    /// Records the queue's current configuration (after an update).
    pub fn note_config(&mut self) {
        self.note(|q| Change::QueuePut {
            name: q.name.clone(),
            created_ms: q.created_ms,
            modified_ms: q.modified_ms,
            config: q.config.clone(),
        });
    }

    pub fn info(&self) -> QueueInfo {
        QueueInfo {
            name: self.name.clone(),
            created_ms: self.created_ms,
            modified_ms: self.modified_ms,
            config: self.config.clone(),
            stats: self.stats,
        }
    }

    /// Applies the passage of time: timers fire, expired messages and dedup records go.
    pub fn advance(&mut self, now: u64) {
        while let Some(&(at, seq)) = self.timers.first() {
            if at > now {
                break;
            }
            self.detach(seq);
            if let Some(m) = self.msgs.get_mut(&seq) {
                m.state = MessageState::Ready;
            }
            self.attach(seq);
        }
        while let Some(&(at, seq)) = self.expiry.first() {
            if at > now {
                break;
            }
            self.remove_stored(seq);
            self.note_removed(seq);
        }
        while let Some((at, key)) = self.dedup_order.front() {
            if *at > now {
                break;
            }
            if self.dedup.get(key).is_some_and(|e| e.expires_ms <= now) {
                self.dedup.remove(key);
            }
            self.dedup_order.pop_front();
        }
        while let Some((at, key)) = self.attempt_order.front() {
            if *at > now {
                break;
            }
            if self.attempts.get(key).is_some_and(|a| a.expires_ms <= now) {
                self.attempts.remove(key);
            }
            self.attempt_order.pop_front();
        }
    }

    /// When the next hidden message becomes visible, after `now` (a lease with a visibility
    /// timeout of 0 leaves timers at `now` itself: those messages are visible already).
    pub fn next_visible_ms(&self, now: u64) -> Option<u64> {
        self.timers.iter().map(|&(at, _)| at).find(|&at| at > now)
    }

    fn attach(&mut self, seq: u64) {
        let Some(m) = self.msgs.get(&seq) else { return };
        match m.state {
            MessageState::Ready => {
                self.stats.visible += 1;
                if !self.config.fifo {
                    let place = (ready_slot(m.priority), seq);
                    match m.group_id() {
                        Some(g) => self.tenants.ready_added(g, place),
                        None => {
                            self.ready[place.0].insert(seq);
                        }
                    }
                }
            }
            MessageState::Delayed => {
                self.stats.delayed += 1;
                self.timers.insert((m.visible_ms, seq));
            }
            MessageState::InFlight => {
                self.stats.in_flight += 1;
                self.timers.insert((m.visible_ms, seq));
                if let Some(g) = m.group_id().filter(|_| !self.config.fifo) {
                    self.tenants.leased(g);
                }
            }
        }
        if self.config.fifo {
            let key = m.group_id().unwrap_or_default().to_string();
            self.groups
                .entry(key.clone())
                .or_default()
                .members
                .insert(seq);
            self.refresh_group(&key);
        }
    }

    fn detach(&mut self, seq: u64) {
        let Some(m) = self.msgs.get(&seq) else { return };
        match m.state {
            MessageState::Ready => {
                self.stats.visible -= 1;
                let place = (ready_slot(m.priority), seq);
                match m.group_id().filter(|_| !self.config.fifo) {
                    Some(g) => self.tenants.ready_removed(g, place),
                    None => {
                        self.ready[place.0].remove(&seq);
                    }
                }
            }
            MessageState::Delayed => {
                self.stats.delayed -= 1;
                self.timers.remove(&(m.visible_ms, seq));
            }
            MessageState::InFlight => {
                self.stats.in_flight -= 1;
                self.timers.remove(&(m.visible_ms, seq));
                if let Some(g) = m.group_id().filter(|_| !self.config.fifo) {
                    self.tenants.released(g);
                }
            }
        }
    }

    /// The visible message of a standard queue a receive takes next: the first by priority
    /// and age, unless its tenant is noisy and a quiet tenant's message waits (see
    /// [`super::fair`]).
    fn next_ready(&mut self, now: u64) -> Option<u64> {
        let ungrouped = self
            .ready
            .iter()
            .enumerate()
            .find_map(|(slot, r)| r.first().map(|&seq| (slot, seq)));
        self.tenants.next(ungrouped, self.stats.in_flight, now)
    }

    /// Lists a FIFO group as deliverable exactly when its oldest message is visible (SQS
    /// serves a group again as soon as its head is visible, even while a later message of it
    /// is still in flight; a receive never passes a message that is not visible).
    fn refresh_group(&mut self, key: &str) {
        let Some(g) = self.groups.get_mut(key) else {
            return;
        };
        if let Some(old) = g.listed.take() {
            self.ready_groups.remove(&(old, key.to_string()));
        }
        let Some(&head) = g.members.first() else {
            self.groups.remove(key);
            return;
        };
        if let Some(m) = self
            .msgs
            .get(&head)
            .filter(|m| m.state == MessageState::Ready)
        {
            let turn = (m.visible_ms, head);
            g.listed = Some(turn);
            self.ready_groups.insert((turn, key.to_string()));
        }
    }

    /// Adds a message (new, or moved in from another queue).
    pub fn insert(&mut self, m: Message, now: u64) {
        let seq = m.seq;
        let s = Stored::from_message(m, self.id_prefix, &mut self.senders);
        self.insert_stored(seq, s, now);
    }

    /// Adds a message that is new, or (from `insert`) moved in.
    pub(super) fn insert_stored(&mut self, seq: u64, mut s: Stored, now: u64) {
        s.state = if s.visible_ms > now {
            MessageState::Delayed
        } else {
            MessageState::Ready
        };
        if let Some(at) = s.expires_ms() {
            self.expiry.insert((at, seq));
        }
        self.msgs.insert(seq, Box::new(s));
        self.attach(seq);
        if !self.config.fifo {
            if let Some(g) = self.msgs.get(&seq).and_then(|m| m.group_id()) {
                self.tenants.sent(g, now);
            }
        }
        self.note(|q| Change::MessagePut {
            queue: q.name.clone(),
            message: q.message(seq),
        });
    }

    /// Records that message `seq` is gone (deleted, expired, or moved here under a new seq).
    pub fn note_removed(&mut self, seq: u64) {
        self.note(|_| Change::MessageRemove { seq });
    }

    /// Takes a message out (to move it elsewhere).
    pub fn remove(&mut self, seq: u64) -> Option<Message> {
        let prefix = self.id_prefix;
        self.remove_stored(seq).map(|s| s.into_message(seq, prefix))
    }

    fn remove_stored(&mut self, seq: u64) -> Option<Stored> {
        self.detach(seq);
        let m = *self.msgs.remove(&seq)?;
        if let Some(at) = m.expires_ms() {
            self.expiry.remove(&(at, seq));
        }
        if self.config.fifo {
            let key = m.group_id().unwrap_or_default();
            if let Some(g) = self.groups.get_mut(key) {
                g.members.remove(&seq);
            }
            self.refresh_group(key);
        }
        Some(m)
    }

    /// Looks up an unexpired dedup record; returns the original message's id and seq.
    pub fn find_duplicate(&self, key: &str, now: u64) -> Option<(String, u64)> {
        self.dedup
            .get(key)
            .filter(|e| e.expires_ms > now)
            .map(|e| (e.id.clone(), e.seq))
    }

    pub fn remember_dedup(&mut self, key: String, id: String, seq: u64, now: u64) {
        let expires_ms = now + DEDUP_WINDOW_MS;
        self.dedup_order.push_back((expires_ms, key.clone()));
        self.note(|q| Change::Dedup {
            queue: q.name.clone(),
            record: DedupRecord {
                key: key.clone(),
                id: id.clone(),
                seq,
                expires_ms,
            },
        });
        self.dedup.insert(
            key,
            DedupEntry {
                id,
                seq,
                expires_ms,
            },
        );
    }

    /// A retry of an earlier receive with the same attempt id (SQS `ReceiveRequestAttemptId`):
    /// the same messages and receipts again, their visibility timeout started anew, if none of
    /// them was modified since (deleted, received again, visibility changed), as AWS's
    /// reference describes. `None`: receive afresh.
    fn replay_attempt(&mut self, attempt_id: &str, vis_ms: u64, now: u64) -> Option<Vec<Message>> {
        let a = self
            .attempts
            .get(attempt_id)
            .filter(|a| a.expires_ms > now)?;
        let unchanged = a.leased.iter().all(|(r, visible_ms)| {
            self.msgs.get(&r.seq).is_some_and(|m| {
                m.lease == r.lease
                    && m.state == MessageState::InFlight
                    && m.visible_ms == *visible_ms
            })
        });
        if !unchanged {
            return None;
        }
        let seqs: Vec<u64> = a.leased.iter().map(|(r, _)| r.seq).collect();
        let visible_ms = now + vis_ms;
        let prefix = self.id_prefix;
        let mut out = Vec::with_capacity(seqs.len());
        for &seq in &seqs {
            self.detach(seq);
            let m = self.msgs.get_mut(&seq).expect("checked above");
            m.visible_ms = visible_ms;
            out.push(m.to_message(seq, prefix));
            self.attach(seq);
            self.note_lease(seq);
        }
        if let Some(a) = self.attempts.get_mut(attempt_id) {
            for (_, v) in &mut a.leased {
                *v = visible_ms;
            }
        }
        Some(out)
    }

    /// Leases up to `max` messages. Messages whose receive count reached `dead_letter_after`
    /// are taken out and returned second, for the caller to move to the dead-letter queue.
    pub fn lease(
        &mut self,
        req: &LeaseRequest,
        dead_letter_after: Option<u32>,
        now: u64,
    ) -> (Vec<Message>, Vec<Message>) {
        self.advance(now);
        let vis_ms = u64::from(
            req.visibility_seconds
                .unwrap_or(self.config.visibility_timeout),
        ) * 1000;
        if let Some(id) = &req.attempt_id {
            if let Some(msgs) = self.replay_attempt(id, vis_ms, now) {
                return (msgs, Vec::new());
            }
        }
        let mut out = Vec::new();
        let mut dead = Vec::new();
        while out.len() < req.max_messages {
            let batch: Vec<u64> = if self.config.fifo {
                let Some((_, key)) = self.ready_groups.first().cloned() else {
                    break;
                };
                let g = &self.groups[&key];
                let want = req.max_messages - out.len();
                let seqs: Vec<u64> = g
                    .members
                    .iter()
                    .take_while(|s| {
                        self.msgs
                            .get(s)
                            .is_some_and(|m| m.state == MessageState::Ready)
                    })
                    .take(want)
                    .copied()
                    .collect();
                if seqs.is_empty() {
                    // Cannot happen while the group index is right; unlist rather than spin.
                    if let Some(g) = self.groups.get_mut(&key) {
                        g.listed = None;
                    }
                    self.ready_groups.pop_first();
                    continue;
                }
                seqs
            } else {
                let Some(seq) = self.next_ready(now) else {
                    break;
                };
                vec![seq]
            };
            for seq in batch {
                let over =
                    dead_letter_after.is_some_and(|max| self.msgs[&seq].receive_count >= max);
                if over {
                    if let Some(m) = self.remove(seq) {
                        dead.push(m);
                    }
                    // A FIFO group must not deliver past a message that just left it.
                    if self.config.fifo {
                        break;
                    }
                    continue;
                }
                self.detach(seq);
                let prefix = self.id_prefix;
                let m = self.msgs.get_mut(&seq).expect("leased message exists");
                m.receive_count += 1;
                m.received_at(now);
                m.lease += 1;
                m.state = MessageState::InFlight;
                m.visible_ms = now + vis_ms;
                out.push(m.to_message(seq, prefix));
                self.attach(seq);
                self.note_lease(seq);
            }
        }
        // A tenant this receive brought over the line is noisy from now on, not only from the
        // next receive that finds it there.
        if !self.config.fifo {
            self.tenants.mark(self.stats.in_flight, now);
        }
        // An attempt that got nothing is not kept: a long poll asks again and again under one
        // attempt id, and replaying "nothing" would keep it (and any retry within the window)
        // from ever getting a message.
        if let Some(id) = req.attempt_id.as_ref().filter(|_| !out.is_empty()) {
            let expires_ms = now + DEDUP_WINDOW_MS;
            self.attempt_order.push_back((expires_ms, id.clone()));
            self.attempts.insert(
                id.clone(),
                Attempt {
                    expires_ms,
                    leased: out.iter().map(|m| (m.receipt(), m.visible_ms)).collect(),
                },
            );
        }
        (out, dead)
    }

    pub fn peek(&mut self, max: usize, now: u64) -> Vec<Message> {
        let seqs = self.peek_seqs(max, now);
        seqs.into_iter().map(|seq| self.message(seq)).collect()
    }

    /// The messages a lease would take now, in order (on a standard queue with a noisy tenant,
    /// in plain order: a lease would take quiet tenants' first).
    fn peek_seqs(&mut self, max: usize, now: u64) -> Vec<u64> {
        self.advance(now);
        if !self.config.fifo {
            // Plain receive order (priority, then age), fairness aside.
            let mut all: Vec<Place> = self
                .ready
                .iter()
                .enumerate()
                .flat_map(|(slot, r)| r.iter().map(move |&seq| (slot, seq)))
                .take(max)
                .collect();
            all.extend(self.tenants.first_n(max));
            all.sort_unstable();
            return all.into_iter().take(max).map(|(_, seq)| seq).collect();
        }
        let mut out = Vec::new();
        for (_, key) in &self.ready_groups {
            for &seq in &self.groups[key].members {
                if out.len() == max || self.msgs[&seq].state != MessageState::Ready {
                    break;
                }
                out.push(seq);
            }
            if out.len() == max {
                break;
            }
        }
        out
    }

    /// The message `seq` exactly as stored (no timer applied, nothing changed): for
    /// [`MemoryStore::rejournal`](super::MemoryStore::rejournal).
    pub fn stored(&self, seq: u64) -> Option<Message> {
        self.msgs.contains_key(&seq).then(|| self.message(seq))
    }

    pub fn get(&mut self, seq: u64, now: u64) -> Option<Message> {
        self.advance(now);
        self.stored(seq)
    }

    fn check_receipt(&self, r: &Receipt, accept_older: bool) -> CoreResult<&Stored> {
        let m = self.msgs.get(&r.seq).ok_or(CoreError::MessageNotFound)?;
        if m.lease != r.lease && !(accept_older && r.lease < m.lease) {
            return Err(CoreError::ReceiptStale);
        }
        Ok(m)
    }

    /// Deletes by receipt; with `leased_only`, only while the message is hidden under it
    /// (leased, or still delayed since the send that handed out the receipt).
    pub fn delete(&mut self, r: &Receipt, leased_only: bool, now: u64) -> CoreResult<()> {
        self.advance(now);
        let m = self.check_receipt(r, false)?;
        if leased_only && m.state == MessageState::Ready {
            return Err(CoreError::MessageNotInFlight);
        }
        self.remove_stored(r.seq);
        self.note_removed(r.seq);
        Ok(())
    }

    pub fn change_visibility(&mut self, c: &VisibilityChange, now: u64) -> CoreResult<Relet> {
        self.advance(now);
        let m = self.check_receipt(&c.receipt, c.accept_older_receipt)?;
        if c.require_hidden && m.state == MessageState::Ready {
            return Err(CoreError::MessageNotInFlight);
        }
        if let (Some(cap), Some(at)) = (c.max_total_seconds, m.last_receive_ms()) {
            let elapsed = now.saturating_sub(at) / 1000;
            if elapsed + u64::from(c.visibility_seconds) > u64::from(cap) {
                return Err(CoreError::VisibilityBeyondLimit(cap));
            }
        }
        let seq = c.receipt.seq;
        self.detach(seq);
        let m = self.msgs.get_mut(&seq).expect("checked above");
        if c.renew_receipt {
            m.lease += 1;
        }
        m.visible_ms = now + u64::from(c.visibility_seconds) * 1000;
        m.state = if c.visibility_seconds == 0 {
            MessageState::Ready
        } else {
            MessageState::InFlight
        };
        let relet = Relet {
            receipt: Receipt {
                seq,
                lease: m.lease,
            },
            visible_ms: m.visible_ms,
        };
        self.attach(seq);
        self.note_lease(seq);
        Ok(relet)
    }

    /// A visibility change that also replaces the body when one is given.
    pub fn update_message(
        &mut self,
        c: &VisibilityChange,
        body: Option<bytes::Bytes>,
        now: u64,
    ) -> CoreResult<Relet> {
        let relet = self.change_visibility(c, now)?;
        if let Some(body) = body {
            let seq = c.receipt.seq;
            if let Some(m) = self.msgs.get_mut(&seq) {
                m.set_body(body);
            }
            self.note(|q| Change::MessagePut {
                queue: q.name.clone(),
                message: q.message(seq),
            });
        }
        Ok(relet)
    }

    /// A FIFO queue's delay is retroactive (SQS's delay-queue guide): messages still in their
    /// delay become visible `delay_seconds` after they were sent, earlier or later than before.
    /// Messages already visible, in flight or received before are left as they are.
    pub fn retime_delayed(&mut self, delay_seconds: u32, now: u64) {
        // Delayed messages are all in the timer set (with those in flight): no need to walk
        // every message. A delayed message has never been received.
        let delayed: Vec<u64> = self
            .timers
            .iter()
            .map(|&(_, seq)| seq)
            .filter(|seq| self.msgs[seq].state == MessageState::Delayed)
            .collect();
        for seq in delayed {
            self.detach(seq);
            let m = self.msgs.get_mut(&seq).expect("listed above");
            m.visible_ms = m.enqueued_ms + u64::from(delay_seconds) * 1000;
            if m.visible_ms <= now {
                m.state = MessageState::Ready;
            }
            self.attach(seq);
            self.note_lease(seq);
        }
    }

    pub fn purge(&mut self) -> u64 {
        let n = self.msgs.len() as u64;
        let fresh = QueueState::new(&self.name, self.config.clone(), self.created_ms);
        let keep = (
            self.modified_ms,
            std::mem::take(&mut self.dedup),
            std::mem::take(&mut self.dedup_order),
            self.log.take(),
        );
        let id_prefix = self.id_prefix;
        *self = fresh;
        self.id_prefix = id_prefix;
        self.modified_ms = keep.0;
        // SQS keeps deduplication records across a purge: a retry of a purged send is still a duplicate.
        self.dedup = keep.1;
        self.dedup_order = keep.2;
        self.log = keep.3;
        self.note(|q| Change::QueuePurge {
            name: q.name.clone(),
        });
        n
    }

    /// Takes out up to `max` visible messages (for a move task).
    pub fn take_visible(&mut self, max: usize, now: u64) -> Vec<Message> {
        let seqs = self.peek_seqs(max, now);
        seqs.into_iter().filter_map(|s| self.remove(s)).collect()
    }
}
