//! Measures how long reopening a store with many messages takes.
//!
//! ```text
//! cargo run --release -p polyq-store-embedded --example reopen_bench -- [MESSAGES] [DIR]
//! ```
//! Builds a store of MESSAGES (default 1,000,000) 100-byte messages in DIR (default a fresh
//! directory under the system temp dir, removed afterwards), half of them received once (in
//! flight), then closes and reopens it three times and prints each reopen's time.

use std::time::Instant;

use polyq_core::*;
use polyq_store_embedded::EmbeddedStore;

const T0: u64 = 1_700_000_000_000;

fn main() {
    let mut args = std::env::args().skip(1);
    let total: usize = args
        .next()
        .map_or(1_000_000, |a| a.parse().expect("MESSAGES"));
    let dir = args.next().map_or_else(
        || std::env::temp_dir().join(format!("polyq-reopen-bench-{}", std::process::id())),
        Into::into,
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let started = Instant::now();
    let (files, size) = rt.block_on(async {
        let store = EmbeddedStore::open(&dir).unwrap();
        store
            .create_queue("bench", QueueConfig::default(), T0)
            .await
            .unwrap();
        let mut sent = 0;
        while sent < total {
            let n = (total - sent).min(1000);
            let batch = (sent..sent + n)
                .map(|i| NewMessage {
                    body: format!("{i:0>100}").into_bytes().into(),
                    ..Default::default()
                })
                .collect();
            store.send("bench", batch, T0).await.unwrap();
            sent += n;
        }
        let req = LeaseRequest {
            max_messages: 1000,
            visibility_seconds: Some(3600),
            attempt_id: None,
        };
        for _ in 0..total / 2000 {
            store.lease("bench", req.clone(), T0).await.unwrap();
        }
        store.disk_usage()
    });
    println!(
        "built {total} messages in {:.1?}; {} holds {files} log segments, {:.1} MiB",
        started.elapsed(),
        dir.display(),
        size as f64 / 1048576.0
    );
    for attempt in 1..=3 {
        let t = Instant::now();
        let store = EmbeddedStore::open(&dir).unwrap();
        let elapsed = t.elapsed();
        let stats = rt.block_on(store.get_queue("bench", T0)).unwrap().stats;
        println!("reopen {attempt}: {elapsed:.2?} ({stats:?})");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
