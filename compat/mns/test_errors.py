"""Errors surface through the SDK as MNSServerException (an MNSExceptionBase) with MNS's
codes; signatures are verified on the enforce-mode server."""

import pytest
from mns.account import Account
from mns.mns_exception import MNSExceptionBase, MNSServerException
from mns.queue import Message, QueueMeta

from conftest import ENFORCE_KEY_ID, ENFORCE_SECRET


def server_error(fn, *args):
    with pytest.raises(MNSExceptionBase) as e:
        fn(*args)
    assert isinstance(e.value, MNSServerException), e.value
    assert e.value.request_id
    return e.value


def test_missing_queue(account):
    queue = account.get_queue("compat-never-created")
    for call in (queue.get_attributes, queue.peek_message):
        assert server_error(call).type == "QueueNotExist"
    assert server_error(queue.send_message, Message("x")).type == "QueueNotExist"
    assert server_error(queue.receive_message, 0).type == "QueueNotExist"


def test_invalid_arguments(new_queue, account):
    queue = new_queue(maximum_message_size=1024)
    e = server_error(queue.send_message, Message("x", priority=17))
    assert (e.type, e.message) == ("InvalidArgument", "The value of Priority should between 1 and 16.")
    e = server_error(queue.send_message, Message("x", delay_seconds=604801))
    assert e.type == "InvalidArgument"
    assert server_error(queue.send_message, Message("x" * 2000)).type == "InvalidArgument"
    assert server_error(queue.receive_message, 31).type == "InvalidArgument"
    assert server_error(queue.batch_receive_message, 17).type == "InvalidArgument"
    bad = QueueMeta()
    bad.set_visibilitytimeout(43201)
    assert server_error(queue.set_attributes, bad).type == "InvalidArgument"
    assert server_error(queue.change_message_visibility, "bogus-handle", 10).type == "ReceiptHandleError"
    assert server_error(queue.delete_message, "bogus-handle").type == "ReceiptHandleError"
    assert server_error(account.get_queue("bad_name").create, QueueMeta()).type == "InvalidQueueName"


def test_enforce_mode_accepts_a_valid_signature(enforce_endpoint):
    account = Account(enforce_endpoint, ENFORCE_KEY_ID, ENFORCE_SECRET)
    queue = account.get_queue("compat-signed")
    queue.create(QueueMeta())
    queue.send_message(Message("signed"))
    got = queue.receive_message(wait_seconds=1)
    # The handle travels unescaped in the query of a signed DELETE.
    queue.delete_message(got.receipt_handle)
    queue.delete()


def test_enforce_mode_rejects_bad_credentials(enforce_endpoint):
    wrong_secret = Account(enforce_endpoint, ENFORCE_KEY_ID, "not-the-secret")
    e = server_error(wrong_secret.get_queue("compat-x").get_attributes)
    assert e.type == "SignatureDoesNotMatch"
    unknown = Account(enforce_endpoint, "nobody", ENFORCE_SECRET)
    assert server_error(unknown.get_queue("compat-x").get_attributes).type == "InvalidAccessKeyId"
