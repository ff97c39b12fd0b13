//! Rebuilding the memory engine from the database: queues, then every message in sequence
//! order (one pass over the table's primary key, the cheapest scan SQLite has), then the
//! deduplication records in expiry order. Messages keep their stored state, lease generation,
//! receive count and times; the engine applies timers and expiry on first use as it always
//! does, so nothing is decided here from the wall clock (tests drive time themselves).

use std::collections::HashSet;

use polyq_core::memory::{DedupRecord, RestoredQueue, Restorer};
use rusqlite::Connection;

use crate::codec::{config_from, message_from_row, MESSAGE_COLUMNS};

pub(crate) struct Loaded {
    pub restorer: Restorer,
    pub queues: HashSet<String>,
    /// One past the highest sequence number found (0 when there are no messages).
    pub seq_high: u64,
    pub messages: u64,
}

pub(crate) fn load(conn: &Connection) -> rusqlite::Result<Loaded> {
    let mut restorer = Restorer::new();
    let mut queues = HashSet::new();
    let mut stmt = conn.prepare("SELECT name, created_ms, modified_ms, config FROM queues")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let name: String = row.get(0)?;
        restorer.queue(RestoredQueue {
            name: name.clone(),
            created_ms: row.get::<_, i64>(1)? as u64,
            modified_ms: row.get::<_, i64>(2)? as u64,
            config: config_from(row.get_ref(3)?.as_str()?)?,
        });
        queues.insert(name);
    }

    let mut seq_high = 0;
    let mut messages = 0;
    let mut orphans = 0u64;
    let mut stmt = conn.prepare(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages ORDER BY seq"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let m = message_from_row(row)?;
        seq_high = seq_high.max(m.seq + 1);
        if restorer.message(row.get_ref(1)?.as_str()?, m) {
            messages += 1;
        } else {
            orphans += 1;
        }
    }
    if orphans > 0 {
        // The writer never writes into a queue it knows deleted, so this means a damaged or
        // hand-edited file; say so and leave the rows for inspection.
        tracing::warn!(
            orphans,
            "messages of queues that do not exist were found and left unused in the store"
        );
    }

    let mut stmt =
        conn.prepare("SELECT queue, key, id, seq, expires_ms FROM dedup ORDER BY expires_ms")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let record = DedupRecord {
            key: row.get(1)?,
            id: row.get(2)?,
            seq: row.get::<_, i64>(3)? as u64,
            expires_ms: row.get::<_, i64>(4)? as u64,
        };
        restorer.dedup(row.get_ref(0)?.as_str()?, record);
    }
    Ok(Loaded {
        restorer,
        queues,
        seq_high,
        messages,
    })
}
