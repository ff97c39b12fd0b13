//! Data directories written by earlier releases (store formats 2 and 3) open as they are:
//! their messages, leases and receive counts come back, new writes go to a segment of the
//! current format beside them, and the directory reopens again.
//!
//! `fixtures/format2/` was written by polyq at format 2 (commit c0ed7e2) through SQS JSON at
//! about 2026-12-06T21:21Z, `fixtures/format3/` at format 3 (commit 1ed0db5) at
//! 2026-12-07T09:36:58Z; each holds queue `legacy`, messages `one` (received with a 3600 s
//! visibility timeout), `two` (received, then deleted) and `three` (never received), and ends
//! where the server was killed (`kill -9`).

use std::path::Path;

use polyq_core::*;
use polyq_store_embedded::{segment_name, EmbeddedStore, FORMAT_VERSION};

/// 2026-12-06T23:00Z: after `one`'s lease ran out, before the 4-day retention ends.
const NOW: u64 = 1_796_598_000_000;

fn copy_fixture(name: &str, to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn header_version(path: &Path) -> u32 {
    let bytes = std::fs::read(path).unwrap();
    u32::from_le_bytes(bytes[8..12].try_into().unwrap())
}

#[tokio::test]
async fn a_format_2_directory_opens_and_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("format2", dir.path());
    assert_eq!(header_version(&dir.path().join(segment_name(1))), 2);

    let store = EmbeddedStore::open(dir.path()).unwrap();
    let peeked = store.peek("legacy", 10, NOW).await.unwrap();
    let view: Vec<_> = peeked
        .iter()
        .map(|m| {
            (
                String::from_utf8_lossy(&m.body).into_owned(),
                m.receive_count,
                m.first_receive_ms.is_some(),
                m.last_receive_ms,
            )
        })
        .collect();
    assert_eq!(
        view,
        vec![
            ("one".to_string(), 1, true, None),
            ("three".to_string(), 0, false, None),
        ],
        "format 2 kept no latest receive time"
    );

    // Received now, the message gets one, and the 12-hour cap applies from here.
    let got = store
        .lease(
            "legacy",
            LeaseRequest {
                max_messages: 1,
                visibility_seconds: Some(30),
                attempt_id: None,
            },
            NOW,
        )
        .await
        .unwrap()
        .messages;
    assert_eq!(
        (got[0].receive_count, got[0].last_receive_ms),
        (2, Some(NOW))
    );
    let over = VisibilityChange {
        receipt: got[0].receipt(),
        visibility_seconds: 43_200,
        renew_receipt: false,
        require_hidden: true,
        accept_older_receipt: true,
        max_total_seconds: Some(43_200),
    };
    let res = store
        .change_visibility("legacy", &[over], NOW + 2_000)
        .await
        .unwrap();
    assert_eq!(res, vec![Err(CoreError::VisibilityBeyondLimit(43_200))]);
    drop(store);

    // The new writes went to a segment of the current format; both are read at the next start.
    assert_eq!(
        header_version(&dir.path().join(segment_name(2))),
        FORMAT_VERSION
    );
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let again = store.peek("legacy", 10, NOW + 60_000).await.unwrap();
    let leased = again.iter().find(|m| m.seq == got[0].seq).unwrap();
    assert_eq!(
        (leased.receive_count, leased.last_receive_ms),
        (2, Some(NOW))
    );
    assert_eq!(again.len(), 2);
}

/// 2026-12-07T11:00Z: after the format 3 fixture's `one` lease ran out.
const NOW3: u64 = 1_796_641_200_000;

#[tokio::test]
async fn a_format_3_directory_opens_and_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("format3", dir.path());
    assert_eq!(header_version(&dir.path().join(segment_name(1))), 3);

    let store = EmbeddedStore::open(dir.path()).unwrap();
    let peeked = store.peek("legacy", 10, NOW3).await.unwrap();
    let view: Vec<_> = peeked
        .iter()
        .map(|m| {
            (
                String::from_utf8_lossy(&m.body).into_owned(),
                m.receive_count,
                m.last_receive_ms.is_some(),
            )
        })
        .collect();
    assert_eq!(
        view,
        vec![
            ("one".to_string(), 1, true),
            ("three".to_string(), 0, false)
        ]
    );
    let got = store
        .lease(
            "legacy",
            LeaseRequest {
                max_messages: 2,
                visibility_seconds: Some(30),
                attempt_id: None,
            },
            NOW3,
        )
        .await
        .unwrap()
        .messages;
    assert_eq!(got.len(), 2);
    store
        .delete("legacy", &[got[1].receipt()], NOW3)
        .await
        .unwrap();
    drop(store);

    assert_eq!(
        header_version(&dir.path().join(segment_name(2))),
        FORMAT_VERSION
    );
    let store = EmbeddedStore::open(dir.path()).unwrap();
    let again = store.peek("legacy", 10, NOW3 + 60_000).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(
        (again[0].seq, again[0].receive_count),
        (got[0].seq, got[0].receive_count)
    );
}
