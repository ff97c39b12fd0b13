"""Queue lifecycle: create/get/list/delete/purge, tags, permissions."""

import json
import uuid

import pytest

from helpers import (
    ACCOUNT_ID,
    expect_error,
    get_attrs,
    make_client,
    queue_arn,
    receive,
    unique,
    wait_for,
)


def test_create_queue_url_and_arn(sqs, endpoint, make_queue):
    q = make_queue("url")
    assert q.url == f"{endpoint}/{ACCOUNT_ID}/{q.name}"
    attrs = get_attrs(sqs, q.url, "QueueArn")
    assert attrs["QueueArn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:{q.name}"
    assert attrs["QueueArn"] == queue_arn(q.name)


def test_create_queue_is_idempotent_with_same_attributes(sqs, make_queue):
    attrs = {"VisibilityTimeout": "45", "DelaySeconds": "1"}
    q = make_queue("idem", attributes=attrs)
    again = sqs.create_queue(QueueName=q.name, Attributes=attrs)
    assert again["QueueUrl"] == q.url
    # A queue created without attributes can be re-created without them.
    plain = make_queue("idem-plain")
    assert sqs.create_queue(QueueName=plain.name)["QueueUrl"] == plain.url


def test_create_queue_with_different_attributes_conflicts(sqs, make_queue):
    q = make_queue("conflict", attributes={"VisibilityTimeout": "45"})
    err = expect_error(
        sqs,
        "QueueNameExists",
        sqs.create_queue,
        QueueName=q.name,
        Attributes={"VisibilityTimeout": "46"},
        status=400,
    )
    assert err.response["Error"]["Code"] == "QueueAlreadyExists"


def test_create_queue_with_attributes_and_tags(sqs, make_queue):
    attrs = {
        "VisibilityTimeout": "45",
        "DelaySeconds": "2",
        "MessageRetentionPeriod": "3600",
        "MaximumMessageSize": "2048",
        "ReceiveMessageWaitTimeSeconds": "1",
    }
    tags = {"env": "compat", "team": "queues"}
    q = make_queue("attrs", attributes=attrs, tags=tags)
    got = get_attrs(sqs, q.url)
    for k, v in attrs.items():
        assert got[k] == v, k
    assert sqs.list_queue_tags(QueueUrl=q.url).get("Tags") == tags


def test_get_queue_url(sqs, make_queue):
    q = make_queue("geturl")
    assert sqs.get_queue_url(QueueName=q.name)["QueueUrl"] == q.url


def test_get_queue_url_unknown(sqs):
    expect_error(
        sqs,
        "QueueDoesNotExist",
        sqs.get_queue_url,
        QueueName=unique("missing"),
        status=400,
    )


def test_list_queues_prefix(sqs, make_queue):
    prefix = f"compat-list-{uuid.uuid4().hex[:8]}"
    urls = {make_queue(name=f"{prefix}-{i}").url for i in range(3)}
    other = make_queue("other")
    resp = sqs.list_queues(QueueNamePrefix=prefix)
    assert set(resp.get("QueueUrls", [])) == urls
    assert "NextToken" not in resp
    everything = sqs.list_queues().get("QueueUrls", [])
    assert urls <= set(everything)
    assert other.url in everything


def test_list_queues_unmatched_prefix_is_empty(sqs):
    resp = sqs.list_queues(QueueNamePrefix=unique("nothing-here"))
    assert resp.get("QueueUrls", []) == []


def test_list_queues_paging(sqs, make_queue):
    prefix = f"compat-page-{uuid.uuid4().hex[:8]}"
    urls = {make_queue(name=f"{prefix}-{i}").url for i in range(5)}
    seen = []
    token = None
    pages = 0
    for _ in range(10):  # bounded
        kwargs = {"QueueNamePrefix": prefix, "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        resp = sqs.list_queues(**kwargs)
        page = resp.get("QueueUrls", [])
        assert len(page) <= 2
        seen.extend(page)
        pages += 1
        token = resp.get("NextToken")
        if not token:
            break
    assert pages == 3, f"expected 3 pages of <=2 for 5 queues, got {pages}: {seen}"
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == urls


def test_list_queues_max_results_covering_all_has_no_token(sqs, make_queue):
    prefix = f"compat-page1-{uuid.uuid4().hex[:8]}"
    make_queue(name=f"{prefix}-a")
    resp = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=10)
    assert len(resp["QueueUrls"]) == 1
    assert not resp.get("NextToken")


def test_delete_queue(sqs, make_queue):
    q = make_queue("del")
    sqs.delete_queue(QueueUrl=q.url)
    expect_error(sqs, "QueueDoesNotExist", sqs.get_queue_url, QueueName=q.name)
    assert q.url not in sqs.list_queues(QueueNamePrefix=q.name).get("QueueUrls", [])
    expect_error(sqs, "QueueDoesNotExist", sqs.get_queue_attributes,
                 QueueUrl=q.url, AttributeNames=["All"])


def test_recreating_a_deleted_name_within_60_seconds_when_enforced(deleted_recently_endpoint):
    """`--sqs-queue-deleted-recently`: AWS's rule and text; by default the name is free at once
    (test_delete_queue's fixtures recreate names freely)."""
    client = make_client(deleted_recently_endpoint)
    name = unique("recent")
    url = client.create_queue(QueueName=name)["QueueUrl"]
    client.delete_queue(QueueUrl=url)
    err = expect_error(client, ["QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently"],
                       client.create_queue, QueueName=name, status=400)
    assert err.response["Error"]["Message"] == (
        "You must wait 60 seconds after deleting a queue before you can create another with "
        "the same name.")
    other = client.create_queue(QueueName=unique("recent-other"))["QueueUrl"]
    client.delete_queue(QueueUrl=other)


def test_second_purge_within_60_seconds_is_refused(sqs, make_queue):
    # AWS's recorded answer (403); a queue created again under the name starts afresh.
    q = make_queue("purgetwice")
    sqs.purge_queue(QueueUrl=q.url)
    err = expect_error(sqs, ["AWS.SimpleQueueService.PurgeQueueInProgress", "PurgeQueueInProgress"],
                       sqs.purge_queue, QueueUrl=q.url, status=403)
    assert err.response["Error"]["Message"] == (
        f"Only one PurgeQueue operation on {q.name} is allowed every 60 seconds.")
    sqs.delete_queue(QueueUrl=q.url)
    again = sqs.create_queue(QueueName=q.name)["QueueUrl"]
    sqs.purge_queue(QueueUrl=again)


def test_purge_queue(sqs, queue):
    for i in range(3):
        sqs.send_message(QueueUrl=queue.url, MessageBody=f"purge-{i}")
    assert get_attrs(sqs, queue.url, "ApproximateNumberOfMessages")[
        "ApproximateNumberOfMessages"] == "3"
    sqs.purge_queue(QueueUrl=queue.url)
    wait_for(
        lambda: get_attrs(sqs, queue.url, "ApproximateNumberOfMessages")[
            "ApproximateNumberOfMessages"] == "0",
        timeout=5,
        what="purge to empty the queue",
    )
    assert receive(sqs, queue.url, MaxNumberOfMessages=10) == []


def test_tag_untag_list(sqs, queue):
    assert sqs.list_queue_tags(QueueUrl=queue.url).get("Tags", {}) == {}
    sqs.tag_queue(QueueUrl=queue.url, Tags={"a": "1", "b": "2", "c": "3"})
    assert sqs.list_queue_tags(QueueUrl=queue.url)["Tags"] == {"a": "1", "b": "2", "c": "3"}
    sqs.tag_queue(QueueUrl=queue.url, Tags={"a": "changed"})
    sqs.untag_queue(QueueUrl=queue.url, TagKeys=["b"])
    assert sqs.list_queue_tags(QueueUrl=queue.url)["Tags"] == {"a": "changed", "c": "3"}
    sqs.untag_queue(QueueUrl=queue.url, TagKeys=["a", "c"])
    assert sqs.list_queue_tags(QueueUrl=queue.url).get("Tags", {}) == {}


def _policy_sids(sqs, url):
    attrs = get_attrs(sqs, url, "Policy")
    if not attrs.get("Policy"):
        return set()
    policy = json.loads(attrs["Policy"])
    return {s.get("Sid") for s in policy.get("Statement", [])}


def test_add_and_remove_permission(sqs, queue):
    sqs.add_permission(
        QueueUrl=queue.url,
        Label="compatLabel1",
        AWSAccountIds=[ACCOUNT_ID],
        Actions=["SendMessage"],
    )
    sqs.add_permission(
        QueueUrl=queue.url,
        Label="compatLabel2",
        AWSAccountIds=["111122223333"],
        Actions=["ReceiveMessage", "DeleteMessage"],
    )
    attrs = get_attrs(sqs, queue.url, "Policy")
    policy = json.loads(attrs["Policy"])
    assert {"compatLabel1", "compatLabel2"} <= {s["Sid"] for s in policy["Statement"]}
    sqs.remove_permission(QueueUrl=queue.url, Label="compatLabel1")
    sids = _policy_sids(sqs, queue.url)
    assert "compatLabel1" not in sids
    assert "compatLabel2" in sids
    sqs.remove_permission(QueueUrl=queue.url, Label="compatLabel2")
    assert "compatLabel2" not in _policy_sids(sqs, queue.url)


@pytest.mark.parametrize("n", [0, 1001])
def test_list_queues_max_results_out_of_range(sqs, n):
    expect_error(sqs, "InvalidParameterValue", sqs.list_queues, MaxResults=n, status=400)


def test_add_permission_duplicate_label(sqs, queue):
    kwargs = dict(QueueUrl=queue.url, Label="dup", AWSAccountIds=[ACCOUNT_ID],
                  Actions=["SendMessage"])
    sqs.add_permission(**kwargs)
    expect_error(sqs, "InvalidParameterValue", sqs.add_permission, **kwargs)


def test_remove_unknown_permission(sqs, queue):
    expect_error(sqs, "InvalidParameterValue", sqs.remove_permission,
                 QueueUrl=queue.url, Label="never-added")


def test_delete_queue_ends_a_waiting_long_poll_empty(sqs, make_queue):
    """A receive begun before the delete ends at once with no messages, not an error."""
    import threading
    import time

    q = make_queue("lpdel")
    out = {}

    def poll():
        started = time.monotonic()
        out["answer"] = sqs.receive_message(QueueUrl=q.url, WaitTimeSeconds=20)
        out["took"] = time.monotonic() - started

    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(0.5)
    sqs.delete_queue(QueueUrl=q.url)
    waiter.join(timeout=30)
    assert not waiter.is_alive()
    assert "Messages" not in out["answer"]
    assert out["took"] < 15, "released by the delete, not by its 20 s wait"
