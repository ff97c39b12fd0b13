"""Scenarios of the Go (sdk/storage/azqueue *_test.go), .NET (Azure.Storage.Queues/tests) and
Java (azure-storage-queue src/test) SDK suites, which run against the live service (recorded
answers where the repositories keep them), checked against polyq with the Python SDK, in our own
words and grouped by topic. Only the TTL test sleeps (2.5 s)."""
import base64
import hashlib
import hmac
import time
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import (
    AccessPolicy,
    AccountSasPermissions,
    CorsRule,
    Metrics,
    QueueAnalyticsLogging,
    QueueClient,
    QueueSasPermissions,
    QueueServiceClient,
    ResourceTypes,
    RetentionPolicy,
    generate_account_sas,
    generate_queue_sas,
)

from conftest import ACCOUNT, CONN, KEY, endpoint, soon


def _ago(minutes=5):
    return datetime.now(timezone.utc) - timedelta(minutes=minutes)


def _code(e):
    """The error code as a plain string (the SDK gives an enum for codes it knows)."""
    return getattr(e.value.error_code, "value", e.value.error_code)


def _headers(call):
    """Runs `call(raw_response_hook=...)` and returns the response headers, lower-cased."""
    seen = {}
    call(raw_response_hook=lambda r: seen.update({k.lower(): v for k, v in r.http_response.headers.items()}))
    return seen


def _queue_sas_client(queue, **kw):
    token = generate_queue_sas(ACCOUNT, queue.queue_name, KEY, **kw)
    return QueueClient.from_queue_url(queue.url, credential=token, retry_total=0)


def _raw_account_sas(sp, ss, srt, se):
    """An account SAS built by hand, for letter orders the SDK would normalise (.NET
    AccountSas_ResourceTypeOrder / ServiceOrder keep the client's order)."""
    sv = "2026-02-06"
    sts = "\n".join([ACCOUNT, sp, ss, srt, "", se, "", "", sv, "", ""])
    sig = base64.b64encode(hmac.new(base64.b64decode(KEY), sts.encode(), hashlib.sha256).digest()).decode()
    return urllib.parse.urlencode({"sv": sv, "ss": ss, "srt": srt, "sp": sp, "se": se, "sig": sig})


# --- pop receipts: Java invalidArgsSupplier, .NET *_Error, Go TestDeleteMessageDoesNotExist ----


def test_malformed_receipt_is_400_and_unknown_message_404(queue):
    queue.send_message("test message")
    m = queue.receive_message()
    for call in (
        lambda i, r: queue.delete_message(i, r),
        lambda i, r: queue.update_message(i, r, content="Updated test message", visibility_timeout=1),
    ):
        with pytest.raises(HttpResponseError) as e:
            call(m.id, m.pop_receipt + "Random")
        assert (e.value.status_code, _code(e)) == (400, "InvalidQueryParameterValue")
        with pytest.raises(HttpResponseError) as e:
            call(m.id + "Random", m.pop_receipt + "Random")
        assert (e.value.status_code, _code(e)) == (400, "InvalidQueryParameterValue")
        with pytest.raises(ResourceNotFoundError) as e:
            call(m.id + "Random", m.pop_receipt)
        assert _code(e) == "MessageNotFound"
        # .NET: a new message id with a random lower-case word as the receipt.
        with pytest.raises(ResourceNotFoundError) as e:
            call(str(uuid.uuid4()), "abcdefghijklmnopqrst")
        assert _code(e) == "MessageNotFound"
    queue.delete_message(m.id, m.pop_receipt)
    with pytest.raises(ResourceNotFoundError) as e:
        queue.delete_message(m.id, m.pop_receipt)
    assert _code(e) == "MessageNotFound"


def test_update_of_a_received_message_changes_receipt_and_visibility_only(queue):
    # .NET UpdateMessageAsync_UpdateDequeuedMessage.
    queue.send_message("foo")
    m = queue.receive_message()
    upd = queue.update_message(m.id, m.pop_receipt, content="bar")
    assert upd.pop_receipt != m.pop_receipt and upd.next_visible_on != m.next_visible_on
    assert (upd.id, upd.content) == (m.id, "bar")
    queue.update_message(m.id, upd.pop_receipt, visibility_timeout=0)
    got = queue.receive_message()
    assert (got.id, got.content, got.dequeue_count) == (m.id, "bar", 2)


def test_update_with_the_send_receipt_keeps_or_replaces_content(queue):
    # .NET UpdateMessageAsync_UpdatePeek / _UpdateVisibilityTimeoutOnlyPreservesContent,
    # Go TestUpdateMessageBasic.
    sent = queue.send_message("foo")
    queue.update_message(sent.id, sent.pop_receipt, content="bar", visibility_timeout=0)
    assert [m.content for m in queue.peek_messages()] == ["bar"]
    other = queue.send_message("keep")
    queue.update_message(other.id, other.pop_receipt, visibility_timeout=0)
    assert [m.content for m in queue.peek_messages(max_messages=2)] == ["bar", "keep"]


# --- messages: TTL, visibility, counts, empty text ---------------------------------------------


def test_visibility_must_stay_below_time_to_live(queue):
    # Go TestEnqueueMessageWithVisibilityTimeout{Smaller,Larger}ThanTTL, .NET
    # SendMessageAsync_ExtendedExceptionMessage (its recorded details).
    queue.send_message("ok", visibility_timeout=1, time_to_live=2)
    with pytest.raises(HttpResponseError) as e:
        queue.send_message("no", visibility_timeout=2, time_to_live=1)
    assert (e.value.status_code, _code(e)) == (400, "InvalidQueryParameterValue")
    with pytest.raises(HttpResponseError) as e:
        queue.send_message("", visibility_timeout=10, time_to_live=7)
    text = e.value.message.lower()
    assert "queryparametername:visibilitytimeout" in text
    assert "queryparametervalue:10" in text
    assert "reason:messagettl must be greater than visibilitytimeout" in text
    # Java enqueueTimeToLive: visibility 0, TTL 2 s.
    queue.send_message("short", visibility_timeout=0, time_to_live=2)


def test_infinite_time_to_live_and_short_expiry(queue):
    # Go TestEnqueueMessageWithInfiniteTimeToLive / TestEnqueueMessageWithTimeToLiveExpired.
    queue.send_message("forever", time_to_live=-1)
    queue.send_message("brief", time_to_live=1)
    time.sleep(2.5)
    got = queue.receive_messages(max_messages=5)
    assert [(m.content, m.expires_on.year) for m in got] == [("forever", 9999)]


def test_get_more_than_32_is_out_of_range(queue):
    # Go TestDequeueMessagesWithNumMessagesLargerThan32, Java dequeueTooManyMessages (the
    # Python SDK refuses peeks of more than 32 itself; the Rust suite covers peek on the wire).
    with pytest.raises(HttpResponseError) as e:
        list(queue.receive_messages(messages_per_page=33))
    assert (e.value.status_code, _code(e)) == (400, "OutOfRangeQueryParameterValue")


def test_thirty_two_at_once_and_leftovers(queue):
    # Go TestDequeueMessagesWithLeftovers / TestClearMessagesMoreThan32.
    for i in range(33):
        queue.send_message(f"m{i}")
    assert len(queue.peek_messages(max_messages=32)) == 32
    first = list(queue.receive_messages(messages_per_page=32, max_messages=32))
    assert len(first) == 32
    assert [m.content for m in queue.receive_messages()] == ["m32"]
    assert queue.get_queue_properties().approximate_message_count == 33
    queue.clear_messages()
    assert queue.get_queue_properties().approximate_message_count == 0
    assert queue.receive_message() is None


def test_empty_message_text_round_trips(queue):
    # Java enqueueEmptyMessage, .NET SendMessageAsync_Min / SendReceiveNullMessageAsync.
    sent = queue.send_message("")
    assert queue.peek_messages()[0].content == ""
    m = queue.receive_message()
    assert (m.id, m.content) == (sent.id, "")


@pytest.mark.parametrize("count", [0, 5, 12])
def test_approximate_message_count(queue, count):
    # .NET GetPropertiesAsync_ApproximateMessagesCountLong.
    for i in range(count):
        queue.send_message(f"Message {i + 1}")
    assert queue.get_queue_properties().approximate_message_count == count


# --- queues, metadata and missing queues -------------------------------------------------------


def test_invalid_metadata_names(queue):
    # Java setInvalidMetadataSupplier and createQueueWithInvalidMetadata.
    for name, code in [("invalid-meta", "InvalidMetadata"), ("12345", "InvalidMetadata"), ("metadata!", "InvalidMetadata"), ("", "EmptyMetadataKey")]:
        with pytest.raises(HttpResponseError) as e:
            queue.set_queue_metadata({name: "value"})
        assert (e.value.status_code, _code(e)) == (400, code), name
    # Java createQueueMaxOverload: any value characters.
    queue.set_queue_metadata({"metadata": "va@lue"})
    assert queue.get_queue_properties().metadata == {"metadata": "va@lue"}


@pytest.mark.parametrize(
    "create, set_to",
    [(None, {"metadata": "value"}), ({"metadata1": "value"}, {"metadata": "value"}), ({"metadata1": "value"}, None), (None, None)],
)
def test_set_and_clear_metadata(service, create, set_to):
    # Java setAndClearMetadataSupplier.
    q = service.create_queue("q" + uuid.uuid4().hex[:16], metadata=create)
    try:
        assert q.get_queue_properties().metadata == (create or {})
        q.set_queue_metadata(set_to)
        assert q.get_queue_properties().metadata == (set_to or {})
    finally:
        q.delete_queue()


def test_create_twice_same_or_other_metadata(service):
    # Java createIfNotExistsWith{Same,Conflicting}Metadata, .NET CreateAsync_Error.
    name = "q" + uuid.uuid4().hex[:16]
    q = service.get_queue_client(name)
    statuses = []
    q.create_queue(raw_response_hook=lambda r: statuses.append(r.http_response.status_code))
    try:
        with pytest.raises(ResourceExistsError):
            q.create_queue(raw_response_hook=lambda r: statuses.append(r.http_response.status_code))
        assert statuses == [201, 204]
        with pytest.raises(ResourceExistsError) as e:
            q.create_queue(metadata={"key": "value"})
        assert (e.value.status_code, _code(e)) == (409, "QueueAlreadyExists")
    finally:
        q.delete_queue()


def test_every_operation_on_a_missing_queue_is_queue_not_found(service):
    # The .NET suite's *_Error cases and Java's *Error cases.
    q = service.get_queue_client("q" + uuid.uuid4().hex[:16])
    for call in (
        q.get_queue_properties,
        lambda: q.set_queue_metadata({"a": "b"}),
        q.get_queue_access_policy,
        lambda: q.set_queue_access_policy({"id": AccessPolicy(permission="r", expiry=soon())}),
        q.delete_queue,
        lambda: q.send_message(""),
        q.receive_message,
        q.peek_messages,
        q.clear_messages,
    ):
        with pytest.raises(ResourceNotFoundError) as e:
            call()
        assert _code(e) == "QueueNotFound"


# --- access policies: Go TestQueueSet*ACL*, Java setInvalidAccessPolicy -------------------------


def test_policies_empty_partial_full_and_swapped_times(queue):
    same = datetime(2021, 6, 8, 2, 10, 9, tzinfo=timezone.utc)
    queue.set_queue_access_policy(
        {
            "empty": None,
            "partial": AccessPolicy(permission="r"),
            "full": AccessPolicy(permission="r", start=same, expiry=same),
            # Start after expiry is stored as given (Go TestQueueSetPermissionsInvalidPolicyTimes).
            "swapped": AccessPolicy(permission="r", start=datetime(2049, 6, 11, 20, tzinfo=timezone.utc), expiry=datetime(2021, 6, 11, 20, tzinfo=timezone.utc)),
        }
    )
    got = queue.get_queue_access_policy()
    assert sorted(got) == ["empty", "full", "partial", "swapped"]
    # The Python SDK hands policy times back as the strings on the wire.
    # In Azure's seven-digit form, whatever form they were set in (the Go SDK's recordings).
    assert got["full"].start == got["full"].expiry == "2021-06-08T02:10:09.0000000Z"
    assert got["partial"].permission == "r" and got["partial"].expiry is None
    # Delete one, rename another, then all (Go DeleteAndModifyACL / DeleteAllPolicies).
    queue.set_queue_access_policy({"0004": got["full"]})
    assert list(queue.get_queue_access_policy()) == ["0004"]
    queue.set_queue_access_policy({})
    assert queue.get_queue_access_policy() == {}


def test_identifier_longer_than_64_is_invalid_xml(queue):
    policy = AccessPolicy(permission="r", start=datetime(2000, 1, 1, tzinfo=timezone.utc), expiry=datetime(2020, 1, 1, tzinfo=timezone.utc))
    queue.set_queue_access_policy({"a" * 64: policy})
    for long_id in ("a" * 65, "theidofthispermissionislongerthanwhatisallowedbytheserviceandshouldfail"):
        with pytest.raises(HttpResponseError) as e:
            queue.set_queue_access_policy({long_id: policy})
        assert (e.value.status_code, _code(e)) == (400, "InvalidXmlDocument")


# --- SAS -----------------------------------------------------------------------------------------


def test_queue_sas_cannot_create_or_delete_the_queue(service):
    # Go TestQueueGetSASURL / TestQueueGetSASURL2, .NET CreateAsync_WithQueueServiceSas,
    # Java queueSasUpdateDeleteWithPermissions.
    name = "q" + uuid.uuid4().hex[:16]
    q = service.get_queue_client(name)
    token = generate_queue_sas(ACCOUNT, name, KEY, permission=QueueSasPermissions(read=True, add=True, update=True, process=True), expiry=soon(), start=_ago())
    via_sas = QueueClient.from_queue_url(q.url, credential=token, retry_total=0)
    with pytest.raises(HttpResponseError) as e:
        via_sas.create_queue(metadata={"foo": "bar"})
    assert (e.value.status_code, _code(e)) == (403, "AuthorizationFailure")
    q.create_queue()
    try:
        for call in (via_sas.delete_queue, lambda: via_sas.set_queue_metadata({"a": "b"}), via_sas.clear_messages):
            with pytest.raises(HttpResponseError) as e:
                call()
            assert (e.value.status_code, _code(e)) == (403, "AuthorizationFailure")
        add_only = _queue_sas_client(q, permission=QueueSasPermissions(add=True), expiry=soon(), start=_ago())
        with pytest.raises(HttpResponseError) as e:
            add_only.get_queue_properties()
        assert (e.value.status_code, _code(e)) == (403, "AuthorizationPermissionMismatch")
    finally:
        q.delete_queue()


def test_queue_sas_without_update_cannot_update(queue):
    # Java queueSasEnqueueWithPerm (protocol "https,http" covers plain HTTP).
    first = queue.send_message("test")
    rap = _queue_sas_client(queue, permission=QueueSasPermissions(read=True, add=True, process=True), expiry=soon(hours=24), start=_ago(60 * 24), protocol="https,http")
    rap.send_message("sastest")
    assert [m.content for m in rap.receive_messages(messages_per_page=2, max_messages=2)] == ["test", "sastest"]
    with pytest.raises(HttpResponseError) as e:
        rap.update_message(first.id, first.pop_receipt, content="testing", visibility_timeout=3600)
    assert (e.value.status_code, _code(e)) == (403, "AuthorizationPermissionMismatch")


def test_queue_sas_through_a_stored_policy_only(queue):
    # Go TestQueueSASUsingAccessPolicy, Java queueSasEnqueueWithId (no protocol restriction:
    # this suite runs over plain HTTP).
    queue.set_queue_access_policy({"testAccessPolicy": AccessPolicy(permission="raup", start=_ago(1), expiry=soon())})
    via = _queue_sas_client(queue, policy_id="testAccessPolicy")
    assert via.get_queue_properties().approximate_message_count == 0
    for i in range(4):
        via.send_message(f"data : {i}")
    assert [via.receive_message().content for _ in range(4)] == [f"data : {i}" for i in range(4)]


def test_queue_sas_protocol_and_ip_restrictions(queue):
    https_only = _queue_sas_client(queue, permission=QueueSasPermissions(read=True), expiry=soon(), protocol="https")
    with pytest.raises(HttpResponseError) as e:
        https_only.peek_messages()
    assert (e.value.status_code, _code(e)) == (403, "AuthorizationProtocolMismatch")
    elsewhere = _queue_sas_client(queue, permission=QueueSasPermissions(read=True), expiry=soon(), ip="10.1.2.3")
    with pytest.raises(HttpResponseError) as e:
        elsewhere.peek_messages()
    # The live service's answer (C++ SDK recordings), not the error table's SourceIPMismatch.
    assert (e.value.status_code, _code(e)) == (403, "AuthorizationFailure")
    local = _queue_sas_client(queue, permission=QueueSasPermissions(read=True), expiry=soon(), ip="127.0.0.0-127.0.0.255")
    assert local.peek_messages() == []


@pytest.mark.parametrize("sp, ss, srt", [("rwdylacuptfi", "bqtf", "sco"), ("rwdylacuptfi", "bqtf", "ocs"), ("rwdylacuptfi", "fq", "cs"), ("cudypafitrwl", "qb", "oc")])
def test_account_sas_letters_in_any_order(queue, sp, ss, srt):
    # .NET AccountSas_ResourceTypeOrder / AccountSas_ServiceOrder / *_ServiceToQueue.
    token = _raw_account_sas(sp, ss, srt, soon().strftime("%Y-%m-%dT%H:%M:%SZ"))
    q = QueueClient.from_queue_url(f"{queue.url}?{token}", retry_total=0)
    assert q.get_queue_properties().metadata == {}
    other = QueueClient.from_queue_url(f"{endpoint()}/q{uuid.uuid4().hex[:16]}?{token}", retry_total=0)
    other.create_queue()
    other.delete_queue()


def test_account_sas_create_delete_and_list(service):
    # Java accountSasCreateQueue ("rcd": create without write) and accountSasListQueues.
    token = generate_account_sas(ACCOUNT, KEY, ResourceTypes(service=True, container=True, object=True), AccountSasPermissions(read=True, create=True, delete=True), expiry=soon(24))
    svc = QueueServiceClient(endpoint(), credential=token, retry_total=0)
    name = "q" + uuid.uuid4().hex[:16]
    svc.create_queue(name)
    svc.delete_queue(name)
    lister = QueueServiceClient(endpoint(), credential=generate_account_sas(ACCOUNT, KEY, ResourceTypes(service=True, container=True, object=True), AccountSasPermissions(list=True), expiry=soon(24)), retry_total=0)
    next(iter(lister.list_queues()), None)


# --- service properties: Go TestSetProperties*, Java getAndSetProperties ------------------------


def test_logging_and_each_metrics_set_alone(service):
    keep = service.get_service_properties()
    try:
        days5 = RetentionPolicy(enabled=True, days=5)
        service.set_service_properties(analytics_logging=QueueAnalyticsLogging(read=True, write=True, delete=True, retention_policy=days5))
        got = service.get_service_properties()["analytics_logging"]
        assert (got.read, got.write, got.delete, got.retention_policy.enabled, got.retention_policy.days) == (True, True, True, True, 5)
        for which in ("hour_metrics", "minute_metrics"):
            service.set_service_properties(**{which: Metrics(enabled=True, include_apis=True, retention_policy=days5)})
            got = service.get_service_properties()[which]
            assert (got.enabled, got.include_apis, got.retention_policy.days) == (True, True, 5), which
        # Setting one section left the others as they were.
        assert service.get_service_properties()["analytics_logging"].retention_policy.days == 5
    finally:
        service.set_service_properties(**{k: keep[k] for k in ("analytics_logging", "hour_metrics", "minute_metrics", "cors")})


def test_two_cors_rules_round_trip_with_defaults(service):
    keep = service.get_service_properties()
    try:
        rules = [
            CorsRule(["www.xyz.com"], ["GET"]),
            CorsRule(
                ["www.xyz.com", "www.ab.com", "www.bc.com"],
                ["GET", "PUT"],
                max_age_in_seconds=500,
                exposed_headers=["x-ms-meta-data*", "x-ms-meta-source*", "x-ms-meta-abc", "x-ms-meta-bcd"],
                allowed_headers=["x-ms-meta-data*", "x-ms-meta-target*", "x-ms-meta-xyz", "x-ms-meta-foo"],
            ),
        ]
        service.set_service_properties(cors=rules)
        got = service.get_service_properties()["cors"]
        assert [(r.allowed_origins, r.allowed_methods, r.max_age_in_seconds) for r in got] == [
            ("www.xyz.com", "GET", 0),
            ("www.xyz.com,www.ab.com,www.bc.com", "GET,PUT", 500),
        ]
        assert (got[0].allowed_headers, got[0].exposed_headers) == ("", "")
        # Names before prefixes, as the live service answers (the Go SDK's recording of this set).
        assert got[1].exposed_headers == "x-ms-meta-abc,x-ms-meta-bcd,x-ms-meta-data*,x-ms-meta-source*"
        service.set_service_properties(cors=[])
        assert service.get_service_properties()["cors"] == []
    finally:
        service.set_service_properties(cors=keep["cors"])


# --- list queues: Go TestServiceListQueues*, Java listQueues* -----------------------------------


def test_list_pages_markers_and_metadata(service):
    prefix = "lp" + uuid.uuid4().hex[:8]
    names = [f"{prefix}{i}" for i in range(6)]
    for i, n in enumerate(names):
        service.create_queue(n, metadata={f"metadata{i}": f"value{i}"})
    try:
        pages = service.list_queues(name_starts_with=prefix, include_metadata=True, results_per_page=2).by_page()
        first = list(next(pages))
        assert [q.name for q in first] == names[:2]
        assert [q.metadata for q in first] == [{"metadata0": "value0"}, {"metadata1": "value1"}]
        # The continuation names the first queue of the next page (Java's recording).
        assert pages.continuation_token == f"/{ACCOUNT}/{names[2]}"
        rest = [q.name for page in pages for q in page]
        assert rest == names[2:]
        # A marker naming a queue starts the listing at it.
        again = service.list_queues(name_starts_with=prefix).by_page(continuation_token=f"/{ACCOUNT}/{names[4]}")
        assert [q.name for q in next(again)] == names[4:]
        assert [q.name for q in service.list_queues(name_starts_with=prefix, results_per_page=1)] == names
        assert list(service.list_queues(name_starts_with=prefix + "x")) == []
    finally:
        for n in names:
            service.delete_queue(n)


# --- common headers -----------------------------------------------------------------------------


def test_common_headers_and_echoed_version(queue):
    # Java perCallPolicy: an older x-ms-version is answered in kind.
    old = QueueServiceClient.from_connection_string(CONN, retry_total=0, api_version="2019-02-02")
    h = _headers(old.get_service_properties)
    assert h["x-ms-version"] == "2019-02-02" and h["cache-control"] == "no-cache"
    assert h["x-ms-request-id"] and h["date"].endswith(" GMT")
    queue.send_message("m")
    for call in (queue.peek_messages, queue.get_queue_access_policy, queue.get_queue_properties):
        assert _headers(call)["cache-control"] == "no-cache"
    h = _headers(lambda **kw: queue.send_message("x", **kw))
    assert "cache-control" not in h
    # Errors carry x-ms-error-code, and its value is the body's Code.
    seen = {}
    with pytest.raises(ResourceNotFoundError):
        queue.delete_message(str(uuid.uuid4()), "abcdefghijklmnopqrst", raw_response_hook=lambda r: seen.update(code=r.http_response.headers.get("x-ms-error-code"), body=r.http_response.text()))
    assert seen["code"] == "MessageNotFound" and "<Code>MessageNotFound</Code>" in seen["body"]
