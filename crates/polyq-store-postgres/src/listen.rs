//! Cross-node wakeups: one dedicated connection per node LISTENs on the schema's channel; a
//! send (or anything else that makes messages visible) NOTIFYs with the queue name inside its
//! own transaction, so the notification leaves only once the message is committed.
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
                while let Some(queue) = rx.recv().await {
                    inner.wake(&queue);
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
