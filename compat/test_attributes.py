"""GetQueueAttributes / SetQueueAttributes."""

import json
import time

import pytest

from helpers import expect_error, get_attrs, redrive_policy, unique

FIFO_ONLY = {"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}


def test_default_attributes(sqs, queue):
    before = int(time.time())
    attrs = get_attrs(sqs, queue.url)
    assert attrs["VisibilityTimeout"] == "30"
    assert attrs["MaximumMessageSize"] == "1048576"
    assert attrs["MessageRetentionPeriod"] == "345600"
    assert attrs["DelaySeconds"] == "0"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "0"
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "0"
    assert attrs["QueueArn"] == queue.arn
    assert attrs["SqsManagedSseEnabled"] in ("true", "false")
    created = int(attrs["CreatedTimestamp"])  # epoch seconds
    modified = int(attrs["LastModifiedTimestamp"])
    assert abs(created - before) < 600, f"CreatedTimestamp {created} is not epoch seconds near {before}"
    assert modified >= created
    assert abs(modified - before) < 600
    present = FIFO_ONLY & set(attrs)
    assert not present, f"FIFO-only attributes on a standard queue: {present}"


def test_individual_attribute_names(sqs, queue):
    attrs = get_attrs(sqs, queue.url, "VisibilityTimeout", "QueueArn")
    assert attrs == {"VisibilityTimeout": "30", "QueueArn": queue.arn}
    attrs = get_attrs(sqs, queue.url, "ApproximateNumberOfMessages")
    assert attrs == {"ApproximateNumberOfMessages": "0"}


def test_fifo_attributes(sqs, fifo_queue):
    attrs = get_attrs(sqs, fifo_queue.url)
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert attrs["DeduplicationScope"] == "queue"
    assert attrs["FifoThroughputLimit"] == "perQueue"
    assert attrs["QueueArn"] == fifo_queue.arn
    assert get_attrs(sqs, fifo_queue.url, "FifoQueue") == {"FifoQueue": "true"}


def test_invalid_attribute_name_on_get(sqs, queue):
    expect_error(
        sqs, "InvalidAttributeName", sqs.get_queue_attributes,
        QueueUrl=queue.url, AttributeNames=["NoSuchAttribute"], status=400,
    )


def test_invalid_attribute_name_on_set(sqs, queue):
    expect_error(
        sqs, "InvalidAttributeName", sqs.set_queue_attributes,
        QueueUrl=queue.url, Attributes={"NoSuchAttribute": "1"},
    )


def test_set_queue_attributes(sqs, queue):
    created = int(get_attrs(sqs, queue.url, "CreatedTimestamp")["CreatedTimestamp"])
    new = {
        "VisibilityTimeout": "60",
        "DelaySeconds": "5",
        "MaximumMessageSize": "1024",
        "MessageRetentionPeriod": "60",
        "ReceiveMessageWaitTimeSeconds": "20",
    }
    sqs.set_queue_attributes(QueueUrl=queue.url, Attributes=new)
    attrs = get_attrs(sqs, queue.url)
    for k, v in new.items():
        assert attrs[k] == v, k
    assert int(attrs["LastModifiedTimestamp"]) >= created
    # Upper/lower bounds are inclusive.
    bounds = {
        "VisibilityTimeout": "43200",
        "DelaySeconds": "900",
        "MaximumMessageSize": "1048576",
        "MessageRetentionPeriod": "1209600",
        "ReceiveMessageWaitTimeSeconds": "0",
    }
    sqs.set_queue_attributes(QueueUrl=queue.url, Attributes=bounds)
    attrs = get_attrs(sqs, queue.url, *bounds)
    assert attrs == bounds


@pytest.mark.parametrize(
    "name,value",
    [
        ("VisibilityTimeout", "43201"),
        ("VisibilityTimeout", "-1"),
        ("VisibilityTimeout", "abc"),
        ("DelaySeconds", "901"),
        ("MaximumMessageSize", "1023"),
        ("MaximumMessageSize", "1048577"),
        ("MessageRetentionPeriod", "59"),
        ("MessageRetentionPeriod", "1209601"),
        ("ReceiveMessageWaitTimeSeconds", "21"),
    ],
)
def test_set_queue_attributes_out_of_range(sqs, queue, name, value):
    expect_error(
        sqs, "InvalidAttributeValue", sqs.set_queue_attributes,
        QueueUrl=queue.url, Attributes={name: value}, status=400,
    )
    # The failed call changed nothing.
    defaults = {"VisibilityTimeout": "30", "DelaySeconds": "0", "MaximumMessageSize": "1048576",
                "MessageRetentionPeriod": "345600", "ReceiveMessageWaitTimeSeconds": "0"}
    assert get_attrs(sqs, queue.url, name)[name] == defaults[name]


def test_create_queue_out_of_range_attribute(sqs):
    expect_error(
        sqs, "InvalidAttributeValue", sqs.create_queue,
        QueueName=unique("badattr"), Attributes={"DelaySeconds": "901"},
    )


def test_redrive_policy_round_trip(sqs, make_queue):
    dlq = make_queue("rp-dlq")
    src = make_queue("rp-src")
    sqs.set_queue_attributes(
        QueueUrl=src.url, Attributes={"RedrivePolicy": redrive_policy(dlq.arn, 3)}
    )
    got = json.loads(get_attrs(sqs, src.url, "RedrivePolicy")["RedrivePolicy"])
    assert got["deadLetterTargetArn"] == dlq.arn
    assert int(got["maxReceiveCount"]) == 3
    # maxReceiveCount given as a string is accepted as well.
    sqs.set_queue_attributes(
        QueueUrl=src.url,
        Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": "5"})},
    )
    got = json.loads(get_attrs(sqs, src.url, "RedrivePolicy")["RedrivePolicy"])
    assert int(got["maxReceiveCount"]) == 5
    # RedrivePolicy is part of "All".
    assert "RedrivePolicy" in get_attrs(sqs, src.url)


def test_redrive_policy_invalid_json(sqs, queue):
    expect_error(
        sqs, ["InvalidAttributeValue", "InvalidParameterValue"], sqs.set_queue_attributes,
        QueueUrl=queue.url, Attributes={"RedrivePolicy": "{not json"},
    )


def test_approximate_counts(sqs, queue):
    for i in range(3):
        sqs.send_message(QueueUrl=queue.url, MessageBody=f"visible-{i}")
    sqs.send_message(QueueUrl=queue.url, MessageBody="delayed", DelaySeconds=60)
    msgs = sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=1,
                               VisibilityTimeout=60).get("Messages", [])
    assert len(msgs) == 1
    attrs = get_attrs(sqs, queue.url, "ApproximateNumberOfMessages",
                      "ApproximateNumberOfMessagesNotVisible",
                      "ApproximateNumberOfMessagesDelayed")
    assert attrs == {
        "ApproximateNumberOfMessages": "2",
        "ApproximateNumberOfMessagesNotVisible": "1",
        "ApproximateNumberOfMessagesDelayed": "1",
    }
    sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=msgs[0]["ReceiptHandle"])
    attrs = get_attrs(sqs, queue.url, "ApproximateNumberOfMessagesNotVisible")
    assert attrs == {"ApproximateNumberOfMessagesNotVisible": "0"}
