//! Fair standard queues on the in-memory engine (and so the embedded store, which runs on it):
//! a tenant (message group) holding more than a tenth of the queue's in-flight messages, and
//! at least 30 of them, waits while other tenants' messages are available.

use std::sync::Arc;

use bytes::Bytes;
use polyq_core::*;

fn service() -> QueueService {
    QueueService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(ManualClock::new(1_000_000)),
    )
}

fn msg(text: &str, group: Option<&str>) -> NewMessage {
    NewMessage {
        body: Bytes::copy_from_slice(text.as_bytes()),
        group_id: group.map(str::to_string),
        ..Default::default()
    }
}

fn take(max: usize) -> ReceiveOptions {
    ReceiveOptions {
        max_messages: max,
        visibility_seconds: Some(900),
        wait: None,
        attempt_id: None,
    }
}

async fn bodies(s: &QueueService, max: usize) -> Vec<String> {
    let got = s.receive("q", take(max)).await.unwrap();
    got.iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect()
}

/// Sends `n` messages of tenant A (in batches of 10), then leases `leased` of them in
/// receives of 10; returns the leased ones.
async fn a_tenant_with(s: &QueueService, n: usize, leased: usize) -> Vec<Message> {
    s.create_queue("q", QueueConfig::default()).await.unwrap();
    let names: Vec<String> = (0..n).map(|i| format!("a{i}")).collect();
    for chunk in names.chunks(10) {
        let batch = chunk.iter().map(|name| msg(name, Some("A"))).collect();
        s.send("q", batch).await.unwrap();
    }
    let mut got = Vec::new();
    while got.len() < leased {
        let want = (leased - got.len()).min(10);
        got.extend(s.receive("q", take(want)).await.unwrap());
    }
    got
}

#[tokio::test]
async fn quiet_tenants_go_before_a_noisy_one() {
    let s = service();
    // A holds 30 in flight, all of the queue's: noisy.
    a_tenant_with(&s, 40, 30).await;
    s.send(
        "q",
        vec![
            msg("b0", Some("B")),
            msg("none", None),
            msg("b1", Some("B")),
        ],
    )
    .await
    .unwrap();
    // B and the message without a group (a tenant of its own) go first, though A's ten
    // waiting messages are older; then A's, as no quiet tenant's message is left.
    assert_eq!(bodies(&s, 5).await, ["b0", "none", "b1", "a30", "a31"]);
}

#[tokio::test]
async fn below_thirty_in_flight_no_tenant_is_noisy() {
    let s = service();
    a_tenant_with(&s, 40, 29).await;
    s.send("q", vec![msg("b0", Some("B"))]).await.unwrap();
    // 29 in flight: A's older message goes first; that makes 30, and A noisy.
    assert_eq!(bodies(&s, 1).await, ["a29"]);
    assert_eq!(bodies(&s, 2).await, ["b0", "a30"]);
}

#[tokio::test]
async fn a_tenant_with_a_tenth_or_less_of_the_in_flight_messages_is_not_noisy() {
    let s = service();
    s.create_queue("q", QueueConfig::default()).await.unwrap();
    // 270 messages without a group in flight, then A's 30: A holds exactly a tenth.
    for i in 0..270 {
        s.send("q", vec![msg(&format!("n{i}"), None)])
            .await
            .unwrap();
    }
    for i in 0..40 {
        s.send("q", vec![msg(&format!("a{i}"), Some("A"))])
            .await
            .unwrap();
    }
    let mut got = 0;
    while got < 300 {
        got += bodies(&s, 10).await.len();
    }
    s.send("q", vec![msg("b0", Some("B"))]).await.unwrap();
    assert_eq!(bodies(&s, 1).await, ["a30"]);
    // One more of A in flight makes it more than a tenth (31 of 301): noisy.
    assert_eq!(bodies(&s, 1).await, ["b0"]);
}

async fn delete(s: &QueueService, messages: &[Message]) {
    let receipts: Vec<_> = messages.iter().map(|m| m.receipt()).collect();
    s.delete("q", &receipts).await.unwrap();
}

#[tokio::test]
async fn a_noisy_tenant_stays_noisy_until_its_backlog_is_drained() {
    let s = service();
    let leased = a_tenant_with(&s, 40, 30).await;
    // Below 30 in flight, even none, A stays noisy while its backlog lasts (AWS: "until the
    // backlog is consumed, or no sends for 5 minutes").
    delete(&s, &leased[..5]).await;
    s.send("q", vec![msg("b0", Some("B"))]).await.unwrap();
    let mut got = s.receive("q", take(2)).await.unwrap();
    let texts: Vec<_> = got.iter().map(|m| m.body.clone()).collect();
    assert_eq!(texts, [Bytes::from("b0"), Bytes::from("a30")]);
    got.extend_from_slice(&leased[5..]);
    delete(&s, &got).await;
    s.send("q", vec![msg("c0", None)]).await.unwrap();
    assert_eq!(bodies(&s, 1).await, ["c0"]);
    // The backlog drains: A is quiet again, and its next message goes in age order.
    assert_eq!(bodies(&s, 10).await.len(), 9);
    s.send("q", vec![msg("a40", Some("A")), msg("d0", None)])
        .await
        .unwrap();
    assert_eq!(bodies(&s, 2).await, ["a40", "d0"]);
}

#[tokio::test]
async fn a_noisy_tenant_that_sends_nothing_for_five_minutes_is_quiet_again() {
    let clock = ManualClock::new(1_000_000);
    let s = QueueService::new(Arc::new(MemoryStore::new()), Arc::new(clock.clone()));
    let leased = a_tenant_with(&s, 40, 30).await;
    delete(&s, &leased[..10]).await;
    s.send("q", vec![msg("b0", Some("B"))]).await.unwrap();
    clock.advance_secs(299);
    assert_eq!(bodies(&s, 1).await, ["b0"]);
    s.send("q", vec![msg("b1", Some("B"))]).await.unwrap();
    clock.advance_secs(2);
    // Five minutes since A last sent (and since it was marked): quiet again, while it holds
    // fewer than 30 in flight; its older messages go first (noisy, b1 would).
    assert_eq!(bodies(&s, 2).await, ["a30", "a31"]);
}

#[tokio::test]
async fn a_long_noisy_backlog_does_not_hide_a_quiet_tenant() {
    let s = service();
    a_tenant_with(&s, 20_000, 30).await;
    // 19,970 of A's wait before it, in receive order.
    s.send("q", vec![msg("b0", Some("B"))]).await.unwrap();
    assert_eq!(bodies(&s, 2).await, ["b0", "a30"]);
}
