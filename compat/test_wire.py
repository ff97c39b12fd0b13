"""Raw HTTP checks without an SDK: JSON 1.0 and query protocol framing."""

import http.client
import json
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from helpers import ACCOUNT_ID, json_sdk_only, unique

JSON_CT = "application/x-amz-json-1.0"
QUERY_NS = "{http://queue.amazonaws.com/doc/2012-11-05/}"


def _request(endpoint, method, path, body=None, headers=None):
    hostport = urllib.parse.urlparse(endpoint).netloc
    conn = http.client.HTTPConnection(hostport, timeout=15)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def _json_call(endpoint, target, body, headers=None):
    h = {"Content-Type": JSON_CT, "X-Amz-Target": target}
    h.update(headers or {})
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    return _request(endpoint, "POST", "/", body=body, headers=h)


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _find(root, name):
    for el in root.iter():
        if _local(el.tag) == name:
            return el
    return None


def test_health(endpoint):
    status, _, _ = _request(endpoint, "GET", "/health")
    assert status == 200


# --------------------------------------------------------------------------- JSON 1.0

@json_sdk_only
def test_json_list_queues(endpoint):
    status, headers, data = _json_call(endpoint, "AmazonSQS.ListQueues", {})
    assert status == 200, data
    assert headers.get("content-type", "").startswith(JSON_CT)
    assert isinstance(json.loads(data), dict)


@json_sdk_only
def test_json_malformed_body(endpoint):
    status, headers, data = _json_call(endpoint, "AmazonSQS.ListQueues", b"{not json")
    assert status == 400, data
    body = json.loads(data)
    assert body.get("__type"), body
    assert body.get("message") or body.get("Message"), body


@json_sdk_only
def test_json_unknown_operation(endpoint):
    status, _, data = _json_call(endpoint, "AmazonSQS.NoSuchOperation", {})
    assert status == 400, data
    body = json.loads(data)
    assert body.get("__type"), body


@json_sdk_only
def test_json_error_has_query_error_header(endpoint):
    status, headers, data = _json_call(
        endpoint, "AmazonSQS.GetQueueUrl", {"QueueName": unique("wire-missing")})
    assert status == 400, data
    body = json.loads(data)
    assert body["__type"].rsplit("#", 1)[-1] == "QueueDoesNotExist", body
    assert body.get("message") or body.get("Message")
    assert headers.get("x-amzn-query-error") == "AWS.SimpleQueueService.NonExistentQueue;Sender"


@json_sdk_only
def test_json_queue_url_uses_host_header(endpoint):
    name = unique("wire-host")
    status, _, data = _json_call(endpoint, "AmazonSQS.CreateQueue", {"QueueName": name},
                                 headers={"Host": "sqs.example.test:4566"})
    assert status == 200, data
    assert json.loads(data)["QueueUrl"] == f"http://sqs.example.test:4566/{ACCOUNT_ID}/{name}"


@json_sdk_only
def test_json_missing_required_parameter(endpoint):
    status, headers, data = _json_call(endpoint, "AmazonSQS.CreateQueue", {})
    assert status == 400, data
    assert json.loads(data).get("__type")


# --------------------------------------------------------------------------- query protocol

def test_query_get_list_queues(endpoint):
    status, headers, data = _request(endpoint, "GET", "/?Action=ListQueues&Version=2012-11-05")
    assert status == 200, data
    root = ET.fromstring(data)
    assert _local(root.tag) == "ListQueuesResponse", data
    assert root.tag.startswith(QUERY_NS), root.tag
    assert _find(root, "RequestId") is not None, data


def test_query_post_create_and_get_queue_url(endpoint):
    name = unique("wire-q")
    form = urllib.parse.urlencode({"Action": "CreateQueue", "Version": "2012-11-05",
                                   "QueueName": name,
                                   "Attribute.1.Name": "VisibilityTimeout",
                                   "Attribute.1.Value": "40"})
    status, _, data = _request(endpoint, "POST", "/", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert status == 200, data
    root = ET.fromstring(data)
    assert _local(root.tag) == "CreateQueueResponse", data
    url = _find(root, "QueueUrl").text
    assert url == f"{endpoint}/{ACCOUNT_ID}/{name}"

    status, _, data = _request(
        endpoint, "GET",
        "/?" + urllib.parse.urlencode({"Action": "GetQueueAttributes", "Version": "2012-11-05",
                                       "QueueUrl": url, "AttributeName.1": "VisibilityTimeout"}))
    assert status == 200, data
    root = ET.fromstring(data)
    attrs = {_find(a, "Name").text: _find(a, "Value").text
             for a in root.iter() if _local(a.tag) == "Attribute"}
    assert attrs == {"VisibilityTimeout": "40"}


def test_query_queue_url_uses_host_header(endpoint):
    name = unique("wire-qhost")
    status, _, data = _request(
        endpoint, "GET",
        "/?" + urllib.parse.urlencode({"Action": "CreateQueue", "Version": "2012-11-05",
                                       "QueueName": name}),
        headers={"Host": "queue.example.test"})
    assert status == 200, data
    url = _find(ET.fromstring(data), "QueueUrl").text
    assert url == f"http://queue.example.test/{ACCOUNT_ID}/{name}"


def test_query_unknown_action(endpoint):
    status, _, data = _request(endpoint, "GET", "/?Action=NoSuchAction&Version=2012-11-05")
    assert status == 400, data
    root = ET.fromstring(data)
    assert _local(root.tag) == "ErrorResponse", data
    code = _find(root, "Code")
    assert code is not None and code.text == "InvalidAction", data
    assert _find(root, "Type") is not None and _find(root, "Type").text == "Sender"
    assert _find(root, "RequestId") is not None, data


def test_query_unknown_queue_error(endpoint):
    status, _, data = _request(
        endpoint, "GET",
        "/?" + urllib.parse.urlencode({"Action": "GetQueueUrl", "Version": "2012-11-05",
                                       "QueueName": unique("wire-none")}))
    assert status == 400, data
    root = ET.fromstring(data)
    assert _local(root.tag) == "ErrorResponse", data
    assert _find(root, "Code").text == "AWS.SimpleQueueService.NonExistentQueue", data
    assert _find(root, "Message") is not None


@pytest.mark.parametrize("body", ["line1\r\nline2\r", "a & b < c > d \"e\" 'f'"])
def test_query_xml_escaping_round_trip(endpoint, sqs, make_queue, body):
    """Bodies with CR and markup characters survive the XML response intact."""
    q = make_queue("wire-esc")
    sqs.send_message(QueueUrl=q.url, MessageBody=body)
    status, _, data = _request(
        endpoint, "GET",
        "/?" + urllib.parse.urlencode({"Action": "ReceiveMessage", "Version": "2012-11-05",
                                       "QueueUrl": q.url}))
    assert status == 200, data
    got = _find(ET.fromstring(data), "Body").text
    assert got == body


def test_query_path_style_queue_url(endpoint, sqs, make_queue):
    """Older query clients (e.g. AWS SDK for Java v1) POST to the queue URL's
    path instead of passing QueueUrl."""
    q = make_queue("wire-path")
    form = urllib.parse.urlencode({"Action": "SendMessage", "Version": "2012-11-05",
                                   "MessageBody": "path style"})
    status, _, data = _request(endpoint, "POST", f"/{ACCOUNT_ID}/{q.name}", body=form,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, data
    assert _local(ET.fromstring(data).tag) == "SendMessageResponse", data
    msgs = sqs.receive_message(QueueUrl=q.url, WaitTimeSeconds=1).get("Messages", [])
    assert [m["Body"] for m in msgs] == ["path style"]
