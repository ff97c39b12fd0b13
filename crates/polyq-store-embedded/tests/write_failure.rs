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
