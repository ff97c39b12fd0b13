//! A request is answered only once everything its answer rests on is on disk, its own
//! changes and those of others it saw: a send deduplicated against a send still being
//! committed, a delete repeated while the first is being committed. With commits held (as
//! behind a slow `fdatasync`) such a request waits; a crash before the commit would otherwise
//! lose an acknowledged send or bring back an acknowledged delete.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use polyq_core::conformance::T0;
use polyq_core::*;
use polyq_store_embedded::EmbeddedStore;

fn fifo_msg(dedup: &str) -> NewMessage {
    NewMessage {
        body: Bytes::from_static(b"pay"),
        group_id: Some("g".into()),
        dedup_id: Some(dedup.into()),
        ..Default::default()
    }
}

/// Waits (bounded) until the engine shows `n` messages in `queue`: the changes are applied
/// and recorded, not yet committed.
async fn applied(store: &EmbeddedStore, queue: &str, n: u64) {
    for _ in 0..200 {
        let s = store.get_queue(queue, T0).await.unwrap().stats;
        if s.visible + s.in_flight + s.delayed == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{queue} never showed {n} messages");
}

/// The request must still be waiting while commits are held.
async fn still_waiting<T: std::fmt::Debug>(task: &mut tokio::task::JoinHandle<T>) {
    let early = tokio::time::timeout(Duration::from_millis(300), &mut *task).await;
    assert!(
        early.is_err(),
        "answered before the change it rests on was on disk: {early:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deduplicated_send_waits_for_the_original_to_be_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(dir.path()).unwrap());
    let fifo = QueueConfig {
        fifo: true,
        ..Default::default()
    };
    store.create_queue("f.fifo", fifo, T0).await.unwrap();
    let hold = store.hold_commits();
    let first = {
        let store = store.clone();
        tokio::spawn(async move { store.send("f.fifo", vec![fifo_msg("pay-42")], T0).await })
    };
    applied(&store, "f.fifo", 1).await;
    let mut retry = {
        let store = store.clone();
        tokio::spawn(async move { store.send("f.fifo", vec![fifo_msg("pay-42")], T0).await })
    };
    still_waiting(&mut retry).await;
    drop(hold);
    let first = first.await.unwrap().unwrap().remove(0).unwrap();
    let retry = retry.await.unwrap().unwrap().remove(0).unwrap();
    assert!(retry.deduplicated);
    assert_eq!(retry.id, first.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_delete_waits_for_the_first_to_be_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(dir.path()).unwrap());
    store
        .create_queue("q", QueueConfig::default(), T0)
        .await
        .unwrap();
    store
        .send(
            "q",
            vec![NewMessage {
                body: Bytes::from_static(b"order-7"),
                ..Default::default()
            }],
            T0,
        )
        .await
        .unwrap();
    let leased = store
        .lease(
            "q",
            LeaseRequest {
                max_messages: 1,
                visibility_seconds: Some(600),
                attempt_id: None,
            },
            T0,
        )
        .await
        .unwrap()
        .messages;
    let receipt = leased[0].receipt();
    let hold = store.hold_commits();
    let first = {
        let store = store.clone();
        tokio::spawn(async move { store.delete_receipts("q", &[receipt], false, T0).await })
    };
    applied(&store, "q", 0).await;
    let mut again = {
        let store = store.clone();
        tokio::spawn(async move { store.delete_receipts("q", &[receipt], false, T0).await })
    };
    still_waiting(&mut again).await;
    drop(hold);
    first.await.unwrap().unwrap();
    again.await.unwrap().unwrap();
}
