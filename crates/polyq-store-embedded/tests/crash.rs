//! `kill -9` while writing: a child process (this test binary, re-run as a helper) sends
//! numbered messages from several tasks and deletes received ones, printing each send and
//! delete only after polyq acknowledged it (and announcing each delete before asking for it,
//! since a delete can reach the disk while its answer is cut off by the kill). The parent
//! kills it at a random moment, reopens the store, and checks that every acknowledged send is
//! there unless a delete of it was asked for, and that no acknowledged delete came back.
//! Several rounds on one directory.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use polyq_core::*;
use polyq_store_embedded::EmbeddedStore;

const CHILD_ENV: &str = "POLYQ_CRASH_CHILD_DIR";
const ROUNDS: u32 = 5;
const SENDERS: usize = 4;

#[test]
#[ignore = "helper process of kill_9_loses_nothing_acknowledged"]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let round: u32 = std::env::var("POLYQ_CRASH_ROUND").unwrap().parse().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let store = Arc::new(EmbeddedStore::open(&dir).unwrap());
        let now = || {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64
        };
        store
            .create_queue("q", QueueConfig::default(), now())
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut tasks = Vec::new();
        for sender in 0..SENDERS {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut i = 0u64;
                while Instant::now() < deadline {
                    let body = format!("r{round}-s{sender}-{i}");
                    let batch = vec![NewMessage {
                        body: body.clone().into_bytes().into(),
                        ..Default::default()
                    }];
                    if let Ok(mut sent) = store.send("q", batch, now()).await {
                        if sent.remove(0).is_ok() {
                            println!("SENT {body}");
                        }
                    }
                    i += 1;
                }
            }));
        }
        let consumer = store.clone();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let req = LeaseRequest {
                    max_messages: 5,
                    visibility_seconds: Some(600),
                    attempt_id: None,
                };
                let got = consumer.lease("q", req, now()).await.unwrap().messages;
                for m in &got {
                    println!("DELETING {}", String::from_utf8_lossy(&m.body));
                }
                let receipts: Vec<Receipt> = got.iter().map(Message::receipt).collect();
                let results = consumer.delete("q", &receipts, now()).await.unwrap();
                for (m, r) in got.iter().zip(results) {
                    if r.is_ok() {
                        println!("DELETED {}", String::from_utf8_lossy(&m.body));
                    }
                }
                tokio::task::yield_now().await;
            }
        }));
        for t in tasks {
            t.await.unwrap();
        }
    });
}

/// Runs one child until a random moment, kills it with SIGKILL, returns its complete lines.
fn run_and_kill(dir: &Path, round: u32, after: Duration) -> Vec<String> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir)
        .env("POLYQ_CRASH_ROUND", round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            // A line cut by the kill has no newline: the child never finished saying it.
            if line.ends_with('\n') {
                lines.push(line.trim_end().to_string());
            }
            line.clear();
        }
        lines
    });
    std::thread::sleep(after);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap()
}

#[tokio::test]
async fn kill_9_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut sent = HashSet::new();
    let mut deleting = HashSet::new();
    let mut deleted = HashSet::new();
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    for round in 0..ROUNDS {
        // 300..1500 ms: the child needs ~100 ms to start, then writes as fast as it can.
        let after = Duration::from_millis(300 + (seed.wrapping_mul(round as u64 + 7) >> 3) % 1200);
        for line in run_and_kill(dir.path(), round, after) {
            // libtest writes "test crash_child ... " without a newline before the child's first
            // line: drop it, or that line's marker would not be recognised.
            let line = line.strip_prefix("test crash_child ... ").unwrap_or(&line);
            if let Some(body) = line.strip_prefix("SENT ") {
                sent.insert(body.to_string());
            } else if let Some(body) = line.strip_prefix("DELETING ") {
                deleting.insert(body.to_string());
            } else if let Some(body) = line.strip_prefix("DELETED ") {
                deleted.insert(body.to_string());
            }
        }
        let store = EmbeddedStore::open(dir.path()).expect("reopen after kill -9");
        let present: HashSet<String> = store
            .memory()
            .dump()
            .into_iter()
            .flat_map(|q| q.messages)
            .map(|m| String::from_utf8_lossy(&m.body).into_owned())
            .collect();
        for body in &deleted {
            assert!(
                !present.contains(body),
                "round {round}: acknowledged delete of {body} came back"
            );
        }
        for body in sent.difference(&deleting) {
            assert!(
                present.contains(body),
                "round {round}: acknowledged send of {body} is lost"
            );
        }
        eprintln!(
            "round {round}: killed after {after:?}; {} sends and {} deletes acknowledged so far, {} messages on disk",
            sent.len(),
            deleted.len(),
            present.len()
        );
    }
    assert!(
        sent.len() > 100,
        "the child made too little progress to test anything: {}",
        sent.len()
    );
    assert!(!deleted.is_empty());
}
