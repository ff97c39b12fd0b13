//! Conformance cases: queue lifecycle, listing, configuration, purge, counts, errors.

use super::*;

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
