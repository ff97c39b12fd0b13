//! Queue management: create, read, list, update, purge, delete.

use std::sync::LazyLock;

use deadpool_postgres::GenericClient;
use polyq_core::{CoreError, CoreResult, CreateOutcome, QueueConfig, QueueInfo, QueueUpdate};

use crate::error::db;
use crate::rows::{self, i, QUEUE_COLS, QUEUE_STATS};
use crate::Inner;

/// What message operations need to know about their queue, read in one round trip.
pub(crate) struct QueueRow {
    pub id: i64,
    pub name: String,
    pub config: QueueConfig,
    /// The dead-letter queue's id and the receive limit, when the policy names a queue that
    /// exists (otherwise messages keep being delivered, as in the memory engine).
    pub dead_letter: Option<(i64, i32)>,
}

impl QueueRow {
    pub fn fifo(&self) -> bool {
        self.config.fifo
    }
}

const LOOKUP: &str = "SELECT q.id, q.name, q.config, d.id, q.max_receives FROM polyq_queues q \
    LEFT JOIN polyq_queues d ON d.name = q.dlq_name WHERE q.name = $1";

/// Looks up `name`; `lock` takes the queue row's lock for the rest of the transaction (FIFO
/// sends and leases serialise on it).
pub(crate) async fn lookup<C: GenericClient>(
    client: &C,
    name: &str,
    lock: bool,
) -> CoreResult<QueueRow> {
    static LOCKED: LazyLock<String> = LazyLock::new(|| format!("{LOOKUP} FOR UPDATE OF q"));
    let sql = if lock { LOCKED.as_str() } else { LOOKUP };
    let stmt = client.prepare_cached(sql).await.map_err(db)?;
    let row = client
        .query_opt(&stmt, &[&name])
        .await
        .map_err(db)?
        .ok_or_else(|| CoreError::QueueNotFound(name.to_string()))?;
    let config: String = row.get(2);
    let dead_letter = match (row.get::<_, Option<i64>>(3), row.get::<_, Option<i32>>(4)) {
        (Some(id), Some(max)) => Some((id, max)),
        _ => None,
    };
    Ok(QueueRow {
        id: row.get(0),
        name: row.get(1),
        config: rows::parse_config(&config)?,
        dead_letter,
    })
}

static INFO: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {QUEUE_COLS} FROM polyq_queues q {QUEUE_STATS} WHERE q.name = $1")
});

pub(crate) async fn info<C: GenericClient>(
    client: &C,
    name: &str,
    now: u64,
) -> CoreResult<QueueInfo> {
    let stmt = client.prepare_cached(&INFO).await.map_err(db)?;
    let row = client
        .query_opt(&stmt, &[&name, &i(now)])
        .await
        .map_err(db)?
        .ok_or_else(|| CoreError::QueueNotFound(name.to_string()))?;
    rows::queue_info(&row)
}

fn redrive_cols(c: &QueueConfig) -> (Option<&str>, Option<i32>) {
    match &c.redrive {
        Some(r) => (
            Some(r.dead_letter_queue.as_str()),
            Some(i32::try_from(r.max_receive_count).unwrap_or(i32::MAX)),
        ),
        None => (None, None),
    }
}

impl Inner {
    pub(crate) async fn create_queue(
        &self,
        name: &str,
        config: QueueConfig,
        now: u64,
    ) -> CoreResult<CreateOutcome> {
        let client = self.client().await?;
        let text = rows::config_text(&config)?;
        let (dlq, max) = redrive_cols(&config);
        let stmt = client
            .prepare_cached(
                "INSERT INTO polyq_queues (name, created_ms, modified_ms, fifo, dlq_name, \
                 max_receives, config) VALUES ($1, $2, $2, $3, $4, $5, $6) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .await
            .map_err(db)?;
        let n = client
            .execute(&stmt, &[&name, &i(now), &config.fifo, &dlq, &max, &text])
            .await
            .map_err(db)?;
        let info = info(&client, name, now).await?;
        Ok(if n == 1 {
            CreateOutcome::Created(info)
        } else {
            CreateOutcome::Exists(info)
        })
    }

    pub(crate) async fn delete_queue(&self, name: &str) -> CoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let row = tx
            .query_opt(
                "DELETE FROM polyq_queues WHERE name = $1 RETURNING id",
                &[&name],
            )
            .await
            .map_err(db)?
            .ok_or_else(|| CoreError::QueueNotFound(name.to_string()))?;
        let id: i64 = row.get(0);
        for sql in [
            "DELETE FROM polyq_messages WHERE queue_id = $1",
            "DELETE FROM polyq_dedup WHERE queue_id = $1",
            "DELETE FROM polyq_attempts WHERE queue_id = $1",
        ] {
            tx.execute(sql, &[&id]).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        self.sweep_later(id);
        Ok(())
    }

    /// A standard send (or a dead-letter move) on another connection that looked the queue up
    /// before the delete may insert its rows after it: they would belong to no queue, never be
    /// read, and, without an expiry, never be cleaned up. Every such statement ends within the
    /// operation timeout (the database's statement timeout is set below it), so the deleted
    /// queue's rows are swept once more after it. Queue ids are never reused.
    fn sweep_later(&self, id: i64) {
        let pool = self.pool.clone();
        let wait = self.operation_timeout + std::time::Duration::from_secs(2);
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            let swept = match pool.get().await {
                Ok(c) => c
                    .execute("DELETE FROM polyq_messages WHERE queue_id = $1", &[&id])
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match swept {
                Ok(0) => {}
                Ok(n) => tracing::debug!(
                    queue_id = id,
                    rows = n,
                    "postgres: late rows of a deleted queue swept"
                ),
                Err(e) => {
                    tracing::warn!(queue_id = id, error = %e, "postgres: rows of a deleted queue not swept")
                }
            }
        });
    }

    pub(crate) async fn get_queue(&self, name: &str, now: u64) -> CoreResult<QueueInfo> {
        let client = self.client().await?;
        info(&client, name, now).await
    }

    pub(crate) async fn list_queues(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
        now: u64,
    ) -> CoreResult<Vec<QueueInfo>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {QUEUE_COLS} FROM polyq_queues q {QUEUE_STATS} \
                 WHERE q.name >= $1 AND left(q.name, char_length($1)) = $1 \
                 AND ($3::TEXT IS NULL OR q.name > $3) ORDER BY q.name LIMIT $4"
            )
        });
        let client = self.client().await?;
        let stmt = client.prepare_cached(&SQL).await.map_err(db)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        client
            .query(&stmt, &[&prefix, &i(now), &start_after, &limit])
            .await
            .map_err(db)?
            .iter()
            .map(rows::queue_info)
            .collect()
    }

    pub(crate) async fn update_queue(
        &self,
        name: &str,
        update: QueueUpdate,
        now: u64,
    ) -> CoreResult<QueueInfo> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let q = lookup(&tx, name, true).await?;
        let mut config = q.config.clone();
        update(&mut config)?;
        if config.fifo != q.config.fifo {
            return Err(CoreError::InvalidArgument(
                "the FIFO flag of a queue cannot change".into(),
            ));
        }
        let text = rows::config_text(&config)?;
        let (dlq, max) = redrive_cols(&config);
        tx.execute(
            "UPDATE polyq_queues SET config = $2, modified_ms = $3, dlq_name = $4, \
             max_receives = $5 WHERE id = $1",
            &[&q.id, &text, &i(now), &dlq, &max],
        )
        .await
        .map_err(db)?;
        if config.fifo && config.delay_seconds != q.config.delay_seconds {
            // A FIFO queue's delay is retroactive for messages still in their delay (as the
            // memory engine's `retime_delayed`): never received, not in flight, not yet visible.
            tx.execute(
                "UPDATE polyq_messages SET visible_ms = enqueued_ms + $2 \
                 WHERE queue_id = $1 AND NOT in_flight AND receive_count = 0 AND visible_ms > $3",
                &[&q.id, &(i64::from(config.delay_seconds) * 1000), &i(now)],
            )
            .await
            .map_err(db)?;
        }
        if let Some(channel) = &self.channel {
            // A shorter delay may make messages visible on other nodes' long polls.
            tx.execute("SELECT pg_notify($1, $2)", &[channel, &name])
                .await
                .map_err(db)?;
        }
        let info = info(&tx, name, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(info)
    }

    /// Deletes every message of the queue; counts those not yet expired as of `now` (expired
    /// ones still in the table are only waiting for clean-up, and no longer count anywhere).
    pub(crate) async fn purge_queue(&self, name: &str, now: u64) -> CoreResult<u64> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "WITH q AS (SELECT id FROM polyq_queues WHERE name = $1), \
                 d AS (DELETE FROM polyq_messages m USING q WHERE m.queue_id = q.id \
                 RETURNING m.expires_ms) \
                 SELECT (SELECT count(*) FROM q), \
                 (SELECT count(*) FROM d WHERE d.expires_ms IS NULL OR d.expires_ms > $2)",
            )
            .await
            .map_err(db)?;
        let row = client
            .query_one(&stmt, &[&name, &rows::i(now)])
            .await
            .map_err(db)?;
        if row.get::<_, i64>(0) == 0 {
            return Err(CoreError::QueueNotFound(name.to_string()));
        }
        Ok(rows::u(row.get(1)))
    }
}
