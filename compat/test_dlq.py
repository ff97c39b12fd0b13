"""Dead-letter queues, ListDeadLetterSourceQueues and message move tasks."""

import time

from helpers import (
    expect_error,
    get_attrs,
    receive,
    receive_until,
    redrive_policy,
    wait_for,
)


def _approx(sqs, url):
    return int(get_attrs(sqs, url, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"])


def _with_dlq(make_queue, sqs, max_receive_count, prefix="dlq"):
    dlq = make_queue(f"{prefix}-dead")
    src = make_queue(f"{prefix}-src", attributes={
        "RedrivePolicy": redrive_policy(dlq.arn, max_receive_count)})
    return src, dlq


def _push_to_dlq(sqs, src, dlq, n, timeout=15):
    """Receive from src with VisibilityTimeout=0 until all n messages moved."""
    deadline = time.monotonic() + timeout
    for _ in range(100):
        if _approx(sqs, dlq.url) >= n or time.monotonic() > deadline:
            break
        receive(sqs, src.url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert _approx(sqs, dlq.url) == n, "messages did not reach the dead-letter queue"
    assert _approx(sqs, src.url) == 0


def test_message_moves_to_dlq_after_max_receives(sqs, make_queue):
    src, dlq = _with_dlq(make_queue, sqs, 2)
    sent = sqs.send_message(QueueUrl=src.url, MessageBody="poison")
    for expected_count in ("1", "2"):
        msgs = receive(sqs, src.url, VisibilityTimeout=0, AttributeNames=["ApproximateReceiveCount"])
        assert [m["MessageId"] for m in msgs] == [sent["MessageId"]]
        assert msgs[0]["Attributes"]["ApproximateReceiveCount"] == expected_count
    # Third receive attempt: the message exceeds maxReceiveCount and moves.
    assert receive(sqs, src.url, VisibilityTimeout=0) == []
    assert _approx(sqs, src.url) == 0
    dead = receive_until(sqs, dlq.url, 1, timeout=5, AttributeNames=["ApproximateReceiveCount"])
    assert [m["Body"] for m in dead] == ["poison"]
    assert dead[0]["MessageId"] == sent["MessageId"]
    # The count carries on in the dead-letter queue, as on AWS.
    assert dead[0]["Attributes"]["ApproximateReceiveCount"] == "3"


def test_dlq_keeps_message_attributes(sqs, make_queue):
    src, dlq = _with_dlq(make_queue, sqs, 1, prefix="dlqattr")
    attrs = {"k": {"DataType": "String", "StringValue": "v"}}
    sqs.send_message(QueueUrl=src.url, MessageBody="with attrs", MessageAttributes=attrs)
    _push_to_dlq(sqs, src, dlq, 1)
    (m,) = receive_until(sqs, dlq.url, 1, MessageAttributeNames=["All"])
    assert m["MessageAttributes"]["k"]["StringValue"] == "v"


def test_fifo_dlq_message_takes_its_id_as_deduplication_id(sqs, make_queue):
    dlq = make_queue("dlqfifo-dead", fifo=True)
    src = make_queue("dlqfifo-src", fifo=True, attributes={
        "RedrivePolicy": redrive_policy(dlq.arn, 1)})
    sent = sqs.send_message(QueueUrl=src.url, MessageBody="fifo poison",
                            MessageGroupId="g", MessageDeduplicationId="dd1")
    _push_to_dlq(sqs, src, dlq, 1)
    (m,) = receive_until(sqs, dlq.url, 1, AttributeNames=["All"])
    assert m["MessageId"] == sent["MessageId"]
    assert m["Attributes"]["MessageGroupId"] == "g"
    assert m["Attributes"]["MessageDeduplicationId"] == sent["MessageId"]


def test_list_dead_letter_source_queues(sqs, make_queue):
    dlq = make_queue("lds-dead")
    srcs = [
        make_queue(f"lds-src{i}", attributes={"RedrivePolicy": redrive_policy(dlq.arn, 3)})
        for i in range(2)
    ]
    make_queue("lds-unrelated")
    resp = sqs.list_dead_letter_source_queues(QueueUrl=dlq.url)
    assert sorted(resp["queueUrls"]) == sorted(s.url for s in srcs)
    # A queue nobody redrives to has no sources.
    assert sqs.list_dead_letter_source_queues(QueueUrl=srcs[0].url).get("queueUrls", []) == []


def _wait_task_done(sqs, dlq_arn, timeout=20):
    def latest():
        results = sqs.list_message_move_tasks(SourceArn=dlq_arn).get("Results", [])
        return results and results[0]["Status"] in ("COMPLETED", "FAILED", "CANCELLED") and results[0]

    return wait_for(latest, timeout=timeout, interval=0.25, what="message move task to finish")


def test_message_move_task_back_to_source(sqs, make_queue):
    src, dlq = _with_dlq(make_queue, sqs, 1, prefix="move")
    bodies = [f"redrive-{i}" for i in range(3)]
    for b in bodies:
        sqs.send_message(QueueUrl=src.url, MessageBody=b)
    _push_to_dlq(sqs, src, dlq, 3)

    task = sqs.start_message_move_task(SourceArn=dlq.arn)
    assert task["TaskHandle"]
    done = _wait_task_done(sqs, dlq.arn)
    assert done["Status"] == "COMPLETED", done
    assert done["SourceArn"] == dlq.arn
    assert int(done["ApproximateNumberOfMessagesMoved"]) == 3
    assert _approx(sqs, dlq.url) == 0
    back = receive_until(sqs, src.url, 3, timeout=10, delete=True)
    assert sorted(m["Body"] for m in back) == bodies


def test_message_move_task_fails_without_a_known_source(sqs, make_queue):
    src, dlq = _with_dlq(make_queue, sqs, 1, prefix="movenosrc")
    sqs.send_message(QueueUrl=dlq.url, MessageBody="sent to the DLQ directly")
    sqs.start_message_move_task(SourceArn=dlq.arn)
    done = _wait_task_done(sqs, dlq.arn)
    assert done["Status"] == "FAILED", done
    assert done["FailureReason"] == "CouldNotDetermineMessageSource"
    assert _approx(sqs, dlq.url) == 1, "the message stays in the dead-letter queue"


def test_message_move_task_to_explicit_destination(sqs, make_queue):
    src, dlq = _with_dlq(make_queue, sqs, 1, prefix="movedst")
    dest = make_queue("movedst-target")
    sqs.send_message(QueueUrl=src.url, MessageBody="elsewhere")
    _push_to_dlq(sqs, src, dlq, 1)
    sqs.start_message_move_task(SourceArn=dlq.arn, DestinationArn=dest.arn)
    done = _wait_task_done(sqs, dlq.arn)
    assert done["Status"] == "COMPLETED", done
    assert done.get("DestinationArn") == dest.arn
    assert [m["Body"] for m in receive_until(sqs, dest.url, 1, timeout=5)] == ["elsewhere"]
    assert _approx(sqs, src.url) == 0


def test_cancel_message_move_task(sqs, make_queue):
    src, dlq = _with_dlq(make_queue, sqs, 1, prefix="cancel")
    sqs.send_message_batch(QueueUrl=src.url, Entries=[
        {"Id": f"m{i}", "MessageBody": f"slow-{i}"} for i in range(8)])
    _push_to_dlq(sqs, src, dlq, 8)
    handle = sqs.start_message_move_task(SourceArn=dlq.arn,
                                         MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    running = sqs.list_message_move_tasks(SourceArn=dlq.arn)["Results"][0]
    assert running["Status"] == "RUNNING", running
    assert running["TaskHandle"] == handle
    assert int(running["MaxNumberOfMessagesPerSecond"]) == 1
    cancelled = sqs.cancel_message_move_task(TaskHandle=handle)
    assert int(cancelled["ApproximateNumberOfMessagesMoved"]) < 8
    done = _wait_task_done(sqs, dlq.arn, timeout=10)
    assert done["Status"] == "CANCELLED", done
    moved = int(done["ApproximateNumberOfMessagesMoved"])
    assert moved < 8
    # Nothing is lost: moved + remaining == 8.
    assert _approx(sqs, src.url) + _approx(sqs, dlq.url) == 8


def test_cancel_unknown_move_task(sqs):
    # A handle that does not decode (base64 of plain text) is an invalid value on AWS;
    # test_conformance_tasks.py covers the ResourceNotFoundException cases.
    expect_error(sqs, "InvalidParameterValue", sqs.cancel_message_move_task,
                 TaskHandle="bm90LWEtcmVhbC10YXNr")


def test_start_move_task_source_not_a_dlq(sqs, make_queue):
    q = make_queue("notdlq")
    expect_error(sqs, ["InvalidParameterValue", "UnsupportedOperation", "ResourceNotFoundException"],
                 sqs.start_message_move_task, SourceArn=q.arn)
