//! Writing a batch of journal changes in one transaction.

use std::collections::HashSet;

use polyq_core::memory::Change;
use polyq_core::DEDUP_WINDOW_MS;
use rusqlite::{params, Connection};

use crate::codec::{attributes_json, config_json, int, opt_int, state_code, INSERT_MESSAGE};

/// What the writer knows across batches.
pub(crate) struct SqlState {
    /// Queues that exist on disk: a message put into a queue deleted just before (a move
    /// racing a queue deletion) is not written, so no orphan rows appear.
    pub live_queues: HashSet<String>,
    /// The `next_seq` stored in `meta`.
    pub next_seq: u64,
}

/// Writes `changes` (in order) and the sequence high-water mark into the open transaction;
/// returns the new high-water mark, for the caller to keep once the transaction commits.
/// (`live_queues` is updated as it goes: after a failed commit the writer stops for good.)
pub(crate) fn apply(
    tx: &Connection,
    state: &mut SqlState,
    changes: &[Change],
) -> rusqlite::Result<u64> {
    let mut next_seq = state.next_seq;
    let mut dedup_now = None;
    for change in changes {
        match change {
            Change::QueuePut {
                name,
                created_ms,
                modified_ms,
                config,
            } => {
                tx.prepare_cached(
                    "INSERT INTO queues (name, created_ms, modified_ms, config) \
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET \
                     created_ms = excluded.created_ms, modified_ms = excluded.modified_ms, \
                     config = excluded.config",
                )?
                .execute(params![
                    name,
                    int(*created_ms),
                    int(*modified_ms),
                    config_json(config)
                ])?;
                state.live_queues.insert(name.clone());
            }
            Change::QueueDelete { name } => {
                for sql in [
                    "DELETE FROM messages WHERE queue = ?1",
                    "DELETE FROM dedup WHERE queue = ?1",
                    "DELETE FROM queues WHERE name = ?1",
                ] {
                    tx.prepare_cached(sql)?.execute([name])?;
                }
                state.live_queues.remove(name);
            }
            Change::QueuePurge { name } => {
                tx.prepare_cached("DELETE FROM messages WHERE queue = ?1")?
                    .execute([name])?;
            }
            Change::MessagePut { queue, message: m } => {
                if !state.live_queues.contains(queue) {
                    continue;
                }
                next_seq = next_seq.max(m.seq + 1);
                tx.prepare_cached(INSERT_MESSAGE)?.execute(params![
                    int(m.seq),
                    queue,
                    m.id,
                    &m.body[..],
                    attributes_json(&m.attributes),
                    attributes_json(&m.system_attributes),
                    m.priority,
                    int(m.enqueued_ms),
                    int(m.visible_ms),
                    opt_int(m.expires_ms),
                    m.receive_count,
                    opt_int(m.first_receive_ms),
                    int(m.lease),
                    state_code(m.state),
                    m.group_id,
                    m.dedup_id,
                    opt_int(m.sequence_number),
                    m.sender_id,
                    m.dead_letter_source,
                ])?;
            }
            Change::MessageLease {
                seq,
                lease,
                receive_count,
                first_receive_ms,
                visible_ms,
                state: s,
            } => {
                tx.prepare_cached(
                    "UPDATE messages SET lease = ?2, receive_count = ?3, \
                     first_receive_ms = ?4, visible_ms = ?5, state = ?6 WHERE seq = ?1",
                )?
                .execute(params![
                    int(*seq),
                    int(*lease),
                    receive_count,
                    opt_int(*first_receive_ms),
                    int(*visible_ms),
                    state_code(*s)
                ])?;
            }
            Change::MessageRemove { seq } => {
                tx.prepare_cached("DELETE FROM messages WHERE seq = ?1")?
                    .execute([int(*seq)])?;
            }
            Change::Dedup { queue, record: r } => {
                if !state.live_queues.contains(queue) {
                    continue;
                }
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO dedup (queue, key, id, seq, expires_ms) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    queue,
                    r.key,
                    r.id,
                    int(r.seq),
                    int(r.expires_ms)
                ])?;
                dedup_now = Some(r.expires_ms.saturating_sub(DEDUP_WINDOW_MS));
            }
        }
    }
    if let Some(now) = dedup_now {
        // Records past their window are dead weight; the engine ignores them after a restart
        // anyway. Dropped here, where a new record shows how far the clock has moved.
        tx.prepare_cached("DELETE FROM dedup WHERE expires_ms <= ?1")?
            .execute([int(now)])?;
    }
    if next_seq != state.next_seq {
        tx.prepare_cached("UPDATE meta SET value = ?1 WHERE key = 'next_seq'")?
            .execute([int(next_seq)])?;
    }
    Ok(next_seq)
}
