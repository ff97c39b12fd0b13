//! Conformance cases: dead-letter redrive, message moves, FIFO groups, deduplication, attempt ids.

use super::*;

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
    assert_eq!(dead[0].receive_count, 3, "its receive count carries on");
    assert_eq!(
        dead[0].first_receive_ms,
        Some(T0),
        "and so does its first receive"
    );
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

/// A fresh FIFO queue `name` holding `(text, group)` messages, sent in order at `T0`.
async fn fifo_groups(store: &dyn QueueStore, name: &str, msgs: &[(&str, &str)]) {
    make(store, name, fifo()).await;
    let sends = msgs
        .iter()
        .enumerate()
        .map(|(i, (text, group))| grouped(text, group, &i.to_string()))
        .collect();
    send_all(store, name, sends, T0).await;
}

/// SQS's order between FIFO groups (recorded from AWS): a group takes its turn when its head
/// message becomes visible, so a group whose lease ends goes behind the groups that waited;
/// a group is served again as soon as its head is visible, even while a later message of it
/// is in flight; a group whose head is in flight delivers nothing.
pub async fn fifo_group_turns(store: &dyn QueueStore) {
    fifo_groups(
        store,
        "t.fifo",
        &[
            ("g1-m1", "g1"),
            ("g2-m1", "g2"),
            ("g2-m2", "g2"),
            ("g3-m1", "g3"),
            ("g1-m2", "g1"),
        ],
    )
    .await;
    let first = store.lease("t.fifo", lease(3, 0), T0 + SEC).await.unwrap();
    assert_eq!(texts(&first.messages), ["g1-m1", "g1-m2", "g2-m1"]);
    // g1 and g2 came back at T0+1s, after g3 (visible since T0): g3 first, then g1, g2.
    let all = store
        .lease("t.fifo", lease(10, 30), T0 + 2 * SEC)
        .await
        .unwrap();
    assert_eq!(
        texts(&all.messages),
        ["g3-m1", "g1-m1", "g1-m2", "g2-m1", "g2-m2"]
    );

    fifo_groups(store, "v.fifo", &[("a1", "a"), ("a2", "a"), ("b1", "b")]).await;
    let got = store
        .lease("v.fifo", lease(2, 30), T0)
        .await
        .unwrap()
        .messages;
    assert_eq!(texts(&got), ["a1", "a2"]);
    let release = VisibilityChange {
        receipt: got[0].receipt(),
        visibility_seconds: 0,
        renew_receipt: false,
        require_hidden: true,
        accept_older_receipt: false,
        max_total_seconds: None,
    };
    store
        .change_visibility("v.fifo", &[release], T0 + SEC)
        .await
        .unwrap()[0]
        .clone()
        .unwrap();
    // a1 is visible again while a2 is in flight: `a` is served, behind `b`, and stops at a2.
    let next = store
        .lease("v.fifo", lease(3, 30), T0 + 2 * SEC)
        .await
        .unwrap();
    assert_eq!(texts(&next.messages), ["b1", "a1"]);

    fifo_groups(
        store,
        "p.fifo",
        &[("x1", "x"), ("y1", "y"), ("x2", "x"), ("x3", "x")],
    )
    .await;
    let got = store
        .lease("p.fifo", lease(2, 30), T0)
        .await
        .unwrap()
        .messages;
    assert_eq!(texts(&got), ["x1", "x2"]);
    store
        .delete("p.fifo", &[got[0].receipt()], T0 + SEC)
        .await
        .unwrap()[0]
        .clone()
        .unwrap();
    // x2, now the head of `x`, is still in flight: x3 must wait.
    let rest = store
        .lease("p.fifo", lease(10, 30), T0 + 2 * SEC)
        .await
        .unwrap();
    assert_eq!(texts(&rest.messages), ["y1"]);
}

/// A FIFO message moved to its dead-letter queue keeps its id and group; its deduplication id
/// becomes its message id (as SQS shows it in the dead-letter queue).
pub async fn fifo_dead_letter_dedup_id(store: &dyn QueueStore) {
    make(store, "dead.fifo", fifo()).await;
    let redrive = RedrivePolicy {
        dead_letter_queue: "dead.fifo".into(),
        max_receive_count: 1,
    };
    let config = QueueConfig {
        redrive: Some(redrive),
        ..fifo()
    };
    make(store, "src.fifo", config).await;
    let sent = send_all(store, "src.fifo", vec![grouped("poison", "g", "dd1")], T0).await;
    let got = store.lease("src.fifo", lease(1, 0), T0).await.unwrap();
    assert_eq!(got.messages[0].dedup_id.as_deref(), Some("dd1"));
    let again = store
        .lease("src.fifo", lease(1, 30), T0 + SEC)
        .await
        .unwrap();
    assert!(
        again.messages.is_empty(),
        "moved to the dead-letter queue instead"
    );
    let dead = store
        .lease("dead.fifo", lease(1, 30), T0 + SEC)
        .await
        .unwrap();
    let m = &dead.messages[0];
    assert_eq!(
        (m.id.as_str(), m.group_id.as_deref()),
        (sent[0].id.as_str(), Some("g"))
    );
    assert_eq!(m.dedup_id.as_deref(), Some(sent[0].id.as_str()));
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

/// A changed deduplication scope applies once the change has propagated, in both directions
/// (AWS's recorded answers), and the store keeps the pending change with the queue.
pub async fn fifo_dedup_scope_change(store: &dyn QueueStore) {
    let change = |scope: DedupScope, at: u64| -> crate::store::QueueUpdate {
        Box::new(move |c: &mut QueueConfig| {
            c.change_dedup_scope(scope, at);
            Ok(())
        })
    };
    make(store, "up.fifo", fifo()).await;
    let first = send_all(store, "up.fifo", vec![grouped("a", "g1", "same")], T0).await;
    let info = store
        .update_queue(
            "up.fifo",
            change(DedupScope::MessageGroup, T0 + SEC),
            T0 + SEC,
        )
        .await
        .unwrap();
    assert_eq!(
        info.config.dedup_scope,
        DedupScope::MessageGroup,
        "shown at once"
    );
    // Right after the change, the queue-wide scope still applies: another group's message
    // with the same id is a duplicate.
    let soon = send_all(
        store,
        "up.fifo",
        vec![grouped("b", "g2", "same")],
        T0 + 2 * SEC,
    )
    .await;
    assert!(
        soon[0].deduplicated,
        "the old scope applies until the change propagated"
    );
    assert_eq!(soon[0].id, first[0].id);
    // Once it has, deduplication is per group.
    let later = T0 + SEC + DEDUP_SCOPE_PROPAGATION_MS;
    let got = send_all(
        store,
        "up.fifo",
        vec![grouped("c", "g3", "fresh"), grouped("d", "g4", "fresh")],
        later,
    )
    .await;
    assert!(
        !got[0].deduplicated && !got[1].deduplicated,
        "per group after propagation"
    );

    // The other way: per group until the change to queue-wide has propagated.
    make(
        store,
        "down.fifo",
        QueueConfig {
            dedup_scope: DedupScope::MessageGroup,
            ..fifo()
        },
    )
    .await;
    send_all(store, "down.fifo", vec![grouped("a", "g1", "id")], T0).await;
    store
        .update_queue("down.fifo", change(DedupScope::Queue, T0 + SEC), T0 + SEC)
        .await
        .unwrap();
    let soon = send_all(
        store,
        "down.fifo",
        vec![grouped("b", "g2", "id")],
        T0 + 2 * SEC,
    )
    .await;
    assert!(
        !soon[0].deduplicated,
        "per group until the change propagated"
    );
    let again = send_all(
        store,
        "down.fifo",
        vec![grouped("c", "g3", "x"), grouped("d", "g4", "x")],
        later,
    )
    .await;
    assert!(
        !again[0].deduplicated && again[1].deduplicated,
        "queue-wide after it"
    );
    let info = store.get_queue("down.fifo", later).await.unwrap();
    assert_eq!(info.config.dedup_scope_at(later), DedupScope::Queue);
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
    let sent = send_all(store, "src", vec![body("m1"), body("m2"), body("m3")], T0).await;
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
    // Received while in the dead-letter queue (made visible again at once): the move must
    // still give it a fresh start, or src (max 1 receive) would dead-letter it again at once.
    let in_dlq = store.lease("dlq", lease(1, 0), T0 + 1).await.unwrap();
    assert_eq!(
        in_dlq.messages[0].receive_count, 2,
        "its count carried on into the DLQ"
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
    // A moved message is a new message (SQS: "assigned a new messageID and enqueueTime", and
    // its retention period starts again).
    for (m, s) in back.iter().zip(&sent) {
        assert_ne!(m.id, s.id, "a new message id");
        assert_eq!(m.enqueued_ms, T0 + 2, "sent when moved");
        assert_eq!(
            m.expires_ms,
            Some(T0 + 2 + 345_600_000),
            "a fresh retention period"
        );
        assert_eq!(m.dead_letter_source, None);
    }
    let stale = store
        .delete("src", &[sent[0].receipt], T0 + 3)
        .await
        .unwrap();
    assert_ne!(stale, vec![Ok(())], "the old message's receipts are gone");
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
    let req = |id: &str| LeaseRequest {
        max_messages: 1,
        visibility_seconds: Some(30),
        attempt_id: Some(id.into()),
    };
    // An attempt that found nothing is not replayed: a long poll asks again under the same id,
    // and must get what arrives meanwhile.
    let empty = store.lease("f.fifo", req("try-1"), T0).await.unwrap();
    assert!(empty.messages.is_empty());
    send_all(
        store,
        "f.fifo",
        vec![
            grouped("a", "g", "1"),
            grouped("b", "h", "2"),
            grouped("c", "i", "3"),
        ],
        T0,
    )
    .await;
    let first = store
        .lease("f.fifo", req("try-1"), T0 + SEC)
        .await
        .unwrap()
        .messages;
    assert_eq!(texts(&first), ["a"], "the empty attempt did not pin the id");
    let retry = store
        .lease("f.fifo", req("try-1"), T0 + 5 * SEC)
        .await
        .unwrap()
        .messages;
    assert_eq!(
        retry
            .iter()
            .map(|m| (&m.id, m.receipt(), m.receive_count))
            .collect::<Vec<_>>(),
        first
            .iter()
            .map(|m| (&m.id, m.receipt(), m.receive_count))
            .collect::<Vec<_>>(),
        "a retried attempt gets the same messages and receipts, not a new receive"
    );
    assert_eq!(
        retry[0].visible_ms,
        T0 + 35 * SEC,
        "a retry starts the visibility timeout anew (AWS: it resets the visibility timeout)"
    );
    assert_eq!(
        store
            .get_message("f.fifo", &first[0].id, T0 + 5 * SEC)
            .await
            .unwrap()
            .visible_ms,
        T0 + 35 * SEC,
        "and the stored message says so"
    );
    store
        .delete("f.fifo", &[first[0].receipt()], T0 + 6 * SEC)
        .await
        .unwrap();
    let after_delete = store
        .lease("f.fifo", req("try-1"), T0 + 7 * SEC)
        .await
        .unwrap()
        .messages;
    assert_eq!(
        texts(&after_delete),
        ["b"],
        "once a message was deleted, the attempt id leases anew"
    );
    store
        .change_visibility(
            "f.fifo",
            &[VisibilityChange {
                receipt: after_delete[0].receipt(),
                visibility_seconds: 60,
                renew_receipt: false,
                require_hidden: true,
                accept_older_receipt: false,
                max_total_seconds: None,
            }],
            T0 + 8 * SEC,
        )
        .await
        .unwrap()[0]
        .clone()
        .unwrap();
    let after_change = store
        .lease("f.fifo", req("try-1"), T0 + 9 * SEC)
        .await
        .unwrap()
        .messages;
    assert_eq!(
        texts(&after_change),
        ["c"],
        "once a message's visibility was changed, the attempt id leases anew (AWS: a retry \
         works only if none of the messages was modified)"
    );
}

/// Sets a queue's delay at `now`.
async fn set_delay(store: &dyn QueueStore, queue: &str, seconds: u32, now: u64) {
    store
        .update_queue(
            queue,
            Box::new(move |c| {
                c.delay_seconds = seconds;
                Ok(())
            }),
            now,
        )
        .await
        .unwrap();
}

async fn leased_texts(store: &dyn QueueStore, queue: &str, now: u64) -> Vec<String> {
    texts(
        &store
            .lease(queue, lease(10, 300), now)
            .await
            .unwrap()
            .messages,
    )
}

/// A FIFO queue's delay is retroactive for messages still in their delay (SQS's delay-queue
/// guide): they become visible that long after their send, earlier or later. Messages already
/// visible stay so; a standard queue's delay applies only to later sends.
pub async fn fifo_delay_is_retroactive(store: &dyn QueueStore) {
    let delayed = |fifo, delay_seconds| QueueConfig {
        fifo,
        delay_seconds,
        ..Default::default()
    };
    make(store, "f.fifo", delayed(true, 60)).await;
    make(store, "s", delayed(false, 60)).await;
    send_all(store, "f.fifo", vec![grouped("a", "A", "1")], T0).await;
    send_all(store, "f.fifo", vec![grouped("c", "C", "2")], T0).await;
    send_all(store, "f.fifo", vec![grouped("b", "B", "3")], T0 + 10 * SEC).await;
    send_all(store, "s", vec![body("standard")], T0).await;

    // Shorter: a and c were due at T0 + 15 s, b is due at T0 + 25 s.
    set_delay(store, "f.fifo", 15, T0 + 20 * SEC).await;
    set_delay(store, "s", 0, T0 + 20 * SEC).await;
    let s = store
        .get_queue("f.fifo", T0 + 20 * SEC)
        .await
        .unwrap()
        .stats;
    assert_eq!((s.visible, s.delayed), (2, 1));
    assert_eq!(
        leased_texts(store, "f.fifo", T0 + 20 * SEC).await,
        ["a", "c"]
    );
    assert!(leased_texts(store, "f.fifo", T0 + 24 * SEC)
        .await
        .is_empty());
    assert_eq!(leased_texts(store, "f.fifo", T0 + 25 * SEC).await, ["b"]);
    assert!(leased_texts(store, "s", T0 + 30 * SEC).await.is_empty());
    assert_eq!(leased_texts(store, "s", T0 + 60 * SEC).await, ["standard"]);

    // Longer: d (due at T0 + 40 s) waits until T0 + 130 s; e, visible since T0 + 10 s, stays
    // visible.
    make(store, "g.fifo", delayed(true, 10)).await;
    send_all(store, "g.fifo", vec![grouped("e", "E", "4")], T0).await;
    send_all(store, "g.fifo", vec![grouped("d", "D", "5")], T0 + 30 * SEC).await;
    set_delay(store, "g.fifo", 100, T0 + 31 * SEC).await;
    assert_eq!(leased_texts(store, "g.fifo", T0 + 50 * SEC).await, ["e"]);
    assert!(leased_texts(store, "g.fifo", T0 + 129 * SEC)
        .await
        .is_empty());
    assert_eq!(leased_texts(store, "g.fifo", T0 + 130 * SEC).await, ["d"]);

    // A message whose delay ran out before the change, with nothing having looked at the queue
    // since, was visible already: the longer delay does not hide it again.
    make(store, "h.fifo", delayed(true, 10)).await;
    send_all(store, "h.fifo", vec![grouped("due", "F", "6")], T0 + SEC).await;
    set_delay(store, "h.fifo", 100, T0 + 31 * SEC).await;
    assert_eq!(leased_texts(store, "h.fifo", T0 + 31 * SEC).await, ["due"]);
}
