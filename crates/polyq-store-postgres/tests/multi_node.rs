//! Two `PostgresStore`s on one schema (two pools: two "nodes") racing each other: leases never
//! hand one message to two consumers, FIFO groups stay locked and ordered, deduplication holds,
//! and a long poll on one node is woken by a send through the other (a delayed one too).

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use polyq_core::conformance::T0;
use polyq_core::*;
use polyq_store_postgres::PostgresStore;

async fn two_nodes() -> Option<(support::Schema, Arc<PostgresStore>, Arc<PostgresStore>)> {
    let schema = support::fresh_schema().await?;
    let url = schema.url("&pool_size=6");
    let a = PostgresStore::connect(&url).await.expect("node A");
    let b = PostgresStore::connect(&url).await.expect("node B");
    Some((schema, Arc::new(a), Arc::new(b)))
}

/// Services over [`two_nodes`], with `queue` made through A and B's listener connected.
async fn two_services(queue: &str) -> Option<(support::Schema, QueueService, Arc<QueueService>)> {
    let (schema, a, b) = two_nodes().await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let a = QueueService::new(a, clock.clone());
    let node_b = b.clone();
    let b = Arc::new(QueueService::new(b, clock));
    a.create_queue(queue, QueueConfig::default()).await.unwrap();
    let ready = Instant::now() + Duration::from_secs(5);
    while !node_b.is_listening() && Instant::now() < ready {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(node_b.is_listening(), "node B's listener connected");
    Some((schema, a, b))
}

/// A long poll of `secs` for one message of `queue` through `node`, running: when it ended,
/// and what it got.
fn long_poll(
    node: &Arc<QueueService>,
    queue: &'static str,
    secs: u64,
) -> tokio::task::JoinHandle<(Instant, Vec<Message>)> {
    let node = node.clone();
    tokio::spawn(async move {
        let opts = ReceiveOptions {
            max_messages: 1,
            wait: Some(Duration::from_secs(secs)),
            ..Default::default()
        };
        let got = node.receive(queue, opts).await.unwrap();
        (Instant::now(), got)
    })
}

fn text(t: &str) -> NewMessage {
    NewMessage {
        body: Bytes::copy_from_slice(t.as_bytes()),
        ..Default::default()
    }
}

fn lease(max: usize) -> LeaseRequest {
    LeaseRequest {
        max_messages: max,
        visibility_seconds: Some(600),
        attempt_id: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_leases_never_share_a_message() {
    let Some((_schema, a, b)) = two_nodes().await else {
        return;
    };
    const N: usize = 3000;
    a.create_queue("q", QueueConfig::default(), T0)
        .await
        .unwrap();
    for chunk in 0..N / 100 {
        let node = if chunk % 2 == 0 { &a } else { &b };
        let batch = (0..100)
            .map(|k| text(&format!("{}", chunk * 100 + k)))
            .collect();
        for r in node.send("q", batch, T0).await.unwrap() {
            r.unwrap();
        }
    }
    let mut tasks = Vec::new();
    for c in 0..6 {
        let node = if c % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            let mut empty = 0;
            // Bounded: far more rounds than 3000 / 6 / 10 needs.
            for _ in 0..2000 {
                let out = node.lease("q", lease(10), T0 + 1).await.unwrap();
                if out.messages.is_empty() {
                    empty += 1;
                    if empty > 3 {
                        break;
                    }
                    continue;
                }
                got.extend(out.messages.into_iter().map(|m| m.receipt()));
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let unique: HashSet<u64> = all.iter().map(|r| r.seq).collect();
    assert_eq!(unique.len(), all.len(), "a message was leased twice");
    assert_eq!(all.len(), N, "every message was leased exactly once");
    for (k, chunk) in all.chunks(10).enumerate() {
        let node = if k % 2 == 0 { &a } else { &b };
        let res = node.delete("q", chunk, T0 + 2).await.unwrap();
        assert!(res.iter().all(|r| r.is_ok()), "{res:?}");
    }
    let stats = b.get_queue("q", T0 + 2).await.unwrap().stats;
    assert_eq!(stats, QueueStats::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifo_groups_stay_locked_and_ordered_across_nodes() {
    let Some((_schema, a, b)) = two_nodes().await else {
        return;
    };
    const GROUPS: usize = 8;
    const PER_GROUP: usize = 15;
    let fifo = QueueConfig {
        fifo: true,
        ..Default::default()
    };
    a.create_queue("f.fifo", fifo, T0).await.unwrap();
    for k in 0..PER_GROUP {
        for g in 0..GROUPS {
            let node = if (k + g) % 2 == 0 { &a } else { &b };
            let m = NewMessage {
                group_id: Some(format!("g{g}")),
                dedup_id: Some(format!("{g}-{k}")),
                ..text(&format!("{g}:{k}"))
            };
            node.send("f.fifo", vec![m], T0).await.unwrap()[0]
                .as_ref()
                .unwrap();
        }
    }
    // Per group: who holds it now, and the order in which its messages were delivered.
    let held: Arc<Mutex<HashSet<String>>> = Arc::default();
    let order: Arc<Mutex<HashMap<String, Vec<usize>>>> = Arc::default();
    let mut tasks = Vec::new();
    for c in 0..4 {
        let node = if c % 2 == 0 { a.clone() } else { b.clone() };
        let (held, order) = (held.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            let mut empty = 0;
            for _ in 0..1000 {
                let out = node.lease("f.fifo", lease(3), T0 + 1).await.unwrap();
                if out.messages.is_empty() {
                    empty += 1;
                    if empty > 20 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    continue;
                }
                empty = 0;
                let mut groups = HashSet::new();
                for m in &out.messages {
                    let body = String::from_utf8_lossy(&m.body).into_owned();
                    let (g, k) = body.split_once(':').unwrap();
                    groups.insert(format!("g{g}"));
                    order
                        .lock()
                        .unwrap()
                        .entry(format!("g{g}"))
                        .or_default()
                        .push(k.parse().unwrap());
                }
                for g in &groups {
                    assert!(
                        held.lock().unwrap().insert(g.clone()),
                        "group {g} held twice"
                    );
                }
                tokio::task::yield_now().await;
                // Release the mark before deleting: the group stays locked until the delete.
                for g in &groups {
                    held.lock().unwrap().remove(g);
                }
                let receipts: Vec<Receipt> = out.messages.iter().map(|m| m.receipt()).collect();
                let res = node.delete("f.fifo", &receipts, T0 + 1).await.unwrap();
                assert!(res.iter().all(|r| r.is_ok()), "{res:?}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let order = order.lock().unwrap();
    assert_eq!(order.len(), GROUPS);
    for (g, ks) in order.iter() {
        assert_eq!(
            *ks,
            (0..PER_GROUP).collect::<Vec<_>>(),
            "group {g} out of order"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deduplication_holds_across_nodes() {
    let Some((_schema, a, b)) = two_nodes().await else {
        return;
    };
    let fifo = QueueConfig {
        fifo: true,
        ..Default::default()
    };
    a.create_queue("d.fifo", fifo, T0).await.unwrap();
    let msg = |k: usize| NewMessage {
        group_id: Some(format!("g{}", k % 3)),
        dedup_id: Some(format!("id-{k}")),
        ..text(&format!("{k}"))
    };
    for k in 0..100 {
        let (ra, rb) = tokio::join!(
            a.send("d.fifo", vec![msg(k)], T0),
            b.send("d.fifo", vec![msg(k)], T0)
        );
        let (sa, sb) = (
            ra.unwrap().remove(0).unwrap(),
            rb.unwrap().remove(0).unwrap(),
        );
        assert_eq!(sa.id, sb.id, "both nodes report the one message");
        assert!(
            sa.deduplicated != sb.deduplicated,
            "exactly one send stored it"
        );
    }
    let stats = b.get_queue("d.fifo", T0).await.unwrap().stats;
    assert_eq!(stats.visible, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_poll_on_one_node_is_woken_by_a_send_on_another() {
    let Some((_schema, a, b)) = two_services("wake").await else {
        return;
    };
    let waiter = long_poll(&b, "wake", 10);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent_at = Instant::now();
    a.send("wake", vec![text("ping")]).await.unwrap()[0]
        .as_ref()
        .unwrap();
    let (woken_at, got) = waiter.await.unwrap();
    let latency = woken_at.duration_since(sent_at);
    eprintln!("cross-node wakeup latency: {latency:?}");
    assert_eq!(got.len(), 1);
    // The fallback would take about a second; a notification takes milliseconds.
    assert!(
        latency < Duration::from_millis(800),
        "woken after {latency:?}"
    );
}

/// A delayed send through one node wakes a long poll of the other, which then sleeps until the
/// delay ends (it looked before the message existed and had planned to its 20 s deadline).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delayed_send_on_one_node_reaches_a_long_poll_on_another_when_due() {
    let Some((_schema, a, b)) = two_services("later").await else {
        return;
    };
    let waiter = long_poll(&b, "later", 20);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let delayed = NewMessage {
        delay_seconds: Some(1),
        ..text("due in a second")
    };
    a.send("later", vec![delayed]).await.unwrap()[0]
        .as_ref()
        .unwrap();
    let (_, got) = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("woken by the send's notification, not at the 20 s deadline")
        .unwrap();
    assert_eq!(got.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_together_migrate_once() {
    let Some(schema) = support::fresh_schema().await else {
        return;
    };
    let url = schema.url("&pool_size=2");
    let starts = (0..4).map(|_| {
        let url = url.clone();
        async move { PostgresStore::connect(&url).await }
    });
    let nodes: Vec<PostgresStore> = futures_join_all(starts).await;
    let stores: Vec<&PostgresStore> = nodes.iter().collect();
    stores[0]
        .create_queue("q", QueueConfig::default(), T0)
        .await
        .unwrap();
    let sent = stores[1].send("q", vec![text("x")], T0).await.unwrap();
    let id = sent[0].as_ref().unwrap().id.clone();
    // Every node agrees on the id prefix, so any node finds the message by id.
    for s in &stores {
        assert_eq!(s.get_message("q", &id, T0).await.unwrap().id, id);
    }
    let client = support::side_connection().await;
    let rows = client
        .query(
            &format!(
                "SELECT version FROM \"{}\".polyq_schema_version ORDER BY version",
                schema.name
            ),
            &[],
        )
        .await
        .unwrap();
    let versions: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, vec![1, 2, 3], "each migration recorded once");
}

async fn futures_join_all<F>(futs: impl Iterator<Item = F>) -> Vec<PostgresStore>
where
    F: std::future::Future<Output = Result<PostgresStore, CoreError>> + Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap().expect("node started"));
    }
    out
}

/// A visibility timeout shortened (not to 0) through one node reaches a long poll of the other,
/// which had planned by the old timeout: it gets the message when the new one ends, not at its
/// 20 s deadline. A timeout made longer gives it nothing (whether it wakes is not observable
/// here: woken, it looks, finds the message hidden and sleeps again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visibility_shortened_on_one_node_reaches_a_long_poll_on_another() {
    let Some((_schema, a, b)) = two_services("shorter").await else {
        return;
    };
    a.send("shorter", vec![text("held")]).await.unwrap()[0]
        .as_ref()
        .unwrap();
    let held = a
        .receive(
            "shorter",
            ReceiveOptions {
                max_messages: 1,
                visibility_seconds: Some(600),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    let waiter = long_poll(&b, "shorter", 20);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let change = |seconds| VisibilityChange {
        receipt: held[0].receipt(),
        visibility_seconds: seconds,
        renew_receipt: false,
        require_hidden: false,
        accept_older_receipt: false,
        max_total_seconds: None,
    };
    // Longer first: nothing for the waiter yet.
    let r = a
        .change_visibility("shorter", &[change(900)])
        .await
        .unwrap();
    assert!(r[0].is_ok());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiter.is_finished(),
        "a longer timeout gives the waiter nothing"
    );
    let r = a.change_visibility("shorter", &[change(1)]).await.unwrap();
    assert!(r[0].is_ok());
    let (_, got) = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("woken by the change's notification, not at the 20 s deadline")
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body.as_ref(), b"held");
}

/// A node whose clock ran a day ahead stamped the shared cleanup claim a day ahead, and no
/// node in step cleaned up until their clocks caught up with it (found by a two-node audit):
/// expired messages stayed in the table. A claim more than a period ahead is now taken over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cleanup_claim_stamped_in_the_future_is_taken_over() {
    let Some(schema) = support::fresh_schema().await else {
        return;
    };
    let store = PostgresStore::connect(&schema.url("&pool_size=2"))
        .await
        .expect("node");
    let side = support::side_connection().await;
    let wall = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    };
    let brief = QueueConfig {
        retention_seconds: 1,
        ..Default::default()
    };
    store.create_queue("q", brief, wall()).await.unwrap();
    store.send("q", vec![text("x")], wall()).await.unwrap();
    let s = &schema.name;
    let ahead = (wall() + 86_400_000).to_string();
    side.execute(
        &format!("UPDATE \"{s}\".polyq_meta SET value = $1 WHERE key = 'cleanup_ms'"),
        &[&ahead],
    )
    .await
    .unwrap();
    let rows = format!("SELECT count(*) FROM \"{s}\".polyq_messages");
    // The cleanup runs every 10 s by the latest time the store was given: waited up to 45 s.
    for _ in 0..180 {
        store.get_queue("q", wall()).await.unwrap();
        if side.query_one(&rows, &[]).await.unwrap().get::<_, i64>(0) == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("expired rows were never cleaned up behind a claim stamped a day ahead");
}

/// A delete on one node that frees a FIFO message group reaches a long poll of the other
/// node, which gets the group's next message then, not at its deadline (found by a long-poll
/// audit: 18 s later, at the waiters' 20 s deadline).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_group_freed_on_one_node_reaches_a_long_poll_on_another() {
    let Some((_schema, a, b)) = two_services("unused").await else {
        return;
    };
    let fifo = QueueConfig {
        fifo: true,
        ..Default::default()
    };
    a.create_queue("grp.fifo", fifo).await.unwrap();
    let in_group = |n: &str| NewMessage {
        group_id: Some("g".into()),
        dedup_id: Some(n.into()),
        ..text(n)
    };
    a.send("grp.fifo", vec![in_group("first"), in_group("second")])
        .await
        .unwrap();
    let opts = ReceiveOptions {
        max_messages: 1,
        visibility_seconds: Some(600),
        ..Default::default()
    };
    let first = a.receive("grp.fifo", opts).await.unwrap().remove(0);
    let waiter = long_poll(&b, "grp.fifo", 20);
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.delete("grp.fifo", &[first.receipt()]).await.unwrap();
    let (_, got) = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("woken by the delete's notification, not at the 20 s deadline")
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(&got[0].body[..], b"second");
}
