//! This node's clock against the database's.
//!
//! Every statement takes its caller's `now` (the database clock is never read on the request
//! path), so nodes sharing a database must agree on the time. Every time a node writes is its
//! own `now` plus something: a node N seconds behind the others hides what it leases N
//! seconds too briefly for them (they receive it again N seconds before its visibility timeout
//! ends) and sees their new messages N seconds late; one N seconds ahead receives what they
//! leased N seconds early and expires their messages and deduplication records early. Each node
//! compares its clock with the database's at start and once per cleanup period, and says so
//! in its log when they differ by more than [`WARN_SKEW_MS`].

use polyq_core::CoreError;
use tokio_postgres::Client;

use crate::error::db;

/// Beyond this, a node's clock is reported as out of step (ms).
pub(crate) const WARN_SKEW_MS: i64 = 1000;

/// The database's clock minus this node's, in ms (positive: the node is behind), read as the
/// midpoint of a round trip so that the query's own time does not count.
pub(crate) async fn skew_ms(
    client: &Client,
    local_now_ms: impl Fn() -> i64,
) -> Result<i64, CoreError> {
    let before = local_now_ms();
    let row = client
        .query_one(
            "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT",
            &[],
        )
        .await
        .map_err(db)?;
    let after = local_now_ms();
    let database: i64 = row.get(0);
    Ok(database - (before + (after - before) / 2))
}

/// What to tell the operator about `skew` (from [`skew_ms`]), or `None` while it is small.
pub(crate) fn out_of_step(skew: i64) -> Option<String> {
    if skew.abs() <= WARN_SKEW_MS {
        return None;
    }
    let (how, effect) = if skew > 0 {
        (
            "behind",
            "other nodes can receive the messages this node leases again before their \
             visibility timeout ends, and this node sees their new messages late",
        )
    } else {
        (
            "ahead of",
            "this node can receive messages other nodes leased before their visibility \
             timeout ends, and expires their messages and deduplication records early",
        )
    };
    Some(format!(
        "this node's clock is {} ms {how} PostgreSQL's: {effect}. Nodes sharing a database \
         must keep their clocks in step (NTP)",
        skew.abs()
    ))
}

/// Measures and logs: a warning when out of step and `was_in_step`, a note when back in step.
/// Returns whether the clock is in step now (unchanged when it could not be read).
pub(crate) async fn check(client: &Client, was_in_step: bool) -> bool {
    let skew = match skew_ms(client, || crate::now_ms() as i64).await {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!("postgres: clock not compared: {e}");
            return was_in_step;
        }
    };
    match out_of_step(skew) {
        Some(why) => {
            if was_in_step {
                tracing::warn!(skew_ms = skew, "{why}");
            }
            false
        }
        None => {
            if !was_in_step {
                tracing::info!(
                    skew_ms = skew,
                    "this node's clock is in step with PostgreSQL's again"
                );
            }
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{out_of_step, skew_ms};

    /// Against the test server (on this host, so in step), and with a node clock set back.
    #[tokio::test]
    async fn the_difference_is_read_from_the_database() {
        let url = std::env::var("POLYQ_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let client = match tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
            Ok((client, conn)) => {
                tokio::spawn(conn);
                client
            }
            Err(e) if std::env::var("POLYQ_REQUIRE_POSTGRES").as_deref() != Ok("1") => {
                eprintln!("SKIPPED: PostgreSQL at {url} is unreachable ({e})");
                return;
            }
            Err(e) => panic!("POLYQ_REQUIRE_POSTGRES=1 but {url}: {e}"),
        };
        let same = skew_ms(&client, || crate::now_ms() as i64).await.unwrap();
        assert!(out_of_step(same).is_none(), "one host's clock: {same} ms");
        let behind = skew_ms(&client, || crate::now_ms() as i64 - 20_000)
            .await
            .unwrap();
        assert!((19_000..=21_000).contains(&behind), "{behind}");
    }

    #[test]
    fn small_differences_are_not_reported() {
        for skew in [0, 1000, -1000, 250] {
            assert_eq!(out_of_step(skew), None, "{skew}");
        }
    }

    #[test]
    fn a_node_behind_or_ahead_is_told_what_it_breaks() {
        let behind = out_of_step(20_000).unwrap();
        assert!(behind.contains("20000 ms behind PostgreSQL's"), "{behind}");
        assert!(
            behind.contains("other nodes can receive the messages this node leases again"),
            "{behind}"
        );
        let ahead = out_of_step(-1_500).unwrap();
        assert!(ahead.contains("1500 ms ahead of PostgreSQL's"), "{ahead}");
        assert!(
            ahead.contains("receive messages other nodes leased"),
            "{ahead}"
        );
        assert!(ahead.contains("expires their messages"), "{ahead}");
        assert!(ahead.contains("NTP"), "{ahead}");
    }
}
