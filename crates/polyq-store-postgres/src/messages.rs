//! Operations on messages already in a queue: look-up by id, delete and visibility change by
//! receipt, and moves between queues (redrive).
//!
//! A receipt is (seq, lease generation): the statements match both in their WHERE clause, so
//! a receipt of an earlier lease changes nothing even when it races with a new lease on
//! another node (the database re-checks the row once the other transaction commits).

use std::sync::LazyLock;

use deadpool_postgres::GenericClient;
use polyq_core::ids::{message_id, seq_from_message_id};
use polyq_core::*;

use crate::error::db;
use crate::queues::{lookup, QueueRow};
use crate::rows::{self, i, LIVE, MSG_COLS};
use crate::Inner;

/// One statement for a whole batch: the DELETE and the classification of the entries it did
/// not delete read the same snapshot (data-modifying CTE). `$5`: only while the message is
/// hidden (leased, or delayed since the send that handed out the receipt).
/// Per entry: deleted, the message exists, it exists under the receipt's lease.
static DELETE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH r AS (SELECT s, l, o FROM unnest($3::BIGINT[], $4::BIGINT[]) WITH ORDINALITY \
         AS t(s, l, o)), \
         del AS (DELETE FROM polyq_messages m USING r WHERE m.queue_id = $1 AND m.seq = r.s \
         AND m.lease = r.l AND {LIVE} AND (NOT $5 OR m.visible_ms > $2) \
         RETURNING m.seq) \
         SELECT EXISTS (SELECT 1 FROM del WHERE del.seq = r.s), \
         EXISTS (SELECT 1 FROM polyq_messages m WHERE m.seq = r.s AND m.queue_id = $1 AND {LIVE}), \
         EXISTS (SELECT 1 FROM polyq_messages m WHERE m.seq = r.s AND m.queue_id = $1 \
           AND m.lease = r.l AND {LIVE}) \
         FROM r ORDER BY r.o"
    )
});

/// SQL that is true when hiding the message for `vis_ms` from `now` would pass `cap` seconds
/// after its latest receive, counting whole seconds elapsed since it (as SQS does); false
/// without a cap (the comparison is then NULL, read as false) or without a receive (tested
/// first: GREATEST skips NULLs, so it would count a missing receive as one just now).
fn beyond_cap(now: &str, vis_ms: &str, cap: &str) -> String {
    format!(
        "COALESCE(m.last_receive_ms IS NOT NULL AND \
         GREATEST({now} - m.last_receive_ms, 0) / 1000 + {vis_ms} / 1000 > {cap}, FALSE)"
    )
}

/// `$1` queue, `$2` now, `$3` seq, `$4` the receipt's lease, `$5` visibility ms, `$6` 1 to renew
/// the receipt, `$7` only while hidden (leased or delayed), `$8` new body (nullable), `$9` accept an older
/// receipt, `$10` cap on the total visibility in seconds (nullable).
static RELET: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE polyq_messages m SET visible_ms = $2 + $5, in_flight = $5 > 0, \
         lease = m.lease + $6, body = COALESCE($8, m.body) WHERE m.queue_id = $1 AND m.seq = $3 \
         AND (m.lease = $4 OR ($9 AND m.lease > $4)) AND {LIVE} \
         AND (NOT $7 OR m.visible_ms > $2) AND NOT {cap} \
         RETURNING m.lease, m.visible_ms",
        cap = beyond_cap("$2", "$5::BIGINT", "$10::BIGINT")
    )
});

/// Why RELET changed nothing: the message's lease, whether it is hidden, whether the change
/// passes the cap. `$4` visibility ms, `$5` cap in seconds (nullable).
static RELET_WHY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT m.lease, m.visible_ms > $2, {cap} \
         FROM polyq_messages m WHERE m.queue_id = $1 AND m.seq = $3 AND {LIVE}",
        cap = beyond_cap("$2", "$4::BIGINT", "$5::BIGINT")
    )
});

/// A moved message is a new message, as on SQS: a new seq (so a new id, and the back of its
/// new queue), sent now, a fresh retention period of its new queue, never received. `picked`
/// is the rest of the query (from `FROM`) that selects and locks the rows `m` to move.
fn move_sql(picked: &str) -> String {
    format!(
        "WITH picked AS (SELECT m.seq, COALESCE($3::TEXT, m.dead_letter_source) AS target, \
         nextval('polyq_message_seq') AS new_seq {picked}) \
         UPDATE polyq_messages m SET seq = p.new_seq, queue_id = t.id, enqueued_ms = $2, \
         visible_ms = $2, in_flight = FALSE, lease = 0, dead_letter_source = NULL, \
         receive_count = 0, first_receive_ms = NULL, last_receive_ms = NULL, \
         expires_ms = CASE WHEN m.expires_ms IS NULL THEN NULL \
           ELSE $2 + (t.config::jsonb->>'retention_seconds')::BIGINT * 1000 END, \
         sequence_number = CASE WHEN t.fifo THEN p.new_seq END \
         FROM picked p JOIN polyq_queues t ON t.name = p.target \
         WHERE m.seq = p.seq AND m.queue_id = $1 RETURNING t.id"
    )
}

/// Moves from a standard queue: visible messages in receive order, `$4` of them.
static MOVE: LazyLock<String> = LazyLock::new(|| {
    move_sql(&format!(
        "FROM polyq_messages m WHERE m.queue_id = $1 AND m.visible_ms <= $2 AND {LIVE} \
         ORDER BY m.priority, m.seq LIMIT $4 FOR UPDATE SKIP LOCKED"
    ))
});

/// Moves from a FIFO queue: the messages `$4` (chosen in receive order, group by group, as a
/// receive would take them), still visible, in that order.
static MOVE_CHOSEN: LazyLock<String> = LazyLock::new(|| {
    move_sql(&format!(
        "FROM unnest($4::BIGINT[]) WITH ORDINALITY AS c(seq, ord) \
         JOIN polyq_messages m ON m.seq = c.seq AND m.queue_id = $1 \
         WHERE m.visible_ms <= $2 AND {LIVE} ORDER BY c.ord FOR UPDATE OF m SKIP LOCKED"
    ))
});

impl Inner {
    pub(crate) async fn get_message(&self, queue: &str, id: &str, now: u64) -> CoreResult<Message> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {MSG_COLS} FROM polyq_messages m \
                 WHERE m.queue_id = $1 AND m.seq = $3 AND {LIVE}"
            )
        });
        let client = self.client().await?;
        let q = lookup(&client, queue, false).await?;
        let seq = seq_from_message_id(id).ok_or(CoreError::MessageNotFound)?;
        if message_id(self.prefix, seq) != id {
            return Err(CoreError::MessageNotFound);
        }
        let stmt = client.prepare_cached(&SQL).await.map_err(db)?;
        let row = client
            .query_opt(&stmt, &[&q.id, &i(now), &i(seq)])
            .await
            .map_err(db)?
            .ok_or(CoreError::MessageNotFound)?;
        rows::message(&row, self.prefix, now)
    }

    /// Deletes by receipt; with `leased_only`, only while the message is hidden under it.
    pub(crate) async fn delete(
        &self,
        queue: &str,
        receipts: &[Receipt],
        leased_only: bool,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<()>>> {
        let client = self.client().await?;
        let q = lookup(&client, queue, false).await?;
        if receipts.is_empty() {
            return Ok(Vec::new());
        }
        let seqs: Vec<i64> = receipts.iter().map(|r| i(r.seq)).collect();
        let leases: Vec<i64> = receipts.iter().map(|r| i(r.lease)).collect();
        let stmt = client.prepare_cached(&DELETE).await.map_err(db)?;
        let rows = client
            .query(&stmt, &[&q.id, &i(now), &seqs, &leases, &leased_only])
            .await
            .map_err(db)?;
        // The statement reports for each entry whether its message went, and how the message
        // stood before. Entries are answered as if taken one by one, in order, as the memory
        // engine does: the first entry whose receipt deleted the message succeeds, any later
        // entry for it finds it gone, an earlier one with another receipt is stale.
        let mut gone = std::collections::HashSet::new();
        let mut out: Vec<CoreResult<()>> = receipts
            .iter()
            .zip(&rows)
            .map(|(receipt, r)| {
                let (deleted, exists, same_lease): (bool, bool, bool) =
                    (r.get(0), r.get(1), r.get(2));
                if gone.contains(&receipt.seq) {
                    return Err(CoreError::MessageNotFound);
                }
                match (deleted && same_lease, exists, same_lease) {
                    (true, _, _) => {
                        gone.insert(receipt.seq);
                        Ok(())
                    }
                    (false, true, true) => Err(CoreError::MessageNotInFlight),
                    (false, true, false) => Err(CoreError::ReceiptStale),
                    (false, false, _) => Err(CoreError::MessageNotFound),
                }
            })
            .collect();
        // "Still under this receipt, yet not deleted" has a second cause besides a lease that
        // ran out: another node leased the message again while this DELETE waited for its
        // row. The DELETE then re-checked the new row, while the classification read the
        // statement's older snapshot. A fresh read tells the two apart.
        let doubtful: Vec<usize> = (0..out.len())
            .filter(|&k| matches!(out[k], Err(CoreError::MessageNotInFlight)))
            .collect();
        if !doubtful.is_empty() {
            let seqs: Vec<i64> = doubtful.iter().map(|&k| i(receipts[k].seq)).collect();
            let now_rows = client
                .query(
                    &format!(
                        "SELECT m.seq, m.lease FROM polyq_messages m \
                         WHERE m.queue_id = $1 AND m.seq = ANY($3) AND {LIVE}"
                    ),
                    &[&q.id, &i(now), &seqs],
                )
                .await
                .map_err(db)?;
            let lease_now: std::collections::HashMap<i64, i64> =
                now_rows.iter().map(|r| (r.get(0), r.get(1))).collect();
            for k in doubtful {
                out[k] = match lease_now.get(&i(receipts[k].seq)) {
                    None => Err(CoreError::MessageNotFound),
                    Some(&l) if l != i(receipts[k].lease) => Err(CoreError::ReceiptStale),
                    Some(_) => Err(CoreError::MessageNotInFlight),
                };
            }
        }
        // A FIFO delete may free a message group: long polls of other nodes would otherwise
        // see its next message only at their deadline (up to 20 s; this node's are woken by
        // the service). The delete is done: a failed notification costs them only that.
        if q.fifo() && out.iter().any(Result::is_ok) {
            if let Err(e) = self.notify(&client, &q.name).await {
                tracing::warn!(queue = %q.name, error = %e, "postgres: FIFO delete not notified");
            }
        }
        Ok(out)
    }

    pub(crate) async fn change_visibility(
        &self,
        queue: &str,
        changes: &[VisibilityChange],
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Relet>>> {
        self.relet(queue, changes, None, now).await
    }

    /// Visibility changes; with `body`, each changed message also gets that body, in the same
    /// statement.
    pub(crate) async fn relet(
        &self,
        queue: &str,
        changes: &[VisibilityChange],
        body: Option<&[u8]>,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Relet>>> {
        let mut client = self.client().await?;
        let q = lookup(&client, queue, false).await?;
        let (out, released, earliest) = if q.fifo() {
            // A FIFO lease picks each group's visible messages and then takes them by seq,
            // under the queue's lock: a change committed in between (a holder extending its
            // lease) would be overwritten and the message handed to a second consumer inside
            // its new timeout, or a group's head passed by. Under the same lock, a change
            // comes wholly before or after a lease.
            let tx = client.transaction().await.map_err(db)?;
            lookup(&tx, queue, true).await?;
            let done = self.relet_each(&tx, &q, changes, body, now).await?;
            tx.commit().await.map_err(db)?;
            done
        } else {
            self.relet_each(&client, &q, changes, body, now).await?
        };
        if released {
            self.notify(&client, &q.name).await?;
        } else if let Some(at) = earliest {
            // Receivers whose plan is earlier than `at` are not woken (a longer timeout, a
            // heartbeat, wakes nobody).
            // The change is made: a notification that fails costs other nodes' polls only
            // their early look, not the client its answer.
            let payload = crate::listen::payload(&q.name, Some(at));
            if let Err(e) = self.notify(&client, &payload).await {
                tracing::warn!(queue = %q.name, error = %e, "postgres: visibility change not notified");
            }
        }
        Ok(out)
    }

    /// [`Inner::relet`]'s changes, one by one: the answers, whether any released its message,
    /// and the earliest time a changed message still hidden becomes visible.
    async fn relet_each<C: GenericClient>(
        &self,
        client: &C,
        q: &QueueRow,
        changes: &[VisibilityChange],
        body: Option<&[u8]>,
        now: u64,
    ) -> CoreResult<(Vec<CoreResult<Relet>>, bool, Option<u64>)> {
        let relet = client.prepare_cached(&RELET).await.map_err(db)?;
        let why = client.prepare_cached(&RELET_WHY).await.map_err(db)?;
        let mut out = Vec::with_capacity(changes.len());
        let mut released = false;
        // The earliest of the changed messages still hidden: a shortened timeout must reach
        // the long polls of other nodes, which planned by the old one.
        let mut earliest: Option<u64> = None;
        for c in changes {
            let vis = i64::from(c.visibility_seconds) * 1000;
            let renew = i64::from(c.renew_receipt);
            let (seq, lease) = (i(c.receipt.seq), i(c.receipt.lease));
            let cap = c.max_total_seconds.map(i64::from);
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 10] = [
                &q.id,
                &i(now),
                &seq,
                &lease,
                &vis,
                &renew,
                &c.require_hidden,
                &body,
                &c.accept_older_receipt,
                &cap,
            ];
            if let Some(row) = client.query_opt(&relet, &params).await.map_err(db)? {
                released |= vis == 0;
                if vis > 0 {
                    let at = rows::u(row.get(1));
                    earliest = Some(earliest.map_or(at, |e| e.min(at)));
                }
                out.push(Ok(Relet {
                    receipt: Receipt {
                        seq: c.receipt.seq,
                        lease: rows::u(row.get(0)),
                    },
                    visible_ms: rows::u(row.get(1)),
                }));
                continue;
            }
            let current = client
                .query_opt(&why, &[&q.id, &i(now), &seq, &vis, &cap])
                .await
                .map_err(db)?;
            out.push(Err(match current {
                None => CoreError::MessageNotFound,
                Some(r) => refusal(&r, c),
            }));
        }
        Ok((out, released, earliest))
    }

    pub(crate) async fn move_messages(
        &self,
        from: &str,
        to: Option<&str>,
        max: usize,
        now: u64,
    ) -> CoreResult<u64> {
        let mut client = self.client().await?;
        let source = lookup(&client, from, false).await?;
        if let Some(to) = to {
            lookup(&client, to, false).await?;
        }
        let rows = if source.fifo() {
            // As a receive would take them: never a message while an earlier one of its group
            // stays behind. Under the queue lock FIFO leases take, so that no lease takes an
            // earlier message of a group between the choice and the move.
            let tx = client.transaction().await.map_err(db)?;
            let locked = lookup(&tx, from, true).await?;
            let chosen = self.fifo_visible(&tx, &locked, max, now).await?;
            let stmt = tx.prepare_cached(&MOVE_CHOSEN).await.map_err(db)?;
            let rows = tx
                .query(&stmt, &[&source.id, &i(now), &to, &chosen])
                .await
                .map_err(db)?;
            tx.commit().await.map_err(db)?;
            rows
        } else {
            let stmt = client.prepare_cached(&MOVE).await.map_err(db)?;
            let max = i64::try_from(max).unwrap_or(i64::MAX);
            client
                .query(&stmt, &[&source.id, &i(now), &to, &max])
                .await
                .map_err(db)?
        };
        let mut targets: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        let moved = targets.len() as u64;
        targets.sort_unstable();
        targets.dedup();
        for t in targets {
            self.notify_queue_id(&client, t).await?;
        }
        Ok(moved)
    }
}

/// The error for a change RELET refused, from its RELET_WHY row, checked in the memory
/// engine's order: receipt, hidden, cap.
fn refusal(why: &tokio_postgres::Row, c: &VisibilityChange) -> CoreError {
    let (current, hidden, over_cap): (i64, bool, bool) = (why.get(0), why.get(1), why.get(2));
    if !lease_matches(current, i(c.receipt.lease), c.accept_older_receipt) {
        return CoreError::ReceiptStale;
    }
    match c.max_total_seconds {
        Some(cap) if over_cap && (hidden || !c.require_hidden) => {
            CoreError::VisibilityBeyondLimit(cap)
        }
        // Also what a change that would now succeed gets (the row changed between the two
        // statements): the message was not hidden under this receipt when it was tried.
        _ => CoreError::MessageNotInFlight,
    }
}

/// Whether a receipt of lease `given` may act on a message now at lease `current`.
fn lease_matches(current: i64, given: i64, accept_older: bool) -> bool {
    current == given || (accept_older && current > given)
}
