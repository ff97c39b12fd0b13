//! A throughput figure, not a test: ignored by default, never asserts on time.
//!
//! `cargo test -p polyq-store-postgres --release --test throughput -- --ignored --nocapture`

mod support;

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use polyq_core::conformance::T0;
use polyq_core::*;
use polyq_store_postgres::PostgresStore;

const TASKS: usize = 8;
const BATCHES: usize = 100; // per task
const BATCH: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly with --ignored --nocapture"]
async fn store_throughput() {
    let Some(schema) = support::fresh_schema().await else {
        return;
    };
    let store = Arc::new(
        PostgresStore::connect(&schema.url("&pool_size=8"))
            .await
            .unwrap(),
    );
    store
        .create_queue("bench", QueueConfig::default(), T0)
        .await
        .unwrap();
    let body = Bytes::from(vec![b'x'; 256]);
    let total = TASKS * BATCHES * BATCH;

    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (store, body) = (store.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..BATCHES {
                let batch = (0..BATCH)
                    .map(|_| NewMessage {
                        body: body.clone(),
                        ..Default::default()
                    })
                    .collect();
                store.send("bench", batch, T0).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let send = started.elapsed();

    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            for _ in 0..BATCHES * 4 {
                let req = LeaseRequest {
                    max_messages: BATCH,
                    visibility_seconds: Some(60),
                    attempt_id: None,
                };
                let got = store.lease("bench", req, T0).await.unwrap().messages;
                if got.is_empty() {
                    break;
                }
                n += got.len();
                let receipts: Vec<Receipt> = got.iter().map(|m| m.receipt()).collect();
                store.delete("bench", &receipts, T0).await.unwrap();
            }
            n
        }));
    }
    let mut received = 0;
    for t in tasks {
        received += t.await.unwrap();
    }
    let recv = started.elapsed();

    let started = Instant::now();
    for k in 0..500 {
        store
            .send(
                "bench",
                vec![NewMessage {
                    body: body.clone(),
                    ..Default::default()
                }],
                T0 + k,
            )
            .await
            .unwrap();
    }
    let single = started.elapsed();

    eprintln!(
        "send (batches of {BATCH}, {TASKS} tasks): {total} msgs in {send:.2?} = {:.0} msg/s",
        total as f64 / send.as_secs_f64()
    );
    eprintln!(
        "receive+delete (batches of {BATCH}, {TASKS} tasks): {received} msgs in {recv:.2?} = {:.0} msg/s",
        received as f64 / recv.as_secs_f64()
    );
    eprintln!(
        "single-message sends, one task: 500 in {single:.2?} = {:.0} req/s",
        500.0 / single.as_secs_f64()
    );
}
