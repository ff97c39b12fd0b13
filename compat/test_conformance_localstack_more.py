"""More of LocalStack's AWS-validated SQS cases (tests/aws/services/sqs/test_sqs.py), and
answers real AWS gave in user reports, that the other conformance files do not cover.

Each case states what AWS answers; where the evidence is not a LocalStack snapshot, the
comment names it."""

import contextlib

import pytest

from helpers import expect_error, unique


def _message(err):
    return err.response["Error"]["Message"]


def test_standard_queue_refuses_fifo_queue_false(sqs, make_queue):
    # AWS refuses FifoQueue on a standard queue even as "false", at creation as later
    # (aws-sdk-php#1331 and crossplane provider-aws#457 quote the live answer; SetQueueAttributes'
    # is in LocalStack's test_set_unsupported_attribute_fifo snapshot).
    name = unique("ls-fifo-false")
    err = expect_error(sqs, "InvalidAttributeName", sqs.create_queue, status=400,
                       QueueName=name, Attributes={"FifoQueue": "false"})
    assert _message(err) == "Unknown Attribute FifoQueue."
    assert not sqs.list_queues(QueueNamePrefix=name).get("QueueUrls")
    # Leaving the attribute out still creates the standard queue.
    q = make_queue(name=name)
    assert q.url.endswith("/" + name)


@pytest.mark.parametrize("member", ["MessageDeduplicationId", "MessageGroupId"])
def test_error_echoing_a_control_character_reaches_the_sdk(sqs, fifo_queue, member):
    # test_send_message_with_invalid_fifo_parameters: an id holding U+0008 is
    # InvalidParameterValue. The message echoes the id; on the query protocol it must stay
    # parseable XML, or the SDK reports a parser error instead of the service's error.
    ids = {"MessageDeduplicationId": "d1", "MessageGroupId": "g1", member: "Invalid-\x08"}
    err = expect_error(sqs, "InvalidParameterValue", sqs.send_message, status=400,
                       QueueUrl=fifo_queue.url, MessageBody="test", **ids)
    assert f"for parameter {member} is invalid." in _message(err)


def _send_groups(sqs, url, bodies):
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=body.split("-")[0])


def _bodies(out):
    return [m["Body"] for m in out.get("Messages", [])]


GROUPED = ["g1-m1", "g2-m1", "g1-m2", "g2-m2", "g1-m2", "g1-m3", "g1-m4", "g3-m1"]


def test_fifo_group_after_deleting_its_received_messages(sqs, make_queue):
    # test_fifo_message_group_visibility_after_delete, AWS's order: the group is served again
    # from its new head, which was sent before g3's message. The second "g1-m2" is a
    # content-based duplicate.
    q = make_queue("ls-fifo-del", fifo=True, attributes={"ContentBasedDeduplication": "true"})
    _send_groups(sqs, q.url, GROUPED)
    got = sqs.receive_message(QueueUrl=q.url, MaxNumberOfMessages=2)["Messages"]
    assert [m["Body"] for m in got] == ["g1-m1", "g1-m2"]
    for m in got:
        sqs.delete_message(QueueUrl=q.url, ReceiptHandle=m["ReceiptHandle"])
    out = sqs.receive_message(QueueUrl=q.url, MaxNumberOfMessages=10)
    assert _bodies(out) == ["g2-m1", "g2-m2", "g1-m3", "g1-m4", "g3-m1"]


def test_fifo_group_with_one_received_message_left_in_flight(sqs, make_queue):
    # test_fifo_message_group_visibility_after_partial_delete: g1-m2 is still in flight, so
    # the rest of group 1 waits.
    q = make_queue("ls-fifo-pdel", fifo=True, attributes={"ContentBasedDeduplication": "true"})
    _send_groups(sqs, q.url, GROUPED)
    got = sqs.receive_message(QueueUrl=q.url, MaxNumberOfMessages=2)["Messages"]
    assert [m["Body"] for m in got] == ["g1-m1", "g1-m2"]
    sqs.delete_message(QueueUrl=q.url, ReceiptHandle=got[0]["ReceiptHandle"])
    out = sqs.receive_message(QueueUrl=q.url, MaxNumberOfMessages=10)
    assert _bodies(out) == ["g2-m1", "g2-m2", "g3-m1"]


TRACE = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"


@contextlib.contextmanager
def _trace_header_on(sqs, operation):
    """Sends the X-Ray header `X-Amzn-Trace-Id: TRACE` with every `operation` call."""
    def add_trace(request, **_):
        request.headers["X-Amzn-Trace-Id"] = TRACE

    sqs.meta.events.register(f"before-send.sqs.{operation}", add_trace)
    try:
        yield
    finally:
        sqs.meta.events.unregister(f"before-send.sqs.{operation}", add_trace)


def test_x_amzn_trace_id_header_becomes_the_aws_trace_header(sqs, make_queue):
    # test_aws_trace_header_propagation (AWS-validated, 2025-06, both protocols): the X-Ray
    # header on SendMessage comes back as the message's AWSTraceHeader.
    q = make_queue("ls-trace")
    with _trace_header_on(sqs, "SendMessage"):
        sent = sqs.send_message(QueueUrl=q.url, MessageBody="test", MessageAttributes={
            "timestamp": {"StringValue": "1493147359900", "DataType": "Number"}})
    # Nothing was asked of the system attributes, so the answer has no digest of them.
    assert "MD5OfMessageSystemAttributes" not in sent
    (m,) = sqs.receive_message(QueueUrl=q.url, AttributeNames=["SentTimestamp", "AWSTraceHeader"],
                               MessageAttributeNames=["All"], WaitTimeSeconds=2)["Messages"]
    assert set(m["Attributes"]) == {"SentTimestamp", "AWSTraceHeader"}
    assert m["Attributes"]["AWSTraceHeader"] == TRACE
    assert m["MessageAttributes"]["timestamp"]["StringValue"] == "1493147359900"


def test_x_amzn_trace_id_header_applies_to_every_message_of_a_batch(sqs, make_queue):
    # The X-Ray guide's SQS page: the header "corresponds to all messages included in a
    # SendMessage or SendMessageBatch request"; an entry's own AWSTraceHeader wins (ElasticMQ's
    # TracingTests assert the same).
    q = make_queue("ls-trace-batch")
    with _trace_header_on(sqs, "SendMessageBatch"):
        sqs.send_message_batch(QueueUrl=q.url, Entries=[
            {"Id": "a", "MessageBody": "a"},
            {"Id": "b", "MessageBody": "b", "MessageSystemAttributes": {
                "AWSTraceHeader": {"DataType": "String", "StringValue": "own"}}},
        ])
    got = {}
    for _ in range(10):
        for m in sqs.receive_message(QueueUrl=q.url, AttributeNames=["AWSTraceHeader"],
                                     MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            got[m["Body"]] = m.get("Attributes", {}).get("AWSTraceHeader")
        if len(got) == 2:
            break
    assert got == {"a": TRACE, "b": "own"}


def test_batch_entry_over_the_queues_maximum_in_aws_words(sqs, make_queue):
    # test_send_batch_message_size (AWS-validated, 2024-04): a batch entry's wording differs
    # from SendMessage's ("are invalid").
    q = make_queue("ls-batch-size", attributes={"MaximumMessageSize": "1024"})
    out = sqs.send_message_batch(QueueUrl=q.url, Entries=[
        {"Id": "fits", "MessageBody": "a" * 1024},
        {"Id": "over", "MessageBody": "a" * 1025},
    ])
    assert [s["Id"] for s in out["Successful"]] == ["fits"]
    (failed,) = out["Failed"]
    assert failed == {
        "Id": "over", "Code": "InvalidParameterValue", "SenderFault": True,
        "Message": "One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes.",
    }
    err = expect_error(sqs, "InvalidParameterValue", sqs.send_message, status=400,
                       QueueUrl=q.url, MessageBody="a" * 1025)
    assert _message(err) == ("One or more parameters are invalid. "
                             "Reason: Message must be shorter than 1024 bytes.")


def test_batch_entry_with_a_parameter_its_queue_type_does_not_take(sqs, make_queue):
    # A batch entry's failure does not name the parameter (recorded AWS answers:
    # aws-sdk-js#4216 quotes the XML, #3187 the JSON); SendMessage names it
    # (construct-hub#905).
    q = make_queue("ls-std-dedup")
    out = sqs.send_message_batch(QueueUrl=q.url, Entries=[
        {"Id": "ok", "MessageBody": "m"},
        {"Id": "dedup", "MessageBody": "m", "MessageDeduplicationId": "d1"},
    ])
    assert [s["Id"] for s in out["Successful"]] == ["ok"]
    assert out["Failed"] == [{
        "Id": "dedup", "Code": "InvalidParameterValue", "SenderFault": True,
        "Message": "The request include parameter that is not valid for this queue type",
    }]
    err = expect_error(sqs, "InvalidParameterValue", sqs.send_message, status=400,
                       QueueUrl=q.url, MessageBody="m", MessageDeduplicationId="d1")
    assert _message(err) == ("Value d1 for parameter MessageDeduplicationId is invalid. "
                             "Reason: The request include parameter that is not valid for this "
                             "queue type.")
