"""Shared helpers for the SQS compatibility suite (no fixtures here)."""

import json
import time
import uuid

import boto3
import botocore
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT_ID = "000000000000"
REGION = "us-east-1"

# Credentials configured in the enforce-mode server's TOML config.
AUTH_KEY_ID = "AKIDPOLYQTEST"
AUTH_SECRET = "polyq-test-secret"

BOTOCORE_VERSION = tuple(int(p) for p in botocore.__version__.split(".")[:3])

# botocore switched SQS from the query protocol to JSON 1.0 after 1.31.50;
# MessageSystemAttributeNames on ReceiveMessage arrived later (1.34.x).
_MODEL = boto3.session.Session().client(
    "sqs", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y"
).meta.service_model
PROTOCOL = _MODEL.protocol  # "json" or "query"
IS_JSON = PROTOCOL == "json"
HAS_MESSAGE_SYSTEM_ATTRIBUTE_NAMES = (
    "MessageSystemAttributeNames"
    in _MODEL.operation_model("ReceiveMessage").input_shape.members
)

json_sdk_only = pytest.mark.skipif(
    BOTOCORE_VERSION <= (1, 31, 50) or not IS_JSON,
    reason=f"needs a JSON-protocol botocore (have {botocore.__version__}, {PROTOCOL})",
)
new_sdk_only = pytest.mark.skipif(
    BOTOCORE_VERSION < (1, 34, 0) or not HAS_MESSAGE_SYSTEM_ATTRIBUTE_NAMES,
    reason=f"needs MessageSystemAttributeNames (botocore {botocore.__version__})",
)

# Error codes as they appear in e.response["Error"]["Code"].  SQS keeps the
# legacy query-protocol codes: the query protocol sends them in <Code>, the
# JSON protocol in the x-amzn-query-error header (which botocore prefers).
LEGACY_CODES = {
    "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
    "QueueNameExists": "QueueAlreadyExists",
    "BatchEntryIdsNotDistinct": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    "BatchRequestTooLong": "AWS.SimpleQueueService.BatchRequestTooLong",
    "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
    "InvalidBatchEntryId": "AWS.SimpleQueueService.InvalidBatchEntryId",
    "TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    "MessageNotInflight": "AWS.SimpleQueueService.MessageNotInflight",
    "PurgeQueueInProgress": "AWS.SimpleQueueService.PurgeQueueInProgress",
    "QueueDeletedRecently": "AWS.SimpleQueueService.QueueDeletedRecently",
    "UnsupportedOperation": "AWS.SimpleQueueService.UnsupportedOperation",
}


def wire_code(name):
    """The Error.Code botocore reports for the modelled error ``name``."""
    return LEGACY_CODES.get(name, name)


def make_client(endpoint, key="x", secret="y", **config):
    cfg = dict(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=40)
    cfg.update(config)
    return boto3.session.Session().client(
        "sqs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(**cfg),
    )


def unique(prefix="q"):
    return f"compat-{prefix}-{uuid.uuid4().hex[:12]}"


def queue_arn(name):
    return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"


def describe(err):
    r = err.response
    return (
        f"HTTP {r.get('ResponseMetadata', {}).get('HTTPStatusCode')} "
        f"Error={r.get('Error')}"
    )


def expect_error(client, names, fn, *args, status=None, **kwargs):
    """Call fn and assert it fails with one of the modelled error ``names``.

    Checks Error.Code against the legacy wire code, the exception class (when
    this SDK models it), and optionally the HTTP status.  Returns the error.
    """
    if isinstance(names, str):
        names = [names]
    try:
        result = fn(*args, **kwargs)
    except ClientError as e:
        err = e
    else:
        pytest.fail(f"expected error {names}, call succeeded: {result!r}")
    code = err.response["Error"]["Code"]
    wanted = {wire_code(n) for n in names}
    assert code in wanted, f"expected one of {sorted(wanted)}, got {describe(err)}"
    name = next(n for n in names if wire_code(n) == code)
    exc_class = getattr(client.exceptions, name, None)
    if exc_class is not None:
        assert isinstance(err, exc_class), f"{type(err)} is not {exc_class}: {describe(err)}"
    if status is not None:
        got = err.response["ResponseMetadata"]["HTTPStatusCode"]
        assert got == status, f"expected HTTP {status}: {describe(err)}"
    return err


def get_attrs(client, url, *names):
    return client.get_queue_attributes(
        QueueUrl=url, AttributeNames=list(names) or ["All"]
    ).get("Attributes", {})


def receive(client, url, **kwargs):
    kwargs.setdefault("WaitTimeSeconds", 0)
    return client.receive_message(QueueUrl=url, **kwargs).get("Messages", [])


def receive_until(client, url, count, timeout=10.0, delete=False, **kwargs):
    """Receive until ``count`` distinct messages were seen or ``timeout`` passes.

    Bounded in both time and number of calls.  Returns messages in the order
    received (first receipt of each MessageId).
    """
    kwargs.setdefault("WaitTimeSeconds", 1)
    kwargs.setdefault("MaxNumberOfMessages", 10)
    seen = {}
    deadline = time.monotonic() + timeout
    for _ in range(200):
        if len(seen) >= count or time.monotonic() >= deadline:
            break
        for m in client.receive_message(QueueUrl=url, **kwargs).get("Messages", []):
            if m["MessageId"] not in seen:
                seen[m["MessageId"]] = m
            if delete:
                client.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return list(seen.values())


def wait_for(predicate, timeout=10.0, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}; last={last!r}")
        time.sleep(interval)


def redrive_policy(dlq_arn, max_receive_count):
    return json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}
    )
