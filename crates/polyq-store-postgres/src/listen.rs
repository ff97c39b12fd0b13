//! Cross-node wakeups: one dedicated connection per node LISTENs on the schema's channel; a
//! send (or anything else that makes messages visible) NOTIFYs with the queue name inside its
//! own transaction, so the notification leaves only once the message is committed. A message
//! that becomes visible later (a delayed send, a shortened visibility timeout) adds its
//! visible time to the payload ([`payload`]), and the listener wakes only the receivers that
//! planned to look again after it.
//!
//! A notification can be lost (the listener reconnecting, a server restart). The fallback:
//! after every (re)connect all waiters are woken once, and while the listener is down they are
//! woken every second, so a long poll never waits more than about a second for a message it
//! was not told about. Lease also reports `next_visible_ms`, so timers need no notification.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

use crate::Inner;

const RETRY_MAX: Duration = Duration::from_secs(1);

pub(crate) async fn run(inner: Arc<Inner>, pg: tokio_postgres::Config) {
    let Some(channel) = inner.channel.clone() else {
        // No LISTEN/NOTIFY on this engine: the timed fallback is all there is.
        loop {
            tokio::time::sleep(RETRY_MAX).await;
            inner.wake_all();
        }
    };
    let mut backoff = Duration::from_millis(50);
    loop {
        if let Ok((client, mut conn)) = pg.connect(NoTls).await {
            let (tx, mut rx) = mpsc::unbounded_channel::<String>();
            // The connection must be polled for the client to work and for notifications to
            // arrive; it ends when the socket breaks or the client is dropped.
            let driver = tokio::spawn(async move {
                let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
                while let Some(Ok(msg)) = messages.next().await {
                    if let AsyncMessage::Notification(n) = msg {
                        if tx.send(n.payload().to_string()).is_err() {
                            break;
                        }
                    }
                }
            });
            if client
                .batch_execute(&format!("LISTEN \"{channel}\""))
                .await
                .is_ok()
            {
                inner.listening.store(true, Ordering::Relaxed);
                backoff = Duration::from_millis(50);
                // Whatever was sent while we were not listening is found by looking again.
                inner.wake_all();
                while let Some(payload) = rx.recv().await {
                    match parse(&payload) {
                        (queue, Some(visible_ms)) => inner.wake_at(queue, visible_ms),
                        (queue, None) => inner.wake(queue),
                    }
                }
                inner.listening.store(false, Ordering::Relaxed);
                tracing::warn!("postgres listener connection lost; reconnecting");
            }
            drop(client);
            driver.abort();
        }
        inner.wake_all();
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(RETRY_MAX);
    }
}

/// The NOTIFY payload for messages of `queue` visible at `visible_ms` (`None`: now). No
/// queue name of any dialect, nor an internal one, holds a space.
pub(crate) fn payload(queue: &str, visible_ms: Option<u64>) -> String {
    match visible_ms {
        Some(at) => format!("{queue} {at}"),
        None => queue.to_string(),
    }
}

/// The queue and visible time of a [`payload`]; a payload of an older node (the name alone)
/// means now. (An older node reads a newer node's `"{queue} {ms}"` as a queue name nobody
/// waits on: during a rolling upgrade its polls see delayed sends and shortened timeouts of
/// newer nodes only at their next planned look, which is why upgrades stop old nodes first.)
fn parse(payload: &str) -> (&str, Option<u64>) {
    match payload.rsplit_once(' ') {
        Some((queue, at)) => match at.parse() {
            Ok(at) => (queue, Some(at)),
            Err(_) => (payload, None),
        },
        None => (payload, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_carry_the_visible_time_when_there_is_one() {
        assert_eq!(payload("q", None), "q");
        assert_eq!(payload("q", Some(1_700_000_000_123)), "q 1700000000123");
        assert_eq!(parse("q 1700000000123"), ("q", Some(1_700_000_000_123)));
        assert_eq!(parse("~mns-sub~t~s"), ("~mns-sub~t~s", None));
        assert_eq!(parse("odd tail"), ("odd tail", None));
        assert_eq!(parse(""), ("", None));
    }
}
