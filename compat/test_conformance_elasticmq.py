"""Cases of ElasticMQ's SDK test suites (AmazonJavaSdkTestSuite, the multi-SDK integration
tests, AmazonCliTestSuite), written as our own checks of what real AWS answers.

Where ElasticMQ's expectation is a quirk of its own (e.g. `SenderId` 127.0.0.1, `/queue/NAME`
URLs, UnsupportedOperation for a second move task), the AWS answer is checked instead: AWS
documentation and LocalStack's AWS-validated snapshots decide. Differences that need engine
changes are listed in docs/compatibility.md, not tested here.
"""

import json
import urllib.error
import urllib.request

import pytest

from helpers import (IS_JSON, expect_error, get_attrs, receive, receive_until,
                     redrive_policy, unique)
from sqs_md5 import md5_of_body


def raw_get(endpoint, path, headers=None, data=None):
    """A bare GET (a POST with `data`): (status, content type, body text)."""
    req = urllib.request.Request(endpoint + path, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("content-type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("content-type"), e.read().decode()


def error_message(err):
    return err.response["Error"]["Message"]


# --- Protocol edges ---------------------------------------------------------------------


def test_get_on_a_queue_url_without_an_action(endpoint, queue):
    # AWS: 404 with the bare document <UnknownOperationException/>.
    path = "/" + queue.url.split("/", 3)[3]
    assert raw_get(endpoint, path) == (404, "text/xml", "<UnknownOperationException/>")
    # Also for a queue that does not exist: no operation was named at all.
    assert raw_get(endpoint, "/000000000000/" + unique("none"))[0] == 404


def test_other_dialects_keep_queue_shaped_gets(endpoint):
    # Azure and MNS are detected by their headers before any SQS answer is considered.
    status, ctype, body = raw_get(endpoint, "/000000000000/q?comp=metadata",
                                  {"x-ms-version": "2021-08-06"})
    assert (status, ctype) == (404, "application/xml") and "<Code>ResourceNotFound<" in body
    status, _, body = raw_get(endpoint, "/devstoreaccount1/q?comp=metadata",
                              {"x-ms-version": "2021-08-06"})
    assert status in (401, 403, 404) and "<Error><Code>" in body  # Azure's document
    status, ctype, body = raw_get(endpoint, "/queues/" + unique("mns"),
                                  {"x-mns-version": "2015-06-06"})
    assert status == 404 and "<Code>QueueNotExist</Code>" in body
    # Without any vendor's mark and not of the queue-URL shape: polyq's own 400.
    status, _, body = raw_get(endpoint, "/devstoreaccount1/q?comp=metadata")
    assert status == 400 and "could not tell which queue API" in body


@pytest.mark.parametrize("form", [b"", b"Action=", b"Action=Whatever"])
def test_posts_without_a_valid_action(endpoint, form):
    # ElasticMQ's suite: POST /queue/lol with no Action → 400 MissingAction; with an empty or
    # unknown one → 400 InvalidAction, as XML documents.
    headers = {"content-type": "application/x-www-form-urlencoded"} if form else {}
    status, ctype, body = raw_get(endpoint, "/queue/lol", headers, data=form)
    code = "MissingAction" if form == b"" else "InvalidAction"
    assert (status, ctype) == (400, "text/xml"), body
    assert f"<Code>{code}</Code>" in body and "<Type>Sender</Type>" in body


# --- Queue operations and attributes ------------------------------------------------------


@pytest.mark.parametrize("name", ["x" * 81, "queue with spaces"])
def test_invalid_queue_names(sqs, name):
    err = expect_error(sqs, "InvalidParameterValue", sqs.create_queue, QueueName=name)
    assert error_message(err) == ("Can only include alphanumeric characters, hyphens, or "
                                  "underscores. 1 to 80 in length")


def test_recreate_without_attributes_returns_the_url(sqs, make_queue):
    q = make_queue("cf-em-vt", attributes={"VisibilityTimeout": "42"})
    assert sqs.create_queue(QueueName=q.name)["QueueUrl"] == q.url
    same = sqs.create_queue(QueueName=q.name, Attributes={"VisibilityTimeout": "42"})
    assert same["QueueUrl"] == q.url
    expect_error(sqs, "QueueNameExists", sqs.create_queue, QueueName=q.name,
                 Attributes={"VisibilityTimeout": "14"})


def test_queue_counts_visible_in_flight_and_delayed(sqs, queue):
    for i in range(3):
        sqs.send_message(QueueUrl=queue.url, MessageBody=f"now {i}")
    for i in range(3):
        sqs.send_message(QueueUrl=queue.url, MessageBody=f"later {i}", DelaySeconds=60)
    assert len(receive(sqs, queue.url)) == 1
    attrs = get_attrs(sqs, queue.url)
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"],
            attrs["ApproximateNumberOfMessagesDelayed"]) == ("2", "1", "3")
    for key in ("CreatedTimestamp", "LastModifiedTimestamp", "VisibilityTimeout",
                "DelaySeconds", "ReceiveMessageWaitTimeSeconds", "QueueArn"):
        assert key in attrs
    sqs.purge_queue(QueueUrl=queue.url)
    attrs = get_attrs(sqs, queue.url)
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"],
            attrs["ApproximateNumberOfMessagesDelayed"]) == ("0", "0", "0")


def test_redrive_policy_round_trip_and_update(sqs, make_queue):
    dlq1, dlq2 = make_queue("cf-em-d1"), make_queue("cf-em-d2")
    policy = json.dumps({"deadLetterTargetArn": dlq1.arn, "maxReceiveCount": 1},
                        separators=(",", ":"))
    src = make_queue("cf-em-src", attributes={"RedrivePolicy": policy})
    assert get_attrs(sqs, src.url, "RedrivePolicy")["RedrivePolicy"] == policy
    assert "RedrivePolicy" not in get_attrs(sqs, dlq1.url)
    # A count given as a string comes back as a number.
    sqs.set_queue_attributes(QueueUrl=src.url, Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq2.arn, "maxReceiveCount": "3"})})
    assert json.loads(get_attrs(sqs, src.url, "RedrivePolicy")["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq2.arn, "maxReceiveCount": 3}


def test_redrive_policy_refusals(sqs, queue):
    missing = json.dumps({"deadLetterTargetArn": queue.arn + "-missing", "maxReceiveCount": 1})
    for create in (True, False):
        call = ((lambda a: sqs.create_queue(QueueName=unique("cf-em-rp"), Attributes=a))
                if create else
                (lambda a: sqs.set_queue_attributes(QueueUrl=queue.url, Attributes=a)))
        err = expect_error(sqs, "InvalidParameterValue", call, {"RedrivePolicy": missing})
        assert error_message(err).endswith("Reason: Dead letter target does not exist.")
    err = expect_error(sqs, "InvalidParameterValue", sqs.set_queue_attributes,
                       QueueUrl=queue.url, Attributes={"RedrivePolicy": "not a json policy"})
    assert "RedrivePolicy" in error_message(err)
    err = expect_error(sqs, "InvalidParameterValue", sqs.set_queue_attributes,
                       QueueUrl=queue.url, Attributes={"RedrivePolicy": '{"wrong": "json"}'})
    assert "mandatory attribute" in error_message(err)


def test_permission_with_an_unknown_action(sqs, queue):
    # ElasticMQ accepts any action name ("get"); AWS checks it against its list.
    err = expect_error(sqs, "InvalidParameterValue", sqs.add_permission, QueueUrl=queue.url,
                       Label="l", AWSAccountIds=["000000000000"], Actions=["get"])
    assert error_message(err) == ("Value get for parameter ActionName is invalid. Reason: "
                                  "Please refer to the appropriate WSDL for a list of valid "
                                  "actions.")
    sqs.add_permission(QueueUrl=queue.url, Label="l", AWSAccountIds=["000000000000"],
                       Actions=["SendMessage"])
    sqs.remove_permission(QueueUrl=queue.url, Label="l")


@pytest.mark.skipif(not IS_JSON, reason="JSON shapes: the query protocol has empty elements")
def test_empty_results_leave_out_their_lists(sqs, queue):
    # AWS's JSON answers omit an empty list (the AWS CLI then prints nothing).
    raw = sqs.list_queues(QueueNamePrefix=unique("cf-em-none"))
    assert "QueueUrls" not in raw
    assert "Messages" not in sqs.receive_message(QueueUrl=queue.url)


# --- Messages ----------------------------------------------------------------------------


def test_empty_body(sqs, queue):
    err = expect_error(sqs, "MissingParameter", sqs.send_message, QueueUrl=queue.url,
                       MessageBody="")
    assert error_message(err) == "The request must contain the parameter MessageBody."
    out = sqs.send_message_batch(QueueUrl=queue.url, Entries=[
        {"Id": "1", "MessageBody": "ok"}, {"Id": "2", "MessageBody": ""}])
    assert [e["Id"] for e in out["Successful"]] == ["1"]
    assert [(e["Id"], e["SenderFault"]) for e in out["Failed"]] == [("2", True)]
    assert out["Failed"][0]["Message"] == "The request must contain the parameter MessageBody."


def test_send_answers_only_what_applies(sqs, queue, fifo_queue):
    plain = sqs.send_message(QueueUrl=queue.url, MessageBody="simpleMessage")
    assert {"MD5OfMessageAttributes", "MD5OfMessageSystemAttributes",
            "SequenceNumber"}.isdisjoint(plain)
    attrs = {"firstAttribute": {"DataType": "String", "StringValue": "hello world"}}
    trace = {"AWSTraceHeader": {"DataType": "String", "StringValue": "trace-header"}}
    full = sqs.send_message(QueueUrl=queue.url, MessageBody="m", MessageAttributes=attrs,
                            MessageSystemAttributes=trace)
    assert full["MD5OfMessageAttributes"] and full["MD5OfMessageSystemAttributes"]
    assert "SequenceNumber" not in full
    fifo = sqs.send_message(QueueUrl=fifo_queue.url, MessageBody="m", MessageGroupId="g",
                            MessageDeduplicationId="d")
    assert len(fifo["SequenceNumber"]) == 20


def test_receive_statistics(sqs, queue):
    sqs.send_message(QueueUrl=queue.url, MessageBody="Message 1")
    names = ["SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"]
    first = receive(sqs, queue.url, VisibilityTimeout=0, AttributeNames=names)[0]["Attributes"]
    second = receive(sqs, queue.url, AttributeNames=names)[0]["Attributes"]
    assert (first["ApproximateReceiveCount"], second["ApproximateReceiveCount"]) == ("1", "2")
    assert second["SentTimestamp"] == first["SentTimestamp"]
    assert second["ApproximateFirstReceiveTimestamp"] == first["ApproximateFirstReceiveTimestamp"]
    assert int(first["ApproximateFirstReceiveTimestamp"]) >= int(first["SentTimestamp"])


def test_bodies_of_every_allowed_kind_round_trip(sqs, queue):
    one_byte = "\t\n\r" + "".join(chr(c) for c in range(0x20, 0x100))
    two_byte = "".join(chr(c) for c in range(0x51F9, 0x5211)) + "".join(
        chr(c) for c in range(0x30C9, 0x3100))
    bodies = ["a\rb\r\nc\nd", one_byte, two_byte, "😇 x" * 3]
    for body in bodies:
        sent = sqs.send_message(QueueUrl=queue.url, MessageBody=body)
        assert sent["MD5OfMessageBody"] == md5_of_body(body)
        got = receive(sqs, queue.url)
        assert [m["Body"] for m in got] == [body]
        sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=got[0]["ReceiptHandle"])


def test_one_megabyte_body(sqs, queue):
    body = "x" * (1024 * 1024)
    sqs.send_message(QueueUrl=queue.url, MessageBody=body)
    assert [m["Body"] for m in receive(sqs, queue.url)] == [body]
    err = expect_error(sqs, "InvalidParameterValue", sqs.send_message, QueueUrl=queue.url,
                       MessageBody=body + "x")
    assert error_message(err) == ("One or more parameters are invalid. Reason: Message must "
                                  "be shorter than 1048576 bytes.")


def test_batch_entries_with_invalid_characters_fail_alone(sqs, queue):
    bad_attr = {"a": {"DataType": "String", "StringValue": "\x08\x0b\x0c"}}
    out = sqs.send_message_batch(QueueUrl=queue.url, Entries=[
        {"Id": "ok", "MessageBody": "OK"},
        {"Id": "nul", "MessageBody": "\x00"},
        {"Id": "attr", "MessageBody": "NG", "MessageAttributes": bad_attr},
    ])
    assert [e["Id"] for e in out["Successful"]] == ["ok"]
    failed = {e["Id"]: e for e in out["Failed"]}
    assert failed["nul"]["Code"] == "InvalidMessageContents"
    assert failed["attr"]["Code"] == "InvalidParameterValue"
    assert all(e["SenderFault"] for e in failed.values())
    assert [m["Body"] for m in receive_until(sqs, queue.url, 1, timeout=3)] == ["OK"]


def test_old_receipt_after_redelivery_is_accepted(sqs, make_queue):
    # AWS: "the request succeeds, but the message might not be deleted".
    q = make_queue("cf-em-old", attributes={"VisibilityTimeout": "1"})
    sqs.send_message(QueueUrl=q.url, MessageBody="m")
    first = receive(sqs, q.url)[0]
    again = receive_until(sqs, q.url, 1, timeout=5)
    assert again and again[0]["MessageId"] == first["MessageId"]
    sqs.delete_message(QueueUrl=q.url, ReceiptHandle=first["ReceiptHandle"])


def test_unknown_receipt_handle(sqs, queue):
    for call in (
        lambda: sqs.change_message_visibility(QueueUrl=queue.url, VisibilityTimeout=1,
                                              ReceiptHandle="Unknown receipt handle"),
        lambda: sqs.delete_message(QueueUrl=queue.url, ReceiptHandle="Unknown receipt handle"),
    ):
        err = expect_error(sqs, "ReceiptHandleIsInvalid", call)
        assert error_message(err) == ('The input receipt handle "Unknown receipt handle" is '
                                      "not a valid receipt handle.")


# --- Message and system attributes -------------------------------------------------------


def test_empty_attribute_values_and_types(sqs, queue):
    def send(value, data_type):
        return sqs.send_message(QueueUrl=queue.url, MessageBody="m", MessageAttributes={
            "attribute1": {"DataType": data_type, "StringValue": value}})

    for data_type in ("String", "Number"):
        err = expect_error(sqs, "InvalidParameterValue", send, "", data_type)
        assert error_message(err) == (f"Message (user) attribute 'attribute1' must contain a "
                                      f"non-empty value of type '{data_type}'.")
    expect_error(sqs, "InvalidParameterValue", send, "value", "")
    out = sqs.send_message_batch(QueueUrl=queue.url, Entries=[
        {"Id": str(i), "MessageBody": f"Message {i}", "MessageAttributes": {
            "attribute1": {"DataType": "String", "StringValue": "" if i == 2 else "value1"}}}
        for i in (1, 2, 3)])
    assert sorted(e["Id"] for e in out["Successful"]) == ["1", "3"]
    assert [e["Id"] for e in out["Failed"]] == ["2"]
    got = receive_until(sqs, queue.url, 2, timeout=3)
    assert sorted(m["Body"] for m in got) == ["Message 1", "Message 3"]


def test_requested_attributes_only(sqs, queue):
    attrs = {
        "red": {"DataType": "String", "StringValue": "fish"},
        "green": {"DataType": "Binary", "BinaryValue": b"dog"},
        "yellow": {"DataType": "Number", "StringValue": "1234567890"},
        "orange": {"DataType": "Number.custom", "StringValue": "0987654321"},
        "innocent": {"DataType": "String", "StringValue": "😇"},
    }
    sqs.send_message(QueueUrl=queue.url, MessageBody="m", MessageAttributes=attrs)
    got = receive(sqs, queue.url, VisibilityTimeout=0,
                  MessageAttributeNames=["red", "green", "orange"])[0]
    assert got["MessageAttributes"] == {k: attrs[k] for k in ("red", "green", "orange")}
    got = receive(sqs, queue.url, VisibilityTimeout=0, MessageAttributeNames=["All"])[0]
    assert got["MessageAttributes"] == attrs
    assert "MessageAttributes" not in receive(sqs, queue.url)[0]


def test_standard_queue_system_attributes(sqs, queue):
    sqs.send_message(QueueUrl=queue.url, MessageBody="m", MessageSystemAttributes={
        "AWSTraceHeader": {"DataType": "String", "StringValue": "abc-123"}})
    got = receive(sqs, queue.url, VisibilityTimeout=0, AttributeNames=["All"])[0]
    assert set(got["Attributes"]) == {"SenderId", "SentTimestamp", "ApproximateReceiveCount",
                                      "ApproximateFirstReceiveTimestamp", "AWSTraceHeader"}
    got = receive(sqs, queue.url, AttributeNames=["AWSTraceHeader"])[0]
    assert got["Attributes"] == {"AWSTraceHeader": "abc-123"}


def test_fifo_system_attributes_by_name(sqs, fifo_queue):
    sqs.send_message(QueueUrl=fifo_queue.url, MessageBody="m", MessageGroupId="gp1",
                     MessageDeduplicationId="dup1")
    url = fifo_queue.url
    every = receive(sqs, url, VisibilityTimeout=0, AttributeNames=["All"])[0]["Attributes"]
    assert (every["MessageGroupId"], every["MessageDeduplicationId"]) == ("gp1", "dup1")
    assert len(every["SequenceNumber"]) == 20
    named = receive(sqs, url, VisibilityTimeout=0, AttributeNames=["MessageGroupId"])[0]
    assert named["Attributes"] == {"MessageGroupId": "gp1"}
    named = receive(sqs, url, AttributeNames=["MessageDeduplicationId"])[0]
    assert named["Attributes"] == {"MessageDeduplicationId": "dup1"}


# --- FIFO --------------------------------------------------------------------------------


@pytest.mark.parametrize("param", ["MessageGroupId", "MessageDeduplicationId"])
@pytest.mark.parametrize("value", ["æ", "1" * 129])
def test_fifo_id_syntax(sqs, make_queue, param, value):
    q = make_queue("cf-em-ids", fifo=True, attributes={"ContentBasedDeduplication": "true"})
    kwargs = {"MessageGroupId": "g", param: value}
    err = expect_error(sqs, "InvalidParameterValue", sqs.send_message, QueueUrl=q.url,
                       MessageBody="m", **kwargs)
    assert error_message(err) == (f"Value {value} for parameter {param} is invalid. Reason: "
                                  f"{param} can only include alphanumeric and punctuation "
                                  f"characters. 1 to 128 in length.")


@pytest.mark.parametrize("value", ["æ", "1" * 129])
def test_receive_request_attempt_id_syntax(sqs, fifo_queue, value):
    expect_error(sqs, "InvalidParameterValue", sqs.receive_message, QueueUrl=fifo_queue.url,
                 ReceiveRequestAttemptId=value)


def test_standard_queue_takes_group_but_not_dedup_ids(sqs, queue):
    sqs.send_message(QueueUrl=queue.url, MessageBody="m", MessageGroupId="group-1")
    err = expect_error(sqs, "InvalidParameterValue", sqs.send_message, QueueUrl=queue.url,
                       MessageBody="m", MessageDeduplicationId="dedup-1")
    assert error_message(err) == ("Value dedup-1 for parameter MessageDeduplicationId is "
                                  "invalid. Reason: The request include parameter that is not "
                                  "valid for this queue type.")


def test_fifo_per_message_delay_in_a_batch_fails_that_entry(sqs, make_queue):
    q = make_queue("cf-em-bd", fifo=True, attributes={"ContentBasedDeduplication": "true"})
    out = sqs.send_message_batch(QueueUrl=q.url, Entries=[
        {"Id": "1", "MessageBody": "Message 1", "MessageGroupId": "1"},
        {"Id": "2", "MessageBody": "Message 2", "MessageGroupId": "2", "DelaySeconds": 10}])
    assert [e["Id"] for e in out["Successful"]] == ["1"]
    assert [(e["Id"], e["Code"]) for e in out["Failed"]] == [("2", "InvalidParameterValue")]


def test_fifo_zero_message_delay_keeps_the_queue_delay(sqs, make_queue):
    # AWS accepts DelaySeconds=0 on a FIFO queue and ignores it: the queue's delay applies.
    q = make_queue("cf-em-qd", fifo=True, attributes={"DelaySeconds": "60"})
    sqs.send_message(QueueUrl=q.url, MessageBody="m", MessageGroupId="g",
                     MessageDeduplicationId="d1", DelaySeconds=0)
    sqs.send_message_batch(QueueUrl=q.url, Entries=[{
        "Id": "b", "MessageBody": "b", "MessageGroupId": "g", "MessageDeduplicationId": "d2",
        "DelaySeconds": 0}])
    assert receive(sqs, q.url) == []
    assert get_attrs(sqs, q.url, "ApproximateNumberOfMessagesDelayed") == {
        "ApproximateNumberOfMessagesDelayed": "2"}


def test_fifo_deduplication(sqs, make_queue):
    q = make_queue("cf-em-dd", fifo=True, attributes={"ContentBasedDeduplication": "true"})
    # Content-based deduplication spans groups (scope: queue).
    ids = {sqs.send_message(QueueUrl=q.url, MessageBody="Message",
                            MessageGroupId=str(i))["MessageId"] for i in range(10)}
    assert len(ids) == 1
    # An explicit id takes priority over the content.
    for d in ("1", "2"):
        sqs.send_message(QueueUrl=q.url, MessageBody="body", MessageGroupId="x",
                         MessageDeduplicationId=d)
    # Duplicates answer with the first message's id and sequence number, and with the MD5s of
    # what this request sent.
    sent = [sqs.send_message(
        QueueUrl=q.url, MessageBody=f"Message {i}", MessageGroupId="y",
        MessageDeduplicationId="DedupId",
        MessageAttributes={"attribute": {"DataType": "String", "StringValue": f"value{i}"}})
        for i in (1, 2, 3)]
    assert len({s["MessageId"] for s in sent}) == 1
    assert len({s["SequenceNumber"] for s in sent}) == 1
    assert [s["MD5OfMessageBody"] for s in sent] == [md5_of_body(f"Message {i}")
                                                     for i in (1, 2, 3)]
    assert len({s["MD5OfMessageAttributes"] for s in sent}) == 3
    got = receive_until(sqs, q.url, 4, timeout=3)
    assert sorted(m["Body"] for m in got) == ["Message", "Message 1", "body", "body"]


def test_fifo_group_waits_for_its_head(sqs, make_queue):
    q = make_queue("cf-em-grp", fifo=True, attributes={"ContentBasedDeduplication": "true"})
    assert receive(sqs, q.url) == []
    for body in ("Message 1", "Message 2"):
        sqs.send_message(QueueUrl=q.url, MessageBody=body, MessageGroupId="group-1")
    first = receive(sqs, q.url)
    assert [m["Body"] for m in first] == ["Message 1"]
    assert receive(sqs, q.url) == []
    sqs.delete_message(QueueUrl=q.url, ReceiptHandle=first[0]["ReceiptHandle"])
    assert [m["Body"] for m in receive(sqs, q.url)] == ["Message 2"]


def test_fifo_order_of_sends_and_batches(sqs, make_queue):
    q = make_queue("cf-em-ord", fifo=True, attributes={"ContentBasedDeduplication": "true"})
    bodies = [f"Body{i}" for i in range(1, 11)]
    sqs.send_message_batch(QueueUrl=q.url, Entries=[
        {"Id": f"Id{i}", "MessageBody": b, "MessageGroupId": "g",
         "MessageDeduplicationId": f"DeduplicationId{i}"} for i, b in enumerate(bodies)])
    got = sqs.receive_message(QueueUrl=q.url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == bodies


def test_fifo_receive_request_attempt_id_repeats_the_answer(sqs, make_queue):
    q = make_queue("cf-em-att", fifo=True, attributes={"ContentBasedDeduplication": "true"})
    for i in range(20):
        sqs.send_message(QueueUrl=q.url, MessageBody=f"Message {i}", MessageGroupId="group1")
    first = sqs.receive_message(QueueUrl=q.url, MaxNumberOfMessages=10,
                                ReceiveRequestAttemptId="attempt1")["Messages"]
    again = sqs.receive_message(QueueUrl=q.url, MaxNumberOfMessages=10,
                                ReceiveRequestAttemptId="attempt1")["Messages"]
    assert [m["Body"] for m in first] == [f"Message {i}" for i in range(10)]
    assert [(m["MessageId"], m["ReceiptHandle"]) for m in again] == [
        (m["MessageId"], m["ReceiptHandle"]) for m in first]


def test_fifo_dedup_id_of_a_dead_lettered_message_still_deduplicates(sqs, make_queue):
    attrs = {"ContentBasedDeduplication": "true", "VisibilityTimeout": "0"}
    dlq = make_queue("cf-em-fdlq", fifo=True, attributes=attrs)
    src = make_queue("cf-em-fsrc", fifo=True, attributes={
        **attrs, "RedrivePolicy": redrive_policy(dlq.arn, 1)})
    first = sqs.send_message(QueueUrl=src.url, MessageBody="Message 1",
                             MessageDeduplicationId="DedupId", MessageGroupId="1")
    assert len(receive(sqs, src.url)) == 1
    assert receive(sqs, src.url) == []  # moved to the dead-letter queue
    again = sqs.send_message(QueueUrl=src.url, MessageBody="Message 3",
                             MessageDeduplicationId="DedupId", MessageGroupId="1")
    assert again["MessageId"] == first["MessageId"]
    assert receive(sqs, src.url) == []
    # In the dead-letter queue the moved message's deduplication id is its message id, so the
    # original id is free there: a message sent with it is a new message.
    direct = sqs.send_message(QueueUrl=dlq.url, MessageBody="Message 3",
                              MessageDeduplicationId="DedupId", MessageGroupId="1")
    got = receive_until(sqs, dlq.url, 2, timeout=3, AttributeNames=["All"])
    dedup = {m["Body"]: m["Attributes"]["MessageDeduplicationId"] for m in got}
    assert dedup == {"Message 1": first["MessageId"], "Message 3": "DedupId"}
    assert direct["MessageId"] != first["MessageId"]


# --- Dead letters and move tasks ---------------------------------------------------------


def test_dead_letter_queue_source_arn(sqs, make_queue):
    dlq = make_queue("cf-em-dlq")
    src = make_queue("cf-em-src", attributes={
        "VisibilityTimeout": "0", "RedrivePolicy": redrive_policy(dlq.arn, 1)})
    sent = sqs.send_message(QueueUrl=src.url, MessageBody="test123")
    first = receive(sqs, src.url, AttributeNames=["All"])
    assert "DeadLetterQueueSourceArn" not in first[0]["Attributes"]
    assert receive(sqs, src.url, AttributeNames=["All"]) == []
    dead = receive(sqs, dlq.url, AttributeNames=["All"])
    assert [m["MessageId"] for m in dead] == [sent["MessageId"]]
    attrs = dead[0]["Attributes"]
    assert attrs["DeadLetterQueueSourceArn"] == src.arn
    assert attrs["SentTimestamp"] == first[0]["Attributes"]["SentTimestamp"]


def test_dead_letter_source_queues_of_one_dlq(sqs, make_queue):
    dlq1, dlq2 = make_queue("cf-em-l1"), make_queue("cf-em-l2")
    mine = {make_queue("cf-em-s", attributes={"RedrivePolicy": redrive_policy(dlq1.arn, 3)}).url
            for _ in range(3)}
    make_queue("cf-em-o", attributes={"RedrivePolicy": redrive_policy(dlq2.arn, 3)})
    make_queue("cf-em-plain")
    got = sqs.list_dead_letter_source_queues(QueueUrl=dlq1.url)["queueUrls"]
    assert set(got) == mine


def _fill_dlq(sqs, make_queue, count=6):
    dlq = make_queue("cf-em-mdlq")
    src = make_queue("cf-em-msrc", attributes={
        "VisibilityTimeout": "0", "RedrivePolicy": redrive_policy(dlq.arn, 1)})
    for i in range(count):
        sqs.send_message(QueueUrl=src.url, MessageBody=f"Test message {i}")
    for _ in range(20):
        if get_attrs(sqs, dlq.url, "ApproximateNumberOfMessages")[
                "ApproximateNumberOfMessages"] == str(count):
            break
        sqs.receive_message(QueueUrl=src.url, MaxNumberOfMessages=10)
    assert get_attrs(sqs, dlq.url, "ApproximateNumberOfMessages") == {
        "ApproximateNumberOfMessages": str(count)}
    return src, dlq


def test_move_tasks_listed_newest_first(sqs, make_queue):
    src, dlq = _fill_dlq(sqs, make_queue)
    first = sqs.start_message_move_task(SourceArn=dlq.arn)["TaskHandle"]
    assert len(receive_until(sqs, src.url, 6, timeout=5, VisibilityTimeout=0)) == 6
    for _ in range(20):  # dead-letter them again
        if get_attrs(sqs, dlq.url, "ApproximateNumberOfMessages")[
                "ApproximateNumberOfMessages"] == "6":
            break
        sqs.receive_message(QueueUrl=src.url, MaxNumberOfMessages=10)
    second = sqs.start_message_move_task(SourceArn=dlq.arn,
                                         MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    tasks = sqs.list_message_move_tasks(SourceArn=dlq.arn, MaxResults=10)["Results"]
    assert [t["Status"] for t in tasks] == ["RUNNING", "COMPLETED"]
    # Only a running task carries its handle (AWS).
    assert tasks[0]["TaskHandle"] == second and "TaskHandle" not in tasks[1]
    assert first != second
    expect_error(sqs, "InvalidParameterValue", sqs.start_message_move_task, SourceArn=dlq.arn)
    moved = sqs.cancel_message_move_task(TaskHandle=second)["ApproximateNumberOfMessagesMoved"]
    assert 0 <= moved < 6


def test_move_task_errors(sqs):
    err = expect_error(sqs, "ResourceNotFoundException", sqs.list_message_move_tasks,
                       SourceArn="arn:aws:sqs:us-east-1:000000000000:" + unique("none"))
    assert error_message(err) == ("The resource that you specified for the SourceArn "
                                  "parameter doesn't exist.")
    expect_error(sqs, "InvalidParameterValue", sqs.list_message_move_tasks,
                 SourceArn="invalidArn")
    # A handle that is not one polyq (or AWS) hands out: undecodable.
    expect_error(sqs, "InvalidParameterValue", sqs.cancel_message_move_task,
                 TaskHandle="0b6f0d44-0a56-4f4e-9e4c-5d0b2bd7a1a7")
