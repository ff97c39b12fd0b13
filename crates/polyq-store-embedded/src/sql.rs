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
/// Marks the message writes of a batch that a later change of the same message in the same
/// batch makes pointless: a lease or put followed by another lease, put or removal. Under load
/// most messages are sent, leased and deleted within a few commits, so this saves most of the
/// row writes. Removals are always kept (the row may exist from an earlier batch), and nothing
/// is reordered.
fn superseded(changes: &[Change]) -> Vec<bool> {
    use std::collections::HashSet;
    // Seqs with a later put or removal (which replace or delete the whole row), and seqs with
    // a later lease (which only supersedes earlier leases: it updates the row a put wrote).
    let mut row_later: HashSet<u64> = HashSet::new();
    let mut lease_later: HashSet<u64> = HashSet::new();
    let mut out = vec![false; changes.len()];
    for (i, change) in changes.iter().enumerate().rev() {
        match change {
            Change::MessageRemove { seq } => {
                row_later.insert(*seq);
            }
            Change::MessageLease { seq, .. } => {
                out[i] = row_later.contains(seq) || !lease_later.insert(*seq);
            }
            Change::MessagePut { message, .. } => out[i] = !row_later.insert(message.seq),
            // A queue delete or purge removes rows by queue, not by seq: writes before it stay
            // as they are (it deletes them anyway) and nothing after it is affected.
            Change::QueuePut { .. }
            | Change::QueueDelete { .. }
            | Change::QueuePurge { .. }
            | Change::Dedup { .. } => {}
        }
    }
    out
}

pub(crate) fn apply(
    tx: &Connection,
    state: &mut SqlState,
    changes: &[Change],
) -> rusqlite::Result<u64> {
    let mut next_seq = state.next_seq;
    let mut dedup_now = None;
    let superseded = superseded(changes);
    for (change, skip) in changes.iter().zip(superseded) {
        if skip {
            // Still counts for the id sequence: ids must never be reused.
            if let Change::MessagePut { message, .. } = change {
                next_seq = next_seq.max(message.seq + 1);
            }
            continue;
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use polyq_core::{Message, MessageState};

    fn put(seq: u64) -> Change {
        Change::MessagePut {
            queue: "q".into(),
            message: Message {
                id: String::new(),
                seq,
                body: Default::default(),
                attributes: Default::default(),
                system_attributes: Default::default(),
                priority: 8,
                enqueued_ms: 0,
                visible_ms: 0,
                expires_ms: None,
                receive_count: 0,
                first_receive_ms: None,
                lease: 0,
                state: MessageState::Ready,
                group_id: None,
                dedup_id: None,
                sequence_number: None,
                sender_id: None,
                dead_letter_source: None,
            },
        }
    }

    fn lease(seq: u64) -> Change {
        Change::MessageLease {
            seq,
            lease: 1,
            receive_count: 1,
            first_receive_ms: None,
            visible_ms: 0,
            state: MessageState::InFlight,
        }
    }

    fn remove(seq: u64) -> Change {
        Change::MessageRemove { seq }
    }

    #[test]
    fn later_writes_of_the_same_message_supersede_earlier_ones() {
        // Sent, leased twice, deleted in one batch: only the removal is written.
        assert_eq!(
            superseded(&[put(1), lease(1), lease(1), remove(1)]),
            [true, true, true, false]
        );
        // A lease never supersedes the put that wrote the row it updates.
        assert_eq!(
            superseded(&[put(2), lease(2), lease(2)]),
            [false, true, false]
        );
        // A move (removal then put elsewhere) keeps both; another message is untouched.
        assert_eq!(
            superseded(&[lease(3), remove(3), put(3), lease(4)]),
            [true, false, false, false]
        );
        let purge = Change::QueuePurge { name: "q".into() };
        assert_eq!(
            superseded(&[put(5), purge, lease(5)]),
            [false, false, false]
        );
    }
}
