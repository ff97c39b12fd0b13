"""Topics and subscriptions through the official SDK: topic CRUD and listing, subscriptions,
publishing to queue and HTTP endpoints in each NotifyContentFormat, FilterTag, fan-out, push
retries, the documented errors, and the topic half of the SDK's own sample_all.py."""

import base64
import hashlib
import json
import time
import uuid
import xml.etree.ElementTree as ElementTree

import pytest
import mns.mns_tool
from mns.account import Account
from mns.message_property import MessagePropertyValue, PropertyType
from mns.mns_common import TopicHelper
from mns.mns_exception import MNSClientParameterException, MNSServerException
from mns.mns_request import ListTopicRequest, ListTopicResponse
from mns.queue import QueueMeta
from mns.subscription import (SubscriptionMeta, SubscriptionNotifyContentFormat,
                              SubscriptionNotifyStrategy)
from mns.topic import Base64TopicMessage, TopicMessage, TopicMeta

from conftest import ENFORCE_KEY_ID, ENFORCE_SECRET
from test_conformance import raw

# polyq's MNS namespace, in notifications as in responses (the docs print a trailing slash;
# docs/compatibility.md says why polyq has none).
MNS_NS = "{http://mns.aliyuncs.com/doc/v1}"
# polyq serves one account: a queue endpoint's region and account are not checked.
REGION, ACCOUNT_ID = "cn-hangzhou", "1234567890123456"
NOTIFICATION_FIELDS = {"TopicOwner", "TopicName", "Subscriber", "SubscriptionName", "MessageId",
                       "Message", "MessageMD5", "MessageTag", "PublishTime"}


def md5_upper(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def unique(prefix="topic"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def server_error(fn, *args):
    with pytest.raises(MNSServerException) as e:
        fn(*args)
    assert e.value.request_id
    return e.value


def queue_endpoint(queue):
    return TopicHelper.generate_queue_endpoint(REGION, ACCOUNT_ID, queue.queue_name)


def subscribe(topic, name, endpoint, **meta):
    sub = topic.get_subscription(name)
    sub.subscribe(SubscriptionMeta(endpoint, **meta))
    return sub


def take(queue, wait_seconds=1):
    """Receives and deletes one message of `queue`, whose body is a notification (plain text:
    the SDK must not base64-decode it)."""
    queue.set_encoding(False)
    msg = queue.receive_message(wait_seconds)
    queue.delete_message(msg.receipt_handle)
    return msg


def assert_empty(queue):
    with pytest.raises(MNSServerException) as e:
        queue.peek_message()
    assert e.value.type == "MessageNotExist"


def parse_notification(text, fmt):
    """The fields of an XML or JSON notification, as strings."""
    if fmt == "JSON":
        doc = json.loads(text)
        assert all(isinstance(v, str) for v in doc.values()), doc
        return doc
    root = ElementTree.fromstring(text)
    assert root.tag == MNS_NS + "Notification", root.tag
    fields = {}
    for child in root:
        assert child.tag.startswith(MNS_NS), child.tag
        fields[child.tag[len(MNS_NS):]] = child.text or ""
    return fields


@pytest.fixture
def statuses(account, monkeypatch):
    """(method, path, status) of every request the session account's SDK client sends from
    here on: MNSServerException carries no HTTP status."""
    seen = []
    http = account.mns_client.http
    send = http.send_request

    def recording(req_inter):
        resp = send(req_inter)
        seen.append((req_inter.method, req_inter.uri.split("?")[0], resp.status))
        return resp

    monkeypatch.setattr(http, "send_request", recording)
    return seen


# ---- topics: create, attributes, delete, list ----

def test_create_topic_defaults_and_idempotency(account, endpoint, statuses):
    topic = account.get_topic(unique())
    try:
        url = topic.create(TopicMeta())
        assert url == f"{endpoint}/topics/{topic.topic_name}"
        assert statuses[-1] == ("PUT", f"/topics/{topic.topic_name}", 201)
        meta = topic.get_attributes()
        assert meta.topic_name == topic.topic_name
        assert meta.maximum_message_size == 65536
        assert meta.message_retention_period == 86400
        assert meta.message_count == 0
        assert meta.logging_enabled is False
        assert 1_500_000_000 < meta.create_time < 10_000_000_000  # seconds
        assert meta.last_modify_time >= meta.create_time

        # The same attributes again: 204 and the URL again.
        assert topic.create(TopicMeta()) == url
        assert statuses[-1][2] == 204
        # Different attributes: 409 TopicAlreadyExist.
        e = server_error(topic.create, TopicMeta(maximum_message_size=2048))
        assert e.type == "TopicAlreadyExist" and statuses[-1][2] == 409
        assert topic.get_attributes().maximum_message_size == 65536
    finally:
        topic.delete()


def test_create_with_attributes_then_set_attributes(new_topic, statuses):
    topic = new_topic(maximum_message_size=2048, logging_enabled=True)
    meta = topic.get_attributes()
    assert (meta.maximum_message_size, meta.logging_enabled) == (2048, True)
    assert topic.create(TopicMeta(2048, True)).endswith("/topics/" + topic.topic_name)
    assert statuses[-1][2] == 204
    assert server_error(topic.create, TopicMeta(4096, True)).type == "TopicAlreadyExist"

    topic.set_attributes(TopicMeta(maximum_message_size=4096))
    assert statuses[-1] == ("PUT", f"/topics/{topic.topic_name}", 204)
    meta = topic.get_attributes()
    assert (meta.maximum_message_size, meta.logging_enabled) == (4096, True)  # logging untouched
    topic.set_attributes(TopicMeta(logging_enabled=False))
    got = topic.get_attributes()
    assert (got.maximum_message_size, got.logging_enabled) == (4096, False)  # size untouched
    assert got.create_time == meta.create_time
    assert got.last_modify_time >= got.create_time
    assert got.message_retention_period == 86400


def test_delete_topic_is_idempotent_and_removes_subscriptions(account, new_queue, statuses):
    queue = new_queue()
    name = unique()
    topic = account.get_topic(name)
    topic.create(TopicMeta())
    sub = subscribe(topic, "doomed", queue_endpoint(queue))
    topic.delete()
    assert statuses[-1] == ("DELETE", f"/topics/{name}", 204)
    assert server_error(topic.get_attributes).type == "TopicNotExist"
    assert statuses[-1][2] == 404
    topic.delete()  # deleting a missing topic succeeds
    assert statuses[-1][2] == 204

    # A new topic of the same name starts without the old subscription.
    topic.create(TopicMeta())
    try:
        assert topic.list_subscription() == ([], "")
        assert server_error(sub.get_attributes).type == "SubscriptionNotExist"
        topic.publish_message(TopicMessage("after re-create"))
        assert_empty(queue)
    finally:
        topic.delete()


def test_list_topic_prefix_and_paging(account, new_topic):
    prefix = unique("tl")
    names = sorted(new_topic(prefix=prefix).topic_name for _ in range(5))
    new_topic(prefix=unique("tlother"))
    urls, marker = account.list_topic(prefix=prefix, ret_number=2)
    assert len(urls) == 2 and marker
    seen = list(urls)
    for _ in range(5):  # bounded paging
        if not marker:
            break
        urls, marker = account.list_topic(prefix=prefix, ret_number=2, marker=marker)
        seen.extend(urls)
    assert marker == ""
    assert [u.rsplit("/", 1)[1] for u in seen] == names
    assert all(u.rsplit("/", 2)[1] == "topics" for u in seen)
    urls, marker = account.list_topic(prefix=prefix)
    assert len(urls) == 5 and marker == ""
    assert account.list_topic(prefix=unique("tlnone")) == ([], "")


def test_list_topic_with_meta(account, new_topic, endpoint):
    prefix = unique("tm")
    topic = new_topic(prefix=prefix, maximum_message_size=3072, logging_enabled=True)
    req = ListTopicRequest(prefix=prefix, with_meta=True)
    resp = ListTopicResponse()
    account.mns_client.list_topic(req, resp)
    assert resp.topicurl_list == [f"{endpoint}/topics/{topic.topic_name}"]
    assert len(resp.topicmeta_list) == 1
    meta = resp.topicmeta_list[0]
    assert meta["TopicName"] == topic.topic_name
    assert meta["MaximumMessageSize"] == "3072"
    assert meta["LoggingEnabled"] == "True"
    assert meta["MessageRetentionPeriod"] == "86400"
    assert int(meta["CreateTime"]) > 1_500_000_000

    # Without x-mns-with-meta only the URL is listed.
    status, _, body = raw(endpoint, "GET", "/topics", headers={"x-mns-prefix": prefix})
    assert status == 200
    root = ElementTree.fromstring(body)
    [entry] = list(root.iter(MNS_NS + "Topic"))
    assert [c.tag[len(MNS_NS):] for c in entry] == ["TopicURL"]


def test_topics_are_not_queues(account, new_topic, new_queue):
    prefix = unique("tq")
    topic = new_topic(prefix=prefix)
    assert account.list_queue(prefix=prefix) == ([], "")
    assert server_error(account.get_queue(topic.topic_name).get_attributes).type == "QueueNotExist"
    # A queue of the same name is a different thing; deleting it leaves the topic.
    queue = account.get_queue(topic.topic_name)
    queue.create(QueueMeta())
    queue.delete()
    assert topic.get_attributes().topic_name == topic.topic_name
    # The queues behind subscriptions are not listed either.
    subscribe(topic, "hidden", queue_endpoint(new_queue()))
    names = []
    marker = ""
    for _ in range(100):  # bounded paging over every queue of the server
        urls, marker = account.list_queue(ret_number=1000, marker=marker)
        names.extend(u.rsplit("/", 1)[1] for u in urls)
        if not marker:
            break
    assert not [n for n in names if "hidden" in n or topic.topic_name in n]


# ---- subscriptions ----

def test_subscription_lifecycle(new_topic, new_queue, endpoint, statuses):
    topic = new_topic()
    queue = new_queue()
    ep = queue_endpoint(queue)
    sub = topic.get_subscription("life")
    url = sub.subscribe(SubscriptionMeta(ep))
    assert url == f"{endpoint}/topics/{topic.topic_name}/subscriptions/life"
    assert statuses[-1] == ("PUT", f"/topics/{topic.topic_name}/subscriptions/life", 201)
    meta = sub.get_attributes()
    assert (meta.topic_name, meta.subscription_name, meta.endpoint) == (topic.topic_name, "life", ep)
    assert meta.topic_owner
    assert meta.filter_tag == ""
    assert meta.notify_strategy == "BACKOFF_RETRY"  # the documented defaults
    assert meta.notify_content_format == "XML"
    assert 1_500_000_000 < meta.create_time <= meta.last_modify_time < 10_000_000_000

    # Subscribing again with the same attributes: 204; with different ones: 409.
    assert sub.subscribe(SubscriptionMeta(ep)) == url
    assert statuses[-1][2] == 204
    for different in (SubscriptionMeta(ep, filter_tag="x"),
                      SubscriptionMeta(ep, notify_content_format="JSON"),
                      SubscriptionMeta(ep, notify_strategy="EXPONENTIAL_DECAY_RETRY"),
                      SubscriptionMeta(queue_endpoint(new_queue()))):
        assert server_error(sub.subscribe, different).type == "SubscriptionAlreadyExist"
        assert statuses[-1][2] == 409

    sub.set_attributes(SubscriptionMeta(notify_strategy=SubscriptionNotifyStrategy.EXPONENTIAL))
    assert statuses[-1][2] == 204
    got = sub.get_attributes()
    assert got.notify_strategy == "EXPONENTIAL_DECAY_RETRY"
    assert (got.endpoint, got.filter_tag, got.notify_content_format) == (ep, "", "XML")
    assert got.create_time == meta.create_time

    topic.publish_message(TopicMessage("before unsubscribe"))
    assert parse_notification(take(queue).message_body, "XML")["Message"] == "before unsubscribe"
    sub.unsubscribe()
    assert statuses[-1] == ("DELETE", f"/topics/{topic.topic_name}/subscriptions/life", 204)
    assert server_error(sub.get_attributes).type == "SubscriptionNotExist"
    assert statuses[-1][2] == 404
    sub.unsubscribe()  # unsubscribing again succeeds
    assert statuses[-1][2] == 204
    topic.publish_message(TopicMessage("after unsubscribe"))
    assert_empty(queue)


def test_list_subscription_prefix_and_paging(new_topic, new_queue, endpoint):
    topic = new_topic()
    ep = queue_endpoint(new_queue())
    names = [f"sub-{i}" for i in range(5)]
    for name in names + ["other"]:
        subscribe(topic, name, ep)
    urls, marker = topic.list_subscription(prefix="sub-", ret_number=2)
    assert len(urls) == 2 and marker
    seen = list(urls)
    for _ in range(5):  # bounded paging
        if not marker:
            break
        urls, marker = topic.list_subscription(prefix="sub-", ret_number=2, marker=marker)
        seen.extend(urls)
    assert marker == ""
    assert seen == [f"{endpoint}/topics/{topic.topic_name}/subscriptions/{n}" for n in names]
    urls, marker = topic.list_subscription()
    assert [u.rsplit("/", 1)[1] for u in urls] == ["other"] + names and marker == ""
    # Another topic's subscriptions are its own.
    assert new_topic().list_subscription() == ([], "")


# ---- publishing to queue endpoints ----

@pytest.mark.parametrize("fmt", ["XML", "JSON", "SIMPLIFIED"])
def test_publish_to_a_queue_in_each_format(new_topic, new_queue, fmt, statuses):
    topic = new_topic()
    queue = new_queue()
    sub = subscribe(topic, f"fmt-{fmt.lower()}", queue_endpoint(queue), notify_content_format=fmt)
    body = 'tick <b> & "quoted" \'s \u00fc\u4e2d'
    before = int(time.time() * 1000)
    sent = topic.publish_message(TopicMessage(body, "important"))
    after = int(time.time() * 1000)
    assert statuses[-1] == ("POST", f"/topics/{topic.topic_name}/messages", 201)
    assert sent.message_id
    assert sent.message_body_md5 == md5_upper(body)

    # Delivered before the publish was answered: a peek without waiting finds it.
    queue.set_encoding(False)
    assert queue.peek_message().message_body
    got = take(queue, 0)
    if fmt == "SIMPLIFIED":
        assert got.message_body == body
    else:
        n = parse_notification(got.message_body, fmt)
        assert set(n) == NOTIFICATION_FIELDS, n
        assert n["TopicOwner"] == n["Subscriber"] == sub.get_attributes().topic_owner != ""
        assert n["TopicName"] == topic.topic_name
        assert n["SubscriptionName"] == sub.subscription_name
        assert n["MessageId"] == sent.message_id
        assert n["Message"] == body
        assert n["MessageMD5"] == sent.message_body_md5
        assert n["MessageTag"] == "important"
        assert before - 1000 <= int(n["PublishTime"]) <= after + 1000  # milliseconds
    assert_empty(queue)

    # Without a tag the notification has no MessageTag.
    sent = topic.publish_message(TopicMessage("untagged"))
    got = take(queue, 0)
    if fmt == "SIMPLIFIED":
        assert got.message_body == "untagged"
    else:
        n = parse_notification(got.message_body, fmt)
        assert set(n) - {"MessageTag"} == NOTIFICATION_FIELDS - {"MessageTag"}, n
        assert n.get("MessageTag", "") == ""
        assert (n["Message"], n["MessageId"]) == ("untagged", sent.message_id)


def test_base64_topic_message_to_a_simplified_queue(new_topic, new_queue):
    # The SDK samples' pairing: Base64TopicMessage published, SIMPLIFIED queue subscription,
    # consumed with the queue's default base64 decoding.
    topic = new_topic()
    queue = new_queue()
    subscribe(topic, "b64", queue_endpoint(queue), notify_content_format="SIMPLIFIED")
    body = "I am test message 0. \u4e2d\u6587 <&>"
    sent = topic.publish_message(Base64TopicMessage(body))
    got = queue.receive_message_with_str_body(1)
    assert got.message_body == body
    assert got.message_body_md5 == sent.message_body_md5


def test_publish_without_subscriptions(new_topic):
    topic = new_topic()
    sent = topic.publish_message(TopicMessage("nobody listens"))
    assert sent.message_body_md5 == md5_upper("nobody listens")
    assert topic.get_attributes().message_count == 0


def test_filter_tag(new_topic, new_queue):
    topic = new_topic()
    tagged, everything = new_queue(), new_queue()
    subscribe(topic, "tagged", queue_endpoint(tagged), filter_tag="important")
    subscribe(topic, "all", queue_endpoint(everything))
    assert topic.get_subscription("tagged").get_attributes().filter_tag == "important"

    topic.publish_message(TopicMessage("match", "important"))
    assert parse_notification(take(tagged, 0).message_body, "XML")["Message"] == "match"
    assert parse_notification(take(everything, 0).message_body, "XML")["Message"] == "match"

    for tag in ("other", "", "importan"):
        topic.publish_message(TopicMessage(f"tag {tag!r}", tag))
        assert_empty(tagged)
        n = parse_notification(take(everything, 0).message_body, "XML")
        assert n["Message"] == f"tag {tag!r}"
    assert_empty(everything)

    # The longest tag, 16 characters, is accepted and matched.
    sixteen = "t" * 16
    subscribe(topic, "sixteen", queue_endpoint(tagged), filter_tag=sixteen)
    topic.publish_message(TopicMessage("long tag", sixteen))
    n = parse_notification(take(tagged, 0).message_body, "XML")
    assert (n["Message"], n["MessageTag"], n["SubscriptionName"]) == ("long tag", sixteen, "sixteen")
    take(everything, 0)
    assert_empty(tagged)


def test_fan_out_to_every_subscription(new_topic, new_queue):
    topic = new_topic()
    queues = [new_queue() for _ in range(3)]
    formats = ["XML", "JSON", "XML"]
    for i, (queue, fmt) in enumerate(zip(queues, formats)):
        subscribe(topic, f"fan-{i}", queue_endpoint(queue), notify_content_format=fmt)
    # Two subscriptions into one queue give that queue two notifications.
    subscribe(topic, "fan-twin", queue_endpoint(queues[0]), notify_content_format="SIMPLIFIED")

    sent = topic.publish_message(TopicMessage("to all"))
    for i, (queue, fmt) in enumerate(zip(queues[1:], formats[1:]), start=1):
        n = parse_notification(take(queue, 0).message_body, fmt)
        assert (n["SubscriptionName"], n["MessageId"], n["Message"]) == (f"fan-{i}", sent.message_id, "to all")
        assert_empty(queue)
    queues[0].set_encoding(False)
    got = queues[0].batch_receive_message(16, 1)
    bodies = sorted(m.message_body for m in got)
    assert len(bodies) == 2
    assert bodies[1] == "to all"  # SIMPLIFIED
    n = parse_notification(bodies[0], "XML")
    assert (n["SubscriptionName"], n["MessageId"]) == ("fan-0", sent.message_id)


def test_user_properties_reach_the_queue_message(new_topic, new_queue):
    topic = new_topic()
    queue = new_queue()
    subscribe(topic, "props", queue_endpoint(queue))
    msg = TopicMessage("with-props", "tagged")
    msg.add_user_property("color", MessagePropertyValue(PropertyType.STRING, "blue"))
    msg.add_user_property("size", MessagePropertyValue(PropertyType.NUMBER, 42))
    msg.add_user_property("ok", MessagePropertyValue(PropertyType.BOOLEAN, True))
    msg.add_user_property("raw", MessagePropertyValue(PropertyType.BINARY, b"\x00\x01"))
    sent = topic.publish_message(msg)
    got = take(queue, 0)
    assert parse_notification(got.message_body, "XML")["MessageId"] == sent.message_id
    props = got.get_user_properties()
    assert set(props) == {"color", "size", "ok", "raw"}
    assert (props["color"].get_data_type(), props["color"].get_raw_value()) == (PropertyType.STRING, "blue")
    assert props["size"].get_data_type() == PropertyType.NUMBER
    assert props["size"].get_string_value_by_type() == "42"
    assert props["ok"].get_data_type() == PropertyType.BOOLEAN
    assert props["raw"].get_binary_value() == b"\x00\x01"


def test_message_size_limit_is_the_topics(new_topic, new_queue):
    topic = new_topic(maximum_message_size=1024)
    queue = new_queue()
    subscribe(topic, "sized", queue_endpoint(queue), notify_content_format="SIMPLIFIED")
    topic.publish_message(TopicMessage("x" * 1024))
    assert take(queue, 0).message_body == "x" * 1024
    e = server_error(topic.publish_message, TopicMessage("x" * 1025))
    assert e.type == "InvalidArgument"
    # The limit counts bytes: 513 two-byte characters are 1026 bytes.
    assert server_error(topic.publish_message, TopicMessage("\u00e9" * 513)).type == "InvalidArgument"
    assert_empty(queue)
    topic.set_attributes(TopicMeta(maximum_message_size=2048))
    topic.publish_message(TopicMessage("x" * 1025))
    assert take(queue, 0).message_body == "x" * 1025


# ---- HTTP endpoints ----

def test_http_endpoint_push(new_topic, notify_server):
    topic = new_topic()
    subscribe(topic, "http-simple", f"{notify_server.base}/hook/simple?src=mns",
              notify_content_format=SubscriptionNotifyContentFormat.SIMPLIFIED)
    # No path: MNS posts to /notifications.
    xml_sub = subscribe(topic, "http-xml", notify_server.base)
    body = 'pushed <b> & "q" \u00fc'
    before = int(time.time() * 1000)
    sent = topic.publish_message(TopicMessage(body, "web"))
    after = int(time.time() * 1000)

    got = notify_server.wait_for(2, timeout=15)
    assert len(got) == 2, got
    by_path = {r["path"]: r for r in got}
    assert set(by_path) == {"/hook/simple?src=mns", "/notifications"}
    for r in got:
        assert r["method"] == "POST"
        assert r["headers"].get("x-mns-request-id")
        assert r["headers"].get("date")

    simple = by_path["/hook/simple?src=mns"]
    assert simple["body"] == body
    assert simple["headers"]["x-mns-message-id"] == sent.message_id
    assert simple["headers"]["x-mns-message-tag"] == "web"

    full = by_path["/notifications"]
    assert full["headers"]["content-type"].lower().replace(" ", "") == "text/xml;charset=utf-8"
    n = parse_notification(full["body"], "XML")
    assert set(n) == NOTIFICATION_FIELDS
    assert n["TopicOwner"] == xml_sub.get_attributes().topic_owner
    assert (n["TopicName"], n["SubscriptionName"]) == (topic.topic_name, "http-xml")
    assert (n["MessageId"], n["Message"], n["MessageTag"]) == (sent.message_id, body, "web")
    assert n["MessageMD5"] == md5_upper(body)
    assert before - 1000 <= int(n["PublishTime"]) <= after + 1000

    # A message the filter drops is not pushed; the next one is, once.
    topic.get_subscription("http-simple").unsubscribe()
    subscribe(topic, "http-filtered", f"{notify_server.base}/filtered", filter_tag="yes",
              notify_content_format="JSON")
    topic.publish_message(TopicMessage("skip me", "no"))
    sent = topic.publish_message(TopicMessage("take me", "yes"))
    got = notify_server.wait_for(5, timeout=15)
    late = sorted((r["path"], r["body"]) for r in got[2:])
    assert len(late) == 3, late
    assert [p for p, _ in late] == ["/filtered", "/notifications", "/notifications"]
    doc = parse_notification(late[0][1], "JSON")
    assert (doc["Message"], doc["MessageId"], doc["MessageTag"]) == ("take me", sent.message_id, "yes")
    assert sorted(parse_notification(b, "XML")["Message"] for _, b in late[1:]) == ["skip me", "take me"]


def verify_push_signature(request):
    """Verifies a pushed request as the SDK's HTTP endpoint sample does: download the
    certificate named (base64) by x-mns-signing-cert-url, take the subjectPublicKeyInfo out of
    its TBSCertificate, and check Authorization (base64 RSA-SHA1, PKCS#1 v1.5) over the method,
    Content-MD5, Content-Type, Date, the sorted x-mns-* "name:value" lines and the path."""
    from urllib.request import urlopen
    from Crypto.Hash import SHA
    from Crypto.PublicKey import RSA
    from Crypto.Signature import PKCS1_v1_5
    from Crypto.Util.asn1 import DerSequence

    headers = request["headers"]
    vendor = "\n".join(sorted(f"{k}:{v}" for k, v in headers.items() if k.startswith("x-mns-")))
    fixed = "\n".join(headers.get(k, "") for k in ("content-md5", "content-type", "date"))
    to_sign = f"{request['method']}\n{fixed}\n{vendor}\n{request['path']}"
    cert_url = base64.b64decode(headers["x-mns-signing-cert-url"]).decode()
    pem = urlopen(cert_url, timeout=10).read().decode()
    der = base64.b64decode("".join(pem.strip().splitlines()[1:-1]))
    cert = DerSequence()
    cert.decode(der)
    tbs = DerSequence()
    tbs.decode(cert[0])
    key = RSA.importKey(tbs[6])
    signature = base64.b64decode(headers["authorization"])
    return PKCS1_v1_5.new(key).verify(SHA.new(to_sign.encode()), signature)


def test_http_pushes_verify_like_the_sdk_sample(new_topic, notify_server, endpoint):
    topic = new_topic()
    subscribe(topic, "signed-xml", f"{notify_server.base}/sig?x=1")
    subscribe(topic, "signed-simple", f"{notify_server.base}/simple",
              notify_content_format=SubscriptionNotifyContentFormat.SIMPLIFIED)
    topic.publish_message(TopicMessage("verify me \u00e9", "tag"))
    got = notify_server.wait_for(2, timeout=15)
    assert len(got) == 2, got
    for request in got:
        cert_url = base64.b64decode(request["headers"]["x-mns-signing-cert-url"]).decode()
        assert cert_url == f"{endpoint}/_polyq/mns-signing-cert.pem"
        assert verify_push_signature(request), request
        # A request changed on the way does not verify.
        forged = dict(request, headers=dict(request["headers"], **{"x-mns-message-tag": "other"}))
        assert not verify_push_signature(forged)


def test_http_push_header_names_are_cased_as_mns_sends_them(new_topic, notify_server):
    """MNS sends `Content-Type`, `Content-md5`, `Date`, `Authorization`, `User-Agent` and
    lower-case `x-mns-*` (a push captured in the Go SDK's example/http_authorization.go); the
    Java SDK's HttpEndpointSubscription sample reads them from a case-sensitive map and the PHP
    sample from `$headers['Authorization']`, so other cases fail their signature check."""
    topic = new_topic()
    subscribe(topic, "cased", f"{notify_server.base}/cased")
    topic.publish_message(TopicMessage("case matters", "t"))
    (request,) = notify_server.wait_for(1, timeout=15)
    raw = request["raw_headers"]
    for name in ("Content-Type", "Content-md5", "Date", "Authorization", "User-Agent"):
        assert name in raw, sorted(raw)
    vendor = [k for k in raw if k.lower().startswith("x-mns-")]
    assert vendor and all(k == k.lower() for k in vendor), vendor
    assert raw["User-Agent"] == "Aliyun Notification Service Agent"
    # The Java sample's string to sign, from exact-case lookups, verifies.
    as_java = dict(request, headers={
        "content-md5": raw["Content-md5"], "content-type": raw["Content-Type"],
        "date": raw["Date"], "authorization": raw["Authorization"],
        **{k: v for k, v in raw.items() if k.startswith("x-mns-")}})
    assert verify_push_signature(as_java)


def test_http_push_retried_with_exponential_decay(new_topic, notify_server):
    topic = new_topic()
    subscribe(topic, "retry", notify_server.base + "/retry",
              notify_strategy=SubscriptionNotifyStrategy.EXPONENTIAL,
              notify_content_format="SIMPLIFIED")
    notify_server.statuses = [500]  # the first push fails, the next one is answered 204
    sent = topic.publish_message(TopicMessage("try again", "again"))
    got = notify_server.wait_for(2, timeout=15)
    assert len(got) == 2, got
    for r in got:
        assert (r["path"], r["body"]) == ("/retry", "try again")
        assert r["headers"]["x-mns-message-id"] == sent.message_id
        assert r["headers"]["x-mns-message-tag"] == "again"
    # EXPONENTIAL_DECAY_RETRY waits about a second before the first retry.
    assert got[1]["at"] - got[0]["at"] >= 0.5
    # Answered 204: no further push.
    assert len(notify_server.wait_for(3, timeout=3)) == 2


def test_set_subscription_attributes_changes_the_retry_strategy(new_topic, notify_server):
    topic = new_topic()
    sub = subscribe(topic, "switch", notify_server.base, notify_strategy="BACKOFF_RETRY",
                    notify_content_format="SIMPLIFIED")
    sub.set_attributes(SubscriptionMeta(notify_strategy="EXPONENTIAL_DECAY_RETRY"))
    assert sub.get_attributes().notify_strategy == "EXPONENTIAL_DECAY_RETRY"
    notify_server.statuses = [500]
    topic.publish_message(TopicMessage("switched"))
    # BACKOFF_RETRY would wait at least 10 s before retrying.
    got = notify_server.wait_for(2, timeout=8)
    assert [r["body"] for r in got] == ["switched", "switched"]


# ---- errors ----

def test_missing_topic_and_subscription(account, new_topic, statuses):
    topic = account.get_topic(unique("missing"))
    sub = topic.get_subscription("s")
    calls = [
        (topic.get_attributes,),
        (topic.set_attributes, TopicMeta(maximum_message_size=2048)),
        (topic.publish_message, TopicMessage("x")),
        (topic.list_subscription,),
        (sub.subscribe, SubscriptionMeta("http://127.0.0.1:19600/x")),
        (sub.get_attributes,),
        (sub.set_attributes, SubscriptionMeta(notify_strategy="EXPONENTIAL_DECAY_RETRY")),
    ]
    for fn, *args in calls:
        assert server_error(fn, *args).type == "TopicNotExist", fn
        assert statuses[-1][2] == 404

    existing = new_topic()
    sub = existing.get_subscription("never")
    for fn, *args in [(sub.get_attributes,),
                      (sub.set_attributes, SubscriptionMeta(notify_strategy="BACKOFF_RETRY"))]:
        assert server_error(fn, *args).type == "SubscriptionNotExist", fn
        assert statuses[-1][2] == 404


def test_invalid_names(account, new_topic, statuses):
    for name, code in [("bad_name", "TopicNameInvalid"), ("-lead", "TopicNameInvalid"),
                       ("t" * 256, "TopicNameLengthError")]:
        assert server_error(account.get_topic(name).create, TopicMeta()).type == code, name
        assert statuses[-1][2] == 400
    longest = account.get_topic("t" * 255)
    longest.create(TopicMeta())
    longest.delete()

    topic = new_topic()
    ep = "http://127.0.0.1:19600/x"
    for name, code in [("bad_name", "SubscriptionNameInvalid"), ("-lead", "SubscriptionNameInvalid"),
                       ("s" * 256, "SubscriptionNameLengthError")]:
        assert server_error(topic.get_subscription(name).subscribe, SubscriptionMeta(ep)).type == code, name
        assert statuses[-1][2] == 400
    subscribe(topic, "s" * 255, ep).unsubscribe()


def test_invalid_endpoints(new_topic, statuses):
    topic = new_topic()
    sub = topic.get_subscription("ep")
    for ep in ["ftp://127.0.0.1/x",
               "https://",
               "http://",
               "acs:mns:cn-hangzhou:123:topics/t",
               "acs:mns:cn-hangzhou:queues/q",
               TopicHelper.generate_queue_endpoint(REGION, ACCOUNT_ID, "bad_name")]:
        assert server_error(sub.subscribe, SubscriptionMeta(ep)).type == "EndpointInvalid", ep
        assert statuses[-1][2] == 400
    assert topic.list_subscription() == ([], "")


def test_undeliverable_endpoints_are_kept(new_topic, new_queue):
    """Mail, SMS and https endpoints are subscribed and shown (PHP's TopicTest subscribes
    https://…); polyq delivers nothing to mail and SMS, and pushes to https over TLS (here to a
    closed local port, so only retries follow); queue endpoints built from a host with a port
    (as the PHP SDK and the Python sample build them) are queue endpoints."""
    topic = new_topic()
    queue = new_queue()
    queue.set_encoding(False)
    endpoints = [TopicHelper.generate_mail_endpoint("someone@example.com"),
                 TopicHelper.generate_sms_endpoint(),
                 TopicHelper.generate_sms_endpoint("13800000000"),
                 "https://127.0.0.1:19600/tls"]
    for i, ep in enumerate(endpoints):
        sub = topic.get_subscription(f"odd-{i}")
        sub.subscribe(SubscriptionMeta(ep))
        assert sub.get_attributes().endpoint == ep
    port_built = f"acs:mns::localhost:9324:queues/{queue.queue_name}"
    topic.get_subscription("port").subscribe(
        SubscriptionMeta(port_built, notify_content_format="SIMPLIFIED"))
    topic.publish_message(TopicMessage("to all"))
    assert queue.receive_message(1).message_body == "to all"


def test_invalid_arguments(account, new_topic, statuses):
    for size in (1023, 65537):
        e = server_error(account.get_topic(unique()).create, TopicMeta(maximum_message_size=size))
        assert e.type == "InvalidArgument" and statuses[-1][2] == 400, size
    topic = new_topic()
    for size in (1023, 65537):
        assert server_error(topic.set_attributes, TopicMeta(maximum_message_size=size)).type == "InvalidArgument"
        assert statuses[-1][2] == 400
    assert topic.get_attributes().maximum_message_size == 65536
    for size in (1024, 65536):
        topic.set_attributes(TopicMeta(maximum_message_size=size))
        assert topic.get_attributes().maximum_message_size == size

    sub = topic.get_subscription("args")
    ep = "http://127.0.0.1:19600/x"
    for meta in (SubscriptionMeta(ep, notify_strategy="SOMETIMES"),
                 SubscriptionMeta(ep, notify_content_format="YAML")):
        assert server_error(sub.subscribe, meta).type == "InvalidArgument"
        assert statuses[-1][2] == 400
    sub.subscribe(SubscriptionMeta(ep))
    bad = SubscriptionMeta(notify_strategy="NEVER")
    assert server_error(sub.set_attributes, bad).type == "InvalidArgument"
    assert sub.get_attributes().notify_strategy == "BACKOFF_RETRY"


def test_tags_over_16_characters(new_topic, monkeypatch, statuses):
    topic = new_topic()
    sub = topic.get_subscription("longtag")
    ep = "http://127.0.0.1:19600/x"
    # The SDK refuses both itself; with its checks off, the server does.
    with pytest.raises(MNSClientParameterException):
        sub.subscribe(SubscriptionMeta(ep, filter_tag="f" * 17))
    with pytest.raises(MNSClientParameterException):
        topic.publish_message(TopicMessage("x", "m" * 17))
    monkeypatch.setattr(mns.mns_tool.SubscriptionValidator, "filter_tag_validate",
                        staticmethod(lambda *args: None))
    monkeypatch.setattr(mns.mns_tool.MessageValidator, "publishmessage_attr_validate",
                        staticmethod(lambda *args: None))
    assert server_error(sub.subscribe, SubscriptionMeta(ep, filter_tag="f" * 17)).type == "InvalidArgument"
    assert statuses[-1][2] == 400
    assert server_error(topic.publish_message, TopicMessage("x", "m" * 17)).type == "InvalidArgument"
    assert statuses[-1][2] == 400
    assert topic.list_subscription() == ([], "")


# ---- the topic half of the SDK's sample_all.py, with its exact values ----

def test_sample_all_topic_walk(account, notify_server):
    # sample_all.py names its topic MyTopic-<time> and subscribes http://www.baidu.com; a local
    # endpoint stands in for the latter.
    stamp = time.strftime("%y%m%d-%H%M%S", time.localtime())
    my_topic = account.get_topic(f"MyTopic-{stamp}-{uuid.uuid4().hex[:6]}")
    topic_meta = TopicMeta()
    topic_meta.set_maximum_message_size(10240)
    topic_url = my_topic.create(topic_meta)
    try:
        assert topic_url.endswith("/topics/" + my_topic.topic_name)

        topic_meta = TopicMeta()
        topic_meta.set_maximum_message_size(6144)
        topic_meta.set_logging_enabled(True)
        my_topic.set_attributes(topic_meta)

        topic_meta = my_topic.get_attributes()
        assert (topic_meta.topic_name, topic_meta.maximum_message_size, topic_meta.logging_enabled) == \
            (my_topic.topic_name, 6144, True)
        assert topic_meta.message_count == 0
        assert str(topic_meta)  # the sample prints it

        prefix, ret_number, marker = "", 10, ""
        listed = []
        for _ in range(1000):  # bounded: the sample loops until next_marker is ""
            topic_url_list, next_marker = account.list_topic(prefix, ret_number, marker)
            assert len(topic_url_list) <= ret_number
            listed.extend(topic_url_list)
            if next_marker == "":
                break
            marker = next_marker
        assert next_marker == ""
        assert topic_url in listed
        assert len(listed) == len(set(listed))

        filter_tag = "important"
        sub_meta = SubscriptionMeta(notify_server.base, SubscriptionNotifyStrategy.BACKOFF,
                                    SubscriptionNotifyContentFormat.XML, filter_tag)
        my_sub = my_topic.get_subscription(f"MySubscription-{stamp}")
        sub_url = my_sub.subscribe(sub_meta)
        assert sub_url.endswith(f"/topics/{my_topic.topic_name}/subscriptions/{my_sub.subscription_name}")

        sub_meta = SubscriptionMeta(notify_strategy=SubscriptionNotifyStrategy.EXPONENTIAL)
        my_sub.set_attributes(sub_meta)

        sub_meta = my_sub.get_attributes()
        assert (sub_meta.endpoint, sub_meta.filter_tag, sub_meta.notify_strategy,
                sub_meta.notify_content_format) == \
            (notify_server.base, "important", "EXPONENTIAL_DECAY_RETRY", "XML")
        assert str(sub_meta)

        prefix, ret_number, marker = "", 10, ""
        subs = []
        for _ in range(10):
            sub_url_list, next_marker = my_topic.list_subscription(prefix, ret_number, marker)
            subs.extend(sub_url_list)
            if next_marker == "":
                break
            marker = next_marker
        assert subs == [sub_url]

        msg_body = "I am test message."
        msg_tag = "important"
        re_msg = my_topic.publish_message(TopicMessage(msg_body, msg_tag))
        assert re_msg.message_id and re_msg.message_body_md5 == md5_upper(msg_body)
        re_b64 = my_topic.publish_message(Base64TopicMessage(msg_body, msg_tag))
        encoded = base64.b64encode(msg_body.encode()).decode()
        assert re_b64.message_body_md5 == md5_upper(encoded)

        got = notify_server.wait_for(2, timeout=15)
        assert len(got) == 2, got
        pushed = {}
        for r in got:
            assert r["path"] == "/notifications"
            n = parse_notification(r["body"], "XML")
            pushed[n["MessageId"]] = (n["Message"], n["MessageTag"])
        assert pushed == {re_msg.message_id: (msg_body, msg_tag), re_b64.message_id: (encoded, msg_tag)}
    finally:
        my_topic.delete()


# ---- signed requests ----

def test_enforce_mode_signs_topic_calls(enforce_endpoint):
    account = Account(enforce_endpoint, ENFORCE_KEY_ID, ENFORCE_SECRET)
    prefix = unique("signed")
    queue = account.get_queue(prefix + "-q")
    queue.create(QueueMeta())
    topic = account.get_topic(prefix + "-t")
    try:
        topic.create(TopicMeta(maximum_message_size=2048))
        topic.set_attributes(TopicMeta(logging_enabled=True))  # PUT ...?metaoverride=true
        urls, _ = account.list_topic(prefix=prefix, ret_number=5)
        assert urls == [f"{enforce_endpoint}/topics/{topic.topic_name}"]
        sub = subscribe(topic, "signed", queue_endpoint(queue), filter_tag="ok")
        sub.set_attributes(SubscriptionMeta(notify_strategy="EXPONENTIAL_DECAY_RETRY"))
        assert sub.get_attributes().notify_strategy == "EXPONENTIAL_DECAY_RETRY"
        assert len(topic.list_subscription(prefix="sig", ret_number=1)[0]) == 1
        sent = topic.publish_message(TopicMessage("signed body", "ok"))
        assert parse_notification(take(queue).message_body, "XML")["MessageId"] == sent.message_id
        sub.unsubscribe()

        wrong = Account(enforce_endpoint, ENFORCE_KEY_ID, "not-the-secret").get_topic(topic.topic_name)
        assert server_error(wrong.get_attributes).type == "SignatureDoesNotMatch"
        assert server_error(wrong.publish_message, TopicMessage("x")).type == "SignatureDoesNotMatch"
    finally:
        topic.delete()
        queue.delete()
