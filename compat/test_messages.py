"""Send / receive / delete / visibility on standard queues."""

import os
import threading
import time

import pytest

from helpers import (
    expect_error,
    get_attrs,
    make_client,
    new_sdk_only,
    receive,
    receive_until,
    wait_for,
)
from sqs_md5 import md5_of_attributes, md5_of_body

TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

ALL_TYPES = {
    "attr.string": {"DataType": "String", "StringValue": "hello \u00fcn\u00efc\u00f6de \u2603"},
    "attr.number": {"DataType": "Number", "StringValue": "-12345.6789e3"},
    "attr.binary": {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02\xfe\xffbin"},
    "Custom.Int": {"DataType": "Number.int", "StringValue": "42"},
    "custom_string": {"DataType": "String.custom", "StringValue": "custom value"},
    "gz": {"DataType": "Binary.gzip", "BinaryValue": b"\x1f\x8b\x08\x00payload"},
}


def _value_of(attr):
    if attr["DataType"].split(".")[0] == "Binary":
        return attr["DataType"], bytes(attr["BinaryValue"])
    return attr["DataType"], attr["StringValue"]


def assert_attributes_equal(got, expected):
    assert set(got) == set(expected), f"attribute names differ: {sorted(got)} vs {sorted(expected)}"
    for name in expected:
        assert _value_of(got[name]) == _value_of(expected[name]), name


# --------------------------------------------------------------------------- basics

def test_send_receive_delete(sqs, queue):
    body = "hello from the compat suite"
    sent = sqs.send_message(QueueUrl=queue.url, MessageBody=body)
    assert sent["MessageId"]
    assert sent["MD5OfMessageBody"] == md5_of_body(body)
    assert "MD5OfMessageAttributes" not in sent
    msgs = receive_until(sqs, queue.url, 1)
    assert len(msgs) == 1
    m = msgs[0]
    assert m["Body"] == body
    assert m["MessageId"] == sent["MessageId"]
    assert m["MD5OfBody"] == md5_of_body(body)
    assert m["ReceiptHandle"]
    sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=m["ReceiptHandle"])
    # Deleting twice with the same (valid) handle is not an error.
    sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=m["ReceiptHandle"])
    attrs = get_attrs(sqs, queue.url, "ApproximateNumberOfMessages",
                      "ApproximateNumberOfMessagesNotVisible")
    assert attrs == {"ApproximateNumberOfMessages": "0",
                     "ApproximateNumberOfMessagesNotVisible": "0"}


@pytest.mark.parametrize(
    "body",
    [
        "tab\tnewline\ncarriage\r",
        "\u00e9\u00e8 \u4e2d\u6587 \U0001F600 \ue000 \ufffd \U0010FFFF",
        "<xml attr=\"&amp;\">&lt;</xml> {\"json\": [1, 2]} %20+&=?",
        " leading and trailing spaces ",
    ],
    ids=["whitespace", "unicode", "markup", "spaces"],
)
def test_body_round_trip(sqs, queue, body):
    sent = sqs.send_message(QueueUrl=queue.url, MessageBody=body)
    assert sent["MD5OfMessageBody"] == md5_of_body(body)
    (m,) = receive_until(sqs, queue.url, 1)
    assert m["Body"] == body
    assert m["MD5OfBody"] == md5_of_body(body)


@pytest.mark.parametrize("bad", ["\u0000", "\u0008", "\u001f", "\uffff"],
                         ids=["nul", "backspace", "unit-sep", "uffff"])
def test_invalid_characters_rejected(sqs, queue, bad):
    expect_error(
        sqs, "InvalidMessageContents", sqs.send_message,
        QueueUrl=queue.url, MessageBody=f"before{bad}after", status=400,
    )


def test_body_larger_than_queue_maximum(sqs, make_queue):
    q = make_queue("small", attributes={"MaximumMessageSize": "1024"})
    sqs.send_message(QueueUrl=q.url, MessageBody="x" * 1024)
    expect_error(
        sqs, "InvalidParameterValue", sqs.send_message,
        QueueUrl=q.url, MessageBody="x" * 1025, status=400,
    )


def test_body_larger_than_default_maximum(sqs, queue):
    expect_error(
        sqs, "InvalidParameterValue", sqs.send_message,
        QueueUrl=queue.url, MessageBody="y" * (1048576 + 1),
    )


def test_message_delay(sqs, queue):
    start = time.monotonic()
    sqs.send_message(QueueUrl=queue.url, MessageBody="later", DelaySeconds=2)
    assert receive(sqs, queue.url) == []
    assert get_attrs(sqs, queue.url, "ApproximateNumberOfMessagesDelayed") == {
        "ApproximateNumberOfMessagesDelayed": "1"}
    msgs = receive_until(sqs, queue.url, 1, timeout=10, WaitTimeSeconds=2)
    elapsed = time.monotonic() - start
    assert [m["Body"] for m in msgs] == ["later"]
    assert elapsed >= 1.5, f"delayed message delivered after only {elapsed:.2f}s"


def test_queue_level_delay(sqs, make_queue):
    q = make_queue("qdelay", attributes={"DelaySeconds": "2"})
    start = time.monotonic()
    sqs.send_message(QueueUrl=q.url, MessageBody="queue-delayed")
    assert receive(sqs, q.url) == []
    msgs = receive_until(sqs, q.url, 1, timeout=10, WaitTimeSeconds=2)
    assert [m["Body"] for m in msgs] == ["queue-delayed"]
    assert time.monotonic() - start >= 1.5


# --------------------------------------------------------------------------- message attributes

def test_message_attributes_all_types(sqs, queue):
    expected_md5 = md5_of_attributes(ALL_TYPES)
    sent = sqs.send_message(QueueUrl=queue.url, MessageBody="typed", MessageAttributes=ALL_TYPES)
    assert sent["MD5OfMessageBody"] == md5_of_body("typed")
    assert sent["MD5OfMessageAttributes"] == expected_md5
    (m,) = receive_until(sqs, queue.url, 1, MessageAttributeNames=["All"])
    assert_attributes_equal(m["MessageAttributes"], ALL_TYPES)
    assert m["MD5OfMessageAttributes"] == expected_md5
    # The md5 the server returned matches what we compute from what it returned.
    assert md5_of_attributes(m["MessageAttributes"]) == m["MD5OfMessageAttributes"]


def test_message_attributes_not_returned_unless_requested(sqs, queue):
    sqs.send_message(QueueUrl=queue.url, MessageBody="quiet", MessageAttributes=ALL_TYPES)
    (m,) = receive_until(sqs, queue.url, 1)
    assert not m.get("MessageAttributes")


def test_message_attribute_name_filters(sqs, queue):
    attrs = {
        "foo.a": {"DataType": "String", "StringValue": "1"},
        "foo.b": {"DataType": "Number", "StringValue": "2"},
        "other": {"DataType": "String", "StringValue": "3"},
        "bar": {"DataType": "Binary", "BinaryValue": b"4"},
    }
    sent = sqs.send_message(QueueUrl=queue.url, MessageBody="filters", MessageAttributes=attrs)
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(attrs)

    def fetch(names):
        (m,) = receive_until(sqs, queue.url, 1, VisibilityTimeout=0, MessageAttributeNames=names)
        return m

    m = fetch(["bar"])
    assert set(m["MessageAttributes"]) == {"bar"}
    assert m["MD5OfMessageAttributes"] == md5_of_attributes({"bar": attrs["bar"]})

    m = fetch(["foo.*"])
    assert set(m["MessageAttributes"]) == {"foo.a", "foo.b"}
    subset = {k: attrs[k] for k in ("foo.a", "foo.b")}
    assert_attributes_equal(m["MessageAttributes"], subset)
    assert m["MD5OfMessageAttributes"] == md5_of_attributes(subset)

    m = fetch([".*"])  # matches every name, like All
    assert set(m["MessageAttributes"]) == set(attrs)

    m = fetch(["other", "foo.a", "nope"])
    assert set(m["MessageAttributes"]) == {"other", "foo.a"}

    m = fetch(["nope"])
    assert not m.get("MessageAttributes")
    assert "MD5OfMessageAttributes" not in m


def test_message_system_attributes_md5(sqs, queue):
    system = {"AWSTraceHeader": {"DataType": "String", "StringValue": TRACE_HEADER}}
    sent = sqs.send_message(QueueUrl=queue.url, MessageBody="traced",
                            MessageSystemAttributes=system)
    assert sent["MD5OfMessageSystemAttributes"] == md5_of_attributes(system)
    (m,) = receive_until(sqs, queue.url, 1, AttributeNames=["AWSTraceHeader"])
    assert m["Attributes"]["AWSTraceHeader"] == TRACE_HEADER


# --------------------------------------------------------------------------- receive attributes

def test_receive_attribute_names_all(sqs, queue):
    before_ms = int(time.time() * 1000)
    sqs.send_message(QueueUrl=queue.url, MessageBody="attrs")
    (m,) = receive_until(sqs, queue.url, 1, VisibilityTimeout=0, AttributeNames=["All"])
    a = m["Attributes"]
    assert a["ApproximateReceiveCount"] == "1"
    sent_ts = int(a["SentTimestamp"])  # epoch milliseconds
    assert abs(sent_ts - before_ms) < 60_000, f"SentTimestamp {sent_ts} vs now {before_ms}"
    first = int(a["ApproximateFirstReceiveTimestamp"])
    assert first >= sent_ts
    assert a["SenderId"]
    for fifo_only in ("MessageGroupId", "SequenceNumber", "MessageDeduplicationId"):
        assert fifo_only not in a
    # Second receive increments the count; first-receive timestamp is stable.
    (m2,) = receive_until(sqs, queue.url, 1, AttributeNames=["All"])
    assert m2["Attributes"]["ApproximateReceiveCount"] == "2"
    assert int(m2["Attributes"]["ApproximateFirstReceiveTimestamp"]) == first
    assert m2["Attributes"]["SentTimestamp"] == a["SentTimestamp"]


def test_receive_specific_attribute_names(sqs, queue):
    sqs.send_message(QueueUrl=queue.url, MessageBody="some attrs")
    (m,) = receive_until(sqs, queue.url, 1, VisibilityTimeout=0,
                         AttributeNames=["ApproximateReceiveCount", "SentTimestamp"])
    assert set(m["Attributes"]) == {"ApproximateReceiveCount", "SentTimestamp"}
    (m,) = receive_until(sqs, queue.url, 1, VisibilityTimeout=0,
                         AttributeNames=["SenderId"])
    assert set(m["Attributes"]) == {"SenderId"}
    (m,) = receive_until(sqs, queue.url, 1)
    assert not m.get("Attributes")


@new_sdk_only
def test_receive_message_system_attribute_names(sqs, queue):
    sqs.send_message(QueueUrl=queue.url, MessageBody="system names")
    (m,) = receive_until(sqs, queue.url, 1, VisibilityTimeout=0,
                         MessageSystemAttributeNames=["SentTimestamp", "ApproximateReceiveCount"])
    assert set(m["Attributes"]) == {"SentTimestamp", "ApproximateReceiveCount"}
    (m,) = receive_until(sqs, queue.url, 1, MessageSystemAttributeNames=["All"])
    a = m["Attributes"]
    assert {"SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
            "SenderId"} <= set(a)
    assert a["ApproximateReceiveCount"] == "2"


# --------------------------------------------------------------------------- receive parameters

def test_max_number_of_messages(sqs, queue):
    entries = [{"Id": f"m{i}", "MessageBody": f"body-{i}"} for i in range(10)]
    sqs.send_message_batch(QueueUrl=queue.url, Entries=entries)
    sqs.send_message_batch(QueueUrl=queue.url, Entries=[
        {"Id": f"n{i}", "MessageBody": f"body-{10 + i}"} for i in range(5)])
    one = sqs.receive_message(QueueUrl=queue.url, VisibilityTimeout=60)["Messages"]
    assert len(one) == 1, "default MaxNumberOfMessages is 1"
    batch = sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10,
                                VisibilityTimeout=60)["Messages"]
    assert 1 <= len(batch) <= 10
    rest = receive_until(sqs, queue.url, 15 - 1 - len(batch), VisibilityTimeout=60)
    bodies = [m["Body"] for m in one + batch + rest]
    assert sorted(bodies) == sorted(f"body-{i}" for i in range(15))


@pytest.mark.parametrize("n", [0, 11, -1])
def test_max_number_of_messages_out_of_range(sqs, queue, n):
    expect_error(
        sqs, "InvalidParameterValue", sqs.receive_message,
        QueueUrl=queue.url, MaxNumberOfMessages=n, status=400,
    )


def test_receive_visibility_timeout(sqs, queue):
    sqs.send_message(QueueUrl=queue.url, MessageBody="hide me")
    (m,) = receive_until(sqs, queue.url, 1, VisibilityTimeout=2)
    assert receive(sqs, queue.url) == []
    assert get_attrs(sqs, queue.url, "ApproximateNumberOfMessagesNotVisible") == {
        "ApproximateNumberOfMessagesNotVisible": "1"}
    again = receive_until(sqs, queue.url, 1, timeout=10, WaitTimeSeconds=2,
                          AttributeNames=["ApproximateReceiveCount"])
    assert [x["MessageId"] for x in again] == [m["MessageId"]]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    assert again[0]["ReceiptHandle"]


def test_queue_visibility_timeout_attribute(sqs, make_queue):
    q = make_queue("vt", attributes={"VisibilityTimeout": "1"})
    sqs.send_message(QueueUrl=q.url, MessageBody="short vt")
    (m,) = receive_until(sqs, q.url, 1)
    assert receive(sqs, q.url) == []
    again = receive_until(sqs, q.url, 1, timeout=10, WaitTimeSeconds=2)
    assert [x["MessageId"] for x in again] == [m["MessageId"]]


def test_long_poll_empty_queue_waits(sqs, queue):
    start = time.monotonic()
    resp = sqs.receive_message(QueueUrl=queue.url, WaitTimeSeconds=2)
    elapsed = time.monotonic() - start
    assert not resp.get("Messages")
    assert elapsed >= 1.5, f"long poll returned after {elapsed:.2f}s"
    assert elapsed < 15


def test_long_poll_queue_attribute(sqs, make_queue):
    q = make_queue("lp", attributes={"ReceiveMessageWaitTimeSeconds": "2"})
    start = time.monotonic()
    resp = sqs.receive_message(QueueUrl=q.url)
    elapsed = time.monotonic() - start
    assert not resp.get("Messages")
    assert elapsed >= 1.5, f"queue-level long poll returned after {elapsed:.2f}s"


def test_long_poll_wakes_on_send(sqs, queue, endpoint):
    sender = make_client(endpoint)

    def send_later():
        time.sleep(1)
        sender.send_message(QueueUrl=queue.url, MessageBody="wake up")

    t = threading.Thread(target=send_later, daemon=True)
    start = time.monotonic()
    t.start()
    resp = sqs.receive_message(QueueUrl=queue.url, WaitTimeSeconds=10)
    elapsed = time.monotonic() - start
    t.join(timeout=15)
    assert [m["Body"] for m in resp.get("Messages", [])] == ["wake up"]
    assert elapsed < 8, f"long poll took {elapsed:.2f}s to notice the message"


@pytest.mark.parametrize("wait", [21, -1])
def test_wait_time_seconds_out_of_range(sqs, queue, wait):
    expect_error(
        sqs, "InvalidParameterValue", sqs.receive_message,
        QueueUrl=queue.url, WaitTimeSeconds=wait,
    )


# --------------------------------------------------------------------------- delete / visibility

def test_delete_message_invalid_receipt_handle(sqs, queue):
    expect_error(
        sqs, "ReceiptHandleIsInvalid", sqs.delete_message,
        QueueUrl=queue.url, ReceiptHandle="not-a-real-receipt-handle", status=404,
    )


def test_change_visibility_to_zero(sqs, queue):
    sqs.send_message(QueueUrl=queue.url, MessageBody="come back")
    (m,) = receive_until(sqs, queue.url, 1, VisibilityTimeout=60)
    assert receive(sqs, queue.url) == []
    sqs.change_message_visibility(QueueUrl=queue.url, ReceiptHandle=m["ReceiptHandle"],
                                  VisibilityTimeout=0)
    again = receive_until(sqs, queue.url, 1, timeout=5, AttributeNames=["ApproximateReceiveCount"])
    assert [x["MessageId"] for x in again] == [m["MessageId"]]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_change_visibility_extends(sqs, queue):
    sqs.send_message(QueueUrl=queue.url, MessageBody="stay hidden")
    (m,) = receive_until(sqs, queue.url, 1, VisibilityTimeout=1)
    sqs.change_message_visibility(QueueUrl=queue.url, ReceiptHandle=m["ReceiptHandle"],
                                  VisibilityTimeout=60)
    time.sleep(2)
    assert receive(sqs, queue.url) == []


def test_change_visibility_not_inflight(sqs, queue):
    sqs.send_message(QueueUrl=queue.url, MessageBody="not in flight")
    (m,) = receive_until(sqs, queue.url, 1, VisibilityTimeout=0)
    # VisibilityTimeout=0 on receive: the message is visible again. AWS answers 200 to a change
    # by its latest receipt and leaves the message visible, one entry or a batch.
    sqs.change_message_visibility(QueueUrl=queue.url, ReceiptHandle=m["ReceiptHandle"],
                                  VisibilityTimeout=30)
    batch = sqs.change_message_visibility_batch(QueueUrl=queue.url, Entries=[
        {"Id": "e", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 30}])
    assert [e["Id"] for e in batch["Successful"]] == ["e"]
    assert not batch.get("Failed")
    assert [g["Body"] for g in receive_until(sqs, queue.url, 1)] == ["not in flight"]


def test_change_visibility_out_of_range(sqs, queue):
    sqs.send_message(QueueUrl=queue.url, MessageBody="vt range")
    (m,) = receive_until(sqs, queue.url, 1, VisibilityTimeout=60)
    expect_error(
        sqs, "InvalidParameterValue", sqs.change_message_visibility,
        QueueUrl=queue.url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=43201,
    )


def test_change_visibility_invalid_receipt_handle(sqs, queue):
    expect_error(
        sqs, "ReceiptHandleIsInvalid", sqs.change_message_visibility,
        QueueUrl=queue.url, ReceiptHandle="garbage-handle", VisibilityTimeout=10,
    )


def test_receipt_handle_from_other_queue_is_invalid_there(sqs, make_queue):
    """A handle belongs to the queue that issued it (LocalStack checks this against AWS):
    used on another queue it is ReceiptHandleIsInvalid, alone or in a batch, and the
    message is untouched."""
    a = make_queue("rh-a")
    b = make_queue("rh-b")
    sqs.send_message(QueueUrl=a.url, MessageBody="mine")
    (m,) = receive_until(sqs, a.url, 1, VisibilityTimeout=60)
    handle = m["ReceiptHandle"]
    text = f'The input receipt handle "{handle}" is not a valid receipt handle.'
    err = expect_error(sqs, "ReceiptHandleIsInvalid", sqs.delete_message, status=404,
                       QueueUrl=b.url, ReceiptHandle=handle)
    assert err.response["Error"]["Message"] == text
    err = expect_error(sqs, "ReceiptHandleIsInvalid", sqs.change_message_visibility,
                       status=404, QueueUrl=b.url, ReceiptHandle=handle, VisibilityTimeout=0)
    assert err.response["Error"]["Message"] == text
    out = sqs.delete_message_batch(QueueUrl=b.url,
                                   Entries=[{"Id": "x", "ReceiptHandle": handle}])
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in out["Failed"]] == [
        ("x", "ReceiptHandleIsInvalid", True)]
    out = sqs.change_message_visibility_batch(
        QueueUrl=b.url, Entries=[{"Id": "y", "ReceiptHandle": handle, "VisibilityTimeout": 0}])
    assert [(f["Id"], f["Code"]) for f in out["Failed"]] == [("y", "ReceiptHandleIsInvalid")]
    assert get_attrs(sqs, a.url, "ApproximateNumberOfMessagesNotVisible") == {
        "ApproximateNumberOfMessagesNotVisible": "1"}
    sqs.delete_message(QueueUrl=a.url, ReceiptHandle=handle)
    assert get_attrs(sqs, a.url, "ApproximateNumberOfMessagesNotVisible") == {
        "ApproximateNumberOfMessagesNotVisible": "0"}


def test_visibility_expired_handle_is_stale_after_redelivery(sqs, queue):
    """After a message is received again, deleting with the newest handle works."""
    sqs.send_message(QueueUrl=queue.url, MessageBody="two handles")
    (first,) = receive_until(sqs, queue.url, 1, VisibilityTimeout=0)
    (second,) = receive_until(sqs, queue.url, 1, VisibilityTimeout=60)
    assert first["MessageId"] == second["MessageId"]
    sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=second["ReceiptHandle"])
    wait_for(lambda: get_attrs(sqs, queue.url, "ApproximateNumberOfMessagesNotVisible")[
        "ApproximateNumberOfMessagesNotVisible"] == "0", timeout=3, what="delete to apply")
    assert receive(sqs, queue.url) == []


# --------------------------------------------------------------------------- validation

@pytest.mark.parametrize("vt", [43201, -1])
def test_receive_visibility_timeout_out_of_range(sqs, queue, vt):
    expect_error(sqs, "InvalidParameterValue", sqs.receive_message,
                 QueueUrl=queue.url, VisibilityTimeout=vt, status=400)


@pytest.mark.parametrize("delay", [901, -1])
def test_send_delay_seconds_out_of_range(sqs, queue, delay):
    expect_error(sqs, "InvalidParameterValue", sqs.send_message,
                 QueueUrl=queue.url, MessageBody="x", DelaySeconds=delay, status=400)


@pytest.mark.parametrize(
    "attrs",
    [
        {"a": {"DataType": "Foo", "StringValue": "1"}},
        {"n": {"DataType": "Number", "StringValue": "not-a-number"}},
        {"AWS.reserved": {"DataType": "String", "StringValue": "1"}},
        {"has space": {"DataType": "String", "StringValue": "1"}},
        {"s": {"DataType": "String"}},
        {f"a{i}": {"DataType": "String", "StringValue": "1"} for i in range(11)},
    ],
    ids=["bad-type", "nan-number", "aws-prefix", "bad-name", "no-value", "eleven"],
)
def test_invalid_message_attributes(sqs, queue, attrs):
    expect_error(sqs, "InvalidParameterValue", sqs.send_message,
                 QueueUrl=queue.url, MessageBody="x", MessageAttributes=attrs, status=400)


def test_message_attributes_count_toward_size_limit(sqs, make_queue):
    q = make_queue("attrsize", attributes={"MaximumMessageSize": "1024"})
    expect_error(sqs, "InvalidParameterValue", sqs.send_message,
                 QueueUrl=q.url, MessageBody="x" * 1000,
                 MessageAttributes={"a": {"DataType": "String", "StringValue": "y" * 100}})


def test_competing_long_pollers_get_one_copy(sqs, queue, endpoint):
    got = []
    lock = threading.Lock()

    def poll():
        c = make_client(endpoint)
        msgs = c.receive_message(QueueUrl=queue.url, WaitTimeSeconds=3,
                                 VisibilityTimeout=60).get("Messages", [])
        with lock:
            got.extend(m["Body"] for m in msgs)

    threads = [threading.Thread(target=poll, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    sqs.send_message(QueueUrl=queue.url, MessageBody="exactly once")
    for t in threads:
        t.join(timeout=15)
    assert got == ["exactly once"]


def test_all_in_capitals_asks_for_everything(sqs, queue):
    """kombu (Celery's SQS transport) sends its `fetch_message_attributes` "All" as "ALL", for
    system and message attributes alike, and reads ApproximateReceiveCount from the answer for
    its backoff policy."""
    sqs.send_message(QueueUrl=queue.url, MessageBody="k",
                     MessageAttributes={"a": {"DataType": "String", "StringValue": "1"}})
    got = sqs.receive_message(QueueUrl=queue.url, AttributeNames=["ALL"],
                              MessageAttributeNames=["ALL"], WaitTimeSeconds=2)["Messages"][0]
    assert got["Attributes"]["ApproximateReceiveCount"] == "1"
    assert got["MessageAttributes"]["a"]["StringValue"] == "1"


@pytest.mark.skipif(os.environ.get("POLYQ_COMPAT_STORE", "memory").startswith("postgres"),
                    reason="fair queues are served by the memory engine (memory and embedded stores)")
def test_fair_queue_serves_quiet_tenants_before_a_noisy_one(sqs, queue):
    """AWS's fair queues: a tenant (MessageGroupId) with more than 10% of the in-flight
    messages, and at least 30, waits while other tenants' messages are visible."""
    for chunk in range(4):
        sqs.send_message_batch(QueueUrl=queue.url, Entries=[
            {"Id": str(i), "MessageBody": f"a{chunk * 10 + i}", "MessageGroupId": "noisy"}
            for i in range(10)])
    leased = []
    for _ in range(10):
        leased += receive(sqs, queue.url, MaxNumberOfMessages=min(10, 30 - len(leased)),
                          VisibilityTimeout=300)
        if len(leased) == 30:
            break
    assert len(leased) == 30
    sqs.send_message(QueueUrl=queue.url, MessageBody="quiet", MessageGroupId="quiet")
    sqs.send_message(QueueUrl=queue.url, MessageBody="own tenant")
    got = receive(sqs, queue.url, MaxNumberOfMessages=4, VisibilityTimeout=300)
    assert [m["Body"] for m in got] == ["quiet", "own tenant", "a30", "a31"]
