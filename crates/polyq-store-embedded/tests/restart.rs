//! State written, store closed (writer stopped, files closed), reopened: everything is back,
//! receipts handed out before still work, and time-driven rules keep applying.

use std::collections::BTreeMap;

use bytes::Bytes;
use polyq_core::conformance::T0;
use polyq_core::*;
use polyq_store_embedded::EmbeddedStore;

const SEC: u64 = 1000;

fn msg(text: &str) -> NewMessage {
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

async fn send(store: &EmbeddedStore, q: &str, m: NewMessage, now: u64) -> Sent {
    store
        .send(q, vec![m], now)
        .await
        .unwrap()
        .remove(0)
        .unwrap()
}

fn body(m: &Message) -> String {
    String::from_utf8_lossy(&m.body).into_owned()
}

#[tokio::test]
async fn queues_messages_leases_and_counters_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let config = QueueConfig {
        visibility_timeout: 45,
        tags: BTreeMap::from([("team".into(), "core".into())]),
        metadata: BTreeMap::from([("owner".into(), "me".into())]),
        extras: BTreeMap::from([("Policy".into(), "{}".into())]),
        redrive: Some(RedrivePolicy {
            dead_letter_queue: "dlq".into(),
            max_receive_count: 1,
        }),
        ..Default::default()
    };
    store
        .create_queue("dlq", QueueConfig::default(), T0)
        .await
        .unwrap();
    store.create_queue("q", config.clone(), T0).await.unwrap();
    let attrs = Attributes::from([(
        "k".to_string(),
        MessageAttribute {
            data_type: "Binary".into(),
            value: AttributeValue::Binary(Bytes::from_static(b"\x00\x01")),
        },
    )]);
    let leased = send(
        &store,
        "q",
        NewMessage {
            attributes: attrs.clone(),
            priority: Some(2),
            ..msg("leased")
        },
        T0,
    )
    .await;
    let delayed = send(
        &store,
        "q",
        NewMessage {
            delay_seconds: Some(60),
            ..msg("delayed")
        },
        T0,
    )
    .await;
    let short = send(
        &store,
        "q",
        NewMessage {
            ttl: MessageTtl::Seconds(100),
            ..msg("short")
        },
        T0,
    )
    .await;
    let dead = send(
        &store,
        "q",
        NewMessage {
            priority: Some(1),
            ..msg("dead")
        },
        T0,
    )
    .await;
    let last = send(
        &store,
        "q",
        NewMessage {
            priority: Some(3),
            ..msg("deleted-last")
        },
        T0,
    )
    .await;

    // "dead" (priority 1) then "leased" (priority 2) are received; "dead" times out and is
    // dead-lettered by the next receive.
    let got = store.lease("q", lease(2, 10), T0).await.unwrap().messages;
    assert_eq!(got.iter().map(body).collect::<Vec<_>>(), ["dead", "leased"]);
    let receipt = got[1].receipt();
    store
        .change_visibility(
            "q",
            &[VisibilityChange {
                receipt,
                visibility_seconds: 300,
                renew_receipt: false,
                require_hidden: true,
                accept_older_receipt: false,
                max_total_seconds: None,
            }],
            T0 + SEC,
        )
        .await
        .unwrap()
        .remove(0)
        .unwrap();
    let got = store
        .lease("q", lease(1, 30), T0 + 20 * SEC)
        .await
        .unwrap()
        .messages;
    assert_eq!(got.iter().map(body).collect::<Vec<_>>(), ["deleted-last"]);
    store
        .delete("q", &[got[0].receipt()], T0 + 20 * SEC)
        .await
        .unwrap()
        .remove(0)
        .unwrap();
    assert_eq!(
        got[0].seq, last.receipt.seq,
        "the highest sequence number is deleted"
    );

    store
        .update_queue(
            "q",
            Box::new(|c| {
                c.delay_seconds = 5;
                Ok(())
            }),
            T0 + 21 * SEC,
        )
        .await
        .unwrap();
    let before_q = store.get_queue("q", T0 + 21 * SEC).await.unwrap();
    let before_dlq = store.get_queue("dlq", T0 + 21 * SEC).await.unwrap();
    let leased_before = store
        .get_message("q", &leased.id, T0 + 21 * SEC)
        .await
        .unwrap();
    drop(store);

    let store = EmbeddedStore::open(dir.path()).unwrap();
    assert_eq!(store.get_queue("q", T0 + 21 * SEC).await.unwrap(), before_q);
    assert_eq!(
        store.get_queue("dlq", T0 + 21 * SEC).await.unwrap(),
        before_dlq
    );
    assert_eq!(before_q.config.tags, config.tags);
    assert_eq!(before_q.config.delay_seconds, 5);
    let leased_after = store
        .get_message("q", &leased.id, T0 + 21 * SEC)
        .await
        .unwrap();
    assert_eq!(leased_after, leased_before);
    assert_eq!(leased_after.attributes, attrs);
    assert_eq!(
        (leased_after.receive_count, leased_after.state),
        (1, MessageState::InFlight)
    );
    let in_dlq = store
        .get_message("dlq", &dead.id, T0 + 21 * SEC)
        .await
        .unwrap();
    assert_eq!(in_dlq.dead_letter_source.as_deref(), Some("q"));

    // Delay and expiry keep counting from before the restart.
    let visible = store.peek("q", 10, T0 + 59 * SEC).await.unwrap();
    assert_eq!(visible.iter().map(body).collect::<Vec<_>>(), ["short"]);
    let visible = store.peek("q", 10, T0 + 61 * SEC).await.unwrap();
    assert_eq!(
        visible.iter().map(body).collect::<Vec<_>>(),
        ["delayed", "short"]
    );
    assert_eq!(
        store.get_message("q", &short.id, T0 + 101 * SEC).await,
        Err(CoreError::MessageNotFound),
        "expired after the restart"
    );
    // The receipt from before the restart is still the current lease.
    store
        .delete("q", &[receipt], T0 + 102 * SEC)
        .await
        .unwrap()
        .remove(0)
        .unwrap();
    // Sequence numbers (hence ids and receipts) continue past every one ever used.
    let fresh = send(&store, "q", msg("new"), T0 + 103 * SEC).await;
    assert!(
        fresh.receipt.seq > last.receipt.seq,
        "{fresh:?} reuses a sequence number"
    );
    assert_ne!(fresh.id, last.id);
    drop(store);

    // The expiry and the deletions made after the first restart are on disk too.
    let store = EmbeddedStore::open(dir.path()).unwrap();
    for id in [&short.id, &leased.id] {
        assert_eq!(
            store.get_message("q", id, T0).await,
            Err(CoreError::MessageNotFound)
        );
    }
    assert!(store.get_message("q", &delayed.id, T0).await.is_ok());
    assert!(store.get_message("q", &fresh.id, T0).await.is_ok());
}

#[tokio::test]
async fn fifo_dedup_records_and_group_locks_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = QueueConfig {
        fifo: true,
        ..Default::default()
    };
    let grouped = |text: &str, dedup: &str| NewMessage {
        group_id: Some("g".into()),
        dedup_id: Some(dedup.into()),
        ..msg(text)
    };
    let store = EmbeddedStore::open(dir.path()).unwrap();
    store.create_queue("f.fifo", fifo, T0).await.unwrap();
    let first = send(&store, "f.fifo", grouped("a", "d1"), T0).await;
    send(&store, "f.fifo", grouped("b", "d2"), T0).await;
    let got = store
        .lease("f.fifo", lease(1, 30), T0)
        .await
        .unwrap()
        .messages;
    assert_eq!(got.iter().map(body).collect::<Vec<_>>(), ["a"]);
    store.purge_queue("f.fifo", T0 + SEC).await.unwrap();
    let c = send(&store, "f.fifo", grouped("c", "d3"), T0 + SEC).await;
    let got = store
        .lease("f.fifo", lease(1, 30), T0 + SEC)
        .await
        .unwrap()
        .messages;
    assert_eq!(got[0].id, c.id);
    drop(store);

    let store = EmbeddedStore::open(dir.path()).unwrap();
    let again = send(&store, "f.fifo", grouped("a again", "d1"), T0 + 2 * SEC).await;
    assert!(
        again.deduplicated,
        "dedup record kept across restart and purge"
    );
    assert_eq!(again.id, first.id);
    send(&store, "f.fifo", grouped("e", "d5"), T0 + 2 * SEC).await;
    assert!(
        store
            .lease("f.fifo", lease(1, 30), T0 + 3 * SEC)
            .await
            .unwrap()
            .messages
            .is_empty(),
        "the group stays locked while c is in flight"
    );
    let got = store
        .lease("f.fifo", lease(2, 30), T0 + 32 * SEC)
        .await
        .unwrap()
        .messages;
    assert_eq!(got.iter().map(body).collect::<Vec<_>>(), ["c", "e"]);
    assert_eq!(got[0].receive_count, 2);
    // Past the window the record is gone, after a restart as before one.
    drop(store);
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let late = send(
        &store,
        "f.fifo",
        grouped("a late", "d1"),
        T0 + DEDUP_WINDOW_MS + SEC,
    )
    .await;
    assert!(!late.deduplicated);
}

#[tokio::test]
async fn a_pending_dedup_scope_change_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let grouped = |text: &str, group: &str| NewMessage {
        group_id: Some(group.into()),
        dedup_id: Some("same".into()),
        ..msg(text)
    };
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let fifo = QueueConfig {
        fifo: true,
        ..Default::default()
    };
    store.create_queue("s.fifo", fifo, T0).await.unwrap();
    send(&store, "s.fifo", grouped("a", "g1"), T0).await;
    let change: polyq_core::QueueUpdate = Box::new(|c: &mut QueueConfig| {
        c.change_dedup_scope(DedupScope::MessageGroup, T0 + SEC);
        Ok(())
    });
    store
        .update_queue("s.fifo", change, T0 + SEC)
        .await
        .unwrap();
    drop(store);

    let store = EmbeddedStore::open(dir.path()).unwrap();
    let info = store.get_queue("s.fifo", T0 + 2 * SEC).await.unwrap();
    assert_eq!(info.config.dedup_scope, DedupScope::MessageGroup);
    // Still within the minute: the queue-wide scope applies after the restart too.
    let dup = send(&store, "s.fifo", grouped("b", "g2"), T0 + 2 * SEC).await;
    assert!(dup.deduplicated);
    let later = T0 + SEC + DEDUP_SCOPE_PROPAGATION_MS;
    let fresh = send(&store, "s.fifo", grouped("c", "g3"), later).await;
    assert!(!fresh.deduplicated, "per group once the change has applied");
}

#[tokio::test]
async fn a_fifo_delay_change_retimes_delayed_messages_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = QueueConfig {
        fifo: true,
        delay_seconds: 60,
        ..Default::default()
    };
    let grouped = |text: &str, group: &str| NewMessage {
        group_id: Some(group.into()),
        dedup_id: Some(text.into()),
        ..msg(text)
    };
    let store = EmbeddedStore::open(dir.path()).unwrap();
    store.create_queue("f.fifo", fifo, T0).await.unwrap();
    send(&store, "f.fifo", grouped("sooner", "a"), T0).await;
    send(&store, "f.fifo", grouped("later", "b"), T0 + 40 * SEC).await;
    store
        .update_queue(
            "f.fifo",
            Box::new(|c| {
                c.delay_seconds = 5;
                Ok(())
            }),
            T0 + 41 * SEC,
        )
        .await
        .unwrap();
    drop(store);

    let store = EmbeddedStore::open(dir.path()).unwrap();
    let take = |now| {
        let store = &store;
        async move {
            let got = store.lease("f.fifo", lease(10, 30), now).await.unwrap();
            got.messages.iter().map(body).collect::<Vec<_>>()
        }
    };
    assert_eq!(take(T0 + 42 * SEC).await, ["sooner"], "due at T0 + 5 s");
    assert!(take(T0 + 44 * SEC).await.is_empty(), "due at T0 + 45 s");
    assert_eq!(take(T0 + 45 * SEC).await, ["later"]);
}

#[tokio::test]
async fn deleted_queues_stay_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    store
        .create_queue("gone", QueueConfig::default(), T0)
        .await
        .unwrap();
    send(&store, "gone", msg("x"), T0).await;
    store.delete_queue("gone").await.unwrap();
    store
        .create_queue("kept", QueueConfig::default(), T0)
        .await
        .unwrap();
    drop(store);
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let names: Vec<String> = store
        .list_queues("", None, 10, T0)
        .await
        .unwrap()
        .into_iter()
        .map(|q| q.name)
        .collect();
    assert_eq!(names, ["kept"]);
}

#[tokio::test]
async fn a_moved_message_is_back_once_under_its_new_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    for q in ["dead", "target"] {
        store
            .create_queue(q, QueueConfig::default(), T0)
            .await
            .unwrap();
    }
    let sent = send(&store, "dead", msg("redriven"), T0).await;
    let stays = send(&store, "dead", msg("stays"), T0).await;
    let leased = store
        .lease("dead", lease(1, 60), T0)
        .await
        .unwrap()
        .messages;
    assert_eq!(leased.len(), 1);
    // Whichever was leased stays (not visible); the other moves under a new seq and id.
    assert_eq!(
        store
            .move_messages("dead", Some("target"), 10, T0 + SEC)
            .await
            .unwrap(),
        1
    );
    let moved_before = store.peek("target", 10, T0 + SEC).await.unwrap().remove(0);
    drop(store);
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let target = store.peek("target", 10, T0 + 2 * SEC).await.unwrap();
    assert_eq!(target.len(), 1);
    assert_eq!(target[0].id, moved_before.id);
    assert!(target[0].id != sent.id && target[0].id != stays.id);
    assert_eq!(target[0].enqueued_ms, T0 + SEC);
    let dead = store.get_queue("dead", T0 + 2 * SEC).await.unwrap().stats;
    assert_eq!(
        (dead.visible, dead.in_flight),
        (0, 1),
        "the old copy is gone, the leased one stays"
    );
}
