//! Inputs AWS refuses and the SQS dialect once accepted: permission labels and the statement
//! limit, tag rules, Number attribute ranges, move-task queue pairs and a second task while the
//! first is cancelling, and RedriveAllowPolicy's grammar. Each checked in both protocols where
//! the refusal is the dialect's own.

mod common;

use std::sync::Arc;

use common::{dialect, json_request, request};
use polyq_http::Dialect;
use serde_json::{json, Value};

/// One JSON-protocol call: status, the `x-amzn-query-error` header and the body.
async fn call(d: &Arc<dyn Dialect>, action: &str, input: Value) -> (u16, String, Value) {
    let resp = d.handle(json_request(action, &input)).await;
    let query_error = resp
        .headers()
        .get("x-amzn-query-error")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
    (resp.status().as_u16(), query_error, body)
}

/// One query-protocol POST with form `params`: status and the XML.
async fn query(d: &Arc<dyn Dialect>, params: &[(&str, &str)]) -> (u16, String) {
    let body: String = params
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let req = request(
        "POST",
        "/",
        &[("content-type", "application/x-www-form-urlencoded")],
        body,
    );
    let resp = d.handle(req).await;
    (
        resp.status().as_u16(),
        String::from_utf8(resp.body().to_vec()).unwrap(),
    )
}

fn urlencode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Asserts a JSON-protocol error: status, legacy code (header), `__type` and message.
fn assert_error(got: &(u16, String, Value), status: u16, legacy: &str, shape: &str, message: &str) {
    let (s, header, body) = got;
    assert_eq!(*s, status, "{body}");
    assert_eq!(header, &format!("{legacy};Sender"), "{body}");
    assert_eq!(
        body["__type"],
        format!("com.amazonaws.sqs#{shape}"),
        "{body}"
    );
    assert_eq!(body["message"], message, "{body}");
}

fn invalid(got: &(u16, String, Value), message: &str) {
    assert_error(
        got,
        400,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        message,
    );
}

/// Asserts a query-protocol `<ErrorResponse>` with `code` and `message`.
fn assert_query_error(got: &(u16, String), status: u16, code: &str, message: &str) {
    let (s, xml) = got;
    assert_eq!(*s, status, "{xml}");
    assert!(
        xml.contains(&format!("<Code>{code}</Code><Message>{message}</Message>")),
        "{xml}"
    );
}

async fn create(d: &Arc<dyn Dialect>, input: Value) -> String {
    let (status, _, body) = call(d, "CreateQueue", input).await;
    assert_eq!(status, 200, "{body}");
    body["QueueUrl"].as_str().unwrap().to_string()
}

fn permission(url: &str, label: &str) -> Value {
    json!({"QueueUrl": url, "AWSAccountIds": ["111111111111"], "Actions": ["SendMessage"], "Label": label})
}

#[tokio::test]
async fn a_policy_holds_at_most_twenty_statements() {
    let d = dialect();
    let url = create(&d, json!({"QueueName": "twenty"})).await;
    for i in 1..=20 {
        let (status, _, body) = call(&d, "AddPermission", permission(&url, &format!("L{i}"))).await;
        assert_eq!(status, 200, "{i}: {body}");
    }
    let got = call(&d, "AddPermission", permission(&url, "L21")).await;
    assert_error(
        &got,
        403,
        "OverLimit",
        "OverLimit",
        "21 Statements were found, maximum allowed is 20.",
    );
    let got = query(
        &d,
        &[
            ("Action", "AddPermission"),
            ("QueueUrl", &url),
            ("Label", "L22"),
            ("AWSAccountId.1", "111111111111"),
            ("ActionName.1", "SendMessage"),
        ],
    )
    .await;
    assert_query_error(
        &got,
        403,
        "OverLimit",
        "21 Statements were found, maximum allowed is 20.",
    );
    // Removing one makes room again.
    let (status, _, _) = call(
        &d,
        "RemovePermission",
        json!({"QueueUrl": url, "Label": "L1"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, body) = call(&d, "AddPermission", permission(&url, "L21")).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn permission_labels_are_required_and_well_formed() {
    let d = dialect();
    let url = create(&d, json!({"QueueName": "labels"})).await;
    let missing = |got: &(u16, String, Value)| {
        assert_error(
            got,
            400,
            "MissingParameter",
            "MissingRequiredParameterException",
            "The request must contain the parameter Label.",
        )
    };
    missing(&call(&d, "AddPermission", permission(&url, "")).await);
    let mut no_label = permission(&url, "x");
    no_label.as_object_mut().unwrap().remove("Label");
    missing(&call(&d, "AddPermission", no_label).await);
    missing(
        &call(
            &d,
            "RemovePermission",
            json!({"QueueUrl": url, "Label": ""}),
        )
        .await,
    );
    missing(&call(&d, "RemovePermission", json!({"QueueUrl": url})).await);
    let long = "a".repeat(81);
    for bad in [long.as_str(), "has space", "dot.ted", "ünï"] {
        invalid(
            &call(&d, "AddPermission", permission(&url, bad)).await,
            &format!("Value {bad} for parameter Label is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length."),
        );
    }
    let got = query(
        &d,
        &[
            ("Action", "AddPermission"),
            ("QueueUrl", &url),
            ("Label", "a/b"),
            ("AWSAccountId.1", "111111111111"),
            ("ActionName.1", "SendMessage"),
        ],
    )
    .await;
    assert_query_error(&got, 400, "InvalidParameterValue", "Value a/b for parameter Label is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.");
    let got = query(
        &d,
        &[
            ("Action", "RemovePermission"),
            ("QueueUrl", &url),
            ("Label", ""),
        ],
    )
    .await;
    assert_query_error(
        &got,
        400,
        "MissingParameter",
        "The request must contain the parameter Label.",
    );
    let ok = "A-z_0".repeat(16);
    let (status, _, body) = call(&d, "AddPermission", permission(&url, &ok)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_single_statement_object_policy_takes_more_permissions() {
    let d = dialect();
    let statement = json!({"Sid": "Queue1_SendMessage", "Effect": "Allow",
        "Principal": {"AWS": ["123456789012"]}, "Action": "sqs:SendMessage",
        "Resource": "arn:aws:sqs:us-east-1:000000000000:single"});
    let policy = json!({"Version": "2012-10-17", "Statement": statement}).to_string();
    let url = create(
        &d,
        json!({"QueueName": "single", "Attributes": {"Policy": policy}}),
    )
    .await;
    let (status, _, body) = call(&d, "AddPermission", permission(&url, "Added")).await;
    assert_eq!(status, 200, "{body}");
    let (_, _, body) = call(
        &d,
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["Policy"]}),
    )
    .await;
    let stored: Value =
        serde_json::from_str(body["Attributes"]["Policy"].as_str().unwrap()).unwrap();
    let sids: Vec<&str> = stored["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, ["Queue1_SendMessage", "Added"]);
    assert_eq!(stored["Statement"][0], statement);
    // The original statement can be removed by its Sid, as any other.
    for label in ["Queue1_SendMessage", "Added"] {
        let (status, _, body) = call(
            &d,
            "RemovePermission",
            json!({"QueueUrl": url, "Label": label}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
}

#[tokio::test]
async fn tags_follow_the_aws_rules() {
    let d = dialect();
    let url = create(&d, json!({"QueueName": "tags"})).await;
    let tag = |tags: Value| {
        let d = d.clone();
        let url = url.clone();
        async move { call(&d, "TagQueue", json!({"QueueUrl": url, "Tags": tags})).await }
    };
    let long_value = "v".repeat(257);
    invalid(
        &tag(json!({"k": long_value})).await,
        "Tag values must be between 0 and 256 characters in length.",
    );
    invalid(
        &tag(json!({"aws:owner": "me"})).await,
        "Tag keys cannot start with the reserved prefix \"aws:\".",
    );
    invalid(
        &tag(json!({"owner": "aws:me"})).await,
        "Tag values cannot start with the reserved prefix \"aws:\".",
    );
    invalid(
        &tag(json!({"a#b": "v"})).await,
        "Tag keys may only contain unicode letters, digits, whitespace, or one of these symbols: _ . : / = + - @",
    );
    invalid(
        &tag(json!({"k": "50%"})).await,
        "Tag values may only contain unicode letters, digits, whitespace, or one of these symbols: _ . : / = + - @",
    );
    // Nothing of a refused request is kept.
    let (_, _, body) = call(&d, "ListQueueTags", json!({"QueueUrl": url})).await;
    assert!(body.get("Tags").is_none(), "{body}");
    // Letters and digits of any script, spaces, the allowed symbols, 128/256 characters, an
    // empty value, and `aws` not followed by a colon are all fine.
    let key128 = "ключ".repeat(32);
    let value256 = "é".repeat(256);
    let (status, _, body) = tag(json!({
        "Straße 1": "東京 _.:/=+-@",
        key128.clone(): value256,
        "empty": "",
        "awsome": "aws-ok",
        "AWS:upper": "v"
    }))
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, _, body) = call(&d, "ListQueueTags", json!({"QueueUrl": url})).await;
    assert_eq!(body["Tags"].as_object().unwrap().len(), 5, "{body}");

    // CreateQueue's tags go through the same rules, in both protocols.
    invalid(
        &call(
            &d,
            "CreateQueue",
            json!({"QueueName": "tagged", "tags": {"k": "a|b"}}),
        )
        .await,
        "Tag values may only contain unicode letters, digits, whitespace, or one of these symbols: _ . : / = + - @",
    );
    let got = query(
        &d,
        &[
            ("Action", "CreateQueue"),
            ("QueueName", "tagged"),
            ("Tag.1.Key", "aws:k"),
            ("Tag.1.Value", "v"),
        ],
    )
    .await;
    assert_query_error(
        &got,
        400,
        "InvalidParameterValue",
        "Tag keys cannot start with the reserved prefix &quot;aws:&quot;.",
    );
    let (status, _, _) = call(&d, "GetQueueUrl", json!({"QueueName": "tagged"})).await;
    assert_eq!(status, 400, "a refused CreateQueue makes no queue");
}

#[tokio::test]
async fn number_attributes_keep_to_the_documented_precision_and_range() {
    let d = dialect();
    let url = create(&d, json!({"QueueName": "numbers"})).await;
    let send = |value: &str| {
        let d = d.clone();
        let url = url.clone();
        let value = value.to_string();
        async move {
            call(
                &d,
                "SendMessage",
                json!({"QueueUrl": url, "MessageBody": "b", "MessageAttributes": {
                    "n": {"DataType": "Number", "StringValue": value}}}),
            )
            .await
        }
    };
    let too_precise = "1".repeat(39);
    for bad in [too_precise.as_str(), "1e127", "2E+126", "1e-129"] {
        invalid(
            &send(bad).await,
            "Can't cast the value of message (user) attribute 'n' to a number.",
        );
    }
    let precise = "9".repeat(38);
    for ok in [precise.as_str(), "1e126", "-1E-128", "0.000", "1200"] {
        let (status, _, body) = send(ok).await;
        assert_eq!(status, 200, "{ok}: {body}");
    }
    let got = query(
        &d,
        &[
            ("Action", "SendMessage"),
            ("QueueUrl", &url),
            ("MessageBody", "b"),
            ("MessageAttribute.1.Name", "n"),
            ("MessageAttribute.1.Value.DataType", "Number"),
            ("MessageAttribute.1.Value.StringValue", "1e200"),
        ],
    )
    .await;
    assert_query_error(
        &got,
        400,
        "InvalidParameterValue",
        "Can't cast the value of message (user) attribute 'n' to a number.",
    );
}

/// A dead-letter queue holding `count` messages that came from `source` (made here).
async fn dead_letters(d: &Arc<dyn Dialect>, dlq: &str, source: &str, count: usize) -> String {
    let arn = format!("arn:aws:sqs:us-east-1:000000000000:{dlq}");
    let redrive = json!({"deadLetterTargetArn": arn, "maxReceiveCount": 1}).to_string();
    let fifo = dlq.ends_with(".fifo");
    let mut attrs = json!({"RedrivePolicy": redrive, "VisibilityTimeout": "0"});
    if fifo {
        attrs["FifoQueue"] = json!("true");
        attrs["ContentBasedDeduplication"] = json!("true");
    }
    let src = create(d, json!({"QueueName": source, "Attributes": attrs})).await;
    for i in 0..count {
        let mut send = json!({"QueueUrl": src, "MessageBody": format!("m{i}")});
        if fifo {
            send["MessageGroupId"] = json!("g");
        }
        let (status, _, body) = call(d, "SendMessage", send).await;
        assert_eq!(status, 200, "{body}");
    }
    for _ in 0..=count {
        call(
            d,
            "ReceiveMessage",
            json!({"QueueUrl": src, "MaxNumberOfMessages": 10}),
        )
        .await;
    }
    arn
}

#[tokio::test]
async fn move_tasks_need_two_queues_of_one_type() {
    let d = dialect();
    create(&d, json!({"QueueName": "std-dlq"})).await;
    let std_dlq = dead_letters(&d, "std-dlq", "std-src", 1).await;
    create(
        &d,
        json!({"QueueName": "fifo-dlq.fifo", "Attributes": {"FifoQueue": "true"}}),
    )
    .await;
    let fifo_dlq = dead_letters(&d, "fifo-dlq.fifo", "fifo-src.fifo", 1).await;
    create(
        &d,
        json!({"QueueName": "other.fifo", "Attributes": {"FifoQueue": "true"}}),
    )
    .await;
    create(&d, json!({"QueueName": "other"})).await;
    let other_fifo = "arn:aws:sqs:us-east-1:000000000000:other.fifo";
    let other_std = "arn:aws:sqs:us-east-1:000000000000:other";
    let same_type = "The source queue and destination queue must be of the same queue type.";
    for (source, dest) in [(&std_dlq, other_fifo), (&fifo_dlq, other_std)] {
        invalid(
            &call(
                &d,
                "StartMessageMoveTask",
                json!({"SourceArn": source, "DestinationArn": dest}),
            )
            .await,
            same_type,
        );
    }
    invalid(
        &call(
            &d,
            "StartMessageMoveTask",
            json!({"SourceArn": std_dlq, "DestinationArn": std_dlq}),
        )
        .await,
        "Source queue arn and destination queue arn cannot be the same.",
    );
    let got = query(
        &d,
        &[
            ("Action", "StartMessageMoveTask"),
            ("SourceArn", &std_dlq),
            ("DestinationArn", other_fifo),
        ],
    )
    .await;
    assert_query_error(&got, 400, "InvalidParameterValue", same_type);
    // No task was started by any of them; a destination of the same type is fine.
    let (_, _, body) = call(&d, "ListMessageMoveTasks", json!({"SourceArn": std_dlq})).await;
    assert_eq!(body["Results"], json!([]), "{body}");
    let (status, _, body) = call(
        &d,
        "StartMessageMoveTask",
        json!({"SourceArn": fifo_dlq, "DestinationArn": other_fifo}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_second_task_while_the_first_is_cancelling_is_refused_as_while_running() {
    let d = dialect();
    create(&d, json!({"QueueName": "c-dlq"})).await;
    let dlq = dead_letters(&d, "c-dlq", "c-src", 5).await;
    let running = "There is already a task running. Only one active task is allowed for a source queue arn at a given time.";
    // One message a second: the task is still at its first pause when cancelled, and stays
    // CANCELLING until the pause ends.
    let (status, _, body) = call(
        &d,
        "StartMessageMoveTask",
        json!({"SourceArn": dlq, "MaxNumberOfMessagesPerSecond": 1}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let handle = body["TaskHandle"].as_str().unwrap().to_string();
    invalid(
        &call(&d, "StartMessageMoveTask", json!({"SourceArn": dlq})).await,
        running,
    );
    let (status, _, body) = call(&d, "CancelMessageMoveTask", json!({"TaskHandle": handle})).await;
    assert_eq!(status, 200, "{body}");
    let (_, _, body) = call(&d, "ListMessageMoveTasks", json!({"SourceArn": dlq})).await;
    assert_eq!(body["Results"][0]["Status"], "CANCELLING", "{body}");
    invalid(
        &call(&d, "StartMessageMoveTask", json!({"SourceArn": dlq})).await,
        running,
    );
    let got = query(
        &d,
        &[("Action", "StartMessageMoveTask"), ("SourceArn", &dlq)],
    )
    .await;
    assert_query_error(&got, 400, "InvalidParameterValue", running);
}

#[tokio::test]
async fn redrive_allow_policies_follow_their_grammar() {
    let d = dialect();
    let url = create(&d, json!({"QueueName": "rap"})).await;
    let set = |policy: String| {
        let d = d.clone();
        let url = url.clone();
        async move {
            call(
                &d,
                "SetQueueAttributes",
                json!({"QueueUrl": url, "Attributes": {"RedriveAllowPolicy": policy}}),
            )
            .await
        }
    };
    let unsupported = "Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can't create the redrive allow policy, as it\u{2019}s in an unsupported format.";
    for bad in [
        "not json".to_string(),
        "[]".to_string(),
        "{}".to_string(),
        json!({"redrivePermission": "nope"}).to_string(),
        json!({"redrivePermission": "allowAll", "extra": 1}).to_string(),
        json!({"redrivePermission": "byQueue", "sourceQueueArns": "arn"}).to_string(),
        json!({"redrivePermission": "byQueue", "sourceQueueArns": [1]}).to_string(),
    ] {
        let got = set(bad.clone()).await;
        assert_eq!(got.2["message"], unsupported, "{bad}: {:?}", got.2);
        invalid(&got, unsupported);
    }
    let reason = |policy: &str, why: &str| {
        format!("Value {policy} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't create the redrive allow policy. {why}")
    };
    let arns = |n: usize| {
        (0..n)
            .map(|i| format!("arn:aws:sqs:us-east-1:000000000000:s{i}"))
            .collect::<Vec<_>>()
    };
    let needs = "When you specify the byQueue permission type, you must also specify one or more sourceQueueArns values.";
    for (policy, why) in [
        (json!({"redrivePermission": "byQueue"}), needs),
        (
            json!({"redrivePermission": "byQueue", "sourceQueueArns": []}),
            needs,
        ),
        (
            json!({"redrivePermission": "byQueue", "sourceQueueArns": arns(11)}),
            "The maximum number of source queue ARNs you can specify is 10.",
        ),
        (
            json!({"redrivePermission": "allowAll", "sourceQueueArns": arns(1)}),
            "To specify one or more source queue ARNs, you must set redrivePermission to byQueue.",
        ),
        (
            json!({"redrivePermission": "denyAll", "sourceQueueArns": arns(1)}),
            "To specify one or more source queue ARNs, you must set redrivePermission to byQueue.",
        ),
    ] {
        let text = policy.to_string();
        invalid(&set(text.clone()).await, &reason(&text, why));
    }
    // CreateQueue checks it the same way, in both protocols.
    let byqueue = json!({"redrivePermission": "byQueue"}).to_string();
    invalid(
        &call(
            &d,
            "CreateQueue",
            json!({"QueueName": "rap2", "Attributes": {"RedriveAllowPolicy": byqueue}}),
        )
        .await,
        &reason(&byqueue, needs),
    );
    let got = query(
        &d,
        &[
            ("Action", "CreateQueue"),
            ("QueueName", "rap2"),
            ("Attribute.1.Name", "RedriveAllowPolicy"),
            ("Attribute.1.Value", "{}"),
        ],
    )
    .await;
    assert_query_error(&got, 400, "InvalidParameterValue", unsupported);
    // What the grammar allows is kept as given, and an empty value removes it.
    for ok in [
        json!({"redrivePermission": "allowAll"}),
        json!({"redrivePermission": "denyAll"}),
        json!({"redrivePermission": "byQueue", "sourceQueueArns": arns(10)}),
    ] {
        let text = ok.to_string();
        let (status, _, body) = set(text.clone()).await;
        assert_eq!(status, 200, "{text}: {body}");
        let (_, _, body) = call(
            &d,
            "GetQueueAttributes",
            json!({"QueueUrl": url, "AttributeNames": ["RedriveAllowPolicy"]}),
        )
        .await;
        assert_eq!(body["Attributes"]["RedriveAllowPolicy"], text);
    }
    let (status, _, _) = set(String::new()).await;
    assert_eq!(status, 200);
}
