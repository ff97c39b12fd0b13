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
//!
//! A connection can also go silent without closing (a frozen network path, a stalled proxy):
//! a LISTEN connection receives without sending, so nothing would notice. The listener asks
//! the server a trivial question every [`PING_EVERY`] and, without an answer in [`PING_WITHIN`],
//! takes the connection for lost; a connect that does not complete in [`CONNECT_WITHIN`] is
//! given up and tried again. Meanwhile the every-second fallback runs on its own task.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

use crate::Inner;

const RETRY_MAX: Duration = Duration::from_secs(1);
const CONNECT_WITHIN: Duration = Duration::from_secs(5);
const PING_EVERY: Duration = Duration::from_secs(5);
const PING_WITHIN: Duration = Duration::from_secs(2);

pub(crate) async fn run(inner: Arc<Inner>, pg: tokio_postgres::Config) {
    let Some(channel) = inner.channel.clone() else {
        // No LISTEN/NOTIFY on this engine: the timed fallback is all there is.
        loop {
            tokio::time::sleep(RETRY_MAX).await;
            inner.wake_all();
        }
    };
    // The fallback while not listening, on its own task: a connect attempt that hangs must not
    // hold it up. Ended with the listener (the store's drop aborts this task).
    let fallback = {
        let inner = inner.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RETRY_MAX).await;
                if !inner.listening.load(Ordering::Relaxed) {
                    inner.wake_all();
                }
            }
        })
    };
    let _stop_fallback = AbortOnDrop(fallback);
    let mut backoff = Duration::from_millis(50);
    loop {
        let connected = tokio::time::timeout(CONNECT_WITHIN, pg.connect(NoTls)).await;
        if let Ok(Ok((client, mut conn))) = connected {
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
            let statement = format!("LISTEN \"{channel}\"");
            let listen = client.batch_execute(&statement);
            if let Ok(Ok(())) = tokio::time::timeout(PING_WITHIN, listen).await {
                inner.listening.store(true, Ordering::Relaxed);
                backoff = Duration::from_millis(50);
                // Whatever was sent while we were not listening is found by looking again.
                inner.wake_all();
                let mut ping = tokio::time::interval(PING_EVERY);
                ping.tick().await;
                loop {
                    tokio::select! {
                        payload = rx.recv() => match payload {
                            Some(payload) => match parse(&payload) {
                                (queue, Some(visible_ms)) => inner.wake_at(queue, visible_ms),
                                (queue, None) => inner.wake(queue),
                            },
                            None => break,
                        },
                        _ = ping.tick() => {
                            let answered = tokio::time::timeout(PING_WITHIN, client.simple_query("SELECT 1")).await;
                            if !matches!(answered, Ok(Ok(_))) {
                                break;
                            }
                        }
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

/// Aborts its task when dropped (the listener's own task is aborted with the store).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
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
