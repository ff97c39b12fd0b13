"""Fixtures for the MNS SDK suite: SDK accounts bound to the servers run.sh started, and
throwaway queues that are deleted after each test."""

import os
import uuid

import pytest
from mns.account import Account
from mns.mns_exception import MNSExceptionBase
from mns.queue import QueueMeta

ENFORCE_KEY_ID = "polyq"
ENFORCE_SECRET = "polyq-secret"


def _endpoint(name):
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run this suite through compat/mns/run.sh", returncode=2)
    return value


@pytest.fixture(scope="session")
def endpoint():
    return _endpoint("POLYQ_MNS_ENDPOINT")


@pytest.fixture(scope="session")
def account(endpoint):
    # Dev mode checks no signature: any key works.
    return Account(endpoint, "any-access-key-id", "any-secret")


@pytest.fixture(scope="session")
def enforce_endpoint():
    return _endpoint("POLYQ_MNS_ENFORCE_ENDPOINT")


@pytest.fixture
def new_queue(account):
    """Factory: new_queue(**meta) creates a uniquely named queue and returns the SDK Queue."""
    created = []

    def make(prefix="compat", **meta):
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        queue = account.get_queue(name)
        qm = QueueMeta()
        for key, value in meta.items():
            setattr(qm, key, value)
        queue.create(qm)
        created.append(queue)
        return queue

    yield make
    for queue in created:
        try:
            queue.delete()
        except MNSExceptionBase:
            pass
