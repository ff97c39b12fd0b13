//! A data directory that cannot be used is refused with a message that says why, and its files
//! are left exactly as they were. The one thing a crash can do to the log — cut short the
//! write in progress at the end of the newest segment — is recovered from, losing nothing that
//! was acknowledged.

use std::path::{Path, PathBuf};

use polyq_core::conformance::T0;
use polyq_core::*;
use polyq_store_embedded::{segment_name, EmbeddedStore, OpenError, FORMAT_VERSION};

fn open_err(dir: &Path) -> OpenError {
    match EmbeddedStore::open(dir) {
        Ok(_) => panic!("opening {} should fail", dir.display()),
        Err(e) => {
            eprintln!("refused as expected: {e}");
            e
        }
    }
}

fn msg(i: usize) -> NewMessage {
    NewMessage {
        body: format!("message {i} {}", "x".repeat(200))
            .into_bytes()
            .into(),
        ..Default::default()
    }
}

/// A store whose queue `q` got `n` messages, one commit each, in segments of `segment_bytes`.
async fn store_with_messages(dir: &Path, n: usize, segment_bytes: u64) {
    let store = EmbeddedStore::open_with(dir, segment_bytes).unwrap();
    store
        .create_queue("q", QueueConfig::default(), T0)
        .await
        .unwrap();
    for i in 0..n {
        store.send("q", vec![msg(i)], T0).await.unwrap();
    }
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pq"))
        .collect();
    out.sort();
    out
}

/// Every file of the directory but the lock, with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    segments(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

async fn bodies(dir: &Path) -> Vec<String> {
    let store = EmbeddedStore::open(dir).unwrap();
    store
        .peek("q", 1000, T0)
        .await
        .unwrap()
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect()
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
    store_with_messages(dir.path(), 3, 1 << 20).await;
    let first = segments(dir.path()).remove(0);
    let mut bytes = std::fs::read(&first).unwrap();
    bytes[8..12].copy_from_slice(&99u32.to_le_bytes());
    let crc = crc32fast::hash(&bytes[..32]);
    bytes[32..36].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(&first, &bytes).unwrap();
    let before = snapshot(dir.path());
    let err = open_err(dir.path());
    assert!(
        matches!(
            err,
            OpenError::IncompatibleVersion { found: 99, supported, .. }
                if supported == i64::from(FORMAT_VERSION)
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("version 99") && text.contains(&segment_name(1)),
        "{text}"
    );
    assert_eq!(snapshot(dir.path()), before, "files untouched");
}

#[tokio::test]
async fn a_format_1_directory_is_refused_not_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("polyq.db");
    std::fs::write(&db, b"SQLite format 3\0...").unwrap();
    let err = open_err(dir.path());
    assert!(
        matches!(err, OpenError::IncompatibleVersion { found: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("polyq.db"), "{err}");
    assert!(segments(dir.path()).is_empty(), "nothing written beside it");
}

#[tokio::test]
async fn garbage_is_reported_as_corrupt_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(segment_name(1));
    let garbage: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &garbage).unwrap();
    let err = open_err(dir.path());
    assert!(
        matches!(err, OpenError::Corrupt { size: 8192, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&segment_name(1)) && text.contains("not a polyq log segment"),
        "{text}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), garbage, "file untouched");
    assert_eq!(segments(dir.path()).len(), 1, "no segment created");
}

#[tokio::test]
async fn a_truncated_older_segment_is_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    store_with_messages(dir.path(), 200, 8 * 1024).await;
    let all = segments(dir.path());
    assert!(all.len() >= 3, "{} segments", all.len());
    let older = &all[0];
    let bytes = std::fs::read(older).unwrap();
    std::fs::write(older, &bytes[..bytes.len() - 100]).unwrap();
    let before = snapshot(dir.path());
    let err = open_err(dir.path());
    assert!(
        matches!(&err, OpenError::Corrupt { detail, .. } if detail.contains("older than the newest")),
        "{err:?}"
    );
    assert_eq!(snapshot(dir.path()), before, "files untouched");
}

/// An older segment cut at a frame boundary passes every checksum; the next segment's record
/// of how long it was when the next one began is what tells (every message is live, so every
/// segment counts).
#[tokio::test]
async fn an_older_segment_cut_at_a_frame_boundary_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    store_with_messages(dir.path(), 200, 8 * 1024).await;
    let all = segments(dir.path());
    assert!(all.len() >= 3, "{} segments", all.len());
    for (older, whole) in [(&all[0], false), (&all[1], false), (&all[1], true)] {
        let bytes = std::fs::read(older).unwrap();
        // Down to its start frame, or without its last frame.
        let cut = if whole {
            let start_len = u32::from_le_bytes(bytes[36..40].try_into().unwrap()) as usize;
            36 + 12 + start_len
        } else {
            last_frame_start(&bytes)
        };
        std::fs::write(older, &bytes[..cut]).unwrap();
        let before = snapshot(dir.path());
        let err = open_err(dir.path());
        assert!(
            matches!(&err, OpenError::Corrupt { path, detail, .. }
                if path == older && detail.contains("when it was")),
            "{err:?}"
        );
        assert_eq!(snapshot(dir.path()), before, "files untouched");
        std::fs::write(older, &bytes).unwrap();
    }
    assert_eq!(bodies(dir.path()).await.len(), 200);
}

/// The oldest segments go only after the log says so; one removed by hand is reported.
#[tokio::test]
async fn an_oldest_segment_removed_by_hand_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    store_with_messages(dir.path(), 200, 8 * 1024).await;
    let all = segments(dir.path());
    std::fs::remove_file(&all[0]).unwrap();
    let err = open_err(dir.path());
    assert!(
        matches!(&err, OpenError::Corrupt { detail, .. } if detail.contains("records no deletion")),
        "{err:?}"
    );
}

/// The directory itself is locked: removing the owner's lock file by hand does not let a
/// second store in (both would write the same segment numbers).
#[cfg(unix)]
#[tokio::test]
async fn a_removed_lock_file_does_not_let_a_second_owner_in() {
    let dir = tempfile::tempdir().unwrap();
    let first = EmbeddedStore::open(dir.path()).unwrap();
    std::fs::remove_file(dir.path().join("polyq.lock")).unwrap();
    let err = open_err(dir.path());
    assert!(matches!(&err, OpenError::Locked { .. }), "{err:?}");
    drop(first);
    assert!(EmbeddedStore::open(dir.path()).is_ok());
}

#[tokio::test]
async fn damage_in_the_middle_of_the_newest_segment_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    store_with_messages(dir.path(), 20, 1 << 20).await;
    let newest = segments(dir.path()).pop().unwrap();
    let mut bytes = std::fs::read(&newest).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&newest, &bytes).unwrap();
    let err = open_err(dir.path());
    assert!(
        matches!(&err, OpenError::Corrupt { detail, .. } if detail.contains("checksum") && detail.contains("more data follows")),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&newest).unwrap(), bytes, "file untouched");
}

#[tokio::test]
async fn a_missing_segment_is_reported_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    store_with_messages(dir.path(), 200, 8 * 1024).await;
    let all = segments(dir.path());
    assert!(all.len() >= 3);
    std::fs::remove_file(&all[1]).unwrap();
    let err = open_err(dir.path());
    assert!(
        matches!(&err, OpenError::Corrupt { detail, .. } if detail.contains("missing")),
        "{err:?}"
    );
}

/// A segment's name on a directory, a named pipe (opening it would wait for a writer for
/// ever) or a dangling link is refused by name, at once.
#[tokio::test]
async fn a_segment_name_on_something_else_than_a_file_is_refused() {
    for kind in ["directory", "pipe", "dangling link"] {
        let dir = tempfile::tempdir().unwrap();
        store_with_messages(dir.path(), 3, 8 * 1024).await;
        let next = dir
            .path()
            .join(segment_name(segments(dir.path()).len() as u64 + 1));
        match kind {
            "directory" => std::fs::create_dir(&next).unwrap(),
            "pipe" => {
                let status = std::process::Command::new("mkfifo")
                    .arg(&next)
                    .status()
                    .expect("mkfifo");
                assert!(status.success());
            }
            _ => std::os::unix::fs::symlink(dir.path().join("nowhere"), &next).unwrap(),
        }
        // A thread of its own: were the open to hang in the pipe, the test fails (and leaves
        // the thread behind) instead of hanging.
        let (tx, rx) = std::sync::mpsc::channel();
        let d = dir.path().to_path_buf();
        std::thread::spawn(move || {
            let _ = tx.send(EmbeddedStore::open(&d).err());
        });
        let err = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("{kind}: the open hung"))
            .unwrap_or_else(|| panic!("{kind}: opened"));
        let text = err.to_string();
        assert!(
            matches!(&err, OpenError::Corrupt { path, .. } if *path == next),
            "{kind}: {err:?}"
        );
        assert!(text.contains("regular file"), "{kind}: {text}");
    }
}

#[tokio::test]
async fn a_write_cut_short_by_a_crash_is_dropped_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    store_with_messages(dir.path(), 5, 1 << 20).await;
    let newest = segments(dir.path()).pop().unwrap();
    let bytes = std::fs::read(&newest).unwrap();
    // Cut inside the last frame (the fifth send), as a crash during its write would.
    std::fs::write(&newest, &bytes[..bytes.len() - 50]).unwrap();
    let got = bodies(dir.path()).await;
    let expected: Vec<String> = (0..4)
        .map(|i| String::from_utf8(msg(i).body.to_vec()).unwrap())
        .collect();
    assert_eq!(
        got, expected,
        "the cut-short send is gone, the others intact"
    );
    // The cut end was removed, so the segment is now an ordinary older one.
    assert_eq!(
        std::fs::read(&newest).unwrap().len(),
        last_frame_start(&bytes)
    );
    assert_eq!(bodies(dir.path()).await, expected, "and it opens again");
}

#[tokio::test]
async fn a_segment_whose_header_was_cut_short_holds_nothing_and_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    store_with_messages(dir.path(), 3, 1 << 20).await;
    // A crash while starting the next segment leaves a short file.
    let next = dir.path().join(segment_name(2));
    std::fs::write(&next, b"polyq").unwrap();
    assert_eq!(bodies(dir.path()).await.len(), 3);
    assert_eq!(segments(dir.path()).len(), 2, "replaced, no gap");
    assert_eq!(bodies(dir.path()).await.len(), 3);
}

/// Offset of the last frame of a segment (header 36 bytes, frames: length, payload checksum,
/// header checksum, payload).
fn last_frame_start(bytes: &[u8]) -> usize {
    let mut pos = 36;
    let mut last = pos;
    while pos + 12 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        last = pos;
        pos += 12 + len;
    }
    last
}

/// A frame length damaged so that it points past the end of the newest segment, with the
/// acknowledged frames after it intact: refused as damage (it used to be taken for a write
/// cut short by a crash, and the frames after it cut off).
#[tokio::test]
async fn a_damaged_frame_length_in_the_newest_segment_is_refused_not_cut() {
    let dir = tempfile::tempdir().unwrap();
    store_with_messages(dir.path(), 5, 1 << 20).await;
    let newest = segments(dir.path()).pop().unwrap();
    let bytes = std::fs::read(&newest).unwrap();
    let mut bad = bytes.clone();
    // The catalog's frame comes first; damage the length of the next one (the queue's
    // creation), which has five acknowledged sends after it.
    let catalog_len = u32::from_le_bytes(bytes[36..40].try_into().unwrap()) as usize;
    bad[36 + 12 + catalog_len + 3] ^= 0x01;
    std::fs::write(&newest, &bad).unwrap();
    let err = EmbeddedStore::open(dir.path()).err().expect("refused");
    let text = err.to_string();
    assert!(
        text.contains("frame header") && text.contains("more data follows"),
        "{text}"
    );
    assert_eq!(std::fs::read(&newest).unwrap(), bad, "nothing was cut");
    std::fs::write(&newest, &bytes).unwrap();
    assert_eq!(bodies(dir.path()).await.len(), 5);
}

#[tokio::test]
async fn a_file_given_as_the_directory_is_named_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("afile");
    std::fs::write(&file, b"not a store").unwrap();
    let e = open_err(&file).to_string();
    assert!(e.contains("it is a file, not a directory"), "{e}");
    assert_eq!(std::fs::read(&file).unwrap(), b"not a store");
}
