//! SetQueueAttributes `DeduplicationScope` on a FIFO queue: the new scope is shown at once but
//! deduplication keeps the old one until the change has propagated (a minute), in both
//! directions, as AWS's recorded answers show (LocalStack's AWS-validated
//! `test_fifo_change_to_high_throughput_after_creation` / `..._regular_throughput_...`, recorded
//! 2025-08-19). Another attribute set meanwhile does not restart the wait. Time is a manual clock.

mod common;

use std::sync::Arc;

use common::{dialect_with_clock, json_request};
use polyq_http::Dialect;
use polyq_sqs::SqsConfig;
use serde_json::{json, Value};

const URL: &str = "http://localhost:9324/000000000000/q.fifo";

async fn call(d: &Arc<dyn Dialect>, action: &str, input: Value) -> Value {
    let resp = d.handle(json_request(action, &input)).await;
    let status = resp.status().as_u16();
    let body = serde_json::from_slice(resp.body()).unwrap_or(json!({}));
    assert_eq!(status, 200, "{action}: {body}");
    body
}

/// Sends and receives at once (visibility 0): the body received, or `None` if the send was
/// dropped as a duplicate (nothing to receive).
async fn send_and_take(
    d: &Arc<dyn Dialect>,
    body: &str,
    group: &str,
    dedup: &str,
) -> Option<String> {
    call(
        d,
        "SendMessage",
        json!({"QueueUrl": URL, "MessageBody": body, "MessageGroupId": group,
               "MessageDeduplicationId": dedup}),
    )
    .await;
    let got = call(
        d,
        "ReceiveMessage",
        json!({"QueueUrl": URL, "MaxNumberOfMessages": 10}),
    )
    .await;
    let m = got["Messages"].as_array()?.first()?.clone();
    call(
        d,
        "DeleteMessage",
        json!({"QueueUrl": URL, "ReceiptHandle": m["ReceiptHandle"]}),
    )
    .await;
    m["Body"].as_str().map(str::to_string)
}

/// Whether a send of `body` was delivered (not dropped as a duplicate).
async fn delivered(d: &Arc<dyn Dialect>, body: &str, group: &str, dedup: &str) -> bool {
    send_and_take(d, body, group, dedup).await.as_deref() == Some(body)
}

async fn set(d: &Arc<dyn Dialect>, attrs: Value) {
    call(
        d,
        "SetQueueAttributes",
        json!({"QueueUrl": URL, "Attributes": attrs}),
    )
    .await;
}

async fn scope(d: &Arc<dyn Dialect>) -> String {
    let a = call(
        d,
        "GetQueueAttributes",
        json!({"QueueUrl": URL, "AttributeNames": ["DeduplicationScope"]}),
    )
    .await;
    a["Attributes"]["DeduplicationScope"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn to_high_throughput_keeps_queue_wide_dedup_until_propagated() {
    let (d, clock) = dialect_with_clock(SqsConfig::default());
    call(
        &d,
        "CreateQueue",
        json!({"QueueName": "q.fifo", "Attributes": {"FifoQueue": "true",
               "DeduplicationScope": "queue"}}),
    )
    .await;
    assert!(delivered(&d, "Test1", "group1", "same-dedup").await);
    assert!(!delivered(&d, "Test2", "group2", "same-dedup").await);
    set(
        &d,
        json!({"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}),
    )
    .await;
    assert_eq!(scope(&d).await, "messageGroup", "shown at once");
    // AWS's recorded answers: both dropped right after the change.
    assert!(!delivered(&d, "Test3", "group3", "same-dedup").await);
    assert!(delivered(&d, "Test4", "group4", "dedup_2").await);
    assert!(!delivered(&d, "Test5", "group5", "dedup_2").await);
    // Another attribute set meanwhile does not restart the minute.
    clock.advance_secs(50);
    set(&d, json!({"VisibilityTimeout": "40"})).await;
    clock.advance_secs(11);
    assert!(delivered(&d, "Test6", "group6", "dedup_3").await);
    assert!(
        delivered(&d, "Test7", "group7", "dedup_3").await,
        "per group once the change has propagated"
    );
}

#[tokio::test]
async fn to_regular_throughput_keeps_per_group_dedup_until_propagated() {
    let (d, clock) = dialect_with_clock(SqsConfig::default());
    call(
        &d,
        "CreateQueue",
        json!({"QueueName": "q.fifo", "Attributes": {"FifoQueue": "true",
               "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}}),
    )
    .await;
    assert!(delivered(&d, "Test1", "group1", "same-dedup").await);
    assert!(delivered(&d, "Test2", "group2", "same-dedup").await);
    set(
        &d,
        json!({"DeduplicationScope": "queue", "FifoThroughputLimit": "perQueue"}),
    )
    .await;
    assert_eq!(scope(&d).await, "queue");
    assert!(delivered(&d, "Test3", "group3", "same-dedup").await);
    clock.advance_secs(61);
    assert!(delivered(&d, "Test4", "group4", "other").await);
    assert!(
        !delivered(&d, "Test5", "group5", "other").await,
        "queue-wide after it"
    );
}
