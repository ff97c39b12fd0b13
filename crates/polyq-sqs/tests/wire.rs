//! Golden wire tests: requests as SDKs and the AWS documentation write them, answered
//! in-process by the SQS dialect, checked byte-for-byte where AWS fixes the bytes.

mod common;

use std::sync::Arc;

use common::{dialect, json_request, request};
use polyq_http::Dialect;
use serde_json::{json, Value};

async fn json_call(
    d: &Arc<dyn Dialect>,
    action: &str,
    input: Value,
) -> (u16, http::HeaderMap, Value) {
    let req = json_request(action, &input);
    assert!(d.detect(&req));
    let resp = d.handle(req).await;
    let body: Value = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
    (resp.status().as_u16(), resp.headers().clone(), body)
}

async fn query_call(d: &Arc<dyn Dialect>, uri: &str) -> (u16, String) {
    let req = request("GET", uri, &[], "");
    assert!(d.detect(&req));
    let resp = d.handle(req).await;
    (
        resp.status().as_u16(),
        String::from_utf8(resp.body().to_vec()).unwrap(),
    )
}

#[tokio::test]
async fn seed_send_message_example_gives_the_documented_md5() {
    let d = dialect();
    json_call(&d, "CreateQueue", json!({"QueueName": "testQueue"})).await;
    // The seed document's request, verbatim apart from the host (Version 2009-02-01, SigV2 fields).
    let (status, xml) = query_call(
        &d,
        "/123456789012/testQueue/?Action=SendMessage&MessageBody=This+is+a+test+message&Version=2009-02-01&SignatureMethod=HmacSHA256&Expires=2009-04-18T22%3A52%3A43PST&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureVersion=2&Signature=Dqlp3Sd6ljTUA9Uf6SGtEExwUQEXAMPLE",
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml.starts_with("<SendMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><SendMessageResult><MD5OfMessageBody>fafb00f5732ab283681e124bf8747ed1</MD5OfMessageBody><MessageId>"), "{xml}");
    assert!(xml.ends_with("</MessageId></SendMessageResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></SendMessageResponse>"), "{xml}");
}

#[tokio::test]
async fn json_errors_carry_type_message_and_query_error_header() {
    let d = dialect();
    let (status, headers, body) = json_call(&d, "GetQueueUrl", json!({"QueueName": "nope"})).await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "com.amazonaws.sqs#QueueDoesNotExist");
    assert_eq!(body["message"], "The specified queue does not exist.");
    assert_eq!(
        headers["x-amzn-query-error"],
        "AWS.SimpleQueueService.NonExistentQueue;Sender"
    );
    assert_eq!(headers["x-amzn-requestid"], "req-1");
    assert_eq!(headers["content-type"], "application/x-amz-json-1.0");

    let req = request(
        "POST",
        "/",
        &[("x-amz-target", "AmazonSQS.ListQueues")],
        "{not json",
    );
    let resp = d.handle(req).await;
    assert_eq!(resp.status(), 400);
    let body: Value = serde_json::from_slice(resp.body()).unwrap();
    assert_eq!(body["__type"], "com.amazonaws.sqs#SerializationException");

    let (status, _, body) = json_call(&d, "Frobnicate", json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "com.amazonaws.sqs#InvalidAction");
}

#[tokio::test]
async fn query_errors_are_error_response_documents() {
    let d = dialect();
    let (status, xml) =
        query_call(&d, "/?Action=GetQueueUrl&QueueName=nope&Version=2012-11-05").await;
    assert_eq!(status, 400);
    assert_eq!(
        xml,
        "<ErrorResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist for this wsdl version.</Message><Detail/></Error><RequestId>req-1</RequestId></ErrorResponse>"
    );
    let (status, xml) = query_call(&d, "/?Action=Nope&Version=2012-11-05").await;
    assert_eq!(status, 400);
    assert!(xml.contains("<Code>InvalidAction</Code>"), "{xml}");
}

#[tokio::test]
async fn both_protocols_share_queues_and_messages() {
    let d = dialect();
    let (_, _, created) = json_call(
        &d,
        "CreateQueue",
        json!({"QueueName": "shared", "Attributes": {"VisibilityTimeout": "45"}}),
    )
    .await;
    assert_eq!(
        created["QueueUrl"],
        "http://localhost:9324/000000000000/shared"
    );
    let (status, xml) = query_call(
        &d,
        "/000000000000/shared?Action=GetQueueAttributes&AttributeName.1=VisibilityTimeout",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        xml.contains("<Attribute><Name>VisibilityTimeout</Name><Value>45</Value></Attribute>"),
        "{xml}"
    );
    let attrs = json!({"n": {"DataType": "Number", "StringValue": "7"}, "b": {"DataType": "Binary", "BinaryValue": "AAEC"}});
    let (_, _, sent) = json_call(
        &d,
        "SendMessage",
        json!({"QueueUrl": "http://localhost:9324/000000000000/shared", "MessageBody": "x", "MessageAttributes": attrs}),
    )
    .await;
    let (status, xml) = query_call(
        &d,
        "/000000000000/shared?Action=ReceiveMessage&MessageAttributeName.1=All",
    )
    .await;
    assert_eq!(status, 200);
    let md5 = sent["MD5OfMessageAttributes"].as_str().unwrap();
    assert!(
        xml.contains(&format!(
            "<MD5OfMessageAttributes>{md5}</MD5OfMessageAttributes>"
        )),
        "{xml}"
    );
    assert!(xml.contains("<BinaryValue>AAEC</BinaryValue>"), "{xml}");
}

#[tokio::test]
async fn batch_rules_answer_with_their_codes() {
    let d = dialect();
    json_call(&d, "CreateQueue", json!({"QueueName": "b"})).await;
    let url = "http://localhost:9324/000000000000/b";
    let entry = |id: &str, body: &str| json!({"Id": id, "MessageBody": body});
    let cases = [
        (json!([]), "EmptyBatchRequest"),
        (
            Value::Array((0..11).map(|i| entry(&format!("e{i}"), "x")).collect()),
            "TooManyEntriesInBatchRequest",
        ),
        (
            json!([entry("a", "x"), entry("a", "y")]),
            "BatchEntryIdsNotDistinct",
        ),
        (json!([entry("bad id!", "x")]), "InvalidBatchEntryId"),
    ];
    for (entries, code) in cases {
        let (status, _, body) = json_call(
            &d,
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": entries}),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["__type"], format!("com.amazonaws.sqs#{code}"));
    }
    let (status, _, body) = json_call(
        &d,
        "SendMessageBatch",
        json!({"QueueUrl": url, "Entries": [entry("ok", "fine"), entry("bad", "nul\u{0}")]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["Successful"][0]["Id"], "ok");
    assert_eq!(body["Failed"][0]["Id"], "bad");
    assert_eq!(body["Failed"][0]["Code"], "InvalidMessageContents");
    assert_eq!(body["Failed"][0]["SenderFault"], true);
}

#[tokio::test]
async fn receipt_handles_are_checked() {
    let d = dialect();
    json_call(&d, "CreateQueue", json!({"QueueName": "r"})).await;
    let url = "http://localhost:9324/000000000000/r";
    let (status, _, body) = json_call(
        &d,
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": "garbage"}),
    )
    .await;
    // 404, as AWS's model has it for ReceiptHandleIsInvalid.
    assert_eq!(status, 404);
    assert_eq!(body["__type"], "com.amazonaws.sqs#ReceiptHandleIsInvalid");
    json_call(
        &d,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "m"}),
    )
    .await;
    let (_, _, got) = json_call(
        &d,
        "ReceiveMessage",
        json!({"QueueUrl": url, "VisibilityTimeout": 0}),
    )
    .await;
    let handle = got["Messages"][0]["ReceiptHandle"]
        .as_str()
        .unwrap()
        .to_string();
    // The message is visible again (received with VisibilityTimeout 0): AWS answers 200 to a
    // visibility change by its latest receipt and does nothing, in both forms.
    let (status, _, body) = json_call(
        &d,
        "ChangeMessageVisibility",
        json!({"QueueUrl": url, "ReceiptHandle": handle, "VisibilityTimeout": 10}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let entry = json!([{"Id": "e", "ReceiptHandle": handle, "VisibilityTimeout": 10}]);
    let (status, _, body) = json_call(
        &d,
        "ChangeMessageVisibilityBatch",
        json!({"QueueUrl": url, "Entries": entry}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Successful"][0]["Id"], "e", "{body}");
    let (_, _, got) = json_call(&d, "ReceiveMessage", json!({"QueueUrl": url})).await;
    let handle = got["Messages"][0]["ReceiptHandle"]
        .as_str()
        .unwrap_or_else(|| panic!("still visible: {got}"))
        .to_string();
    let (status, _, _) = json_call(
        &d,
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": handle}),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn redrive_policy_needs_an_existing_dead_letter_queue_of_the_same_type() {
    let d = dialect();
    let policy = |dlq: &str| {
        json!({"deadLetterTargetArn": format!("arn:aws:sqs:us-east-1:000000000000:{dlq}"), "maxReceiveCount": 3}).to_string()
    };
    let (status, _, body) = json_call(
        &d,
        "CreateQueue",
        json!({"QueueName": "src", "Attributes": {"RedrivePolicy": policy("missing")}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["__type"],
        "com.amazonaws.sqs#InvalidParameterValueException"
    );
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("Dead letter target does not exist"));
    json_call(
        &d,
        "CreateQueue",
        json!({"QueueName": "dlq.fifo", "Attributes": {"FifoQueue": "true"}}),
    )
    .await;
    json_call(&d, "CreateQueue", json!({"QueueName": "src"})).await;
    let (status, _, body) = json_call(
        &d,
        "SetQueueAttributes",
        json!({"QueueUrl": "http://localhost:9324/000000000000/src", "Attributes": {"RedrivePolicy": policy("dlq.fifo")}}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("same type"),
        "{body}"
    );
}

#[tokio::test]
async fn permissions_tags_and_owners_are_validated() {
    let d = dialect();
    json_call(&d, "CreateQueue", json!({"QueueName": "p"})).await;
    let url = "http://localhost:9324/000000000000/p";
    let (status, _, body) = json_call(
        &d,
        "AddPermission",
        json!({"QueueUrl": url, "Label": "l", "AWSAccountIds": ["111111111111"], "Actions": ["Frobnicate"]}),
    )
    .await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (
            400,
            Some("com.amazonaws.sqs#InvalidParameterValueException")
        )
    );
    let (status, _, _) =
        json_call(&d, "TagQueue", json!({"QueueUrl": url, "Tags": {"": "v"}})).await;
    assert_eq!(status, 400);
    let (status, _, body) = json_call(
        &d,
        "GetQueueUrl",
        json!({"QueueName": "p", "QueueOwnerAWSAccountId": "111111111111"}),
    )
    .await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("com.amazonaws.sqs#QueueDoesNotExist"))
    );
    let (status, _, body) = json_call(
        &d,
        "DeleteMessageBatch",
        json!({"QueueUrl": url, "Entries": []}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("DeleteMessageBatchRequestEntry"));
}

/// AWS's JSON protocol leaves an empty `Successful` / `Failed` out of a batch answer (the AWS SDK
/// for Java v2's `hasFailed()` and code written against AWS rely on it); the query protocol has
/// no difference to show.
#[tokio::test]
async fn json_batch_answers_leave_empty_lists_out() {
    let d = dialect();
    json_call(&d, "CreateQueue", json!({"QueueName": "b"})).await;
    let url = "http://localhost:9324/000000000000/b";
    let (status, _, sent) = json_call(
        &d,
        "SendMessageBatch",
        json!({"QueueUrl": url, "Entries": [{"Id": "1", "MessageBody": "x"}, {"Id": "2", "MessageBody": "y"}]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sent["Successful"].as_array().map(Vec::len), Some(2));
    assert!(sent.get("Failed").is_none(), "{sent}");
    let (_, _, deleted) = json_call(
        &d,
        "DeleteMessageBatch",
        json!({"QueueUrl": url, "Entries": [{"Id": "1", "ReceiptHandle": "bad"}]}),
    )
    .await;
    assert_eq!(deleted["Failed"][0]["Code"], "ReceiptHandleIsInvalid");
    assert!(deleted.get("Successful").is_none(), "{deleted}");
    let (_, _, changed) = json_call(
        &d,
        "ChangeMessageVisibilityBatch",
        json!({"QueueUrl": url, "Entries": [{"Id": "1", "ReceiptHandle": "bad", "VisibilityTimeout": 5}]}),
    )
    .await;
    assert!(changed.get("Successful").is_none(), "{changed}");
    assert_eq!(changed["Failed"].as_array().map(Vec::len), Some(1));
}

async fn accept_json_call(d: &Arc<dyn Dialect>, uri: &str, accept: &str) -> (u16, String, String) {
    let req = request("GET", uri, &[("accept", accept)], "");
    assert!(d.detect(&req));
    let resp = d.handle(req).await;
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
    let body = String::from_utf8(resp.body().to_vec()).unwrap();
    (resp.status().as_u16(), content_type, body)
}

/// A query request with `Accept: application/json` gets the query documents as JSON, as AWS
/// answers them (LocalStack's AWS-validated test_get_queue_attributes_json_format and
/// test_get_list_queues_fails_json_format); accepting XML too keeps the XML.
#[tokio::test]
async fn query_requests_accepting_json_get_json_documents() {
    let d = dialect();
    json_call(&d, "CreateQueue", json!({"QueueName": "aj"})).await;
    let q = "/000000000000/aj";
    let (status, ct, body) = accept_json_call(
        &d,
        &format!("{q}?Action=GetQueueAttributes&AttributeName.1=All"),
        "application/json",
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, "application/json"));
    let doc: Value = serde_json::from_str(&body).unwrap();
    let attrs = doc["GetQueueAttributesResponse"]["GetQueueAttributesResult"]["Attributes"]
        .as_array()
        .unwrap();
    assert!(attrs
        .iter()
        .any(|a| a["Name"] == "QueueArn" && a["Value"] == "arn:aws:sqs:us-east-1:000000000000:aj"));
    assert_eq!(
        doc["GetQueueAttributesResponse"]["ResponseMetadata"]["RequestId"],
        "req-1"
    );

    let (status, _, body) =
        accept_json_call(&d, &format!("{q}?Action=ListQueues"), "application/json").await;
    assert_eq!(status, 400);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["Error"]["Code"], "InvalidAction");
    assert_eq!(
        doc["Error"]["Message"],
        "The action ListQueues is not valid for this endpoint."
    );
    assert_eq!(doc["Error"]["Type"], "Sender");

    let (_, _, body) = accept_json_call(
        &d,
        &format!("{q}?Action=ReceiveMessage"),
        "application/json",
    )
    .await;
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        doc["ReceiveMessageResponse"]["ReceiveMessageResult"],
        json!({"messages": null})
    );
    accept_json_call(
        &d,
        &format!("{q}?Action=SendMessage&MessageBody=hi"),
        "application/json",
    )
    .await;
    let (_, _, body) = accept_json_call(
        &d,
        &format!("{q}?Action=ReceiveMessage"),
        "application/json",
    )
    .await;
    let doc: Value = serde_json::from_str(&body).unwrap();
    let m = &doc["ReceiveMessageResponse"]["ReceiveMessageResult"]["messages"][0];
    assert_eq!(m["Body"], "hi");
    assert_eq!(m["MD5OfBody"], "49f68a5c8493ec2c0bf489821c21fc3b");
    assert!(m["MD5OfMessageAttributes"].is_null());

    let (status, ct, body) = accept_json_call(
        &d,
        &format!("{q}?Action=GetQueueUrl&QueueName=aj"),
        "application/json, text/xml",
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, "text/xml"));
    assert!(body.starts_with("<GetQueueUrlResponse"), "{body}");

    // STS on the same endpoint answers in the same format.
    let (status, ct, body) = accept_json_call(
        &d,
        "/?Action=GetCallerIdentity&Version=2011-06-15",
        "application/json",
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, "application/json"));
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        doc["GetCallerIdentityResponse"]["GetCallerIdentityResult"]["Account"],
        "000000000000"
    );
}

#[tokio::test]
async fn json_actions_without_output_answer_no_body() {
    let d = dialect();
    let raw = |action: &'static str, input: Value| {
        let d = d.clone();
        async move {
            let resp = d.handle(json_request(action, &input)).await;
            assert_eq!(resp.status(), 200, "{action}");
            assert_eq!(
                resp.headers()["content-type"],
                "application/x-amz-json-1.0",
                "{action}"
            );
            String::from_utf8(resp.body().to_vec()).unwrap()
        }
    };
    let created = raw("CreateQueue", json!({"QueueName": "quiet"})).await;
    let url = serde_json::from_str::<Value>(&created).unwrap()["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    raw("SendMessage", json!({"QueueUrl": url, "MessageBody": "m"})).await;
    let got = raw("ReceiveMessage", json!({"QueueUrl": url})).await;
    let handle = serde_json::from_str::<Value>(&got).unwrap()["Messages"][0]["ReceiptHandle"]
        .as_str()
        .unwrap()
        .to_string();
    // As real SQS sessions record them: 200, the JSON content type, Content-Length 0.
    for (action, input) in [
        (
            "ChangeMessageVisibility",
            json!({"QueueUrl": url, "ReceiptHandle": handle, "VisibilityTimeout": 5}),
        ),
        (
            "DeleteMessage",
            json!({"QueueUrl": url, "ReceiptHandle": handle}),
        ),
        (
            "SetQueueAttributes",
            json!({"QueueUrl": url, "Attributes": {"DelaySeconds": "1"}}),
        ),
        ("TagQueue", json!({"QueueUrl": url, "Tags": {"k": "v"}})),
        ("UntagQueue", json!({"QueueUrl": url, "TagKeys": ["k"]})),
        (
            "AddPermission",
            json!({"QueueUrl": url, "Label": "l", "AWSAccountIds": ["111122223333"], "Actions": ["SendMessage"]}),
        ),
        ("RemovePermission", json!({"QueueUrl": url, "Label": "l"})),
        ("PurgeQueue", json!({"QueueUrl": url})),
        ("DeleteQueue", json!({"QueueUrl": url})),
    ] {
        assert_eq!(raw(action, input).await, "", "{action}");
    }
    // An action with an output shape answers `{}` when every member is absent.
    assert_eq!(
        raw("ListQueues", json!({"QueueNamePrefix": "nothing-here"})).await,
        "{}"
    );
}

#[tokio::test]
async fn query_forms_are_recognised_whatever_their_bytes_and_media_type_case() {
    let d = dialect();
    // Media types compare without regard to case (RFC 9110 §8.3.1).
    let upper = request(
        "POST",
        "/",
        &[(
            "content-type",
            "APPLICATION/X-WWW-FORM-URLENCODED; charset=UTF-8",
        )],
        "Action=ListQueues&Version=2012-11-05",
    );
    assert!(d.detect(&upper));
    let resp = d.handle(upper).await;
    assert_eq!(resp.status(), 200);
    // A byte that is no UTF-8 in a form: SQS's own error document, not "could not tell".
    let latin1 = request(
        "POST",
        "/",
        &[("content-type", "application/x-www-form-urlencoded")],
        b"Action=SendMessage&Version=2012-11-05&QueueUrl=x&MessageBody=Gr\xfc\xdfe".as_slice(),
    );
    assert!(d.detect(&latin1));
    let resp = d.handle(latin1).await;
    let xml = String::from_utf8_lossy(resp.body()).into_owned();
    assert_eq!(resp.status(), 400, "{xml}");
    assert!(xml.starts_with("<ErrorResponse"), "{xml}");
    assert!(xml.contains("not valid UTF-8"), "{xml}");
}

#[tokio::test]
async fn browsers_get_cors_and_options_runs_no_action() {
    let d = dialect();
    // The preflight the AWS SDK for JavaScript's fetch causes in a browser.
    let preflight = request(
        "OPTIONS",
        "/",
        &[
            ("origin", "http://app.example"),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "amz-sdk-invocation-id,authorization,content-type,x-amz-date,x-amz-target",
            ),
        ],
        "",
    );
    assert!(d.detect(&preflight));
    let resp = d.handle(preflight).await;
    assert_eq!(resp.status(), 200);
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(h["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    assert_eq!(
        h["access-control-allow-headers"],
        "amz-sdk-invocation-id,authorization,content-type,x-amz-date,x-amz-target"
    );
    // A preflight naming an action does not run it.
    let sneaky = request(
        "OPTIONS",
        "/?Action=CreateQueue&QueueName=from-options&Version=2012-11-05",
        &[("origin", "http://app.example")],
        "",
    );
    assert!(d.detect(&sneaky));
    assert_eq!(d.handle(sneaky).await.status(), 200);
    let (_, _, listed) = json_call(&d, "ListQueues", json!({})).await;
    assert!(!listed.to_string().contains("from-options"), "{listed}");
    // The page can read the answer and its request id.
    let mut req = common::json_request("ListQueues", &json!({}));
    req.headers.insert(
        "origin",
        http::HeaderValue::from_static("http://app.example"),
    );
    let resp = d.handle(req).await;
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    assert!(resp.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("x-amzn-requestid"));
    // Without an Origin, answers carry no CORS headers.
    let plain = d
        .handle(common::json_request("ListQueues", &json!({})))
        .await;
    assert!(!plain.headers().contains_key("access-control-allow-origin"));
}

/// Actions come by GET or POST: a HEAD (safe by definition), PUT, DELETE or another method ran
/// the action all the same, so `HEAD …?Action=DeleteQueue` deleted the queue (found by an HTTP
/// audit). Now refused in each protocol's form, and nothing happens.
#[tokio::test]
async fn only_get_and_post_run_actions() {
    let d = dialect();
    json_call(&d, "CreateQueue", json!({"QueueName": "kept"})).await;
    let url = "http://localhost:9324/000000000000/kept";
    for method in ["HEAD", "PUT", "DELETE", "PATCH"] {
        let req = request(method, "/000000000000/kept?Action=DeleteQueue", &[], "");
        assert!(d.detect(&req), "{method}");
        let resp = d.handle(req).await;
        let body = String::from_utf8(resp.body().to_vec()).unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{method}: {body}");
        assert!(
            body.contains("<Code>InvalidAction</Code>"),
            "{method}: {body}"
        );
        assert!(
            body.contains(&format!("not by {method}")),
            "{method}: {body}"
        );
        let mut json = common::json_request("DeleteQueue", &json!({"QueueUrl": url}));
        json.method = method.parse().unwrap();
        let resp = d.handle(json).await;
        let body: Value = serde_json::from_slice(resp.body()).unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{method}: {body}");
        assert!(
            body["__type"].as_str().unwrap().ends_with("InvalidAction"),
            "{body}"
        );
    }
    let (status, _, got) = json_call(&d, "GetQueueUrl", json!({"QueueName": "kept"})).await;
    assert_eq!(status, 200, "the queue is still there: {got}");
}
