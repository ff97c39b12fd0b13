//! Measures the store's size on disk while many messages are sent and deleted.
//!
//! ```text
//! cargo run --release -p polyq-store-embedded --example space_bench -- [MESSAGES] [DIR]
//! ```
//! Phase 1 (steady state): 8 clients each loop send 10 / receive 10 / delete 10 until
//! MESSAGES (default 1,000,000) went through. Phase 2 (backlog): MESSAGES are sent, then all
//! received and deleted. Prints the number and total size of the log segments before, during
//! and after each phase. DIR defaults to a fresh directory under the system temp dir, removed afterwards.

use std::sync::Arc;
use std::time::{Duration, Instant};

use polyq_core::*;
use polyq_store_embedded::EmbeddedStore;

const T0: u64 = 1_700_000_000_000;
const CLIENTS: usize = 8;

fn size(store: &EmbeddedStore) -> String {
    let (files, bytes) = store.disk_usage();
    format!("{files} log segments, {:.1} MiB", bytes as f64 / 1048576.0)
}

fn new_batch(from: usize, n: usize) -> Vec<NewMessage> {
    (from..from + n)
        .map(|i| NewMessage {
            body: format!("{i:0>100}").into_bytes().into(),
            ..Default::default()
        })
        .collect()
}

async fn drain(store: &EmbeddedStore, max: usize) -> usize {
    let req = LeaseRequest {
        max_messages: max,
        visibility_seconds: Some(3600),
        attempt_id: None,
    };
    let got = store.lease("bench", req, T0).await.unwrap().messages;
    let receipts: Vec<Receipt> = got.iter().map(Message::receipt).collect();
    store.delete("bench", &receipts, T0).await.unwrap();
    got.len()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let total: usize = args
        .next()
        .map_or(1_000_000, |a| a.parse().expect("MESSAGES"));
    let dir = args.next().map_or_else(
        || std::env::temp_dir().join(format!("polyq-space-bench-{}", std::process::id())),
        Into::into,
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Arc::new(EmbeddedStore::open(&dir).unwrap());
        store
            .create_queue("bench", QueueConfig::default(), T0)
            .await
            .unwrap();
        println!("start: {}", size(&store));

        let t = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..CLIENTS {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut done = 0;
                let mut i = 0;
                while done < total / CLIENTS {
                    store
                        .send("bench", new_batch(c * total + i, 10), T0)
                        .await
                        .unwrap();
                    i += 10;
                    done += drain(&store, 10).await;
                }
            }));
        }
        for (n, task) in tasks.into_iter().enumerate() {
            task.await.unwrap();
            if n == 0 {
                println!("steady: first client done: {}", size(&store));
            }
        }
        while drain(&store, 1000).await > 0 {}
        println!(
            "steady: {total} sent+received+deleted in {:.1?}: {}",
            t.elapsed(),
            size(&store)
        );

        let t = Instant::now();
        for from in (0..total).step_by(1000) {
            store
                .send("bench", new_batch(from, 1000.min(total - from)), T0)
                .await
                .unwrap();
        }
        println!(
            "backlog: {total} sent in {:.1?}: {}",
            t.elapsed(),
            size(&store)
        );
        while drain(&store, 1000).await > 0 {}
        println!(
            "backlog: all deleted in {:.1?}: {}",
            t.elapsed(),
            size(&store)
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
        println!("backlog: 3 s later (space reclaimed): {}", size(&store));
    });
    std::fs::remove_dir_all(&dir).unwrap();
}
