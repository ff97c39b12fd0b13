"""AWS CLI v1 smoke test (only where awscli is installed: the current venv)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import unique


def _aws_executable():
    # Only the awscli installed next to this interpreter (the current venv),
    # never whatever `aws` happens to be on PATH.
    candidate = Path(sys.executable).parent / "aws"
    return str(candidate) if candidate.exists() else None


AWS = _aws_executable()

pytestmark = pytest.mark.skipif(AWS is None, reason="awscli not installed in this venv")


@pytest.fixture
def aws(endpoint, tmp_path):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("AWS_"):
            del env[k]
    env.update(
        AWS_ACCESS_KEY_ID="AKIDCLI",
        AWS_SECRET_ACCESS_KEY="cli-secret",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_MAX_ATTEMPTS="1",
        AWS_PAGER="",
        HOME=str(tmp_path),
    )

    def run(*args):
        cmd = [AWS, "--endpoint-url", endpoint, "--output", "json", "sqs", *args]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, (
            f"{' '.join(cmd)} exited {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
        return json.loads(p.stdout) if p.stdout.strip() else {}

    return run


def test_cli_smoke(aws, endpoint):
    name = unique("cli")
    url = aws("create-queue", "--queue-name", name)["QueueUrl"]
    assert url == f"{endpoint}/000000000000/{name}"
    try:
        sent = aws("send-message", "--queue-url", url, "--message-body", "from the cli")
        assert sent["MessageId"]
        received = {}
        for _ in range(5):  # bounded
            received = aws("receive-message", "--queue-url", url, "--wait-time-seconds", "1",
                           "--attribute-names", "All")
            if received.get("Messages"):
                break
        (msg,) = received["Messages"]
        assert msg["Body"] == "from the cli"
        assert msg["MessageId"] == sent["MessageId"]
        aws("delete-message", "--queue-url", url, "--receipt-handle", msg["ReceiptHandle"])
        listed = aws("list-queues", "--queue-name-prefix", name)
        assert listed["QueueUrls"] == [url]
        attrs = aws("get-queue-attributes", "--queue-url", url, "--attribute-names",
                    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
        assert attrs["Attributes"] == {"ApproximateNumberOfMessages": "0",
                                       "ApproximateNumberOfMessagesNotVisible": "0"}
    finally:
        aws("delete-queue", "--queue-url", url)
    assert not aws("list-queues", "--queue-name-prefix", name).get("QueueUrls")
