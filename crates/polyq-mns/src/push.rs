//! Pushes the notifications of HTTP subscriptions: MNS's HttpEndpoint delivery.
//!
//! Each HTTP subscription's queue holds its notifications ([`crate::publish`]). One task per
//! server looks for subscriptions with notifications ready and starts a push for each on its
//! own task, so that an endpoint that takes its 5 seconds to fail holds up only its own
//! subscription (at most [`MAX_CONCURRENT_SUBSCRIPTIONS`] at once, one push per subscription
//! at a time, the longest-waiting subscription first). A push takes the notifications with an ordinary lease (so nodes sharing a store
//! never push one twice at once), POSTs each to the endpoint, deletes it on a 2xx answer, and
//! otherwise hides it for the subscription's retry interval; after the strategy's last attempt
//! it is dropped, with a log line, as MNS drops it. A publish wakes the task at once; it also
//! looks every second, for retries that came due and for notifications published through
//! other nodes.
//!
//! Requests carry the headers of a push captured from MNS and its signature, made with this
//! process's own key ([`crate::push_signing`]), whose certificate the receiver downloads from
//! the URL in `x-mns-signing-cert-url`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use md5::{Digest, Md5};
use polyq_core::{
    AttributeValue, CoreError, CoreResult, Message, QueueService, ReceiveOptions, VisibilityChange,
};
use tokio::sync::{Notify, Semaphore};

use crate::publish::{
    MESSAGE_ID_ATTRIBUTE, MESSAGE_TAG_ATTRIBUTE, PUBLISH_TIME_ATTRIBUTE, SIGNING_BASE_ATTRIBUTE,
};
use crate::push_signing;
use crate::subscriptions::{ContentFormat, Endpoint, Subscription, SUBSCRIPTION_QUEUE_PREFIX};

/// How often the task looks without being woken.
const IDLE_LOOK: Duration = Duration::from_secs(1);
/// Lease of a notification while it is being pushed; longer than one push can take.
const PUSH_LEASE_SECONDS: u32 = 30;
/// MNS counts a push that is not answered within 5 seconds as failed.
const PUSH_TIMEOUT: Duration = Duration::from_secs(5);
/// Notifications taken from one subscription per look.
const BATCH: usize = 16;
/// Subscriptions being pushed at once; more wait for a later look.
const MAX_CONCURRENT_SUBSCRIPTIONS: usize = 64;

/// Starts the push task on the current Tokio runtime (none outside one, e.g. in unit tests
/// that build a dialect without serving it).
/// `owner` is the account id pushes name as topic owner and subscriber; `tls` verifies
/// `https://` endpoints.
pub fn spawn(
    service: Arc<QueueService>,
    wake: Arc<Notify>,
    owner: String,
    tls: Arc<rustls::ClientConfig>,
) {
    let pusher = Pusher {
        owner,
        tls,
        turns: Arc::default(),
        slots: Arc::new(Semaphore::new(MAX_CONCURRENT_SUBSCRIPTIONS)),
        wake: wake.clone(),
    };
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        // Logged once per run of failures (a store out of reach fails every round, every
        // second or so), and once when they end.
        let mut failing = false;
        loop {
            // Shutting down: no new push; those in progress finish (the server waits for
            // them, bounded).
            if service.is_shutting_down() {
                return;
            }
            match push_due(&service, &pusher).await {
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(error = %e, "MNS push round failed; retrying quietly until one succeeds");
                }
                Err(e) => tracing::debug!(error = %e, "MNS push round failed again"),
                Ok(()) if failing => {
                    failing = false;
                    tracing::info!("MNS push rounds succeed again");
                }
                Ok(()) => {}
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(IDLE_LOOK) => {}
            }
        }
    });
}

/// What every push of this server shares.
#[derive(Clone)]
struct Pusher {
    /// Account id named as topic owner and subscriber.
    owner: String,
    /// For `https://` endpoints.
    tls: Arc<rustls::ClientConfig>,
    /// Which subscriptions are being pushed, and whose turn is next.
    turns: Arc<Mutex<Turns>>,
    /// Bounds the subscriptions pushed at once.
    slots: Arc<Semaphore>,
    /// Wakes the look again when a push took a full batch (more may be ready).
    wake: Arc<Notify>,
}

/// Subscription queues being pushed now (a look skips them), and the ticket of each one's
/// latest push: a look gives free slots to the subscriptions that waited longest, so that
/// more slow subscriptions than slots cannot keep the others waiting.
#[derive(Default)]
struct Turns {
    busy: HashSet<String>,
    last: HashMap<String, u64>,
    next: u64,
}

impl Turns {
    /// The positions in `ready` of the subscriptions not being pushed, longest-waiting (or
    /// never pushed) first; forgets the turns of subscriptions not in `existing`.
    fn order<'a>(&mut self, existing: impl Iterator<Item = &'a str>, ready: &[&str]) -> Vec<usize> {
        let existing: HashSet<&str> = existing.collect();
        self.last.retain(|name, _| existing.contains(name.as_str()));
        let mut waiting: Vec<(u64, usize)> = ready
            .iter()
            .enumerate()
            .filter(|(_, name)| !self.busy.contains(**name))
            .map(|(i, name)| (self.last.get(*name).copied().unwrap_or(0), i))
            .collect();
        waiting.sort_unstable();
        waiting.into_iter().map(|(_, i)| i).collect()
    }

    /// Marks `queue` busy and records its turn; false if it is busy already.
    fn take(&mut self, queue: &str) -> bool {
        if !self.busy.insert(queue.to_string()) {
            return false;
        }
        self.next += 1;
        self.last.insert(queue.to_string(), self.next);
        true
    }
}

/// Marks a subscription busy while its push runs; unmarks it when dropped, also if the push
/// task panicked.
struct Busy {
    turns: Arc<Mutex<Turns>>,
    queue: String,
}

impl Drop for Busy {
    fn drop(&mut self) {
        lock(&self.turns).busy.remove(&self.queue);
    }
}

/// One round: HTTP subscriptions with notifications ready and no push running get a push task
/// of their own, longest-waiting first, as far as slots are free; the round does not wait for
/// them.
async fn push_due(service: &Arc<QueueService>, pusher: &Pusher) -> CoreResult<()> {
    let queues = service
        .internal()
        .list_queues(SUBSCRIPTION_QUEUE_PREFIX, None, usize::MAX)
        .await?;
    let ready: Vec<(String, Subscription, String)> = queues
        .iter()
        .filter(|q| q.stats.visible > 0)
        .filter_map(|info| {
            let sub = Subscription::from_info(info)?;
            let Endpoint::Http(url) = &sub.endpoint else {
                return None;
            };
            let url = url.clone();
            Some((info.name.clone(), sub, url))
        })
        .collect();
    let names: Vec<&str> = ready.iter().map(|(name, ..)| name.as_str()).collect();
    let order = lock(&pusher.turns).order(queues.iter().map(|q| q.name.as_str()), &names);
    for i in order {
        if service.is_shutting_down() {
            break;
        }
        let Ok(slot) = pusher.slots.clone().try_acquire_owned() else {
            // Every slot is pushing: the rest wait for a later look.
            break;
        };
        let (queue, sub, url) = ready[i].clone();
        if !lock(&pusher.turns).take(&queue) {
            continue;
        }
        let busy = Busy {
            turns: pusher.turns.clone(),
            queue: queue.clone(),
        };
        let (service, pusher) = (service.clone(), pusher.clone());
        // Taken before the task starts, so that a shutdown beginning now waits for it.
        let running = service.background_work();
        tokio::spawn(async move {
            let outcome = push_subscription(&service, &queue, &sub, &url, &pusher).await;
            // Free the subscription and the slot before a wake-up looks again.
            drop(busy);
            drop(slot);
            drop(running);
            match outcome {
                Ok(taken) if taken == BATCH => pusher.wake.notify_one(),
                Ok(_) | Err(CoreError::QueueNotFound(_)) => {}
                Err(e) => tracing::warn!(
                    subscription = sub.name,
                    error = %e,
                    "MNS push to a subscription failed; retrying"
                ),
            }
        });
    }
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Pushes what is ready in one subscription's queue, concurrently, then settles each; the
/// number of notifications taken.
async fn push_subscription(
    service: &QueueService,
    queue: &str,
    sub: &Subscription,
    url: &str,
    pusher: &Pusher,
) -> CoreResult<usize> {
    let taken = service
        .internal()
        .receive(
            queue,
            ReceiveOptions {
                max_messages: BATCH,
                visibility_seconds: Some(PUSH_LEASE_SECONDS),
                wait: Some(Duration::ZERO),
                attempt_id: None,
            },
        )
        .await?;
    let pushes: Vec<_> = taken
        .iter()
        .map(|m| {
            let (url, sub, pusher, m) = (url.to_string(), sub.clone(), pusher.clone(), m.clone());
            tokio::spawn(async move { post(&url, &sub, &pusher, &m).await })
        })
        .collect();
    for (m, push) in taken.iter().zip(pushes) {
        let outcome = push
            .await
            .unwrap_or_else(|e| Err(format!("push task failed: {e}")));
        settle(service, queue, sub, m, outcome).await?;
    }
    Ok(taken.len())
}

/// Deletes a delivered notification; schedules the retry of a failed one, or drops it after
/// its last attempt.
async fn settle(
    service: &QueueService,
    queue: &str,
    sub: &Subscription,
    m: &Message,
    outcome: Result<u16, String>,
) -> CoreResult<()> {
    let failure = match outcome {
        Ok(status) if (200..300).contains(&status) => None,
        Ok(status) => Some(format!("endpoint answered {status}")),
        Err(e) => Some(e),
    };
    let Some(failure) = failure else {
        service
            .internal()
            .delete_leased(queue, &[m.receipt()])
            .await?;
        return Ok(());
    };
    if m.receive_count >= sub.strategy.attempts() {
        tracing::warn!(
            topic = sub.topic,
            subscription = sub.name,
            endpoint = sub.endpoint_text,
            attempts = m.receive_count,
            failure,
            "MNS notification dropped after its last push attempt"
        );
        service
            .internal()
            .delete_leased(queue, &[m.receipt()])
            .await?;
        return Ok(());
    }
    // The first failure of a notification is worth seeing at the default level (a receiver
    // down, a certificate that does not verify); its retries would only repeat it.
    if m.receive_count == 1 {
        tracing::warn!(
            subscription = sub.name,
            endpoint = sub.endpoint_text,
            failure,
            "MNS push failed; will retry"
        );
    } else {
        tracing::debug!(
            subscription = sub.name,
            attempt = m.receive_count,
            failure,
            "MNS push failed; will retry"
        );
    }
    let wait = sub.strategy.retry_after(m.receive_count, jitter(m));
    service
        .internal()
        .change_visibility(
            queue,
            &[VisibilityChange {
                receipt: m.receipt(),
                visibility_seconds: wait.as_secs().max(1) as u32,
                renew_receipt: false,
                require_hidden: true,
                accept_older_receipt: false,
                max_total_seconds: None,
            }],
        )
        .await?;
    Ok(())
}

/// A number in 0..1 that differs between notifications and attempts, so BACKOFF_RETRY's
/// retries spread over their window instead of arriving together.
fn jitter(m: &Message) -> f64 {
    let mixed = m
        .seq
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(u64::from(m.receive_count).wrapping_mul(0xBF58_476D_1CE4_E5B9));
    (mixed >> 11) as f64 / (1u64 << 53) as f64
}

fn attribute_text<'a>(m: &'a Message, name: &str) -> Option<&'a str> {
    match &m.attributes.get(name)?.value {
        AttributeValue::String(s) => Some(s),
        AttributeValue::Binary(_) => None,
    }
}

/// POSTs one notification; the endpoint's status, or why there was none. The headers are
/// those of a push captured from MNS (the Go SDK's `example/http_authorization.go`) but its
/// signature: topic, owner, subscriber, subscription, publish time, message id and tag, and
/// `Content-md5` as upper-case hex.
async fn post(url: &str, sub: &Subscription, pusher: &Pusher, m: &Message) -> Result<u16, String> {
    let owner = pusher.owner.as_str();
    let uri: http::Uri = url.parse().map_err(|e| format!("bad endpoint URL: {e}"))?;
    let authority = uri.authority().ok_or("endpoint URL has no host")?.clone();
    let https = uri.scheme_str() == Some("https");
    let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
    // MNS posts to /notifications unless the endpoint names a path of its own.
    let target = match uri.path_and_query().map(|p| p.as_str()) {
        None | Some("/") | Some("") => "/notifications",
        Some(p) => p,
    };
    let content_type = match sub.format {
        ContentFormat::Xml => "text/xml;charset=utf-8",
        ContentFormat::Json => "application/json;charset=utf-8",
        ContentFormat::Simplified => "text/plain;charset=utf-8",
    };
    let mut headers: Vec<(&str, String)> = vec![
        ("Content-Type", content_type.to_string()),
        ("Content-md5", hex::encode_upper(Md5::digest(&m.body))),
        ("Date", httpdate::fmt_http_date(SystemTime::now())),
        (
            "User-Agent",
            "Aliyun Notification Service Agent".to_string(),
        ),
        ("x-mns-version", "2015-06-06".to_string()),
        // MNS request ids are 24 upper-case hex digits (see `mns_request_id`).
        (
            "x-mns-request-id",
            uuid::Uuid::new_v4().simple().to_string()[..24].to_ascii_uppercase(),
        ),
        ("x-mns-topic-owner", owner.to_string()),
        ("x-mns-topic-name", sub.topic.clone()),
        ("x-mns-subscriber", owner.to_string()),
        ("x-mns-subscription-name", sub.name.clone()),
    ];
    for (attribute, header) in [
        (PUBLISH_TIME_ATTRIBUTE, "x-mns-publish-time"),
        (MESSAGE_ID_ATTRIBUTE, "x-mns-message-id"),
        (MESSAGE_TAG_ATTRIBUTE, "x-mns-message-tag"),
    ] {
        if let Some(value) = attribute_text(m, attribute) {
            headers.push((header, value.to_string()));
        }
    }
    if let Some(base) = attribute_text(m, SIGNING_BASE_ATTRIBUTE) {
        headers.push((
            "x-mns-signing-cert-url",
            push_signing::cert_url_header(base),
        ));
    }
    match push_signing::signer() {
        Ok(signer) => {
            let named: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            headers.push(("Authorization", signer.authorization(&named, target)));
        }
        Err(e) => tracing::warn!(error = e, "MNS push sent unsigned"),
    }
    // An IPv6 literal is bracketed in the URL, not in the address connected to.
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let tls = https.then(|| pusher.tls.clone());
    let exchange = crate::push_http::post(
        host,
        port,
        authority.as_str(),
        target,
        &headers,
        &m.body,
        tls,
    );
    tokio::time::timeout(PUSH_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| Err(format!("{authority} did not answer within 5 seconds")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subscriptions::NotifyStrategy;
    use bytes::Bytes;
    use polyq_core::{ManualClock, MemoryStore, NewMessage, QueueConfig, QueueStats};

    fn subscription(strategy: NotifyStrategy) -> Subscription {
        Subscription::sample("http://127.0.0.1:9/", strategy, ContentFormat::Xml)
    }

    async fn service_with_one_message() -> (QueueService, ManualClock) {
        let clock = ManualClock::new(1_000_000);
        let service = QueueService::new(Arc::new(MemoryStore::new()), Arc::new(clock.clone()));
        service
            .internal()
            .create_queue("~q", QueueConfig::default())
            .await
            .unwrap();
        service
            .internal()
            .send(
                "~q",
                vec![NewMessage {
                    body: Bytes::from_static(b"n"),
                    ..NewMessage::default()
                }],
            )
            .await
            .unwrap();
        (service, clock)
    }

    async fn stats(service: &QueueService) -> QueueStats {
        service.internal().get_queue("~q").await.unwrap().stats
    }

    async fn take(service: &QueueService) -> Message {
        let mut got = service
            .internal()
            .receive(
                "~q",
                ReceiveOptions {
                    max_messages: 1,
                    visibility_seconds: Some(PUSH_LEASE_SECONDS),
                    wait: Some(Duration::ZERO),
                    attempt_id: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(got.len(), 1);
        got.remove(0)
    }

    #[test]
    fn turns_go_to_the_longest_waiting_subscription() {
        let mut turns = Turns::default();
        let all = ["~a", "~b", "~z"];
        let order = |t: &mut Turns, ready: &[&str]| -> Vec<String> {
            let idx = t.order(all.iter().copied(), ready);
            idx.into_iter().map(|i| ready[i].to_string()).collect()
        };
        assert_eq!(order(&mut turns, &all), ["~a", "~b", "~z"]);
        // One slot: "~a" (first by name) is pushed, and is busy meanwhile.
        assert!(turns.take("~a"));
        assert!(!turns.take("~a"));
        assert_eq!(order(&mut turns, &all), ["~b", "~z"]);
        turns.busy.remove("~a");
        // "~a" is ready again at once (a slow endpoint kept busy), but "~b" and "~z" have
        // waited longer: a subscription late in name order is not starved.
        assert_eq!(order(&mut turns, &all), ["~b", "~z", "~a"]);
        assert!(turns.take("~b"));
        turns.busy.remove("~b");
        assert_eq!(order(&mut turns, &all)[0], "~z");
        // A deleted subscription's turn is forgotten.
        turns.order(["~b", "~z"].into_iter(), &[]);
        assert!(!turns.last.contains_key("~a"));
    }

    #[tokio::test]
    async fn a_panicking_push_frees_its_subscription() {
        let turns: Arc<Mutex<Turns>> = Arc::default();
        assert!(lock(&turns).take("~q"));
        let busy = Busy {
            turns: turns.clone(),
            queue: "~q".into(),
        };
        let task = tokio::spawn(async move {
            let _busy = busy;
            panic!("a push went wrong");
        });
        assert!(task.await.is_err());
        assert!(lock(&turns).busy.is_empty());
    }

    #[tokio::test]
    async fn an_https_endpoint_is_pushed_over_tls() {
        let (service, _clock) = service_with_one_message().await;
        let m = take(&service).await;
        let (port, dir, seen) = crate::push_tls::tests::receiver().await;
        let url = format!("https://localhost:{port}/notify");
        let sub = Subscription::sample(&url, NotifyStrategy::BackoffRetry, ContentFormat::Xml);
        let pusher = Pusher {
            owner: "1234".into(),
            tls: crate::push_tls::client_config(Some(&dir.path().join("ca.pem"))).unwrap(),
            turns: Arc::default(),
            slots: Arc::new(Semaphore::new(1)),
            wake: Arc::default(),
        };
        assert_eq!(post(&url, &sub, &pusher, &m).await, Ok(201));
        let seen = seen.await.unwrap().unwrap();
        assert!(seen.starts_with("POST /notify HTTP/1.1\r\n"), "{seen}");
        assert!(
            seen.contains(&format!("\r\nHost: localhost:{port}\r\n")),
            "{seen}"
        );
        assert!(seen.contains("\r\nx-mns-topic-owner: 1234\r\n"), "{seen}");
    }

    #[tokio::test]
    async fn a_failed_push_waits_for_its_retry() {
        let (service, clock) = service_with_one_message().await;
        let sub = subscription(NotifyStrategy::BackoffRetry);
        let m = take(&service).await;
        settle(&service, "~q", &sub, &m, Ok(500)).await.unwrap();
        let info = stats(&service).await;
        assert_eq!((info.visible, info.in_flight), (0, 1));
        // BACKOFF_RETRY waits 10 to 20 seconds.
        clock.advance_secs(9);
        assert_eq!(stats(&service).await.visible, 0);
        clock.advance_secs(12);
        assert_eq!(stats(&service).await.visible, 1);
    }

    #[tokio::test]
    async fn the_last_failed_attempt_drops_the_notification() {
        let (service, clock) = service_with_one_message().await;
        let sub = subscription(NotifyStrategy::BackoffRetry);
        for attempt in 1..=4 {
            let m = take(&service).await;
            assert_eq!(m.receive_count, attempt);
            settle(&service, "~q", &sub, &m, Err("refused".into()))
                .await
                .unwrap();
            clock.advance_secs(21);
        }
        let info = stats(&service).await;
        assert_eq!((info.visible, info.in_flight), (0, 0));
    }

    #[tokio::test]
    async fn a_delivered_notification_is_deleted() {
        let (service, _clock) = service_with_one_message().await;
        let sub = subscription(NotifyStrategy::ExponentialDecayRetry);
        let m = take(&service).await;
        settle(&service, "~q", &sub, &m, Ok(204)).await.unwrap();
        let info = stats(&service).await;
        assert_eq!((info.visible, info.in_flight), (0, 0));
    }

    #[test]
    fn jitter_stays_in_range_and_varies() {
        let mut m = Message {
            id: String::new(),
            seq: 0,
            body: Bytes::new(),
            attributes: Default::default(),
            system_attributes: Default::default(),
            priority: 8,
            enqueued_ms: 0,
            visible_ms: 0,
            expires_ms: None,
            receive_count: 1,
            first_receive_ms: None,
            last_receive_ms: None,
            lease: 0,
            state: polyq_core::MessageState::InFlight,
            group_id: None,
            dedup_id: None,
            sequence_number: None,
            sender_id: None,
            dead_letter_source: None,
        };
        let mut seen = std::collections::BTreeSet::new();
        for seq in 0..50 {
            m.seq = seq;
            let j = jitter(&m);
            assert!((0.0..1.0).contains(&j), "{j}");
            seen.insert((j * 10.0) as u8);
        }
        assert!(seen.len() >= 5, "{seen:?}");
    }
}
