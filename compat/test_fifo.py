"""FIFO queues: naming, group ids, deduplication, ordering, group blocking."""

import time

from helpers import expect_error, get_attrs, receive, receive_until, unique
from sqs_md5 import md5_of_body

NAMING_ERRORS = ["InvalidParameterValue", "InvalidAttributeValue"]


def test_fifo_suffix_requires_fifo_attribute(sqs):
    expect_error(sqs, NAMING_ERRORS, sqs.create_queue,
                 QueueName=unique("nofifoattr") + ".fifo", status=400)


def test_fifo_attribute_requires_suffix(sqs):
    expect_error(sqs, NAMING_ERRORS, sqs.create_queue,
                 QueueName=unique("nosuffix"), Attributes={"FifoQueue": "true"}, status=400)


def test_fifo_queue_url_keeps_suffix(sqs, endpoint, fifo_queue):
    assert fifo_queue.name.endswith(".fifo")
    assert fifo_queue.url == f"{endpoint}/000000000000/{fifo_queue.name}"
    assert get_attrs(sqs, fifo_queue.url, "QueueArn")["QueueArn"] == fifo_queue.arn


def test_message_group_id_required(sqs, fifo_queue):
    expect_error(sqs, "MissingParameter", sqs.send_message,
                 QueueUrl=fifo_queue.url, MessageBody="no group",
                 MessageDeduplicationId="d1", status=400)


def test_deduplication_id_required_without_content_based_dedup(sqs, fifo_queue):
    expect_error(sqs, ["InvalidParameterValue", "MissingParameter"], sqs.send_message,
                 QueueUrl=fifo_queue.url, MessageBody="no dedup", MessageGroupId="g")


def test_per_message_delay_rejected(sqs, fifo_queue):
    expect_error(sqs, "InvalidParameterValue", sqs.send_message,
                 QueueUrl=fifo_queue.url, MessageBody="delayed", MessageGroupId="g",
                 MessageDeduplicationId="d", DelaySeconds=5, status=400)


def test_deduplication_id(sqs, fifo_queue):
    first = sqs.send_message(QueueUrl=fifo_queue.url, MessageBody="once",
                             MessageGroupId="g", MessageDeduplicationId="dedup-1")
    second = sqs.send_message(QueueUrl=fifo_queue.url, MessageBody="once",
                              MessageGroupId="g", MessageDeduplicationId="dedup-1")
    assert second["MessageId"] == first["MessageId"]
    assert second["MD5OfMessageBody"] == md5_of_body("once")
    other = sqs.send_message(QueueUrl=fifo_queue.url, MessageBody="once",
                             MessageGroupId="g", MessageDeduplicationId="dedup-2")
    assert other["MessageId"] != first["MessageId"]
    msgs = receive_until(sqs, fifo_queue.url, 2, timeout=5, delete=True)
    assert [m["MessageId"] for m in msgs] == [first["MessageId"], other["MessageId"]]
    assert receive(sqs, fifo_queue.url, MaxNumberOfMessages=10) == []
    # Still deduplicated after the original was deleted (5-minute window).
    third = sqs.send_message(QueueUrl=fifo_queue.url, MessageBody="once",
                             MessageGroupId="g", MessageDeduplicationId="dedup-1")
    assert third["MessageId"] == first["MessageId"]
    assert receive(sqs, fifo_queue.url, MaxNumberOfMessages=10) == []


def test_content_based_deduplication(sqs, make_queue):
    q = make_queue("cbd", fifo=True, attributes={"ContentBasedDeduplication": "true"})
    assert get_attrs(sqs, q.url, "ContentBasedDeduplication") == {
        "ContentBasedDeduplication": "true"}
    a = sqs.send_message(QueueUrl=q.url, MessageBody="same body", MessageGroupId="g")
    b = sqs.send_message(QueueUrl=q.url, MessageBody="same body", MessageGroupId="g")
    c = sqs.send_message(QueueUrl=q.url, MessageBody="different body", MessageGroupId="g")
    assert a["MessageId"] == b["MessageId"]
    assert c["MessageId"] != a["MessageId"]
    msgs = receive_until(sqs, q.url, 2, timeout=5, delete=True)
    assert [m["Body"] for m in msgs] == ["same body", "different body"]
    assert receive(sqs, q.url, MaxNumberOfMessages=10) == []


def test_sequence_numbers_increase(sqs, fifo_queue):
    seqs = []
    ids = []
    for i in range(3):
        r = sqs.send_message(QueueUrl=fifo_queue.url, MessageBody=f"seq-{i}",
                             MessageGroupId="g", MessageDeduplicationId=f"seq-{i}")
        assert r["SequenceNumber"].isdigit(), r["SequenceNumber"]
        seqs.append(int(r["SequenceNumber"]))
        ids.append(r["MessageId"])
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    msgs = receive_until(sqs, fifo_queue.url, 3, delete=True,
                         AttributeNames=["SequenceNumber", "MessageGroupId",
                                         "MessageDeduplicationId"])
    assert [m["MessageId"] for m in msgs] == ids
    assert [int(m["Attributes"]["SequenceNumber"]) for m in msgs] == seqs
    assert {m["Attributes"]["MessageGroupId"] for m in msgs} == {"g"}
    assert [m["Attributes"]["MessageDeduplicationId"] for m in msgs] == [
        f"seq-{i}" for i in range(3)]


def test_fifo_receive_all_attributes(sqs, fifo_queue):
    sqs.send_message(QueueUrl=fifo_queue.url, MessageBody="attrs",
                     MessageGroupId="grp-1", MessageDeduplicationId="dd-1")
    (m,) = receive_until(sqs, fifo_queue.url, 1, AttributeNames=["All"])
    a = m["Attributes"]
    assert a["MessageGroupId"] == "grp-1"
    assert a["MessageDeduplicationId"] == "dd-1"
    assert a["SequenceNumber"].isdigit()
    assert a["ApproximateReceiveCount"] == "1"
    assert "SentTimestamp" in a and "SenderId" in a


def test_send_message_batch_fifo(sqs, fifo_queue):
    resp = sqs.send_message_batch(QueueUrl=fifo_queue.url, Entries=[
        {"Id": f"e{i}", "MessageBody": f"b{i}", "MessageGroupId": "g",
         "MessageDeduplicationId": f"bd{i}"} for i in range(3)])
    assert not resp.get("Failed")
    ok = {e["Id"]: e for e in resp["Successful"]}
    seqs = [int(ok[f"e{i}"]["SequenceNumber"]) for i in range(3)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    msgs = receive_until(sqs, fifo_queue.url, 3, delete=True)
    assert [m["Body"] for m in msgs] == ["b0", "b1", "b2"]


def test_strict_order_within_group(sqs, fifo_queue):
    for i in range(6):
        sqs.send_message(QueueUrl=fifo_queue.url, MessageBody=f"ordered-{i}",
                         MessageGroupId="order", MessageDeduplicationId=f"o{i}")
    msgs = receive_until(sqs, fifo_queue.url, 6, delete=True, MaxNumberOfMessages=2)
    assert [m["Body"] for m in msgs] == [f"ordered-{i}" for i in range(6)]


def test_group_blocked_while_in_flight(sqs, fifo_queue):
    url = fifo_queue.url
    for body, group in [("a1", "A"), ("a2", "A"), ("b1", "B"), ("b2", "B")]:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group,
                         MessageDeduplicationId=body)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60,
                                AttributeNames=["MessageGroupId"])["Messages"]
    assert len(first) == 1
    held = first[0]
    held_group = held["Attributes"]["MessageGroupId"]
    other_group = "B" if held_group == "A" else "A"
    assert held["Body"] == held_group.lower() + "1", "the head of its group comes first"

    # Another receiver: the held group is blocked, the other group delivers.
    others = receive_until(sqs, url, 2, timeout=3, VisibilityTimeout=60,
                           AttributeNames=["MessageGroupId"])
    groups = {m["Attributes"]["MessageGroupId"] for m in others}
    assert held_group not in groups, f"group {held_group} delivered while in flight: {others}"
    assert [m["Body"] for m in others] == [other_group.lower() + "1", other_group.lower() + "2"]

    # Nothing more is available while both groups are in flight.
    assert receive(sqs, url, MaxNumberOfMessages=10) == []

    # Deleting the held message unblocks its group, in order.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=held["ReceiptHandle"])
    nxt = receive_until(sqs, url, 1, timeout=3, MaxNumberOfMessages=10)
    assert [m["Body"] for m in nxt] == [held_group.lower() + "2"]


def test_group_unblocked_when_visible_again(sqs, fifo_queue):
    url = fifo_queue.url
    for i in range(2):
        sqs.send_message(QueueUrl=url, MessageBody=f"v{i}", MessageGroupId="V",
                         MessageDeduplicationId=f"v{i}")
    (held,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1,
                                  VisibilityTimeout=60)["Messages"]
    assert held["Body"] == "v0"
    assert receive(sqs, url, MaxNumberOfMessages=10) == []
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=held["ReceiptHandle"],
                                  VisibilityTimeout=0)
    again = receive_until(sqs, url, 2, timeout=3, delete=True)
    assert [m["Body"] for m in again] == ["v0", "v1"]


def _send_groups(sqs, url, pairs):
    for i, (body, group) in enumerate(pairs):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group,
                         MessageDeduplicationId=f"d{i}")


def test_groups_received_with_zero_visibility_go_behind_waiting_groups(sqs, fifo_queue):
    # AWS's recorded answer: groups take turns by when their head became visible.
    url = fifo_queue.url
    _send_groups(sqs, url, [("g1-m1", "g1"), ("g2-m1", "g2"), ("g2-m2", "g2"),
                            ("g3-m1", "g3"), ("g1-m2", "g1")])
    time.sleep(0.05)  # the receive below must happen after g3-m1 became visible
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, VisibilityTimeout=0)
    assert [m["Body"] for m in first["Messages"]] == ["g1-m1", "g1-m2", "g2-m1"]
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert [m["Body"] for m in again["Messages"]] == [
        "g3-m1", "g1-m1", "g1-m2", "g2-m1", "g2-m2"]


def test_group_served_again_once_its_head_is_visible(sqs, fifo_queue):
    url = fifo_queue.url
    _send_groups(sqs, url, [("g1-m1", "g1"), ("g1-m2", "g1"), ("g2-m1", "g2")])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2,
                              VisibilityTimeout=30)["Messages"]
    assert [m["Body"] for m in got] == ["g1-m1", "g1-m2"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"],
                                  VisibilityTimeout=0)
    # g1-m1 is visible again while g1-m2 is in flight: g1 is served (behind g2), up to g1-m2.
    nxt = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, WaitTimeSeconds=2)
    assert [m["Body"] for m in nxt["Messages"]] == ["g2-m1", "g1-m1"]


def test_group_with_its_head_in_flight_delivers_nothing(sqs, fifo_queue):
    url = fifo_queue.url
    _send_groups(sqs, url, [("g1-m1", "g1"), ("g2-m1", "g2"), ("g1-m2", "g1"),
                            ("g2-m2", "g2"), ("g1-m3", "g1"), ("g3-m1", "g3")])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2,
                              VisibilityTimeout=30)["Messages"]
    assert [m["Body"] for m in got] == ["g1-m1", "g1-m2"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in rest] == ["g2-m1", "g2-m2", "g3-m1"]


def test_delete_with_an_expired_receipt_is_refused(sqs, make_queue):
    # AWS's recorded answer (FIFO only; a standard queue still deletes such a message).
    q = make_queue("fifoexp", fifo=True, attributes={"VisibilityTimeout": "1",
                                                       "ContentBasedDeduplication": "true"})
    sqs.send_message(QueueUrl=q.url, MessageBody="g1-m1", MessageGroupId="1")
    handle = sqs.receive_message(QueueUrl=q.url)["Messages"][0]["ReceiptHandle"]
    time.sleep(2)
    err = expect_error(sqs, "InvalidParameterValue", sqs.delete_message,
                       QueueUrl=q.url, ReceiptHandle=handle, status=400)
    assert err.response["Error"]["Message"] == (
        f"Value {handle} for parameter ReceiptHandle is invalid. "
        "Reason: The receipt handle has expired.")
    again = receive_until(sqs, q.url, 1, timeout=5)
    assert [m["Body"] for m in again] == ["g1-m1"], "the message stayed"
    sqs.delete_message(QueueUrl=q.url, ReceiptHandle=again[0]["ReceiptHandle"])


def test_standard_queue_deletes_with_an_expired_receipt(sqs, make_queue):
    q = make_queue("stdexp", attributes={"VisibilityTimeout": "1"})
    sqs.send_message(QueueUrl=q.url, MessageBody="m")
    handle = sqs.receive_message(QueueUrl=q.url)["Messages"][0]["ReceiptHandle"]
    time.sleep(2)
    sqs.delete_message(QueueUrl=q.url, ReceiptHandle=handle)
    assert get_attrs(sqs, q.url, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == "0"


def test_queue_delay_is_retroactive_on_fifo_queues_only(sqs, make_queue):
    """AWS's delay-queue guide: "For FIFO queues, the per-queue delay setting is retroactive";
    for standard queues it is not."""
    attrs = {"DelaySeconds": "900", "ContentBasedDeduplication": "true"}
    fifo = make_queue("retro", fifo=True, attributes=attrs)
    std = make_queue("retro", attributes={"DelaySeconds": "900"})
    sqs.send_message(QueueUrl=fifo.url, MessageBody="fifo", MessageGroupId="g")
    sqs.send_message(QueueUrl=std.url, MessageBody="standard")
    for q in (fifo, std):
        sqs.set_queue_attributes(QueueUrl=q.url, Attributes={"DelaySeconds": "0"})
    assert [m["Body"] for m in receive_until(sqs, fifo.url, 1)] == ["fifo"]
    assert receive(sqs, std.url, WaitTimeSeconds=1) == []
    counts = get_attrs(sqs, std.url, "ApproximateNumberOfMessagesDelayed")
    assert counts["ApproximateNumberOfMessagesDelayed"] == "1"
    # Longer: a message still in its 5 s delay now waits 900 s from its send.
    sqs.set_queue_attributes(QueueUrl=fifo.url, Attributes={"DelaySeconds": "5"})
    sqs.send_message(QueueUrl=fifo.url, MessageBody="later", MessageGroupId="h")
    sqs.set_queue_attributes(QueueUrl=fifo.url, Attributes={"DelaySeconds": "900"})
    assert receive(sqs, fifo.url, WaitTimeSeconds=7) == []
    counts = get_attrs(sqs, fifo.url, "ApproximateNumberOfMessagesDelayed")
    assert counts["ApproximateNumberOfMessagesDelayed"] == "1"
