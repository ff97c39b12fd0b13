"""SigV4 enforcement (server started with --auth enforce)."""

import datetime
import types
import urllib.error
import urllib.request
from unittest import mock

import botocore.auth

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


def _clock_off_by(minutes):
    """Makes botocore sign as if its clock were `minutes` off (either botocore's helper or,
    in older releases, `datetime.datetime.utcnow` inside botocore.auth)."""
    when = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    when += datetime.timedelta(minutes=minutes)
    if hasattr(botocore.auth, "get_current_datetime"):
        return mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: when)

    class Skewed(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return when

    fake = types.ModuleType("datetime")
    fake.__dict__.update(datetime.__dict__)
    fake.datetime = Skewed
    return mock.patch.object(botocore.auth, "datetime", fake)


@pytest.mark.parametrize("minutes, text", [(-20, "Signature expired: "), (20, "Signature not yet current: ")])
def test_clock_skew_is_signature_does_not_match(auth_endpoint, minutes, text):
    # SQS answers a clock more than 15 minutes off with 403 SignatureDoesNotMatch and the
    # "Signature expired: … is now earlier than … (… - 15 min.)" text (aws-sdk-php#642 quotes
    # the whole document, aws-sdk-go#487 the status), not 400 RequestExpired.
    sqs = make_client(auth_endpoint, key=AUTH_KEY_ID, secret=AUTH_SECRET)
    with _clock_off_by(minutes):
        err = _call_error(sqs.list_queues)
    assert err.response["Error"]["Code"] == "SignatureDoesNotMatch", err.response
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err.response["Error"]["Message"].startswith(text), err.response
    # Fourteen minutes off is inside the allowed skew.
    with _clock_off_by(14 if minutes > 0 else -14):
        sqs.list_queues()
