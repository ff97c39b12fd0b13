"""Several polyq nodes on one PostgreSQL database, driven through the real SDK.

Needs the PostgreSQL server of POLYQ_TEST_POSTGRES_URL (default
postgres://postgres@127.0.0.1:5432/test). Without one the tests are skipped and say why;
with POLYQ_REQUIRE_POSTGRES=1 (set by CI) they fail instead.
"""
import os
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import _polyq_bin
from helpers import IS_JSON

PG_URL = os.environ.get("POLYQ_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
PG = urllib.parse.urlparse(PG_URL)

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(not IS_JSON, reason="multi-node tests run once, with the JSON-protocol SDK"),
]


def _pg_reachable():
    try:
        with socket.create_connection((PG.hostname, PG.port or 5432), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def pg():
    if not _pg_reachable():
        why = f"PostgreSQL at {PG.hostname}:{PG.port or 5432} is unreachable"
        if os.environ.get("POLYQ_REQUIRE_POSTGRES") == "1":
            pytest.fail(why + " and POLYQ_REQUIRE_POSTGRES=1")
        pytest.skip(why)
    return PG_URL


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, store_url, log_path):
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLYQ_")}
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            [str(_polyq_bin()), "serve", "--listen", f"127.0.0.1:{self.port}", "--store", store_url],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"polyq node exited at start-up; see {log_path}"
            try:
                with urllib.request.urlopen(self.endpoint + "/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail("polyq node did not become healthy")

    def client(self, read_timeout=30):
        return boto3.client(
            "sqs",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="y",
            config=Config(retries={"max_attempts": 1}, read_timeout=read_timeout, max_pool_connections=20),
        )

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def _schema_url(base, schema):
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}schema={schema}"


def _drop_schema(schema):
    # Best effort: psql is on machines with a local server; a leftover schema harms nothing.
    try:
        subprocess.run(
            ["psql", "-h", PG.hostname, "-p", str(PG.port or 5432), "-U", PG.username or "postgres",
             "-d", PG.path.lstrip("/") or "postgres", "-c", f"DROP SCHEMA IF EXISTS {schema} CASCADE"],
            capture_output=True, timeout=30, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        pass


@pytest.fixture
def nodes(pg, tmp_path):
    schema = "mn_" + uuid.uuid4().hex[:12]
    started = []
    try:
        for i in range(3):
            started.append(Node(_schema_url(pg, schema), tmp_path / f"node{i}.log"))
        yield started
    finally:
        for n in started:
            n.stop()
        _drop_schema(schema)


def test_three_nodes_deliver_every_message_once(nodes):
    clients = [n.client() for n in nodes]
    url = clients[0].create_queue(QueueName="shared", Attributes={"VisibilityTimeout": "120"})["QueueUrl"]
    total = 3000

    def produce(p):
        c = clients[p % 3]
        for start in range(p * 1000, (p + 1) * 1000, 10):
            entries = [{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(10)]
            resp = c.send_message_batch(QueueUrl=url, Entries=entries)
            assert not resp.get("Failed"), resp.get("Failed")

    seen = []
    lock = threading.Lock()

    def consume(k):
        c = clients[k % 3]
        empty = 0
        deadline = time.monotonic() + 120
        while empty < 3 and time.monotonic() < deadline:
            got = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            msgs = got.get("Messages", [])
            empty = 0 if msgs else empty + 1
            with lock:
                seen.extend(m["Body"] for m in msgs)
            if msgs:
                c.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)],
                )

    with ThreadPoolExecutor(max_workers=9) as pool:
        producers = [pool.submit(produce, p) for p in range(3)]
        consumers = [pool.submit(consume, k) for k in range(6)]
        for f in producers + consumers:
            f.result()
    assert len(seen) == len(set(seen)), "a message was delivered twice inside its visibility window"
    assert set(seen) == {f"m{i}" for i in range(total)}
    for c in clients:
        attrs = c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attrs["ApproximateNumberOfMessages"] == "0"
        assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0", "deletes through any node are seen by all"


def test_long_poll_on_one_node_is_woken_by_a_send_through_another(nodes):
    a, b = nodes[0].client(), nodes[1].client()
    url = a.create_queue(QueueName="wake")["QueueUrl"]
    result = {}

    def wait():
        started = time.monotonic()
        result["got"] = b.receive_message(QueueUrl=url, WaitTimeSeconds=15)
        result["took"] = time.monotonic() - started

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.5)
    a.send_message(QueueUrl=url, MessageBody="across nodes")
    t.join(timeout=30)
    assert result["got"]["Messages"][0]["Body"] == "across nodes"
    # Bound far below the 15 s wait: the waiter was woken, not timed out.
    assert result["took"] < 10


class Proxy:
    """A TCP proxy to PostgreSQL that the test can cut and restore."""

    def __init__(self, target):
        self.target = target
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.cut = threading.Event()
        self.closed = threading.Event()
        self.conns = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.close()
            except OSError:
                pass

    def cut_all(self):
        self.cut.set()
        with self.lock:
            for s in self.conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.conns = []

    def restore(self):
        self.cut.clear()

    def close(self):
        self.closed.set()
        self.cut_all()
        self.listener.close()


def test_database_outage_fails_cleanly_and_recovers(pg, tmp_path):
    proxy = Proxy((PG.hostname, PG.port or 5432))
    schema = "mn_" + uuid.uuid4().hex[:12]
    via_proxy = PG._replace(netloc=f"{PG.username or 'postgres'}@127.0.0.1:{proxy.port}").geturl()
    node = Node(_schema_url(via_proxy, schema), tmp_path / "node.log")
    try:
        c = node.client(read_timeout=20)
        url = c.create_queue(QueueName="outage")["QueueUrl"]
        acked = set()
        for i in range(50):
            c.send_message(QueueUrl=url, MessageBody=f"before-{i}")
            acked.add(f"before-{i}")
        proxy.cut_all()
        failures = 0
        for i in range(5):
            with pytest.raises(ClientError) as e:
                c.send_message(QueueUrl=url, MessageBody=f"during-{i}")
            assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] >= 500, e.value.response
            failures += 1
        proxy.restore()
        deadline = time.monotonic() + 60
        while True:
            try:
                c.send_message(QueueUrl=url, MessageBody="after")
                acked.add("after")
                break
            except ClientError as e:
                assert e.response["ResponseMetadata"]["HTTPStatusCode"] >= 500
                assert time.monotonic() < deadline, "the node did not recover after the database returned"
                time.sleep(0.5)
        got = set()
        empty = 0
        while empty < 3:
            msgs = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
            empty = 0 if msgs else empty + 1
            got |= {m["Body"] for m in msgs}
        assert acked <= got, f"acknowledged messages lost: {sorted(acked - got)[:10]}"
        assert failures == 5
    finally:
        node.stop()
        proxy.close()
        _drop_schema(schema)
