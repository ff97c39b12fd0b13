"""Fixtures: clients built from the connection string run.sh exports (polyq on 127.0.0.1)."""
import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from azure.storage.queue import QueueServiceClient

CONN = os.environ.get("POLYQ_AZURE_CONNECTION_STRING", "")
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def soon(hours=1):
    """A SAS or access-policy time `hours` from now."""
    return datetime.now(timezone.utc) + timedelta(hours=hours)


def endpoint():
    return f"http://127.0.0.1:{os.environ['POLYQ_AZURE_PORT']}/{ACCOUNT}"


@pytest.fixture(scope="session")
def service():
    if not CONN:
        pytest.skip("run through compat/azure/run.sh")
    return QueueServiceClient.from_connection_string(CONN, retry_total=0)


@pytest.fixture
def queue(service):
    name = "q" + uuid.uuid4().hex[:16]
    client = service.create_queue(name)
    yield client
    try:
        client.delete_queue()
    except Exception:
        pass
