//! How the engine keeps a message in memory: [`Stored`], a compact form of [`Message`],
//! converted at the boundary (lease, peek, get, dump, journal).
//!
//! A `Message` is 288 bytes plus heap strings for its id and SQS sender id, and most of it is
//! empty for most messages. Kept by value in the queue's hash map (which runs between 44% and
//! 88% full) that cost ~620 bytes of map per message. A `Stored` is 80 bytes (a mimalloc size
//! class) behind a `Box`, so map slots are 16 bytes. What it leaves out:
//! - the id: it is `message_id(prefix, seq)`, rendered again when a `Message` is made; only an
//!   id that is not (restored from elsewhere) is kept, in [`Extras`];
//! - `Option<u64>` times: a flag bit and a `u64`;
//! - the sender id: shared (`Arc`) with the previous message of the queue when equal, which it
//!   is for every message one client sends;
//! - everything most messages do not have (attributes, FIFO fields, dead-letter source): one
//!   `Option<Box<Extras>>`;
//! - the `Bytes` handle (32 bytes): the body is a `Box<[u8]>` of exactly its size.
//!
//! The figures are in docs/benchmarks.md, "Memory per stored message".

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use bytes::Bytes;

use crate::model::{Attributes, Message, MessageState, NewMessage};

/// Messages by seq. Seqs are handed out by the store, never chosen by a client, so a cheap
/// multiplicative hash is safe here (no flooding) and much cheaper than SipHash.
pub(super) type Messages = std::collections::HashMap<u64, Box<Stored>, SeqHash>;

#[derive(Clone, Copy, Default)]
pub(super) struct SeqHash;

impl BuildHasher for SeqHash {
    type Hasher = SeqHasher;
    fn build_hasher(&self) -> SeqHasher {
        SeqHasher(0)
    }
}

pub(super) struct SeqHasher(u64);

impl Hasher for SeqHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }

    /// Folded 64×64→128 multiply: every output bit depends on every input bit, so both the
    /// bucket index (low bits) and hashbrown's tag (top 7 bits) vary for strided seqs.
    fn finish(&self) -> u64 {
        let m = u128::from(self.0) * 0x9e37_79b9_7f4a_7c15;
        (m as u64) ^ ((m >> 64) as u64)
    }
}

const EXPIRES: u8 = 1;
const FIRST_RECEIVE: u8 = 2;
const LAST_RECEIVE: u8 = 4;

/// One message as the engine keeps it; its seq is the key it is stored under.
pub(super) struct Stored {
    /// Exactly the body's size (see [`exact`]); copied into a `Bytes` per `Message`.
    body: Box<[u8]>,
    pub enqueued_ms: u64,
    pub visible_ms: u64,
    /// Valid when `flags & EXPIRES`.
    expires_ms: u64,
    /// Valid when `flags & FIRST_RECEIVE`.
    first_receive_ms: u64,
    /// Valid when `flags & LAST_RECEIVE`: the receive that began the current lease.
    last_receive_ms: u64,
    pub lease: u64,
    pub receive_count: u32,
    pub priority: u8,
    pub state: MessageState,
    flags: u8,
    sender_id: Option<Arc<String>>,
    extras: Option<Box<Extras>>,
}

/// What few messages have.
#[derive(Debug, Default, PartialEq, Eq)]
struct Extras {
    /// Only when the id is not `message_id(prefix, seq)` of the queue's prefix.
    id: Option<String>,
    attributes: Attributes,
    system_attributes: Attributes,
    group_id: Option<String>,
    dedup_id: Option<String>,
    sequence_number: Option<u64>,
    dead_letter_source: Option<String>,
}

impl Extras {
    fn boxed(self) -> Option<Box<Extras>> {
        (self != Extras::default()).then(|| Box::new(self))
    }
}

/// Shares one sender id string between consecutive messages of a queue that have the same.
/// It remembers only the last one, so a client cannot grow it.
#[derive(Default)]
pub(super) struct Senders(Option<Arc<String>>);

impl Senders {
    pub fn intern(&mut self, id: Option<String>) -> Option<Arc<String>> {
        let id = id?;
        match &self.0 {
            Some(last) if **last == id => Some(last.clone()),
            _ => {
                let shared = Arc::new(id);
                self.0 = Some(shared.clone());
                Some(shared)
            }
        }
    }
}

impl Stored {
    /// A message being sent: never received, lease generation 0, its id the rendered one.
    /// `state` is set when the queue inserts it.
    pub fn sent(
        new: NewMessage,
        priority: u8,
        now: u64,
        visible_ms: u64,
        expires_ms: Option<u64>,
        sequence_number: Option<u64>,
        sender_id: Option<Arc<String>>,
    ) -> Stored {
        Stored {
            body: exact(new.body),
            enqueued_ms: now,
            visible_ms,
            expires_ms: expires_ms.unwrap_or(0),
            first_receive_ms: 0,
            last_receive_ms: 0,
            lease: 0,
            receive_count: 0,
            priority,
            state: MessageState::Ready,
            flags: if expires_ms.is_some() { EXPIRES } else { 0 },
            sender_id,
            extras: Extras {
                id: None,
                attributes: new.attributes,
                system_attributes: new.system_attributes,
                group_id: new.group_id,
                dedup_id: new.dedup_id,
                sequence_number,
                dead_letter_source: None,
            }
            .boxed(),
        }
    }

    /// The compact form of `m` in a queue whose ids are rendered with `prefix`.
    pub fn from_message(m: Message, prefix: u64, senders: &mut Senders) -> Stored {
        let id = (m.id != render_id(prefix, m.seq)).then_some(m.id);
        let flags = if m.expires_ms.is_some() { EXPIRES } else { 0 }
            | if m.first_receive_ms.is_some() {
                FIRST_RECEIVE
            } else {
                0
            }
            | if m.last_receive_ms.is_some() {
                LAST_RECEIVE
            } else {
                0
            };
        Stored {
            body: exact(m.body),
            enqueued_ms: m.enqueued_ms,
            visible_ms: m.visible_ms,
            expires_ms: m.expires_ms.unwrap_or(0),
            first_receive_ms: m.first_receive_ms.unwrap_or(0),
            last_receive_ms: m.last_receive_ms.unwrap_or(0),
            lease: m.lease,
            receive_count: m.receive_count,
            priority: m.priority,
            state: m.state,
            flags,
            sender_id: senders.intern(m.sender_id),
            extras: Extras {
                id,
                attributes: m.attributes,
                system_attributes: m.system_attributes,
                group_id: m.group_id,
                dedup_id: m.dedup_id,
                sequence_number: m.sequence_number,
                dead_letter_source: m.dead_letter_source,
            }
            .boxed(),
        }
    }

    /// The message stored under `seq` in a queue whose ids are rendered with `prefix`.
    pub fn to_message(&self, seq: u64, prefix: u64) -> Message {
        let x = self.extras.as_deref();
        Message {
            id: self.id(seq, prefix),
            seq,
            body: Bytes::copy_from_slice(&self.body),
            attributes: x.map(|x| x.attributes.clone()).unwrap_or_default(),
            system_attributes: x.map(|x| x.system_attributes.clone()).unwrap_or_default(),
            priority: self.priority,
            enqueued_ms: self.enqueued_ms,
            visible_ms: self.visible_ms,
            expires_ms: self.expires_ms(),
            receive_count: self.receive_count,
            first_receive_ms: self.first_receive_ms(),
            last_receive_ms: self.last_receive_ms(),
            lease: self.lease,
            state: self.state,
            group_id: x.and_then(|x| x.group_id.clone()),
            dedup_id: x.and_then(|x| x.dedup_id.clone()),
            sequence_number: x.and_then(|x| x.sequence_number),
            sender_id: self.sender_id.as_deref().cloned(),
            dead_letter_source: x.and_then(|x| x.dead_letter_source.clone()),
        }
    }

    /// [`to_message`](Stored::to_message) for a message that leaves the queue: moves instead
    /// of cloning.
    pub fn into_message(self, seq: u64, prefix: u64) -> Message {
        let expires_ms = self.expires_ms();
        let first_receive_ms = self.first_receive_ms();
        let last_receive_ms = self.last_receive_ms();
        let x = self.extras.map(|x| *x).unwrap_or_default();
        Message {
            id: x.id.unwrap_or_else(|| render_id(prefix, seq)),
            seq,
            body: Bytes::from(self.body),
            attributes: x.attributes,
            system_attributes: x.system_attributes,
            priority: self.priority,
            enqueued_ms: self.enqueued_ms,
            visible_ms: self.visible_ms,
            expires_ms,
            receive_count: self.receive_count,
            first_receive_ms,
            last_receive_ms,
            lease: self.lease,
            state: self.state,
            group_id: x.group_id,
            dedup_id: x.dedup_id,
            sequence_number: x.sequence_number,
            sender_id: self.sender_id.map(Arc::unwrap_or_clone),
            dead_letter_source: x.dead_letter_source,
        }
    }

    pub fn id(&self, seq: u64, prefix: u64) -> String {
        match self.extras.as_deref().and_then(|x| x.id.as_ref()) {
            Some(id) => id.clone(),
            None => render_id(prefix, seq),
        }
    }

    /// Keeps the id `id` for `seq` when the queue's ids are rendered with `prefix` from now on
    /// (explicitly only when rendering would not give it back).
    pub fn set_id(&mut self, seq: u64, prefix: u64, id: String) {
        let id = (id != render_id(prefix, seq)).then_some(id);
        let mut x = self.extras.take().map(|x| *x).unwrap_or_default();
        x.id = id;
        self.extras = x.boxed();
    }

    pub fn expires_ms(&self) -> Option<u64> {
        (self.flags & EXPIRES != 0).then_some(self.expires_ms)
    }

    pub fn first_receive_ms(&self) -> Option<u64> {
        (self.flags & FIRST_RECEIVE != 0).then_some(self.first_receive_ms)
    }

    pub fn last_receive_ms(&self) -> Option<u64> {
        (self.flags & LAST_RECEIVE != 0).then_some(self.last_receive_ms)
    }

    /// Records a receive at `now`: the start of the new lease, and the first receive unless
    /// there was one.
    pub fn received_at(&mut self, now: u64) {
        if self.flags & FIRST_RECEIVE == 0 {
            self.flags |= FIRST_RECEIVE;
            self.first_receive_ms = now;
        }
        self.flags |= LAST_RECEIVE;
        self.last_receive_ms = now;
    }

    pub fn group_id(&self) -> Option<&str> {
        self.extras.as_deref().and_then(|x| x.group_id.as_deref())
    }

    pub fn set_body(&mut self, body: Bytes) {
        self.body = exact(body);
    }
}

/// `body` in an allocation of exactly its size. A `Bytes` that shares its buffer (a slice of
/// a request, say) would keep that whole buffer alive as long as the message is stored, and
/// one made from a `Vec` may carry spare capacity: the first is copied, the second shrunk. A
/// body that owns an exact buffer alone (what `Bytes::copy_from_slice` makes) is taken over
/// without copying. A `Box<[u8]>` is also 16 bytes smaller than a `Bytes`; the price is one
/// copy per delivered `Message`, which a `Bytes` clone (an allocation on the first clone of
/// a `Vec`-backed `Bytes`) roughly cost too.
fn exact(body: Bytes) -> Box<[u8]> {
    Vec::from(body).into_boxed_slice()
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_hex(out: &mut String, v: u64, digits: u32) {
    for i in (0..digits).rev() {
        out.push(HEX[((v >> (i * 4)) & 15) as usize] as char);
    }
}

/// Exactly [`crate::ids::message_id`], without `format!`'s machinery: ids are rendered on
/// every lease now that they are not stored.
pub(super) fn render_id(prefix: u64, seq: u64) -> String {
    let mut s = String::with_capacity(36);
    push_hex(&mut s, prefix >> 32, 8);
    s.push('-');
    push_hex(&mut s, (prefix >> 16) & 0xffff, 4);
    s.push_str("-4");
    push_hex(&mut s, prefix & 0xfff, 3);
    s.push('-');
    push_hex(&mut s, 0x8000 | ((seq >> 48) & 0x3fff), 4);
    s.push('-');
    push_hex(&mut s, seq & 0xffff_ffff_ffff, 12);
    s
}

/// The prefix an id of [`render_id`]'s shape was rendered with (bits 12..16, which ids do not
/// show, as 0); `None` for other text.
pub(super) fn prefix_of(id: &str) -> Option<u64> {
    let b = id.as_bytes();
    if b.len() != 36 || b[14] != b'4' {
        return None;
    }
    let hex = |r: std::ops::Range<usize>| {
        id.get(r)
            .filter(|t| t.bytes().all(|c| c.is_ascii_hexdigit()))
            .and_then(|t| u64::from_str_radix(t, 16).ok())
    };
    Some((hex(0..8)? << 32) | (hex(9..13)? << 16) | hex(15..18)?)
}

#[cfg(test)]
#[path = "stored_tests.rs"]
mod tests;
