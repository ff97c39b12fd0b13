//! Sending: a batch is one multi-row INSERT (over `unnest` of column arrays) whose statement
//! also NOTIFYs the queue's listeners, so the notification leaves exactly when the messages
//! are committed. FIFO queues first lock their queue row: sequence numbers are then taken and
//! committed in order, and deduplication is checked and recorded with no race between nodes.

use std::sync::LazyLock;

use deadpool_postgres::GenericClient;
use polyq_core::ids::{message_id, Receipt};
use polyq_core::*;

use crate::error::db;
use crate::queues::{lookup, QueueRow};
use crate::rows::{encode_attrs, i};
use crate::Inner;

const COLUMNS: &str = "INSERT INTO polyq_messages (seq, queue_id, enqueued_ms, priority, \
    visible_ms, expires_ms, group_id, dedup_id, sequence_number, sender_id, attrs, body)";
const ROWS: &str = "unnest($4::SMALLINT[], $5::BIGINT[], $6::BIGINT[], $7::TEXT[], $8::TEXT[], \
    $9::BIGINT[], $10::TEXT[], $11::TEXT[], $12::BYTEA[]) WITH ORDINALITY \
    AS t(p, v, e, g, d, n, snd, a, b, o)";

/// Rows with sequence numbers already taken (`$3`, in order): FIFO queues, under their lock.
static INSERT: LazyLock<String> = LazyLock::new(|| {
    format!("{COLUMNS} SELECT ($3::BIGINT[])[o], $1, $2, p, v, e, g, d, n, snd, a, b FROM {ROWS}")
});

/// Standard queues: one autocommit statement takes the sequence numbers (in batch order),
/// inserts, and NOTIFYs when `$14` (the queue name) is not null; returns the seqs in order and
/// how many rows went in. `$3` is the batch size. Nothing goes in when the queue was deleted
/// since the send looked it up (else the rows would belong to no queue).
static INSERT_NOTIFY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH s AS (SELECT nextval('polyq_message_seq') AS seq, o FROM generate_series(1, $3::INT) AS o), \
         ins AS ({COLUMNS} SELECT s.seq, $1, $2, p, v, e, g, d, n, snd, a, b FROM {ROWS} \
         JOIN s ON s.o = t.o WHERE EXISTS (SELECT 1 FROM polyq_queues WHERE id = $1) RETURNING 1) \
         SELECT s.seq, (SELECT count(*) FROM ins), {notify} FROM s ORDER BY s.o",
        notify = "(SELECT pg_notify($13, $14) WHERE $14::TEXT IS NOT NULL)"
    )
});
static INSERT_QUIET: LazyLock<String> = LazyLock::new(|| {
    INSERT_NOTIFY.replace(
        "(SELECT pg_notify($13, $14) WHERE $14::TEXT IS NOT NULL)",
        "($13::TEXT || $14::TEXT)",
    )
});

/// Column arrays of the rows to insert.
#[derive(Default)]
struct Batch {
    seq: Vec<i64>,
    priority: Vec<i16>,
    visible: Vec<i64>,
    expires: Vec<Option<i64>>,
    group: Vec<Option<String>>,
    dedup: Vec<Option<String>>,
    sequence_number: Vec<Option<i64>>,
    sender: Vec<Option<String>>,
    attrs: Vec<Option<String>>,
    body: Vec<bytes::Bytes>,
}

impl Batch {
    /// What to NOTIFY for these messages (see `listen::payload`): the queue, with the
    /// earliest visible time if every message is delayed.
    fn notify_payload(&self, queue: &str, now: u64) -> String {
        let first = self.visible.iter().min().map_or(0, |&v| crate::rows::u(v));
        crate::listen::payload(queue, (first > now).then_some(first))
    }

    fn push(&mut self, q: &QueueRow, seq: u64, m: NewMessage, now: u64) -> Sent {
        let delay = u64::from(m.delay_seconds.unwrap_or(q.config.delay_seconds));
        let visible_ms = now + delay * 1000;
        let expires_ms = match m.ttl {
            MessageTtl::QueueRetention => Some(now + q.config.retention_seconds * 1000),
            MessageTtl::Seconds(s) => Some(now.saturating_add(s.saturating_mul(1000))),
            MessageTtl::Never => None,
        };
        let sequence_number = q.fifo().then_some(seq);
        self.seq.push(i(seq));
        self.priority
            .push(i16::from(m.priority.unwrap_or(PRIORITY_DEFAULT)));
        self.visible.push(i(visible_ms));
        self.expires.push(expires_ms.map(i));
        self.group.push(m.group_id);
        self.dedup.push(m.dedup_id);
        self.sequence_number.push(sequence_number.map(i));
        self.sender.push(m.sender_id);
        self.attrs
            .push(encode_attrs(&m.attributes, &m.system_attributes));
        self.body.push(m.body);
        Sent {
            id: message_id(0, 0), // replaced by the caller, who knows the prefix
            receipt: Receipt { seq, lease: 0 },
            enqueued_ms: now,
            visible_ms,
            expires_ms,
            sequence_number,
            deduplicated: false,
        }
    }
}

fn validate(q: &QueueRow, m: &NewMessage) -> CoreResult<()> {
    let priority = m.priority.unwrap_or(PRIORITY_DEFAULT);
    if !(PRIORITY_HIGHEST..=PRIORITY_LOWEST).contains(&priority) {
        return Err(CoreError::InvalidArgument(format!(
            "priority {priority} is outside 1..16"
        )));
    }
    if q.fifo() && m.group_id.is_none() {
        return Err(CoreError::InvalidArgument(
            "a FIFO queue needs a message group id".into(),
        ));
    }
    if q.fifo() && m.dedup_id.is_none() {
        return Err(CoreError::InvalidArgument(
            "a FIFO queue needs a deduplication id".into(),
        ));
    }
    Ok(())
}

fn dedup_key(q: &QueueRow, m: &NewMessage, now: u64) -> Option<String> {
    let d = m.dedup_id.as_ref()?;
    Some(q.config.dedup_key(d, m.group_id.as_deref(), now))
}

async fn next_seqs<C: GenericClient>(client: &C, n: usize) -> CoreResult<Vec<u64>> {
    let stmt = client
        .prepare_cached("SELECT nextval('polyq_message_seq') FROM generate_series(1, $1::INT)")
        .await
        .map_err(db)?;
    let mut seqs: Vec<u64> = client
        .query(&stmt, &[&(n as i32)])
        .await
        .map_err(db)?
        .iter()
        .map(|r| r.get::<_, i64>(0) as u64)
        .collect();
    seqs.sort_unstable();
    Ok(seqs)
}

impl Inner {
    pub(crate) async fn send(
        &self,
        queue: &str,
        messages: Vec<NewMessage>,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Sent>>> {
        let mut client = self.client().await?;
        let q = lookup(&client, queue, false).await?;
        if q.fifo() {
            let tx = client.transaction().await.map_err(db)?;
            let out = self.send_fifo(&tx, queue, messages, now).await?;
            tx.commit().await.map_err(db)?;
            return Ok(out);
        }
        let mut batch = Batch::default();
        let mut out: Vec<CoreResult<Sent>> = messages
            .into_iter()
            .map(|m| validate(&q, &m).map(|()| batch.push(&q, 0, m, now)))
            .collect();
        if batch.body.is_empty() {
            return Ok(out);
        }
        let (sql, channel) = match &self.channel {
            Some(c) => (&*INSERT_NOTIFY, c.as_str()),
            None => (&*INSERT_QUIET, ""),
        };
        // Every send notifies, a delayed one too: a receiver of another node that looked
        // before it was sent would otherwise sleep past its delay. The payload carries the
        // earliest visible time, so only receivers planning to look later are woken.
        let notify_queue = Some(batch.notify_payload(&q.name, now));
        let stmt = client.prepare_cached(sql).await.map_err(db)?;
        let b = &batch;
        let bodies: Vec<&[u8]> = b.body.iter().map(|b| b.as_ref()).collect();
        let rows = client
            .query(
                &stmt,
                &[
                    &q.id,
                    &i(now),
                    &(b.body.len() as i32),
                    &b.priority,
                    &b.visible,
                    &b.expires,
                    &b.group,
                    &b.dedup,
                    &b.sequence_number,
                    &b.sender,
                    &b.attrs,
                    &bodies,
                    &channel,
                    &notify_queue,
                ],
            )
            .await
            .map_err(db)?;
        let inserted = rows.first().map_or(0, |r| r.get::<_, i64>(1));
        if inserted != b.body.len() as i64 {
            return Err(CoreError::QueueNotFound(queue.to_string()));
        }
        let mut seqs = rows.iter().map(|r| r.get::<_, i64>(0) as u64);
        for sent in out.iter_mut().flatten() {
            let seq = seqs
                .next()
                .ok_or_else(|| CoreError::Storage("postgres: lost a row".into()))?;
            sent.id = message_id(self.prefix, seq);
            sent.receipt = Receipt { seq, lease: 0 };
        }
        Ok(out)
    }

    /// FIFO: under the queue row's lock, take sequence numbers, check and record dedup ids,
    /// insert, notify; the caller commits.
    async fn send_fifo<C: GenericClient>(
        &self,
        tx: &C,
        queue: &str,
        messages: Vec<NewMessage>,
        now: u64,
    ) -> CoreResult<Vec<CoreResult<Sent>>> {
        let q = lookup(tx, queue, true).await?;
        let valid = messages.iter().filter(|m| validate(&q, m).is_ok()).count();
        let mut seqs = next_seqs(tx, valid).await?.into_iter();
        let mut batch = Batch::default();
        let mut out = Vec::with_capacity(messages.len());
        for m in messages {
            if let Err(e) = validate(&q, &m) {
                out.push(Err(e));
                continue;
            }
            let seq = seqs.next().expect("one sequence number per valid message");
            if let Some(key) = dedup_key(&q, &m, now) {
                if let Some(orig) = self.remember_dedup(tx, &q, &key, seq, now).await? {
                    out.push(Ok(Sent {
                        id: message_id(self.prefix, orig),
                        receipt: Receipt {
                            seq: orig,
                            lease: 0,
                        },
                        enqueued_ms: now,
                        visible_ms: now,
                        expires_ms: None,
                        sequence_number: Some(orig),
                        deduplicated: true,
                    }));
                    continue;
                }
            }
            let mut sent = batch.push(&q, seq, m, now);
            sent.id = message_id(self.prefix, seq);
            out.push(Ok(sent));
        }
        if batch.seq.is_empty() {
            return Ok(out);
        }
        let stmt = tx.prepare_cached(&INSERT).await.map_err(db)?;
        let b = &batch;
        let bodies: Vec<&[u8]> = b.body.iter().map(|b| b.as_ref()).collect();
        tx.execute(
            &stmt,
            &[
                &q.id,
                &i(now),
                &b.seq,
                &b.priority,
                &b.visible,
                &b.expires,
                &b.group,
                &b.dedup,
                &b.sequence_number,
                &b.sender,
                &b.attrs,
                &bodies,
            ],
        )
        .await
        .map_err(db)?;
        // Delayed or not (see above).
        self.notify(tx, &batch.notify_payload(&q.name, now)).await?;
        Ok(out)
    }

    /// Records `key` for message `seq` unless a live record exists; returns that record's
    /// message. Runs under the FIFO queue's row lock.
    async fn remember_dedup<C: GenericClient>(
        &self,
        tx: &C,
        q: &QueueRow,
        key: &str,
        seq: u64,
        now: u64,
    ) -> CoreResult<Option<u64>> {
        let stmt = tx
            .prepare_cached(
                "INSERT INTO polyq_dedup (queue_id, key, seq, expires_ms) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (queue_id, key) DO UPDATE SET seq = EXCLUDED.seq, \
                 expires_ms = EXCLUDED.expires_ms WHERE polyq_dedup.expires_ms <= $5 \
                 RETURNING seq",
            )
            .await
            .map_err(db)?;
        let expires = i(now + DEDUP_WINDOW_MS);
        let inserted = tx
            .query_opt(&stmt, &[&q.id, &key, &i(seq), &expires, &i(now)])
            .await
            .map_err(db)?;
        if inserted.is_some() {
            return Ok(None);
        }
        let row = tx
            .query_one(
                "SELECT seq FROM polyq_dedup WHERE queue_id = $1 AND key = $2",
                &[&q.id, &key],
            )
            .await
            .map_err(db)?;
        Ok(Some(row.get::<_, i64>(0) as u64))
    }

    /// Tells every node's long polls on a queue to look again once `tx` commits; `payload`
    /// is the queue's name, or [`crate::listen::payload`] for messages visible later.
    pub(crate) async fn notify<C: GenericClient>(&self, tx: &C, payload: &str) -> CoreResult<()> {
        if let Some(channel) = &self.channel {
            let stmt = tx
                .prepare_cached("SELECT pg_notify($1, $2)")
                .await
                .map_err(db)?;
            tx.execute(&stmt, &[channel, &payload]).await.map_err(db)?;
        }
        Ok(())
    }
}
