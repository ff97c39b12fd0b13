//! Receiving: leases, dead-letter moves on receive, FIFO group selection, receive-attempt
//! replay, and peeking (which selects exactly like a lease without taking anything).
//!
//! Standard queues lease in one statement: a `FOR UPDATE SKIP LOCKED` pick in receive order
//! (priority, seq) feeding an `UPDATE … RETURNING` that bumps the lease generation, so two
//! nodes never pick the same row and a row changed since the pick is re-checked by the
//! database before it is taken. A picked message over the redrive limit is moved to the
//! dead-letter queue by the same UPDATE instead of being leased.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use deadpool_postgres::GenericClient;
use polyq_core::*;
use tokio_postgres::Row;

use crate::error::db;
use crate::queues::{lookup, QueueRow};
use crate::rows::{self, i, LIVE, MSG_COLS, MSG_COL_COUNT};
use crate::Inner;

/// The shared UPDATE: `picked(seq, dead)` rows are leased, or (dead) moved to `$5` visible
/// now. Parameters: $1 queue, $2 now, $3 visibility ms, $4 receive limit, $5 dead-letter
/// queue, $6 source name, $7.. the pick's own. A dead-lettered FIFO message's deduplication id
/// becomes its message id, as on SQS: stored as `''`, which `rows` reads as the id (a client's
/// dedup id is never empty).
fn update_picked(picked_cte: &str) -> String {
    format!(
        "WITH picked AS ({picked_cte}) UPDATE polyq_messages m SET \
         queue_id = CASE WHEN p.dead THEN $5 ELSE m.queue_id END, \
         lease = m.lease + 1, \
         receive_count = CASE WHEN p.dead THEN m.receive_count ELSE m.receive_count + 1 END, \
         first_receive_ms = CASE WHEN p.dead THEN m.first_receive_ms ELSE COALESCE(m.first_receive_ms, $2) END, \
         last_receive_ms = CASE WHEN p.dead THEN m.last_receive_ms ELSE $2 END, \
         visible_ms = CASE WHEN p.dead THEN $2 ELSE $2 + $3 END, \
         in_flight = NOT p.dead, \
         dead_letter_source = CASE WHEN p.dead THEN $6 ELSE m.dead_letter_source END, \
         dedup_id = CASE WHEN p.dead AND m.dedup_id IS NOT NULL THEN '' ELSE m.dedup_id END \
         FROM picked p WHERE m.seq = p.seq AND m.queue_id = $1 RETURNING {MSG_COLS}, p.dead"
    )
}

static LEASE_STANDARD: LazyLock<String> = LazyLock::new(|| {
    update_picked(&format!(
        "SELECT m.seq, m.receive_count >= $4 AS dead FROM polyq_messages m \
         WHERE m.queue_id = $1 AND m.visible_ms <= $2 AND {LIVE} AND m.seq <> ALL($8) \
         ORDER BY m.priority, m.seq LIMIT $7 FOR UPDATE SKIP LOCKED"
    ))
});

static LEASE_CHOSEN: LazyLock<String> = LazyLock::new(|| {
    update_picked(
        "SELECT s AS seq, d AS dead FROM unnest($7::BIGINT[], $8::BOOL[]) AS t(s, d) \
         WHERE $4::INT IS NOT NULL",
    )
});

/// FIFO candidates: for each group whose head (oldest live message) is visible, its first
/// `$3` live messages in order. Groups take turns by when their head became visible, then
/// by its seq (the memory engine's `GroupTurn`, as SQS orders groups). The caller keeps each
/// group's visible prefix.
static FIFO_CANDIDATES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT seq, group_id, visible_ms, receive_count FROM ( \
           SELECT m.seq, m.group_id, m.visible_ms, m.receive_count, \
             row_number() OVER g AS rn, \
             first_value(m.seq) OVER g AS head, \
             first_value(m.visible_ms) OVER g AS head_visible_ms \
           FROM polyq_messages m WHERE m.queue_id = $1 AND {LIVE} \
           WINDOW g AS (PARTITION BY m.group_id ORDER BY m.seq)) x \
         WHERE head_visible_ms <= $2 AND rn <= $3 ORDER BY head_visible_ms, head, seq"
    )
});

/// Earliest time a hidden message of the queue becomes visible, looking at the first 1000
/// messages in receive order (the leased and delayed messages that surface soonest are
/// almost always there); `$3` reports whether the look was cut short.
static NEXT_VISIBLE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT min(visible_ms) FILTER (WHERE visible_ms > $2), count(*) FROM ( \
         SELECT m.visible_ms FROM polyq_messages m WHERE m.queue_id = $1 AND {LIVE} \
         ORDER BY m.priority, m.seq LIMIT 1000) x"
    )
});

/// FIFO selection as `(leased, dead)` seqs from candidate rows, leaving out the groups in
/// `skip`.
fn choose_fifo(
    rows: &[Row],
    max: usize,
    dead_after: Option<i32>,
    now: i64,
    skip: &HashSet<Option<String>>,
) -> (Vec<i64>, Vec<i64>) {
    let mut chosen = Vec::new();
    let mut dead = Vec::new();
    // Per group: still taking its visible prefix?
    let mut open: HashMap<Option<String>, bool> = skip.iter().map(|g| (g.clone(), false)).collect();
    for r in rows {
        if chosen.len() >= max {
            break;
        }
        let group: Option<String> = r.get(1);
        let taking = open.entry(group).or_insert(true);
        if !*taking {
            continue;
        }
        if r.get::<_, i64>(2) > now {
            *taking = false;
            continue;
        }
        if dead_after.is_some_and(|max| r.get::<_, i32>(3) >= max) {
            dead.push(r.get(0));
            // Stop here: the caller picks again once this message has left, so that its group's
            // next message takes its turn among the groups as the memory engine gives it
            // (by when each group's head became visible).
            break;
        }
        chosen.push(r.get(0));
    }
    (chosen, dead)
}

impl Inner {
    pub(crate) async fn lease(
        &self,
        queue: &str,
        req: LeaseRequest,
        now: u64,
    ) -> CoreResult<LeaseOutcome> {
        let mut client = self.client().await?;
        let probe = lookup(&client, queue, false).await?;
        let vis = i64::from(
            req.visibility_seconds
                .unwrap_or(probe.config.visibility_timeout),
        ) * 1000;
        // Dead-letter moves notify every node's receivers (`pg_notify`), this one's too.
        let replayed = |messages| LeaseOutcome {
            messages,
            next_visible_ms: None,
            queue_wait_seconds: probe.config.receive_wait_seconds,
            moved_into: None,
        };
        // A FIFO queue's attempt is replayed under the queue lock, in the first pick's
        // transaction below; other queues' here (SQS gives attempt ids to FIFO queues only).
        if let Some(id) = req.attempt_id.as_ref().filter(|_| !probe.fifo()) {
            let tx = client.transaction().await.map_err(db)?;
            let replay = self.replay_attempt(&tx, &probe, id, vis, now).await?;
            tx.commit().await.map_err(db)?;
            if let Some(messages) = replay {
                return Ok(replayed(messages));
            }
        }
        let mut messages: Vec<Message> = Vec::new();
        let mut moved = false;
        // Still cut short by dead letters when the picks ran out (many dead letters ahead).
        let mut cut_short = true;
        // What this receive took already: a visibility timeout of 0 leaves it visible, and a
        // later pick must not hand it out twice (nor, on FIFO, pass it in its group).
        // Dead letters picked instead of messages leave room: pick again (bounded; a FIFO
        // pick stops at its first dead letter).
        for pass in 0..16 {
            let want = req.max_messages.saturating_sub(messages.len());
            if want == 0 {
                cut_short = false;
                break;
            }
            let (got, dead) = if probe.fifo() {
                let taken: HashSet<Option<String>> =
                    messages.iter().map(|m| m.group_id.clone()).collect();
                let tx = client.transaction().await.map_err(db)?;
                let q = lookup(&tx, queue, true).await?;
                if let Some(id) = req.attempt_id.as_ref().filter(|_| pass == 0) {
                    // Under the queue lock, so that a first use of this attempt on another
                    // connection (a client's retry while its first request still waited) that
                    // leased while this one waited for the lock is replayed, not passed by.
                    if let Some(messages) = self.replay_attempt(&tx, &q, id, vis, now).await? {
                        tx.commit().await.map_err(db)?;
                        return Ok(replayed(messages));
                    }
                }
                let out = self.lease_fifo(&tx, &q, want, vis, now, &taken).await?;
                // Recorded before the lock is released, for the same reason.
                if let Some(id) = req.attempt_id.as_ref().filter(|_| !out.0.is_empty()) {
                    let so_far: Vec<&Message> = messages.iter().chain(&out.0).collect();
                    self.record_attempt(&tx, &q, id, &so_far, now).await?;
                }
                tx.commit().await.map_err(db)?;
                out
            } else {
                let taken: Vec<i64> = messages.iter().map(|m| i(m.seq)).collect();
                self.lease_standard(&client, &probe, want, vis, now, &taken)
                    .await?
            };
            moved |= dead > 0;
            let done = dead == 0 || got.len() == want;
            messages.extend(got);
            if done {
                cut_short = false;
                break;
            }
        }
        if moved {
            if let Some((dlq, _)) = probe.dead_letter {
                self.notify_queue_id(&client, dlq).await?;
            }
        }
        // An attempt that got nothing is not kept (as in the memory engine): a long poll asks
        // again and again under it, and an earlier attempt with messages stays replayable.
        let standard = !probe.fifo();
        if let Some(id) = req
            .attempt_id
            .as_ref()
            .filter(|_| standard && !messages.is_empty())
        {
            let all: Vec<&Message> = messages.iter().collect();
            self.record_attempt(&client, &probe, id, &all, now).await?;
        }
        // Only a lease that came back short needs to know when to look again; one stopped by
        // the bound on picks with dead letters still ahead looks again at once (a long poll
        // would otherwise sleep its whole wait with messages behind them).
        let next_visible_ms = if cut_short && messages.len() < req.max_messages {
            Some(now)
        } else if messages.len() < req.max_messages {
            self.next_visible(&client, &probe, now).await?
        } else {
            None
        };
        Ok(LeaseOutcome {
            messages,
            next_visible_ms,
            queue_wait_seconds: probe.config.receive_wait_seconds,
            moved_into: None,
        })
    }

    fn dead_params(&self, q: &QueueRow) -> (Option<i32>, Option<i64>) {
        match q.dead_letter {
            Some((dlq, max)) => (Some(max), Some(dlq)),
            None => (None, None),
        }
    }

    /// Returns leased messages in receive order and the number moved to the dead-letter queue.
    async fn lease_standard<C: GenericClient>(
        &self,
        client: &C,
        q: &QueueRow,
        want: usize,
        vis: i64,
        now: u64,
        taken: &[i64],
    ) -> CoreResult<(Vec<Message>, usize)> {
        let (max, dlq) = self.dead_params(q);
        // Without a dead-letter queue nothing is ever "dead": compare with the largest INT.
        let limit = max.unwrap_or(i32::MAX);
        let stmt = client.prepare_cached(&LEASE_STANDARD).await.map_err(db)?;
        let rows = client
            .query(
                &stmt,
                &[
                    &q.id,
                    &i(now),
                    &vis,
                    &limit,
                    &dlq,
                    &q.name,
                    &(want as i64),
                    &taken,
                ],
            )
            .await
            .map_err(db)?;
        self.split_leased(rows, now)
    }

    async fn lease_fifo<C: GenericClient>(
        &self,
        tx: &C,
        q: &QueueRow,
        want: usize,
        vis: i64,
        now: u64,
        taken: &HashSet<Option<String>>,
    ) -> CoreResult<(Vec<Message>, usize)> {
        let stmt = tx.prepare_cached(&FIFO_CANDIDATES).await.map_err(db)?;
        let rows = tx
            .query(&stmt, &[&q.id, &i(now), &(want as i64)])
            .await
            .map_err(db)?;
        let (max, dlq) = self.dead_params(q);
        let (chosen, dead) = choose_fifo(&rows, want, max, i(now), taken);
        if chosen.is_empty() && dead.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let flags: Vec<bool> = chosen
            .iter()
            .map(|_| false)
            .chain(dead.iter().map(|_| true))
            .collect();
        let seqs: Vec<i64> = chosen.into_iter().chain(dead).collect();
        let stmt = tx.prepare_cached(&LEASE_CHOSEN).await.map_err(db)?;
        let rows = tx
            .query(
                &stmt,
                &[
                    &q.id,
                    &i(now),
                    &vis,
                    &max.unwrap_or(0),
                    &dlq,
                    &q.name,
                    &seqs,
                    &flags,
                ],
            )
            .await
            .map_err(db)?;
        let (mut msgs, dead) = self.split_leased(rows, now)?;
        // FIFO receive order: as chosen (group by group), not by priority.
        let pos: HashMap<i64, usize> = seqs.iter().enumerate().map(|(p, s)| (*s, p)).collect();
        msgs.sort_by_key(|m| pos.get(&i(m.seq)).copied().unwrap_or(usize::MAX));
        Ok((msgs, dead))
    }

    fn split_leased(&self, rows: Vec<Row>, now: u64) -> CoreResult<(Vec<Message>, usize)> {
        let mut msgs = Vec::with_capacity(rows.len());
        let mut dead = 0;
        for r in &rows {
            if r.get::<_, bool>(MSG_COL_COUNT) {
                dead += 1;
            } else {
                msgs.push(rows::message(r, self.prefix, now)?);
            }
        }
        msgs.sort_by_key(|m| (m.priority, m.seq));
        Ok((msgs, dead))
    }

    async fn next_visible<C: GenericClient>(
        &self,
        client: &C,
        q: &QueueRow,
        now: u64,
    ) -> CoreResult<Option<u64>> {
        let stmt = client.prepare_cached(&NEXT_VISIBLE).await.map_err(db)?;
        let row = client
            .query_one(&stmt, &[&q.id, &i(now)])
            .await
            .map_err(db)?;
        let next = row.get::<_, Option<i64>>(0).map(rows::u);
        let truncated = row.get::<_, i64>(1) >= 1000;
        // A cut-short look may have missed an earlier timer: look again within a second.
        Ok(match (next, truncated) {
            (n, true) => Some(n.unwrap_or(u64::MAX).min(now + 1000)),
            (n, false) => n,
        })
    }

    pub(crate) async fn notify_queue_id<C: GenericClient>(&self, c: &C, id: i64) -> CoreResult<()> {
        if let Some(channel) = &self.channel {
            c.execute(
                "SELECT pg_notify($1, name) FROM polyq_queues WHERE id = $2",
                &[channel, &id],
            )
            .await
            .map_err(db)?;
        }
        Ok(())
    }

    /// A retry of an earlier lease with this attempt id (SQS `ReceiveRequestAttemptId`): the
    /// same messages and receipts, their visibility timeout started anew (`vis` ms from `now`),
    /// if every one still holds that lease, hidden, with its visibility unchanged since; as AWS's
    /// reference describes. `None`: lease afresh. Runs in the caller's transaction, which
    /// holds a FIFO queue's lock already.
    async fn replay_attempt(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        q: &QueueRow,
        attempt: &str,
        vis: i64,
        now: u64,
    ) -> CoreResult<Option<Vec<Message>>> {
        // The rows are locked until the new visibility is written, so that a delete or a
        // visibility change racing with the retry either comes first (no replay) or after;
        // in seq order, as other statements that lock several messages mostly meet them.
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {MSG_COLS}, a.ord FROM polyq_attempts t \
                 CROSS JOIN LATERAL unnest(t.seqs, t.leases, t.visibles) WITH ORDINALITY AS a(seq, lease, vis, ord) \
                 JOIN polyq_messages m ON m.seq = a.seq AND m.lease = a.lease AND m.queue_id = t.queue_id \
                 WHERE t.queue_id = $1 AND t.attempt_id = $3 AND t.expires_ms > $2 AND {LIVE} \
                 AND m.in_flight AND m.visible_ms > $2 AND (a.vis IS NULL OR m.visible_ms = a.vis) \
                 ORDER BY m.seq FOR UPDATE OF m"
            )
        });
        // (The FIFO queue lock the caller holds: a lease that read these rows before this
        // retry re-times them must not take them after it, as it updates by seq alone.)
        // Locked too: a second retry of the same attempt waits for this one and then sees its
        // new visibility times, so it replays as well instead of receiving afresh.
        let row = tx
            .query_opt(
                "SELECT cardinality(seqs) FROM polyq_attempts \
                 WHERE queue_id = $1 AND attempt_id = $2 AND expires_ms > $3 FOR UPDATE",
                &[&q.id, &attempt, &i(now)],
            )
            .await
            .map_err(db)?;
        // An attempt that leased nothing is not replayed: the retry may find messages now.
        let Some(n) = row.map(|r| r.get::<_, Option<i32>>(0).unwrap_or(0)) else {
            return Ok(None);
        };
        if n == 0 {
            return Ok(None);
        }
        let stmt = tx.prepare_cached(&SQL).await.map_err(db)?;
        let rows = tx
            .query(&stmt, &[&q.id, &i(now), &attempt])
            .await
            .map_err(db)?;
        if rows.len() != n as usize {
            return Ok(None);
        }
        // Back in the attempt's order.
        let mut ordered: Vec<(i64, &Row)> = rows
            .iter()
            .map(|r| (r.get::<_, i64>(MSG_COL_COUNT), r))
            .collect();
        ordered.sort_unstable_by_key(|(ord, _)| *ord);
        let mut messages = ordered
            .into_iter()
            .map(|(_, r)| rows::message(r, self.prefix, now))
            .collect::<CoreResult<Vec<_>>>()?;
        let visible_ms = i(now) + vis;
        let seqs: Vec<i64> = messages.iter().map(|m| i(m.seq)).collect();
        tx.execute(
            "UPDATE polyq_messages SET visible_ms = $3 WHERE queue_id = $1 AND seq = ANY($2)",
            &[&q.id, &seqs, &visible_ms],
        )
        .await
        .map_err(db)?;
        tx.execute(
            "UPDATE polyq_attempts SET visibles = array_fill($3::BIGINT, ARRAY[cardinality(seqs)]) \
             WHERE queue_id = $1 AND attempt_id = $2",
            &[&q.id, &attempt, &visible_ms],
        )
        .await
        .map_err(db)?;
        for m in &mut messages {
            m.visible_ms = visible_ms as u64;
        }
        Ok(Some(messages))
    }

    async fn record_attempt<C: GenericClient>(
        &self,
        client: &C,
        q: &QueueRow,
        attempt: &str,
        msgs: &[&Message],
        now: u64,
    ) -> CoreResult<()> {
        let seqs: Vec<i64> = msgs.iter().map(|m| i(m.seq)).collect();
        let leases: Vec<i64> = msgs.iter().map(|m| i(m.lease)).collect();
        let visibles: Vec<i64> = msgs.iter().map(|m| i(m.visible_ms)).collect();
        client
            .execute(
                "INSERT INTO polyq_attempts (queue_id, attempt_id, seqs, leases, visibles, expires_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (queue_id, attempt_id) DO UPDATE \
                 SET seqs = EXCLUDED.seqs, leases = EXCLUDED.leases, visibles = EXCLUDED.visibles, \
                 expires_ms = EXCLUDED.expires_ms",
                &[&q.id, &attempt, &seqs, &leases, &visibles, &i(now + DEDUP_WINDOW_MS)],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    /// The seqs of up to `max` visible messages of a FIFO queue, in the order a receive would
    /// take them (group by group, each group's visible prefix).
    pub(crate) async fn fifo_visible<C: GenericClient>(
        &self,
        client: &C,
        q: &QueueRow,
        max: usize,
        now: u64,
    ) -> CoreResult<Vec<i64>> {
        let max64 = i64::try_from(max).unwrap_or(i64::MAX);
        let stmt = client.prepare_cached(&FIFO_CANDIDATES).await.map_err(db)?;
        let rows = client
            .query(&stmt, &[&q.id, &i(now), &max64])
            .await
            .map_err(db)?;
        Ok(choose_fifo(&rows, max, None, i(now), &HashSet::new()).0)
    }

    pub(crate) async fn peek(&self, queue: &str, max: usize, now: u64) -> CoreResult<Vec<Message>> {
        static STANDARD: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {MSG_COLS} FROM polyq_messages m WHERE m.queue_id = $1 \
                 AND m.visible_ms <= $2 AND {LIVE} ORDER BY m.priority, m.seq LIMIT $3"
            )
        });
        static BY_SEQ: LazyLock<String> = LazyLock::new(|| {
            format!("SELECT {MSG_COLS} FROM polyq_messages m WHERE m.queue_id = $1 AND m.seq = ANY($3) AND {LIVE}")
        });
        let client = self.client().await?;
        let q = lookup(&client, queue, false).await?;
        let max64 = i64::try_from(max).unwrap_or(i64::MAX);
        if !q.fifo() {
            let stmt = client.prepare_cached(&STANDARD).await.map_err(db)?;
            let rows = client
                .query(&stmt, &[&q.id, &i(now), &max64])
                .await
                .map_err(db)?;
            return rows
                .iter()
                .map(|r| rows::message(r, self.prefix, now))
                .collect();
        }
        let chosen = self.fifo_visible(&client, &q, max, now).await?;
        let stmt = client.prepare_cached(&BY_SEQ).await.map_err(db)?;
        let rows = client
            .query(&stmt, &[&q.id, &i(now), &chosen])
            .await
            .map_err(db)?;
        let mut msgs = rows
            .iter()
            .map(|r| rows::message(r, self.prefix, now))
            .collect::<CoreResult<Vec<_>>>()?;
        let pos: HashMap<i64, usize> = chosen.iter().enumerate().map(|(p, s)| (*s, p)).collect();
        msgs.sort_by_key(|m| pos.get(&i(m.seq)).copied().unwrap_or(usize::MAX));
        Ok(msgs)
    }
}
