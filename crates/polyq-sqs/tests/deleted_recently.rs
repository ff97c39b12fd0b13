//! `QueueDeletedRecently`: with the switch on, a queue cannot be created under a name deleted
//! less than 60 seconds ago (AWS's rule and text, on JSON and on query); with it off (the
//! default) the name is free at once. Time is a manual clock.

mod common;

use std::sync::Arc;

use common::{dialect_with_clock, json_request, request};
use polyq_http::Dialect;
use polyq_sqs::SqsConfig;
use serde_json::{json, Value};

const URL: &str = "http://localhost:9324/000000000000/q";
const TEXT: &str =
    "You must wait 60 seconds after deleting a queue before you can create another with the same name.";

async fn call(d: &Arc<dyn Dialect>, action: &str, input: Value) -> (u16, Value) {
    let resp = d.handle(json_request(action, &input)).await;
    let body = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
    (resp.status().as_u16(), body)
}

async fn create_and_delete(d: &Arc<dyn Dialect>) {
    assert_eq!(
        call(d, "CreateQueue", json!({"QueueName": "q"})).await.0,
        200
    );
    assert_eq!(
        call(d, "DeleteQueue", json!({"QueueUrl": URL})).await.0,
        200
    );
}

fn enforcing() -> SqsConfig {
    SqsConfig {
        queue_deleted_recently: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_deleted_name_is_held_for_sixty_seconds() {
    let (d, clock) = dialect_with_clock(enforcing());
    create_and_delete(&d).await;
    clock.advance_secs(59);
    let (status, body) = call(&d, "CreateQueue", json!({"QueueName": "q"})).await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "com.amazonaws.sqs#QueueDeletedRecently");
    assert_eq!(body["message"], TEXT);
    // Nothing was created, and other names are free.
    let (status, _) = call(&d, "GetQueueUrl", json!({"QueueName": "q"})).await;
    assert_eq!(status, 400);
    assert_eq!(
        call(&d, "CreateQueue", json!({"QueueName": "other"}))
            .await
            .0,
        200
    );
    // The query protocol gives AWS's legacy code.
    let resp = d
        .handle(request("GET", "/?Action=CreateQueue&QueueName=q", &[], ""))
        .await;
    let xml = String::from_utf8(resp.body().to_vec()).unwrap();
    assert_eq!(resp.status().as_u16(), 400, "{xml}");
    assert!(
        xml.contains("<Code>AWS.SimpleQueueService.QueueDeletedRecently</Code>"),
        "{xml}"
    );
    clock.advance_secs(1);
    assert_eq!(
        call(&d, "CreateQueue", json!({"QueueName": "q"})).await.0,
        200
    );
}

#[tokio::test]
async fn by_default_a_deleted_name_is_free_at_once() {
    let (d, _clock) = dialect_with_clock(SqsConfig::default());
    create_and_delete(&d).await;
    assert_eq!(
        call(&d, "CreateQueue", json!({"QueueName": "q"})).await.0,
        200
    );
}

#[tokio::test]
async fn a_failed_delete_holds_nothing() {
    let (d, _clock) = dialect_with_clock(enforcing());
    let (status, _) = call(&d, "DeleteQueue", json!({"QueueUrl": URL})).await;
    assert_eq!(status, 400, "no such queue");
    assert_eq!(
        call(&d, "CreateQueue", json!({"QueueName": "q"})).await.0,
        200
    );
}
