"""Message shapes as real AWS SQS answers them (recorded AWS responses in LocalStack's
AWS-validated snapshots): attribute filters, system attributes, MD5s, batch size rules."""

import time

import pytest


ATTRS = {
    "Help.Me": {"DataType": "String", "StringValue": "Me"},
    "Hello": {"DataType": "String", "StringValue": "There"},
    "General": {"DataType": "String", "StringValue": "Kenobi"},
}


@pytest.fixture
def attr_queue(sqs, make_queue):
    q = make_queue("cf-attrs", attributes={"VisibilityTimeout": "0"})
    sent = sqs.send_message(QueueUrl=q.url, MessageBody="msg", MessageAttributes=ATTRS)
    assert sent["MD5OfMessageAttributes"] == "4c360f3fdafd970e05fae2f149d997f5"
    assert sent["MD5OfMessageBody"] == "6e2baaf3b97dbeef01c0043275f9a0e7"
    return q


def _receive(sqs, url, names):
    resp = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2, MessageAttributeNames=names)
    (m,) = resp["Messages"]
    return m


@pytest.mark.parametrize("names", [["All"], ["*"], [".*"]])
def test_all_attribute_filters(sqs, attr_queue, names):
    m = _receive(sqs, attr_queue.url, names)
    assert m["MessageAttributes"] == ATTRS
    assert m["MD5OfMessageAttributes"] == "4c360f3fdafd970e05fae2f149d997f5"


@pytest.mark.parametrize("names,keys,md5", [
    (["Hello", "General"], {"Hello", "General"}, "fca026605781cb4126a1e9044df24232"),
    (["Foo", "Hello"], {"Hello"}, "a311262e065454b75da111d535b8dacd"),
    (["Hel.*"], {"Hello", "Help.Me"}, "83fee93c1bcd8b9a5a923ffacdc636c7"),
])
def test_named_and_prefix_filters(sqs, attr_queue, names, keys, md5):
    m = _receive(sqs, attr_queue.url, names)
    assert set(m["MessageAttributes"]) == keys
    assert m["MD5OfMessageAttributes"] == md5


@pytest.mark.parametrize("names", [[], ["AWS."], ["..foo"]])
def test_empty_or_invalid_filters_return_no_attributes(sqs, attr_queue, names):
    m = _receive(sqs, attr_queue.url, names)
    assert "MessageAttributes" not in m
    assert "MD5OfMessageAttributes" not in m


def test_filter_matching_nothing(sqs, attr_queue):
    m = _receive(sqs, attr_queue.url, ["Foo", "Help"])
    # AWS-validated LocalStack snapshot (2024-04, JSON and query): no MessageAttributes at all
    # (a 2023 recording had an empty map).
    assert "MD5OfMessageAttributes" not in m
    assert "MessageAttributes" not in m


def test_receive_attribute_names_on_a_standard_queue(sqs, attr_queue):
    m = sqs.receive_message(QueueUrl=attr_queue.url, WaitTimeSeconds=2,
                            AttributeNames=["SenderId", "SequenceNumber"])["Messages"][0]
    assert set(m["Attributes"]) == {"SenderId"}
    m = sqs.receive_message(QueueUrl=attr_queue.url, WaitTimeSeconds=2,
                            AttributeNames=["All"])["Messages"][0]
    assert set(m["Attributes"]) == {"ApproximateFirstReceiveTimestamp",
                                    "ApproximateReceiveCount", "SenderId", "SentTimestamp"}
    for k in ("ApproximateFirstReceiveTimestamp", "SentTimestamp"):
        assert m["Attributes"][k].isdigit()


def test_system_attributes_do_not_change_the_attribute_md5(sqs, queue):
    attrs = {"timestamp": {"StringValue": "1493147359900", "DataType": "Number"}}
    trace = {"AWSTraceHeader": {
        "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "DataType": "String"}}
    plain = sqs.send_message(QueueUrl=queue.url, MessageBody="test", MessageAttributes=attrs)
    traced = sqs.send_message(QueueUrl=queue.url, MessageBody="test", MessageAttributes=attrs,
                              MessageSystemAttributes=trace)
    assert plain["MD5OfMessageAttributes"] == traced["MD5OfMessageAttributes"]
    assert "MD5OfMessageSystemAttributes" not in plain
    assert traced["MD5OfMessageSystemAttributes"] == "5ae4d5d7636402d80f4eb6d213245a88"


def test_binary_attribute_round_trip(sqs, queue):
    attrs = {"attr1": {"DataType": "Binary", "BinaryValue":
             b"traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01"}}
    sent = sqs.send_message(QueueUrl=queue.url, MessageBody="test", MessageAttributes=attrs)
    (m,) = sqs.receive_message(QueueUrl=queue.url, WaitTimeSeconds=2,
                               MessageAttributeNames=["All"])["Messages"]
    assert m["MessageAttributes"] == attrs
    assert m["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"] \
        == "8cbe4db156db8a94db8b801b7addb984"


def test_batch_ignores_the_queue_maximum_message_size(sqs, make_queue):
    q = make_queue("cf-batchmax", attributes={"MaximumMessageSize": "2048"})
    attrs = {"k": {"DataType": "String", "StringValue": "x"}}
    resp = sqs.send_message_batch(QueueUrl=q.url, Entries=[
        {"Id": "1", "MessageBody": "a" * (2048 - 8), "MessageAttributes": attrs},
        {"Id": "2", "MessageBody": "a"}])
    assert not resp.get("Failed")
    ok = {e["Id"]: e for e in resp["Successful"]}
    assert ok["1"]["MD5OfMessageBody"] == "f44facf5a7ee0af446ecf3e0f854441e"
    assert ok["1"]["MD5OfMessageAttributes"] == "a45daa70926828a2f0a1db3418e6feb4"
    assert ok["2"]["MD5OfMessageBody"] == "0cc175b9c0f1b6a831c399e269772661"


def test_fifo_receive_all_attributes(sqs, make_queue):
    q = make_queue("cf-fifoattrs", fifo=True, attributes={
        "ContentBasedDeduplication": "true", "VisibilityTimeout": "0",
        "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
    sent = sqs.send_message(QueueUrl=q.url, MessageBody="message-body-1",
                            MessageGroupId="group-1", MessageDeduplicationId="dedup-1")
    assert sent["MD5OfMessageBody"] == "19c9e282d65f9733bc6b35d50062c7ee"
    for count in ("1", "2"):
        (m,) = sqs.receive_message(QueueUrl=q.url, AttributeNames=["All"],
                                   WaitTimeSeconds=2)["Messages"]
        a = m["Attributes"]
        assert set(a) == {"ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount",
                          "MessageDeduplicationId", "MessageGroupId", "SenderId",
                          "SentTimestamp", "SequenceNumber"}
        assert a["ApproximateReceiveCount"] == count
        assert a["MessageDeduplicationId"] == "dedup-1"
        assert a["MessageGroupId"] == "group-1"
        assert a["SequenceNumber"] == sent["SequenceNumber"]


def test_change_visibility_after_the_timeout_expired(sqs, queue):
    """AWS answers 200 and does nothing: the message stays visible (LocalStack's AWS-validated
    test of PR #9632; LocalSqsSnsMessaging's suite)."""
    sqs.send_message(QueueUrl=queue.url, MessageBody="expired lease")
    (m,) = sqs.receive_message(QueueUrl=queue.url, VisibilityTimeout=1,
                               WaitTimeSeconds=2)["Messages"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        attrs = sqs.get_queue_attributes(QueueUrl=queue.url,
                                         AttributeNames=["ApproximateNumberOfMessages"])
        if attrs["Attributes"]["ApproximateNumberOfMessages"] == "1":
            break
        time.sleep(0.2)
    sqs.change_message_visibility(QueueUrl=queue.url, ReceiptHandle=m["ReceiptHandle"],
                                  VisibilityTimeout=30)
    got = sqs.receive_message(QueueUrl=queue.url, WaitTimeSeconds=2)["Messages"]
    assert [g["Body"] for g in got] == ["expired lease"]


def test_change_visibility_with_an_older_receipt(sqs, queue):
    sqs.send_message(QueueUrl=queue.url, MessageBody="test")
    first = sqs.receive_message(QueueUrl=queue.url, VisibilityTimeout=0,
                                WaitTimeSeconds=2)["Messages"][0]["ReceiptHandle"]
    assert sqs.receive_message(QueueUrl=queue.url, VisibilityTimeout=30)["Messages"]
    sqs.change_message_visibility(QueueUrl=queue.url, ReceiptHandle=first, VisibilityTimeout=0)
    assert sqs.receive_message(QueueUrl=queue.url, WaitTimeSeconds=1)["Messages"]
