//! Dropping the writes of a batch that a later change in the same batch makes pointless.

use polyq_core::memory::Change;

/// Marks the message writes of a batch that a later change of the same message in the same
/// batch makes pointless: a lease or put followed by another lease, put or removal. Under load
/// most messages are sent, leased and deleted within a few commits, so this saves most of the
/// record writes. Removals are always kept (the message may be in an earlier batch), and nothing
/// is reordered.
pub(crate) fn superseded(changes: &[Change]) -> Vec<bool> {
    type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
    // Seqs with a later put or removal (which replace or delete the whole message), and seqs
    // with a later lease (which only supersedes earlier leases: it updates what a put wrote).
    let mut row_later: HashSet<u64> = HashSet::default();
    let mut lease_later: HashSet<u64> = HashSet::default();
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
            // A queue delete or purge removes messages by queue, not by seq: writes before it stay
            // as they are (it deletes them anyway) and nothing after it is affected.
            Change::QueuePut { .. }
            | Change::QueueDelete { .. }
            | Change::QueuePurge { .. }
            | Change::Dedup { .. } => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use polyq_core::{Message, MessageState};

    fn put(seq: u64) -> Change {
        Change::MessagePut {
            queue: "q".into(),
            message: Message {
                seq,
                priority: 8,
                ..Default::default()
            },
        }
    }

    fn lease(seq: u64) -> Change {
        Change::MessageLease {
            seq,
            lease: 1,
            receive_count: 1,
            first_receive_ms: None,
            last_receive_ms: None,
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
        // A lease never supersedes the put it updates.
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
