"""Queue management as real AWS SQS answers it (recorded AWS responses in LocalStack's
AWS-validated snapshots): create conflicts, attribute errors, permissions."""

import json

from helpers import ACCOUNT_ID, expect_error, get_attrs, unique


def _message(err):
    return err.response["Error"]["Message"]


def test_create_queue_conflict_names_the_attribute(sqs, make_queue):
    name = unique("cf-create")
    q = make_queue(name=name, attributes={"ReceiveMessageWaitTimeSeconds": "1",
                                          "DelaySeconds": "1"})
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == q.url
    assert sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "1"})["QueueUrl"] == q.url
    err = expect_error(sqs, "QueueNameExists", sqs.create_queue, status=400, QueueName=name,
                       Attributes={"ReceiveMessageWaitTimeSeconds": "1", "DelaySeconds": "2"})
    assert _message(err) == ("A queue already exists with the same name and a different "
                             "value for attribute DelaySeconds")
    sqs.set_queue_attributes(QueueUrl=q.url, Attributes={"DelaySeconds": "2"})
    assert sqs.create_queue(QueueName=name, Attributes={
        "ReceiveMessageWaitTimeSeconds": "1", "DelaySeconds": "2"})["QueueUrl"] == q.url


def test_redrive_policy_with_a_non_arn_target(sqs):
    policy = json.dumps({"deadLetterTargetArn": "dummy", "maxReceiveCount": 42})
    err = expect_error(sqs, "InvalidParameterValue", sqs.create_queue, status=400,
                       QueueName=unique("cf-redrive"), Attributes={"RedrivePolicy": policy})
    assert _message(err) == (f"Value {policy} for parameter RedrivePolicy is invalid. "
                             f"Reason: Invalid value for deadLetterTargetArn.")


def test_fifo_queue_attribute_cannot_be_set(sqs, queue, fifo_queue):
    err = expect_error(sqs, "InvalidAttributeName", sqs.set_queue_attributes, status=400,
                       QueueUrl=queue.url, Attributes={"FifoQueue": "true"})
    assert _message(err) == "Unknown Attribute FifoQueue."
    sqs.set_queue_attributes(QueueUrl=fifo_queue.url, Attributes={"FifoQueue": "true"})
    err = expect_error(sqs, "InvalidAttributeValue", sqs.set_queue_attributes, status=400,
                       QueueUrl=fifo_queue.url, Attributes={"FifoQueue": "false"})
    assert _message(err) == ("Invalid value for the parameter FifoQueue. "
                             "Reason: Modifying queue type is not supported.")


def test_sse_kms_and_sqs_exclude_each_other(sqs, queue):
    err = expect_error(sqs, "InvalidAttributeName", sqs.set_queue_attributes, status=400,
                       QueueUrl=queue.url,
                       Attributes={"KmsMasterKeyId": "testKeyId", "SqsManagedSseEnabled": "true"})
    assert _message(err) == ("You can use one type of server-side encryption (SSE) at one "
                             "time. You can either enable KMS SSE or SQS SSE.")
    sqs.set_queue_attributes(QueueUrl=queue.url, Attributes={
        "KmsMasterKeyId": "testKeyId", "KmsDataKeyReusePeriodSeconds": "6000",
        "SqsManagedSseEnabled": "false"})
    assert get_attrs(sqs, queue.url, "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds",
                     "SqsManagedSseEnabled") == {
        "KmsMasterKeyId": "testKeyId", "KmsDataKeyReusePeriodSeconds": "6000",
        "SqsManagedSseEnabled": "false"}


def test_kms_key_alone_turns_sqs_managed_sse_off(sqs, queue, make_queue):
    # AWS-validated LocalStack snapshot test_set_queue_attributes_default_values (2025-12): a
    # KMS key alone switches SSE-SQS off; setting the key to "" (with the reuse period back at
    # 300) lists neither Kms* attribute and leaves SSE-SQS off (terraform-provider-aws shows a
    # perpetual diff when SSE-SQS stays on beside a key, localstack#13539).
    kms = ("KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled")
    assert get_attrs(sqs, queue.url, "All").get("SqsManagedSseEnabled") == "true"
    sqs.set_queue_attributes(QueueUrl=queue.url, Attributes={
        "KmsMasterKeyId": "testKeyId", "KmsDataKeyReusePeriodSeconds": "6000"})
    got = get_attrs(sqs, queue.url, "All")
    assert {k: got.get(k) for k in kms} == {
        "KmsMasterKeyId": "testKeyId", "KmsDataKeyReusePeriodSeconds": "6000",
        "SqsManagedSseEnabled": "false"}
    sqs.set_queue_attributes(QueueUrl=queue.url, Attributes={
        "KmsMasterKeyId": "", "KmsDataKeyReusePeriodSeconds": "300"})
    got = get_attrs(sqs, queue.url, "All")
    assert {k: got.get(k) for k in kms} == {
        "KmsMasterKeyId": None, "KmsDataKeyReusePeriodSeconds": None,
        "SqsManagedSseEnabled": "false"}
    created = make_queue("kms", attributes={"KmsMasterKeyId": "alias/aws/sqs"})
    got = get_attrs(sqs, created.url, "All")
    assert {k: got.get(k) for k in kms} == {
        "KmsMasterKeyId": "alias/aws/sqs", "KmsDataKeyReusePeriodSeconds": "300",
        "SqsManagedSseEnabled": "false"}


def test_standard_queue_refuses_fifo_attributes_in_aws_words(sqs):
    # AWS-validated LocalStack snapshot test_create_standard_queue_with_fifo_attribute_raises_error
    # (both protocols): the wording differs by attribute.
    for attrs, text in [
        ({"FifoQueue": "false"}, "Unknown Attribute FifoQueue."),
        ({"ContentBasedDeduplication": "false"}, "Unknown Attribute ContentBasedDeduplication."),
        ({"DeduplicationScope": "queue"},
         "You can specify the DeduplicationScope only when FifoQueue is set to true."),
        ({"FifoThroughputLimit": "perQueue"},
         "You can specify the FifoThroughputLimit only when FifoQueue is set to true."),
    ]:
        err = expect_error(sqs, "InvalidAttributeName", sqs.create_queue, status=400,
                           QueueName=unique("std-fifo-attr"), Attributes=attrs)
        assert _message(err) == text


def test_permission_lifecycle_policy_shape(sqs, queue):
    other = "668614515564"
    sqs.add_permission(QueueUrl=queue.url, AWSAccountIds=[ACCOUNT_ID, other],
                       Actions=["ReceiveMessage"], Label="crossaccountpermission")
    policy = json.loads(get_attrs(sqs, queue.url, "Policy")["Policy"])
    assert policy["Version"] == "2008-10-17"
    assert policy["Id"] == f"{queue.arn}/SQSDefaultPolicy"
    (statement,) = policy["Statement"]
    assert statement["Sid"] == "crossaccountpermission"
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "SQS:ReceiveMessage"
    assert statement["Resource"] == queue.arn
    assert sorted(statement["Principal"]["AWS"]) == sorted(
        [f"arn:aws:iam::{ACCOUNT_ID}:root", f"arn:aws:iam::{other}:root"])
    sqs.remove_permission(QueueUrl=queue.url, Label="crossaccountpermission")
    assert "Policy" not in get_attrs(sqs, queue.url, "Policy")

    sqs.add_permission(QueueUrl=queue.url, AWSAccountIds=[ACCOUNT_ID],
                       Actions=["ReceiveMessage"], Label="crossaccountpermission")
    statement = json.loads(get_attrs(sqs, queue.url, "Policy")["Policy"])["Statement"][0]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    err = expect_error(sqs, "InvalidParameterValue", sqs.add_permission, status=400,
                       QueueUrl=queue.url, AWSAccountIds=[other], Actions=["ReceiveMessage"],
                       Label="crossaccountpermission")
    assert _message(err) == ("Value crossaccountpermission for parameter Label is invalid. "
                             "Reason: Already exists.")
    sqs.remove_permission(QueueUrl=queue.url, Label="crossaccountpermission")
    err = expect_error(sqs, "InvalidParameterValue", sqs.remove_permission, status=400,
                       QueueUrl=queue.url, Label="crossaccountpermission2")
    assert _message(err) == ("Value crossaccountpermission2 for parameter Label is invalid. "
                             "Reason: can't find label.")


def test_queue_url_may_be_the_bare_queue_name(sqs, queue):
    sent = sqs.send_message(QueueUrl=queue.name, MessageBody="Using name instead of URL")
    assert sent["MD5OfMessageBody"] == "86a83f96652a1bfad3891e7d523750cb"
    (m,) = sqs.receive_message(QueueUrl=queue.url, WaitTimeSeconds=1)["Messages"]
    assert m["MessageId"] == sent["MessageId"]


def test_add_permission_errors(sqs, queue):
    def add(accounts, actions, label="lbl"):
        return dict(QueueUrl=queue.url, Label=label, AWSAccountIds=accounts, Actions=actions)

    err = expect_error(sqs, "InvalidParameterValue", sqs.add_permission, status=400,
                       **add([], ["ReceiveMessage"]))
    assert _message(err) == "Value [] for parameter PrincipalId is invalid. Reason: Unable to verify."
    err = expect_error(sqs, "InvalidParameterValue", sqs.add_permission, status=400,
                       **add(["111111111111"], ["RemovePermission"]))
    assert _message(err) == ("Value SQS:RemovePermission for parameter ActionName is invalid. "
                             "Reason: Only the queue owner is allowed to invoke this action.")
    eight = ["ChangeMessageVisibility", "DeleteMessage", "GetQueueAttributes", "GetQueueUrl",
             "ListDeadLetterSourceQueues", "PurgeQueue", "ReceiveMessage", "SendMessage"]
    err = expect_error(sqs, "OverLimit", sqs.add_permission, status=403,
                       **add(["111111111111"], eight))
    assert _message(err) == "8 Actions were found, maximum allowed is 7."
    sqs.add_permission(**add(["111111111111"], ["*"], label="all"))
    statement = json.loads(get_attrs(sqs, queue.url, "Policy")["Policy"])["Statement"][0]
    assert statement["Action"] == "SQS:*"


def test_tag_limits(sqs, make_queue):
    q = make_queue("cf-tags", tags={"tag_key_1": "tag_value_X"})
    err = expect_error(sqs, "InvalidParameterValue", sqs.tag_queue, status=400, QueueUrl=q.url,
                       Tags={f"tag_key_{i}": f"tag_value_{i}" for i in range(51)})
    assert _message(err) == f"Too many tags added for queue {q.name}."
    assert sqs.list_queue_tags(QueueUrl=q.url)["Tags"] == {"tag_key_1": "tag_value_X"}
    sqs.untag_queue(QueueUrl=q.url, TagKeys=["not-existing-tag"])
    assert sqs.list_queue_tags(QueueUrl=q.url)["Tags"] == {"tag_key_1": "tag_value_X"}


def test_tag_limits_hold_at_creation(sqs):
    """Tags given to CreateQueue obey TagQueue's rules (50 per queue, keys of 1-128
    characters); the queue is not created."""
    name = unique("cf-tags-create")
    err = expect_error(sqs, "InvalidParameterValue", sqs.create_queue, status=400,
                       QueueName=name, tags={f"k{i}": "v" for i in range(51)})
    assert _message(err) == f"Too many tags added for queue {name}."
    err = expect_error(sqs, "InvalidParameterValue", sqs.create_queue, status=400,
                       QueueName=name, tags={"k" * 129: "v"})
    assert "Tag keys must be between 1 and 128 characters in length." in _message(err)
    assert not sqs.list_queues(QueueNamePrefix=name).get("QueueUrls")
    url = sqs.create_queue(QueueName=name, tags={f"k{i}": "v" for i in range(50)})["QueueUrl"]
    assert len(sqs.list_queue_tags(QueueUrl=url)["Tags"]) == 50
    sqs.delete_queue(QueueUrl=url)


def test_attribute_names_with_blanks_are_trimmed(sqs, make_queue):
    q = make_queue("cf-trim", attributes={"VisibilityTimeout ": "2"})
    assert get_attrs(sqs, q.url, "VisibilityTimeout") == {"VisibilityTimeout": "2"}


def test_redrive_policy_errors(sqs, queue):
    dlq_arn = queue.arn

    def refused(policy):
        err = expect_error(sqs, "InvalidParameterValue", sqs.set_queue_attributes, status=400,
                           QueueUrl=queue.url, Attributes={"RedrivePolicy": policy})
        return _message(err)

    policy = json.dumps({"deadLetterTargetArn": dlq_arn})
    assert refused(policy) == (f"Value {policy} for parameter RedrivePolicy is invalid. Reason: "
                               f"Redrive policy does not contain mandatory attribute: "
                               f"maxReceiveCount.")
    policy = json.dumps({"maxReceiveCount": 5})
    assert refused(policy).endswith("mandatory attribute: deadLetterTargetArn.")
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "invalid"})
    assert refused(policy).endswith("Reason: Invalid value for maxReceiveCount: invalid, valid "
                                    "values are from 1 to 1000 both inclusive.")
