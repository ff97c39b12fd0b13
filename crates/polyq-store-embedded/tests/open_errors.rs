//! A data directory that cannot be used is refused with a message that says why, and the
//! database file is left exactly as it was.

use std::path::Path;

use polyq_core::conformance::T0;
use polyq_core::*;
use polyq_store_embedded::{EmbeddedStore, OpenError, DB_FILE};

fn open_err(dir: &Path) -> OpenError {
    match EmbeddedStore::open(dir) {
        Ok(_) => panic!("opening {} should fail", dir.display()),
        Err(e) => {
            eprintln!("refused as expected: {e}");
            e
        }
    }
}

async fn store_with_messages(dir: &Path, n: usize) {
    let store = EmbeddedStore::open(dir).unwrap();
    store
        .create_queue("q", QueueConfig::default(), T0)
        .await
        .unwrap();
    let batch: Vec<NewMessage> = (0..n)
        .map(|i| NewMessage {
            body: format!("message {i} {}", "x".repeat(200))
                .into_bytes()
                .into(),
            ..Default::default()
        })
        .collect();
    store.send("q", batch, T0).await.unwrap();
}

#[tokio::test]
async fn a_second_owner_is_refused_naming_dir_and_pid() {
    let dir = tempfile::tempdir().unwrap();
    let first = EmbeddedStore::open(dir.path()).unwrap();
    let err = open_err(dir.path());
    assert!(matches!(err, OpenError::Locked { .. }), "{err:?}");
    let text = err.to_string();
    let shown = dir.path().canonicalize().unwrap();
    assert!(text.contains(&shown.display().to_string()), "{text}");
    assert!(
        text.contains(&format!("pid {}", std::process::id())),
        "{text}"
    );
    drop(first);
    EmbeddedStore::open(dir.path()).expect("free again once the owner is gone");
}

#[tokio::test]
async fn another_format_version_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    store_with_messages(dir.path(), 3).await;
    let db = dir.path().join(DB_FILE);
    rusqlite::Connection::open(&db)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let bytes = std::fs::read(&db).unwrap();
    let err = open_err(dir.path());
    assert!(
        matches!(
            err,
            OpenError::IncompatibleVersion {
                found: 99,
                supported: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("version 99") && text.contains(DB_FILE),
        "{text}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), bytes, "file untouched");
}

#[tokio::test]
async fn a_foreign_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(DB_FILE);
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let err = open_err(dir.path());
    assert!(matches!(err, OpenError::NotPolyq { .. }), "{err:?}");
}

#[tokio::test]
async fn garbage_is_reported_as_corrupt_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(DB_FILE);
    let garbage: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&db, &garbage).unwrap();
    let err = open_err(dir.path());
    assert!(
        matches!(err, OpenError::Corrupt { size: 8192, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains(DB_FILE) && text.contains("corrupt"), "{text}");
    assert_eq!(std::fs::read(&db).unwrap(), garbage, "file untouched");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(DB_FILE) && n != DB_FILE)
        .collect();
    assert!(names.is_empty(), "no journal files created: {names:?}");
}

#[tokio::test]
async fn a_truncated_file_is_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    store_with_messages(dir.path(), 2000).await;
    let db = dir.path().join(DB_FILE);
    let bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 100_000, "{} bytes", bytes.len());
    let cut = &bytes[..bytes.len() / 2];
    std::fs::write(&db, cut).unwrap();
    let err = open_err(dir.path());
    assert!(matches!(err, OpenError::Corrupt { .. }), "{err:?}");
    assert_eq!(std::fs::read(&db).unwrap(), cut, "file untouched");
}
