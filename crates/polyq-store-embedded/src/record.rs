//! The binary form of one log record: a journal [`Change`], or one of the records that keep
//! the log itself checkable (the sequence high-water mark and the chain record a segment
//! starts with, and the note written before old segments are deleted).
//!
//! Layout: a tag byte, then the fields in a fixed order. Integers are little-endian and fixed
//! width (cheaper to write than varints, and the body dominates a record anyway); strings and
//! byte strings are a `u32` length then the bytes; an `Option` is a `0`/`1` byte then the value.
//! Attribute maps and queue configurations are JSON (rare, and JSON keeps them readable across
//! model changes); an empty attribute map is a zero-length string. Records carry no checksum of
//! their own: the frame around a commit has one (see [`crate::segment`]).

use bytes::Bytes;
use polyq_core::memory::{Change, DedupRecord};
use polyq_core::{Attributes, Message, MessageState, QueueConfig};

const QUEUE_PUT: u8 = 1;
const QUEUE_DELETE: u8 = 2;
const QUEUE_PURGE: u8 = 3;
const MESSAGE_PUT: u8 = 4;
const MESSAGE_LEASE: u8 = 5;
const MESSAGE_REMOVE: u8 = 6;
const DEDUP: u8 = 7;
const NEXT_SEQ: u8 = 8;
/// Format 3's message put and lease: those of format 2 with the latest receive time
/// (`Option<u64>`) at the end. Only these are written; the format 2 ones are still read (a
/// directory written before keeps its older segments until they are collected), with no
/// latest receive time.
const MESSAGE_PUT_3: u8 = 9;
const MESSAGE_LEASE_3: u8 = 10;
/// Format 4: see [`Record::SegmentStart`] and [`Record::Collected`].
const SEGMENT_START: u8 = 11;
const COLLECTED: u8 = 12;

/// One record read back from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
// Records are handed over one at a time and never stored, so the size difference costs
// nothing, while boxing would cost an allocation per record.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Record {
    Change(Change),
    /// Every sequence number below this one has been used (written at the start of each
    /// segment, so that ids are never reused even after every message is gone).
    NextSeq(u64),
    /// What the log held when a segment began (written at its start, format 4 on): the size
    /// of the segment before it, and the oldest segment then kept. Recovery holds the files
    /// to these, so that an older segment cut or removed by hand is found, not replayed short.
    SegmentStart {
        previous_len: u64,
        oldest: u64,
    },
    /// Segments up to this number are being deleted as no longer needed (written, and made
    /// durable, before the files go): the only way segments may disappear.
    Collected(u64),
}

pub(crate) fn encode_segment_start(previous_len: u64, oldest: u64, out: &mut Vec<u8>) {
    out.push(SEGMENT_START);
    put_u64(out, previous_len);
    put_u64(out, oldest);
}

pub(crate) fn encode_collected(upto: u64, out: &mut Vec<u8>) {
    out.push(COLLECTED);
    put_u64(out, upto);
}

pub(crate) fn encode_next_seq(next_seq: u64, out: &mut Vec<u8>) {
    out.push(NEXT_SEQ);
    put_u64(out, next_seq);
}

/// Appends `change` to `out`.
pub(crate) fn encode(change: &Change, out: &mut Vec<u8>) {
    match change {
        Change::QueuePut {
            name,
            created_ms,
            modified_ms,
            config,
        } => {
            out.push(QUEUE_PUT);
            put_str(out, name);
            put_u64(out, *created_ms);
            put_u64(out, *modified_ms);
            let json = serde_json::to_vec(config).expect("queue config serializes");
            put_bytes(out, &json);
        }
        Change::QueueDelete { name } => {
            out.push(QUEUE_DELETE);
            put_str(out, name);
        }
        Change::QueuePurge { name } => {
            out.push(QUEUE_PURGE);
            put_str(out, name);
        }
        Change::MessagePut { queue, message } => {
            out.push(MESSAGE_PUT_3);
            put_str(out, queue);
            encode_message(message, out);
            put_opt_u64(out, message.last_receive_ms);
        }
        Change::MessageLease {
            seq,
            lease,
            receive_count,
            first_receive_ms,
            last_receive_ms,
            visible_ms,
            state,
        } => {
            out.push(MESSAGE_LEASE_3);
            put_u64(out, *seq);
            put_u64(out, *lease);
            out.extend_from_slice(&receive_count.to_le_bytes());
            put_opt_u64(out, *first_receive_ms);
            put_u64(out, *visible_ms);
            out.push(state_code(*state));
            put_opt_u64(out, *last_receive_ms);
        }
        Change::MessageRemove { seq } => {
            out.push(MESSAGE_REMOVE);
            put_u64(out, *seq);
        }
        Change::Dedup { queue, record } => {
            out.push(DEDUP);
            put_str(out, queue);
            put_str(out, &record.key);
            put_str(out, &record.id);
            put_u64(out, record.seq);
            put_u64(out, record.expires_ms);
        }
    }
}

fn encode_message(m: &Message, out: &mut Vec<u8>) {
    put_u64(out, m.seq);
    put_str(out, &m.id);
    put_bytes(out, &m.body);
    put_attributes(out, &m.attributes);
    put_attributes(out, &m.system_attributes);
    out.push(m.priority);
    put_u64(out, m.enqueued_ms);
    put_u64(out, m.visible_ms);
    put_opt_u64(out, m.expires_ms);
    out.extend_from_slice(&m.receive_count.to_le_bytes());
    put_opt_u64(out, m.first_receive_ms);
    put_u64(out, m.lease);
    out.push(state_code(m.state));
    put_opt_str(out, m.group_id.as_deref());
    put_opt_str(out, m.dedup_id.as_deref());
    put_opt_u64(out, m.sequence_number);
    put_opt_str(out, m.sender_id.as_deref());
    put_opt_str(out, m.dead_letter_source.as_deref());
}

/// Reads the records of one frame's payload in order, handing each to `f` with its encoded
/// length.
pub(crate) fn decode_each(payload: &[u8], mut f: impl FnMut(Record, usize)) -> Result<(), String> {
    let mut r = Reader { buf: payload };
    while !r.buf.is_empty() {
        let before = r.buf.len();
        let record = r.record()?;
        f(record, before - r.buf.len());
    }
    Ok(())
}

#[cfg(test)]
fn decode_all(payload: &[u8]) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    decode_each(payload, |r, _| out.push(r))?;
    Ok(out)
}

fn state_code(s: MessageState) -> u8 {
    match s {
        MessageState::Ready => 0,
        MessageState::Delayed => 1,
        MessageState::InFlight => 2,
    }
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_opt_u64(out: &mut Vec<u8>, v: Option<u64>) {
    match v {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            put_u64(out, v);
        }
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    let len = u32::try_from(b.len()).expect("a record field is under 4 GiB");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(b);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_bytes(out, s.as_bytes());
}

fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}

fn put_attributes(out: &mut Vec<u8>, a: &Attributes) {
    if a.is_empty() {
        put_bytes(out, &[]);
    } else {
        put_bytes(out, &serde_json::to_vec(a).expect("attributes serialize"));
    }
}

/// A cursor over a payload; every read checks the length first, so a damaged record is an
/// error, never a panic.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.buf.len() < n {
            return Err(format!(
                "record cut short: {n} bytes needed, {} left",
                self.buf.len()
            ));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }

    fn flag(&mut self) -> Result<bool, String> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(format!("bad option flag {other}")),
        }
    }

    fn opt_u64(&mut self) -> Result<Option<u64>, String> {
        Ok(if self.flag()? {
            Some(self.u64()?)
        } else {
            None
        })
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    fn string(&mut self) -> Result<String, String> {
        let b = self.bytes()?;
        String::from_utf8(b.to_vec()).map_err(|_| "a text field is not UTF-8".to_string())
    }

    fn opt_string(&mut self) -> Result<Option<String>, String> {
        Ok(if self.flag()? {
            Some(self.string()?)
        } else {
            None
        })
    }

    fn attributes(&mut self) -> Result<Attributes, String> {
        let b = self.bytes()?;
        if b.is_empty() {
            return Ok(Attributes::new());
        }
        serde_json::from_slice(b).map_err(|e| format!("attributes: {e}"))
    }

    fn state(&mut self) -> Result<MessageState, String> {
        match self.u8()? {
            0 => Ok(MessageState::Ready),
            1 => Ok(MessageState::Delayed),
            2 => Ok(MessageState::InFlight),
            other => Err(format!("unknown message state {other}")),
        }
    }

    fn record(&mut self) -> Result<Record, String> {
        let tag = self.u8()?;
        let change = match tag {
            NEXT_SEQ => return Ok(Record::NextSeq(self.u64()?)),
            SEGMENT_START => {
                return Ok(Record::SegmentStart {
                    previous_len: self.u64()?,
                    oldest: self.u64()?,
                })
            }
            COLLECTED => return Ok(Record::Collected(self.u64()?)),
            QUEUE_PUT => Change::QueuePut {
                name: self.string()?,
                created_ms: self.u64()?,
                modified_ms: self.u64()?,
                config: serde_json::from_slice::<QueueConfig>(self.bytes()?)
                    .map_err(|e| format!("queue config: {e}"))?,
            },
            QUEUE_DELETE => Change::QueueDelete {
                name: self.string()?,
            },
            QUEUE_PURGE => Change::QueuePurge {
                name: self.string()?,
            },
            MESSAGE_PUT | MESSAGE_PUT_3 => {
                let queue = self.string()?;
                let mut message = self.message()?;
                if tag == MESSAGE_PUT_3 {
                    message.last_receive_ms = self.opt_u64()?;
                }
                Change::MessagePut { queue, message }
            }
            MESSAGE_LEASE | MESSAGE_LEASE_3 => Change::MessageLease {
                seq: self.u64()?,
                lease: self.u64()?,
                receive_count: self.u32()?,
                first_receive_ms: self.opt_u64()?,
                visible_ms: self.u64()?,
                state: self.state()?,
                last_receive_ms: if tag == MESSAGE_LEASE_3 {
                    self.opt_u64()?
                } else {
                    None
                },
            },
            MESSAGE_REMOVE => Change::MessageRemove { seq: self.u64()? },
            DEDUP => Change::Dedup {
                queue: self.string()?,
                record: DedupRecord {
                    key: self.string()?,
                    id: self.string()?,
                    seq: self.u64()?,
                    expires_ms: self.u64()?,
                },
            },
            other => return Err(format!("unknown record type {other}")),
        };
        Ok(Record::Change(change))
    }

    fn message(&mut self) -> Result<Message, String> {
        Ok(Message {
            seq: self.u64()?,
            id: self.string()?,
            // Copied out: a slice would keep the whole segment buffer alive.
            body: Bytes::copy_from_slice(self.bytes()?),
            attributes: self.attributes()?,
            system_attributes: self.attributes()?,
            priority: self.u8()?,
            enqueued_ms: self.u64()?,
            visible_ms: self.u64()?,
            expires_ms: self.opt_u64()?,
            receive_count: self.u32()?,
            first_receive_ms: self.opt_u64()?,
            // Format 3 adds it after the message (see `MESSAGE_PUT_3`).
            last_receive_ms: None,
            lease: self.u64()?,
            state: self.state()?,
            group_id: self.opt_string()?,
            dedup_id: self.opt_string()?,
            sequence_number: self.opt_u64()?,
            sender_id: self.opt_string()?,
            dead_letter_source: self.opt_string()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polyq_core::{AttributeValue, MessageAttribute, RedrivePolicy};

    fn full_message() -> Message {
        let mut attributes = Attributes::new();
        attributes.insert(
            "a".into(),
            MessageAttribute {
                data_type: "Binary".into(),
                value: AttributeValue::Binary(Bytes::from_static(&[0, 255, 7])),
            },
        );
        let mut system_attributes = Attributes::new();
        system_attributes.insert(
            "AWSTraceHeader".into(),
            MessageAttribute {
                data_type: "String".into(),
                value: AttributeValue::String("Root=1".into()),
            },
        );
        Message {
            id: "id-1".into(),
            seq: u64::MAX - 1,
            body: Bytes::from_static("héllo \0 body".as_bytes()),
            attributes,
            system_attributes,
            priority: 3,
            enqueued_ms: 1,
            visible_ms: 2,
            expires_ms: Some(3),
            receive_count: 4,
            first_receive_ms: Some(5),
            last_receive_ms: Some(8),
            lease: 6,
            state: MessageState::InFlight,
            group_id: Some("g".into()),
            dedup_id: Some("d".into()),
            sequence_number: Some(7),
            sender_id: Some("s".into()),
            dead_letter_source: Some("src".into()),
        }
    }

    fn bare_message() -> Message {
        Message {
            seq: 1,
            ..Default::default()
        }
    }

    fn every_kind() -> Vec<Change> {
        let config = QueueConfig {
            redrive: Some(RedrivePolicy {
                dead_letter_queue: "dlq".into(),
                max_receive_count: 3,
            }),
            fifo: true,
            ..Default::default()
        };
        vec![
            Change::QueuePut {
                name: "q".into(),
                created_ms: 10,
                modified_ms: 11,
                config,
            },
            Change::QueueDelete { name: "x".into() },
            Change::QueuePurge { name: "y".into() },
            Change::MessagePut {
                queue: "q".into(),
                message: full_message(),
            },
            Change::MessagePut {
                queue: "q".into(),
                message: bare_message(),
            },
            Change::MessageLease {
                seq: 9,
                lease: 8,
                receive_count: 7,
                first_receive_ms: Some(6),
                last_receive_ms: Some(4),
                visible_ms: 5,
                state: MessageState::Delayed,
            },
            Change::MessageLease {
                seq: 9,
                lease: 8,
                receive_count: 7,
                first_receive_ms: None,
                last_receive_ms: None,
                visible_ms: 5,
                state: MessageState::Ready,
            },
            Change::MessageRemove { seq: 12 },
            Change::Dedup {
                queue: "q".into(),
                record: DedupRecord {
                    key: "k".into(),
                    id: "i".into(),
                    seq: 4,
                    expires_ms: 99,
                },
            },
        ]
    }

    #[test]
    fn every_record_kind_round_trips() {
        let changes = every_kind();
        let mut buf = Vec::new();
        encode_next_seq(42, &mut buf);
        encode_segment_start(1234, 7, &mut buf);
        encode_collected(6, &mut buf);
        for c in &changes {
            encode(c, &mut buf);
        }
        let mut expected = vec![
            Record::NextSeq(42),
            Record::SegmentStart {
                previous_len: 1234,
                oldest: 7,
            },
            Record::Collected(6),
        ];
        expected.extend(changes.into_iter().map(Record::Change));
        assert_eq!(decode_all(&buf).unwrap(), expected);
    }

    #[test]
    fn format_2_puts_and_leases_are_read_without_a_latest_receive() {
        // Format 2 wrote the same fields under tags 4 and 5, without the trailing option.
        let older = |change: &Change, tag: u8| {
            let mut buf = Vec::new();
            encode(change, &mut buf);
            assert_eq!(buf.pop(), Some(0), "ends in a `None` latest receive");
            buf[0] = tag;
            buf
        };
        let put = Change::MessagePut {
            queue: "q".into(),
            message: Message {
                last_receive_ms: None,
                ..full_message()
            },
        };
        let lease = every_kind()[6].clone();
        let mut buf = older(&put, MESSAGE_PUT);
        buf.extend(older(&lease, MESSAGE_LEASE));
        assert_eq!(
            decode_all(&buf).unwrap(),
            vec![Record::Change(put), Record::Change(lease)]
        );
    }

    #[test]
    fn damaged_records_are_errors_not_panics() {
        let mut buf = Vec::new();
        for c in &every_kind() {
            encode(c, &mut buf);
        }
        // Every prefix that ends inside a record fails cleanly.
        for cut in 1..buf.len() {
            let _ = decode_all(&buf[..cut]);
        }
        assert!(decode_all(&buf[..buf.len() - 1])
            .unwrap_err()
            .contains("cut short"));
        assert!(decode_all(&[200])
            .unwrap_err()
            .contains("unknown record type"));
        let mut bad_state = Vec::new();
        // A lease without a latest receive time: the state byte, then a one-byte `None`.
        encode(&every_kind()[6], &mut bad_state);
        let at = bad_state.len() - 2;
        bad_state[at] = 9;
        assert!(decode_all(&bad_state)
            .unwrap_err()
            .contains("unknown message state"));
    }
}
