//! Races between concurrent requests on one PostgreSQL store that a single-connection test
//! cannot show (found in review): a retried receive attempt against a receive or another retry,
//! a FIFO move against a receive, and a receive with many dead letters ahead. Each case runs
//! many times (bounded); the locks make the right outcome certain, so any miss fails.

mod support;

use std::sync::Arc;

use polyq_core::*;
use polyq_store_postgres::PostgresStore;

fn message(group: Option<&str>, dedup: Option<String>) -> NewMessage {
    NewMessage {
        body: bytes::Bytes::from_static(b"x"),
        group_id: group.map(str::to_string),
        dedup_id: dedup,
        ..Default::default()
    }
}

fn fifo() -> QueueConfig {
    QueueConfig {
        fifo: true,
        visibility_timeout: 30,
        ..Default::default()
    }
}

fn lease(max: usize, attempt: Option<&str>) -> LeaseRequest {
    LeaseRequest {
        max_messages: max,
        visibility_seconds: None,
        attempt_id: attempt.map(str::to_string),
    }
}

/// Wall-clock now: the store's clean-up runs by the latest time it was given.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

async fn store(schema: &support::Schema) -> Arc<PostgresStore> {
    Arc::new(
        PostgresStore::connect(&schema.url("&pool_size=4"))
            .await
            .expect("connect"),
    )
}

/// Two retries of one attempt at once both get the attempt's messages (the second waits for
/// the first instead of finding the messages re-timed and receiving afresh).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_of_one_attempt_both_replay() {
    let Some(schema) = support::fresh_schema().await else {
        return;
    };
    let store = store(&schema).await;
    let t0 = now();
    for run in 0..40 {
        let q = format!("q{run}");
        store
            .create_queue(&q, QueueConfig::default(), t0)
            .await
            .unwrap();
        let batch = (0..10).map(|_| message(None, None)).collect();
        store.send(&q, batch, t0).await.unwrap();
        let first = store.lease(&q, lease(2, Some("A")), t0).await.unwrap();
        let ids: Vec<String> = first.messages.iter().map(|m| m.id.clone()).collect();
        let retry = |store: Arc<PostgresStore>, q: String| {
            tokio::spawn(async move { store.lease(&q, lease(2, Some("A")), t0 + 1000).await })
        };
        let (a, b) = (retry(store.clone(), q.clone()), retry(store.clone(), q));
        for got in [a.await.unwrap(), b.await.unwrap()] {
            let got: Vec<String> = got.unwrap().messages.iter().map(|m| m.id.clone()).collect();
            assert_eq!(got, ids, "run {run}: a concurrent retry received afresh");
        }
    }
}

/// Two first uses of one attempt at once on a FIFO queue (a client that retried while its
/// first request still waited in a long poll) get the same messages: the one that waited for
/// the queue lock replays what the other leased instead of leasing other groups' messages,
/// which would stay hidden from everyone until their visibility timeout ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_uses_of_one_fifo_attempt_get_the_same_messages() {
    let Some(schema) = support::fresh_schema().await else {
        return;
    };
    let store = store(&schema).await;
    let t0 = now();
    for run in 0..40 {
        let q = format!("q{run}.fifo");
        store.create_queue(&q, fifo(), t0).await.unwrap();
        let batch = (0..8)
            .map(|n| message(Some(&format!("g{n}")), Some(format!("d{n}"))))
            .collect();
        store.send(&q, batch, t0).await.unwrap();
        let first_use = |store: Arc<PostgresStore>, q: String| {
            tokio::spawn(async move { store.lease(&q, lease(2, Some("A")), t0).await })
        };
        let (a, b) = (
            first_use(store.clone(), q.clone()),
            first_use(store.clone(), q),
        );
        let ids =
            |got: LeaseOutcome| -> Vec<String> { got.messages.into_iter().map(|m| m.id).collect() };
        let (a, b) = (
            ids(a.await.unwrap().unwrap()),
            ids(b.await.unwrap().unwrap()),
        );
        assert_eq!(a.len(), 2, "run {run}");
        assert_eq!(a, b, "run {run}: the second first use leased afresh");
    }
}

/// A retry just before the visibility timeout ends and a receive just after it: only one of
/// them gets the FIFO message (the receive read it before the retry re-timed it, and must not
/// take it after).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fifo_retry_and_a_receive_at_the_timeout_never_both_get_the_message() {
    let Some(schema) = support::fresh_schema().await else {
        return;
    };
    let store = store(&schema).await;
    let t0 = now();
    for run in 0..100 {
        let q = format!("r{run}.fifo");
        store.create_queue(&q, fifo(), t0).await.unwrap();
        let m = message(Some("g"), Some("a".into()));
        store.send(&q, vec![m], t0).await.unwrap();
        let first = store.lease(&q, lease(1, Some("A")), t0).await.unwrap();
        assert_eq!(first.messages.len(), 1);
        let (s1, s2, q1, q2) = (store.clone(), store.clone(), q.clone(), q);
        let retry =
            tokio::spawn(async move { s1.lease(&q1, lease(1, Some("A")), t0 + 29_999).await });
        let fresh = tokio::spawn(async move { s2.lease(&q2, lease(1, None), t0 + 30_000).await });
        let a = retry.await.unwrap().unwrap().messages.len();
        let b = fresh.await.unwrap().unwrap().messages.len();
        assert!(
            a + b <= 1,
            "run {run}: the retry and the receive both got it"
        );
    }
}

/// A FIFO move and a receive at once never split a group: the later message does not leave
/// while the earlier one is in flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fifo_move_and_a_receive_never_split_a_group() {
    let Some(schema) = support::fresh_schema().await else {
        return;
    };
    let store = store(&schema).await;
    let t0 = now();
    for run in 0..100 {
        let (src, dst) = (format!("s{run}.fifo"), format!("t{run}.fifo"));
        store.create_queue(&src, fifo(), t0).await.unwrap();
        store.create_queue(&dst, fifo(), t0).await.unwrap();
        let batch = vec![
            message(Some("g"), Some("a".into())),
            message(Some("g"), Some("b".into())),
        ];
        store.send(&src, batch, t0).await.unwrap();
        let (s1, s2, from, to, q) = (
            store.clone(),
            store.clone(),
            src.clone(),
            dst.clone(),
            src.clone(),
        );
        let mover = tokio::spawn(async move { s1.move_messages(&from, Some(&to), 2, t0).await });
        let receiver = tokio::spawn(async move { s2.lease(&q, lease(1, None), t0).await });
        mover.await.unwrap().unwrap();
        receiver.await.unwrap().unwrap();
        let left = store.get_queue(&src, t0).await.unwrap().stats;
        let moved = store.get_queue(&dst, t0).await.unwrap().stats;
        assert!(
            !(left.in_flight == 1 && moved.visible == 1),
            "run {run}: the group was split ({left:?} left, {moved:?} moved)"
        );
    }
}

/// More FIFO messages over the receive limit ahead than one receive moves: the receive says
/// "look again now", so a long poll does not sleep its wait with good messages behind them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_dead_letters_ahead_ask_to_look_again_at_once() {
    let Some(schema) = support::fresh_schema().await else {
        return;
    };
    let store = store(&schema).await;
    let mut t = now();
    store.create_queue("dl.fifo", fifo(), t).await.unwrap();
    let with_dlq = QueueConfig {
        redrive: Some(RedrivePolicy {
            dead_letter_queue: "dl.fifo".into(),
            max_receive_count: 1,
        }),
        ..fifo()
    };
    store.create_queue("s.fifo", with_dlq, t).await.unwrap();
    // 40 groups of one message each, every one received once (their limit) and released.
    let bad = (0..40)
        .map(|i| message(Some(&format!("g{i}")), Some(format!("b{i}"))))
        .collect();
    store.send("s.fifo", bad, t).await.unwrap();
    let mut changes = Vec::new();
    for _ in 0..4 {
        let got = store.lease("s.fifo", lease(10, None), t).await.unwrap();
        changes.extend(got.messages.iter().map(|m| VisibilityChange {
            receipt: m.receipt(),
            visibility_seconds: 0,
            renew_receipt: false,
            require_hidden: false,
            accept_older_receipt: false,
            max_total_seconds: None,
        }));
    }
    assert_eq!(changes.len(), 40);
    store
        .change_visibility("s.fifo", &changes, t)
        .await
        .unwrap();
    t += 1000;
    let good = (0..5)
        .map(|i| message(Some("zz"), Some(format!("z{i}"))))
        .collect();
    store.send("s.fifo", good, t).await.unwrap();
    t += 1000;
    let mut received = 0;
    for pass in 0..10 {
        let got = store.lease("s.fifo", lease(10, None), t).await.unwrap();
        received += got.messages.len();
        if received == 5 {
            break;
        }
        assert_eq!(
            got.next_visible_ms,
            Some(t),
            "pass {pass}: dead letters still ahead, look again now"
        );
    }
    assert_eq!(received, 5, "the good messages behind the dead letters");
    assert_eq!(
        store.get_queue("dl.fifo", t).await.unwrap().stats.visible,
        40
    );
}

/// A delete whose message another node leases again while the delete waits for its row: the
/// receipt is stale (SQS answers success and deletes nothing), not "no longer in flight" (which
/// SQS answers with an error). The other node's lease is played by a second connection that
/// holds the row's lock while the delete starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delete_racing_another_lease_finds_its_receipt_stale() {
    let Some(schema) = support::fresh_schema().await else {
        return;
    };
    let store = store(&schema).await;
    let other = support::side_connection().await;
    let t0 = now();
    store
        .create_queue("q", QueueConfig::default(), t0)
        .await
        .unwrap();
    let relet = format!(
        "UPDATE \"{}\".polyq_messages SET lease = lease + 1 WHERE seq = $1",
        schema.name
    );
    for run in 0..10 {
        store
            .send("q", vec![message(None, None)], t0)
            .await
            .unwrap();
        let first = store.lease("q", lease(1, None), t0).await.unwrap().messages;
        let receipt = first[0].receipt();
        other.batch_execute("BEGIN").await.unwrap();
        other
            .execute(&relet, &[&(receipt.seq as i64)])
            .await
            .unwrap();
        let pending = {
            let store = store.clone();
            tokio::spawn(async move { store.delete_receipts("q", &[receipt], false, t0).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        other.batch_execute("COMMIT").await.unwrap();
        let got = pending.await.unwrap().unwrap();
        assert_eq!(got, vec![Err(CoreError::ReceiptStale)], "run {run}");
        store.purge_queue("q", t0).await.unwrap();
    }
}

/// Waits (bounded) until `n` sessions working on `schema` wait for a lock.
async fn until_waiting(watcher: &tokio_postgres::Client, schema: &str, n: i64) {
    let sql = "SELECT count(DISTINCT w.pid) FROM pg_locks w WHERE NOT w.granted AND w.pid IN ( \
               SELECT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
               JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1)";
    for _ in 0..400 {
        let waiting: i64 = watcher.query_one(sql, &[&schema]).await.unwrap().get(0);
        if waiting >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{n} sessions never waited for a lock");
}

/// A FIFO lease picks each group's visible messages, then takes them by seq. A holder's
/// extension committed in between (here held up by a third connection's row lock, as any lock
/// wait can hold it) was overwritten: the message went to a second consumer inside its
/// extended timeout (found by a two-node audit). Changes on FIFO queues now take the queue's
/// lock, so the lease sees the extension and takes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fifo_lease_never_takes_a_message_whose_lease_was_just_extended() {
    let Some(schema) = support::fresh_schema().await else {
        return;
    };
    let store = store(&schema).await;
    let other = support::side_connection().await;
    let watcher = support::side_connection().await;
    let t0 = now();
    store.create_queue("q.fifo", fifo(), t0).await.unwrap();
    let hold = format!(
        "SELECT 1 FROM \"{}\".polyq_messages WHERE seq = $1 FOR UPDATE",
        schema.name
    );
    for run in 0..3 {
        let dedup = Some(format!("m{run}"));
        store
            .send("q.fifo", vec![message(Some("g"), dedup)], t0)
            .await
            .unwrap();
        let two_seconds = LeaseRequest {
            visibility_seconds: Some(2),
            ..lease(1, None)
        };
        let first = store.lease("q.fifo", two_seconds, t0).await.unwrap();
        let receipt = first.messages[0].receipt();
        other.batch_execute("BEGIN").await.unwrap();
        other
            .execute(&hold, &[&(receipt.seq as i64)])
            .await
            .unwrap();
        // The holder extends its lease to a minute 1.3 s in, still inside its 2 s.
        let extend = {
            let store = store.clone();
            let change = VisibilityChange {
                receipt,
                visibility_seconds: 60,
                renew_receipt: false,
                require_hidden: true,
                accept_older_receipt: true,
                max_total_seconds: None,
            };
            tokio::spawn(async move {
                store
                    .change_visibility("q.fifo", &[change], t0 + 1300)
                    .await
            })
        };
        until_waiting(&watcher, &schema.name, 1).await;
        // Another consumer receives 2.4 s in, when the first lease would have run out.
        let steal = {
            let store = store.clone();
            tokio::spawn(async move { store.lease("q.fifo", lease(1, None), t0 + 2400).await })
        };
        until_waiting(&watcher, &schema.name, 2).await;
        other.batch_execute("COMMIT").await.unwrap();
        let extended = extend.await.unwrap().unwrap();
        assert!(extended[0].is_ok(), "run {run}: {extended:?}");
        let stolen = steal.await.unwrap().unwrap().messages;
        assert!(
            stolen.is_empty(),
            "run {run}: taken inside its extended lease: {stolen:?}"
        );
        store.purge_queue("q.fifo", t0).await.unwrap();
    }
}

/// A standard send that looked its queue up before another node deleted it inserts its rows
/// after the delete: they belonged to no queue and, without an expiry, stayed for ever (found
/// by a two-node audit). The deleting node sweeps the queue's rows again once every statement
/// begun before the delete has ended (the operation timeout). The send is held between its
/// look-up and its insert by an uncommitted row holding the sequence number it will take.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rows_a_send_inserts_after_its_queue_was_deleted_are_swept() {
    let Some(schema) = support::fresh_schema().await else {
        return;
    };
    let store = Arc::new(
        PostgresStore::connect(&schema.url("&pool_size=4&operation_timeout=3"))
            .await
            .expect("connect"),
    );
    let other = support::side_connection().await;
    let watcher = support::side_connection().await;
    let s = &schema.name;
    let t0 = now();
    store
        .create_queue("q", QueueConfig::default(), t0)
        .await
        .unwrap();
    let taken: i64 = other
        .query_one(&format!("SELECT nextval('\"{s}\".polyq_message_seq')"), &[])
        .await
        .unwrap()
        .get(0);
    other.batch_execute("BEGIN").await.unwrap();
    other
        .execute(
            &format!(
                "INSERT INTO \"{s}\".polyq_messages \
                 (seq, queue_id, priority, enqueued_ms, visible_ms, body) \
                 VALUES ($1, -1, 0, 0, 0, '')"
            ),
            &[&(taken + 1)],
        )
        .await
        .unwrap();
    let send = {
        let store = store.clone();
        tokio::spawn(async move { store.send("q", vec![message(None, None)], t0).await })
    };
    until_waiting(&watcher, s, 1).await;
    store.delete_queue("q").await.unwrap();
    other.batch_execute("ROLLBACK").await.unwrap();
    send.await.unwrap().unwrap();
    let count = format!("SELECT count(*) FROM \"{s}\".polyq_messages");
    let rows = || async {
        watcher
            .query_one(&count, &[])
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    assert_eq!(rows().await, 1, "the late insert is there at first");
    // Swept 3 s + 2 s after the delete; waited for up to 20 s.
    for _ in 0..80 {
        if rows().await == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    panic!("the late rows of the deleted queue were never swept");
}
