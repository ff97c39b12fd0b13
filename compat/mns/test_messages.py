"""Message operations through the official SDK: send/batch send (priority, delay, user
properties), receive/batch receive with long polling, peek, delete/batch delete (with a
partial failure) and change visibility."""

import hashlib
import threading
import time

import pytest
from mns.account import Account
from mns.message_property import MessagePropertyValue, PropertyType
from mns.mns_exception import MNSServerException
from mns.queue import Message


def md5_upper(text):
    return hashlib.md5(text.encode()).hexdigest().upper()


def test_send_receive_delete(new_queue):
    queue = new_queue()
    sent = queue.send_message(Message("hello <polyq> & MNS"))
    assert sent.message_id
    # The SDK base64-encodes the body; MNS reports the MD5 of the text as sent.
    assert sent.message_body_md5 == md5_upper("aGVsbG8gPHBvbHlxPiAmIE1OUw==")

    before_ms = int(time.time() * 1000)
    got = queue.receive_message(wait_seconds=1)
    assert got.message_body == b"hello <polyq> & MNS"
    assert got.message_id == sent.message_id
    assert got.message_body_md5 == sent.message_body_md5
    assert got.dequeue_count == 1
    assert got.priority == 8
    assert got.enqueue_time <= got.first_dequeue_time
    assert before_ms + 25_000 < got.next_visible_time < before_ms + 35_000
    assert got.receipt_handle

    meta = queue.get_attributes()
    assert (meta.active_messages, meta.inactive_messages) == (0, 1)
    queue.delete_message(got.receipt_handle)
    with pytest.raises(MNSServerException) as e:
        queue.receive_message(wait_seconds=0)
    assert e.value.type == "MessageNotExist"


def test_str_body_round_trip(new_queue):
    queue = new_queue()
    queue.set_encoding(False)
    queue.send_message(Message("plain text, not base64"))
    got = queue.receive_message_with_str_body(wait_seconds=1)
    assert got.message_body == "plain text, not base64"


def test_priority_decides_order(new_queue):
    queue = new_queue()
    for body, prio in [("p16", 16), ("p8", 8), ("p1", 1), ("p3", 3)]:
        queue.send_message(Message(body, priority=prio))
    got = queue.batch_receive_message(16, wait_seconds=1)
    assert [m.message_body for m in got] == [b"p1", b"p3", b"p8", b"p16"]
    assert [m.priority for m in got] == [1, 3, 8, 16]


def test_delay_message_overrides_queue(new_queue):
    queue = new_queue(delay_seconds=60)
    queue.send_message(Message("inherits-60s"))
    queue.send_message(Message("immediate", delay_seconds=0))
    queue.send_message(Message("one-second", delay_seconds=1))
    meta = queue.get_attributes()
    assert (meta.active_messages, meta.delay_messages) == (1, 2)
    first = queue.receive_message(wait_seconds=0)
    assert first.message_body == b"immediate"
    second = queue.receive_message(wait_seconds=5)  # long poll wakes when the delay ends
    assert second.message_body == b"one-second"
    with pytest.raises(MNSServerException) as e:
        queue.receive_message(wait_seconds=0)
    assert e.value.type == "MessageNotExist"


def test_batch_send_and_batch_receive(new_queue):
    queue = new_queue()
    msgs = [Message(f"m{i}", priority=(i % 16) + 1) for i in range(16)]
    sent = queue.batch_send_message(msgs)
    assert len(sent) == 16
    assert all(m.message_id and m.message_body_md5 for m in sent)
    received = []
    for _ in range(20):  # bounded
        if len(received) == 16:
            break
        received += queue.batch_receive_message(16, wait_seconds=1)
    assert sorted(m.message_body for m in received) == sorted(f"m{i}".encode() for i in range(16))
    assert len({m.receipt_handle for m in received}) == 16


def test_batch_send_partial_failure(new_queue):
    queue = new_queue()
    msgs = [Message("good-1"), Message("bad", priority=99), Message("good-2")]
    with pytest.raises(MNSServerException) as e:
        queue.batch_send_message(msgs)
    assert e.value.type == "InvalidArgument"
    entries = e.value.sub_errors
    assert [sorted(x) for x in entries] == [
        ["MessageBodyMD5", "MessageId"],
        ["ErrorCode", "ErrorMessage"],
        ["MessageBodyMD5", "MessageId"],
    ]
    assert queue.get_attributes().active_messages == 2


def test_long_poll_wakes_on_send(new_queue, endpoint):
    queue = new_queue()
    # A second Account: one SDK client holds one HTTP connection and is not thread-safe.
    other = Account(endpoint, "any-access-key-id", "any-secret").get_queue(queue.queue_name)

    def later():
        time.sleep(0.5)
        other.send_message(Message("late"))

    t = threading.Thread(target=later)
    t.start()
    start = time.monotonic()
    got = queue.receive_message(wait_seconds=10)
    t.join(timeout=10)
    assert got.message_body == b"late"
    assert time.monotonic() - start < 5


def test_long_poll_times_out(new_queue):
    queue = new_queue()
    start = time.monotonic()
    with pytest.raises(MNSServerException) as e:
        queue.batch_receive_message(4, wait_seconds=1)
    assert e.value.type == "MessageNotExist"
    assert 0.8 < time.monotonic() - start < 5


def test_peek_and_batch_peek(new_queue):
    queue = new_queue()
    with pytest.raises(MNSServerException) as e:
        queue.peek_message()
    assert e.value.type == "MessageNotExist"
    queue.send_message(Message("a", priority=2))
    queue.send_message(Message("b", priority=5))
    peeked = queue.peek_message()
    assert peeked.message_body == b"a"
    assert peeked.dequeue_count == 0
    batch = queue.batch_peek_message(16)
    assert [m.message_body for m in batch] == [b"a", b"b"]
    assert queue.get_attributes().active_messages == 2  # peek changes nothing


def test_batch_delete_with_partial_failure(new_queue):
    queue = new_queue()
    for i in range(3):
        queue.send_message(Message(f"d{i}"))
    got = queue.batch_receive_message(3, wait_seconds=1)
    handles = [m.receipt_handle for m in got]
    queue.batch_delete_message(handles[:2])
    with pytest.raises(MNSServerException) as e:
        queue.batch_delete_message([handles[2], handles[0], "not-a-handle"])
    errors = e.value.sub_errors
    assert [x["ReceiptHandle"] for x in errors] == [handles[0], "not-a-handle"]
    assert [x["ErrorCode"] for x in errors] == ["MessageNotExist", "ReceiptHandleError"]
    meta = queue.get_attributes()
    assert (meta.active_messages, meta.inactive_messages) == (0, 0)


def test_change_visibility(new_queue):
    queue = new_queue()
    queue.send_message(Message("cv"))
    got = queue.receive_message(wait_seconds=1)
    before_ms = int(time.time() * 1000)
    changed = queue.change_message_visibility(got.receipt_handle, 1)
    assert changed.receipt_handle
    assert before_ms <= int(changed.next_visible_time) <= before_ms + 3000
    again = queue.receive_message(wait_seconds=5)
    assert again.dequeue_count == 2
    with pytest.raises(MNSServerException) as e:
        queue.delete_message(got.receipt_handle)  # the new receive retired it
    assert e.value.type == "ReceiptHandleError"
    queue.delete_message(again.receipt_handle)


def test_user_properties(new_queue):
    queue = new_queue()
    msg = Message("with-props")
    msg.add_user_property("color", MessagePropertyValue(PropertyType.STRING, "blue"))
    msg.add_user_property("size", MessagePropertyValue(PropertyType.NUMBER, 42))
    msg.add_user_property("ok", MessagePropertyValue(PropertyType.BOOLEAN, True))
    msg.add_user_property("raw", MessagePropertyValue(PropertyType.BINARY, b"\x00\x01"))
    queue.send_message(msg)
    got = queue.receive_message(wait_seconds=1)
    props = got.get_user_properties()
    assert set(props) == {"color", "size", "ok", "raw"}
    assert props["color"].get_data_type() == PropertyType.STRING
    assert props["size"].get_data_type() == PropertyType.NUMBER
    assert props["ok"].get_data_type() == PropertyType.BOOLEAN
    assert props["raw"].get_binary_value() == b"\x00\x01"


def test_user_property_limits_are_refused(new_queue):
    """MNS's documented limits (its "Message properties" page): the SDK checks types and
    values, not names or counts, so these reach the server."""
    queue = new_queue()
    refused = [
        {f"p{i}": "v" for i in range(51)},
        {"a b": "v"},
        {"a..b": "v"},
        {".a": "v"},
        {"n" * 257: "v"},
        {"big": "v" * 4097},
    ]
    for props in refused:
        msg = Message("limits")
        for name, value in props.items():
            msg.add_user_property(name, MessagePropertyValue(PropertyType.STRING, value))
        with pytest.raises(MNSServerException) as e:
            queue.send_message(msg)
        assert e.value.type == "InvalidArgument", props.keys()
    ok = Message("limits")
    for i in range(50):
        ok.add_user_property(f"p{i}", MessagePropertyValue(PropertyType.STRING, "v"))
    ok.add_user_property("a-b_c.d", MessagePropertyValue(PropertyType.BOOLEAN, False))
    with pytest.raises(MNSServerException):
        queue.send_message(ok)  # 51 in all
    del ok.user_properties["p0"]
    queue.send_message(ok)
    got = queue.receive_message(wait_seconds=1)
    assert len(got.get_user_properties()) == 50


def test_message_group_id_is_kept_and_shown_back(new_queue):
    """SDK 1.3.0 sends MessageGroupId and reads it back from ReceiveMessage answers (its send
    and peek results do not copy it); polyq keeps it with the message (no FIFO ordering)."""
    queue = new_queue()
    queue.set_encoding(False)
    # (The SDK's send result does not copy MessageGroupId over from the answer.)
    queue.send_message(Message("grouped", message_group_id="orders-7"))
    queue.send_message(Message("plain"))
    got = {m.message_body: m.message_group_id for m in queue.batch_receive_message(16)}
    assert got == {"grouped": "orders-7", "plain": ""}
    # The batch send's result does carry each entry's group (its decoder reads it).
    sent = queue.batch_send_message([Message("b1", message_group_id="orders-8"), Message("b2")])
    assert [m.message_group_id for m in sent] == ["orders-8", ""]
