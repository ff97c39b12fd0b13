//! A write that fails (injected here, as a full disk would) fails its request with a storage
//! error, turns the store read-only while reads keep working, and leaves everything
//! acknowledged before intact on disk.

use polyq_core::conformance::T0;
use polyq_core::*;
use polyq_store_embedded::EmbeddedStore;

fn msg(text: &str) -> NewMessage {
    NewMessage {
        body: text.as_bytes().to_vec().into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_failed_commit_turns_the_store_read_only_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    store
        .create_queue("q", QueueConfig::default(), T0)
        .await
        .unwrap();
    let kept = store
        .send("q", vec![msg("kept")], T0)
        .await
        .unwrap()
        .remove(0)
        .unwrap();
    assert_eq!(store.failure(), None);
    store.health().await.expect("healthy before the failure");

    store.inject_write_failure();
    let err = store.send("q", vec![msg("lost")], T0).await.unwrap_err();
    assert!(
        matches!(&err, CoreError::Storage(why) if why.contains("disk is full")),
        "{err:?}"
    );
    assert!(store.failure().is_some());
    let unhealthy = store.health().await.unwrap_err();
    let shown = dir.path().display().to_string();
    // The operator's /health names the directory ...
    assert!(
        matches!(&unhealthy, CoreError::Storage(why) if why.contains("read-only") && why.contains(&shown)),
        "{unhealthy:?}"
    );

    // Every later change is refused at once, before touching memory.
    for result in [
        store.send("q", vec![msg("later")], T0).await.map(|_| ()),
        store
            .lease(
                "q",
                LeaseRequest {
                    max_messages: 1,
                    ..Default::default()
                },
                T0,
            )
            .await
            .map(|_| ()),
        store.delete("q", &[kept.receipt], T0).await.map(|_| ()),
        store
            .create_queue("other", QueueConfig::default(), T0)
            .await
            .map(|_| ()),
        store.delete_queue("q").await,
    ] {
        let err = result.unwrap_err();
        // ... what clients are told does not (the server's file system is none of theirs).
        assert!(
            matches!(&err, CoreError::Storage(why) if why.contains("read-only") && !why.contains(&shown)),
            "{err:?}"
        );
    }
    // Reads keep working.
    assert_eq!(store.get_queue("q", T0).await.unwrap().stats.visible, 2);
    assert!(store.get_message("q", &kept.id, T0).await.is_ok());
    assert_eq!(store.peek("q", 10, T0).await.unwrap().len(), 2);
    drop(store);

    let store = EmbeddedStore::open(dir.path()).unwrap();
    assert_eq!(store.failure(), None, "a restart clears the failed state");
    let bodies: Vec<Vec<u8>> = store
        .peek("q", 10, T0)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body.to_vec())
        .collect();
    assert_eq!(bodies, [b"kept".to_vec()], "the failed send is not on disk");
    let next = store
        .send("q", vec![msg("after restart")], T0)
        .await
        .unwrap()
        .remove(0)
        .unwrap();
    assert!(next.receipt.seq > kept.receipt.seq);
}

/// A segment filled by a commit used to be replaced right after it, and a replacement that
/// failed (the data directory moved away, no room for the new file) failed that commit, whose
/// message was already on disk: a send answered 500 came back after a restart (found by an
/// operator's audit). The replacement now comes first: every send answered success is kept,
/// and the one that fails is not.
#[tokio::test]
async fn a_failed_segment_replacement_fails_only_what_it_did_not_write() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    let store = EmbeddedStore::open_with(&dir, 4096).unwrap();
    store
        .create_queue("q", QueueConfig::default(), T0)
        .await
        .unwrap();
    let moved = parent.path().join("moved");
    std::fs::rename(&dir, &moved).unwrap();
    let body = "x".repeat(1000);
    let mut acknowledged = Vec::new();
    let mut refused = None;
    for n in 0..20 {
        let text = format!("{n} {body}");
        match store.send("q", vec![msg(&text)], T0).await {
            Ok(_) => acknowledged.push(text),
            Err(e) => {
                refused = Some((text, e));
                break;
            }
        }
    }
    let (lost, err) = refused.expect("a segment replacement in the moved directory fails");
    assert!(matches!(err, CoreError::Storage(_)), "{err:?}");
    assert!(!acknowledged.is_empty());
    drop(store);

    let store = EmbeddedStore::open(&moved).unwrap();
    let got = store
        .lease(
            "q",
            LeaseRequest {
                max_messages: 100,
                ..Default::default()
            },
            T0,
        )
        .await
        .unwrap()
        .messages;
    // Compared by their numbers (the bodies are long).
    let number = |text: &str| text.split(' ').next().unwrap_or("").to_string();
    let kept: Vec<String> = got
        .iter()
        .map(|m| number(&String::from_utf8_lossy(&m.body)))
        .collect();
    let told: Vec<String> = acknowledged.iter().map(|t| number(t)).collect();
    assert_eq!(kept, told, "the refused send was number {}", number(&lost));
}

/// A data directory moved (or removed) under a running server: writes went on into a file no
/// restart would read, answered as kept, and /health said ok (found by an operator's audit).
/// The writer notices within about a second and turns the store read-only, saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_directory_moved_away_stops_the_writes() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    let store = EmbeddedStore::open(&dir).unwrap();
    store
        .create_queue("q", QueueConfig::default(), T0)
        .await
        .unwrap();
    store.send("q", vec![msg("before")], T0).await.unwrap();
    std::fs::rename(&dir, parent.path().join("moved")).unwrap();
    // Bounded: checked once a second, waited for up to 20 s.
    for _ in 0..200 {
        if store.failure().is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let why = store.failure().expect("the move is noticed");
    assert!(
        why.contains("moved or removed") && !why.contains("  "),
        "{why}"
    );
    let err = store.send("q", vec![msg("after")], T0).await.unwrap_err();
    assert!(matches!(err, CoreError::Storage(_)), "{err:?}");
    assert!(store.health().await.is_err());
    // Reads go on.
    assert_eq!(store.get_queue("q", T0).await.unwrap().stats.visible, 1);
}
