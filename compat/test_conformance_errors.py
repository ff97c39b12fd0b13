"""Error codes and messages that real AWS SQS answers (recorded AWS responses in LocalStack's
AWS-validated snapshots), checked through boto3 on both wire protocols."""

import time

import pytest

from helpers import ACCOUNT_ID, IS_JSON, expect_error, unique

NO_QUEUE_JSON = "The specified queue does not exist."
NO_QUEUE_QUERY = "The specified queue does not exist for this wsdl version."


def error_of(client, names, fn, message, status=400, json_type=None, **kwargs):
    """expect_error plus the exact message and, on JSON, the `__type` botocore reports."""
    err = expect_error(client, names, fn, status=status, **kwargs)
    assert err.response["Error"]["Message"] == message, err.response
    if IS_JSON and json_type is not None:
        assert err.response["Error"].get("QueryErrorCode") == json_type, err.response
    return err


def test_receive_max_number_of_messages_out_of_range(sqs, queue):
    error_of(sqs, "InvalidParameterValue", sqs.receive_message,
             "Value 11 for parameter MaxNumberOfMessages is invalid. "
             "Reason: Must be between 1 and 10, if provided.",
             json_type="InvalidParameterValueException",
             QueueUrl=queue.url, MaxNumberOfMessages=11)


def test_fifo_per_message_delay(sqs, make_queue):
    q = make_queue("cf-delay", fifo=True, attributes={"ContentBasedDeduplication": "true"})
    error_of(sqs, "InvalidParameterValue", sqs.send_message,
             "Value 2 for parameter DelaySeconds is invalid. Reason: The request include "
             "parameter that is not valid for this queue type.",
             json_type="InvalidParameterValueException",
             QueueUrl=q.url, MessageBody="m", MessageGroupId="1", DelaySeconds=2)


def test_fifo_send_missing_ids(sqs, fifo_queue):
    error_of(sqs, "MissingParameter", sqs.send_message,
             "The request must contain the parameter MessageGroupId.",
             json_type="MissingRequiredParameterException",
             QueueUrl=fifo_queue.url, MessageBody="m", MessageDeduplicationId="d")
    error_of(sqs, "InvalidParameterValue", sqs.send_message,
             "The queue should either have ContentBasedDeduplication enabled or "
             "MessageDeduplicationId provided explicitly",
             json_type="InvalidParameterValueException",
             QueueUrl=fifo_queue.url, MessageBody="m", MessageGroupId="g")


@pytest.mark.parametrize("missing", ["MessageGroupId", "MessageDeduplicationId"])
def test_fifo_batch_missing_ids_fail_the_whole_batch(sqs, fifo_queue, missing):
    good = {"Id": "a", "MessageBody": "x", "MessageGroupId": "g",
            "MessageDeduplicationId": unique("d")}
    bad = {"Id": "b", "MessageBody": "x", "MessageGroupId": "g",
           "MessageDeduplicationId": unique("d")}
    del bad[missing]
    message = (
        "The request must contain the parameter MessageGroupId."
        if missing == "MessageGroupId"
        else "The queue should either have ContentBasedDeduplication enabled or "
             "MessageDeduplicationId provided explicitly"
    )
    error_of(sqs, "InvalidParameterValue", sqs.send_message_batch, message,
             json_type="InvalidParameterValueException",
             QueueUrl=fifo_queue.url, Entries=[good, bad])
    assert "Messages" not in sqs.receive_message(QueueUrl=fifo_queue.url, MaxNumberOfMessages=10)


def test_empty_string_message_attribute(sqs, queue):
    error_of(sqs, "InvalidParameterValue", sqs.send_message,
             "Message (user) attribute 'ErrorDetails' must contain a non-empty value of "
             "type 'String'.",
             QueueUrl=queue.url, MessageBody="test",
             MessageAttributes={"ErrorDetails": {"StringValue": "", "DataType": "String"}})


def test_message_attribute_of_an_unknown_type(sqs, queue):
    """AWS's wording, as suites run against the live service record it (not moto's "has an
    invalid message attribute type")."""
    error_of(sqs, "InvalidParameterValue", sqs.send_message,
             "The type of message (user) attribute 'timestamp' is invalid. You must use only "
             "the following supported type prefixes: Binary, Number, String.",
             QueueUrl=queue.url, MessageBody="test",
             MessageAttributes={"timestamp": {"StringValue": "1", "DataType": "InvalidNumber"}})


def test_batch_entry_errors(sqs, queue):
    for bad_id in ["", "testLongId" * 10, "invalid:id"]:
        error_of(sqs, "InvalidBatchEntryId", sqs.delete_message_batch,
                 "A batch entry id can only contain alphanumeric characters, hyphens and "
                 "underscores. It can be at most 80 letters long.",
                 json_type="InvalidBatchEntryId",
                 QueueUrl=queue.url, Entries=[{"Id": bad_id, "ReceiptHandle": "testHandle1"}])
    error_of(sqs, "TooManyEntriesInBatchRequest", sqs.send_message_batch,
             "Maximum number of entries per request are 10. You have sent 20.",
             QueueUrl=queue.url,
             Entries=[{"Id": f"m{i}", "MessageBody": "b"} for i in range(20)])


def test_oversized_message_and_batch(sqs, queue):
    attrs = {"k": {"DataType": "String", "StringValue": "x"}}
    attrs_size = len("k") + len("String") + len("x")
    limit = 1_048_576
    error_of(sqs, "InvalidParameterValue", sqs.send_message,
             f"One or more parameters are invalid. Reason: Message must be shorter than "
             f"{limit} bytes.",
             QueueUrl=queue.url, MessageBody="a" * (limit - attrs_size + 1),
             MessageAttributes=attrs)
    error_of(sqs, "BatchRequestTooLong", sqs.send_message_batch,
             f"Batch requests cannot be longer than {limit} bytes. "
             f"You have sent {limit + 1} bytes.",
             QueueUrl=queue.url,
             Entries=[{"Id": "1", "MessageBody": "a" * (limit - attrs_size),
                       "MessageAttributes": attrs},
                      {"Id": "2", "MessageBody": "a"}])
    # One entry alone over the limit fails the whole request too, not just the entry
    # (AWS-verified in moto's suite).
    error_of(sqs, "BatchRequestTooLong", sqs.send_message_batch,
             f"Batch requests cannot be longer than {limit} bytes. "
             f"You have sent {limit + 1} bytes.",
             QueueUrl=queue.url, Entries=[{"Id": "id_1", "MessageBody": "b" * (limit + 1)}])
    assert "Messages" not in sqs.receive_message(QueueUrl=queue.url)


def test_malformed_receipt_on_a_missing_queue(sqs):
    """The queue is looked up before the receipt is read (AWS-verified in moto's suite)."""
    url = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT_ID}/compat-missing-queue"
    expect_error(sqs, "QueueDoesNotExist", sqs.delete_message, status=400,
                 QueueUrl=url, ReceiptHandle="unknown")
    expect_error(sqs, "QueueDoesNotExist", sqs.change_message_visibility, status=400,
                 QueueUrl=url, ReceiptHandle="unknown", VisibilityTimeout=5)


def test_visibility_past_twelve_hours_after_the_receive(sqs, queue):
    """One receive can hide a message for 12 hours in all: counted in whole seconds since the
    receive, so the full 43200 is there right after it and not a second later."""
    sqs.send_message(QueueUrl=queue.url, MessageBody="held")
    handle = sqs.receive_message(QueueUrl=queue.url, WaitTimeSeconds=2)["Messages"][0][
        "ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=queue.url, ReceiptHandle=handle,
                                  VisibilityTimeout=43200)
    time.sleep(1.2)
    error_of(sqs, "InvalidParameterValue", sqs.change_message_visibility,
             "Value 43200 for parameter VisibilityTimeout is invalid. Reason: Total "
             "VisibilityTimeout for the message is beyond the limit [43200 seconds]",
             QueueUrl=queue.url, ReceiptHandle=handle, VisibilityTimeout=43200)
    sqs.change_message_visibility(QueueUrl=queue.url, ReceiptHandle=handle,
                                  VisibilityTimeout=43000)
    sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=handle)


def test_receipt_handle_errors(sqs, queue):
    error_of(sqs, "ReceiptHandleIsInvalid", sqs.delete_message,
             'The input receipt handle "garbage" is not a valid receipt handle.',
             QueueUrl=queue.url, ReceiptHandle="garbage", status=404)
    sqs.send_message(QueueUrl=queue.url, MessageBody="foo")
    handle = sqs.receive_message(QueueUrl=queue.url, WaitTimeSeconds=2)["Messages"][0][
        "ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=queue.url, ReceiptHandle=handle, VisibilityTimeout=42)
    sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=handle)
    # Deleting again is fine; changing visibility is not.
    sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=handle)
    error_of(sqs, "InvalidParameterValue", sqs.change_message_visibility,
             f"Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does "
             f"not exist or is not available for visibility timeout change.",
             QueueUrl=queue.url, ReceiptHandle=handle, VisibilityTimeout=42)


def test_non_existent_queue_message(sqs, queue):
    message = NO_QUEUE_JSON if IS_JSON else NO_QUEUE_QUERY
    error_of(sqs, "QueueDoesNotExist", sqs.get_queue_url, message,
             json_type="QueueDoesNotExist", QueueName=unique("absent"))
    error_of(sqs, "QueueDoesNotExist", sqs.get_queue_attributes, message,
             QueueUrl=queue.url + "-absent", AttributeNames=["All"])


def test_queue_url_without_a_queue_path(sqs):
    expect_error(sqs, "QueueDoesNotExist", sqs.get_queue_attributes, status=400,
                 QueueUrl="http://whatever-incorrect-queue-address", AttributeNames=["All"])


def test_message_attribute_names(sqs, queue):
    # Letters of any script are fine (AWS-validated); punctuation and reserved prefixes not.
    attrs = {"attr.1øßä": {"StringValue": "Valida", "DataType": "String"}}
    sqs.send_message(QueueUrl=queue.url, MessageBody="test", MessageAttributes=attrs)
    for name in ["aWs.-Invalid-attr", "AMAZON.-Invalid-attr", ".-Invalid-attr",
                 "Invalid-!-attr", 'Invalid-"-attr', "Invalid-§-attr", "Invalid-(-attr",
                 "Invalid-?-attr", "L" * 257, "Invalid."]:
        expect_error(sqs, "InvalidParameterValue", sqs.send_message, status=400,
                     QueueUrl=queue.url, MessageBody="test",
                     MessageAttributes={name: {"StringValue": "Valid", "DataType": "String"}})
    for data_type in ["Invalid", "Number." + "L" * 256]:
        expect_error(sqs, "InvalidParameterValue", sqs.send_message, status=400,
                     QueueUrl=queue.url, MessageBody="test",
                     MessageAttributes={"a": {"StringValue": "Valid", "DataType": data_type}})
    expect_error(sqs, "InvalidParameterValue", sqs.send_message, status=400,
                 QueueUrl=queue.url, MessageBody="test",
                 MessageAttributes={"a": {"StringValue": "Invalid-\x08,\x0b",
                                          "DataType": "String"}})


def test_delay_seconds_out_of_range(sqs, queue):
    error_of(sqs, "InvalidParameterValue", sqs.send_message,
             "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be "
             ">= 0 and <= 900.",
             QueueUrl=queue.url, MessageBody="late", DelaySeconds=901)
