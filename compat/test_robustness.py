"""Robustness: malformed requests of every dialect's shape never get a 5xx or an empty error.

Random (seeded, bounded) mixes of methods, SQS/MNS/Azure paths, headers and bodies — bad JSON,
lone surrogates, broken XML, odd query values, garbage signatures — sent to one server. Every
answer must be < 500, every 4xx must carry a body, and the server must still be healthy.
"""

import http.client
import json
import random
import urllib.parse

import pytest

from helpers import IS_JSON

REQUESTS_PER_SEED = 500


def _request(endpoint, method, path, body, headers):
    u = urllib.parse.urlsplit(endpoint)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


PATHS = ["/", "/000000000000/q1", "/queues/q1", "/queues/q1/messages", "/devstoreaccount1/q1",
         "/devstoreaccount1/q1/messages", "/devstoreaccount1/", "/devstoreaccount1?comp=list",
         "/queues", "/000000000000/q1.fifo", "/?Action=SendMessage", "/q1", "/%ff%fe", "/" + "a" * 5000]
TARGETS = ["AmazonSQS.SendMessage", "AmazonSQS.ReceiveMessage", "AmazonSQS.CreateQueue",
           "AmazonSQS.DeleteMessageBatch", "AmazonSQS.Nope", "", "AmazonSQS."]
JSON_KEYS = ["QueueUrl", "QueueName", "MessageBody", "Entries", "MaxNumberOfMessages", "Attributes",
             "MessageAttributes", "ReceiptHandle", "VisibilityTimeout", "DelaySeconds"]
JSON_VALUES = [None, 1, -1, 1e308, [], {}, [1, "a"], {"a": {"b": []}}, True, "\ud800"]
XML_BODIES = [b"<Message><MessageBody>x</MessageBody></Message>", b"<QueueMessage><MessageText>",
              b"<?xml version='1.0'?><Queue><DelaySeconds>-1</DelaySeconds></Queue>",
              b"<ReceiptHandles><ReceiptHandle>zz</ReceiptHandle></ReceiptHandles>", b"<a>" * 1000]


def rnd_body(random):
    k = random.random()
    if k < 0.3:  # random bytes
        return bytes(random.getrandbits(8) for _ in range(random.randint(0, 300)))
    if k < 0.6:  # JSON of the right keys with values of the wrong kinds
        values = JSON_VALUES + ["x" * random.randint(0, 50)]
        return json.dumps({random.choice(JSON_KEYS): random.choice(values) for _ in range(3)}).encode()
    if k < 0.8:  # broken or out-of-range XML
        return random.choice(XML_BODIES)
    form = "Action=%s&QueueUrl=%s&MessageBody=%s&%s=%s" % (  # query form with odd values
        random.choice(["SendMessage", "ReceiveMessage", "CreateQueue", "SendMessageBatch", "Bogus"]),
        random.choice(["http://x/000000000000/q1", "", "q1"]),
        random.choice(["", "x", "%00", "%ff"]),
        random.choice(["MaxNumberOfMessages", "Attribute.1.Name", "SendMessageBatchRequestEntry.1.Id",
                       "MessageAttribute.1.Value.DataType"]),
        random.choice(["", "abc", "-5", "99999999999999999999"]))
    return form.encode()


def _one(random):
    m = random.choice(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS"])
    p = random.choice(PATHS)
    if random.random() < 0.3:
        p += random.choice(["?comp=metadata", "?comp=acl", "?restype=service&comp=properties",
                            "?peekonly=true&numofmessages=99", "?numOfMessages=abc&waitseconds=-1",
                            "?ReceiptHandle=%%%", "?popreceipt=zz&visibilitytimeout=1",
                            "?comp=list&maxresults=0"])
    h = {}
    r = random.random()
    if r < 0.25:
        h["X-Amz-Target"] = random.choice(TARGETS)
        h["Content-Type"] = "application/x-amz-json-1.0"
    elif r < 0.45:
        h.update({"x-mns-version": "2015-06-06", "Content-Type": "text/xml",
                  "Date": "Sun, 06 Dec 2026 00:00:00 GMT"})
    elif r < 0.65:
        h["x-ms-version"] = random.choice(["2021-08-06", "bogus", "2009-09-19"])
        h["x-ms-date"] = "Sun, 06 Dec 2026 00:00:00 GMT"
        h["Authorization"] = random.choice(["SharedKey devstoreaccount1:abc", "Bearer x",
                                            "SharedKeyLite a:b", "garbage"])
    elif r < 0.8:
        h["Content-Type"] = "application/x-www-form-urlencoded"
    if random.random() < 0.2:
        h["Authorization"] = random.choice([
            "AWS4-HMAC-SHA256 Credential=a/b/c", "MNS a:b", "MNS4-HMAC-SHA256 x",
            "AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-1/sqs/aws4_request, "
            "SignedHeaders=host, Signature=00"])
    with_body = m not in ("GET", "HEAD") or random.random() < 0.2
    return m, p, (rnd_body(random) if with_body else b""), h


@pytest.mark.skipif(not IS_JSON, reason="protocol-independent: runs once, in the current venv")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_malformed_requests_get_clear_answers(endpoint, seed):
    rng = random.Random(seed)
    bad = []
    for _ in range(REQUESTS_PER_SEED):
        m, p, body, h = _one(rng)
        status, data = _request(endpoint, m, p, body, h)
        if status >= 500 or (status >= 400 and m != "HEAD" and not data):
            bad.append((status, m, p[:80], h, body[:80], data[:200]))
    assert not bad, bad[:5]
    assert _request(endpoint, "GET", "/health", b"", {})[0] == 200
