"""Fixtures for the MNS SDK suite: SDK accounts bound to the servers run.sh started,
throwaway queues and topics that are deleted after each test, and a local HTTP endpoint that
records the notifications polyq pushes to it."""

import errno
import http.server
import os
import threading
import time
import uuid

import pytest
from mns.account import Account
from mns.mns_exception import MNSExceptionBase
from mns.queue import QueueMeta
from mns.topic import TopicMeta

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


@pytest.fixture
def new_topic(account):
    """Factory: new_topic(**meta) creates a uniquely named topic and returns the SDK Topic.
    Deleting a topic afterwards also removes its subscriptions, so nothing is pushed later."""
    created = []

    def make(prefix="compat", **meta):
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        topic = account.get_topic(name)
        tm = TopicMeta()
        for key, value in meta.items():
            setattr(tm, key, value)
        topic.create(tm)
        created.append(topic)
        return topic

    yield make
    for topic in created:
        try:
            topic.delete()
        except MNSExceptionBase:
            pass


# Loopback ports this suite may listen on for HTTP subscription endpoints.
NOTIFY_PORTS = range(19600, 19650)


class NotifyServer:
    """A local HTTP endpoint for HTTP subscriptions. Every request is recorded as a dict with
    method, path, headers (lower-case names), body (str) and at (time.monotonic()); it is
    answered with the next status of `statuses` (204 once they are used up)."""

    def __init__(self):
        self.requests = []
        self.statuses = []
        self._cond = threading.Condition()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                with server._cond:
                    server.requests.append({
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        # Names as sent: Alibaba's endpoint samples look them up by exact case.
                        "raw_headers": dict(self.headers.items()),
                        "body": body,
                        "at": time.monotonic(),
                    })
                    status = server.statuses.pop(0) if server.statuses else 204
                    server._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_PUT = do_GET = _record

            def log_message(self, *args):
                pass

        self.httpd = None
        for port in NOTIFY_PORTS:
            try:
                self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
                break
            except OSError as e:
                if e.errno != errno.EADDRINUSE:
                    raise
        if self.httpd is None:
            pytest.fail(f"no free loopback port in {NOTIFY_PORTS.start}-{NOTIFY_PORTS.stop - 1}")
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, count, timeout):
        """Waits (at most `timeout` seconds) until `count` requests arrived; returns a copy of
        all requests seen so far."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return list(self.requests)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def notify_server():
    server = NotifyServer()
    yield server
    server.close()
