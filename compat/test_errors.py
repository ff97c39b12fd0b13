"""Error mapping: every queue operation on an unknown queue, error shapes."""

import pytest

from helpers import ACCOUNT_ID, expect_error, unique

NON_EXISTENT = "AWS.SimpleQueueService.NonExistentQueue"


def _missing_url(endpoint):
    return f"{endpoint}/{ACCOUNT_ID}/{unique('missing')}"


# (operation, kwargs without QueueUrl)
QUEUE_OPERATIONS = [
    ("get_queue_attributes", {"AttributeNames": ["All"]}),
    ("set_queue_attributes", {"Attributes": {"VisibilityTimeout": "10"}}),
    ("delete_queue", {}),
    ("purge_queue", {}),
    ("send_message", {"MessageBody": "x"}),
    ("send_message_batch", {"Entries": [{"Id": "a", "MessageBody": "x"}]}),
    ("receive_message", {}),
    ("delete_message", {"ReceiptHandle": "handle"}),
    ("delete_message_batch", {"Entries": [{"Id": "a", "ReceiptHandle": "handle"}]}),
    ("change_message_visibility", {"ReceiptHandle": "handle", "VisibilityTimeout": 1}),
    ("change_message_visibility_batch",
     {"Entries": [{"Id": "a", "ReceiptHandle": "handle", "VisibilityTimeout": 1}]}),
    ("tag_queue", {"Tags": {"k": "v"}}),
    ("untag_queue", {"TagKeys": ["k"]}),
    ("list_queue_tags", {}),
    ("add_permission", {"Label": "l", "AWSAccountIds": [ACCOUNT_ID], "Actions": ["SendMessage"]}),
    ("remove_permission", {"Label": "l"}),
    ("list_dead_letter_source_queues", {}),
]


@pytest.fixture(scope="module")
def real_handle(sqs):
    """A well-formed receipt handle (from another, existing queue), so the
    operations below fail on the queue, not on the handle's syntax."""
    name = unique("handle-src")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="for its receipt handle")
    msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2).get("Messages", [])
    assert msgs, "could not receive a message to borrow its receipt handle"
    yield msgs[0]["ReceiptHandle"]
    sqs.delete_queue(QueueUrl=url)


def _with_handle(value, handle):
    if value == "handle":
        return handle
    if isinstance(value, dict):
        return {k: _with_handle(v, handle) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_handle(v, handle) for v in value]
    return value


@pytest.mark.parametrize("op,kwargs", QUEUE_OPERATIONS, ids=[o for o, _ in QUEUE_OPERATIONS])
def test_unknown_queue(sqs, endpoint, real_handle, op, kwargs):
    kwargs = _with_handle(kwargs, real_handle)
    err = expect_error(sqs, "QueueDoesNotExist", getattr(sqs, op),
                       QueueUrl=_missing_url(endpoint), status=400, **kwargs)
    assert isinstance(err, sqs.exceptions.QueueDoesNotExist)
    assert err.response["Error"]["Code"] == NON_EXISTENT
    assert err.response["Error"].get("Message")


def test_unknown_queue_get_queue_url(sqs):
    err = expect_error(sqs, "QueueDoesNotExist", sqs.get_queue_url,
                       QueueName=unique("nope"), status=400)
    assert err.response["Error"]["Code"] == NON_EXISTENT


def test_deleted_queue_is_unknown(sqs, make_queue):
    q = make_queue("gone")
    sqs.delete_queue(QueueUrl=q.url)
    err = expect_error(sqs, "QueueDoesNotExist", sqs.send_message,
                       QueueUrl=q.url, MessageBody="into the void")
    assert err.response["Error"]["Code"] == NON_EXISTENT


def test_error_has_request_id(sqs):
    err = expect_error(sqs, "QueueDoesNotExist", sqs.get_queue_url, QueueName=unique("rid"))
    assert err.response["ResponseMetadata"].get("RequestId")


def test_success_has_request_id(sqs):
    assert sqs.list_queues()["ResponseMetadata"].get("RequestId")


def test_invalid_queue_name(sqs):
    expect_error(sqs, "InvalidParameterValue", sqs.create_queue,
                 QueueName="has spaces and !bang", status=400)


def test_queue_name_too_long(sqs):
    expect_error(sqs, "InvalidParameterValue", sqs.create_queue, QueueName="q" * 81)


def test_start_move_task_unknown_source(sqs):
    expect_error(sqs, ["ResourceNotFoundException", "QueueDoesNotExist"],
                 sqs.start_message_move_task,
                 SourceArn=f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:{unique('nosrc')}")
