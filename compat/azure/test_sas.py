"""SAS: account SAS and service SAS (inline and through stored access policies)."""

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.storage.queue import (
    AccessPolicy,
    AccountSasPermissions,
    QueueClient,
    QueueSasPermissions,
    QueueServiceClient,
    ResourceTypes,
    generate_account_sas,
    generate_queue_sas,
)

from conftest import ACCOUNT, KEY, endpoint, soon


def test_account_sas(queue):
    sas = generate_account_sas(ACCOUNT, KEY, ResourceTypes(service=True, container=True, object=True), AccountSasPermissions(read=True, list=True, add=True, process=True), expiry=soon())
    svc = QueueServiceClient(endpoint(), credential=sas, retry_total=0)
    assert queue.queue_name in [q.name for q in svc.list_queues()]
    q = svc.get_queue_client(queue.queue_name)
    q.send_message("via account sas")
    assert next(iter(q.receive_messages())).content == "via account sas"
    with pytest.raises(HttpResponseError) as e:
        q.clear_messages()  # needs d
    assert e.value.error_code == "AuthorizationPermissionMismatch"
    with pytest.raises(HttpResponseError) as e:
        q.get_queue_access_policy()  # never with an account SAS
    assert e.value.status_code == 403


def test_account_sas_resource_type_and_expiry(queue):
    sas = generate_account_sas(ACCOUNT, KEY, ResourceTypes(object=True), AccountSasPermissions(read=True, list=True), expiry=soon())
    svc = QueueServiceClient(endpoint(), credential=sas, retry_total=0)
    with pytest.raises(HttpResponseError) as e:
        list(svc.list_queues())
    assert e.value.error_code == "AuthorizationResourceTypeMismatch"
    expired = generate_account_sas(ACCOUNT, KEY, ResourceTypes(service=True), AccountSasPermissions(list=True), expiry=soon(-1))
    svc = QueueServiceClient(endpoint(), credential=expired, retry_total=0)
    with pytest.raises(ClientAuthenticationError) as e:
        list(svc.list_queues())
    assert e.value.error_code == "AuthenticationFailed"


def test_service_sas_inline(queue):
    sas = generate_queue_sas(ACCOUNT, queue.queue_name, KEY, permission=QueueSasPermissions(add=True), expiry=soon())
    q = QueueClient(endpoint(), queue.queue_name, credential=sas, retry_total=0)
    q.send_message("added")
    with pytest.raises(HttpResponseError) as e:
        list(q.receive_messages())
    assert e.value.error_code == "AuthorizationPermissionMismatch"
    assert queue.peek_messages()[0].content == "added"


def test_service_sas_stored_policy(queue):
    queue.set_queue_access_policy(signed_identifiers={"readers": AccessPolicy(permission=QueueSasPermissions(read=True, process=True), expiry=soon())})
    queue.send_message("for readers")
    sas = generate_queue_sas(ACCOUNT, queue.queue_name, KEY, policy_id="readers")
    q = QueueClient(endpoint(), queue.queue_name, credential=sas, retry_total=0)
    assert q.peek_messages()[0].content == "for readers"
    m = next(iter(q.receive_messages()))
    q.delete_message(m)
    with pytest.raises(HttpResponseError):
        q.send_message("nope")
    bad = generate_queue_sas(ACCOUNT, queue.queue_name, KEY, policy_id="nobody")
    with pytest.raises(ClientAuthenticationError):
        QueueClient(endpoint(), queue.queue_name, credential=bad, retry_total=0).peek_messages()


def test_wrong_key_is_refused(queue):
    wrong = "A" * 86 + "=="
    q = QueueClient(endpoint(), queue.queue_name, credential={"account_name": ACCOUNT, "account_key": wrong}, retry_total=0)
    with pytest.raises(ClientAuthenticationError) as e:
        q.send_message("x")
    assert e.value.error_code == "AuthenticationFailed"
