//! Background cleanup of expired rows, done once per period across all nodes.
//!
//! Reads never depend on it (every statement filters expired rows with its caller's `now`); it
//! only keeps the tables from growing. Each node wakes every [`PERIOD`], and the one that
//! advances the `cleanup_ms` row in `polyq_meta` by a conditional UPDATE does the work, so the
//! work per period does not grow with the number of nodes (a plain row update rather than an
//! advisory lock, which distributed Postgres-compatible engines do not all provide). Deletes go
//! in bounded batches so no statement holds many locks or runs long.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use polyq_core::CoreError;
use tokio_postgres::Client;

use crate::error::db;
use crate::Inner;

const PERIOD: Duration = Duration::from_secs(10);
const BATCH: i64 = 5000;
/// Batches per table per run; what is left waits for the next period.
const MAX_BATCHES: usize = 40;

pub(crate) async fn init(client: &Client) -> Result<(), CoreError> {
    client
        .execute(
            "INSERT INTO polyq_meta (key, value) VALUES ('cleanup_ms', '0') ON CONFLICT DO NOTHING",
            &[],
        )
        .await
        .map_err(db)?;
    Ok(())
}

/// `clock_in_step`: as found at connect (which warned if it was not), so that an out-of-step
/// clock is reported once, and again only after it was back in step.
pub(crate) async fn run(inner: Arc<Inner>, mut clock_in_step: bool) {
    loop {
        tokio::time::sleep(PERIOD).await;
        if let Ok(client) = inner.client().await {
            clock_in_step = crate::clock::check(&client, clock_in_step).await;
        }
        let now = inner.last_now.load(Ordering::Relaxed);
        if now == 0 {
            continue;
        }
        match claim(&inner, now).await {
            Ok(true) => {
                if let Err(e) = cleanup(&inner, now).await {
                    tracing::warn!("postgres cleanup failed: {e}");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::debug!("postgres cleanup not claimed: {e}"),
        }
    }
}

/// True when this node won this period's cleanup. A claim stamped more than a period ahead
/// of this node's time (by a node whose clock ran ahead, since stopped or corrected) is taken
/// over: else no node in step would clean up until their clocks caught up with it.
async fn claim(inner: &Inner, now: u64) -> Result<bool, CoreError> {
    let client = inner.client().await?;
    let period = PERIOD.as_millis() as i64;
    let n = client
        .execute(
            "UPDATE polyq_meta SET value = $1::BIGINT::TEXT \
             WHERE key = 'cleanup_ms' AND (value::BIGINT <= $1::BIGINT - $2::BIGINT \
             OR value::BIGINT > $1::BIGINT + $2::BIGINT)",
            &[&(now as i64), &period],
        )
        .await
        .map_err(db)?;
    Ok(n == 1)
}

/// Deletes what expired by `now`; returns the number of rows deleted.
pub(crate) async fn cleanup(inner: &Inner, now: u64) -> Result<u64, CoreError> {
    let client = inner.client().await?;
    let now = now as i64;
    let mut total = 0;
    for sql in [
        "DELETE FROM polyq_messages WHERE seq IN (SELECT seq FROM polyq_messages \
         WHERE expires_ms <= $1 LIMIT $2)",
        "DELETE FROM polyq_dedup WHERE (queue_id, key) IN (SELECT queue_id, key FROM polyq_dedup \
         WHERE expires_ms <= $1 LIMIT $2)",
        "DELETE FROM polyq_attempts WHERE (queue_id, attempt_id) IN (SELECT queue_id, attempt_id \
         FROM polyq_attempts WHERE expires_ms <= $1 LIMIT $2)",
    ] {
        let stmt = client.prepare_cached(sql).await.map_err(db)?;
        for _ in 0..MAX_BATCHES {
            let n = client.execute(&stmt, &[&now, &BATCH]).await.map_err(db)?;
            total += n;
            if n < BATCH as u64 {
                break;
            }
        }
    }
    Ok(total)
}
