"""Message operations through QueueClient: send, receive, peek, update, delete, clear."""
import time
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.queue import BinaryBase64DecodePolicy, BinaryBase64EncodePolicy, QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy

from conftest import CONN


def test_send_receive_delete(queue):
    sent = queue.send_message("hello <world> & friends")
    assert sent.id and sent.pop_receipt
    assert sent.inserted_on <= sent.next_visible_on < sent.expires_on
    assert sent.expires_on - sent.inserted_on == timedelta(days=7)
    msgs = list(queue.receive_messages(max_messages=5, visibility_timeout=30))
    assert len(msgs) == 1
    m = msgs[0]
    assert m.content == "hello <world> & friends"
    assert m.dequeue_count == 1
    assert m.id == sent.id
    assert m.next_visible_on > datetime.now(timezone.utc) + timedelta(seconds=20)
    assert list(queue.receive_messages()) == []  # invisible now
    queue.delete_message(m)
    assert queue.get_queue_properties().approximate_message_count == 0


def test_receive_batch_and_peek(queue):
    for i in range(40):
        queue.send_message(f"m{i}")
    peeked = queue.peek_messages(max_messages=32)
    assert [p.content for p in peeked] == [f"m{i}" for i in range(32)]
    assert all(p.dequeue_count == 0 and p.pop_receipt is None for p in peeked)
    got = list(queue.receive_messages(messages_per_page=32, max_messages=32))
    assert len(got) == 32
    assert [g.content for g in got] == [f"m{i}" for i in range(32)]
    assert [p.content for p in queue.peek_messages(max_messages=32)] == [f"m{i}" for i in range(32, 40)]
    with pytest.raises(ValueError):
        queue.peek_messages(max_messages=33)  # the SDK checks 1..32 itself


def test_visibility_on_put_and_ttl_never(queue):
    sent = queue.send_message("later", visibility_timeout=2, time_to_live=-1)
    assert sent.expires_on.year == 9999
    assert list(queue.receive_messages()) == []
    assert queue.peek_messages() == []
    time.sleep(2.2)
    got = list(queue.receive_messages())
    assert [g.content for g in got] == ["later"]


def test_ttl_expiry(queue):
    queue.send_message("short", time_to_live=1)
    time.sleep(1.3)
    assert queue.peek_messages() == []


def test_update_message_content_and_visibility(queue):
    queue.send_message("v1")
    m = next(iter(queue.receive_messages(visibility_timeout=30)))
    updated = queue.update_message(m, content="v2", visibility_timeout=0)
    assert updated.pop_receipt and updated.pop_receipt != m.pop_receipt
    got = next(iter(queue.receive_messages()))
    assert got.content == "v2"
    assert got.dequeue_count == 2
    # The old pop receipt is stale: Azure answers 404 MessageNotFound.
    with pytest.raises(ResourceNotFoundError) as e:
        queue.delete_message(m.id, m.pop_receipt)
    assert e.value.error_code == "MessageNotFound"
    # Visibility-only update keeps content.
    upd = queue.update_message(got.id, got.pop_receipt, visibility_timeout=0)
    again = next(iter(queue.receive_messages()))
    assert again.content == "v2"
    queue.delete_message(again)
    assert upd.next_visible_on is not None


def test_put_pop_receipt_deletes(queue):
    sent = queue.send_message("x")
    queue.delete_message(sent.id, sent.pop_receipt)
    assert queue.peek_messages() == []


def test_clear_messages(queue):
    for i in range(5):
        queue.send_message(str(i))
    queue.clear_messages()
    assert queue.get_queue_properties().approximate_message_count == 0


def test_base64_policies(queue):
    q = QueueClient.from_connection_string(
        CONN, queue.queue_name, message_encode_policy=TextBase64EncodePolicy(), message_decode_policy=TextBase64DecodePolicy(), retry_total=0
    )
    q.send_message("ünïcode <b64>")
    assert next(iter(q.receive_messages())).content == "ünïcode <b64>"
    b = QueueClient.from_connection_string(
        CONN, queue.queue_name, message_encode_policy=BinaryBase64EncodePolicy(), message_decode_policy=BinaryBase64DecodePolicy(), retry_total=0
    )
    b.send_message(b"\x00\x01\xff")
    assert b.peek_messages()[0].content == b"\x00\x01\xff"


def test_message_size_limit(queue):
    queue.send_message("a" * 65536)
    with pytest.raises(HttpResponseError) as e:
        queue.send_message("a" * 65537)
    assert e.value.status_code == 413
    assert e.value.error_code == "RequestBodyTooLarge"


def test_range_errors(queue):
    with pytest.raises(HttpResponseError) as e:
        queue.send_message("x", visibility_timeout=604801)
    assert e.value.error_code == "OutOfRangeQueryParameterValue"
    with pytest.raises(HttpResponseError) as e:
        queue.send_message("x", visibility_timeout=10, time_to_live=5)
    assert e.value.error_code == "InvalidQueryParameterValue"
    with pytest.raises(HttpResponseError) as e:
        list(queue.receive_messages(visibility_timeout=0))
    assert e.value.error_code == "OutOfRangeQueryParameterValue"
    with pytest.raises(HttpResponseError) as e:
        queue.delete_message("00000000-0000-4000-8000-000000000001", "not-a-receipt")
    assert e.value.error_code == "InvalidQueryParameterValue"
