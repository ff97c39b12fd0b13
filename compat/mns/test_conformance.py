"""Conformance with real MNS, scenario by scenario, through the official Python SDK (and raw
HTTP where the SDK hides the status line or never sends the request shape).

Each test names the MNS behaviour it pins: the queue walk of the SDK's own sample_all.py,
CreateQueue idempotency and conflicts, attribute round trips, ListQueue paging and meta,
delayed and raw-body messages, handle lifecycles, per-entry batch errors, the error document
and its documented codes, messages and statuses, and signature failures."""

import base64
import hashlib
import http.client
import time
import urllib.parse
import uuid
import xml.dom.minidom

import pytest
from mns.account import Account
from mns.mns_exception import MNSServerException
from mns.mns_request import ListQueueRequest, ListQueueResponse
from mns.queue import Message, QueueMeta

from conftest import ENFORCE_KEY_ID, ENFORCE_SECRET

GET_ATTRIBUTE_FIELDS = {
    "QueueName", "CreateTime", "LastModifyTime", "DelaySeconds", "MaximumMessageSize",
    "MessageRetentionPeriod", "VisibilityTimeout", "PollingWaitSeconds", "ActiveMessages",
    "InactiveMessages", "DelayMessages", "LoggingEnabled",
}


def md5_upper(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def server_error(fn, *args, **kwargs):
    with pytest.raises(MNSServerException) as e:
        fn(*args, **kwargs)
    assert e.value.request_id
    return e.value


def raw(endpoint, method, path, body=b"", headers=None):
    """One unsigned request (the dev server checks no signature); returns status, headers, body."""
    url = urllib.parse.urlparse(endpoint)
    h = {
        "x-mns-version": "2015-06-06",
        "Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
        "Content-Type": "text/xml",
    }
    h.update(headers or {})
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
    finally:
        conn.close()


def error_of(body):
    """(Code, Message) of an <Error> document, checking it has every element SDKs read."""
    root = xml.dom.minidom.parseString(body).documentElement
    assert root.tagName == "Error"
    fields = {n.tagName: (n.firstChild.data if n.firstChild else "") for n in root.childNodes
              if n.nodeType == n.ELEMENT_NODE}
    assert set(fields) == {"Code", "Message", "RequestId", "HostId"}, fields
    return fields["Code"], fields["Message"]


def unique(prefix="conf"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# ---- the queue half of the SDK's sample_all.py, with its exact attribute values ----

def test_sample_all_queue_walk(account):
    queue = account.get_queue(unique("sample"))
    meta = QueueMeta()
    meta.set_visibilitytimeout(100)
    meta.set_maximum_message_size(10240)
    meta.set_message_retention_period(3600)
    meta.set_delay_seconds(10)
    meta.set_polling_wait_seconds(20)
    meta.set_logging_enabled(True)
    assert queue.create(meta).endswith("/queues/" + queue.queue_name)
    try:
        meta = QueueMeta()
        meta.set_visibilitytimeout(50)
        meta.set_maximum_message_size(5120)
        meta.set_message_retention_period(1800)
        meta.set_delay_seconds(5)
        meta.set_polling_wait_seconds(10)
        queue.set_attributes(meta)
        got = queue.get_attributes()
        assert (got.visibility_timeout, got.maximum_message_size, got.message_retention_period,
                got.delay_seconds, got.polling_wait_seconds, got.logging_enabled) == \
            (50, 5120, 1800, 5, 10, True)

        # An explicit DelaySeconds 0 overrides the queue's 5 s, so peek sees it at once.
        sent = queue.send_message(Message("I am test Message.", delay_seconds=0, priority=10))
        peeked = queue.peek_message_with_str_body()
        assert (peeked.message_id, peeked.message_body, peeked.priority) == \
            (sent.message_id, "I am test Message.", 10)
        recv = queue.receive_message_with_str_body(10)
        assert recv.message_body == "I am test Message." and recv.dequeue_count == 1
        changed = queue.change_message_visibility(recv.receipt_handle, 35)
        now_ms = int(time.time() * 1000)
        assert now_ms + 30_000 < int(changed.next_visible_time) < now_ms + 40_000
        queue.delete_message(changed.receipt_handle)

        batch = [Message(f"I am test Message {i}.", delay_seconds=0, priority=6) for i in range(16)]
        sent = queue.batch_send_message(batch)
        assert len(sent) == 16
        assert [m.message_body_md5 for m in sent] == [
            md5_upper(base64.b64encode(f"I am test Message {i}.".encode()).decode()) for i in range(16)]
        assert len(queue.batch_peek_message_with_str_body(3)) == 3
        got = queue.batch_receive_message_with_str_body(3, 10)
        assert [m.message_body for m in got] == [f"I am test Message {i}." for i in range(3)]
        queue.batch_delete_message([m.receipt_handle for m in got])
        assert queue.get_attributes().active_messages == 13
    finally:
        queue.delete()


# ---- CreateQueue: idempotent with the same attributes, 409 otherwise ----

def test_create_is_idempotent_only_with_the_same_attributes(account, endpoint):
    name = unique()
    queue = account.get_queue(name)
    meta = QueueMeta()
    meta.set_polling_wait_seconds(15)
    meta.set_maximum_message_size(2048)
    queue.create(meta)
    try:
        # Same attributes (the Java quickstart re-creates exactly so): 204 with Location.
        body = ("<Queue xmlns=\"http://mns.aliyuncs.com/doc/v1/\"><PollingWaitSeconds>15</PollingWaitSeconds>"
                "<MaximumMessageSize>2048</MaximumMessageSize></Queue>").encode()
        status, headers, _ = raw(endpoint, "PUT", f"/queues/{name}", body)
        assert status == 204 and headers["location"].endswith(f"/queues/{name}")
        assert queue.create(meta).endswith(f"/queues/{name}")

        different = QueueMeta()
        different.set_polling_wait_seconds(15)
        different.set_maximum_message_size(2048)
        different.set_delay_seconds(30)
        assert server_error(queue.create, different).type == "QueueAlreadyExist"
        # No attributes means the defaults, which differ from this queue's.
        assert server_error(queue.create, QueueMeta()).type == "QueueAlreadyExist"
        status, _, body = raw(endpoint, "PUT", f"/queues/{name}", b"")
        assert status == 409
        assert error_of(body) == ("QueueAlreadyExist", "The queue you want to create is already exist.")
        # Nothing changed.
        assert queue.get_attributes().delay_seconds == 0
    finally:
        queue.delete()


def test_create_rejects_bad_names_and_values(account, endpoint):
    e = server_error(account.get_queue("bad_name").create, QueueMeta())
    assert e.type == "InvalidQueueName"
    status, _, body = raw(endpoint, "PUT", "/queues/" + "q" * 121)
    assert (status, error_of(body)[0]) == (400, "QueueNameLengthError")
    long_ok = "q" * 120
    status, _, _ = raw(endpoint, "PUT", "/queues/" + long_ok)
    assert status == 201
    raw(endpoint, "DELETE", "/queues/" + long_ok)
    for element, value, text in [
        ("VisibilityTimeout", 0, "The value of VisibilityTimeout should between 1 and 43200 seconds."),
        ("MaximumMessageSize", 1023, "The value of MaximumMessageSize should between 1024 and 65536 bytes."),
        ("MessageRetentionPeriod", 59, "The value of MessageRetentionPeriod should between 60 and 604800 seconds."),
        ("DelaySeconds", 604801, "The value of DelaySeconds should between 0 and 604800 seconds."),
        ("PollingWaitSeconds", 31, "The value of PollingWaitSeconds should between 0 and 30 seconds."),
    ]:
        body = f"<Queue><{element}>{value}</{element}></Queue>".encode()
        status, _, doc = raw(endpoint, "PUT", f"/queues/{unique()}", body)
        assert (status, error_of(doc)) == (400, ("InvalidArgument", text))
    status, _, doc = raw(endpoint, "PUT", f"/queues/{unique()}", b"<Queue>")
    assert (status, error_of(doc)[0]) == (400, "MalformedXML")


# ---- Set/GetQueueAttributes ----

def test_set_attributes_changes_only_what_is_given(new_queue, account):
    queue = new_queue(visibility_timeout=60, delay_seconds=3)
    before = queue.get_attributes()
    meta = QueueMeta()
    meta.set_message_retention_period(120)
    queue.set_attributes(meta)
    after = queue.get_attributes()
    assert (after.visibility_timeout, after.delay_seconds, after.message_retention_period) == (60, 3, 120)
    assert after.create_time == before.create_time
    assert after.last_modify_time >= before.last_modify_time
    missing = account.get_queue(unique("never"))
    assert server_error(missing.set_attributes, meta).type == "QueueNotExist"


def test_get_attributes_counts_every_state(new_queue, endpoint):
    queue = new_queue()
    queue.send_message(Message("active"))
    queue.send_message(Message("inactive"))
    queue.send_message(Message("delayed", delay_seconds=600))
    queue.receive_message(wait_seconds=1)
    meta = queue.get_attributes()
    assert (meta.active_messages, meta.inactive_messages, meta.delay_messages) == (1, 1, 1)
    status, _, body = raw(endpoint, "GET", f"/queues/{queue.queue_name}")
    assert status == 200
    root = xml.dom.minidom.parseString(body).documentElement
    assert root.tagName == "Queue"
    assert {n.tagName for n in root.childNodes if n.nodeType == n.ELEMENT_NODE} == GET_ATTRIBUTE_FIELDS


# ---- ListQueue ----

def test_list_queue_paging_prefix_and_meta(account, new_queue):
    prefix = unique("cl")
    names = sorted(new_queue(prefix=prefix).queue_name for _ in range(3))
    seen, marker = [], ""
    for _ in range(5):  # bounded: 3 queues, one per page
        urls, marker = account.list_queue(prefix, 1, marker)
        seen.extend(urls)
        if marker == "":
            break
    assert [u.rsplit("/", 1)[1] for u in seen] == names
    assert account.list_queue(unique("nothing-has-this-prefix")) == ([], "")

    req = ListQueueRequest(prefix=prefix, ret_number=2, with_meta=True)
    resp = ListQueueResponse()
    account.mns_client.list_queue(req, resp)
    assert len(resp.queuemeta_list) == 2 and resp.next_marker
    assert set(resp.queuemeta_list[0]) == GET_ATTRIBUTE_FIELDS | {"QueueURL"}
    assert resp.queuemeta_list[0]["QueueName"] == names[0]


def test_list_queue_rejects_bad_ret_number(endpoint):
    for bad in ["0", "1001", "x"]:
        status, _, body = raw(endpoint, "GET", "/queues", headers={"x-mns-ret-number": bad})
        assert (status, error_of(body)[0]) == (400, "InvalidArgument")


# ---- DeleteQueue ----

def test_delete_queue_is_idempotent(account):
    queue = account.get_queue(unique())
    queue.create(QueueMeta())
    queue.send_message(Message("left behind"))
    queue.delete()
    queue.delete()  # the Java quickstart deletes twice and expects no error
    assert server_error(queue.get_attributes).type == "QueueNotExist"


# ---- Send: delay, priority, bodies ----

def test_delay_from_queue_and_from_message(new_queue):
    queue = new_queue(delay_seconds=600)
    queue.send_message(Message("queue delay"))
    queue.send_message(Message("own delay 0", delay_seconds=0))
    meta = queue.get_attributes()
    assert (meta.active_messages, meta.delay_messages) == (1, 1)
    got = queue.batch_receive_message(16, wait_seconds=0)
    assert [m.message_body for m in got] == [b"own delay 0"]


def test_raw_body_keeps_xml_specials_and_unicode(new_queue):
    queue = new_queue()
    queue.set_encoding(False)
    body = "I am 测试字符串 <a href=\"x\">&amp;</a> 'q'"
    sent = queue.send_message(Message(body))
    assert sent.message_body_md5 == md5_upper(body)
    got = queue.receive_message_with_str_body(wait_seconds=1)
    assert (got.message_body, got.message_body_md5) == (body, md5_upper(body))


def test_send_limits(new_queue):
    queue = new_queue(maximum_message_size=1024)
    # The limit applies to the body as sent (base64 here): 768 raw bytes -> 1024 on the wire.
    queue.send_message(Message("x" * 768))
    e = server_error(queue.send_message, Message("x" * 769))
    assert (e.type, e.message) == ("InvalidArgument", "The value of MessageBody should between 1 and 1024 bytes.")
    e = server_error(queue.send_message, Message("x", priority=17))
    assert (e.type, e.message) == ("InvalidArgument", "The value of Priority should between 1 and 16.")
    e = server_error(queue.batch_send_message, [Message(str(i)) for i in range(17)])
    assert e.type == "InvalidArgument"


def test_batch_send_reports_failed_entries_in_place(new_queue):
    queue = new_queue()
    e = server_error(queue.batch_send_message,
                     [Message("ok-1"), Message("bad", priority=99), Message("ok-2")])
    assert e.type == "InvalidArgument"
    entries = e.sub_errors
    assert [sorted(x) for x in entries] == [
        ["MessageBodyMD5", "MessageId"], ["ErrorCode", "ErrorMessage"], ["MessageBodyMD5", "MessageId"]]
    assert entries[1]["ErrorMessage"] == "The value of Priority should between 1 and 16."
    got = queue.batch_receive_message(16, wait_seconds=1)
    assert sorted(m.message_body for m in got) == [b"ok-1", b"ok-2"]


# ---- Receive / peek ----

def test_peek_after_receive_shows_the_dequeue(new_queue):
    queue = new_queue(visibility_timeout=1)
    queue.send_message(Message("seen"))
    got = queue.receive_message(wait_seconds=1)
    for _ in range(40):  # bounded wait for the 1 s visibility timeout to lapse
        try:
            peeked = queue.peek_message()
            break
        except MNSServerException:
            time.sleep(0.1)
    else:
        pytest.fail("message never became visible again")
    assert peeked.dequeue_count == 1
    assert peeked.first_dequeue_time == got.first_dequeue_time > 0
    again = queue.receive_message(wait_seconds=1)
    assert again.dequeue_count == 2 and again.first_dequeue_time == got.first_dequeue_time


def test_receive_and_peek_ranges(new_queue, endpoint):
    queue = new_queue()
    path = f"/queues/{queue.queue_name}/messages"
    for query, text in [
        ("?numOfMessages=0", "The value of numOfMessages should between 1 and 16."),
        ("?numOfMessages=17&peekonly=true", "The value of numOfMessages should between 1 and 16."),
        ("?waitseconds=31", "The value of waitseconds should between 0 and 30 seconds."),
    ]:
        status, _, body = raw(endpoint, "GET", path + query)
        assert (status, error_of(body)) == (400, ("InvalidArgument", text))
    status, _, body = raw(endpoint, "GET", path + "?waitseconds=0")
    assert (status, error_of(body)) == (404, ("MessageNotExist", "Message not exist."))


# ---- Delete / change visibility and their handles ----

def test_handle_lifecycle(new_queue):
    queue = new_queue()
    queue.send_message(Message("h"))
    first = queue.receive_message(wait_seconds=1)
    second = queue.change_message_visibility(first.receipt_handle, 60)
    # The receive's handle outlives the change (Alibaba's PHP suite deletes with it), and a
    # change through it is how wrappers extend a lease.
    queue.change_message_visibility(first.receipt_handle, 60)
    # The Python SDK allows 0 locally; MNS's range is 1..43200.
    e = server_error(queue.change_message_visibility, second.receipt_handle, 0)
    assert (e.type, e.message) == ("InvalidArgument", "The value of VisibilityTimeout should between 1 and 43200 seconds.")
    queue.delete_message(second.receipt_handle)
    assert server_error(queue.delete_message, second.receipt_handle).type == "MessageNotExist"
    assert server_error(queue.change_message_visibility, second.receipt_handle, 10).type == "MessageNotExist"


def test_change_visibility_after_the_handle_expired(new_queue):
    """A handle works until the message's NextVisibleTime (MNS's ChangeMessageVisibility doc):
    afterwards the change answers MessageNotExist, as DeleteMessage does, and the message stays
    visible. A delayed message's send handle still takes it (the Java SDK's TransactionQueue,
    covered in test_sdk_suites)."""
    queue = new_queue(visibility_timeout=1)
    queue.send_message(Message("short lease"))
    got = queue.receive_message(wait_seconds=1)
    time.sleep(3)  # well past the 1 s lease
    assert server_error(queue.change_message_visibility, got.receipt_handle, 30).type == "MessageNotExist"
    assert server_error(queue.delete_message, got.receipt_handle).type == "MessageNotExist"
    again = queue.receive_message(wait_seconds=1)
    assert (again.message_body, again.dequeue_count) == (b"short lease", 2)


def test_missing_parameters_use_documented_codes(new_queue, endpoint):
    queue = new_queue()
    path = f"/queues/{queue.queue_name}/messages"
    status, _, body = raw(endpoint, "DELETE", path + "?ReceiptHandle=")
    assert (status, error_of(body)) == (400, ("MissingReceiptHandle", "ReceiptHandle is required."))
    status, _, body = raw(endpoint, "PUT", path + "?VisibilityTimeout=10")
    assert (status, error_of(body)) == (400, ("MissingReceiptHandle", "ReceiptHandle is required."))
    status, _, body = raw(endpoint, "PUT", path + "?ReceiptHandle=abc")
    assert (status, error_of(body)) == (400, ("MissingVisibilityTimeout", "VisibilityTimeout is required."))


def test_batch_delete_lists_only_failed_handles(new_queue):
    queue = new_queue()
    for i in range(2):
        queue.send_message(Message(f"b{i}"))
    got = queue.batch_receive_message(2, wait_seconds=1)
    handles = [m.receipt_handle for m in got]
    queue.delete_message(handles[0])
    e = server_error(queue.batch_delete_message, [handles[0], handles[1], "garbage"])
    assert [x["ReceiptHandle"] for x in e.sub_errors] == [handles[0], "garbage"]
    assert [x["ErrorCode"] for x in e.sub_errors] == ["MessageNotExist", "ReceiptHandleError"]
    assert all(sorted(x) == ["ErrorCode", "ErrorMessage", "ReceiptHandle"] for x in e.sub_errors)
    assert server_error(queue.receive_message, 0).type == "MessageNotExist"  # handles[1] went


# ---- Error documents, URLs and statuses ----

def test_error_document_shape_and_headers(endpoint):
    status, headers, body = raw(endpoint, "GET", f"/queues/{unique('never')}")
    assert status == 404
    assert error_of(body) == ("QueueNotExist", "The queue name you provided is not exist.")
    assert headers["x-mns-request-id"] in body
    # MNS's id shape (24 upper-case hex digits); the Node SDK's test matches `requestid: .{24}`.
    assert len(headers["x-mns-request-id"]) == 24
    assert all(c in "0123456789ABCDEF" for c in headers["x-mns-request-id"])
    assert headers["content-type"].startswith("text/xml")
    status, _, body = raw(endpoint, "GET", "/queues/q/unknown")
    assert (status, error_of(body)) == (400, ("InvalidRequestURL", "Http request URL format invalid."))
    status, _, body = raw(endpoint, "POST", "/queues/q", b"<Queue/>")
    assert (status, error_of(body)[0]) == (400, "InvalidRequestURL")


# ---- Signatures (enforce-mode server) ----

def test_signature_failures(enforce_endpoint):
    wrong = Account(enforce_endpoint, ENFORCE_KEY_ID, "wrong-secret").get_queue("conf-sig")
    assert server_error(wrong.get_attributes).type == "SignatureDoesNotMatch"
    unknown = Account(enforce_endpoint, "nobody", ENFORCE_SECRET).get_queue("conf-sig")
    assert server_error(unknown.get_attributes).type == "InvalidAccessKeyId"

    cases = [
        ({}, 400, "MissingAuthorizationHeader", "Authorization header is required."),
        ({"Authorization": "Basic abc"}, 400, "InvalidAuthorizationHeader",
         "The Authorization header format is invalid."),
        ({"Authorization": "MNS polyq:sig", "Date": "not a date"}, 400, "InvalidDateHeader",
         "The Date header format is invalid."),
        ({"Authorization": "MNS polyq:sig", "Date": "Thu, 09 Jul 2015 03:01:34 GMT"}, 408, "TimeExpired",
         "The http request you sent is expired."),
        ({"Authorization": "MNS somebody:sig"}, 403, "InvalidAccessKeyId",
         "The access Id you provided is not exist."),
    ]
    for headers, status, code, message in cases:
        got_status, _, body = raw(enforce_endpoint, "GET", "/queues/conf-sig", headers=headers)
        assert (got_status, error_of(body)) == (status, (code, message)), headers


# ---- V4 signatures, as the Java SDK 2.x sends them (written here with hashlib) ----

def _v4_request(endpoint, key_id, secret, method, path, query, body=b""):
    import hmac
    now = time.gmtime()
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", now)
    datetime_ = time.strftime("%Y%m%dT%H%M%SZ", now)
    day = datetime_[:8]
    enc = lambda s: urllib.parse.quote(s, safe="-_.~")
    pairs = sorted((enc(k.lower().strip()), enc(v.strip())) for k, v in query.items())
    canonical_query = "&".join(k if not v else f"{k}={v}" for k, v in pairs)
    headers = {"content-type": "text/xml;charset=UTF-8", "x-mns-version": "2015-06-06"}
    canonical = "\n".join([method, urllib.parse.quote(path, safe="/-_.~"), canonical_query]) + "\n"
    canonical += "".join(f"{k}:{v}\n" for k, v in sorted(headers.items())) + "\n"
    scope = f"{day}/cn-hangzhou/mns/aliyun_v4_request"
    to_sign = f"MNS4-HMAC-SHA256\n{datetime_}\n{scope}\n{canonical}"
    key = ("aliyun_v4" + secret).encode()
    for part in [day, "cn-hangzhou", "mns", "aliyun_v4_request"]:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Date"] = date
    headers["Authorization"] = f"MNS4-HMAC-SHA256 Credential={key_id}/{scope},Signature={signature}"
    target = path + ("?" + "&".join(f"{k}={enc(v)}" for k, v in query.items()) if query else "")
    return raw(endpoint, method, target, body, headers)


def test_v4_signatures_in_enforce_mode(enforce_endpoint):
    name = unique("v4")
    status, headers, body = _v4_request(enforce_endpoint, ENFORCE_KEY_ID, ENFORCE_SECRET, "PUT",
                                        f"/queues/{name}", {})
    assert status == 201, body
    try:
        doc = b"<Message><MessageBody>signed with v4</MessageBody></Message>"
        status, _, body = _v4_request(enforce_endpoint, ENFORCE_KEY_ID, ENFORCE_SECRET, "POST",
                                      f"/queues/{name}/messages", {}, doc)
        assert status == 201, body
        status, _, body = _v4_request(enforce_endpoint, ENFORCE_KEY_ID, ENFORCE_SECRET, "GET",
                                      f"/queues/{name}/messages", {"waitseconds": "1", "numOfMessages": "4"})
        assert status == 200, body
        status, _, body = _v4_request(enforce_endpoint, ENFORCE_KEY_ID, "wrong", "GET", f"/queues/{name}", {})
        assert (status, error_of(body)[0]) == (403, "SignatureDoesNotMatch")
    finally:
        Account(enforce_endpoint, ENFORCE_KEY_ID, ENFORCE_SECRET).get_queue(name).delete()


# ---- account stubs the SDK samples call ----

def test_open_service_stub(account):
    resp = account.open_service()
    assert resp.oder_id  # sic: the SDK's attribute name
