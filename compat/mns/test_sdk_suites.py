"""Alibaba's own MNS SDK test suites and samples, replayed through the Python SDK (and raw HTTP
where another SDK sends a request shape Python never does).

Each group names its upstream source; the cases are our own, written from what those tests
and samples call and assert against the live service:

- PHP  aliyun/aliyun-mns-php-sdk      Tests/QueueTest.php (integration tests against MNS)
- Py   aliyun/aliyun-mns-python-sdk   test/client/*.py fixtures, sample/queue/*.py
- Java aliyun/aliyun-mns-java-sdk     src/test/.../sample/queue/*Demo.java, TransactionQueue
- Node aliyun/mns-nodejs-sdk          test/client.test.js
- Go   aliyun/aliyun-mns-go-sdk       queue_manager.go / queue.go request shapes
"""

import base64
import hashlib
import time
import uuid
from urllib.parse import quote_plus

import pytest
from mns.mns_exception import MNSServerException
from mns.queue import Message, QueueMeta

from test_conformance import error_of, raw, server_error

# The receipt handle of MNS's own docs examples, which the PHP suite adds to a batch delete.
DOC_HANDLE = "1-ODU4OTkzNDU5My0xNDM1MTk3NjAwLTItNg=="


def md5_upper(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.md5(data).hexdigest().upper()


def raw_queue(new_queue, **meta):
    """A queue whose messages go on the wire as given (PHP's getQueueRef(name, FALSE))."""
    queue = new_queue(**meta)
    queue.set_encoding(False)
    return queue


# ---- PHP Tests/QueueTest.php ----

def test_php_logging_enabled_survives_an_empty_set(new_queue):
    # testLoggingEnabled: False, True, then a SetQueueAttributes naming nothing keeps True.
    queue = new_queue()
    for value in (False, True):
        queue.set_attributes(QueueMeta(logging_enabled=value))
        assert queue.get_attributes().logging_enabled is value
    queue.set_attributes(QueueMeta())
    assert queue.get_attributes().logging_enabled is True


def test_php_queue_attributes(new_queue):
    # testQueueAttributes: the name comes back, and DelaySeconds 3 is stored.
    queue = new_queue()
    assert queue.get_attributes().queue_name == queue.queue_name
    queue.set_attributes(QueueMeta(delay_sec=3))
    assert queue.get_attributes().delay_seconds == 3


def test_php_message_delay_seconds_md5(new_queue):
    # testMessageDelaySeconds: a raw body sent with DelaySeconds 1; MD5 is upper-case hex.
    queue = raw_queue(new_queue)
    sent = queue.send_message(Message("test", delay_seconds=1))
    assert sent.message_body_md5 == md5_upper("test") == "098F6BCD4621D373CADE4E832627B4F6"


@pytest.mark.parametrize("base64_body", [False, True], ids=["raw", "base64"])
def test_php_message_walk(new_queue, base64_body):
    # testMessage / testMessageNoBase64: send, peek and receive agree on the MD5 of the body as
    # sent; ChangeMessageVisibility(18); DeleteMessage with the *receive's* handle succeeds.
    queue = new_queue()
    queue.set_encoding(base64_body)
    wire = base64.b64encode(b"test").decode() if base64_body else "test"
    assert queue.send_message(Message("test")).message_body_md5 == md5_upper(wire)
    assert queue.peek_message().message_body_md5 == md5_upper(wire)
    got = queue.receive_message(wait_seconds=1)
    assert got.message_body_md5 == md5_upper(wire)
    queue.change_message_visibility(got.receipt_handle, 18)
    queue.delete_message(got.receipt_handle)
    assert server_error(queue.peek_message).type == "MessageNotExist"


@pytest.mark.parametrize("base64_body", [False, True], ids=["raw", "base64"])
def test_php_batch_with_a_bad_handle(new_queue, base64_body):
    # testBatch / testBatchNoBase64: three equal messages; batch peek and receive ≤ 3; a batch
    # delete of their handles plus the docs' example handle lists exactly that one handle.
    queue = new_queue()
    queue.set_encoding(base64_body)
    wire = base64.b64encode(b"test").decode() if base64_body else "test"
    sent = queue.batch_send_message([Message("test") for _ in range(3)])
    assert [m.message_body_md5 for m in sent] == [md5_upper(wire)] * 3
    assert len({m.message_id for m in sent}) == 3
    peeked = queue.batch_peek_message(3)
    assert 1 <= len(peeked) <= 3 and {m.message_body_md5 for m in peeked} == {md5_upper(wire)}
    got = queue.batch_receive_message(3, wait_seconds=1)
    assert len(got) == 3 and {m.message_body_md5 for m in got} == {md5_upper(wire)}
    e = server_error(queue.batch_delete_message, [m.receipt_handle for m in got] + [DOC_HANDLE])
    assert e.sub_errors == [{
        "ErrorCode": "ReceiptHandleError",
        "ErrorMessage": "The receipt handle you provide is not valid.",
        "ReceiptHandle": DOC_HANDLE,
    }]
    assert queue.get_attributes().inactive_messages == 0  # the three real handles deleted


# ---- Python SDK: test/client fixtures and sample/queue ----

FIXTURE_TEXT = "I am 测试字符串."


def test_python_fixture_md5s(new_queue):
    # test_receive_message.py / test_peek_message.py: the live answers' MD5s for the same text
    # sent raw (9D75…) and base64-encoded (A9B1…).
    plain = raw_queue(new_queue)
    assert plain.send_message(Message(FIXTURE_TEXT)).message_body_md5 == "9D75198CAA17528AB23790C1861987AF"
    assert plain.peek_message().message_body == FIXTURE_TEXT
    got = plain.receive_message(wait_seconds=1)
    assert (got.message_body, got.dequeue_count) == (FIXTURE_TEXT, 1)
    # The fixture's FirstDequeueTime / NextVisibleTime are the receive time and that plus the
    # visibility timeout (30 s here), all in epoch milliseconds.
    assert got.next_visible_time - got.first_dequeue_time == 30_000
    assert got.enqueue_time <= got.first_dequeue_time

    encoded = new_queue()
    assert encoded.send_message(Message(FIXTURE_TEXT)).message_body_md5 == "A9B134C465C384F49EB89A6E3870D996"
    assert encoded.receive_message(wait_seconds=1).message_body == FIXTURE_TEXT.encode("utf-8")


def test_python_receive_undecoded_base64(new_queue):
    # test_receive_base64_message_not_decode: a base64 body read without decoding is the text
    # as sent; a raw body read with decoding fails on the client, not the server.
    queue = new_queue()
    queue.send_message(Message(FIXTURE_TEXT))
    queue.set_encoding(False)
    got = queue.receive_message(wait_seconds=1)
    assert got.message_body == base64.b64encode(FIXTURE_TEXT.encode("utf-8")).decode()


def test_python_sample_recv_and_del_loop(new_queue):
    # sample/queue/recv_and_del_message.py: receive with a long poll and delete until the
    # queue answers MessageNotExist.
    queue = new_queue()
    queue.batch_send_message([Message(f"m{i}") for i in range(5)])
    seen = []
    while True:
        try:
            msg = queue.receive_message_with_str_body(1)
        except MNSServerException as e:
            assert e.type == "MessageNotExist"
            break
        seen.append(msg.message_body)
        queue.delete_message(msg.receipt_handle)
    assert sorted(seen) == [f"m{i}" for i in range(5)]


def test_python_sample_set_attributes(new_queue):
    # sample/queue/set_attributes.py's exact values.
    queue = new_queue()
    queue.set_attributes(QueueMeta(max_msg_size=1024 * 30, vis_timeout=30, msg_ttl=60 * 30,
                                   delay_sec=10, polling_wait_sec=10))
    got = queue.get_attributes()
    assert (got.maximum_message_size, got.visibility_timeout, got.message_retention_period,
            got.delay_seconds, got.polling_wait_seconds) == (30720, 30, 1800, 10, 10)


# ---- Java samples ----

def test_java_list_queue_demo_pages_by_marker(account, new_queue):
    # ListQueueDemo: listQueueURL(prefix, marker, 1) until the marker comes back empty.
    prefix = f"cloud-{uuid.uuid4().hex[:8]}"
    names = sorted(new_queue(prefix=prefix).queue_name for _ in range(3))
    urls, marker, pages = [], "", 0
    while True:
        page, marker = account.list_queue(prefix, 1, marker)
        urls += page
        pages += 1
        if not marker:
            break
    assert pages == 3
    assert [u.rsplit("/", 1)[1] for u in urls] == names


def test_java_create_queue_demo(new_queue):
    # CreateQueueDemo: PollingWaitSeconds 30, everything else MNS's defaults.
    got = new_queue(polling_wait_seconds=30).get_attributes()
    assert (got.polling_wait_seconds, got.visibility_timeout, got.maximum_message_size,
            got.message_retention_period, got.delay_seconds) == (30, 30, 65536, 345600, 0)


def test_java_transaction_queue_commit_and_rollback(new_queue):
    # TransactionQueue: a prepared message is sent with a long delay and its send answer's
    # ReceiptHandle; commit = ChangeMessageVisibility(handle, 1); rollback = DeleteMessage(handle);
    # the operation log message is confirmed by deleting it with its own send handle.
    queue = new_queue(delay_seconds=600)
    op_log = new_queue()

    prepared = queue.send_message(Message("commit-me"))
    assert prepared.receipt_handle
    log = op_log.send_message(Message(prepared.receipt_handle, delay_seconds=600))
    committed = queue.change_message_visibility(prepared.receipt_handle, 1)
    assert committed.receipt_handle
    op_log.delete_message(log.receipt_handle)
    got = queue.receive_message_with_str_body(5)
    assert (got.message_body, got.dequeue_count) == ("commit-me", 1)
    queue.delete_message(got.receipt_handle)

    rolled = queue.send_message(Message("roll-me-back"))
    queue.delete_message(rolled.receipt_handle)
    # A second rollback finds nothing: the SDK treats MessageNotExist as done.
    assert server_error(queue.delete_message, rolled.receipt_handle).type == "MessageNotExist"
    got = queue.get_attributes()
    assert (got.delay_messages, got.active_messages) == (0, 0)
    assert op_log.get_attributes().delay_messages == 0


def test_java_receive_demo_long_polling_batch(new_queue):
    # ReceiveMessageDemo: batchPopMessage(15, 15) answers at once when messages are there.
    queue = new_queue()
    queue.batch_send_message([Message(f"b{i}") for i in range(4)])
    started = time.monotonic()
    got = queue.batch_receive_message_with_str_body(15, 15)
    assert sorted(m.message_body for m in got) == [f"b{i}" for i in range(4)]
    assert time.monotonic() - started < 10  # did not sit out the 15 s wait
    queue.batch_delete_message([m.receipt_handle for m in got])


# ---- Node test/client.test.js ----

def test_node_queue_walk(endpoint, new_queue):
    queue = new_queue()
    path = f"/queues/{queue.queue_name}"
    # createQueue: 2xx with Location http://{host}/queues/{name}; again with the same
    # attributes: 204, Location still there.
    host = endpoint.split("://", 1)[1]
    status, headers, _ = raw(endpoint, "PUT", path, b"")
    assert (status, headers["location"]) == (204, f"http://{host}{path}")
    # setQueueAttributes with nothing: 204.
    status, _, body = raw(endpoint, "PUT", path + "?metaoverride=true",
                          b'<?xml version="1.0" encoding="UTF-8"?><Queue xmlns="http://mns.aliyuncs.com/doc/v1/"/>')
    assert (status, body) == (204, "")
    queue.set_encoding(False)
    queue.send_message(Message("just test it"))
    peeked = queue.peek_message()
    assert peeked.message_body == "just test it"
    got = queue.receive_message(10)
    assert got.receipt_handle and got.next_visible_time > got.first_dequeue_time
    queue.delete_message(got.receipt_handle)


# ---- Go request shapes (no namespace, every field present) ----

GO_QUEUE = ("<Queue><DelaySeconds>0</DelaySeconds><MaximumMessageSize>65536</MaximumMessageSize>"
            "<MessageRetentionPeriod>345600</MessageRetentionPeriod><VisibilityTimeout>30</VisibilityTimeout>"
            "<PollingWaitSeconds>0</PollingWaitSeconds></Queue>").encode()


def test_go_create_simple_queue_twice(endpoint, account):
    # CreateSimpleQueue sends MNS's defaults; the second call's 204 is Go's
    # ERR_MNS_QUEUE_ALREADY_EXIST_AND_HAVE_SAME_ATTR, a different value is 409.
    name = f"go-{uuid.uuid4().hex[:12]}"
    path = f"/queues/{name}"
    try:
        assert raw(endpoint, "PUT", path, GO_QUEUE)[0] == 201
        assert raw(endpoint, "PUT", path, GO_QUEUE)[0] == 204
        status, _, body = raw(endpoint, "PUT", path, GO_QUEUE.replace(b">30<", b">31<"))
        assert (status, error_of(body)) == (
            409, ("QueueAlreadyExist", "The queue you want to create is already exist."))
    finally:
        account.get_queue(name).delete()


def test_go_send_and_batch_peek_shapes(endpoint, new_queue):
    # Go sends Priority and DelaySeconds 0 when unset; it batch-peeks with numOfMessages first
    # and QueryEscapes the handle it deletes with.
    queue = raw_queue(new_queue)
    path = f"/queues/{queue.queue_name}/messages"
    body = b"<Message><MessageBody>go</MessageBody><DelaySeconds>0</DelaySeconds><Priority>0</Priority></Message>"
    assert raw(endpoint, "POST", path, body, {"Content-Type": "application/xml"})[0] == 201
    status, _, text = raw(endpoint, "GET", path + "?numOfMessages=16&peekonly=true")
    assert status == 200 and text.count("<Message>") == 1 and "<Priority>8</Priority>" in text
    got = queue.receive_message(1)
    status, _, _ = raw(endpoint, "DELETE", path + "?ReceiptHandle=" + quote_plus(got.receipt_handle))
    assert status == 204
