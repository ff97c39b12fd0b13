"""Scenarios of the Python SDK's own test suite (azure-storage-queue tests/: test_queue.py,
test_queue_encodings.py, test_queue_service_properties.py, test_queue_service_stats.py), which
Microsoft records against a live account, checked against polyq with our own tests: message
encodings, receive paging, time-to-live edge cases, access policies, listing pages, SAS of each
permission, service properties validation and the error codes the SDK maps. None sleeps."""
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.credentials import AzureNamedKeyCredential, AzureSasCredential
from azure.core.exceptions import DecodeError, HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import (
    AccessPolicy,
    AccountSasPermissions,
    BinaryBase64DecodePolicy,
    BinaryBase64EncodePolicy,
    CorsRule,
    Metrics,
    QueueAnalyticsLogging,
    QueueClient,
    QueueSasPermissions,
    QueueServiceClient,
    ResourceTypes,
    RetentionPolicy,
    TextBase64DecodePolicy,
    TextBase64EncodePolicy,
    generate_account_sas,
    generate_queue_sas,
)

from conftest import ACCOUNT, CONN, KEY, endpoint


def _client(queue, **kw):
    return QueueClient.from_connection_string(CONN, queue.queue_name, retry_total=0, **kw)


def _soon():
    return datetime.now(timezone.utc) + timedelta(hours=1)


def _ago():
    return datetime.now(timezone.utc) - timedelta(minutes=5)


# --- messages: receive, peek, paging -------------------------------------------------------


def test_receive_one_message_and_empty_queue(queue):
    assert queue.receive_message() is None
    for i in range(3):
        queue.send_message(f"message{i + 1}")
    first, second = queue.receive_message(), queue.receive_message()
    assert (first.content, first.dequeue_count) == ("message1", 1)
    assert (second.content, second.dequeue_count) == ("message2", 1)
    peeked = queue.peek_messages()[0]
    assert (peeked.content, peeked.dequeue_count, peeked.pop_receipt, peeked.next_visible_on) == ("message3", 0, None, None)


def test_receive_with_max_messages_and_remainder(queue):
    for i in range(12):
        queue.send_message(f"message{i + 1}")
    got = list(queue.receive_messages(messages_per_page=3, max_messages=10))
    assert len(got) == 10
    assert all(m.dequeue_count == 1 and m.pop_receipt and m.next_visible_on for m in got)
    assert [m.content for m in queue.receive_messages()] == ["message11", "message12"]


def test_receive_with_too_few_messages_and_visibility(queue):
    for i in range(5):
        queue.send_message(f"message{i + 1}")
    got = list(queue.receive_messages(max_messages=10, messages_per_page=4, visibility_timeout=20))
    assert len(got) == 5
    now = datetime.now(timezone.utc)
    assert all(now + timedelta(seconds=10) < m.next_visible_on <= now + timedelta(seconds=21) for m in got)


def test_update_through_the_same_pager(queue):
    queue.send_message("message1")
    pager = queue.receive_messages()
    first = next(pager)
    updated = queue.update_message(first.id, pop_receipt=first.pop_receipt, visibility_timeout=0, content="new text")
    assert updated.content == "new text" and isinstance(updated.next_visible_on, datetime)
    again = next(pager)
    assert (again.id, again.content, again.dequeue_count) == (first.id, "new text", 2)
    assert again.inserted_on == first.inserted_on and again.expires_on == first.expires_on


def test_update_with_the_put_receipt_of_an_invisible_message(queue):
    # JS messageidclient "update visibility timeout only preserve content": no body, vt 0.
    sent = queue.send_message("foo", visibility_timeout=10)
    queue.update_message(sent.id, sent.pop_receipt, visibility_timeout=0)
    got = queue.receive_message()
    assert (got.id, got.content) == (sent.id, "foo")


def test_update_to_empty_content(queue):
    sent = queue.send_message("hello")
    upd = queue.update_message(sent.id, sent.pop_receipt, visibility_timeout=0, content="")
    assert queue.peek_messages()[0].content == ""
    queue.delete_message(sent.id, upd.pop_receipt)
    assert queue.peek_messages() == []


def test_delete_with_another_message_s_pop_receipt(queue):
    sent = queue.send_message("x")
    other = queue.send_message("y")
    with pytest.raises(HttpResponseError) as e:
        queue.delete_message(sent.id, other.pop_receipt)
    assert (e.value.status_code, e.value.error_code) == (400, "PopReceiptMismatch")
    assert len(queue.peek_messages(max_messages=5)) == 2


# --- time to live --------------------------------------------------------------------------


def test_large_time_to_live_has_no_upper_bound(queue):
    queue.send_message("message1", time_to_live=1024 * 1024 * 1024)
    m = queue.peek_messages()[0]
    assert m.expires_on >= m.inserted_on + timedelta(seconds=1024 * 1024 * 1024 - 3600)


def test_infinite_time_to_live_on_peek_and_receive(queue):
    queue.send_message("message1", time_to_live=-1)
    assert queue.peek_messages()[0].expires_on.year == 9999
    assert queue.receive_message().expires_on.year == 9999


@pytest.mark.parametrize("ttl", [0, -2])
def test_time_to_live_zero_or_below_minus_one_is_out_of_range(queue, ttl):
    with pytest.raises(HttpResponseError) as e:
        queue.send_message("x", time_to_live=ttl)
    # "-1 or any positive number"; no recording of Azure's answer to other values exists, so
    # polyq answers as Azurite's MessagesHandler does (InvalidQueryParameterValue).
    assert (e.value.status_code, e.value.error_code) == (400, "InvalidQueryParameterValue")


def test_receive_visibility_may_exceed_time_to_live(queue):
    queue.send_message("x", time_to_live=40)
    assert queue.receive_message(visibility_timeout=60).content == "x"


# --- encodings (test_queue_encodings.py) ---------------------------------------------------


@pytest.mark.parametrize("text", ["<message1>", "  mess\t age1\n", "message1㚈", "啊齄丂狛狜", "a&b \"c\" 'd' ]]> &amp;"])
def test_plain_text_round_trips_exactly(queue, text):
    queue.send_message(text)
    assert queue.peek_messages()[0].content == text
    got = queue.receive_message()
    assert got.content == text
    queue.update_message(got, content=text + "!", visibility_timeout=0)
    assert queue.receive_message().content == text + "!"


def test_plain_text_with_a_control_character_is_refused(queue):
    # XML 1.0 cannot carry U+0001; Azure answers 400 InvalidXmlDocument.
    with pytest.raises(HttpResponseError) as e:
        queue.send_message("\u0001")
    assert (e.value.status_code, e.value.error_code) == (400, "InvalidXmlDocument")
    assert queue.peek_messages() == []


def test_base64_policies_carry_control_characters_and_bytes(queue):
    text = _client(queue, message_encode_policy=TextBase64EncodePolicy(), message_decode_policy=TextBase64DecodePolicy())
    text.send_message("\u0001")
    assert text.receive_message().content == "\u0001"
    binary = _client(queue, message_encode_policy=BinaryBase64EncodePolicy(), message_decode_policy=BinaryBase64DecodePolicy())
    binary.send_message(b"xyz")
    assert binary.receive_message().content == b"xyz"


def test_base64_decode_of_plain_text_fails_in_the_sdk(queue):
    queue.send_message("xyz")
    reader = _client(queue, message_decode_policy=BinaryBase64DecodePolicy())
    with pytest.raises(DecodeError) as e:
        reader.peek_messages()
    assert "Message content is not valid base 64" in str(e.value)


# --- queues, metadata, listing -------------------------------------------------------------


def test_create_with_options_and_message_count(service):
    q = service.get_queue_client("pyqueue" + datetime.now().strftime("%H%M%S%f"))
    q.create_queue(metadata={"val1": "test", "val2": "blah"})
    try:
        props = q.get_queue_properties()
        assert props.approximate_message_count == 0 and props.metadata == {"val1": "test", "val2": "blah"}
        q.send_message("message1")
        assert q.get_queue_properties().approximate_message_count >= 1
        with pytest.raises(ResourceExistsError) as e:
            q.create_queue(metadata={"val": "value"})
        assert e.value.error_code == "QueueAlreadyExists"
    finally:
        q.delete_queue()
    with pytest.raises(ResourceNotFoundError):
        q.delete_queue()


def test_set_queue_metadata_round_trip(queue):
    # The Python SDK suite's own names (mixed-case names keep their case: test_queues.py).
    queue.set_queue_metadata({"hello": "world", "number": "43"})
    assert queue.get_queue_properties().metadata == {"hello": "world", "number": "43"}


def test_unicode_queue_name_is_refused(service):
    with pytest.raises(HttpResponseError) as e:
        service.get_queue_client("啊齄丂狛狜").create_queue()
    assert e.value.status_code == 400
    assert e.value.error_code in ("InvalidResourceName", "OutOfRangeInput")


def test_list_queues_pages_and_metadata(service):
    prefix = "listqueue" + datetime.now().strftime("%H%M%S%f")
    names = [f"{prefix}{i}" for i in range(4)]
    for n in names:
        service.create_queue(n, metadata={"val1": "test", "val2": "blah"})
    try:
        pages = service.list_queues(name_starts_with=prefix, results_per_page=3).by_page()
        first = list(next(pages))
        assert [q.name for q in first] == names[:3]
        assert first[0].metadata is None
        assert pages.continuation_token
        rest = list(next(service.list_queues(name_starts_with=prefix, include_metadata=True).by_page(pages.continuation_token)))
        assert [q.name for q in rest] == names[3:]
        assert rest[0].metadata == {"val1": "test", "val2": "blah"}
        one = list(service.list_queues(name_starts_with=names[0], results_per_page=1, include_metadata=True))
        assert [(q.name, q.metadata["val1"]) for q in one] == [(names[0], "test")]
    finally:
        for n in names:
            service.delete_queue(n)


# --- access policies -----------------------------------------------------------------------


def test_access_policy_empty_and_missing_queue(service, queue):
    assert queue.get_queue_access_policy() == {}
    assert queue.set_queue_access_policy(signed_identifiers={}) is None
    assert queue.get_queue_access_policy() == {}
    missing = service.get_queue_client("missing" + datetime.now().strftime("%H%M%S%f"))
    with pytest.raises(ResourceNotFoundError) as e:
        missing.get_queue_access_policy()
    assert e.value.error_code == "QueueNotFound"
    with pytest.raises(ResourceNotFoundError):
        missing.set_queue_access_policy(signed_identifiers={})


def test_access_policy_identifier_without_policy(queue):
    queue.set_queue_access_policy(signed_identifiers={"empty": None})
    acl = queue.get_queue_access_policy()
    assert list(acl) == ["empty"]
    assert (acl["empty"].permission, acl["empty"].start, acl["empty"].expiry) == (None, None, None)


def test_access_policy_too_many_identifiers_is_refused_by_the_sdk(queue):
    with pytest.raises(ValueError):
        queue.set_queue_access_policy({f"id{i}": AccessPolicy() for i in range(16)})


def test_access_policy_with_an_account_permission_is_refused(queue):
    # JS queueclient.spec "setAccessPolicy negative": "rwdl" is not a queue permission set.
    with pytest.raises(HttpResponseError) as e:
        queue.set_queue_access_policy({"bad": AccessPolicy(permission="rwdl", expiry=_soon())})
    assert e.value.status_code == 400
    assert e.value.error_code in ("InvalidXmlNodeValue", "InvalidXmlDocument")


# --- credentials and SAS -------------------------------------------------------------------


def test_named_key_credential(queue):
    named = QueueClient(endpoint(), queue.queue_name, credential=AzureNamedKeyCredential(ACCOUNT, KEY), retry_total=0)
    named.send_message("message1")
    assert named.peek_messages()[0].content == "message1"


def test_account_sas_object_read_as_string_and_sas_credential(queue):
    queue.send_message("message1")
    token = generate_account_sas(ACCOUNT, KEY, ResourceTypes(object=True), AccountSasPermissions(read=True), _soon(), start=_ago())
    for credential in (token, AzureSasCredential(token)):
        svc = QueueServiceClient(endpoint(), credential=credential, retry_total=0)
        assert [m.content for m in svc.get_queue_client(queue.queue_name).peek_messages()] == ["message1"]


def test_account_sas_list_needs_service_resource_type(queue):
    token = generate_account_sas(ACCOUNT, KEY, ResourceTypes(service=True), AccountSasPermissions(list=True), _soon())
    svc = QueueServiceClient(endpoint(), credential=token, retry_total=0)
    assert queue.queue_name in [q.name for q in svc.list_queues()]


def _sas_queue(queue, **kw):
    token = generate_queue_sas(ACCOUNT, queue.queue_name, KEY, **kw)
    return QueueClient.from_queue_url(queue.url, credential=token, retry_total=0)


def test_queue_sas_read_add_update_process(queue):
    queue.send_message("message1")
    reader = _sas_queue(queue, permission=QueueSasPermissions(read=True), expiry=_soon(), start=_ago())
    assert [m.content for m in reader.peek_messages()] == ["message1"]
    with pytest.raises(HttpResponseError) as e:
        reader.send_message("no")
    assert (e.value.status_code, e.value.error_code) == (403, "AuthorizationPermissionMismatch")

    _sas_queue(queue, permission=QueueSasPermissions(add=True), expiry=_soon()).send_message("addedmessage")

    processor = _sas_queue(queue, permission=QueueSasPermissions(process=True), expiry=_soon())
    first = processor.receive_message()
    assert first.content == "message1"

    updater = _sas_queue(queue, permission=QueueSasPermissions(update=True), expiry=_soon())
    updater.update_message(first.id, pop_receipt=first.pop_receipt, visibility_timeout=0, content="updatedmessage1")
    assert sorted(m.content for m in queue.receive_messages(max_messages=5)) == ["addedmessage", "updatedmessage1"]


def test_queue_sas_through_a_signed_identifier(queue):
    policy = AccessPolicy(permission=QueueSasPermissions(read=True), start=datetime.now(timezone.utc) - timedelta(hours=1), expiry=_soon())
    queue.set_queue_access_policy({"testid": policy})
    queue.send_message("message1")
    via_policy = _sas_queue(queue, policy_id="testid")
    assert [m.content for m in via_policy.peek_messages()] == ["message1"]


def test_queue_sas_not_yet_valid_or_expired(queue):
    later = _sas_queue(queue, permission=QueueSasPermissions(read=True), start=_soon(), expiry=_soon() + timedelta(hours=1))
    with pytest.raises(HttpResponseError) as e:
        later.peek_messages()
    assert (e.value.status_code, e.value.error_code) == (403, "AuthenticationFailed")
    expired = _sas_queue(queue, permission=QueueSasPermissions(read=True), expiry=_ago())
    with pytest.raises(HttpResponseError) as e:
        expired.peek_messages()
    assert (e.value.status_code, e.value.error_code) == (403, "AuthenticationFailed")


# --- service properties and stats ----------------------------------------------------------


def test_default_service_properties_round_trip(service):
    service.set_service_properties(analytics_logging=QueueAnalyticsLogging(), hour_metrics=Metrics(), minute_metrics=Metrics(), cors=[])
    props = service.get_service_properties()
    log = props["analytics_logging"]
    assert (log.version, log.read, log.write, log.delete) == ("1.0", False, False, False)
    assert (log.retention_policy.enabled, log.retention_policy.days) == (False, None)
    for key in ("hour_metrics", "minute_metrics"):
        m = props[key]
        assert (m.version, m.enabled, m.include_apis) == ("1.0", False, None)
        assert (m.retention_policy.enabled, m.retention_policy.days) == (False, None)
    assert props["cors"] == []


def test_set_logging_and_metrics_each_alone(service):
    logging = QueueAnalyticsLogging(read=True, write=True, delete=True, retention_policy=RetentionPolicy(enabled=True, days=5))
    try:
        service.set_service_properties(analytics_logging=logging)
        got = service.get_service_properties()["analytics_logging"]
        assert (got.read, got.write, got.delete, got.retention_policy.days) == (True, True, True, 5)
        for key in ("hour_metrics", "minute_metrics"):
            metrics = Metrics(enabled=True, include_apis=True, retention_policy=RetentionPolicy(enabled=True, days=5))
            service.set_service_properties(**{key: metrics})
            got = service.get_service_properties()[key]
            assert (got.enabled, got.include_apis, got.retention_policy.enabled, got.retention_policy.days) == (True, True, True, 5)
    finally:
        service.set_service_properties(analytics_logging=QueueAnalyticsLogging(), hour_metrics=Metrics(), minute_metrics=Metrics())


def test_set_cors_rules(service):
    rule2 = CorsRule(
        ["www.xyz.com", "www.ab.com", "www.bc.com"],
        ["GET", "PUT"],
        max_age_in_seconds=500,
        exposed_headers=["x-ms-meta-data*", "x-ms-meta-source*", "x-ms-meta-abc", "x-ms-meta-bcd"],
        allowed_headers=["x-ms-meta-data*", "x-ms-meta-target*", "x-ms-meta-xyz", "x-ms-meta-foo"],
    )
    try:
        service.set_service_properties(cors=[CorsRule(["www.xyz.com"], ["GET"]), rule2])
        cors = service.get_service_properties()["cors"]
        assert len(cors) == 2
        assert cors[1].allowed_origins == "www.xyz.com,www.ab.com,www.bc.com"
        assert cors[1].allowed_methods == "GET,PUT"
        assert cors[1].max_age_in_seconds == 500
        # Names before prefixes, as the live service answers (the Go SDK's recording of this set).
        assert cors[1].exposed_headers == "x-ms-meta-abc,x-ms-meta-bcd,x-ms-meta-data*,x-ms-meta-source*"
        assert cors[0].allowed_headers == "" and cors[0].max_age_in_seconds == 0
    finally:
        service.set_service_properties(cors=[])


def test_too_many_cors_rules(service):
    with pytest.raises(HttpResponseError) as e:
        service.set_service_properties(cors=[CorsRule(["www.xyz.com"], ["GET"])] * 6)
    assert (e.value.status_code, e.value.error_code) == (400, "InvalidXmlDocument")


@pytest.mark.parametrize("days", [0, 366])
def test_retention_days_out_of_range(service, days):
    metrics = Metrics(enabled=True, include_apis=True, retention_policy=RetentionPolicy(enabled=True, days=days))
    with pytest.raises(HttpResponseError) as e:
        service.set_service_properties(minute_metrics=metrics)
    assert (e.value.status_code, e.value.error_code) == (400, "InvalidXmlDocument")
    logging = QueueAnalyticsLogging(read=True, retention_policy=RetentionPolicy(enabled=True, days=days))
    with pytest.raises(HttpResponseError) as e:
        service.set_service_properties(analytics_logging=logging)
    assert (e.value.status_code, e.value.error_code) == (400, "InvalidXmlDocument")
    assert service.get_service_properties()["minute_metrics"].retention_policy.days != days
    # The Reason element of Azure's answer reaches the SDK's error text.
    assert "Retention days must be greater than 0 and less than or equal to 365 days." in str(e.value)


def test_retention_policy_without_days_is_refused_by_the_sdk():
    with pytest.raises(ValueError):
        RetentionPolicy(True, None)


# --- request hooks (test_queue_client.py) --------------------------------------------------


def test_metadata_sent_as_raw_headers_is_signed_and_kept(service):
    name = "pyhdr" + datetime.now().strftime("%H%M%S%f")
    q = service.create_queue(name, headers={"x-ms-meta-hello": "world"})
    try:
        seen = {}
        props = q.get_queue_properties(raw_response_hook=lambda r: seen.update(status=r.http_response.status_code))
        assert props.metadata == {"hello": "world"} and seen["status"] == 200
    finally:
        service.delete_queue(name)


# --- the async clients (test_queue_async.py), over aiohttp ---------------------------------


def test_async_clients_cover_the_same_scenarios(queue):
    import asyncio

    from azure.storage.queue.aio import QueueClient as AioQueueClient
    from azure.storage.queue.aio import QueueServiceClient as AioServiceClient

    async def scenario():
        async with AioServiceClient.from_connection_string(CONN, retry_total=0) as svc:
            names = [q.name async for q in svc.list_queues(name_starts_with=queue.queue_name, include_metadata=True)]
            assert names == [queue.queue_name]
            props = await svc.get_service_properties()
            assert props["analytics_logging"].version == "1.0"
        async with AioQueueClient.from_connection_string(CONN, queue.queue_name, retry_total=0) as q:
            await q.set_queue_metadata({"val1": "test"})
            assert (await q.get_queue_properties()).metadata == {"val1": "test"}
            for i in range(5):
                await q.send_message(f"message{i + 1}")
            await q.send_message("forever", time_to_live=-1)
            peeked = await q.peek_messages(max_messages=6)
            assert [m.content for m in peeked][:2] == ["message1", "message2"] and peeked[-1].expires_on.year == 9999
            got = [m async for m in q.receive_messages(messages_per_page=2, max_messages=3)]
            assert [m.content for m in got] == ["message1", "message2", "message3"]
            upd = await q.update_message(got[0], content="啊齄丂狛狜", visibility_timeout=0)
            again = await q.receive_message()
            assert (again.id, again.content, again.dequeue_count) == (got[0].id, "啊齄丂狛狜", 2)
            await q.delete_message(again)
            with pytest.raises(ResourceNotFoundError):
                await q.delete_message(upd.id, upd.pop_receipt)
            await q.set_queue_access_policy({"testid": AccessPolicy(permission=QueueSasPermissions(read=True), expiry=_soon(), start=_ago())})
            assert list(await q.get_queue_access_policy()) == ["testid"]
            with pytest.raises(HttpResponseError) as e:
                await q.send_message("\u0001")
            assert e.value.error_code == "InvalidXmlDocument"
            await q.clear_messages()
            assert await q.peek_messages() == []
        token = generate_queue_sas(ACCOUNT, queue.queue_name, KEY, policy_id="testid")
        async with AioQueueClient.from_queue_url(queue.url, credential=token, retry_total=0) as via_sas:
            assert await via_sas.peek_messages() == []
            with pytest.raises(HttpResponseError) as e:
                await via_sas.send_message("no")
            assert e.value.error_code == "AuthorizationPermissionMismatch"

    asyncio.run(scenario())
