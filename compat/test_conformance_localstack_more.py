"""More of LocalStack's AWS-validated SQS cases (tests/aws/services/sqs/test_sqs.py), and
answers real AWS gave in user reports, that the other conformance files do not cover.

Each case states what AWS answers; where the evidence is not a LocalStack snapshot, the
comment names it."""

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
