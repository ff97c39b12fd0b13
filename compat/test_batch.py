"""SendMessageBatch / DeleteMessageBatch / ChangeMessageVisibilityBatch."""

import pytest

from helpers import expect_error, get_attrs, receive, receive_until
from sqs_md5 import md5_of_attributes, md5_of_body


def test_send_message_batch(sqs, queue):
    attrs = {"kind": {"DataType": "String", "StringValue": "batch"},
             "n": {"DataType": "Number", "StringValue": "7"}}
    entries = [
        {"Id": "plain", "MessageBody": "first"},
        {"Id": "with-attrs", "MessageBody": "second", "MessageAttributes": attrs},
        {"Id": "delayed_0", "MessageBody": "third", "DelaySeconds": 0},
    ]
    resp = sqs.send_message_batch(QueueUrl=queue.url, Entries=entries)
    assert not resp.get("Failed")
    ok = {e["Id"]: e for e in resp["Successful"]}
    assert set(ok) == {"plain", "with-attrs", "delayed_0"}
    for entry in entries:
        r = ok[entry["Id"]]
        assert r["MessageId"]
        assert r["MD5OfMessageBody"] == md5_of_body(entry["MessageBody"])
    assert ok["with-attrs"]["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    assert "MD5OfMessageAttributes" not in ok["plain"]
    assert len({r["MessageId"] for r in ok.values()}) == 3

    msgs = receive_until(sqs, queue.url, 3, MessageAttributeNames=["All"])
    by_body = {m["Body"]: m for m in msgs}
    assert set(by_body) == {"first", "second", "third"}
    assert by_body["second"]["MessageId"] == ok["with-attrs"]["MessageId"]
    assert by_body["second"]["MD5OfMessageAttributes"] == md5_of_attributes(attrs)


def test_send_message_batch_partial_failure(sqs, make_queue):
    q = make_queue("partial", attributes={"MaximumMessageSize": "1024"})
    entries = [
        {"Id": "ok1", "MessageBody": "good one"},
        {"Id": "badchars", "MessageBody": "nul\u0000inside"},
        {"Id": "ok2", "MessageBody": "good two"},
        {"Id": "toolarge", "MessageBody": "z" * 1025},
    ]
    resp = sqs.send_message_batch(QueueUrl=q.url, Entries=entries)
    assert {e["Id"] for e in resp.get("Successful", [])} == {"ok1", "ok2"}
    failed = {e["Id"]: e for e in resp.get("Failed", [])}
    assert set(failed) == {"badchars", "toolarge"}, resp
    for f in failed.values():
        assert f["SenderFault"] is True
        assert f["Code"]
    msgs = receive_until(sqs, q.url, 2, timeout=5)
    assert sorted(m["Body"] for m in msgs) == ["good one", "good two"]
    assert get_attrs(sqs, q.url, "ApproximateNumberOfMessages")[
        "ApproximateNumberOfMessages"] == "0"


def _entries(op, ids):
    if op == "send_message_batch":
        return [{"Id": i, "MessageBody": f"body {i}"} for i in ids]
    if op == "delete_message_batch":
        return [{"Id": i, "ReceiptHandle": f"handle-{n}"} for n, i in enumerate(ids)]
    return [{"Id": i, "ReceiptHandle": f"handle-{n}", "VisibilityTimeout": 5}
            for n, i in enumerate(ids)]


BATCH_OPS = ["send_message_batch", "delete_message_batch", "change_message_visibility_batch"]


@pytest.mark.parametrize("op", BATCH_OPS)
def test_batch_too_many_entries(sqs, queue, op):
    expect_error(sqs, "TooManyEntriesInBatchRequest", getattr(sqs, op),
                 QueueUrl=queue.url, Entries=_entries(op, [f"e{i}" for i in range(11)]),
                 status=400)


@pytest.mark.parametrize("op", BATCH_OPS)
def test_batch_duplicate_ids(sqs, queue, op):
    expect_error(sqs, "BatchEntryIdsNotDistinct", getattr(sqs, op),
                 QueueUrl=queue.url, Entries=_entries(op, ["same", "other", "same"]),
                 status=400)


@pytest.mark.parametrize("op", BATCH_OPS)
def test_batch_empty(sqs, queue, op):
    expect_error(sqs, "EmptyBatchRequest", getattr(sqs, op),
                 QueueUrl=queue.url, Entries=[], status=400)


@pytest.mark.parametrize("op", BATCH_OPS)
@pytest.mark.parametrize("bad_id", ["has space", "bang!", "x" * 81], ids=["space", "bang", "81chars"])
def test_batch_invalid_entry_id(sqs, queue, op, bad_id):
    expect_error(sqs, "InvalidBatchEntryId", getattr(sqs, op),
                 QueueUrl=queue.url, Entries=_entries(op, ["fine", bad_id]), status=400)


def test_batch_ten_entries_is_allowed(sqs, queue):
    resp = sqs.send_message_batch(QueueUrl=queue.url,
                                  Entries=_entries("send_message_batch",
                                                   [f"id_{i}-X" for i in range(10)]))
    assert len(resp["Successful"]) == 10


def test_delete_message_batch(sqs, queue):
    sqs.send_message_batch(QueueUrl=queue.url,
                           Entries=[{"Id": f"m{i}", "MessageBody": f"del-{i}"} for i in range(3)])
    msgs = receive_until(sqs, queue.url, 3, VisibilityTimeout=60)
    assert len(msgs) == 3
    resp = sqs.delete_message_batch(QueueUrl=queue.url, Entries=[
        {"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
    assert {e["Id"] for e in resp["Successful"]} == {"d0", "d1", "d2"}
    assert not resp.get("Failed")
    attrs = get_attrs(sqs, queue.url, "ApproximateNumberOfMessages",
                      "ApproximateNumberOfMessagesNotVisible")
    assert attrs == {"ApproximateNumberOfMessages": "0",
                     "ApproximateNumberOfMessagesNotVisible": "0"}


def test_delete_message_batch_invalid_handle_entry(sqs, queue):
    sqs.send_message(QueueUrl=queue.url, MessageBody="keep going")
    (m,) = receive_until(sqs, queue.url, 1, VisibilityTimeout=60)
    resp = sqs.delete_message_batch(QueueUrl=queue.url, Entries=[
        {"Id": "good", "ReceiptHandle": m["ReceiptHandle"]},
        {"Id": "bad", "ReceiptHandle": "definitely-not-a-handle"},
    ])
    assert [e["Id"] for e in resp.get("Successful", [])] == ["good"]
    failed = resp.get("Failed", [])
    assert [f["Id"] for f in failed] == ["bad"]
    assert failed[0]["SenderFault"] is True
    assert failed[0]["Code"] == "ReceiptHandleIsInvalid"


def test_change_message_visibility_batch(sqs, queue):
    sqs.send_message_batch(QueueUrl=queue.url,
                           Entries=[{"Id": f"m{i}", "MessageBody": f"cmv-{i}"} for i in range(2)])
    msgs = receive_until(sqs, queue.url, 2, VisibilityTimeout=60)
    assert len(msgs) == 2
    assert receive(sqs, queue.url) == []
    resp = sqs.change_message_visibility_batch(QueueUrl=queue.url, Entries=[
        {"Id": f"c{i}", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
        for i, m in enumerate(msgs)])
    assert {e["Id"] for e in resp["Successful"]} == {"c0", "c1"}
    assert not resp.get("Failed")
    again = receive_until(sqs, queue.url, 2, timeout=5)
    assert {m["MessageId"] for m in again} == {m["MessageId"] for m in msgs}


def test_change_message_visibility_batch_invalid_handle_entry(sqs, queue):
    sqs.send_message(QueueUrl=queue.url, MessageBody="cmv partial")
    (m,) = receive_until(sqs, queue.url, 1, VisibilityTimeout=60)
    resp = sqs.change_message_visibility_batch(QueueUrl=queue.url, Entries=[
        {"Id": "good", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0},
        {"Id": "bad", "ReceiptHandle": "garbage", "VisibilityTimeout": 0},
    ])
    assert [e["Id"] for e in resp.get("Successful", [])] == ["good"]
    failed = resp.get("Failed", [])
    assert [f["Id"] for f in failed] == ["bad"]
    assert failed[0]["SenderFault"] is True
    assert failed[0]["Code"]


def test_batch_request_too_long(sqs, queue):
    body = "b" * 110_000  # 10 x 110 KB > 1 MiB in total
    expect_error(sqs, "BatchRequestTooLong", sqs.send_message_batch, QueueUrl=queue.url,
                 Entries=[{"Id": f"i{i}", "MessageBody": body} for i in range(10)], status=400)
    assert receive(sqs, queue.url, MaxNumberOfMessages=10) == []


def test_empty_batch_lists_are_left_out(sqs, queue):
    """AWS's JSON protocol leaves an empty `Failed` / `Successful` out of a batch answer (code
    written against AWS, like the Java v2 SDK's `hasFailed()`, relies on it); through the query
    protocol botocore has no list to show either."""
    sent = sqs.send_message_batch(
        QueueUrl=queue.url, Entries=[{"Id": "a", "MessageBody": "x"}])
    assert [e["Id"] for e in sent["Successful"]] == ["a"]
    assert "Failed" not in sent, sent
    gone = sqs.delete_message_batch(
        QueueUrl=queue.url, Entries=[{"Id": "a", "ReceiptHandle": "not-a-handle"}])
    assert [e["Id"] for e in gone["Failed"]] == ["a"]
    assert "Successful" not in gone, gone
