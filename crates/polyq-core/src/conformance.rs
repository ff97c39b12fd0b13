//! The store conformance suite: one set of behaviours every [`QueueStore`] must show, run by
//! each store crate through [`store_conformance_tests!`](crate::store_conformance_tests).
//!
//! Each case gets a fresh, empty store and drives time itself through the `now` argument, so no
//! case sleeps.

use bytes::Bytes;

use crate::error::CoreError;
use crate::model::*;
use crate::store::QueueStore;
use crate::Receipt;

/// A fixed start time (2023-11-14) so cases are reproducible.
pub const T0: u64 = 1_700_000_000_000;
const SEC: u64 = 1000;

/// Generates one `#[tokio::test]` per conformance case. `$factory` is an expression that
/// evaluates to a future yielding a fresh store (evaluated once per case).
#[macro_export]
macro_rules! store_conformance_tests {
    ($factory:expr) => {
        $crate::__conformance_cases!($factory;
            create_get_list_delete, create_existing_reports_it, list_prefix_and_paging,
            update_queue_config, send_lease_delete_roundtrip, priority_then_send_order,
            delay_hides_until_due, visibility_expiry_redelivers, stale_and_unknown_receipts,
            change_visibility_semantics, dead_letter_after_max_receives, fifo_group_blocking,
            fifo_dedup_window, expiry_and_ttl, purge_removes_everything, peek_and_get_message,
            move_messages_back_to_source, attempt_id_replays_lease, stats_track_states,
            missing_queue_errors, update_message_replaces_body
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ($factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let store = $factory.await;
                $crate::conformance::$case(&store).await;
            }
        )*
    };
}

fn body(text: &str) -> NewMessage {
    NewMessage {
        body: Bytes::copy_from_slice(text.as_bytes()),
        ..Default::default()
    }
}

fn lease(max: usize, vis: u32) -> LeaseRequest {
    LeaseRequest {
        max_messages: max,
        visibility_seconds: Some(vis),
        attempt_id: None,
    }
}

fn texts(msgs: &[Message]) -> Vec<String> {
    msgs.iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect()
}

async fn make(store: &dyn QueueStore, name: &str, config: QueueConfig) {
    match store.create_queue(name, config, T0).await.unwrap() {
        CreateOutcome::Created(info) => assert_eq!(info.name, name),
        CreateOutcome::Exists(_) => panic!("queue {name} already existed in a fresh store"),
    }
}

async fn send_all(store: &dyn QueueStore, q: &str, msgs: Vec<NewMessage>, now: u64) -> Vec<Sent> {
    store
        .send(q, msgs, now)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

fn fifo() -> QueueConfig {
    QueueConfig {
        fifo: true,
        ..Default::default()
    }
}

fn grouped(text: &str, group: &str, dedup: &str) -> NewMessage {
    NewMessage {
        group_id: Some(group.into()),
        dedup_id: Some(dedup.into()),
        ..body(text)
    }
}

pub async fn create_get_list_delete(store: &dyn QueueStore) {
    make(store, "alpha", QueueConfig::default()).await;
    let info = store.get_queue("alpha", T0).await.unwrap();
    assert_eq!(info.config, QueueConfig::default());
    assert_eq!(info.created_ms, T0);
    assert_eq!(info.stats, QueueStats::default());
    assert_eq!(store.list_queues("", None, 100, T0).await.unwrap().len(), 1);
    store.delete_queue("alpha").await.unwrap();
    assert_eq!(
        store.get_queue("alpha", T0).await,
        Err(CoreError::QueueNotFound("alpha".into()))
    );
    assert!(store
        .list_queues("", None, 100, T0)
        .await
        .unwrap()
        .is_empty());
}

pub async fn create_existing_reports_it(store: &dyn QueueStore) {
    let config = QueueConfig {
        visibility_timeout: 60,
        ..Default::default()
    };
    make(store, "q", config.clone()).await;
    match store
        .create_queue("q", QueueConfig::default(), T0 + SEC)
        .await
        .unwrap()
    {
        CreateOutcome::Exists(info) => assert_eq!(info.config, config, "existing config is kept"),
        other => panic!("expected Exists, got {other:?}"),
    }
}

pub async fn list_prefix_and_paging(store: &dyn QueueStore) {
    for n in ["b-2", "a-1", "b-1", "b-3", "c-1"] {
        make(store, n, QueueConfig::default()).await;
    }
    let names = |v: Vec<QueueInfo>| v.into_iter().map(|q| q.name).collect::<Vec<_>>();
    assert_eq!(
        names(store.list_queues("b-", None, 100, T0).await.unwrap()),
        ["b-1", "b-2", "b-3"]
    );
    assert_eq!(
        names(store.list_queues("b-", None, 2, T0).await.unwrap()),
        ["b-1", "b-2"]
    );
    assert_eq!(
        names(store.list_queues("b-", Some("b-2"), 2, T0).await.unwrap()),
        ["b-3"]
    );
    assert_eq!(
        names(store.list_queues("", Some("b-3"), 10, T0).await.unwrap()),
        ["c-1"]
    );
    assert!(store
        .list_queues("zzz", None, 10, T0)
        .await
        .unwrap()
        .is_empty());
}

pub async fn update_queue_config(store: &dyn QueueStore) {
    make(store, "q", QueueConfig::default()).await;
    let info = store
        .update_queue(
            "q",
            Box::new(|c| {
                c.visibility_timeout = 5;
                c.tags.insert("team".into(), "core".into());
                Ok(())
            }),
            T0 + 5 * SEC,
        )
        .await
        .unwrap();
    assert_eq!(info.config.visibility_timeout, 5);
    assert_eq!(info.modified_ms, T0 + 5 * SEC);
    let refused = store
        .update_queue(
            "q",
            Box::new(|c| {
                c.delay_seconds = 99;
                Err(CoreError::InvalidArgument("no".into()))
            }),
            T0,
        )
        .await;
    assert!(matches!(refused, Err(CoreError::InvalidArgument(_))));
    let info = store.get_queue("q", T0).await.unwrap();
    assert_eq!(
        info.config.delay_seconds, 0,
        "a refused update changes nothing"
    );
    assert_eq!(
        info.config.tags.get("team").map(String::as_str),
        Some("core")
    );
}

pub async fn send_lease_delete_roundtrip(store: &dyn QueueStore) {
    make(store, "q", QueueConfig::default()).await;
    let mut m = body("hello");
    m.attributes.insert(
        "k".into(),
        MessageAttribute {
            data_type: "Binary".into(),
            value: AttributeValue::Binary(Bytes::from_static(&[0, 1, 2])),
        },
    );
    let sent = send_all(store, "q", vec![m], T0).await;
    assert_eq!(sent.len(), 1);
    assert!(!sent[0].deduplicated);
    let got = store.lease("q", lease(10, 30), T0).await.unwrap().messages;
    assert_eq!(texts(&got), ["hello"]);
    let m = &got[0];
    assert_eq!(m.id, sent[0].id);
    assert_eq!(m.receive_count, 1);
    assert_eq!(m.first_receive_ms, Some(T0));
    assert_eq!(m.visible_ms, T0 + 30 * SEC);
    assert_eq!(
        m.attributes["k"].value,
        AttributeValue::Binary(Bytes::from_static(&[0, 1, 2]))
    );
    assert!(
        store
            .lease("q", lease(10, 30), T0)
            .await
            .unwrap()
            .messages
            .is_empty(),
        "leased message is hidden"
    );
    let res = store.delete("q", &[m.receipt()], T0 + SEC).await.unwrap();
    assert_eq!(res, vec![Ok(())]);
    let res = store.delete("q", &[m.receipt()], T0 + SEC).await.unwrap();
    assert_eq!(res, vec![Err(CoreError::MessageNotFound)]);
    assert!(store
        .lease("q", lease(10, 30), T0 + 100 * SEC)
        .await
        .unwrap()
        .messages
        .is_empty());
}

pub async fn priority_then_send_order(store: &dyn QueueStore) {
    make(store, "q", QueueConfig::default()).await;
    let with_priority = |t: &str, p: u8| NewMessage {
        priority: Some(p),
        ..body(t)
    };
    send_all(
        store,
        "q",
        vec![
            with_priority("low-1", 16),
            body("mid-1"),
            with_priority("high-1", 1),
            body("mid-2"),
            with_priority("high-2", 1),
        ],
        T0,
    )
    .await;
    let got = store.lease("q", lease(3, 30), T0).await.unwrap().messages;
    assert_eq!(texts(&got), ["high-1", "high-2", "mid-1"]);
    let got = store.lease("q", lease(10, 30), T0).await.unwrap().messages;
    assert_eq!(texts(&got), ["mid-2", "low-1"]);
    let bad = store
        .send("q", vec![with_priority("x", 17)], T0)
        .await
        .unwrap();
    assert!(matches!(bad[0], Err(CoreError::InvalidArgument(_))));
}

pub async fn delay_hides_until_due(store: &dyn QueueStore) {
    make(
        store,
        "q",
        QueueConfig {
            delay_seconds: 10,
            ..Default::default()
        },
    )
    .await;
    let own_delay = NewMessage {
        delay_seconds: Some(2),
        ..body("two")
    };
    let zero = NewMessage {
        delay_seconds: Some(0),
        ..body("zero")
    };
    send_all(store, "q", vec![body("queue-default"), own_delay, zero], T0).await;
    let out = store.lease("q", lease(10, 30), T0).await.unwrap();
    assert_eq!(texts(&out.messages), ["zero"]);
    assert_eq!(
        out.next_visible_ms,
        Some(T0 + 2 * SEC),
        "the long poll learns when to look again"
    );
    assert_eq!(store.get_queue("q", T0).await.unwrap().stats.delayed, 2);
    assert!(store
        .lease("q", lease(10, 30), T0 + 1999)
        .await
        .unwrap()
        .messages
        .is_empty());
    assert_eq!(
        texts(
            &store
                .lease("q", lease(10, 30), T0 + 2 * SEC)
                .await
                .unwrap()
                .messages
        ),
        ["two"]
    );
    assert_eq!(
        texts(
            &store
                .lease("q", lease(10, 30), T0 + 10 * SEC)
                .await
                .unwrap()
                .messages
        ),
        ["queue-default"]
    );
}

pub async fn visibility_expiry_redelivers(store: &dyn QueueStore) {
    make(
        store,
        "q",
        QueueConfig {
            visibility_timeout: 20,
            ..Default::default()
        },
    )
    .await;
    send_all(store, "q", vec![body("a")], T0).await;
    let first = store
        .lease(
            "q",
            LeaseRequest {
                max_messages: 1,
                ..Default::default()
            },
            T0,
        )
        .await
        .unwrap()
        .messages;
    assert_eq!(
        first[0].visible_ms,
        T0 + 20 * SEC,
        "queue default visibility applies"
    );
    assert!(store
        .lease("q", lease(1, 5), T0 + 19 * SEC)
        .await
        .unwrap()
        .messages
        .is_empty());
    let second = store
        .lease("q", lease(1, 5), T0 + 20 * SEC)
        .await
        .unwrap()
        .messages;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].id, first[0].id);
    assert_eq!(second[0].receive_count, 2);
    assert_eq!(
        second[0].first_receive_ms,
        Some(T0),
        "first receive time is kept"
    );
    assert_ne!(
        second[0].receipt(),
        first[0].receipt(),
        "each lease gets its own receipt"
    );
}

pub async fn stale_and_unknown_receipts(store: &dyn QueueStore) {
    make(store, "q", QueueConfig::default()).await;
    send_all(store, "q", vec![body("a")], T0).await;
    let first = store.lease("q", lease(1, 0), T0).await.unwrap().messages;
    let second = store
        .lease("q", lease(1, 30), T0 + 1)
        .await
        .unwrap()
        .messages;
    assert_eq!(
        second.len(),
        1,
        "visibility 0 makes the message visible again at once"
    );
    let res = store
        .delete("q", &[first[0].receipt()], T0 + 2)
        .await
        .unwrap();
    assert_eq!(res, vec![Err(CoreError::ReceiptStale)]);
    let unknown = Receipt {
        seq: u64::MAX / 2,
        lease: 1,
    };
    assert_eq!(
        store.delete("q", &[unknown], T0 + 2).await.unwrap(),
        vec![Err(CoreError::MessageNotFound)]
    );
    assert_eq!(
        store
            .delete("q", &[second[0].receipt()], T0 + 3)
            .await
            .unwrap(),
        vec![Ok(())]
    );
}

pub async fn change_visibility_semantics(store: &dyn QueueStore) {
    make(store, "q", QueueConfig::default()).await;
    send_all(store, "q", vec![body("a"), body("b")], T0).await;
    let got = store.lease("q", lease(2, 30), T0).await.unwrap().messages;
    let keep = VisibilityChange {
        receipt: got[0].receipt(),
        visibility_seconds: 100,
        renew_receipt: false,
        require_in_flight: true,
    };
    let res = store
        .change_visibility("q", &[keep], T0 + SEC)
        .await
        .unwrap();
    let relet = res[0].clone().unwrap();
    assert_eq!(
        relet.receipt,
        got[0].receipt(),
        "SQS-style change keeps the receipt"
    );
    assert_eq!(relet.visible_ms, T0 + 101 * SEC);
    let s = store.get_queue("q", T0 + 50 * SEC).await.unwrap().stats;
    assert_eq!(
        (s.visible, s.in_flight),
        (1, 1),
        "b's lease ran out, a's was extended"
    );
    // Visibility 0 releases the message at once.
    let release = VisibilityChange {
        receipt: got[1].receipt(),
        visibility_seconds: 0,
        renew_receipt: true,
        require_in_flight: false,
    };
    let relet = store
        .change_visibility("q", &[release], T0 + 2 * SEC)
        .await
        .unwrap()[0]
        .clone()
        .unwrap();
    assert_ne!(
        relet.receipt,
        got[1].receipt(),
        "renewal mints a new receipt"
    );
    let stale = store
        .change_visibility("q", &[release], T0 + 2 * SEC)
        .await
        .unwrap();
    assert_eq!(stale, vec![Err(CoreError::ReceiptStale)]);
    let not_in_flight = VisibilityChange {
        receipt: relet.receipt,
        visibility_seconds: 5,
        renew_receipt: false,
        require_in_flight: true,
    };
    let res = store
        .change_visibility("q", &[not_in_flight], T0 + 3 * SEC)
        .await
        .unwrap();
    assert_eq!(res, vec![Err(CoreError::MessageNotInFlight)]);
    // Without the in-flight requirement a visible message can be hidden again by its holder.
    let rehide = VisibilityChange {
        require_in_flight: false,
        ..not_in_flight
    };
    assert!(store
        .change_visibility("q", &[rehide], T0 + 3 * SEC)
        .await
        .unwrap()[0]
        .is_ok());
    assert_eq!(
        store
            .get_queue("q", T0 + 3 * SEC)
            .await
            .unwrap()
            .stats
            .in_flight,
        2
    );
}

pub async fn dead_letter_after_max_receives(store: &dyn QueueStore) {
    make(store, "dlq", QueueConfig::default()).await;
    let redrive = RedrivePolicy {
        dead_letter_queue: "dlq".into(),
        max_receive_count: 2,
    };
    make(
        store,
        "src",
        QueueConfig {
            redrive: Some(redrive),
            ..Default::default()
        },
    )
    .await;
    let sent = send_all(store, "src", vec![body("poison"), body("fine")], T0).await;
    for round in 0..2u64 {
        let got = store
            .lease("src", lease(1, 0), T0 + round)
            .await
            .unwrap()
            .messages;
        assert_eq!(texts(&got), ["poison"]);
    }
    let got = store
        .lease("src", lease(10, 30), T0 + 5)
        .await
        .unwrap()
        .messages;
    assert_eq!(
        texts(&got),
        ["fine"],
        "third attempt moves poison instead of delivering it"
    );
    let dead = store
        .lease("dlq", lease(10, 30), T0 + 6)
        .await
        .unwrap()
        .messages;
    assert_eq!(texts(&dead), ["poison"]);
    assert_eq!(dead[0].id, sent[0].id, "the message keeps its id");
    assert_eq!(dead[0].dead_letter_source.as_deref(), Some("src"));
}

pub async fn fifo_group_blocking(store: &dyn QueueStore) {
    make(store, "f.fifo", fifo()).await;
    let sent = send_all(
        store,
        "f.fifo",
        vec![
            grouped("a1", "A", "1"),
            grouped("b1", "B", "2"),
            grouped("a2", "A", "3"),
            grouped("b2", "B", "4"),
        ],
        T0,
    )
    .await;
    let seqs: Vec<u64> = sent.iter().map(|s| s.sequence_number.unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "sequence numbers increase: {seqs:?}"
    );
    let first = store
        .lease("f.fifo", lease(1, 30), T0)
        .await
        .unwrap()
        .messages;
    assert_eq!(texts(&first), ["a1"]);
    // Group A is blocked while a1 is in flight; B still delivers, in order.
    let next = store
        .lease("f.fifo", lease(10, 30), T0)
        .await
        .unwrap()
        .messages;
    assert_eq!(texts(&next), ["b1", "b2"]);
    assert!(store
        .lease("f.fifo", lease(10, 30), T0)
        .await
        .unwrap()
        .messages
        .is_empty());
    store
        .delete("f.fifo", &[first[0].receipt()], T0 + 1)
        .await
        .unwrap()[0]
        .clone()
        .unwrap();
    let after = store
        .lease("f.fifo", lease(10, 30), T0 + 1)
        .await
        .unwrap()
        .messages;
    assert_eq!(texts(&after), ["a2"]);
    // When b1's lease runs out, b1 comes back first, before b2.
    let redo = store
        .lease("f.fifo", lease(1, 30), T0 + 31 * SEC)
        .await
        .unwrap()
        .messages;
    assert_eq!(texts(&redo), ["b1"]);
    let missing_group = store.send("f.fifo", vec![body("x")], T0).await.unwrap();
    assert!(matches!(
        missing_group[0],
        Err(CoreError::InvalidArgument(_))
    ));
}

pub async fn fifo_dedup_window(store: &dyn QueueStore) {
    make(store, "d.fifo", fifo()).await;
    let first = send_all(store, "d.fifo", vec![grouped("x", "g", "same")], T0).await;
    let again = send_all(
        store,
        "d.fifo",
        vec![grouped("x", "g", "same")],
        T0 + 60 * SEC,
    )
    .await;
    assert!(again[0].deduplicated);
    assert_eq!(again[0].id, first[0].id);
    assert_eq!(again[0].sequence_number, first[0].sequence_number);
    assert_eq!(
        store
            .get_queue("d.fifo", T0 + 60 * SEC)
            .await
            .unwrap()
            .stats
            .visible,
        1
    );
    let later = send_all(
        store,
        "d.fifo",
        vec![grouped("x", "g", "same")],
        T0 + DEDUP_WINDOW_MS + SEC,
    )
    .await;
    assert!(!later[0].deduplicated, "the window is five minutes");
    // Scope per message group: the same id in another group is a new message.
    make(
        store,
        "s.fifo",
        QueueConfig {
            dedup_scope: DedupScope::MessageGroup,
            ..fifo()
        },
    )
    .await;
    let a = send_all(
        store,
        "s.fifo",
        vec![grouped("x", "g1", "id"), grouped("x", "g2", "id")],
        T0,
    )
    .await;
    assert!(!a[0].deduplicated && !a[1].deduplicated);
}

pub async fn expiry_and_ttl(store: &dyn QueueStore) {
    make(
        store,
        "q",
        QueueConfig {
            retention_seconds: 60,
            ..Default::default()
        },
    )
    .await;
    let ttl = |t: &str, ttl| NewMessage { ttl, ..body(t) };
    send_all(
        store,
        "q",
        vec![
            body("retained"),
            ttl("short", MessageTtl::Seconds(10)),
            ttl("forever", MessageTtl::Never),
        ],
        T0,
    )
    .await;
    let peeked = store.peek("q", 10, T0 + 10 * SEC).await.unwrap();
    assert_eq!(
        texts(&peeked),
        ["retained", "forever"],
        "a message is gone at its expiry time"
    );
    assert_eq!(peeked[1].expires_ms, None);
    let got = store
        .lease("q", lease(10, 5), T0 + 59 * SEC)
        .await
        .unwrap()
        .messages;
    assert_eq!(got.len(), 2);
    // In-flight messages expire too.
    let left = store.peek("q", 10, T0 + 200 * SEC).await.unwrap();
    assert_eq!(texts(&left), ["forever"]);
    assert_eq!(
        store
            .get_queue("q", T0 + 200 * SEC)
            .await
            .unwrap()
            .stats
            .in_flight,
        0
    );
}

pub async fn purge_removes_everything(store: &dyn QueueStore) {
    make(store, "q", QueueConfig::default()).await;
    let delayed = NewMessage {
        delay_seconds: Some(100),
        ..body("later")
    };
    send_all(store, "q", vec![body("a"), body("b"), delayed], T0).await;
    store.lease("q", lease(1, 30), T0).await.unwrap();
    assert_eq!(store.purge_queue("q", T0).await.unwrap(), 3);
    assert_eq!(
        store.get_queue("q", T0).await.unwrap().stats,
        QueueStats::default()
    );
    assert!(store
        .lease("q", lease(10, 30), T0 + 1000 * SEC)
        .await
        .unwrap()
        .messages
        .is_empty());
}

pub async fn peek_and_get_message(store: &dyn QueueStore) {
    make(store, "q", QueueConfig::default()).await;
    let sent = send_all(store, "q", vec![body("a"), body("b")], T0).await;
    let peeked = store.peek("q", 1, T0).await.unwrap();
    assert_eq!(texts(&peeked), ["a"]);
    assert_eq!(
        peeked[0].receive_count, 0,
        "peeking does not count as a receive"
    );
    let leased = store.lease("q", lease(1, 30), T0).await.unwrap().messages;
    assert_eq!(texts(&store.peek("q", 10, T0).await.unwrap()), ["b"]);
    let got = store.get_message("q", &sent[0].id, T0).await.unwrap();
    assert_eq!(got.state, MessageState::InFlight);
    assert_eq!(got.lease, leased[0].lease);
    assert_eq!(
        store.get_message("q", "nope", T0).await,
        Err(CoreError::MessageNotFound)
    );
}

pub async fn move_messages_back_to_source(store: &dyn QueueStore) {
    make(store, "dlq", QueueConfig::default()).await;
    let redrive = RedrivePolicy {
        dead_letter_queue: "dlq".into(),
        max_receive_count: 1,
    };
    make(
        store,
        "src",
        QueueConfig {
            redrive: Some(redrive),
            ..Default::default()
        },
    )
    .await;
    make(store, "other", QueueConfig::default()).await;
    send_all(store, "src", vec![body("m1"), body("m2"), body("m3")], T0).await;
    store.lease("src", lease(10, 0), T0).await.unwrap();
    assert!(store
        .lease("src", lease(10, 0), T0 + 1)
        .await
        .unwrap()
        .messages
        .is_empty());
    assert_eq!(
        store.get_queue("dlq", T0 + 1).await.unwrap().stats.visible,
        3
    );
    assert_eq!(
        store.move_messages("dlq", None, 2, T0 + 2).await.unwrap(),
        2
    );
    assert_eq!(
        store
            .move_messages("dlq", Some("other"), 10, T0 + 2)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.move_messages("dlq", None, 10, T0 + 2).await.unwrap(),
        0
    );
    let back = store
        .lease("src", lease(10, 30), T0 + 3)
        .await
        .unwrap()
        .messages;
    assert_eq!(texts(&back), ["m1", "m2"]);
    assert!(
        back.iter().all(|m| m.receive_count == 1),
        "receive count restarts after a move"
    );
    assert_eq!(
        texts(
            &store
                .lease("other", lease(10, 30), T0 + 3)
                .await
                .unwrap()
                .messages
        ),
        ["m3"]
    );
}

pub async fn attempt_id_replays_lease(store: &dyn QueueStore) {
    make(store, "f.fifo", fifo()).await;
    send_all(
        store,
        "f.fifo",
        vec![grouped("a", "g", "1"), grouped("b", "h", "2")],
        T0,
    )
    .await;
    let req = LeaseRequest {
        max_messages: 1,
        visibility_seconds: Some(30),
        attempt_id: Some("try-1".into()),
    };
    let first = store
        .lease("f.fifo", req.clone(), T0)
        .await
        .unwrap()
        .messages;
    let retry = store
        .lease("f.fifo", req.clone(), T0 + SEC)
        .await
        .unwrap()
        .messages;
    assert_eq!(
        first, retry,
        "a retried attempt gets the same messages and receipts"
    );
    store
        .delete("f.fifo", &[first[0].receipt()], T0 + 2 * SEC)
        .await
        .unwrap();
    let after_delete = store
        .lease("f.fifo", req, T0 + 3 * SEC)
        .await
        .unwrap()
        .messages;
    assert_eq!(
        texts(&after_delete),
        ["b"],
        "once the lease changed, the attempt id leases anew"
    );
}

pub async fn stats_track_states(store: &dyn QueueStore) {
    make(store, "q", QueueConfig::default()).await;
    let delayed = NewMessage {
        delay_seconds: Some(50),
        ..body("d")
    };
    send_all(store, "q", vec![body("a"), body("b"), delayed], T0).await;
    store.lease("q", lease(1, 30), T0).await.unwrap();
    let s = store.get_queue("q", T0).await.unwrap().stats;
    assert_eq!((s.visible, s.in_flight, s.delayed), (1, 1, 1));
    let s = store.get_queue("q", T0 + 60 * SEC).await.unwrap().stats;
    assert_eq!((s.visible, s.in_flight, s.delayed), (3, 0, 0));
}

pub async fn missing_queue_errors(store: &dyn QueueStore) {
    let nf = || CoreError::QueueNotFound("ghost".into());
    assert_eq!(
        store.send("ghost", vec![body("x")], T0).await.unwrap_err(),
        nf()
    );
    assert_eq!(
        store.lease("ghost", lease(1, 1), T0).await.unwrap_err(),
        nf()
    );
    assert_eq!(store.delete_queue("ghost").await.unwrap_err(), nf());
    assert_eq!(store.purge_queue("ghost", T0).await.unwrap_err(), nf());
    assert_eq!(store.peek("ghost", 1, T0).await.unwrap_err(), nf());
    assert_eq!(store.delete("ghost", &[], T0).await.unwrap_err(), nf());
    assert_eq!(
        store.change_visibility("ghost", &[], T0).await.unwrap_err(),
        nf()
    );
    assert_eq!(
        store
            .update_queue("ghost", Box::new(|_| Ok(())), T0)
            .await
            .unwrap_err(),
        nf()
    );
    assert_eq!(
        store.move_messages("ghost", None, 1, T0).await.unwrap_err(),
        nf()
    );
}

pub async fn update_message_replaces_body(store: &dyn QueueStore) {
    make(store, "q", QueueConfig::default()).await;
    let sent = send_all(store, "q", vec![body("old")], T0).await;
    let change = VisibilityChange {
        receipt: sent[0].receipt,
        visibility_seconds: 0,
        renew_receipt: true,
        require_in_flight: false,
    };
    let relet = store
        .update_message("q", change, Some(Bytes::from_static(b"new")), T0 + 1)
        .await
        .unwrap();
    assert_ne!(relet.receipt, sent[0].receipt);
    let got = store
        .lease("q", lease(1, 30), T0 + 2)
        .await
        .unwrap()
        .messages;
    assert_eq!(texts(&got), ["new"]);
    // Without a body only the visibility changes; a stale receipt changes nothing.
    let keep = VisibilityChange {
        receipt: got[0].receipt(),
        visibility_seconds: 0,
        renew_receipt: true,
        require_in_flight: false,
    };
    store.update_message("q", keep, None, T0 + 3).await.unwrap();
    let stale = store
        .update_message("q", keep, Some(Bytes::from_static(b"lost")), T0 + 4)
        .await;
    assert_eq!(stale, Err(CoreError::ReceiptStale));
    let again = store
        .lease("q", lease(1, 30), T0 + 5)
        .await
        .unwrap()
        .messages;
    assert_eq!(texts(&again), ["new"]);
}
