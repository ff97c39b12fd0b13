//! Upgrading a database written by an earlier polyq: its messages survive the migrations
//! applied at connect, and the columns the new ones add start out empty.

mod support;

use bytes::Bytes;
use polyq_core::conformance::T0;
use polyq_core::*;
use polyq_store_postgres::PostgresStore;

const SEC: u64 = 1000;

fn text(t: &str) -> NewMessage {
    NewMessage {
        body: Bytes::copy_from_slice(t.as_bytes()),
        ..Default::default()
    }
}

/// Version 2 added `last_receive_ms`. The version-1 database is made by taking a current one
/// back (drop the columns of versions 2 and 3, forget those migrations), since the crate only
/// ever writes the newest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_1_upgrades_to_2_keeping_messages() {
    let Some(schema) = support::fresh_schema().await else {
        return;
    };
    let url = schema.url("&pool_size=2");
    let received = T0 + 5 * SEC;
    let (leased, waiting) = {
        let old = PostgresStore::connect(&url).await.expect("connect");
        old.create_queue("q", QueueConfig::default(), T0)
            .await
            .unwrap();
        let sent = old.send("q", vec![text("a"), text("b")], T0).await.unwrap();
        let request = LeaseRequest {
            max_messages: 1,
            visibility_seconds: Some(600),
            attempt_id: None,
        };
        let got = old.lease("q", request, received).await.unwrap().messages;
        assert_eq!(got.len(), 1);
        let waiting = sent[1].as_ref().unwrap().id.clone();
        (got[0].clone(), waiting)
    };
    let client = support::side_connection().await;
    let s = &schema.name;
    client
        .batch_execute(&format!(
            "ALTER TABLE \"{s}\".polyq_messages DROP COLUMN last_receive_ms; \
             ALTER TABLE \"{s}\".polyq_attempts DROP COLUMN visibles; \
             DELETE FROM \"{s}\".polyq_schema_version WHERE version >= 2"
        ))
        .await
        .unwrap();

    let store = PostgresStore::connect(&url)
        .await
        .expect("upgrade at connect");
    let rows = client
        .query(
            &format!("SELECT version FROM \"{s}\".polyq_schema_version ORDER BY version"),
            &[],
        )
        .await
        .unwrap();
    let versions: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, vec![1, 2, 3]);

    let now = received + SEC;
    let kept = store.get_message("q", &leased.id, now).await.unwrap();
    assert_eq!(kept.body, leased.body);
    assert_eq!(
        (kept.receive_count, kept.first_receive_ms, kept.lease),
        (1, Some(received), leased.lease)
    );
    assert_eq!(kept.state, MessageState::InFlight);
    assert_eq!(
        kept.last_receive_ms, None,
        "leased before the column existed"
    );
    let other = store.get_message("q", &waiting, now).await.unwrap();
    assert_eq!(
        (other.body.as_ref(), other.last_receive_ms),
        (&b"b"[..], None)
    );

    // A lease from before the upgrade has no receive time to count a cap from.
    let change = VisibilityChange {
        receipt: leased.receipt(),
        visibility_seconds: 43_200,
        renew_receipt: false,
        require_hidden: true,
        accept_older_receipt: false,
        max_total_seconds: Some(60),
    };
    let changed = store.change_visibility("q", &[change], now).await.unwrap();
    assert!(changed[0].is_ok(), "{changed:?}");
    // The upgraded store records receives from now on.
    let request = LeaseRequest {
        max_messages: 1,
        visibility_seconds: Some(600),
        attempt_id: None,
    };
    let got = store.lease("q", request, now).await.unwrap().messages;
    assert_eq!(
        (got[0].id.as_str(), got[0].last_receive_ms),
        (waiting.as_str(), Some(now))
    );
}

/// Version 3 added the visibility times of receive attempts. An attempt recorded before it has
/// none: a retry of it still gets its messages (checked on the lease alone, as before), with
/// their visibility timeout started anew, and is checked fully from then on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_2_attempts_replay_after_the_upgrade_to_3() {
    let Some(schema) = support::fresh_schema().await else {
        return;
    };
    let url = schema.url("&pool_size=2");
    let request = LeaseRequest {
        max_messages: 1,
        visibility_seconds: Some(30),
        attempt_id: Some("try".into()),
    };
    let first = {
        let old = PostgresStore::connect(&url).await.expect("connect");
        let config = QueueConfig {
            fifo: true,
            ..Default::default()
        };
        old.create_queue("f.fifo", config, T0).await.unwrap();
        let mut m = text("a");
        m.group_id = Some("g".into());
        m.dedup_id = Some("1".into());
        old.send("f.fifo", vec![m], T0).await.unwrap();
        old.lease("f.fifo", request.clone(), T0)
            .await
            .unwrap()
            .messages
    };
    assert_eq!(first.len(), 1);
    let client = support::side_connection().await;
    let s = &schema.name;
    client
        .batch_execute(&format!(
            "ALTER TABLE \"{s}\".polyq_attempts DROP COLUMN visibles; \
             DELETE FROM \"{s}\".polyq_schema_version WHERE version = 3"
        ))
        .await
        .unwrap();

    let store = PostgresStore::connect(&url)
        .await
        .expect("upgrade at connect");
    let retry = store
        .lease("f.fifo", request.clone(), T0 + 10 * SEC)
        .await
        .unwrap()
        .messages;
    assert_eq!(
        retry
            .iter()
            .map(|m| (&m.id, m.receipt()))
            .collect::<Vec<_>>(),
        first
            .iter()
            .map(|m| (&m.id, m.receipt()))
            .collect::<Vec<_>>(),
        "an attempt recorded before the upgrade still replays"
    );
    assert_eq!(
        retry[0].visible_ms,
        T0 + 40 * SEC,
        "its timeout starts anew"
    );
    let again = store
        .lease("f.fifo", request, T0 + 20 * SEC)
        .await
        .unwrap()
        .messages;
    assert_eq!(
        again[0].visible_ms,
        T0 + 50 * SEC,
        "and again after the upgrade"
    );
}
