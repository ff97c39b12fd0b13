//! A database that goes away: the store talks to the server through a TCP proxy run by the
//! test on 127.0.0.1, which can cut every connection and refuse new ones, then let them
//! through again. While cut, requests fail with `Unavailable`; after, the same store works
//! again without a restart, and every acknowledged message is still there.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
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
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = {
            let (cut, links) = (cut.clone(), links.clone());
            tokio::spawn(async move {
                while let Ok((mut down, _)) = listener.accept().await {
                    if cut.load(Ordering::SeqCst) {
                        continue; // dropped: the client sees the connection close
                    }
                    let upstream = upstream.clone();
                    links.lock().unwrap().push(tokio::spawn(async move {
                        if let Ok(mut up) = TcpStream::connect(&upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                        }
                    }));
                }
            })
        };
        Proxy {
            port,
            cut,
            links,
            accept,
        }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_fails_requests_then_recovers_without_losing_messages() {
    let Some(schema) = support::fresh_schema().await else {
        return;
    };
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
        "postgres://{user}@127.0.0.1:{}/{db}?schema={}&pool_size=3&connect_timeout=2",
        proxy.port, schema.name
    );
    let store = PostgresStore::connect(&url)
        .await
        .expect("connect through the proxy");
    store
        .create_queue("q", QueueConfig::default(), T0)
        .await
        .unwrap();
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
