//! A database that goes away: the store talks to the server through a TCP proxy run by the
//! test on 127.0.0.1, which can cut every connection and refuse new ones, then let them
//! through again. While cut, requests fail with `Unavailable`; after, the same store works
//! again without a restart, and every acknowledged message is still there. The proxy can also
//! freeze: keep every connection open and pass nothing (a dead network path, a stuck server),
//! where requests must fail within the operation timeout instead of waiting for ever; and a
//! server that accepts connections and never answers must not hang the start. It can freeze
//! only the connections open so far, so that a stuck connection left in the pool shows.

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use polyq_core::conformance::T0;
use polyq_core::*;
use polyq_store_postgres::PostgresStore;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    /// Links numbered below this pass nothing.
    frozen: Arc<tokio::sync::watch::Sender<u64>>,
    opened: Arc<AtomicU64>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let frozen = Arc::new(tokio::sync::watch::Sender::new(0));
        let opened = Arc::new(AtomicU64::new(0));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = {
            let (cut, links, frozen) = (cut.clone(), links.clone(), frozen.clone());
            let opened = opened.clone();
            tokio::spawn(async move {
                while let Ok((mut down, _)) = listener.accept().await {
                    if cut.load(Ordering::SeqCst) {
                        continue; // dropped: the client sees the connection close
                    }
                    let upstream = upstream.clone();
                    let mut freeze = frozen.subscribe();
                    let number = opened.fetch_add(1, Ordering::SeqCst);
                    links.lock().unwrap().push(tokio::spawn(async move {
                        if let Ok(mut up) = TcpStream::connect(&upstream).await {
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut down, &mut up) => {}
                                () = async {
                                    let _ = freeze.wait_for(|below| number < *below).await;
                                } => {
                                    // Both sockets stay open, and nothing passes.
                                    std::future::pending::<()>().await;
                                }
                            }
                        }
                    }));
                }
            })
        };
        Proxy {
            port,
            cut,
            frozen,
            opened,
            links,
            accept,
        }
    }

    fn freeze(&self) {
        self.frozen.send_replace(u64::MAX);
    }

    /// Freezes the connections open now; later ones pass. After [`Proxy::freeze`], lets new
    /// connections pass again (frozen ones stay so).
    fn freeze_existing(&self) {
        self.frozen.send_replace(self.opened.load(Ordering::SeqCst));
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

fn text(t: &str) -> NewMessage {
    NewMessage {
        body: Bytes::copy_from_slice(t.as_bytes()),
        ..Default::default()
    }
}

fn unavailable<T: std::fmt::Debug>(r: CoreResult<T>) -> bool {
    matches!(r, Err(CoreError::Unavailable(_)))
}

/// A proxy to the test database, and the store's url through it (`extra` appended).
async fn proxied(schema: &support::Schema, extra: &str) -> (Proxy, String) {
    let base: tokio_postgres::Config = support::base_url().parse().unwrap();
    let host = match base.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".into(),
    };
    let port = base.get_ports().first().copied().unwrap_or(5432);
    let proxy = Proxy::start(format!("{host}:{port}")).await;
    let user = base.get_user().unwrap_or("postgres");
    let db = base.get_dbname().unwrap_or("postgres");
    let url = format!(
        "postgres://{user}@127.0.0.1:{}/{db}?schema={}&pool_size=3&connect_timeout=2{extra}",
        proxy.port, schema.name
    );
    (proxy, url)
}

/// A fresh schema, a proxy to the database and a store connected through it (`extra` added to
/// its url) holding an empty queue `q`; `None` when there is no database to test against.
async fn proxied_store(extra: &str) -> Option<(support::Schema, Proxy, PostgresStore)> {
    let schema = support::fresh_schema().await?;
    let (proxy, url) = proxied(&schema, extra).await;
    let store = PostgresStore::connect(&url)
        .await
        .expect("connect through the proxy");
    store
        .create_queue("q", QueueConfig::default(), T0)
        .await
        .unwrap();
    Some((schema, proxy, store))
}

fn within<T>(what: &str, r: Result<T, tokio::time::error::Elapsed>) -> T {
    r.unwrap_or_else(|_| panic!("{what} still waiting after 20 s"))
}

/// A request that timed out on a frozen connection left it in the pool, and the next
/// requests were handed it and timed out in turn, for as long as it stayed frozen (found by an
/// outage audit: one request in 30 s failed so, indefinitely). A timeout now empties the pool
/// of idle connections; the next request connects afresh and succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_frozen_under_a_timed_out_request_is_not_handed_out_again() {
    let Some((_schema, proxy, store)) = proxied_store("&operation_timeout=2").await else {
        return;
    };
    for _ in 0..3 {
        store.get_queue("q", T0).await.unwrap();
    }
    proxy.freeze_existing();
    let r = within(
        "a request on a frozen connection",
        tokio::time::timeout(Duration::from_secs(20), store.get_queue("q", T0)).await,
    );
    assert!(unavailable(r.clone()), "{r:?}");
    let r = within(
        "the next request",
        tokio::time::timeout(
            Duration::from_secs(20),
            store.send("q", vec![text("after")], T0),
        )
        .await,
    );
    assert!(r.is_ok(), "handed the frozen connection again: {r:?}");
}

/// The listener's connection frozen: a LISTEN connection only receives, so nothing noticed,
/// and long polls on this node missed other nodes' sends for their whole wait (found by an
/// outage audit); and a reconnect to a server that accepted and never answered hung for ever.
/// The listener now pings its connection and bounds its connects: it reports the loss (long
/// polls fall back to looking every second) and is back once connections pass again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_listener_is_noticed_and_replaced() {
    let Some((_schema, proxy, store)) = proxied_store("").await else {
        return;
    };
    let until = |listening: bool, what: &'static str| {
        let store = &store;
        async move {
            for _ in 0..120 {
                if store.is_listening() == listening {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            panic!("{what} after 30 s");
        }
    };
    until(true, "not listening at first").await;
    // Every connection, and every new one, accepted and then silent.
    proxy.freeze();
    until(false, "a frozen listener still taken for listening").await;
    // Connections pass again (the frozen ones, a reconnect attempt among them, stay frozen).
    proxy.freeze_existing();
    until(true, "the listener never came back").await;
}

/// A frozen path to the database: every request fails with `Unavailable` within the
/// operation timeout (2 s here) instead of waiting for an answer that never comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_database_fails_requests_within_the_operation_timeout() {
    let Some((_schema, proxy, store)) = proxied_store("&operation_timeout=2").await else {
        return;
    };
    proxy.freeze();
    // Bounded well beyond the timeout: a hang fails the test instead of stalling it.
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        store.send("q", vec![text("x")], T0),
    )
    .await;
    let r = within("send", r);
    assert!(unavailable(r.clone()), "send while frozen: {r:?}");
    let r = tokio::time::timeout(Duration::from_secs(20), store.get_queue("q", T0)).await;
    let r = within("get_queue", r);
    assert!(
        matches!(&r, Err(CoreError::Unavailable(m)) if m.contains("within 2 seconds")),
        "get_queue while frozen: {r:?}"
    );
}

/// An operation stuck on the database side (here a FIFO receive waiting for a queue lock that
/// another connection holds) is ended by the database itself just before the operation
/// timeout, so that its connection is not handed to the next request still busy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_stuck_in_the_database_is_ended_there() {
    let Some(schema) = support::fresh_schema().await else {
        return;
    };
    let store = PostgresStore::connect(&schema.url("&operation_timeout=2&pool_size=1"))
        .await
        .expect("connect");
    let fifo = QueueConfig {
        fifo: true,
        ..Default::default()
    };
    store.create_queue("q.fifo", fifo, T0).await.unwrap();
    let other = support::side_connection().await;
    other.batch_execute("BEGIN").await.unwrap();
    other
        .execute(
            &format!(
                "SELECT 1 FROM \"{}\".polyq_queues WHERE name = 'q.fifo' FOR UPDATE",
                schema.name
            ),
            &[],
        )
        .await
        .unwrap();
    let lease = LeaseRequest {
        max_messages: 1,
        ..Default::default()
    };
    let r = within(
        "lease",
        tokio::time::timeout(Duration::from_secs(20), store.lease("q.fifo", lease, T0)).await,
    );
    assert!(r.is_err(), "the stuck lease fails: {r:?}");
    // The one pooled connection is free: the database ended the statement (otherwise this
    // would queue behind it until its own operation timeout).
    let r = within(
        "get_queue",
        tokio::time::timeout(Duration::from_secs(20), store.get_queue("q.fifo", T0)).await,
    );
    assert!(r.is_ok(), "{r:?}");
    other.batch_execute("ROLLBACK").await.unwrap();
}

/// A server that accepts connections and never answers: the start fails, naming it, instead
/// of hanging.
#[tokio::test]
async fn a_server_that_never_answers_fails_the_start() {
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((conn, _)) = silent.accept().await {
            open.push(conn);
        }
    });
    let url = format!("postgres://postgres@127.0.0.1:{port}/test?connect_timeout=1");
    let r = tokio::time::timeout(Duration::from_secs(20), PostgresStore::connect(&url))
        .await
        .expect("the start still waiting after 20 s");
    let err = r.err().expect("refused");
    assert!(
        matches!(&err, CoreError::Unavailable(m) if m.contains("did not complete the startup")),
        "{err:?}"
    );
    held.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_fails_requests_then_recovers_without_losing_messages() {
    let Some((_schema, proxy, store)) = proxied_store("").await else {
        return;
    };
    store.health().await.expect("healthy before the cut");
    let batch = (0..5).map(|k| text(&format!("before-{k}"))).collect();
    for r in store.send("q", batch, T0).await.unwrap() {
        r.unwrap();
    }

    proxy.cut();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let r = store.send("q", vec![text("during")], T0).await;
    assert!(unavailable(r.clone()), "send while cut: {r:?}");
    let r = store
        .lease(
            "q",
            LeaseRequest {
                max_messages: 10,
                ..Default::default()
            },
            T0,
        )
        .await;
    assert!(unavailable(r.clone()), "lease while cut: {r:?}");
    let r = store.get_queue("q", T0).await;
    assert!(unavailable(r.clone()), "get_queue while cut: {r:?}");
    assert!(!store.is_listening(), "the listener noticed");
    let r = store.health().await;
    assert!(unavailable(r.clone()), "health while cut: {r:?}");

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(10);
    let info = loop {
        match store.get_queue("q", T0).await {
            Ok(info) => break info,
            Err(e) if Instant::now() < deadline => {
                eprintln!("not yet: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("store did not recover: {e}"),
        }
    };
    assert_eq!(info.stats.visible, 5, "acknowledged messages survived");
    store.health().await.expect("healthy again");
    let got = store
        .lease(
            "q",
            LeaseRequest {
                max_messages: 10,
                ..Default::default()
            },
            T0,
        )
        .await
        .unwrap();
    let mut bodies: Vec<String> = got
        .messages
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    bodies.sort();
    assert_eq!(
        bodies,
        (0..5).map(|k| format!("before-{k}")).collect::<Vec<_>>()
    );
    while !store.is_listening() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(store.is_listening(), "the listener reconnected by itself");
}
