"""One queue, every dialect: messages cross between the Azure SDK, the 2007 SQS REST API and
the SQS JSON protocol (raw HTTP for the two SQS forms, so this suite needs no AWS SDK)."""
import json
import os
import re
import urllib.request
import uuid

import pytest
from azure.storage.queue import QueueClient, TextBase64EncodePolicy


def _base():
    port = os.environ.get("POLYQ_AZURE_PORT")
    if not port:
        pytest.skip("run through compat/azure/run.sh")
    return f"http://127.0.0.1:{port}"


def _http(method, url, body=b"", headers=None):
    req = urllib.request.Request(url, data=body if method != "GET" else None, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode()


def _sqs_json(action, payload):
    out = _http(
        "POST",
        _base() + "/",
        json.dumps(payload).encode(),
        {"X-Amz-Target": f"AmazonSQS.{action}", "Content-Type": "application/x-amz-json-1.0"},
    )
    return json.loads(out)


@pytest.fixture
def shared_queue():
    conn = os.environ.get("POLYQ_AZURE_CONNECTION_STRING")
    if not conn:
        pytest.skip("run through compat/azure/run.sh")
    name = "cross" + uuid.uuid4().hex[:12]
    q = QueueClient.from_connection_string(conn, name, retry_total=0)
    q.create_queue()
    yield name, q
    q.delete_queue()


def test_rest2007_to_azure_and_back(shared_queue):
    name, q = shared_queue
    rest = f"{_base()}/000000000000/{name}"
    _http("PUT", rest + "/back", b"from the 2007 API", {"AWS-Version": "2007-05-01", "Content-Type": "text/plain"})
    got = list(q.receive_messages(max_messages=1))
    assert [m.content for m in got] == ["from the 2007 API"]
    q.delete_message(got[0])

    q.send_message("from the Azure SDK")
    xml = _http("GET", rest + "/front", headers={"AWS-Version": "2007-05-01"})
    assert re.findall(r"<MessageBody>(.*?)</MessageBody>", xml) == ["from the Azure SDK"]


def test_sqs_json_to_azure_and_back(shared_queue):
    name, q = shared_queue
    url = _sqs_json("GetQueueUrl", {"QueueName": name})["QueueUrl"]
    _sqs_json("SendMessage", {"QueueUrl": url, "MessageBody": "from SQS"})
    got = list(q.receive_messages(max_messages=1))
    assert [m.content for m in got] == ["from SQS"]
    q.delete_message(got[0])

    # The SDK's base64 policy is a client-side encoding: SQS sees the encoded text.
    encoded = QueueClient.from_connection_string(
        os.environ["POLYQ_AZURE_CONNECTION_STRING"], name, message_encode_policy=TextBase64EncodePolicy()
    )
    encoded.send_message("from Azure")
    out = _sqs_json("ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 1})
    assert [m["Body"] for m in out["Messages"]] == ["ZnJvbSBBenVyZQ=="]


def _mns(method, path, body=b""):
    import email.utils

    headers = {
        "x-mns-version": "2015-06-06",
        "Date": email.utils.formatdate(usegmt=True),
        "Content-Type": "text/xml;charset=UTF-8",
    }
    return _http(method, _base() + path, body, headers)


def test_mns_to_azure_and_back(shared_queue):
    name, q = shared_queue
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mns.aliyuncs.com/doc/v1/">'
        "<MessageBody>from MNS</MessageBody></Message>"
    )
    _mns("POST", f"/queues/{name}/messages", doc.encode())
    got = list(q.receive_messages(max_messages=1))
    assert [m.content for m in got] == ["from MNS"]
    q.delete_message(got[0])

    q.send_message("from Azure to MNS")
    xml = _mns("GET", f"/queues/{name}/messages?waitseconds=1")
    assert re.findall(r"<MessageBody>(.*?)</MessageBody>", xml) == ["from Azure to MNS"]
