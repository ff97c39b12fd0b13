"""Queue management through QueueServiceClient / QueueClient."""
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import AccessPolicy, QueueClient, QueueSasPermissions

from conftest import CONN


def name(prefix="t"):
    return prefix + uuid.uuid4().hex[:12]


def test_create_list_delete_with_metadata(service):
    prefix = name("lst")
    for i in range(3):
        service.create_queue(f"{prefix}-{i}", metadata={"idx": str(i)})
    listed = list(service.list_queues(name_starts_with=prefix, include_metadata=True))
    assert [q.name for q in listed] == [f"{prefix}-{i}" for i in range(3)]
    assert [q.metadata for q in listed] == [{"idx": str(i)} for i in range(3)]
    pages = list(service.list_queues(name_starts_with=prefix, results_per_page=2).by_page())
    assert [len(list(p)) for p in pages] == [2, 1]
    for i in range(3):
        service.delete_queue(f"{prefix}-{i}")
    assert list(service.list_queues(name_starts_with=prefix)) == []


def test_create_is_idempotent_only_with_same_metadata(service):
    n = name()
    q = service.create_queue(n, metadata={"a": "1"})
    # Azure answers 204 for an identical create; the Python SDK turns that into
    # ResourceExistsError itself (deserialize_queue_creation), without an error code.
    with pytest.raises(ResourceExistsError) as e:
        q.create_queue(metadata={"a": "1"})
    assert e.value.status_code == 204
    with pytest.raises(ResourceExistsError) as e:
        q.create_queue(metadata={"a": "2"})
    assert e.value.status_code == 409
    assert e.value.error_code == "QueueAlreadyExists"
    q.delete_queue()


def test_metadata_and_properties(queue):
    queue.set_queue_metadata({"color": "blue", "size": "xl"})
    queue.send_message("one")
    queue.send_message("two")
    props = queue.get_queue_properties()
    assert props.metadata == {"color": "blue", "size": "xl"}
    assert props.approximate_message_count == 2
    queue.set_queue_metadata({})
    assert queue.get_queue_properties().metadata == {}


def test_non_ascii_metadata_values_are_invalid_metadata(queue):
    # The SDK signs "München" as text, http.client sends it as Latin-1: Azure reads the header
    # bytes as Latin-1, so the signature matches, and refuses the value (not a 403).
    with pytest.raises(HttpResponseError) as e:
        queue.set_queue_metadata({"city": "München"})
    assert (e.value.status_code, e.value.error_code) == (400, "InvalidMetadata")
    assert queue.get_queue_properties().metadata == {}


def test_metadata_names_keep_their_case(service):
    # Azure keeps the case a metadata name was set with, and the SDK hands it back as answered
    # (the .NET and Go SDK suites set "Capital" / "UPPER" / "Foo" names and compare exactly).
    name = f"case-{uuid.uuid4().hex[:12]}"
    q = service.create_queue(name, metadata={"MyKey": "v1", "UPPER": "v2", "lower": "v3"})
    try:
        expected = {"MyKey": "v1", "UPPER": "v2", "lower": "v3"}
        assert q.get_queue_properties().metadata == expected
        listed = list(service.list_queues(name_starts_with=name, include_metadata=True))
        assert [x.metadata for x in listed] == [expected]
        # Names are case-insensitive: the same set in another spelling is the same metadata.
        with pytest.raises(ResourceExistsError) as e:
            q.create_queue(metadata={"mykey": "v1", "upper": "v2", "LOWER": "v3"})
        assert e.value.status_code == 204
        q.set_queue_metadata({"CamelCase_1": "x"})
        assert q.get_queue_properties().metadata == {"CamelCase_1": "x"}
    finally:
        q.delete_queue()


def test_access_policy_round_trip_and_limit(queue):
    from datetime import datetime, timedelta, timezone

    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    expiry = datetime.now(timezone.utc) + timedelta(hours=1)
    policy = AccessPolicy(permission=QueueSasPermissions(read=True, process=True), start=start, expiry=expiry)
    queue.set_queue_access_policy(signed_identifiers={"pol1": policy})
    got = queue.get_queue_access_policy()
    assert list(got) == ["pol1"]
    assert got["pol1"].permission == "rp"
    assert str(got["pol1"].start).startswith("2024-01-01T00:00:00")
    too_many = {f"id{i}": policy for i in range(6)}
    with pytest.raises(HttpResponseError) as e:
        queue.set_queue_access_policy(signed_identifiers=too_many)
    assert e.value.error_code == "InvalidXmlDocument"
    queue.set_queue_access_policy(signed_identifiers={})
    assert queue.get_queue_access_policy() == {}


def test_missing_queue_errors(service):
    q = QueueClient.from_connection_string(CONN, name("missing"), retry_total=0)
    with pytest.raises(ResourceNotFoundError) as e:
        q.get_queue_properties()
    assert e.value.error_code == "QueueNotFound"
    with pytest.raises(ResourceNotFoundError) as e:
        q.send_message("x")
    assert e.value.error_code == "QueueNotFound"
    with pytest.raises(ResourceNotFoundError):
        q.delete_queue()


@pytest.mark.parametrize(
    "bad,code",
    [("ab", "OutOfRangeInput"), ("a" * 64, "OutOfRangeInput"), ("Upper", "InvalidResourceName"), ("a--b", "InvalidResourceName")],
)
def test_queue_name_rules(service, bad, code):
    with pytest.raises(HttpResponseError) as e:
        service.create_queue(bad)
    assert e.value.error_code == code
    assert e.value.status_code == 400
