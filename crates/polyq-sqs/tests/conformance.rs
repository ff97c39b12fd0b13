//! Error codes, messages and shapes that AWS itself answered (recorded AWS responses in
//! LocalStack's AWS-validated snapshots), checked in-process against the SQS dialect.

mod common;

use std::sync::Arc;

use common::{dialect, json_request, request};
use polyq_http::Dialect;
use serde_json::{json, Value};

/// One JSON-protocol call: status, the `x-amzn-query-error` header and the body.
async fn call(d: &Arc<dyn Dialect>, action: &str, input: Value) -> (u16, String, Value) {
    let req = json_request(action, &input);
    let resp = d.handle(req).await;
    let query_error = resp
        .headers()
        .get("x-amzn-query-error")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
    (resp.status().as_u16(), query_error, body)
}

async fn query(d: &Arc<dyn Dialect>, uri: &str) -> (u16, String) {
    let resp = d.handle(request("GET", uri, &[], "")).await;
    (
        resp.status().as_u16(),
        String::from_utf8(resp.body().to_vec()).unwrap(),
    )
}

/// Asserts a JSON-protocol error: legacy code (header), `__type` and message.
fn assert_error(got: &(u16, String, Value), legacy: &str, shape: &str, message: &str) {
    let (status, header, body) = got;
    assert_eq!(*status, 400, "{body}");
    assert_eq!(header, &format!("{legacy};Sender"), "{body}");
    assert_eq!(
        body["__type"],
        format!("com.amazonaws.sqs#{shape}"),
        "{body}"
    );
    assert_eq!(body["message"], message, "{body}");
}

async fn create(d: &Arc<dyn Dialect>, input: Value) -> String {
    let (status, _, body) = call(d, "CreateQueue", input).await;
    assert_eq!(status, 200, "{body}");
    body["QueueUrl"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn invalid_parameter_value_uses_the_aws_json_shape_names() {
    let d = dialect();
    let url = create(&d, json!({"QueueName": "q"})).await;
    let got = call(
        &d,
        "ReceiveMessage",
        json!({"QueueUrl": url, "MaxNumberOfMessages": 11}),
    )
    .await;
    assert_error(
        &got,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
    );
    let got = call(
        &d,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "x", "DelaySeconds": 901}),
    )
    .await;
    assert_error(
        &got,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.",
    );
    let fifo = create(
        &d,
        json!({"QueueName": "f.fifo", "Attributes": {"FifoQueue": "true"}}),
    )
    .await;
    let got = call(
        &d,
        "SendMessage",
        json!({"QueueUrl": fifo, "MessageBody": "x", "MessageDeduplicationId": "d"}),
    )
    .await;
    assert_error(
        &got,
        "MissingParameter",
        "MissingRequiredParameterException",
        "The request must contain the parameter MessageGroupId.",
    );
    let got = call(
        &d,
        "SendMessage",
        json!({"QueueUrl": fifo, "MessageBody": "x", "MessageGroupId": "g", "DelaySeconds": 2}),
    )
    .await;
    assert_error(
        &got,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.",
    );
}

#[tokio::test]
async fn fifo_batch_without_group_or_dedup_id_fails_the_whole_request() {
    let d = dialect();
    let url = create(
        &d,
        json!({"QueueName": "b.fifo", "Attributes": {"FifoQueue": "true"}}),
    )
    .await;
    let ok = json!({"Id": "a", "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d"});
    let got = call(
        &d,
        "SendMessageBatch",
        json!({"QueueUrl": url, "Entries": [ok, {"Id": "b", "MessageBody": "x", "MessageDeduplicationId": "e"}]}),
    )
    .await;
    assert_error(
        &got,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "The request must contain the parameter MessageGroupId.",
    );
    let got = call(
        &d,
        "SendMessageBatch",
        json!({"QueueUrl": url, "Entries": [ok, {"Id": "b", "MessageBody": "x", "MessageGroupId": "g"}]}),
    )
    .await;
    assert_error(
        &got,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
    );
    // Nothing of the refused batches was sent.
    let (_, _, body) = call(
        &d,
        "ReceiveMessage",
        json!({"QueueUrl": url, "MaxNumberOfMessages": 10}),
    )
    .await;
    assert!(body.get("Messages").is_none(), "{body}");
}

#[tokio::test]
async fn create_queue_conflict_names_one_attribute() {
    let d = dialect();
    let attrs = json!({"ReceiveMessageWaitTimeSeconds": "1", "DelaySeconds": "1"});
    let url = create(&d, json!({"QueueName": "c", "Attributes": attrs})).await;
    assert_eq!(
        create(
            &d,
            json!({"QueueName": "c", "Attributes": {"DelaySeconds": "1"}})
        )
        .await,
        url
    );
    let got = call(
        &d,
        "CreateQueue",
        json!({"QueueName": "c", "Attributes": {"ReceiveMessageWaitTimeSeconds": "1", "DelaySeconds": "2"}}),
    )
    .await;
    assert_error(
        &got,
        "QueueAlreadyExists",
        "QueueNameExists",
        "A queue already exists with the same name and a different value for attribute DelaySeconds",
    );
}

#[tokio::test]
async fn queue_attribute_errors_match_aws() {
    let d = dialect();
    let policy = r#"{"deadLetterTargetArn": "dummy", "maxReceiveCount": 42}"#;
    let got = call(
        &d,
        "CreateQueue",
        json!({"QueueName": "r", "Attributes": {"RedrivePolicy": policy}}),
    )
    .await;
    assert_error(
        &got,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        &format!("Value {policy} for parameter RedrivePolicy is invalid. Reason: Invalid value for deadLetterTargetArn."),
    );

    let url = create(&d, json!({"QueueName": "s"})).await;
    let got = call(
        &d,
        "SetQueueAttributes",
        json!({"QueueUrl": url, "Attributes": {"FifoQueue": "true"}}),
    )
    .await;
    assert_error(
        &got,
        "InvalidAttributeName",
        "InvalidAttributeName",
        "Unknown Attribute FifoQueue.",
    );
    let got = call(
        &d,
        "SetQueueAttributes",
        json!({"QueueUrl": url, "Attributes": {"KmsMasterKeyId": "testKeyId", "SqsManagedSseEnabled": "true"}}),
    )
    .await;
    assert_error(
        &got,
        "InvalidAttributeName",
        "InvalidAttributeName",
        "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.",
    );
    // KMS with SSE-SQS switched off is fine.
    let (status, _, body) = call(
        &d,
        "SetQueueAttributes",
        json!({"QueueUrl": url, "Attributes": {"KmsMasterKeyId": "testKeyId", "SqsManagedSseEnabled": "false"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn empty_string_attribute_message() {
    let d = dialect();
    let url = create(&d, json!({"QueueName": "m"})).await;
    let got = call(
        &d,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "t",
               "MessageAttributes": {"ErrorDetails": {"StringValue": "", "DataType": "String"}}}),
    )
    .await;
    assert_error(
        &got,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'.",
    );
}

#[tokio::test]
async fn permissions_policy_shape_and_label_errors() {
    let d = dialect();
    let url = create(&d, json!({"QueueName": "p"})).await;
    let add = |accounts: Value, label: &str| json!({"QueueUrl": url, "AWSAccountIds": accounts, "Actions": ["ReceiveMessage"], "Label": label});
    let (status, _, _) = call(&d, "AddPermission", add(json!(["000000000000"]), "one")).await;
    assert_eq!(status, 200);
    let (_, _, body) = call(
        &d,
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["Policy"]}),
    )
    .await;
    let policy: Value =
        serde_json::from_str(body["Attributes"]["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(
        policy,
        json!({
            "Version": "2008-10-17",
            "Id": "arn:aws:sqs:us-east-1:000000000000:p/SQSDefaultPolicy",
            "Statement": [{
                "Sid": "one",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                "Action": "SQS:ReceiveMessage",
                "Resource": "arn:aws:sqs:us-east-1:000000000000:p"
            }]
        })
    );
    let got = call(&d, "AddPermission", add(json!(["668614515564"]), "one")).await;
    assert_error(
        &got,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "Value one for parameter Label is invalid. Reason: Already exists.",
    );
    let got = call(
        &d,
        "RemovePermission",
        json!({"QueueUrl": url, "Label": "two"}),
    )
    .await;
    assert_error(
        &got,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "Value two for parameter Label is invalid. Reason: can't find label.",
    );
}

#[tokio::test]
async fn bare_queue_name_is_accepted_as_queue_url() {
    let d = dialect();
    create(&d, json!({"QueueName": "by-name"})).await;
    let (status, _, body) = call(
        &d,
        "SendMessage",
        json!({"QueueUrl": "by-name", "MessageBody": "Using name instead of URL"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["MD5OfMessageBody"], "86a83f96652a1bfad3891e7d523750cb");
}

#[tokio::test]
async fn message_attribute_name_filters() {
    let d = dialect();
    let url = create(
        &d,
        json!({"QueueName": "f", "Attributes": {"VisibilityTimeout": "0"}}),
    )
    .await;
    let (status, _, _) = call(
        &d,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "msg", "MessageAttributes": {
            "Help.Me": {"DataType": "String", "StringValue": "Me"},
            "Hello": {"DataType": "String", "StringValue": "There"},
            "General": {"DataType": "String", "StringValue": "Kenobi"}}}),
    )
    .await;
    assert_eq!(status, 200);
    let names = |filter: Value| {
        let d = d.clone();
        let url = url.clone();
        async move {
            let (_, _, body) = call(
                &d,
                "ReceiveMessage",
                json!({"QueueUrl": url, "MessageAttributeNames": filter}),
            )
            .await;
            let m = body["Messages"][0].clone();
            (
                m.get("MessageAttributes")
                    .map(|a| a.as_object().unwrap().keys().cloned().collect::<Vec<_>>()),
                m.get("MD5OfMessageAttributes").cloned(),
            )
        }
    };
    assert_eq!(names(json!(["*"])).await.0.unwrap().len(), 3);
    assert_eq!(
        names(json!(["Hel.*"])).await.0.unwrap(),
        ["Hello", "Help.Me"]
    );
    // Valid names that match nothing, no filter, or only invalid names: no map and no MD5
    // (AWS's 2024 recording; one of 2023 had an empty map for the first).
    assert_eq!(names(json!(["Foo", "Help"])).await, (None, None));
    assert_eq!(names(json!([])).await, (None, None));
    assert_eq!(names(json!(["AWS."])).await, (None, None));
    assert_eq!(names(json!(["..foo"])).await, (None, None));
}

#[tokio::test]
async fn query_protocol_endpoint_errors() {
    let d = dialect();
    create(&d, json!({"QueueName": "qq"})).await;
    let (status, xml) = query(&d, "/000000000000/qq?Action=FooBar&Version=2012-11-05").await;
    assert_eq!(status, 400);
    assert!(
        xml.contains("<Code>InvalidAction</Code><Message>The action FooBar is not valid for this endpoint.</Message>"),
        "{xml}"
    );
    for action in ["CreateQueue&QueueName=other", "ListQueues"] {
        let (status, xml) = query(&d, &format!("/000000000000/qq?Action={action}")).await;
        let name = action.split('&').next().unwrap();
        assert_eq!(status, 400, "{xml}");
        assert!(
            xml.contains(&format!(
                "<Message>The action {name} is not valid for this endpoint.</Message>"
            )),
            "{xml}"
        );
    }
    // On the service endpoint they work, and GetQueueUrl works on any queue's URL.
    let (status, _) = query(&d, "/?Action=ListQueues").await;
    assert_eq!(status, 200);
    let (status, xml) = query(&d, "/000000000000/qq?Action=GetQueueUrl&QueueName=qq").await;
    assert_eq!(status, 200, "{xml}");
    let (status, xml) = query(
        &d,
        "/000000000000/gone?Action=GetQueueAttributes&AttributeName.1=QueueArn",
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        xml.contains(
            "<Message>The specified queue does not exist for this wsdl version.</Message>"
        ),
        "{xml}"
    );
}

#[tokio::test]
async fn permission_and_tag_limits() {
    let d = dialect();
    let url = create(&d, json!({"QueueName": "lim"})).await;
    let add = |accounts: Value, actions: Value| json!({"QueueUrl": url, "AWSAccountIds": accounts, "Actions": actions, "Label": "l"});
    let got = call(
        &d,
        "AddPermission",
        add(json!([]), json!(["ReceiveMessage"])),
    )
    .await;
    assert_error(
        &got,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "Value [] for parameter PrincipalId is invalid. Reason: Unable to verify.",
    );
    let got = call(
        &d,
        "AddPermission",
        add(json!(["111111111111"]), json!(["RemovePermission"])),
    )
    .await;
    assert_error(
        &got,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "Value SQS:RemovePermission for parameter ActionName is invalid. Reason: Only the queue owner is allowed to invoke this action.",
    );
    let eight = json!([
        "ChangeMessageVisibility",
        "DeleteMessage",
        "GetQueueAttributes",
        "GetQueueUrl",
        "ListDeadLetterSourceQueues",
        "PurgeQueue",
        "ReceiveMessage",
        "SendMessage"
    ]);
    let (status, header, body) =
        call(&d, "AddPermission", add(json!(["111111111111"]), eight)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(header, "OverLimit;Sender");
    assert_eq!(
        body["message"],
        "8 Actions were found, maximum allowed is 7."
    );

    let (status, _, _) = call(
        &d,
        "TagQueue",
        json!({"QueueUrl": url, "Tags": {"keep": "1"}}),
    )
    .await;
    assert_eq!(status, 200);
    let many: serde_json::Map<String, Value> =
        (0..50).map(|i| (format!("k{i}"), json!("v"))).collect();
    let got = call(&d, "TagQueue", json!({"QueueUrl": url, "Tags": many})).await;
    assert_error(
        &got,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "Too many tags added for queue lim.",
    );
    let (_, _, body) = call(&d, "ListQueueTags", json!({"QueueUrl": url})).await;
    assert_eq!(body["Tags"], json!({"keep": "1"}));
    let got = call(&d, "UntagQueue", json!({"QueueUrl": url, "TagKeys": []})).await;
    assert_error(
        &got,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "Tag keys must be between 1 and 128 characters in length.",
    );
}

#[tokio::test]
async fn attribute_names_are_trimmed() {
    let d = dialect();
    let url = create(
        &d,
        json!({"QueueName": "trim", "Attributes": {"VisibilityTimeout ": "2"}}),
    )
    .await;
    let (_, _, body) = call(
        &d,
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["VisibilityTimeout"]}),
    )
    .await;
    assert_eq!(body["Attributes"]["VisibilityTimeout"], "2");
}

#[tokio::test]
async fn redrive_policy_errors_are_invalid_parameter_values() {
    let d = dialect();
    let url = create(&d, json!({"QueueName": "rp"})).await;
    let policy = r#"{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:rp"}"#;
    let got = call(
        &d,
        "SetQueueAttributes",
        json!({"QueueUrl": url, "Attributes": {"RedrivePolicy": policy}}),
    )
    .await;
    assert_error(
        &got,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        &format!("Value {policy} for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain mandatory attribute: maxReceiveCount."),
    );
}

#[tokio::test]
async fn fifo_zero_message_delay_keeps_the_queue_delay() {
    // AWS accepts DelaySeconds=0 on a FIFO queue but ignores it: the queue's delay still
    // applies (LocalStack #12941, checked against AWS; ElasticMQ #1009). Both a single send
    // and a batch entry.
    let d = dialect();
    let url = create(
        &d,
        json!({"QueueName": "delayed.fifo", "Attributes": {"FifoQueue": "true", "DelaySeconds": "60"}}),
    )
    .await;
    let (status, _, body) = call(
        &d,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "a", "MessageGroupId": "g",
               "MessageDeduplicationId": "a", "DelaySeconds": 0}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let entry = json!({"Id": "b", "MessageBody": "b", "MessageGroupId": "g",
                       "MessageDeduplicationId": "b", "DelaySeconds": 0});
    let (status, _, body) = call(
        &d,
        "SendMessageBatch",
        json!({"QueueUrl": url, "Entries": [entry]}),
    )
    .await;
    assert_eq!(
        body["Successful"].as_array().map(Vec::len),
        Some(1),
        "{body}"
    );
    assert_eq!(status, 200);
    let (_, _, body) = call(&d, "ReceiveMessage", json!({"QueueUrl": url})).await;
    assert!(body.get("Messages").is_none(), "{body}");
    let (_, _, body) = call(
        &d,
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessagesDelayed"]}),
    )
    .await;
    assert_eq!(
        body["Attributes"]["ApproximateNumberOfMessagesDelayed"],
        "2"
    );
}

/// `ReceiveRequestAttemptId` "applies only to FIFO queues" (AWS): on a standard queue a second
/// receive with the same id is an ordinary receive, not a replay of the first.
#[tokio::test]
async fn attempt_ids_are_ignored_on_standard_queues() {
    let d = dialect();
    let url = create(&d, json!({"QueueName": "std"})).await;
    for body in ["one", "two"] {
        let (status, _, _) = call(
            &d,
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": body}),
        )
        .await;
        assert_eq!(status, 200);
    }
    let receive =
        json!({"QueueUrl": url, "ReceiveRequestAttemptId": "same", "VisibilityTimeout": 60});
    let (_, _, first) = call(&d, "ReceiveMessage", receive.clone()).await;
    let (_, _, second) = call(&d, "ReceiveMessage", receive).await;
    let body = |v: &Value| v["Messages"][0]["Body"].as_str().unwrap_or("").to_string();
    assert_eq!(body(&first), "one", "{first}");
    assert_eq!(body(&second), "two", "{second}");
}
