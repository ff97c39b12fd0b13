"""Robustness, by mutation: well-formed requests of every dialect with one value at a time
replaced by a hostile one (empty, huge, negative, past 2^64, NUL, non-ASCII, JSON of the wrong
type...). Every answer must be a clear one: below 500 with a body for every 4xx. The one 5xx
allowed is MNS's own: a batch send whose entries failed answers 500 with per-entry errors.
The server must still be healthy at the end. test_robustness.py covers random garbage; this
covers the values that reach the operations' own checks (and the store, on every store).
"""

import base64
import hashlib
import hmac
import json
import urllib.parse
from email.utils import formatdate

import pytest

from helpers import IS_JSON
from test_robustness import _request

pytestmark = pytest.mark.skipif(not IS_JSON, reason="protocol-independent: runs once, in the current venv")

HOSTILE = ["", "0", "-1", "1.5", "1e400", "99999999999999999999999", "18446744073709551616",
           "-9223372036854775809", "4294967296", "2147483648", "abc", "\u0000", "\ufffd\ufffd",
           "%", "%zz", "../..", "q" * 81, "true", "null", "[]", "{}", "\U0001F600", " 5 ", "+5",
           "0x10", "NaN", "-0"]
# JSON values of the wrong type, for the JSON protocol only.
HOSTILE_JSON = HOSTILE + [1e308, -5, 2 ** 64, [], {}, None, True, [1, {}]]
HUGE = "x" * 300_000  # one per field, in bodies only (a URL this long is refused by HTTP itself)


def _bad(status, body):
    return status >= 500 or (status >= 400 and not body)


# ---------------------------------------------------------------- SQS JSON and query

def _sqs(endpoint, action, payload):
    return _request(endpoint, "POST", "/", json.dumps(payload).encode(),
                    {"X-Amz-Target": "AmazonSQS." + action,
                     "Content-Type": "application/x-amz-json-1.0"})


def _paths(value, prefix=()):
    """Every path to a value inside nested dicts and lists, the root included."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))
    yield prefix


def _replaced(value, path, new):
    if not path:
        return new
    value = json.loads(json.dumps(value))
    cur = value
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = new
    return value


def test_sqs_operations_answer_every_hostile_value_clearly(endpoint):
    st, body = _sqs(endpoint, "CreateQueue", {"QueueName": "compat-mut"})
    url = json.loads(body)["QueueUrl"]
    _sqs(endpoint, "CreateQueue", {"QueueName": "compat-mut.fifo", "Attributes": {"FifoQueue": "true"}})
    arn = "arn:aws:sqs:us-east-1:000000000000:compat-mut"

    def handle():
        _sqs(endpoint, "SendMessage", {"QueueUrl": url, "MessageBody": "x"})
        _, got = _sqs(endpoint, "ReceiveMessage", {"QueueUrl": url, "VisibilityTimeout": 0})
        messages = json.loads(got).get("Messages") or [{"ReceiptHandle": "h"}]
        return messages[0]["ReceiptHandle"]

    templates = [
        ("SendMessage", lambda: {"QueueUrl": url, "MessageBody": "b", "DelaySeconds": 0,
                                 "MessageAttributes": {"a": {"DataType": "Number", "StringValue": "1"}}}),
        ("SendMessage", lambda: {"QueueUrl": url + ".fifo", "MessageBody": "b",
                                 "MessageGroupId": "g", "MessageDeduplicationId": "d"}),
        ("SendMessageBatch", lambda: {"QueueUrl": url, "Entries": [{"Id": "a", "MessageBody": "b",
                                                                    "DelaySeconds": 1}]}),
        ("ReceiveMessage", lambda: {"QueueUrl": url, "MaxNumberOfMessages": 2, "VisibilityTimeout": 0,
                                    "WaitTimeSeconds": 0, "AttributeNames": ["All"],
                                    "MessageAttributeNames": ["All"]}),
        ("ChangeMessageVisibility", lambda: {"QueueUrl": url, "ReceiptHandle": handle(),
                                             "VisibilityTimeout": 5}),
        ("ChangeMessageVisibilityBatch", lambda: {"QueueUrl": url, "Entries": [
            {"Id": "a", "ReceiptHandle": handle(), "VisibilityTimeout": 5}]}),
        ("DeleteMessageBatch", lambda: {"QueueUrl": url, "Entries": [{"Id": "a", "ReceiptHandle": handle()}]}),
        ("SetQueueAttributes", lambda: {"QueueUrl": url, "Attributes": {
            "VisibilityTimeout": "30",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 5})}}),
        ("CreateQueue", lambda: {"QueueName": "compat-mut2", "Attributes": {"DelaySeconds": "1"},
                                 "tags": {"k": "v"}}),
        ("ListQueues", lambda: {"QueueNamePrefix": "compat-mut", "MaxResults": 5, "NextToken": "x"}),
        ("TagQueue", lambda: {"QueueUrl": url, "Tags": {"a": "b"}}),
        ("StartMessageMoveTask", lambda: {"SourceArn": arn, "MaxNumberOfMessagesPerSecond": 5}),
        ("CancelMessageMoveTask", lambda: {"TaskHandle": "eyJ4IjoxfQ=="}),
    ]
    bad = []
    for action, make in templates:
        base = make()
        for path in list(_paths(base)):
            for value in HOSTILE_JSON + [HUGE]:
                st, body = _sqs(endpoint, action, _replaced(base, path, value))
                if _bad(st, body):
                    bad.append((action, path, str(value)[:30], st, body[:200]))
    queries = [("SendMessage", {"MessageBody": "b", "DelaySeconds": "0",
                                "MessageAttribute.1.Name": "a", "MessageAttribute.1.Value.DataType": "String",
                                "MessageAttribute.1.Value.StringValue": "v"}),
               ("ReceiveMessage", {"MaxNumberOfMessages": "2", "VisibilityTimeout": "0",
                                   "AttributeName.1": "All"}),
               ("SetQueueAttributes", {"Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "30"}),
               ("SendMessageBatch", {"SendMessageBatchRequestEntry.1.Id": "a",
                                     "SendMessageBatchRequestEntry.1.MessageBody": "b"})]
    for action, params in queries:
        for key in params:
            for value in HOSTILE + [HUGE]:
                form = dict(params, Action=action, QueueUrl=url)
                form[key] = value
                st, body = _request(endpoint, "POST", "/", urllib.parse.urlencode(form).encode(),
                                    {"Content-Type": "application/x-www-form-urlencoded"})
                if _bad(st, body):
                    bad.append((action, key, value[:30], st, body[:200]))
    assert not bad, bad[:5]
    assert _request(endpoint, "GET", "/health", b"", {})[0] == 200


# ---------------------------------------------------------------- MNS

NS = "xmlns='http://mns.aliyuncs.com/doc/v1/'"


def _mns(endpoint, method, path, body=""):
    headers = {"x-mns-version": "2015-06-06", "Date": formatdate(usegmt=True),
               "Content-Type": "text/xml;charset=utf-8", "Authorization": "MNS id:sig"}
    return _request(endpoint, method, path, body.encode(), headers)


def _xml_text(value):
    return value.replace("&", "&amp;").replace("<", "&lt;")


def _is_mns_batch_partial_failure(path, method, status, body):
    """MNS answers a batch send with failed entries 500, listing each entry's error."""
    return (method == "POST" and path.endswith("/messages") and status == 500
            and b"<Messages" in body and b"<ErrorCode>" in body)


def test_mns_operations_answer_every_hostile_value_clearly(endpoint):
    _mns(endpoint, "PUT", "/queues/compat-mut", f"<Queue {NS}><VisibilityTimeout>30</VisibilityTimeout></Queue>")
    _mns(endpoint, "PUT", "/topics/compat-mut", f"<Topic {NS}><MaximumMessageSize>1024</MaximumMessageSize></Topic>")

    def handle():
        _mns(endpoint, "POST", "/queues/compat-mut/messages",
             f"<Message {NS}><MessageBody>x</MessageBody></Message>")
        _, got = _mns(endpoint, "GET", "/queues/compat-mut/messages")
        text = got.decode(errors="replace")
        start = text.find("<ReceiptHandle>")
        return text[start + 15:text.find("</ReceiptHandle>")] if start >= 0 else "h"

    templates = [
        ("PUT", "/queues/compat-mut?metaoverride=true",
         f"<Queue {NS}><VisibilityTimeout>{{v}}</VisibilityTimeout><DelaySeconds>{{v}}</DelaySeconds>"
         "<LoggingEnabled>{v}</LoggingEnabled></Queue>"),
        ("PUT", "/queues/compat-mut-{v}", f"<Queue {NS}><MaximumMessageSize>{{v}}</MaximumMessageSize></Queue>"),
        ("POST", "/queues/compat-mut/messages",
         f"<Message {NS}><MessageBody>{{v}}</MessageBody><DelaySeconds>{{v}}</DelaySeconds>"
         "<Priority>{v}</Priority></Message>"),
        ("POST", "/queues/compat-mut/messages",
         f"<Messages {NS}><Message><MessageBody>a</MessageBody><Priority>{{v}}</Priority></Message></Messages>"),
        ("GET", "/queues/compat-mut/messages?numOfMessages={v}&waitseconds=0", ""),
        ("GET", "/queues/compat-mut/messages?peekonly=true&numOfMessages={v}", ""),
        ("GET", "/queues?x-mns-ret-number={v}", ""),
        ("PUT", "/queues/compat-mut/messages?ReceiptHandle={h}&VisibilityTimeout={v}", ""),
        ("DELETE", "/queues/compat-mut/messages?ReceiptHandle={v}", ""),
        ("DELETE", "/queues/compat-mut/messages",
         f"<ReceiptHandles {NS}><ReceiptHandle>{{v}}</ReceiptHandle></ReceiptHandles>"),
        ("POST", "/topics/compat-mut/messages",
         f"<Message {NS}><MessageBody>{{v}}</MessageBody><MessageTag>{{v}}</MessageTag></Message>"),
        ("PUT", "/topics/compat-mut/subscriptions/s{v}",
         f"<Subscription {NS}><Endpoint>{{v}}</Endpoint><NotifyStrategy>{{v}}</NotifyStrategy>"
         "<FilterTag>{v}</FilterTag></Subscription>"),
        ("GET", "/topics?x-mns-prefix={v}&x-mns-marker={v}", ""),
    ]
    bad = []
    for method, path, body in templates:
        values = HOSTILE + ([HUGE] if "{v}" in body and "{v}" not in path else [])
        for value in values:
            target = path.replace("{v}", urllib.parse.quote(value, safe=""))
            if "{h}" in target:
                target = target.replace("{h}", urllib.parse.quote(handle(), safe=""))
            st, answer = _mns(endpoint, method, target, body.replace("{v}", _xml_text(value)))
            if _bad(st, answer) and not _is_mns_batch_partial_failure(path, method, st, answer):
                bad.append((method, path, value[:30], st, answer[:200]))
    assert not bad, bad[:5]
    assert _request(endpoint, "GET", "/health", b"", {})[0] == 200


# ---------------------------------------------------------------- Azure

ACCOUNT = "devstoreaccount1"
KEY = base64.b64decode("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")


def _shared_key(method, path, headers, body):
    """Azure SharedKey over the development account (the queue service's string to sign)."""
    u = urllib.parse.urlsplit(path)
    ms = sorted((k.lower(), v) for k, v in headers.items() if k.lower().startswith("x-ms-"))
    query = {}
    for k, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True):
        query.setdefault(k.lower(), []).append(v)
    resource = f"/{ACCOUNT}{u.path}" + "".join(
        f"\n{k}:{','.join(sorted(v))}" for k, v in sorted(query.items()))
    length = str(len(body)) if body else ""
    to_sign = "\n".join([method, "", "", length, "", headers.get("Content-Type", ""),
                         "", "", "", "", "", ""]) + "\n" + "".join(f"{k}:{v}\n" for k, v in ms) + resource
    sig = base64.b64encode(hmac.new(KEY, to_sign.encode(), hashlib.sha256).digest()).decode()
    return f"SharedKey {ACCOUNT}:{sig}"


def _azure(endpoint, method, path, body=""):
    headers = {"x-ms-version": "2021-12-02", "x-ms-date": formatdate(usegmt=True)}
    data = body.encode()
    headers["Authorization"] = _shared_key(method, path, headers, data)
    return _request(endpoint, method, f"/{ACCOUNT}{path}", data, headers)


def test_azure_operations_answer_every_hostile_value_clearly(endpoint):
    assert _azure(endpoint, "PUT", "/compat-mut")[0] in (201, 204)

    def put():
        _, got = _azure(endpoint, "POST", "/compat-mut/messages",
                        "<QueueMessage><MessageText>x</MessageText></QueueMessage>")
        text = got.decode(errors="replace")
        message_id = text[text.find("<MessageId>") + 11:text.find("</MessageId>")]
        receipt = text[text.find("<PopReceipt>") + 12:text.find("</PopReceipt>")]
        return message_id, urllib.parse.quote(receipt, safe="")

    templates = [
        ("POST", "/compat-mut/messages?visibilitytimeout={v}&messagettl={v}",
         "<QueueMessage><MessageText>{v}</MessageText></QueueMessage>"),
        ("GET", "/compat-mut/messages?numofmessages={v}&visibilitytimeout={v}", ""),
        ("GET", "/compat-mut/messages?peekonly=true&numofmessages={v}", ""),
        ("PUT", "/compat-mut/messages/{id}?popreceipt={v}&visibilitytimeout=5",
         "<QueueMessage><MessageText>a</MessageText></QueueMessage>"),
        ("PUT", "/compat-mut/messages/{id}?popreceipt={rc}&visibilitytimeout={v}",
         "<QueueMessage><MessageText>{v}</MessageText></QueueMessage>"),
        ("DELETE", "/compat-mut/messages/{id}?popreceipt={v}", ""),
        ("DELETE", "/compat-mut/messages/{v}?popreceipt={rc}", ""),
        ("PUT", "/compat-mut?comp=acl",
         "<SignedIdentifiers><SignedIdentifier><Id>{v}</Id><AccessPolicy><Start>{v}</Start>"
         "<Expiry>{v}</Expiry><Permission>{v}</Permission></AccessPolicy></SignedIdentifier></SignedIdentifiers>"),
        ("GET", "/?comp=list&prefix={v}&marker={v}&maxresults={v}&include=metadata", ""),
        ("PUT", "/?restype=service&comp=properties",
         "<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>{v}</AllowedOrigins>"
         "<AllowedMethods>{v}</AllowedMethods><MaxAgeInSeconds>{v}</MaxAgeInSeconds>"
         "<AllowedHeaders>{v}</AllowedHeaders><ExposedHeaders>{v}</ExposedHeaders></CorsRule></Cors>"
         "</StorageServiceProperties>"),
    ]
    bad = []
    for method, path, body in templates:
        values = HOSTILE + ([HUGE] if "{v}" in body and "{v}" not in path else [])
        for value in values:
            target = path.replace("{v}", urllib.parse.quote(value, safe=""))
            if "{id}" in target or "{rc}" in target:
                message_id, receipt = put()
                target = target.replace("{id}", message_id).replace("{rc}", receipt)
            st, answer = _azure(endpoint, method, target, body.replace("{v}", _xml_text(value)))
            if _bad(st, answer):
                bad.append((method, path, value[:30], st, answer[:200]))
    # The service properties set above must not stay: other tests read the CORS rules.
    assert _azure(endpoint, "PUT", "/?restype=service&comp=properties",
                  "<StorageServiceProperties><Cors /></StorageServiceProperties>")[0] == 202
    assert not bad, bad[:5]
    assert _request(endpoint, "GET", "/health", b"", {})[0] == 200
