//! `scripts/backup.sh` copies a data directory while the store writes to it, rotates segments
//! and deletes old ones; every copy opens, and holds every message acknowledged before the copy
//! started that was not deleted.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use polyq_core::conformance::T0;
use polyq_core::*;
use polyq_store_embedded::EmbeddedStore;

fn msg(text: String) -> NewMessage {
    NewMessage {
        body: text.into_bytes().into(),
        ..Default::default()
    }
}

fn backup(src: &Path, dest: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/backup.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(src)
        .arg(dest)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "backup failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_taken_during_writes_open_and_hold_what_was_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let copies = tempfile::tempdir().unwrap();
    // Small segments: the churn below rotates and deletes segments during every copy.
    let store = Arc::new(EmbeddedStore::open_with(dir.path(), 128 * 1024).unwrap());
    for q in ["keep", "churn"] {
        store
            .create_queue(q, QueueConfig::default(), T0)
            .await
            .unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let churn = {
        let (store, stop) = (store.clone(), stop.clone());
        tokio::spawn(async move {
            let mut rounds = 0u64;
            // Bounded: stops when told, or after 200,000 rounds at most.
            while !stop.load(Ordering::Relaxed) && rounds < 200_000 {
                let batch = (0..10)
                    .map(|i| msg(format!("churn {rounds} {i}")))
                    .collect();
                store.send("churn", batch, T0).await.unwrap();
                let req = LeaseRequest {
                    max_messages: 10,
                    visibility_seconds: Some(60),
                    attempt_id: None,
                };
                let got = store.lease("churn", req, T0).await.unwrap().messages;
                let receipts: Vec<Receipt> = got.iter().map(Message::receipt).collect();
                store.delete("churn", &receipts, T0).await.unwrap();
                rounds += 1;
            }
            rounds
        })
    };

    let mut kept = 0;
    for attempt in 0..8 {
        // Churn meanwhile: segments fill, compaction copies the kept messages forward (once a
        // second), old segments are deleted, some of them during the copy below.
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        for _ in 0..20 {
            store
                .send("keep", vec![msg(format!("keep {kept}"))], T0)
                .await
                .unwrap();
            kept += 1;
        }
        let dest = copies.path().join(format!("copy-{attempt}"));
        let src = dir.path().to_path_buf();
        let d = dest.clone();
        tokio::task::spawn_blocking(move || backup(&src, &d))
            .await
            .unwrap();

        let names = |d: &Path| {
            let mut v: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            v.sort();
            v
        };
        eprintln!("copy {attempt}: {:?}", names(&dest));
        let copy = EmbeddedStore::open(&dest).expect("a copy taken while writing opens");
        let bodies: Vec<String> = copy
            .peek("keep", 10_000, T0)
            .await
            .unwrap()
            .iter()
            .map(|m| String::from_utf8_lossy(&m.body).into_owned())
            .collect();
        let expected: Vec<String> = (0..kept).map(|i| format!("keep {i}")).collect();
        assert_eq!(bodies, expected, "copy {attempt}");
        let churned = copy.get_queue("churn", T0).await.unwrap().stats;
        assert!(churned.visible + churned.in_flight <= 10, "{churned:?}");
    }
    stop.store(true, Ordering::Relaxed);
    let rounds = churn.await.unwrap();
    let (files, _) = store.disk_usage();
    eprintln!("{rounds} churn rounds during the copies; {files} segments at the end");
    let oldest = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter(|n| n.ends_with(".pq"))
        .min()
        .unwrap();
    assert_ne!(
        oldest,
        polyq_store_embedded::segment_name(1),
        "old segments were deleted while copies were taken"
    );
}

#[test]
fn refuses_a_non_empty_destination_and_a_directory_without_segments() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/backup.sh");
    let src = tempfile::tempdir().unwrap();
    let dest = tempfile::tempdir().unwrap();
    let run = |src: &Path, dest: &Path| {
        Command::new("bash")
            .arg(&script)
            .arg(src)
            .arg(dest)
            .output()
            .unwrap()
    };
    let out = run(src.path(), &dest.path().join("new"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no log segments"));
    std::fs::write(dest.path().join("x"), b"x").unwrap();
    drop(EmbeddedStore::open(src.path()).unwrap());
    let out = run(src.path(), dest.path());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
}
