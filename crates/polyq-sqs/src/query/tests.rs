use serde_json::{json, Value};

use super::*;

mod sdk;

const Q: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/my-queue";
const NS: &str = r#" xmlns="http://queue.amazonaws.com/doc/2012-11-05/""#;

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Decodes a form body and converts it for the action it names.
fn body_to_json(body: &str) -> Result<Value, QueryInputError> {
    let params = parse_params("", Some(body.as_bytes()))?;
    let action = params
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    input_to_json(&action, &params)
}

fn input(action: &str, list: &[(&str, &str)]) -> Value {
    input_to_json(action, &pairs(list)).unwrap()
}

fn input_err(action: &str, list: &[(&str, &str)]) -> QueryInputError {
    input_to_json(action, &pairs(list)).unwrap_err()
}

/// The document `output_to_xml` must produce, around `result` (`None`: no
/// Result element).
fn doc(action: &str, result: Option<&str>, request_id: &str) -> String {
    let result = match result {
        None => String::new(),
        Some("") => format!("<{action}Result/>"),
        Some(inner) => format!("<{action}Result>{inner}</{action}Result>"),
    };
    format!(
        "<{action}Response{NS}>{result}<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
    )
}

// ---------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------

#[test]
fn query_table_has_all_23_operations_sorted() {
    let names: Vec<&str> = shapes::OPS.iter().map(|op| op.name).collect();
    // The action list the dispatcher serves (sorted, 23 in the 2012-11-05 model).
    assert_eq!(crate::ops::ACTIONS.len(), 23);
    assert_eq!(names, crate::ops::ACTIONS);
    for name in &names {
        assert!(is_known_action(name), "{name}");
    }
    let without_queue_url: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !has_queue_url_member(n))
        .collect();
    assert_eq!(
        without_queue_url,
        [
            "CancelMessageMoveTask",
            "CreateQueue",
            "GetQueueUrl",
            "ListMessageMoveTasks",
            "ListQueues",
            "StartMessageMoveTask",
        ]
    );
    assert!(!has_queue_url_member("Bogus"));
    assert!(!is_known_action("sendmessage"));
    assert!(!is_known_action("CreateTopic"));
    let without_result: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !has_result_element(n))
        .collect();
    assert_eq!(
        without_result,
        [
            "AddPermission",
            "ChangeMessageVisibility",
            "DeleteMessage",
            "DeleteQueue",
            "PurgeQueue",
            "RemovePermission",
            "SetQueueAttributes",
            "TagQueue",
            "UntagQueue",
        ]
    );
}

// ---------------------------------------------------------------------------
// parse_params
// ---------------------------------------------------------------------------

#[test]
fn query_parse_params_form_decoding() {
    let params = parse_params(
        "?Action=SendMessage&Version=2012-11-05",
        Some(b"MessageBody=a+b%2Bc%20d%0D%0A%C3%A9&&Flag&Empty=&Pct=100%&Eq=a=b"),
    )
    .unwrap();
    assert_eq!(
        params,
        pairs(&[
            ("Action", "SendMessage"),
            ("Version", "2012-11-05"),
            ("MessageBody", "a b+c d\r\n\u{e9}"),
            ("Flag", ""),
            ("Empty", ""),
            ("Pct", "100%"),
            ("Eq", "a=b"),
        ])
    );
}

#[test]
fn query_parse_params_query_only_and_body_only() {
    assert_eq!(
        parse_params("Action=ListQueues", None).unwrap(),
        pairs(&[("Action", "ListQueues")])
    );
    assert_eq!(
        parse_params("", Some(b"Action=ListQueues")).unwrap(),
        pairs(&[("Action", "ListQueues")])
    );
    assert_eq!(parse_params("", None).unwrap(), vec![]);
    assert_eq!(parse_params("?", Some(b"")).unwrap(), vec![]);
    // Encoded names decode too.
    assert_eq!(
        parse_params("Attribute%2E1%2EName=Policy", None).unwrap(),
        pairs(&[("Attribute.1.Name", "Policy")])
    );
}

#[test]
fn query_parse_params_rejects_invalid_utf8() {
    let err = parse_params("", Some(b"MessageBody=%FF%FE")).unwrap_err();
    assert_eq!(err.code, "MalformedQueryString");
    assert!(err.message.contains("MessageBody"), "{}", err.message);
    let err = parse_params("%C3=x", None).unwrap_err();
    assert_eq!(err.code, "MalformedQueryString");
    // Raw non-ASCII UTF-8 bytes in a body are fine.
    assert_eq!(
        parse_params("", Some("MessageBody=é ☃".as_bytes())).unwrap(),
        pairs(&[("MessageBody", "é ☃")])
    );
}

// ---------------------------------------------------------------------------
// input_to_json: real SDK bodies
// ---------------------------------------------------------------------------

/// Bodies recorded from botocore 1.31.50 (the last query-protocol SDK for
/// Python), compared with what the current botocore JSON serializer sends.
#[test]
fn query_input_matches_recorded_sdk_bodies() {
    let mut ops = std::collections::BTreeSet::new();
    for (op, body, want) in sdk::SDK_BODIES {
        let want: Value = serde_json::from_str(want).unwrap();
        let got = body_to_json(body).unwrap_or_else(|e| panic!("{op}: {e}"));
        assert_eq!(got, want, "{op}: {body}");
        ops.insert(*op);
    }
    assert_eq!(ops.len(), 23);
}

// ---------------------------------------------------------------------------
// input_to_json: per operation
// ---------------------------------------------------------------------------

#[test]
fn query_input_add_and_remove_permission() {
    let got = input(
        "AddPermission",
        &[
            ("Action", "AddPermission"),
            ("QueueUrl", Q),
            ("Label", "MyLabel"),
            ("AWSAccountId.2", "444455556666"),
            ("AWSAccountId.1", "111122223333"),
            ("ActionName.1", "SendMessage"),
            ("ActionName.2", "ReceiveMessage"),
        ],
    );
    assert_eq!(
        got,
        json!({"QueueUrl": Q, "Label": "MyLabel",
               "AWSAccountIds": ["111122223333", "444455556666"],
               "Actions": ["SendMessage", "ReceiveMessage"]})
    );
    let got = input("RemovePermission", &[("QueueUrl", Q), ("Label", "MyLabel")]);
    assert_eq!(got, json!({"QueueUrl": Q, "Label": "MyLabel"}));
}

#[test]
fn query_input_queue_url_only_operations() {
    for op in ["DeleteQueue", "PurgeQueue", "ListQueueTags"] {
        let got = input(
            op,
            &[("Action", op), ("Version", "2012-11-05"), ("QueueUrl", Q)],
        );
        assert_eq!(got, json!({ "QueueUrl": Q }), "{op}");
    }
}

#[test]
fn query_input_create_queue_with_attributes_and_tags() {
    // The documented CreateQueue example, plus tags.
    let got = input(
        "CreateQueue",
        &[
            ("Action", "CreateQueue"),
            ("QueueName", "MyQueue"),
            ("Attribute.1.Name", "DelaySeconds"),
            ("Attribute.1.Value", "45"),
            ("Attribute.2.Name", "VisibilityTimeout"),
            ("Attribute.2.Value", "60"),
            ("Tag.1.Key", "QueueType"),
            ("Tag.1.Value", "Production"),
            ("Expires", "2020-10-18T22:52:43PST"),
            ("Version", "2012-11-05"),
        ],
    );
    assert_eq!(
        got,
        json!({"QueueName": "MyQueue",
               "Attributes": {"DelaySeconds": "45", "VisibilityTimeout": "60"},
               "tags": {"QueueType": "Production"}})
    );
}

#[test]
fn query_input_set_and_get_queue_attributes() {
    let got = input(
        "SetQueueAttributes",
        &[
            ("QueueUrl", Q),
            ("Attribute.1.Name", "Policy"),
            ("Attribute.1.Value", ""),
        ],
    );
    assert_eq!(got, json!({"QueueUrl": Q, "Attributes": {"Policy": ""}}));
    // The documented GetQueueAttributes example.
    let got = input(
        "GetQueueAttributes",
        &[
            ("Action", "GetQueueAttributes"),
            ("AttributeName.1", "All"),
            ("Expires", "2020-10-18T22:52:43PST"),
            ("Version", "2012-11-05"),
            ("QueueUrl", Q),
        ],
    );
    assert_eq!(got, json!({"QueueUrl": Q, "AttributeNames": ["All"]}));
}

#[test]
fn query_input_get_queue_url_and_list_queues() {
    let got = input(
        "GetQueueUrl",
        &[
            ("QueueName", "q"),
            ("QueueOwnerAWSAccountId", "123456789012"),
        ],
    );
    assert_eq!(
        got,
        json!({"QueueName": "q", "QueueOwnerAWSAccountId": "123456789012"})
    );
    let got = input(
        "ListQueues",
        &[
            ("QueueNamePrefix", "t"),
            ("MaxResults", "1000"),
            ("NextToken", "n"),
        ],
    );
    assert_eq!(
        got,
        json!({"QueueNamePrefix": "t", "MaxResults": 1000, "NextToken": "n"})
    );
    assert_eq!(input("ListQueues", &[("Action", "ListQueues")]), json!({}));
    let got = input(
        "ListDeadLetterSourceQueues",
        &[("QueueUrl", Q), ("MaxResults", "5"), ("NextToken", "t")],
    );
    assert_eq!(
        got,
        json!({"QueueUrl": Q, "MaxResults": 5, "NextToken": "t"})
    );
}

#[test]
fn query_input_receive_message() {
    // The documented ReceiveMessage example uses an unindexed AttributeName.
    let got = input(
        "ReceiveMessage",
        &[
            ("Action", "ReceiveMessage"),
            ("MaxNumberOfMessages", "5"),
            ("VisibilityTimeout", "15"),
            ("AttributeName", "All"),
            ("Expires", "2020-04-18T22:52:43PST"),
            ("Version", "2012-11-05"),
            ("QueueUrl", Q),
        ],
    );
    assert_eq!(
        got,
        json!({"QueueUrl": Q, "AttributeNames": ["All"],
               "MaxNumberOfMessages": 5, "VisibilityTimeout": 15})
    );
    let got = input(
        "ReceiveMessage",
        &[
            ("QueueUrl", Q),
            ("MessageSystemAttributeName.1", "SenderId"),
            ("MessageSystemAttributeName.2", "SentTimestamp"),
            ("MessageAttributeName.1", "All"),
            ("WaitTimeSeconds", "20"),
            ("ReceiveRequestAttemptId", "a-1"),
        ],
    );
    assert_eq!(
        got,
        json!({"QueueUrl": Q,
               "MessageSystemAttributeNames": ["SenderId", "SentTimestamp"],
               "MessageAttributeNames": ["All"],
               "WaitTimeSeconds": 20, "ReceiveRequestAttemptId": "a-1"})
    );
    // The member name works as the item prefix too.
    let got = input(
        "ReceiveMessage",
        &[("QueueUrl", Q), ("MessageSystemAttributeNames.1", "All")],
    );
    assert_eq!(
        got,
        json!({"QueueUrl": Q, "MessageSystemAttributeNames": ["All"]})
    );
}

#[test]
fn query_input_send_message_documented_example() {
    let got = input(
        "SendMessage",
        &[
            ("Action", "SendMessage"),
            ("MessageBody", "This is a test message"),
            ("MessageAttribute.1.Name", "my_attribute_name_1"),
            (
                "MessageAttribute.1.Value.StringValue",
                "my_attribute_value_1",
            ),
            ("MessageAttribute.1.Value.DataType", "String"),
            ("MessageAttribute.2.Name", "my_attribute_name_2"),
            (
                "MessageAttribute.2.Value.StringValue",
                "my_attribute_value_2",
            ),
            ("MessageAttribute.2.Value.DataType", "String"),
            ("Expires", "2020-05-05T22:52:43PST"),
            ("Version", "2012-11-05"),
            ("QueueUrl", Q),
        ],
    );
    assert_eq!(
        got,
        json!({"QueueUrl": Q, "MessageBody": "This is a test message",
               "MessageAttributes": {
                   "my_attribute_name_1": {"StringValue": "my_attribute_value_1", "DataType": "String"},
                   "my_attribute_name_2": {"StringValue": "my_attribute_value_2", "DataType": "String"}}})
    );
}

#[test]
fn query_input_send_message_all_members() {
    let got = input(
        "SendMessage",
        &[
            ("QueueUrl", Q),
            ("MessageBody", "b"),
            ("DelaySeconds", "0"),
            ("MessageAttribute.1.Name", "bin"),
            ("MessageAttribute.1.Value.DataType", "Binary.gzip"),
            // Blobs are passed through exactly as given.
            ("MessageAttribute.1.Value.BinaryValue", "H4sIAA=="),
            ("MessageAttribute.2.Name", "list"),
            ("MessageAttribute.2.Value.DataType", "String"),
            ("MessageAttribute.2.Value.StringListValue.2", "y"),
            ("MessageAttribute.2.Value.StringListValue.1", "x"),
            ("MessageAttribute.2.Value.BinaryListValue.1", "AA=="),
            ("MessageSystemAttribute.1.Name", "AWSTraceHeader"),
            ("MessageSystemAttribute.1.Value.DataType", "String"),
            ("MessageSystemAttribute.1.Value.StringValue", "Root=1-2-3"),
            ("MessageDeduplicationId", "d"),
            ("MessageGroupId", "g"),
        ],
    );
    assert_eq!(
        got,
        json!({"QueueUrl": Q, "MessageBody": "b", "DelaySeconds": 0,
               "MessageAttributes": {
                   "bin": {"BinaryValue": "H4sIAA==", "DataType": "Binary.gzip"},
                   "list": {"StringListValues": ["x", "y"], "BinaryListValues": ["AA=="], "DataType": "String"}},
               "MessageSystemAttributes": {
                   "AWSTraceHeader": {"StringValue": "Root=1-2-3", "DataType": "String"}},
               "MessageDeduplicationId": "d", "MessageGroupId": "g"})
    );
}

#[test]
fn query_input_send_message_batch() {
    let got = input(
        "SendMessageBatch",
        &[
            ("QueueUrl", Q),
            ("SendMessageBatchRequestEntry.1.Id", "test_msg_001"),
            (
                "SendMessageBatchRequestEntry.1.MessageBody",
                "test message body 1",
            ),
            ("SendMessageBatchRequestEntry.2.Id", "test_msg_002"),
            (
                "SendMessageBatchRequestEntry.2.MessageBody",
                "test message body 2",
            ),
            ("SendMessageBatchRequestEntry.2.DelaySeconds", "60"),
            (
                "SendMessageBatchRequestEntry.2.MessageAttribute.1.Name",
                "test_attribute_name_1",
            ),
            (
                "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue",
                "test_attribute_value_1",
            ),
            (
                "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType",
                "String",
            ),
            ("SendMessageBatchRequestEntry.3.Id", "fifo"),
            ("SendMessageBatchRequestEntry.3.MessageBody", "f"),
            ("SendMessageBatchRequestEntry.3.MessageGroupId", "g"),
            ("SendMessageBatchRequestEntry.3.MessageDeduplicationId", "d"),
            (
                "SendMessageBatchRequestEntry.3.MessageSystemAttribute.1.Name",
                "AWSTraceHeader",
            ),
            (
                "SendMessageBatchRequestEntry.3.MessageSystemAttribute.1.Value.StringValue",
                "Root=x",
            ),
            (
                "SendMessageBatchRequestEntry.3.MessageSystemAttribute.1.Value.DataType",
                "String",
            ),
        ],
    );
    assert_eq!(
        got,
        json!({"QueueUrl": Q, "Entries": [
            {"Id": "test_msg_001", "MessageBody": "test message body 1"},
            {"Id": "test_msg_002", "MessageBody": "test message body 2", "DelaySeconds": 60,
             "MessageAttributes": {"test_attribute_name_1": {"StringValue": "test_attribute_value_1", "DataType": "String"}}},
            {"Id": "fifo", "MessageBody": "f", "MessageGroupId": "g", "MessageDeduplicationId": "d",
             "MessageSystemAttributes": {"AWSTraceHeader": {"StringValue": "Root=x", "DataType": "String"}}},
        ]})
    );
}

#[test]
fn query_input_delete_and_change_visibility() {
    let got = input(
        "DeleteMessage",
        &[
            ("QueueUrl", Q),
            ("ReceiptHandle", "MbZj6wDWli+JvwwJaBV+3dcjk2YW2vA3+STFFljT"),
        ],
    );
    assert_eq!(
        got,
        json!({"QueueUrl": Q, "ReceiptHandle": "MbZj6wDWli+JvwwJaBV+3dcjk2YW2vA3+STFFljT"})
    );
    let got = input(
        "ChangeMessageVisibility",
        &[
            ("QueueUrl", Q),
            ("ReceiptHandle", "rh"),
            ("VisibilityTimeout", "60"),
        ],
    );
    assert_eq!(
        got,
        json!({"QueueUrl": Q, "ReceiptHandle": "rh", "VisibilityTimeout": 60})
    );
    let got = input(
        "DeleteMessageBatch",
        &[
            ("QueueUrl", Q),
            ("DeleteMessageBatchRequestEntry.1.Id", "msg1"),
            ("DeleteMessageBatchRequestEntry.1.ReceiptHandle", "rh1"),
            ("DeleteMessageBatchRequestEntry.2.Id", "msg2"),
            ("DeleteMessageBatchRequestEntry.2.ReceiptHandle", "rh2"),
        ],
    );
    assert_eq!(
        got,
        json!({"QueueUrl": Q, "Entries": [
            {"Id": "msg1", "ReceiptHandle": "rh1"}, {"Id": "msg2", "ReceiptHandle": "rh2"}]})
    );
    let got = input(
        "ChangeMessageVisibilityBatch",
        &[
            ("QueueUrl", Q),
            ("ChangeMessageVisibilityBatchRequestEntry.1.Id", "a"),
            (
                "ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle",
                "rh1",
            ),
            (
                "ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout",
                "45",
            ),
            ("ChangeMessageVisibilityBatchRequestEntry.2.Id", "b"),
            (
                "ChangeMessageVisibilityBatchRequestEntry.2.ReceiptHandle",
                "rh2",
            ),
        ],
    );
    assert_eq!(
        got,
        json!({"QueueUrl": Q, "Entries": [
            {"Id": "a", "ReceiptHandle": "rh1", "VisibilityTimeout": 45},
            {"Id": "b", "ReceiptHandle": "rh2"}]})
    );
}

#[test]
fn query_input_tags() {
    let got = input(
        "TagQueue",
        &[
            ("QueueUrl", Q),
            ("Tag.1.Key", "QueueType"),
            ("Tag.1.Value", "Production"),
            ("Tag.2.Key", "Owner"),
            ("Tag.2.Value", ""),
        ],
    );
    assert_eq!(
        got,
        json!({"QueueUrl": Q, "Tags": {"Owner": "", "QueueType": "Production"}})
    );
    let got = input(
        "UntagQueue",
        &[
            ("QueueUrl", Q),
            ("TagKey.1", "QueueType"),
            ("TagKey.2", "Owner"),
        ],
    );
    assert_eq!(
        got,
        json!({"QueueUrl": Q, "TagKeys": ["QueueType", "Owner"]})
    );
}

#[test]
fn query_input_message_move_tasks() {
    let arn = "arn:aws:sqs:us-east-1:123456789012:dlq";
    let got = input(
        "StartMessageMoveTask",
        &[
            ("SourceArn", arn),
            ("DestinationArn", "arn:aws:sqs:us-east-1:123456789012:q"),
            ("MaxNumberOfMessagesPerSecond", "50"),
        ],
    );
    assert_eq!(
        got,
        json!({"SourceArn": arn, "DestinationArn": "arn:aws:sqs:us-east-1:123456789012:q",
               "MaxNumberOfMessagesPerSecond": 50})
    );
    let got = input(
        "ListMessageMoveTasks",
        &[("SourceArn", arn), ("MaxResults", "10")],
    );
    assert_eq!(got, json!({"SourceArn": arn, "MaxResults": 10}));
    let got = input("CancelMessageMoveTask", &[("TaskHandle", "th")]);
    assert_eq!(got, json!({"TaskHandle": "th"}));
}

// ---------------------------------------------------------------------------
// input_to_json: general rules
// ---------------------------------------------------------------------------

#[test]
fn query_input_lists_are_ordered_numerically_with_gaps() {
    let got = input(
        "GetQueueAttributes",
        &[
            ("QueueUrl", Q),
            ("AttributeName.10", "ten"),
            ("AttributeName.9", "nine"),
            ("AttributeName.2", "two"),
            ("AttributeName.100", "hundred"),
            ("AttributeName.x", "ignored"),
        ],
    );
    assert_eq!(
        got,
        json!({"QueueUrl": Q, "AttributeNames": ["two", "nine", "ten", "hundred"]})
    );
    // Batch entries and map entries too.
    let got = input(
        "DeleteMessageBatch",
        &[
            ("DeleteMessageBatchRequestEntry.11.Id", "c"),
            ("DeleteMessageBatchRequestEntry.11.ReceiptHandle", "r3"),
            ("DeleteMessageBatchRequestEntry.2.Id", "b"),
            ("DeleteMessageBatchRequestEntry.2.ReceiptHandle", "r2"),
            ("DeleteMessageBatchRequestEntry.1.Id", "a"),
            ("DeleteMessageBatchRequestEntry.1.ReceiptHandle", "r1"),
        ],
    );
    let ids: Vec<&str> = got["Entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b", "c"]);
}

#[test]
fn query_input_empty_list_as_botocore_sends_it() {
    // botocore serializes `AttributeNames=[]` as an empty `AttributeNames=`.
    let got = input(
        "GetQueueAttributes",
        &[("QueueUrl", Q), ("AttributeNames", "")],
    );
    assert_eq!(got, json!({"QueueUrl": Q, "AttributeNames": []}));
    let got = input(
        "SendMessage",
        &[
            ("MessageAttribute.1.Name", "a"),
            ("MessageAttribute.1.Value.DataType", "String"),
            ("MessageAttribute.1.Value.StringListValue", ""),
        ],
    );
    assert_eq!(
        got,
        json!({"MessageAttributes": {"a": {"DataType": "String", "StringListValues": []}}})
    );
}

#[test]
fn query_input_ignores_common_and_unknown_parameters() {
    let got = input(
        "DeleteQueue",
        &[
            ("Action", "DeleteQueue"),
            ("Version", "2012-11-05"),
            ("AWSAccessKeyId", "AKID"),
            ("SignatureVersion", "2"),
            ("SignatureMethod", "HmacSHA256"),
            ("Signature", "sig"),
            ("Timestamp", "2024-01-01T00:00:00Z"),
            ("Expires", "2024-01-01T00:00:00Z"),
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            (
                "X-Amz-Credential",
                "AKID/20240101/us-east-1/sqs/aws4_request",
            ),
            ("X-Amz-Date", "20240101T000000Z"),
            ("X-Amz-Security-Token", "tok"),
            ("X-Amz-SignedHeaders", "host"),
            ("X-Amz-Signature", "abc"),
            ("Unknown", "x"),
            ("QueueUrl.1", "not a list"),
            ("QueueName", "not a DeleteQueue member"),
            ("QueueUrl", Q),
        ],
    );
    assert_eq!(got, json!({ "QueueUrl": Q }));
}

#[test]
fn query_input_repeated_parameter_last_wins() {
    let got = input("DeleteQueue", &[("QueueUrl", "first"), ("QueueUrl", Q)]);
    assert_eq!(got, json!({ "QueueUrl": Q }));
}

#[test]
fn query_input_integer_errors() {
    let err = input_err(
        "ReceiveMessage",
        &[("QueueUrl", Q), ("MaxNumberOfMessages", "ten")],
    );
    assert_eq!(
        err,
        QueryInputError {
            code: "InvalidParameterValue",
            message: "Value ten for parameter MaxNumberOfMessages is invalid. Reason: Must be an integer."
                .to_string(),
        }
    );
    for bad in ["", "1.5", " 1", "0x10", "2147483648", "1e3"] {
        let err = input_err("ChangeMessageVisibility", &[("VisibilityTimeout", bad)]);
        assert_eq!(err.code, "InvalidParameterValue", "{bad:?}");
        assert_eq!(
            err.message,
            format!("Value {bad} for parameter VisibilityTimeout is invalid. Reason: Must be an integer.")
        );
    }
    // Nested parameters are named by their full parameter name.
    let err = input_err(
        "SendMessageBatch",
        &[
            ("SendMessageBatchRequestEntry.1.Id", "a"),
            ("SendMessageBatchRequestEntry.1.DelaySeconds", "soon"),
        ],
    );
    assert_eq!(
        err.message,
        "Value soon for parameter SendMessageBatchRequestEntry.1.DelaySeconds is invalid. Reason: Must be an integer."
    );
    // Negative and boundary values are the handler's business.
    let got = input("ChangeMessageVisibility", &[("VisibilityTimeout", "-1")]);
    assert_eq!(got, json!({"VisibilityTimeout": -1}));
    let got = input("ListQueues", &[("MaxResults", "2147483647")]);
    assert_eq!(got, json!({"MaxResults": 2_147_483_647}));
}

#[test]
fn query_input_map_entry_errors() {
    let err = input_err(
        "SetQueueAttributes",
        &[("QueueUrl", Q), ("Attribute.1.Value", "30")],
    );
    assert_eq!(
        err,
        QueryInputError {
            code: "MissingParameter",
            message: "The request must contain the parameter Attribute.1.Name.".to_string(),
        }
    );
    let err = input_err("TagQueue", &[("QueueUrl", Q), ("Tag.3.Key", "k")]);
    assert_eq!(err.code, "MissingParameter");
    assert_eq!(
        err.message,
        "The request must contain the parameter Tag.3.Value."
    );
    let err = input_err(
        "SendMessageBatch",
        &[(
            "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType",
            "String",
        )],
    );
    assert_eq!(
        err.message,
        "The request must contain the parameter SendMessageBatchRequestEntry.2.MessageAttribute.1.Name."
    );
    // A message attribute without any Value members is left to the handler
    // (it rejects the missing DataType like it would over JSON).
    let got = input("SendMessage", &[("MessageAttribute.1.Name", "a")]);
    assert_eq!(got, json!({"MessageAttributes": {"a": {}}}));
}

#[test]
fn query_input_unknown_action() {
    let err = input_err("CreateTopic", &[("Name", "x")]);
    assert_eq!(err.code, "InvalidAction");
    assert!(err.message.contains("CreateTopic"));
}

// ---------------------------------------------------------------------------
// output_to_xml
// ---------------------------------------------------------------------------

#[test]
fn query_output_operations_without_result() {
    for op in [
        "AddPermission",
        "ChangeMessageVisibility",
        "DeleteMessage",
        "DeleteQueue",
        "PurgeQueue",
        "RemovePermission",
        "SetQueueAttributes",
        "TagQueue",
        "UntagQueue",
    ] {
        assert_eq!(
            output_to_xml(op, &json!({}), "b5293cb5-d306-4a17-9048-b263635abe42"),
            doc(op, None, "b5293cb5-d306-4a17-9048-b263635abe42"),
            "{op}"
        );
    }
    // Exactly, for one of them.
    assert_eq!(
        output_to_xml("DeleteMessage", &Value::Null, "r1"),
        "<DeleteMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></DeleteMessageResponse>"
    );
}

#[test]
fn query_output_send_message_documented_example() {
    let out = json!({
        "MD5OfMessageBody": "fafb00f5732ab283681e124bf8747ed1",
        "MD5OfMessageAttributes": "3ae8f24a165a8cedc005670c81a27295",
        "MessageId": "5fea7756-0ea4-451a-a703-a558b933e274",
    });
    assert_eq!(
        output_to_xml("SendMessage", &out, "27daac76-34dd-47df-bd01-1f6e873584a0"),
        "<SendMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><SendMessageResult>\
         <MD5OfMessageBody>fafb00f5732ab283681e124bf8747ed1</MD5OfMessageBody>\
         <MD5OfMessageAttributes>3ae8f24a165a8cedc005670c81a27295</MD5OfMessageAttributes>\
         <MessageId>5fea7756-0ea4-451a-a703-a558b933e274</MessageId>\
         </SendMessageResult><ResponseMetadata><RequestId>27daac76-34dd-47df-bd01-1f6e873584a0</RequestId>\
         </ResponseMetadata></SendMessageResponse>"
    );
    let out = json!({"MD5OfMessageBody": "a", "MD5OfMessageSystemAttributes": "b",
                     "MessageId": "c", "SequenceNumber": "18849496460467696128"});
    assert_eq!(
        output_to_xml("SendMessage", &out, "r"),
        doc(
            "SendMessage",
            Some("<MD5OfMessageBody>a</MD5OfMessageBody><MD5OfMessageSystemAttributes>b</MD5OfMessageSystemAttributes><MessageId>c</MessageId><SequenceNumber>18849496460467696128</SequenceNumber>"),
            "r"
        )
    );
}

#[test]
fn query_output_receive_message_documented_example() {
    let out = json!({"Messages": [{
        "MessageId": "5fea7756-0ea4-451a-a703-a558b933e274",
        "ReceiptHandle": "MbZj6wDWli+JvwwJaBV+3dcjk2YW2vA3+STFFljTM8tJJg6HRG6PYSasuWXPJB+Cw",
        "MD5OfBody": "fafb00f5732ab283681e124bf8747ed1",
        "Body": "This is a test message",
        "Attributes": {
            "ApproximateFirstReceiveTimestamp": "1250700979248",
            "ApproximateReceiveCount": "5",
            "SenderId": "195004372649",
            "SentTimestamp": "1238099229000",
        },
    }]});
    assert_eq!(
        output_to_xml("ReceiveMessage", &out, "b6633655-283d-45b4-aee4-4e84e0ae6afa"),
        doc(
            "ReceiveMessage",
            Some(
                "<Message><MessageId>5fea7756-0ea4-451a-a703-a558b933e274</MessageId>\
                 <ReceiptHandle>MbZj6wDWli+JvwwJaBV+3dcjk2YW2vA3+STFFljTM8tJJg6HRG6PYSasuWXPJB+Cw</ReceiptHandle>\
                 <MD5OfBody>fafb00f5732ab283681e124bf8747ed1</MD5OfBody><Body>This is a test message</Body>\
                 <Attribute><Name>ApproximateFirstReceiveTimestamp</Name><Value>1250700979248</Value></Attribute>\
                 <Attribute><Name>ApproximateReceiveCount</Name><Value>5</Value></Attribute>\
                 <Attribute><Name>SenderId</Name><Value>195004372649</Value></Attribute>\
                 <Attribute><Name>SentTimestamp</Name><Value>1238099229000</Value></Attribute></Message>"
            ),
            "b6633655-283d-45b4-aee4-4e84e0ae6afa"
        )
    );
}

#[test]
fn query_output_receive_message_with_message_attributes() {
    let out = json!({"Messages": [
        {"MessageId": "m1", "ReceiptHandle": "r1", "MD5OfBody": "b1", "Body": "one",
         "MD5OfMessageAttributes": "a1",
         "MessageAttributes": {
             "bin": {"BinaryValue": "H4sIAA==", "DataType": "Binary.gzip"},
             "list": {"DataType": "String", "StringListValues": ["x", "y"], "BinaryListValues": ["AA=="]},
             "num": {"DataType": "Number.float", "StringValue": "3.14"},
         }},
        {"MessageId": "m2", "ReceiptHandle": "r2", "MD5OfBody": "b2", "Body": "two",
         "Attributes": {"MessageGroupId": "g"}, "MessageAttributes": null},
    ]});
    assert_eq!(
        output_to_xml("ReceiveMessage", &out, "r"),
        doc(
            "ReceiveMessage",
            Some(
                "<Message><MessageId>m1</MessageId><ReceiptHandle>r1</ReceiptHandle><MD5OfBody>b1</MD5OfBody>\
                 <Body>one</Body><MD5OfMessageAttributes>a1</MD5OfMessageAttributes>\
                 <MessageAttribute><Name>bin</Name><Value><BinaryValue>H4sIAA==</BinaryValue><DataType>Binary.gzip</DataType></Value></MessageAttribute>\
                 <MessageAttribute><Name>list</Name><Value><StringListValue>x</StringListValue><StringListValue>y</StringListValue>\
                 <BinaryListValue>AA==</BinaryListValue><DataType>String</DataType></Value></MessageAttribute>\
                 <MessageAttribute><Name>num</Name><Value><StringValue>3.14</StringValue><DataType>Number.float</DataType></Value></MessageAttribute>\
                 </Message>\
                 <Message><MessageId>m2</MessageId><ReceiptHandle>r2</ReceiptHandle><MD5OfBody>b2</MD5OfBody><Body>two</Body>\
                 <Attribute><Name>MessageGroupId</Name><Value>g</Value></Attribute></Message>"
            ),
            "r"
        )
    );
    // No messages: an empty Result element, as SQS sends it.
    assert_eq!(
        output_to_xml("ReceiveMessage", &json!({}), "r"),
        doc("ReceiveMessage", Some(""), "r")
    );
    assert_eq!(
        output_to_xml("ReceiveMessage", &json!({"Messages": []}), "r"),
        doc("ReceiveMessage", Some(""), "r")
    );
}

#[test]
fn query_output_get_queue_attributes() {
    let out = json!({"Attributes": {
        "ApproximateNumberOfMessages": "0",
        "Policy": "{\"Version\":\"2012-10-17\"}",
        "ReceiveMessageWaitTimeSeconds": "2",
        "VisibilityTimeout": "30",
    }});
    assert_eq!(
        output_to_xml("GetQueueAttributes", &out, "1ea71be5-b5a2-4f9d-b85a-945d8d08cd0b"),
        doc(
            "GetQueueAttributes",
            Some(
                "<Attribute><Name>ApproximateNumberOfMessages</Name><Value>0</Value></Attribute>\
                 <Attribute><Name>Policy</Name><Value>{&quot;Version&quot;:&quot;2012-10-17&quot;}</Value></Attribute>\
                 <Attribute><Name>ReceiveMessageWaitTimeSeconds</Name><Value>2</Value></Attribute>\
                 <Attribute><Name>VisibilityTimeout</Name><Value>30</Value></Attribute>"
            ),
            "1ea71be5-b5a2-4f9d-b85a-945d8d08cd0b"
        )
    );
}

#[test]
fn query_output_queue_url_results() {
    for op in ["CreateQueue", "GetQueueUrl"] {
        assert_eq!(
            output_to_xml(op, &json!({ "QueueUrl": Q }), "r"),
            doc(op, Some(&format!("<QueueUrl>{Q}</QueueUrl>")), "r")
        );
    }
}

#[test]
fn query_output_list_queues_and_dead_letter_sources() {
    let out = json!({"QueueUrls": [Q, "https://x/2"], "NextToken": "t&n"});
    assert_eq!(
        output_to_xml("ListQueues", &out, "r"),
        doc(
            "ListQueues",
            Some(&format!(
                "<QueueUrl>{Q}</QueueUrl><QueueUrl>https://x/2</QueueUrl><NextToken>t&amp;n</NextToken>"
            )),
            "r"
        )
    );
    assert_eq!(
        output_to_xml("ListQueues", &json!({}), "r"),
        doc("ListQueues", Some(""), "r")
    );
    // The JSON member is `queueUrls` (lower case) for this one.
    let out = json!({"queueUrls": [Q]});
    assert_eq!(
        output_to_xml("ListDeadLetterSourceQueues", &out, "r"),
        doc(
            "ListDeadLetterSourceQueues",
            Some(&format!("<QueueUrl>{Q}</QueueUrl>")),
            "r"
        )
    );
}

#[test]
fn query_output_list_queue_tags() {
    let out = json!({"Tags": {"Owner": "a&b", "QueueType": "Production"}});
    assert_eq!(
        output_to_xml("ListQueueTags", &out, "r"),
        doc(
            "ListQueueTags",
            Some(
                "<Tag><Key>Owner</Key><Value>a&amp;b</Value></Tag>\
                 <Tag><Key>QueueType</Key><Value>Production</Value></Tag>"
            ),
            "r"
        )
    );
}

#[test]
fn query_output_send_message_batch_with_error_entry() {
    let out = json!({
        "Successful": [
            {"Id": "test_msg_001", "MessageId": "0a5231c7-8bff-4955-be2e-8dc7c50a25fa",
             "MD5OfMessageBody": "0e024d309850c78cba5eabbeff7cae71"},
            {"Id": "test_msg_002", "MessageId": "15ee1ed3-87e7-40c1-bdaa-2e49968ea7e9",
             "MD5OfMessageBody": "7fb8146a82f95e0af155278f406862c2",
             "MD5OfMessageAttributes": "295c5fa15a51aae6884d1d7c1d99ca50"},
        ],
        "Failed": [
            {"Id": "test_msg_003", "SenderFault": true, "Code": "InvalidParameterValue",
             "Message": "Value -1 for parameter DelaySeconds is invalid."},
        ],
    });
    assert_eq!(
        output_to_xml("SendMessageBatch", &out, "ca1ad5d0-8271-408b-8d0f-1351bf547e74"),
        doc(
            "SendMessageBatch",
            Some(
                "<SendMessageBatchResultEntry><Id>test_msg_001</Id><MessageId>0a5231c7-8bff-4955-be2e-8dc7c50a25fa</MessageId>\
                 <MD5OfMessageBody>0e024d309850c78cba5eabbeff7cae71</MD5OfMessageBody></SendMessageBatchResultEntry>\
                 <SendMessageBatchResultEntry><Id>test_msg_002</Id><MessageId>15ee1ed3-87e7-40c1-bdaa-2e49968ea7e9</MessageId>\
                 <MD5OfMessageBody>7fb8146a82f95e0af155278f406862c2</MD5OfMessageBody>\
                 <MD5OfMessageAttributes>295c5fa15a51aae6884d1d7c1d99ca50</MD5OfMessageAttributes></SendMessageBatchResultEntry>\
                 <BatchResultErrorEntry><Id>test_msg_003</Id><SenderFault>true</SenderFault><Code>InvalidParameterValue</Code>\
                 <Message>Value -1 for parameter DelaySeconds is invalid.</Message></BatchResultErrorEntry>"
            ),
            "ca1ad5d0-8271-408b-8d0f-1351bf547e74"
        )
    );
}

#[test]
fn query_output_delete_and_change_visibility_batches() {
    let failed = json!([{"Id": "x", "SenderFault": false, "Code": "InternalError"}]);
    let failed_xml = "<BatchResultErrorEntry><Id>x</Id><SenderFault>false</SenderFault><Code>InternalError</Code></BatchResultErrorEntry>";
    let out = json!({"Successful": [{"Id": "msg1"}, {"Id": "msg2"}], "Failed": failed});
    assert_eq!(
        output_to_xml("DeleteMessageBatch", &out, "r"),
        doc(
            "DeleteMessageBatch",
            Some(&format!(
                "<DeleteMessageBatchResultEntry><Id>msg1</Id></DeleteMessageBatchResultEntry>\
                 <DeleteMessageBatchResultEntry><Id>msg2</Id></DeleteMessageBatchResultEntry>{failed_xml}"
            )),
            "r"
        )
    );
    assert_eq!(
        output_to_xml("ChangeMessageVisibilityBatch", &out, "r"),
        doc(
            "ChangeMessageVisibilityBatch",
            Some(&format!(
                "<ChangeMessageVisibilityBatchResultEntry><Id>msg1</Id></ChangeMessageVisibilityBatchResultEntry>\
                 <ChangeMessageVisibilityBatchResultEntry><Id>msg2</Id></ChangeMessageVisibilityBatchResultEntry>{failed_xml}"
            )),
            "r"
        )
    );
    assert_eq!(
        output_to_xml(
            "DeleteMessageBatch",
            &json!({"Successful": [], "Failed": []}),
            "r"
        ),
        doc("DeleteMessageBatch", Some(""), "r")
    );
}

#[test]
fn query_output_message_move_tasks() {
    assert_eq!(
        output_to_xml("StartMessageMoveTask", &json!({"TaskHandle": "th"}), "r"),
        doc(
            "StartMessageMoveTask",
            Some("<TaskHandle>th</TaskHandle>"),
            "r"
        )
    );
    assert_eq!(
        output_to_xml(
            "CancelMessageMoveTask",
            &json!({"ApproximateNumberOfMessagesMoved": 123_456_789_012_i64}),
            "r"
        ),
        doc(
            "CancelMessageMoveTask",
            Some(
                "<ApproximateNumberOfMessagesMoved>123456789012</ApproximateNumberOfMessagesMoved>"
            ),
            "r"
        )
    );
    let out = json!({"Results": [
        {"TaskHandle": "th", "Status": "RUNNING", "SourceArn": "s", "DestinationArn": "d",
         "MaxNumberOfMessagesPerSecond": 50, "ApproximateNumberOfMessagesMoved": 100,
         "ApproximateNumberOfMessagesToMove": 1000, "StartedTimestamp": 1_700_000_000_000_i64},
        {"Status": "FAILED", "SourceArn": "s", "ApproximateNumberOfMessagesMoved": 0,
         "FailureReason": "AWS.SimpleQueueService.NonExistentQueue", "StartedTimestamp": 1},
    ]});
    assert_eq!(
        output_to_xml("ListMessageMoveTasks", &out, "r"),
        doc(
            "ListMessageMoveTasks",
            Some(
                "<ListMessageMoveTasksResultEntry><TaskHandle>th</TaskHandle><Status>RUNNING</Status>\
                 <SourceArn>s</SourceArn><DestinationArn>d</DestinationArn>\
                 <MaxNumberOfMessagesPerSecond>50</MaxNumberOfMessagesPerSecond>\
                 <ApproximateNumberOfMessagesMoved>100</ApproximateNumberOfMessagesMoved>\
                 <ApproximateNumberOfMessagesToMove>1000</ApproximateNumberOfMessagesToMove>\
                 <StartedTimestamp>1700000000000</StartedTimestamp></ListMessageMoveTasksResultEntry>\
                 <ListMessageMoveTasksResultEntry><Status>FAILED</Status><SourceArn>s</SourceArn>\
                 <ApproximateNumberOfMessagesMoved>0</ApproximateNumberOfMessagesMoved>\
                 <FailureReason>AWS.SimpleQueueService.NonExistentQueue</FailureReason>\
                 <StartedTimestamp>1</StartedTimestamp></ListMessageMoveTasksResultEntry>"
            ),
            "r"
        )
    );
}

#[test]
fn query_output_omits_null_and_unknown_members() {
    let out = json!({"QueueUrls": null, "NextToken": null, "Bogus": "x"});
    assert_eq!(
        output_to_xml("ListQueues", &out, "r"),
        doc("ListQueues", Some(""), "r")
    );
    let out = json!({"QueueUrls": [Q, null]});
    assert_eq!(
        output_to_xml("ListQueues", &out, "r"),
        doc(
            "ListQueues",
            Some(&format!("<QueueUrl>{Q}</QueueUrl>")),
            "r"
        )
    );
    // An unknown action still gets a well-formed envelope.
    assert_eq!(
        output_to_xml("Frobnicate", &json!({"a": 1}), "r"),
        doc("Frobnicate", None, "r")
    );
    assert_eq!(
        output_to_xml("Bad<Name> x=\"", &json!({}), "r"),
        doc("BadNamex", None, "r")
    );
}

#[test]
fn query_output_escapes_text() {
    let body = "a&b <c> \"d\" 'e' ]]> \r\n\t \u{e9}\u{1F600}";
    let out = json!({"Messages": [{"Body": body}]});
    let xml = output_to_xml("ReceiveMessage", &out, "r&1");
    assert_eq!(
        xml,
        doc(
            "ReceiveMessage",
            Some("<Message><Body>a&amp;b &lt;c&gt; &quot;d&quot; 'e' ]]&gt; &#xD;\n\t \u{e9}\u{1F600}</Body></Message>"),
            "r&amp;1"
        )
    );
    // And an XML parser gets the original text back, \r included.
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut in_body = false;
    let mut text = String::new();
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(e) => in_body = e.name().as_ref() == "Body",
            quick_xml::events::Event::End(_) => in_body = false,
            quick_xml::events::Event::Text(t) if in_body => {
                text.push_str(&t.xml10_content());
            }
            quick_xml::events::Event::GeneralRef(r) if in_body => {
                if let Some(c) = r.resolve_char_ref().unwrap() {
                    text.push(c);
                } else {
                    let name = r.xml10_content();
                    text.push_str(quick_xml::escape::resolve_xml_entity(&name).unwrap());
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(text, body);
}

// ---------------------------------------------------------------------------
// error_to_xml
// ---------------------------------------------------------------------------

#[test]
fn query_error_documents() {
    assert_eq!(
        error_to_xml(
            true,
            "AWS.SimpleQueueService.NonExistentQueue",
            "The specified queue does not exist for this wsdl version.",
            "42d59b56-7407-4c4a-be0f-4c88daeea257"
        ),
        "<ErrorResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><Error><Type>Sender</Type>\
         <Code>AWS.SimpleQueueService.NonExistentQueue</Code>\
         <Message>The specified queue does not exist for this wsdl version.</Message><Detail/></Error>\
         <RequestId>42d59b56-7407-4c4a-be0f-4c88daeea257</RequestId></ErrorResponse>"
    );
    assert_eq!(
        error_to_xml(false, "InternalError", "a < b & \"c\"", "r"),
        "<ErrorResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><Error><Type>Receiver</Type>\
         <Code>InternalError</Code><Message>a &lt; b &amp; &quot;c&quot;</Message><Detail/></Error>\
         <RequestId>r</RequestId></ErrorResponse>"
    );
}

#[test]
fn query_error_message_echoing_a_control_character_stays_parseable() {
    // The message echoes a MessageDeduplicationId holding U+0008; `&#x8;` is not XML 1.0.
    let xml = error_to_xml(
        true,
        "InvalidParameterValue",
        "Value a\u{8}b\tc for parameter MessageDeduplicationId is invalid.",
        "r",
    );
    assert!(
        xml.contains("<Message>Value a\u{fffd}b\tc for parameter"),
        "{xml}"
    );
    assert!(!xml.contains("&#x8;"), "{xml}");
}

#[test]
fn query_input_error_display() {
    let err = QueryInputError {
        code: "MissingParameter",
        message: "m".to_string(),
    };
    assert_eq!(err.to_string(), "MissingParameter: m");
}
