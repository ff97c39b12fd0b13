"""UseDevelopmentStorage=true: the SDK's own emulator shortcut reaches polyq on 127.0.0.1:10001.

Starts a second polyq on the emulator's fixed port when it is free; skipped (with the reason)
when something else holds the port.
"""
import os
import socket
import subprocess
import time
import urllib.request
import uuid

import pytest
from azure.storage.queue import QueueClient

PORT = 10001


def _port_free():
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", PORT))
        return True
    except OSError:
        return False
    finally:
        s.close()


@pytest.fixture(scope="module")
def emulator_port_server():
    binary = os.environ.get("POLYQ_BIN")
    if not binary:
        pytest.skip("run through compat/azure/run.sh (POLYQ_BIN names the binary)")
    if not _port_free():
        pytest.skip(f"127.0.0.1:{PORT} is taken by another process")
    proc = subprocess.Popen(
        [binary, "serve", "--listen", f"127.0.0.1:{PORT}", "--store", "memory"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):  # 10 s at most
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=1).read()
                break
            except Exception:
                time.sleep(0.1)
        else:
            pytest.fail("polyq on the emulator port did not become healthy")
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_use_development_storage_round_trip(emulator_port_server):
    name = "dev" + uuid.uuid4().hex[:12]
    q = QueueClient.from_connection_string("UseDevelopmentStorage=true", name, retry_total=0)
    q.create_queue()
    try:
        q.send_message("via the emulator shortcut")
        got = list(q.receive_messages(max_messages=1))
        assert [m.content for m in got] == ["via the emulator shortcut"]
        q.delete_message(got[0])
    finally:
        q.delete_queue()
