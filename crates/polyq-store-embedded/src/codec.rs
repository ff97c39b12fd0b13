//! How model values are laid out in table columns. Times, sequence numbers and lease
//! generations are SQLite integers (i64; none comes near 2^63); attributes and queue configs
//! are JSON text, empty attribute maps NULL (most messages have none).

use bytes::Bytes;
use polyq_core::{Attributes, Message, MessageState, QueueConfig};
use rusqlite::types::ValueRef;
use rusqlite::Row;

/// Column list of `messages`, in the order [`message_from_row`] reads (after `queue`).
pub(crate) const MESSAGE_COLUMNS: &str = "seq, queue, id, body, attributes, system_attributes, \
    priority, enqueued_ms, visible_ms, expires_ms, receive_count, first_receive_ms, lease, \
    state, group_id, dedup_id, sequence_number, sender_id, dead_letter_source";

/// Upsert of a whole message (a put replaces the row of the same seq: that is how a move
/// changes the queue of a message in one statement).
pub(crate) const INSERT_MESSAGE: &str = "INSERT OR REPLACE INTO messages (seq, queue, id, body, \
    attributes, system_attributes, priority, enqueued_ms, visible_ms, expires_ms, receive_count, \
    first_receive_ms, lease, state, group_id, dedup_id, sequence_number, sender_id, \
    dead_letter_source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, \
    ?15, ?16, ?17, ?18, ?19)";

pub(crate) fn int(v: u64) -> i64 {
    v as i64
}

pub(crate) fn opt_int(v: Option<u64>) -> Option<i64> {
    v.map(int)
}

pub(crate) fn state_code(s: MessageState) -> i64 {
    match s {
        MessageState::Ready => 0,
        MessageState::Delayed => 1,
        MessageState::InFlight => 2,
    }
}

fn state_from_code(code: i64) -> rusqlite::Result<MessageState> {
    match code {
        0 => Ok(MessageState::Ready),
        1 => Ok(MessageState::Delayed),
        2 => Ok(MessageState::InFlight),
        other => Err(bad(format!("unknown message state {other}"))),
    }
}

pub(crate) fn attributes_json(a: &Attributes) -> Option<String> {
    if a.is_empty() {
        return None;
    }
    Some(serde_json::to_string(a).expect("attributes serialize"))
}

fn attributes_from(v: ValueRef<'_>) -> rusqlite::Result<Attributes> {
    match v {
        ValueRef::Null => Ok(Attributes::new()),
        other => serde_json::from_slice(other.as_bytes()?).map_err(|e| bad(e.to_string())),
    }
}

pub(crate) fn config_json(c: &QueueConfig) -> String {
    serde_json::to_string(c).expect("queue config serializes")
}

pub(crate) fn config_from(text: &str) -> rusqlite::Result<QueueConfig> {
    serde_json::from_str(text).map_err(|e| bad(format!("queue config: {e}")))
}

fn bad(msg: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("unreadable row: {msg}").into(),
    )
}

fn opt_u64(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<u64>> {
    Ok(row.get::<_, Option<i64>>(i)?.map(|v| v as u64))
}

fn u64_at(row: &Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(row.get::<_, i64>(i)? as u64)
}

/// Reads a row selected with [`MESSAGE_COLUMNS`]; the queue (column 1) is read by the caller.
pub(crate) fn message_from_row(row: &Row<'_>) -> rusqlite::Result<Message> {
    Ok(Message {
        seq: u64_at(row, 0)?,
        id: row.get(2)?,
        body: Bytes::copy_from_slice(row.get_ref(3)?.as_bytes()?),
        attributes: attributes_from(row.get_ref(4)?)?,
        system_attributes: attributes_from(row.get_ref(5)?)?,
        priority: row.get(6)?,
        enqueued_ms: u64_at(row, 7)?,
        visible_ms: u64_at(row, 8)?,
        expires_ms: opt_u64(row, 9)?,
        receive_count: row.get(10)?,
        first_receive_ms: opt_u64(row, 11)?,
        lease: u64_at(row, 12)?,
        state: state_from_code(row.get(13)?)?,
        group_id: row.get(14)?,
        dedup_id: row.get(15)?,
        sequence_number: opt_u64(row, 16)?,
        sender_id: row.get(17)?,
        dead_letter_source: row.get(18)?,
    })
}
