//! ARNs name the region (and its partition) of the client's SigV4 credential scope, as AWS's
//! do: LocalStack's partition tests (`arn:aws-cn:sqs:cn-north-1:…` for a `cn-north-1` client).

mod common;

use common::{dialect, request};
use polyq_http::Dialect;
use serde_json::{json, Value};

/// A JSON-protocol request signed (in form; `dev` mode checks nothing) for `region`.
async fn call(
    d: &std::sync::Arc<dyn Dialect>,
    region: Option<&str>,
    action: &str,
    input: Value,
) -> Value {
    let auth = region.map(|r| {
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDREGION/20240101/{r}/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
        )
    });
    let target = format!("AmazonSQS.{action}");
    let mut headers = vec![
        ("x-amz-target", target.as_str()),
        ("content-type", "application/x-amz-json-1.0"),
    ];
    if let Some(a) = &auth {
        headers.push(("authorization", a.as_str()));
    }
    let resp = d
        .handle(request("POST", "/", &headers, input.to_string()))
        .await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        String::from_utf8_lossy(resp.body())
    );
    // Actions without output answer no body at all, as AWS does; SDKs read that as `{}`.
    if resp.body().is_empty() {
        return serde_json::json!({});
    }
    serde_json::from_slice(resp.body()).unwrap()
}

async fn queue_arn(d: &std::sync::Arc<dyn Dialect>, region: Option<&str>, url: &str) -> String {
    let out = call(
        d,
        region,
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["QueueArn"]}),
    )
    .await;
    out["Attributes"]["QueueArn"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn queue_arn_names_the_signing_region_and_partition() {
    let d = dialect();
    let out = call(
        &d,
        Some("cn-north-1"),
        "CreateQueue",
        json!({"QueueName": "q"}),
    )
    .await;
    let url = out["QueueUrl"].as_str().unwrap().to_string();
    assert_eq!(
        queue_arn(&d, Some("cn-north-1"), &url).await,
        "arn:aws-cn:sqs:cn-north-1:000000000000:q"
    );
    assert_eq!(
        queue_arn(&d, Some("us-east-2"), &url).await,
        "arn:aws:sqs:us-east-2:000000000000:q"
    );
    // Unsigned (or SigV2) requests keep the configured region.
    assert_eq!(
        queue_arn(&d, None, &url).await,
        "arn:aws:sqs:us-east-1:000000000000:q"
    );
}

#[tokio::test]
async fn presigned_requests_name_their_region_too() {
    let d = dialect();
    call(&d, None, "CreateQueue", json!({"QueueName": "p"})).await;
    let resp = d
        .handle(request(
            "GET",
            "/000000000000/p?Action=GetQueueAttributes&AttributeName.1=QueueArn&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Feu-west-1%2Fsqs%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
            &[],
            "",
        ))
        .await;
    let xml = String::from_utf8(resp.body().to_vec()).unwrap();
    assert!(
        xml.contains("<Value>arn:aws:sqs:eu-west-1:000000000000:p</Value>"),
        "{xml}"
    );
}

#[tokio::test]
async fn policies_and_redrive_policies_use_the_partition() {
    let d = dialect();
    let cn = Some("cn-north-1");
    call(&d, cn, "CreateQueue", json!({"QueueName": "dlq"})).await;
    let url = call(&d, cn, "CreateQueue", json!({"QueueName": "src", "Attributes": {
        "RedrivePolicy": json!({"deadLetterTargetArn": "arn:aws-cn:sqs:cn-north-1:000000000000:dlq", "maxReceiveCount": 2}).to_string()
    }}))
    .await["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    call(&d, cn, "AddPermission", json!({"QueueUrl": url, "Label": "Yes", "AWSAccountIds": ["000000000000"], "Actions": ["*"]})).await;
    let attrs = call(
        &d,
        cn,
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["All"]}),
    )
    .await;
    let policy: Value =
        serde_json::from_str(attrs["Attributes"]["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(
        policy["Id"],
        "arn:aws-cn:sqs:cn-north-1:000000000000:src/SQSDefaultPolicy"
    );
    assert_eq!(
        policy["Statement"][0]["Principal"]["AWS"],
        "arn:aws-cn:iam::000000000000:root"
    );
    let redrive: Value =
        serde_json::from_str(attrs["Attributes"]["RedrivePolicy"].as_str().unwrap()).unwrap();
    assert_eq!(
        redrive["deadLetterTargetArn"],
        "arn:aws-cn:sqs:cn-north-1:000000000000:dlq"
    );
}

#[tokio::test]
async fn sender_id_is_the_claimed_access_key() {
    let d = dialect();
    let url = call(
        &d,
        Some("eu-west-1"),
        "CreateQueue",
        json!({"QueueName": "s"}),
    )
    .await["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    call(
        &d,
        Some("eu-west-1"),
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "x"}),
    )
    .await;
    let out = call(
        &d,
        None,
        "ReceiveMessage",
        json!({"QueueUrl": url, "MessageSystemAttributeNames": ["SenderId"]}),
    )
    .await;
    assert_eq!(out["Messages"][0]["Attributes"]["SenderId"], "AKIDREGION");
}

/// The queue URLs a `ListQueues` of `region` answers with (paged by `MaxResults` if given).
async fn listed(
    d: &std::sync::Arc<dyn Dialect>,
    region: Option<&str>,
    input: Value,
) -> (Vec<String>, Option<String>) {
    let out = call(d, region, "ListQueues", input).await;
    let urls = out["QueueUrls"]
        .as_array()
        .map(|a| a.iter().map(|u| u.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    (urls, out["NextToken"].as_str().map(str::to_string))
}

fn names(urls: &[String]) -> Vec<&str> {
    urls.iter().map(|u| u.rsplit('/').next().unwrap()).collect()
}

#[tokio::test]
async fn list_queues_lists_the_queues_of_the_signing_region() {
    // moto's test_create_queues_in_multiple_region, and AWS: each region lists its own.
    let d = dialect();
    let (w1, w2) = (Some("us-west-1"), Some("us-west-2"));
    call(&d, w1, "CreateQueue", json!({"QueueName": "west1"})).await;
    call(&d, w2, "CreateQueue", json!({"QueueName": "west2"})).await;
    call(&d, None, "CreateQueue", json!({"QueueName": "everywhere"})).await;
    assert_eq!(
        names(&listed(&d, w1, json!({})).await.0),
        ["everywhere", "west1"]
    );
    assert_eq!(
        names(&listed(&d, w2, json!({})).await.0),
        ["everywhere", "west2"]
    );
    // An unsigned listing sees every queue.
    assert_eq!(
        names(&listed(&d, None, json!({})).await.0),
        ["everywhere", "west1", "west2"]
    );
    // Names are shared by every region: the other region's queue is still reachable.
    let url = call(&d, w2, "GetQueueUrl", json!({"QueueName": "west1"})).await;
    assert!(url["QueueUrl"].as_str().unwrap().ends_with("/west1"));
}

#[tokio::test]
async fn creating_the_same_name_from_another_region_answers_that_queue_as_it_is() {
    // kombu lists its region's queues and, finding none, creates its queue with its own
    // VisibilityTimeout: on AWS another queue; here the one queue of that name, unchanged.
    let d = dialect();
    let (east, west) = (Some("us-east-1"), Some("eu-west-1"));
    let first = call(&d, east, "CreateQueue", json!({"QueueName": "shared"})).await;
    let url = first["QueueUrl"].clone();
    let before = call(
        &d,
        east,
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["All"]}),
    )
    .await;
    assert!(listed(&d, west, json!({})).await.0.is_empty());
    let again = call(
        &d,
        west,
        "CreateQueue",
        json!({"QueueName": "shared", "Attributes": {"VisibilityTimeout": "1800"}}),
    )
    .await;
    assert_eq!(again["QueueUrl"], url, "one queue");
    let after = call(
        &d,
        east,
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["All"]}),
    )
    .await;
    assert_eq!(
        after, before,
        "nothing changed, LastModifiedTimestamp included"
    );
    // Still listed only where it was made; the attributes of its own region still count.
    assert!(listed(&d, west, json!({})).await.0.is_empty());
    assert_eq!(names(&listed(&d, east, json!({})).await.0), ["shared"]);
    let d2 = d.clone();
    let conflict = d2
        .handle(common::json_request(
            "CreateQueue",
            &json!({"QueueName": "shared", "Attributes": {"VisibilityTimeout": "1800"}}),
        ))
        .await;
    // Unsigned: every region's view, so the attributes are compared.
    assert_eq!(conflict.status(), 400);
    assert!(String::from_utf8_lossy(conflict.body()).contains("QueueNameExists"));
    assert!(
        before["Attributes"]
            .as_object()
            .unwrap()
            .keys()
            .all(|k| !k.contains("Region")),
        "{before}"
    );
}

#[tokio::test]
async fn pages_of_a_region_skip_the_queues_of_others() {
    let d = dialect();
    let (a, b) = (Some("ap-south-1"), Some("sa-east-1"));
    // Interleaved names, so every store read returns queues of both regions.
    for i in 0..7 {
        call(&d, a, "CreateQueue", json!({"QueueName": format!("q{i}a")})).await;
        call(&d, b, "CreateQueue", json!({"QueueName": format!("q{i}b")})).await;
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10 {
        let mut input = json!({"MaxResults": 3});
        if let Some(t) = &token {
            input["NextToken"] = json!(t);
        }
        let (urls, next) = listed(&d, a, input).await;
        assert!(urls.len() <= 3);
        seen.extend(names(&urls).iter().map(|n| n.to_string()));
        token = next;
        if token.is_none() {
            break;
        }
    }
    let expected: Vec<String> = (0..7).map(|i| format!("q{i}a")).collect();
    assert_eq!(seen, expected);
    // The prefix narrows within the region.
    let (urls, _) = listed(&d, b, json!({"QueueNamePrefix": "q3"})).await;
    assert_eq!(names(&urls), ["q3b"]);
}
