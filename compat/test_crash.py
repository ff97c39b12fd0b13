"""Crash safety of the durable embedded store, through the real SDK.

A writer sends numbered messages while consumers receive and delete; the server is SIGKILLed
at random moments several times and restarted on the same data directory. At the end every
message whose send was acknowledged was either received exactly as sent (still there) or
acknowledged as deleted, and no acknowledged delete ever reappears.
"""
import os
import random
import signal
import socket
import subprocess
import threading
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config

from conftest import _polyq_bin
from helpers import IS_JSON

KILLS = 5
BODY_PAD = "x" * 50

pytestmark = [
    pytest.mark.timeout(240),
    # One protocol is enough to show durability; the JSON run also takes the CLI tests.
    pytest.mark.skipif(not IS_JSON, reason="crash test runs once, with the JSON-protocol SDK"),
]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(port, data_dir, log):
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYQ_")}
    proc = subprocess.Popen(
        [str(_polyq_bin()), "serve", "--listen", f"127.0.0.1:{port}", "--store", str(data_dir)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, "polyq exited during start-up (see the log)"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            pass
        time.sleep(0.05)
    proc.kill()
    pytest.fail("polyq did not become healthy after a restart")


def _client(port):
    return boto3.client(
        "sqs",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )


def _body(n):
    return f"msg-{n}-{BODY_PAD}"


def test_sigkill_loses_no_acknowledged_message(tmp_path):
    port = _free_port()
    data = tmp_path / "data"
    log = open(tmp_path / "server.log", "ab")
    rng = random.Random(20261123)
    acked_sent = set()
    acked_deleted = set()
    delete_tried = set()
    lock = threading.Lock()
    next_n = [0]

    proc = _start(port, data, log)
    url = _client(port).create_queue(QueueName="crash", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]

    def writer(stop):
        sqs = _client(port)
        while not stop.is_set():
            with lock:
                first = next_n[0]
                next_n[0] += 10
            entries = [{"Id": str(i), "MessageBody": _body(first + i)} for i in range(10)]
            try:
                resp = sqs.send_message_batch(QueueUrl=url, Entries=entries)
            except Exception:
                time.sleep(0.05)
                continue
            with lock:
                for ok in resp.get("Successful", []):
                    acked_sent.add(first + int(ok["Id"]))

    def consumer(stop):
        sqs = _client(port)
        while not stop.is_set():
            try:
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            except Exception:
                time.sleep(0.05)
                continue
            for m in got.get("Messages", []):
                n = int(m["Body"].split("-")[1])
                assert m["Body"] == _body(n), "a message came back changed"
                with lock:
                    assert n not in acked_deleted, f"message {n} reappeared after an acknowledged delete"
                    delete_tried.add(n)
                try:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                except Exception:
                    continue
                with lock:
                    acked_deleted.add(n)

    for _ in range(KILLS):
        stop = threading.Event()
        threads = [threading.Thread(target=writer, args=(stop,))] + [
            threading.Thread(target=consumer, args=(stop,)) for _ in range(2)
        ]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.5, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        proc = _start(port, data, log)

    # Drain what is left: leases made before a kill run out after their 1 s visibility.
    sqs = _client(port)
    remaining = {}
    empty_rounds = 0
    deadline = time.monotonic() + 60
    while empty_rounds < 3 and time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=600)
        msgs = got.get("Messages", [])
        empty_rounds = 0 if msgs else empty_rounds + 1
        for m in msgs:
            n = int(m["Body"].split("-")[1])
            assert m["Body"] == _body(n)
            remaining[n] = m
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)
    log.close()

    resurrected = acked_deleted & remaining.keys()
    assert not resurrected, f"acknowledged deletes reappeared: {sorted(resurrected)[:20]}"
    lost = acked_sent - acked_deleted - delete_tried - remaining.keys()
    assert not lost, f"acknowledged sends lost: {sorted(lost)[:20]}"
    assert len(acked_sent) > 100, "the load was too small to mean anything"
    print(
        f"\ncrash test: {KILLS} SIGKILLs, {len(acked_sent)} acknowledged sends, "
        f"{len(acked_deleted)} acknowledged deletes, {len(remaining)} left in the queue"
    )
