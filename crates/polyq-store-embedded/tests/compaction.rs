//! Space is reclaimed: old log segments are deleted once nothing in them is live, a message that
//! lives long is copied forward instead of keeping every segment after it, and none of this
//! changes what a restart brings back. Segments are tiny here (4 KiB) so that a few thousand
//! messages go through many of them.

use std::time::{Duration, Instant};

use polyq_core::conformance::T0;
use polyq_core::*;
use polyq_store_embedded::EmbeddedStore;

const SEGMENT: u64 = 4 * 1024;

fn msgs(from: usize, n: usize) -> Vec<NewMessage> {
    (from..from + n)
        .map(|i| NewMessage {
            body: format!("{i:0>100}").into_bytes().into(),
            ..Default::default()
        })
        .collect()
}

fn lease(max: usize, vis: u32) -> LeaseRequest {
    LeaseRequest {
        max_messages: max,
        visibility_seconds: Some(vis),
        attempt_id: None,
    }
}

/// Sends, receives and deletes `n` messages in batches of 10.
async fn cycle(store: &EmbeddedStore, n: usize) {
    for from in (0..n).step_by(10) {
        store.send("q", msgs(from, 10), T0).await.unwrap();
        let got = store.lease("q", lease(10, 60), T0).await.unwrap().messages;
        assert_eq!(got.len(), 10);
        let receipts: Vec<Receipt> = got.iter().map(Message::receipt).collect();
        for r in store.delete("q", &receipts, T0).await.unwrap() {
            r.unwrap();
        }
    }
}

/// A store with tiny segments in `dir`, holding an empty queue `q`.
async fn store_with_queue(dir: &std::path::Path) -> EmbeddedStore {
    let store = EmbeddedStore::open_with(dir, SEGMENT).unwrap();
    store
        .create_queue("q", QueueConfig::default(), T0)
        .await
        .unwrap();
    store
}

/// Waits (bounded) until the store is down to at most `max` segments, returning the count.
async fn settle(store: &EmbeddedStore, max: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (files, _) = store.disk_usage();
        if files <= max || Instant::now() > deadline {
            return files;
        }
        // Compaction runs once a second; an empty commit is not needed to trigger it.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_segments_go_and_a_long_lived_message_is_copied_forward() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_queue(dir.path()).await;
    // One message received and kept in flight for an hour: it is in the first segment.
    store.send("q", msgs(1_000_000, 1), T0).await.unwrap();
    let stuck = store.lease("q", lease(1, 3600), T0).await.unwrap().messages[0].clone();

    cycle(&store, 3000).await;
    let files = settle(&store, 3).await;
    assert!(
        files <= 3,
        "{files} segments left of ~{} written",
        3000 * 150 / SEGMENT
    );
    assert!(
        !dir.path()
            .join(polyq_store_embedded::segment_name(1))
            .exists(),
        "the first segment is gone although its message lives on"
    );

    let before = store.memory().dump();
    drop(store);
    let store = EmbeddedStore::open_with(dir.path(), SEGMENT).unwrap();
    assert_eq!(
        store.memory().dump(),
        before,
        "a restart brings back the same state"
    );
    let again = store.get_message("q", &stuck.id, T0).await.unwrap();
    assert_eq!(
        again, stuck,
        "copied forward with its lease, receive count and body"
    );
    assert_eq!(store.get_queue("q", T0).await.unwrap().stats.in_flight, 1);

    // The restored store keeps reclaiming: the segments from before the restart go too.
    cycle(&store, 1000).await;
    assert!(settle(&store, 3).await <= 3);
    store
        .delete("q", &[stuck.receipt()], T0)
        .await
        .unwrap()
        .remove(0)
        .expect("the receipt handed out before both restarts and copies still works");
    drop(store);
    let store = EmbeddedStore::open_with(dir.path(), SEGMENT).unwrap();
    let stats = store.get_queue("q", T0).await.unwrap().stats;
    assert_eq!((stats.visible, stats.in_flight, stats.delayed), (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_drained_gives_its_space_back_and_survives_restarts_while_it_lasts() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_queue(dir.path()).await;
    for from in (0..2000).step_by(100) {
        store.send("q", msgs(from, 100), T0).await.unwrap();
    }
    let (full_files, full_bytes) = store.disk_usage();
    // (A segment filled by the last send is replaced at the next commit, not at once.)
    assert!(full_files >= 20, "{full_files} segments");

    // Half drained, restart, the rest drained: every message comes out exactly once.
    let mut seen = Vec::new();
    let mut store = store;
    for round in 0..2 {
        while seen.len() < 1000 * (round + 1) {
            let got = store.lease("q", lease(10, 60), T0).await.unwrap().messages;
            assert!(!got.is_empty(), "{} received so far", seen.len());
            let receipts: Vec<Receipt> = got.iter().map(Message::receipt).collect();
            store.delete("q", &receipts, T0).await.unwrap();
            seen.extend(got.into_iter().map(|m| m.body));
        }
        drop(store);
        store = EmbeddedStore::open_with(dir.path(), SEGMENT).unwrap();
    }
    assert_eq!(seen.len(), 2000);
    let mut expected: Vec<_> = msgs(0, 2000).into_iter().map(|m| m.body).collect();
    expected.sort();
    seen.sort();
    assert_eq!(seen, expected);
    assert!(store
        .lease("q", lease(10, 60), T0)
        .await
        .unwrap()
        .messages
        .is_empty());

    let files = settle(&store, 2).await;
    let (_, bytes) = store.disk_usage();
    assert!(
        files <= 2 && bytes < full_bytes / 10,
        "{files} segments, {bytes} bytes"
    );
}
