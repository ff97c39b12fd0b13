//! SQS's 12-hour cap on how long one receive can keep a message hidden: a visibility change
//! whose whole seconds since the receive plus the new timeout pass 43,200 is refused with
//! `InvalidParameterValue` (AWS's text), alone and per batch entry, on JSON and on query; a
//! new receive starts the count again. Time is a manual clock.

mod common;

use std::sync::Arc;

use common::{dialect_with_clock, json_request, request};
use polyq_http::Dialect;
use serde_json::{json, Value};

const URL: &str = "http://localhost:9324/000000000000/q";

async fn call(d: &Arc<dyn Dialect>, action: &str, input: Value) -> (u16, Value) {
    let resp = d.handle(json_request(action, &input)).await;
    let body = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
    (resp.status().as_u16(), body)
}

async fn receive_one(d: &Arc<dyn Dialect>) -> String {
    let (status, got) = call(
        d,
        "ReceiveMessage",
        json!({"QueueUrl": URL, "VisibilityTimeout": 30}),
    )
    .await;
    assert_eq!(status, 200, "{got}");
    got["Messages"][0]["ReceiptHandle"]
        .as_str()
        .expect("a message")
        .to_string()
}

async fn change(d: &Arc<dyn Dialect>, handle: &str, seconds: u32) -> (u16, Value) {
    call(
        d,
        "ChangeMessageVisibility",
        json!({"QueueUrl": URL, "ReceiptHandle": handle, "VisibilityTimeout": seconds}),
    )
    .await
}

fn beyond(seconds: u32) -> String {
    format!(
        "Value {seconds} for parameter VisibilityTimeout is invalid. Reason: Total \
         VisibilityTimeout for the message is beyond the limit [43200 seconds]"
    )
}

async fn setup() -> (Arc<dyn Dialect>, polyq_core::ManualClock) {
    let (d, clock) = dialect_with_clock(Default::default());
    assert_eq!(
        call(&d, "CreateQueue", json!({"QueueName": "q"})).await.0,
        200
    );
    for body in ["a", "b"] {
        let sent = call(
            &d,
            "SendMessage",
            json!({"QueueUrl": URL, "MessageBody": body}),
        )
        .await;
        assert_eq!(sent.0, 200);
    }
    (d, clock)
}

#[tokio::test]
async fn a_change_past_twelve_hours_after_the_receive_is_refused() {
    let (d, clock) = setup().await;
    let handle = receive_one(&d).await;
    // Right after the receive the whole 12 hours are there.
    clock.advance_ms(400);
    assert_eq!(change(&d, &handle, 43_200).await.0, 200);
    // An hour later, 11 hours are left.
    clock.advance_secs(3_600);
    let (status, body) = change(&d, &handle, 39_601).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["__type"],
        "com.amazonaws.sqs#InvalidParameterValueException"
    );
    assert_eq!(body["message"], beyond(39_601));
    assert_eq!(change(&d, &handle, 39_600).await.0, 200);
    // Still hidden 12 hours after the receive less a second, visible then.
    clock.advance_secs(39_598);
    let (_, got) = call(
        &d,
        "ReceiveMessage",
        json!({"QueueUrl": URL, "MaxNumberOfMessages": 10}),
    )
    .await;
    assert_eq!(got["Messages"][0]["Body"], "b", "{got}");
    assert_eq!(got["Messages"].as_array().unwrap().len(), 1, "{got}");
    clock.advance_secs(2);
    // A new receive of `a` starts the count again.
    let (_, got) = call(
        &d,
        "ReceiveMessage",
        json!({"QueueUrl": URL, "VisibilityTimeout": 5}),
    )
    .await;
    assert_eq!(got["Messages"][0]["Body"], "a", "{got}");
    let again = got["Messages"][0]["ReceiptHandle"]
        .as_str()
        .unwrap()
        .to_string();
    clock.advance_secs(1);
    assert_eq!(change(&d, &again, 43_199).await.0, 200);
}

#[tokio::test]
async fn batch_entries_past_the_cap_fail_alone() {
    let (d, clock) = setup().await;
    let (_, got) = call(
        &d,
        "ReceiveMessage",
        json!({"QueueUrl": URL, "MaxNumberOfMessages": 2, "VisibilityTimeout": 30}),
    )
    .await;
    let handles: Vec<&str> = got["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["ReceiptHandle"].as_str().unwrap())
        .collect();
    assert_eq!(handles.len(), 2);
    clock.advance_secs(10);
    let (status, out) = call(
        &d,
        "ChangeMessageVisibilityBatch",
        json!({"QueueUrl": URL, "Entries": [
            {"Id": "ok", "ReceiptHandle": handles[0], "VisibilityTimeout": 43_190},
            {"Id": "over", "ReceiptHandle": handles[1], "VisibilityTimeout": 43_191},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["Successful"], json!([{"Id": "ok"}]));
    let failed = &out["Failed"][0];
    assert_eq!(failed["Id"], "over");
    assert_eq!(failed["Code"], "InvalidParameterValue");
    assert_eq!(failed["SenderFault"], true);
    assert_eq!(failed["Message"], beyond(43_191));
}

#[tokio::test]
async fn the_query_protocol_gives_the_same_refusal() {
    let (d, clock) = setup().await;
    let handle = receive_one(&d).await;
    clock.advance_secs(2);
    let uri = format!(
        "/000000000000/q?Action=ChangeMessageVisibility&ReceiptHandle={handle}&VisibilityTimeout=43199"
    );
    let resp = d.handle(request("GET", &uri, &[], "")).await;
    let xml = String::from_utf8(resp.body().to_vec()).unwrap();
    assert_eq!(resp.status().as_u16(), 400, "{xml}");
    assert!(xml.contains("<Code>InvalidParameterValue</Code>"), "{xml}");
    assert!(xml.contains(&beyond(43_199)), "{xml}");
}
