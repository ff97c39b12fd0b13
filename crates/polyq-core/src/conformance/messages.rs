//! Conformance cases: sending, leasing, deleting, visibility, priority, delay, expiry, peeking.

use super::*;

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
    // A visibility change by the older receipt: refused unless the dialect accepts older
    // receipts (SQS), which applies it to the message (here: visible again at once).
    let older = |accept_older_receipt| VisibilityChange {
        receipt: first[0].receipt(),
        visibility_seconds: 0,
        renew_receipt: false,
        require_hidden: false,
        accept_older_receipt,
        max_total_seconds: None,
    };
    let refused = store.change_visibility("q", &[older(false)], T0 + 2).await;
    assert_eq!(
        refused.unwrap()[0].clone().map(|_| ()),
        Err(CoreError::ReceiptStale)
    );
    let hidden = store.lease("q", lease(1, 30), T0 + 2).await.unwrap();
    assert!(
        hidden.messages.is_empty(),
        "still leased by the second receive"
    );
    let applied = store.change_visibility("q", &[older(true)], T0 + 2).await;
    let relet = applied.unwrap()[0].clone().expect("older receipt accepted");
    assert_eq!(relet.visible_ms, T0 + 2);
    assert_eq!(
        relet.receipt.lease, second[0].lease,
        "the message keeps its latest lease"
    );
    let third = store
        .lease("q", lease(1, 30), T0 + 3)
        .await
        .unwrap()
        .messages;
    assert_eq!(texts(&third), ["a"], "visible again after the change");
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
            .delete("q", &[third[0].receipt()], T0 + 4)
            .await
            .unwrap(),
        vec![Ok(())]
    );
}

/// `delete_leased` deletes only while the receipt's lease runs; once the visibility timeout has
/// passed the message stays, even though the receipt is still its latest.
pub async fn delete_leased_only_while_leased(store: &dyn QueueStore) {
    make(store, "q", QueueConfig::default()).await;
    send_all(store, "q", vec![body("a")], T0).await;
    let first = store.lease("q", lease(1, 30), T0).await.unwrap().messages;
    let lapsed = store
        .delete_leased("q", &[first[0].receipt()], T0 + 31 * SEC)
        .await
        .unwrap();
    assert_eq!(lapsed, vec![Err(CoreError::MessageNotInFlight)]);
    let second = store
        .lease("q", lease(1, 30), T0 + 32 * SEC)
        .await
        .unwrap()
        .messages;
    assert_eq!(texts(&second), ["a"], "the message stayed");
    let stale = store
        .delete_leased("q", &[first[0].receipt()], T0 + 33 * SEC)
        .await
        .unwrap();
    assert_eq!(stale, vec![Err(CoreError::ReceiptStale)]);
    let ok = store
        .delete_leased("q", &[second[0].receipt()], T0 + 33 * SEC)
        .await
        .unwrap();
    assert_eq!(ok, vec![Ok(())]);
    let gone = store
        .delete_leased("q", &[second[0].receipt()], T0 + 34 * SEC)
        .await
        .unwrap();
    assert_eq!(gone, vec![Err(CoreError::MessageNotFound)]);
    // A still-delayed message is hidden under its send's receipt (MNS hands it out).
    let delayed = NewMessage {
        delay_seconds: Some(10),
        ..body("later")
    };
    let sent = send_all(store, "q", vec![delayed], T0 + 40 * SEC).await;
    let rollback = store
        .delete_leased("q", &[sent[0].receipt], T0 + 41 * SEC)
        .await
        .unwrap();
    assert_eq!(rollback, vec![Ok(())]);
    // Still delayed, it takes a change by that receipt even when the change asks for a hidden
    // message (MNS's transaction commit); once the delay has passed it no longer does.
    let prepared = NewMessage {
        delay_seconds: Some(10),
        ..body("prepared")
    };
    let sent = send_all(store, "q", vec![prepared], T0 + 50 * SEC).await;
    let commit = VisibilityChange {
        receipt: sent[0].receipt,
        visibility_seconds: 1,
        renew_receipt: false,
        require_hidden: true,
        accept_older_receipt: false,
        max_total_seconds: None,
    };
    let res = store
        .change_visibility("q", &[commit], T0 + 51 * SEC)
        .await
        .unwrap();
    assert_eq!(res[0].as_ref().map(|r| r.visible_ms), Ok(T0 + 52 * SEC));
    // Visible at exactly its time: no longer hidden.
    let res = store
        .change_visibility("q", &[commit], T0 + 52 * SEC)
        .await
        .unwrap();
    assert_eq!(res, vec![Err(CoreError::MessageNotInFlight)]);
}

/// SQS's 12-hour cap counts from the receive that leased the message: whole seconds elapsed
/// since it plus the new timeout may not pass the cap; a refused change changes nothing; a new
/// receive starts the count again; without a cap (MNS, Azure) nothing is counted.
pub async fn visibility_total_cap(store: &dyn QueueStore) {
    make(store, "q", QueueConfig::default()).await;
    send_all(store, "q", vec![body("a")], T0).await;
    let received = T0 + 5 * SEC;
    let got = store
        .lease("q", lease(1, 30), received)
        .await
        .unwrap()
        .messages;
    assert_eq!(got[0].last_receive_ms, Some(received));
    let capped = |receipt, visibility_seconds| VisibilityChange {
        receipt,
        visibility_seconds,
        renew_receipt: false,
        require_hidden: true,
        accept_older_receipt: true,
        max_total_seconds: Some(43_200),
    };
    let change = |c: VisibilityChange, now: u64| async move {
        store.change_visibility("q", &[c], now).await.unwrap()[0].clone()
    };
    // Under a second after the receive, the whole 12 hours are still there.
    let full = change(capped(got[0].receipt(), 43_200), received + 999).await;
    assert_eq!(full.unwrap().visible_ms, received + 999 + 43_200 * SEC);
    // One second later they are not, and the refusal leaves the lease as it was.
    let over = change(capped(got[0].receipt(), 43_200), received + SEC).await;
    assert_eq!(over, Err(CoreError::VisibilityBeyondLimit(43_200)));
    let later = received + 1_000 * SEC;
    let s = store.get_queue("q", later).await.unwrap().stats;
    assert_eq!(
        s.in_flight, 1,
        "still hidden by the change before the refused one"
    );
    let over = change(capped(got[0].receipt(), 42_201), later).await;
    assert_eq!(over, Err(CoreError::VisibilityBeyondLimit(43_200)));
    let exact = change(capped(got[0].receipt(), 42_200), later).await;
    assert_eq!(exact.unwrap().visible_ms, received + 43_200 * SEC);
    // Without a cap the count does not apply.
    let uncapped = VisibilityChange {
        max_total_seconds: None,
        ..capped(got[0].receipt(), 43_200)
    };
    assert!(change(uncapped, later + SEC).await.is_ok());
    // A new receive starts the count again.
    let release = change(capped(got[0].receipt(), 0), later + 2 * SEC).await;
    assert!(release.is_ok());
    let again = received + 20_000 * SEC;
    let got = store
        .lease("q", lease(1, 30), again)
        .await
        .unwrap()
        .messages;
    assert_eq!(
        (got[0].last_receive_ms, got[0].receive_count),
        (Some(again), 2)
    );
    assert_eq!(got[0].first_receive_ms, Some(received));
    let renewed = change(capped(got[0].receipt(), 43_200), again + 500).await;
    assert!(renewed.is_ok(), "{renewed:?}");
}

pub async fn change_visibility_semantics(store: &dyn QueueStore) {
    make(store, "q", QueueConfig::default()).await;
    send_all(store, "q", vec![body("a"), body("b")], T0).await;
    let got = store.lease("q", lease(2, 30), T0).await.unwrap().messages;
    let keep = VisibilityChange {
        receipt: got[0].receipt(),
        visibility_seconds: 100,
        renew_receipt: false,
        require_hidden: true,
        accept_older_receipt: false,
        max_total_seconds: None,
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
        require_hidden: false,
        accept_older_receipt: false,
        max_total_seconds: None,
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
        require_hidden: true,
        accept_older_receipt: false,
        max_total_seconds: None,
    };
    let res = store
        .change_visibility("q", &[not_in_flight], T0 + 3 * SEC)
        .await
        .unwrap();
    assert_eq!(res, vec![Err(CoreError::MessageNotInFlight)]);
    // Without `require_hidden` a visible message can be hidden again by its holder.
    let rehide = VisibilityChange {
        require_hidden: false,
        accept_older_receipt: false,
        max_total_seconds: None,
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

pub async fn update_message_replaces_body(store: &dyn QueueStore) {
    make(store, "q", QueueConfig::default()).await;
    let sent = send_all(store, "q", vec![body("old")], T0).await;
    let change = VisibilityChange {
        receipt: sent[0].receipt,
        visibility_seconds: 0,
        renew_receipt: true,
        require_hidden: false,
        accept_older_receipt: false,
        max_total_seconds: None,
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
        require_hidden: false,
        accept_older_receipt: false,
        max_total_seconds: None,
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
