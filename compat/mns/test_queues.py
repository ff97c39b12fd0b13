"""Queue management through the official SDK: create, attributes, list, delete."""

import pytest
from mns.mns_exception import MNSServerException
from mns.mns_request import ListQueueRequest, ListQueueResponse
from mns.queue import QueueMeta


def test_create_returns_url_and_defaults(account, new_queue, endpoint):
    queue = new_queue()
    meta = queue.get_attributes()
    assert meta.queue_name == queue.queue_name
    assert meta.visibility_timeout == 30
    assert meta.maximum_message_size == 65536
    assert meta.message_retention_period == 345600
    assert meta.delay_seconds == 0
    assert meta.polling_wait_seconds == 0
    assert meta.logging_enabled is False
    assert meta.active_messages == meta.inactive_messages == meta.delay_messages == 0
    assert 1_500_000_000 < meta.create_time < 10_000_000_000  # seconds
    assert meta.last_modify_time >= meta.create_time

    # Creating again with the same attributes succeeds (204) and returns the URL again.
    url = queue.create(QueueMeta())
    assert url == f"{endpoint}/queues/{queue.queue_name}"


def test_create_with_attributes_then_conflict(new_queue):
    queue = new_queue(visibility_timeout=60, maximum_message_size=2048, message_retention_period=3600,
                      delay_seconds=2, polling_wait_seconds=5, logging_enabled=True)
    meta = queue.get_attributes()
    assert (meta.visibility_timeout, meta.maximum_message_size, meta.message_retention_period) == (60, 2048, 3600)
    assert (meta.delay_seconds, meta.polling_wait_seconds, meta.logging_enabled) == (2, 5, True)

    different = QueueMeta()
    different.set_visibilitytimeout(61)
    with pytest.raises(MNSServerException) as e:
        queue.create(different)
    assert e.value.type == "QueueAlreadyExist"


def test_set_attributes(new_queue):
    queue = new_queue()
    meta = QueueMeta()
    meta.set_visibilitytimeout(100)
    meta.set_polling_wait_seconds(2)
    meta.set_logging_enabled(True)
    queue.set_attributes(meta)
    got = queue.get_attributes()
    assert (got.visibility_timeout, got.polling_wait_seconds, got.logging_enabled) == (100, 2, True)
    assert got.maximum_message_size == 65536  # untouched


def test_delete_queue(account):
    queue = account.get_queue("compat-delete-me")
    queue.create(QueueMeta())
    queue.delete()
    with pytest.raises(MNSServerException) as e:
        queue.get_attributes()
    assert e.value.type == "QueueNotExist"
    assert e.value.request_id


def test_list_queue_with_prefix_and_marker(account, new_queue):
    names = sorted(new_queue(prefix="compatlist").queue_name for _ in range(5))
    urls, marker = account.list_queue(prefix="compatlist", ret_number=2)
    assert len(urls) == 2 and marker
    seen = list(urls)
    for _ in range(5):  # bounded paging
        if not marker:
            break
        urls, marker = account.list_queue(prefix="compatlist", ret_number=2, marker=marker)
        seen.extend(urls)
    assert [u.rsplit("/", 1)[1] for u in seen] == names
    urls, marker = account.list_queue(prefix="compatlist")
    assert len(urls) == 5 and marker == ""


def test_list_queue_with_meta(account, new_queue):
    queue = new_queue(prefix="compatmeta", visibility_timeout=45)
    req = ListQueueRequest(prefix="compatmeta", with_meta=True)
    resp = ListQueueResponse()
    account.mns_client.list_queue(req, resp)
    assert len(resp.queuemeta_list) == 1
    meta = resp.queuemeta_list[0]
    assert meta["QueueName"] == queue.queue_name
    assert meta["VisibilityTimeout"] == "45"
    assert meta["QueueURL"].endswith("/queues/" + queue.queue_name)


def test_account_attributes_are_kept(account):
    from mns.account import AccountMeta

    assert account.get_attributes().logging_bucket in ("", None)
    try:
        account.set_attributes(AccountMeta("polyq-logs"))
        assert account.get_attributes().logging_bucket == "polyq-logs"
    finally:
        account.set_attributes(AccountMeta(""))
    assert account.get_attributes().logging_bucket in ("", None)
