"""One queue, two APIs: a message sent through SQS (raw JSON protocol) is received through the
MNS SDK with the same body and MD5, and the other way round."""

import hashlib
import json
import urllib.request


def _sqs(endpoint, action, payload):
    req = urllib.request.Request(
        endpoint + "/",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"X-Amz-Target": f"AmazonSQS.{action}", "Content-Type": "application/x-amz-json-1.0"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def test_sqs_to_mns_and_back(new_queue, endpoint):
    queue = new_queue("cross")
    queue.set_encoding(False)
    url = _sqs(endpoint, "GetQueueUrl", {"QueueName": queue.queue_name})["QueueUrl"]

    body = "crossing over: SQS -> MNS"
    sent = _sqs(endpoint, "SendMessage", {"QueueUrl": url, "MessageBody": body})
    got = queue.receive_message_with_str_body(wait_seconds=1)
    assert got.message_body == body
    # Same digest; SQS writes it in lower-case hex, MNS in upper-case.
    assert got.message_body_md5 == sent["MD5OfMessageBody"].upper()
    assert got.message_id == sent["MessageId"]
    queue.delete_message(got.receipt_handle)

    from mns.queue import Message

    back = queue.send_message(Message("crossing back: MNS -> SQS"))
    out = _sqs(endpoint, "ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 1})
    (m,) = out["Messages"]
    assert m["Body"] == "crossing back: MNS -> SQS"
    assert m["MD5OfBody"] == hashlib.md5(m["Body"].encode()).hexdigest()
    assert m["MD5OfBody"].upper() == back.message_body_md5
    assert m["MessageId"] == back.message_id


def test_queue_made_through_sqs_shows_values_mns_can_hold(account, endpoint):
    # SQS allows a visibility timeout of 0 and 14 days of retention; MNS holds 1..43200 and at
    # most 7 days, and its SDK refuses to send back what it read otherwise.
    import uuid

    name = f"cross-attrs-{uuid.uuid4().hex[:12]}"
    _sqs(endpoint, "CreateQueue", {"QueueName": name, "Attributes": {
        "VisibilityTimeout": "0", "MessageRetentionPeriod": "1209600",
        "MaximumMessageSize": "262144", "DelaySeconds": "900"}})
    queue = account.get_queue(name)
    try:
        meta = queue.get_attributes()
        assert (meta.visibility_timeout, meta.message_retention_period,
                meta.maximum_message_size, meta.delay_seconds) == (1, 604800, 65536, 900)
        # The SDK's read-modify-write round trip, which it refused before.
        queue.set_attributes(meta)
        # SQS still sees what it set: the MNS write above wrote MNS's values back.
        url = _sqs(endpoint, "GetQueueUrl", {"QueueName": name})["QueueUrl"]
        attrs = _sqs(endpoint, "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]})
        assert attrs["Attributes"]["VisibilityTimeout"] == "1"
    finally:
        queue.delete()
