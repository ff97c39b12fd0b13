"""Session fixtures: start the polyq binary (plain and auth-enforcing) and
hand out SQS clients and throwaway queues."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import urllib.error
import urllib.request
from pathlib import Path

import pytest

# helpers.py / sqs_md5.py live beside this file.  They import boto3, so they
# are imported lazily: this conftest must stay importable without the SDK
# (other suites may live in subdirectories of compat/).
sys.path.insert(0, str(Path(__file__).resolve().parent))

REPO_ROOT = Path(__file__).resolve().parent.parent
# The enforce-mode server's credential (same values as helpers.AUTH_*).
AUTH_KEY_ID = "AKIDPOLYQTEST"
AUTH_SECRET = "polyq-test-secret"

_server_logs = []  # (label, path) of every server started this session


def _polyq_bin():
    raw = os.environ.get("POLYQ_BIN", "target/debug/polyq")
    path = Path(raw)
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path, lines=40):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as e:
        return f"<could not read {path}: {e}>"
    return "\n".join(text.splitlines()[-lines:])


def _health_ok(endpoint):
    try:
        with urllib.request.urlopen(endpoint + "/health", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Server:
    def __init__(self, label, args, log_path):
        self.label = label
        self.log_path = log_path
        port = _free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        binary = _polyq_bin()
        if not binary.exists():
            pytest.exit(
                f"polyq binary not found at {binary} (set POLYQ_BIN or build first)",
                returncode=2,
            )
        self.cmd = [str(binary), "serve", "--listen", f"127.0.0.1:{port}", *args]
        self._log = open(log_path, "wb")
        # Only the command line configures the server: drop POLYQ_* settings
        # (POLYQ_LISTEN, POLYQ_AUTH, ...) inherited from the caller.
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLYQ_")}
        env.setdefault("RUST_BACKTRACE", "1")
        self.proc = subprocess.Popen(
            self.cmd, stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=env
        )
        _server_logs.append((label, log_path))

    def wait_ready(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._fail(f"exited with status {self.proc.returncode} before becoming healthy")
            if _health_ok(self.endpoint):
                return
            time.sleep(0.1)
        self.stop()
        self._fail(f"GET {self.endpoint}/health did not answer 200 within {timeout}s")

    def _fail(self, why):
        msg = (
            f"polyq server ({self.label}) {why}\n"
            f"command: {' '.join(self.cmd)}\n"
            f"--- last lines of {self.log_path} ---\n{_tail(self.log_path)}"
        )
        pytest.fail(msg, pytrace=False)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def _store_args(tmp_path_factory, label):
    """`--store` for a suite server: see compat/store.sh (POLYQ_COMPAT_STORE: memory, the
    default; embedded, a fresh data directory; or a PostgreSQL URL, a fresh schema)."""
    choice = os.environ.get("POLYQ_COMPAT_STORE", "memory")
    if choice == "memory":
        return ["--store", "memory"]
    if choice == "embedded":
        return ["--store", str(tmp_path_factory.mktemp(f"data-{label}") / "data")]
    if choice.startswith(("postgres://", "postgresql://")):
        sep = "&" if "?" in choice else "?"
        return ["--store", f"{choice}{sep}schema=compat_{label}_{uuid.uuid4().hex[:8]}"]
    pytest.exit(f"POLYQ_COMPAT_STORE must be memory, embedded or a postgres:// URL (got {choice!r})", returncode=2)


def _start(tmp_path_factory, label, args):
    logdir = tmp_path_factory.mktemp(f"polyq-{label}")
    server = Server(label, args, logdir / "server.log")
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    return server, logdir


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv, _ = _start(tmp_path_factory, "memory", _store_args(tmp_path_factory, "dev"))
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def endpoint(server):
    return server.endpoint


@pytest.fixture(scope="session")
def auth_endpoint(tmp_path_factory):
    cfgdir = tmp_path_factory.mktemp("polyq-auth-config")
    cfg = cfgdir / "polyq.toml"
    cfg.write_text(
        "[[credentials]]\n"
        f'access_key_id = "{AUTH_KEY_ID}"\n'
        f'secret_access_key = "{AUTH_SECRET}"\n'
    )
    srv, _ = _start(
        tmp_path_factory,
        "enforce",
        [*_store_args(tmp_path_factory, "enforce"), "--auth", "enforce", "--config", str(cfg)],
    )
    yield srv.endpoint
    srv.stop()


@pytest.fixture(scope="session")
def deleted_recently_endpoint(tmp_path_factory):
    """A server that enforces QueueDeletedRecently (`--sqs-queue-deleted-recently`)."""
    srv, _ = _start(
        tmp_path_factory,
        "deleted-recently",
        [*_store_args(tmp_path_factory, "deleted"), "--sqs-queue-deleted-recently"],
    )
    yield srv.endpoint
    srv.stop()


@pytest.fixture(scope="session")
def sqs(endpoint):
    import helpers

    return helpers.make_client(endpoint)


class QueueFactory:
    def __init__(self, client):
        self.client = client
        self.urls = []

    def __call__(self, prefix="q", fifo=False, attributes=None, tags=None, name=None):
        import helpers

        name = name or helpers.unique(prefix)
        attrs = dict(attributes or {})
        if fifo:
            if not name.endswith(".fifo"):
                name += ".fifo"
            attrs.setdefault("FifoQueue", "true")
        kwargs = {"QueueName": name}
        if attrs:
            kwargs["Attributes"] = attrs
        if tags:
            kwargs["tags"] = tags
        url = self.client.create_queue(**kwargs)["QueueUrl"]
        self.urls.append(url)
        return Queue(name, url)

    def cleanup(self):
        for url in self.urls:
            try:
                self.client.delete_queue(QueueUrl=url)
            except Exception:
                pass


class Queue:
    def __init__(self, name, url):
        import helpers

        self.name = name
        self.url = url
        self.arn = helpers.queue_arn(name)

    def __repr__(self):
        return f"Queue({self.name!r})"


@pytest.fixture
def make_queue(sqs):
    factory = QueueFactory(sqs)
    yield factory
    factory.cleanup()


@pytest.fixture
def queue(make_queue):
    return make_queue("std")


@pytest.fixture
def fifo_queue(make_queue):
    return make_queue("fifo", fifo=True)


def pytest_report_header(config):
    lines = [f"polyq binary: {_polyq_bin()}"]
    try:
        import botocore
        import helpers

        lines.append(f"botocore {botocore.__version__}: SQS protocol '{helpers.PROTOCOL}'")
    except ImportError:
        pass
    return lines


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if exitstatus == 0 or not _server_logs:
        return
    for label, path in _server_logs:
        terminalreporter.write_sep("-", f"polyq ({label}) server log tail: {path}")
        terminalreporter.write_line(_tail(path, 30))
