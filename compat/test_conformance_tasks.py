"""Message move task errors as real AWS SQS answers them (recorded AWS responses in
LocalStack's AWS-validated move-task snapshots)."""

import base64
import json
import time

from helpers import expect_error, redrive_policy


def _handle(task_id, source_arn):
    doc = json.dumps({"taskId": task_id, "sourceArn": source_arn}, separators=(",", ":"))
    return base64.b64encode(doc.encode()).decode()


def _message(err):
    return err.response["Error"]["Message"]


def test_cancel_with_an_undecodable_handle(sqs):
    err = expect_error(sqs, "InvalidParameterValue", sqs.cancel_message_move_task,
                       status=400, TaskHandle="foobared")
    assert _message(err) == "Value for parameter TaskHandle is invalid."


def test_cancel_with_a_missing_source_queue(sqs):
    handle = _handle("10f57157-fc38-4da9-a113-4de7e12d05dd",
                     "arn:aws:sqs:us-east-1:878966065785:test-queue-doesnt-exist-123456")
    err = expect_error(sqs, "ResourceNotFoundException", sqs.cancel_message_move_task,
                       status=404, TaskHandle=handle)
    assert _message(err) == ("The resource that you specified for the SourceArn parameter "
                             "doesn't exist.")


def test_cancel_with_an_unknown_task_id(sqs, queue):
    handle = _handle("10f57157-fc38-4da9-a113-4de7e12d05aa", queue.arn)
    err = expect_error(sqs, "ResourceNotFoundException", sqs.cancel_message_move_task,
                       status=404, TaskHandle=handle)
    assert _message(err) == "Task does not exist."


def test_start_errors(sqs, make_queue):
    src = make_queue("cf-src")
    dst = make_queue("cf-dst")
    err = expect_error(sqs, "InvalidParameterValue", sqs.start_message_move_task, status=400,
                       SourceArn=src.arn, DestinationArn=dst.arn)
    assert _message(err) == "Source queue must be configured as a Dead Letter Queue."

    dlq = make_queue("cf-dlq")
    make_queue("cf-main", attributes={"RedrivePolicy": redrive_policy(dlq.arn, 1)})
    err = expect_error(sqs, "ResourceNotFoundException", sqs.start_message_move_task,
                       status=404, SourceArn=dlq.arn, DestinationArn=dst.arn + "doesntexist")
    assert _message(err) == ("The resource that you specified for the DestinationArn "
                             "parameter doesn't exist.")


def test_only_one_running_task_per_source(sqs, make_queue):
    dlq = make_queue("cf-dlq2")
    main = make_queue("cf-main2", attributes={"RedrivePolicy": redrive_policy(dlq.arn, 1)})
    dst = make_queue("cf-dst2")
    sqs.send_message_batch(QueueUrl=dlq.url, Entries=[
        {"Id": f"m{i}", "MessageBody": f"m-{i}"} for i in range(10)])
    assert main.url
    handle = sqs.start_message_move_task(SourceArn=dlq.arn, DestinationArn=dst.arn,
                                         MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    err = expect_error(sqs, "InvalidParameterValue", sqs.start_message_move_task, status=400,
                       SourceArn=dlq.arn, DestinationArn=dst.arn)
    assert _message(err) == ("There is already a task running. Only one active task is "
                             "allowed for a source queue arn at a given time.")
    sqs.cancel_message_move_task(TaskHandle=handle)


def _dlq_pipe(make_queue, prefix):
    dlq = make_queue(f"{prefix}-dlq")
    src = make_queue(f"{prefix}-src", attributes={"RedrivePolicy": redrive_policy(dlq.arn, 1)})
    return src, dlq


def test_range_errors(sqs, make_queue):
    _, dlq = _dlq_pipe(make_queue, "cf-range")
    for rate in (0, 501):
        err = expect_error(sqs, "InvalidParameterValue", sqs.start_message_move_task,
                           status=400, SourceArn=dlq.arn, MaxNumberOfMessagesPerSecond=rate)
        assert _message(err) == (f"Value {rate} for parameter MaxNumberOfMessagesPerSecond is "
                                 f"invalid. Reason: Must be between 1 and 500.")
    for max_results in (0, 11):
        err = expect_error(sqs, "InvalidParameterValue", sqs.list_message_move_tasks,
                           status=400, SourceArn=dlq.arn, MaxResults=max_results)
        assert _message(err) == (f"Value {max_results} for parameter MaxResults is invalid. "
                                 f"Reason: Must be between 1 and 10.")


def test_cancel_a_finished_task(sqs, make_queue):
    _, dlq = _dlq_pipe(make_queue, "cf-done")
    handle = sqs.start_message_move_task(SourceArn=dlq.arn)["TaskHandle"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        task = sqs.list_message_move_tasks(SourceArn=dlq.arn)["Results"][0]
        if task["Status"] != "RUNNING":
            break
        time.sleep(0.1)
    assert task["Status"] == "COMPLETED", task
    assert "TaskHandle" not in task and "FailureReason" not in task
    assert "MaxNumberOfMessagesPerSecond" not in task
    err = expect_error(sqs, "ResourceNotFoundException", sqs.cancel_message_move_task,
                       status=404, TaskHandle=handle)
    assert _message(err) == "Task does not exist."
