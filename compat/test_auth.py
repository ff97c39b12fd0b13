"""SigV4 enforcement (server started with --auth enforce)."""

import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from helpers import AUTH_KEY_ID, AUTH_SECRET, get_attrs, make_client, receive_until, unique


def _call_error(fn, **kwargs):
    with pytest.raises(ClientError) as ei:
        fn(**kwargs)
    return ei.value


def test_signed_requests_work(auth_endpoint):
    sqs = make_client(auth_endpoint, key=AUTH_KEY_ID, secret=AUTH_SECRET)
    name = unique("auth")
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "5"})["QueueUrl"]
    try:
        assert url.endswith(f"/000000000000/{name}")
        assert url in sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
        attrs = {"a": {"DataType": "String", "StringValue": "signed \u00e9"}}
        sqs.send_message(QueueUrl=url, MessageBody="signed body \u2713 +&=", MessageAttributes=attrs)
        (m,) = receive_until(sqs, url, 1, MessageAttributeNames=["All"])
        assert m["Body"] == "signed body \u2713 +&="
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        assert get_attrs(sqs, url, "VisibilityTimeout") == {"VisibilityTimeout": "5"}
    finally:
        sqs.delete_queue(QueueUrl=url)


def test_wrong_secret(auth_endpoint):
    sqs = make_client(auth_endpoint, key=AUTH_KEY_ID, secret="not-the-secret")
    err = _call_error(sqs.list_queues)
    assert err.response["Error"]["Code"] == "SignatureDoesNotMatch", err.response
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_wrong_secret_on_write(auth_endpoint):
    sqs = make_client(auth_endpoint, key=AUTH_KEY_ID, secret="not-the-secret")
    err = _call_error(sqs.create_queue, QueueName=unique("forged"))
    assert err.response["Error"]["Code"] == "SignatureDoesNotMatch", err.response
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    good = make_client(auth_endpoint, key=AUTH_KEY_ID, secret=AUTH_SECRET)
    assert not good.list_queues(QueueNamePrefix="compat-forged").get("QueueUrls")


def test_unknown_access_key(auth_endpoint):
    sqs = make_client(auth_endpoint, key="AKIDUNKNOWN", secret=AUTH_SECRET)
    err = _call_error(sqs.list_queues)
    assert err.response["Error"]["Code"] == "InvalidClientTokenId", err.response
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unsigned_request_rejected(auth_endpoint):
    req = urllib.request.Request(
        auth_endpoint + "/?Action=ListQueues&Version=2012-11-05", method="GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    assert status in (400, 403), f"unsigned request answered {status}"


def test_health_needs_no_auth(auth_endpoint):
    with urllib.request.urlopen(auth_endpoint + "/health", timeout=5) as r:
        assert r.status == 200
