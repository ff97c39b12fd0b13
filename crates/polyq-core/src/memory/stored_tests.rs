//! `Stored` ↔ `Message` conversions, id rendering, and ids across a restore.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

use super::*;
use crate::ids::message_id;
use crate::memory::{MemoryStore, RestoredQueue, Restorer};
use crate::model::{AttributeValue, MessageAttribute, NewMessage, QueueConfig};
use crate::store::QueueStore;

const PREFIX: u64 = 0x1234_5678_9abc_def0;

fn attrs(name: &str) -> Attributes {
    BTreeMap::from([(
        name.to_string(),
        MessageAttribute {
            data_type: "Binary".into(),
            value: AttributeValue::Binary(Bytes::from_static(b"\x00\x01")),
        },
    )])
}

/// A message with every optional field unset.
fn bare(seq: u64) -> Message {
    Message {
        id: message_id(PREFIX, seq),
        seq,
        body: Bytes::from_static(b"hello"),
        priority: 8,
        enqueued_ms: 1_000,
        visible_ms: 2_000,
        ..Default::default()
    }
}

/// A message with every optional field set (and an id that is not the rendered one).
fn full(seq: u64) -> Message {
    Message {
        id: "not-a-rendered-id".into(),
        attributes: attrs("a"),
        system_attributes: attrs("AWSTraceHeader"),
        priority: 1,
        expires_ms: Some(0),
        receive_count: 3,
        first_receive_ms: Some(0),
        lease: u64::MAX,
        state: MessageState::InFlight,
        group_id: Some("g".into()),
        dedup_id: Some("d".into()),
        sequence_number: Some(seq),
        sender_id: Some("123456789012".into()),
        dead_letter_source: Some("source".into()),
        ..bare(seq)
    }
}

fn round_trip(m: &Message) -> Stored {
    let s = Stored::from_message(m.clone(), PREFIX, &mut Senders::default());
    assert_eq!(&s.to_message(m.seq, PREFIX), m);
    let again = Stored::from_message(m.clone(), PREFIX, &mut Senders::default());
    assert_eq!(&again.into_message(m.seq, PREFIX), m);
    s
}

#[test]
fn round_trips_with_every_optional_field_set_and_unset() {
    let s = round_trip(&bare(7));
    assert!(s.extras.is_none(), "nothing rare, nothing boxed");
    assert!(round_trip(&full(7)).extras.is_some());
    for state in [
        MessageState::Ready,
        MessageState::Delayed,
        MessageState::InFlight,
    ] {
        round_trip(&Message { state, ..bare(1) });
    }
    // Each optional field alone.
    let one_each: Vec<fn(&mut Message)> = vec![
        |m| m.id = "own".into(),
        |m| m.attributes = attrs("x"),
        |m| m.system_attributes = attrs("y"),
        |m| m.expires_ms = Some(u64::MAX),
        |m| m.first_receive_ms = Some(5),
        |m| m.group_id = Some(String::new()),
        |m| m.dedup_id = Some("d".into()),
        |m| m.sequence_number = Some(0),
        |m| m.sender_id = Some(String::new()),
        |m| m.dead_letter_source = Some("dlq".into()),
    ];
    for set in one_each {
        let mut m = bare(1 << 50);
        set(&mut m);
        round_trip(&m);
    }
}

#[test]
fn sent_messages_are_what_the_engine_used_to_build() {
    let new = NewMessage {
        body: Bytes::from_static(b"b"),
        attributes: attrs("a"),
        group_id: Some("g".into()),
        dedup_id: Some("d".into()),
        ..Default::default()
    };
    let s = Stored::sent(new, 3, 10, 20, Some(30), Some(9), None);
    let m = s.to_message(9, PREFIX);
    assert_eq!(
        m,
        Message {
            body: Bytes::from_static(b"b"),
            attributes: attrs("a"),
            priority: 3,
            enqueued_ms: 10,
            visible_ms: 20,
            expires_ms: Some(30),
            group_id: Some("g".into()),
            dedup_id: Some("d".into()),
            sequence_number: Some(9),
            ..bare(9)
        }
    );
    let plain = Stored::sent(NewMessage::default(), 8, 10, 10, None, None, None);
    assert!(plain.extras.is_none());
    assert_eq!(plain.first_receive_ms(), None);
}

#[test]
fn receives_keep_the_first_and_track_the_latest() {
    let mut s = Stored::from_message(bare(1), PREFIX, &mut Senders::default());
    assert_eq!((s.first_receive_ms(), s.last_receive_ms()), (None, None));
    s.received_at(0);
    s.received_at(99);
    assert_eq!(
        (s.first_receive_ms(), s.last_receive_ms()),
        (Some(0), Some(99))
    );
    let back = s.to_message(1, PREFIX);
    assert_eq!(
        (back.first_receive_ms, back.last_receive_ms),
        (Some(0), Some(99))
    );
    let again = Stored::from_message(back, PREFIX, &mut Senders::default());
    assert_eq!(again.last_receive_ms(), Some(99));
}

#[test]
fn layout_stays_compact() {
    // The memory figures in docs/benchmarks.md depend on these.
    if cfg!(target_pointer_width = "64") {
        // 88 bytes: mimalloc's 96-byte size class (80 before the latest receive was kept).
        assert_eq!(std::mem::size_of::<Stored>(), 88);
        assert_eq!(std::mem::size_of::<(u64, Box<Stored>)>(), 16);
    }
}

#[test]
fn bodies_own_exactly_their_bytes() {
    // A slice of a larger buffer is copied out: the buffer is not kept alive.
    let request = Bytes::from(vec![7u8; 4096]);
    let m = Message {
        body: request.slice(10..110),
        ..bare(1)
    };
    let s = Stored::from_message(m, PREFIX, &mut Senders::default());
    assert!(request.is_unique());
    assert_eq!(&s.body[..], &[7u8; 100][..]);
    // A Vec with spare capacity is shrunk to its length.
    let mut v = Vec::with_capacity(1024);
    v.extend_from_slice(b"abc");
    let mut s = Stored::from_message(bare(1), PREFIX, &mut Senders::default());
    s.set_body(Bytes::from(v));
    assert_eq!(&s.body[..], b"abc");
    assert_eq!(
        s.to_message(1, PREFIX).body,
        Bytes::from_static(b"abc"),
        "a Message gets its own copy"
    );
}

#[test]
fn consecutive_equal_senders_share_one_string() {
    let mut senders = Senders::default();
    let a = senders.intern(Some("111".into())).unwrap();
    let b = senders.intern(Some("111".into())).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    let c = senders.intern(Some("222".into())).unwrap();
    assert!(!Arc::ptr_eq(&a, &c));
    assert_eq!(senders.intern(None), None);
}

#[test]
fn render_id_is_message_id() {
    for prefix in [0, u64::MAX, PREFIX, 0xf000, 0x0123_4567_89ab_cdef] {
        for seq in [0, 1, 42, 1 << 47, 1 << 48, (1 << 62) - 1, u64::MAX] {
            let id = render_id(prefix, seq);
            assert_eq!(id, message_id(prefix, seq));
            assert_eq!(prefix_of(&id), Some(prefix & !0xf000));
        }
    }
    assert_eq!(prefix_of("garbage"), None);
    assert_eq!(prefix_of("g2345678-9abc-4def-8000-000000000001"), None);
    assert_eq!(prefix_of("12345678-9abc-5def-8000-000000000001"), None);
}

#[test]
fn ids_follow_the_prefix_or_are_kept() {
    let mut s = Stored::from_message(bare(5), PREFIX, &mut Senders::default());
    assert!(s.extras.is_none());
    // The queue now renders with another salt: the message keeps its id.
    s.set_id(5, 1, s.id(5, PREFIX));
    assert_eq!(s.id(5, 1), message_id(PREFIX, 5));
    // And back: nothing to keep any more.
    s.set_id(5, PREFIX, s.id(5, 1));
    assert!(s.extras.is_none());
}

async fn restored(prefix_at_finish: u64, ids: &[(u64, String)]) -> MemoryStore {
    let mut r = Restorer::new();
    r.queue(RestoredQueue {
        name: "q".into(),
        created_ms: 1,
        modified_ms: 1,
        config: QueueConfig::default(),
    });
    for (seq, id) in ids {
        let m = Message {
            id: id.clone(),
            ..bare(*seq)
        };
        assert!(r.message("q", m));
    }
    r.finish(100, prefix_at_finish, None)
}

#[tokio::test]
async fn restored_ids_survive_whatever_the_salt() {
    let ids = vec![
        (1, message_id(PREFIX, 1)),
        (2, "foreign".to_string()),
        (3, message_id(PREFIX, 3)),
        (4, message_id(PREFIX ^ 0xffff_0000, 4)),
    ];
    for prefix in [PREFIX, PREFIX | 0xf000, 77] {
        let store = restored(prefix, &ids).await;
        let got: Vec<(u64, String)> = store.dump()[0]
            .messages
            .iter()
            .map(|m| (m.seq, m.id.clone()))
            .collect();
        assert_eq!(got, ids, "prefix {prefix:x}");
        let q = store.queue("q").unwrap();
        let kept = q.lock().explicit_ids();
        assert_eq!(kept, if prefix == 77 { 4 } else { 2 }, "{prefix:x}");
        let sent = store
            .send("q", vec![NewMessage::default()], 5)
            .await
            .unwrap();
        assert_eq!(sent[0].as_ref().unwrap().id, message_id(prefix, 100));
        let got = store.get_message("q", &ids[3].1, 5).await.unwrap();
        assert_eq!(got.seq, 4);
    }
}
