//! Rows to model values and back: one column list for messages, one for queues, and the
//! conversions between the core's unsigned numbers and PostgreSQL's signed ones.

use bytes::Bytes;
use polyq_core::ids::message_id;
use polyq_core::{
    Attributes, CoreError, Message, MessageState, QueueConfig, QueueInfo, QueueStats,
};
use tokio_postgres::Row;

use crate::error::corrupt;

/// The message columns every statement that returns messages selects, in this order.
pub(crate) const MSG_COLS: &str = "m.seq, m.priority, m.enqueued_ms, m.visible_ms, m.expires_ms, \
    m.receive_count, m.first_receive_ms, m.lease, m.in_flight, m.group_id, m.dedup_id, \
    m.sequence_number, m.sender_id, m.dead_letter_source, m.attrs, m.body, m.last_receive_ms";

/// How many columns [`MSG_COLS`] has: the index of the first column a statement selects after it.
pub(crate) const MSG_COL_COUNT: usize = column_count(MSG_COLS);

/// Columns in a comma-separated list (counted at compile time, so adding one cannot leave
/// the index of a column selected after the list behind).
const fn column_count(list: &str) -> usize {
    let bytes = list.as_bytes();
    let (mut n, mut k) = (1, 0);
    while k < bytes.len() {
        if bytes[k] == b',' {
            n += 1;
        }
        k += 1;
    }
    n
}

/// Live = not expired at `$2` (every statement passes `now` as its second parameter).
pub(crate) const LIVE: &str = "(m.expires_ms IS NULL OR m.expires_ms > $2)";

/// Clamps a core number into BIGINT range (ids and times never get near the edge; a made-up
/// receipt might, and must then simply match nothing).
pub(crate) fn i(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn u(n: i64) -> u64 {
    n.max(0) as u64
}

pub(crate) fn encode_attrs(a: &Attributes, s: &Attributes) -> Option<String> {
    if a.is_empty() && s.is_empty() {
        return None;
    }
    serde_json::to_string(&(a, s)).ok()
}

fn decode_attrs(text: Option<&str>) -> Result<(Attributes, Attributes), CoreError> {
    match text {
        None => Ok(Default::default()),
        Some(t) => serde_json::from_str(t).map_err(|_| corrupt("message attributes")),
    }
}

/// A message row selected with [`MSG_COLS`] (first columns of `row`), its state as of `now`.
pub(crate) fn message(row: &Row, prefix: u64, now: u64) -> Result<Message, CoreError> {
    let seq = u(row.get(0));
    let visible_ms = u(row.get(3));
    let in_flight: bool = row.get(8);
    let (attributes, system_attributes) = decode_attrs(row.get(14))?;
    let body: Vec<u8> = row.get(15);
    let id = message_id(prefix, seq);
    // `''`: the message's own id (a dead-lettered FIFO message, see `lease::update_picked`).
    let dedup_id = row
        .get::<_, Option<String>>(10)
        .map(|d| if d.is_empty() { id.clone() } else { d });
    Ok(Message {
        id,
        seq,
        body: Bytes::from(body),
        attributes,
        system_attributes,
        priority: row.get::<_, i16>(1) as u8,
        enqueued_ms: u(row.get(2)),
        visible_ms,
        expires_ms: row.get::<_, Option<i64>>(4).map(u),
        receive_count: row.get::<_, i32>(5).max(0) as u32,
        first_receive_ms: row.get::<_, Option<i64>>(6).map(u),
        last_receive_ms: row.get::<_, Option<i64>>(16).map(u),
        lease: u(row.get(7)),
        state: state(visible_ms, in_flight, now),
        group_id: row.get(9),
        dedup_id,
        sequence_number: row.get::<_, Option<i64>>(11).map(u),
        sender_id: row.get(12),
        dead_letter_source: row.get(13),
    })
}

/// The memory engine's states, derived: a message is ready once its time has come, whether
/// it was delayed or leased.
pub(crate) fn state(visible_ms: u64, in_flight: bool, now: u64) -> MessageState {
    if visible_ms <= now {
        MessageState::Ready
    } else if in_flight {
        MessageState::InFlight
    } else {
        MessageState::Delayed
    }
}

/// Queue columns plus counts; `$2` is `now`. Used as `SELECT {QUEUE_COLS} FROM polyq_queues q
/// {QUEUE_STATS} WHERE ...`.
pub(crate) const QUEUE_COLS: &str =
    "q.id, q.name, q.created_ms, q.modified_ms, q.config, s.visible, s.in_flight, s.delayed";

/// Counts by state as of `$2`: one pass over the queue's live rows (ApproximateNumberOf...).
pub(crate) const QUEUE_STATS: &str = "CROSS JOIN LATERAL (SELECT \
    count(*) FILTER (WHERE m.visible_ms <= $2) AS visible, \
    count(*) FILTER (WHERE m.visible_ms > $2 AND m.in_flight) AS in_flight, \
    count(*) FILTER (WHERE m.visible_ms > $2 AND NOT m.in_flight) AS delayed \
    FROM polyq_messages m WHERE m.queue_id = q.id AND (m.expires_ms IS NULL OR m.expires_ms > $2)) s";

pub(crate) fn queue_info(row: &Row) -> Result<QueueInfo, CoreError> {
    let config: String = row.get(4);
    Ok(QueueInfo {
        name: row.get(1),
        created_ms: u(row.get(2)),
        modified_ms: u(row.get(3)),
        config: parse_config(&config)?,
        stats: QueueStats {
            visible: u(row.get(5)),
            in_flight: u(row.get(6)),
            delayed: u(row.get(7)),
        },
    })
}

pub(crate) fn parse_config(text: &str) -> Result<QueueConfig, CoreError> {
    serde_json::from_str(text).map_err(|_| corrupt("queue configuration"))
}

pub(crate) fn config_text(c: &QueueConfig) -> Result<String, CoreError> {
    serde_json::to_string(c).map_err(|e| CoreError::Storage(format!("queue configuration: {e}")))
}
