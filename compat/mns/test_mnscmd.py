"""`mnscmd`, the command-line tool the Python SDK package installs (its `bin/mnscmd`), against
polyq: every command a shell script or an operator would run, through the tool's own config
file, each judged by what the tool prints ("<command> succeed!" or "<command> fail!").
"""

import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest


def _mnscmd():
    found = Path(sys.executable).parent / "mnscmd"
    return str(found) if found.exists() else shutil.which("mnscmd")


@pytest.fixture
def mnscmd(endpoint, tmp_path):
    tool = _mnscmd()
    assert tool, "the SDK package installs mnscmd beside the interpreter"
    config = tmp_path / "mnscredentials"

    def run(*args):
        out = subprocess.run(
            [sys.executable, tool, *args, f"--configfile={config}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return out.stdout + out.stderr

    text = run(
        "config",
        f"--mnsendpoint={endpoint}",
        "--accesskeyid=any-access-key-id",
        "--accesskeysecret=any-secret",
    )
    assert "configuration is saved" in text, text
    return run


def ok(mnscmd, command, *args):
    """Runs `command` and checks that the tool says it worked; returns what it printed."""
    text = mnscmd(command, *args)
    assert f"{command} succeed!" in text, text
    return text


def field(text, name):
    """The value the tool printed for `name` (`Name<padding>:value`)."""
    m = re.search(rf"^{name}\s*:\s?(.*)$", text, re.M)
    assert m, f"no {name} in {text}"
    return m.group(1).strip()


def name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_queue_commands_from_create_to_delete(mnscmd):
    q = name("cmdq")
    text = ok(mnscmd, "createqueue", f"--queuename={q}", "--vistimeout=45")
    assert text.strip().endswith(f"/queues/{q}"), text
    assert f"/queues/{q}" in ok(mnscmd, "listqueue", f"--prefix={q}")
    ok(mnscmd, "setqueueattr", f"--queuename={q}", "--maxmsgsize=2048", "--waitsec=3")
    attrs = ok(mnscmd, "getqueueattr", f"--queuename={q}")
    assert field(attrs, "VisibilityTimeout") == "45"
    assert field(attrs, "MaximumMessageSize") == "2048"
    assert field(attrs, "PollingWaitSeconds") == "3"
    assert field(attrs, "QueueName") == q

    sent = ok(mnscmd, "sendmessage", f"--queuename={q}", "--body=hello from mnscmd", "--priority=3")
    message_id = field(sent, "MessageID")
    peeked = ok(mnscmd, "peekmessage", f"--queuename={q}", "--string=true")
    assert field(peeked, "MessageID") == message_id
    assert field(peeked, "MessageBody") == "hello from mnscmd"
    assert field(peeked, "DequeueCount") == "0"
    assert field(peeked, "Priority") == "3"

    got = ok(mnscmd, "receivemessage", f"--queuename={q}", "--string=true", "--waitsec=1")
    assert field(got, "MessageBody") == "hello from mnscmd"
    assert field(got, "DequeueCount") == "1"
    handle = field(got, "ReceiptHandle")
    changed = ok(mnscmd, "changevisibility", f"--queuename={q}", f"--handle={handle}", "--vistimeout=100")
    new_handle = field(changed, "ReceiptHandle")
    assert int(field(changed, "NextVisibleTime")) > int(field(got, "NextVisibleTime"))
    ok(mnscmd, "deletemessage", f"--queuename={q}", f"--handle={new_handle}")
    empty = mnscmd("receivemessage", f"--queuename={q}", "--waitsec=1")
    assert "receivemessage fail!" in empty and "MessageNotExist" in empty, empty

    ok(mnscmd, "deletequeue", f"--queuename={q}")
    gone = mnscmd("getqueueattr", f"--queuename={q}")
    assert "getqueueattr fail!" in gone and "QueueNotExist" in gone, gone


def test_topic_and_subscription_commands_deliver_to_a_queue(mnscmd):
    q, t, s = name("cmdsubq"), name("cmdt"), name("cmds")
    ok(mnscmd, "createqueue", f"--queuename={q}")
    text = ok(mnscmd, "createtopic", f"--topicname={t}", "--maxmsgsize=4096")
    assert text.strip().endswith(f"/topics/{t}"), text
    assert f"/topics/{t}" in ok(mnscmd, "listtopic", f"--prefix={t}")
    ok(mnscmd, "settopicattr", f"--topicname={t}", "--maxmsgsize=8192")
    assert field(ok(mnscmd, "gettopicattr", f"--topicname={t}"), "MaximumMessageSize") == "8192"

    endpoint = f"acs:mns:cn-hangzhou:123456789:queues/{q}"
    ok(
        mnscmd,
        "subscribe",
        f"--topicname={t}",
        f"--subname={s}",
        f"--endpoint={endpoint}",
        "--notifycontentformat=SIMPLIFIED",
        "--filtertag=important",
    )
    assert f"/subscriptions/{s}" in ok(mnscmd, "listsub", f"--topicname={t}")
    ok(mnscmd, "setsubattr", f"--topicname={t}", f"--subname={s}", "--notifystrategy=EXPONENTIAL_DECAY_RETRY")
    sub = ok(mnscmd, "getsubattr", f"--topicname={t}", f"--subname={s}")
    assert field(sub, "NotifyStrategy") == "EXPONENTIAL_DECAY_RETRY"
    assert field(sub, "NotifyContentFormat") == "SIMPLIFIED"
    assert field(sub, "FilterTag") == "important"

    # Only the tagged message passes the subscription's filter. The tool publishes the body as
    # given unless told to base64 it, and receives base64 unless told otherwise (as with MNS,
    # a SIMPLIFIED notification is the published body itself).
    ok(mnscmd, "publishmessage", f"--topicname={t}", "--body=skipped", "--messagetag=other")
    ok(mnscmd, "publishmessage", f"--topicname={t}", "--body=plain", "--messagetag=important")
    ok(mnscmd, "publishmessage", f"--topicname={t}", "--body=encoded", "--messagetag=important", "--base64=true")
    got = ok(mnscmd, "receivemessage", f"--queuename={q}", "--base64=false", "--string=true", "--waitsec=2")
    assert field(got, "MessageBody") == "plain"
    got = ok(mnscmd, "receivemessage", f"--queuename={q}", "--string=true", "--waitsec=2")
    assert field(got, "MessageBody") == "encoded"
    nothing_more = mnscmd("receivemessage", f"--queuename={q}", "--waitsec=1")
    assert "MessageNotExist" in nothing_more, nothing_more

    ok(mnscmd, "unsubscribe", f"--topicname={t}", f"--subname={s}")
    gone = mnscmd("getsubattr", f"--topicname={t}", f"--subname={s}")
    assert "getsubattr fail!" in gone and "SubscriptionNotExist" in gone, gone
    ok(mnscmd, "deletetopic", f"--topicname={t}")
    gone = mnscmd("gettopicattr", f"--topicname={t}")
    assert "gettopicattr fail!" in gone and "TopicNotExist" in gone, gone
    ok(mnscmd, "deletequeue", f"--queuename={q}")


def test_account_commands_and_a_refused_name(mnscmd):
    bucket = name("logs")
    # The tool prints nothing but its debug lines when setaccountattr works.
    try:
        text = mnscmd("setaccountattr", f"--loggingbucket={bucket}")
        assert "fail!" not in text and "Traceback" not in text, text
        assert field(ok(mnscmd, "getaccountattr"), "LoggingBucket") == bucket
    finally:
        # The account is the server's one account: leave it as other tests expect it.
        mnscmd("setaccountattr", "--loggingbucket=")
    assert field(ok(mnscmd, "getaccountattr"), "LoggingBucket") == ""
    bad = mnscmd("createqueue", "--queuename=no_underscores_or-too-long-" + "x" * 300)
    assert "createqueue fail!" in bad, bad
    assert "QueueNameLengthError" in bad or "InvalidQueueName" in bad, bad
