"""The query protocol addressed by hand, as LocalStack's AWS-validated query tests do it:
actions sent to a queue's URL with GET, and the XML AWS answers with."""

import urllib.error
import urllib.parse
import urllib.request

import pytest


def _get(url, params):
    full = url + "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(full, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_queue_url_get_attributes(queue):
    status, text = _get(queue.url, {"Action": "GetQueueAttributes", "AttributeName.1": "All"})
    assert status == 200, text
    assert "<GetQueueAttributesResponse" in text
    assert "<Attribute><Name>QueueArn</Name><Value>arn:aws:sqs:" in text
    assert "<Attribute><Name>VisibilityTimeout</Name><Value>30" in text
    status, text = _get(queue.url, {"Action": "GetQueueAttributes",
                                    "AttributeName.1": "QueueArn"})
    assert status == 200, text
    assert "<Name>VisibilityTimeout</Name>" not in text


def test_fifo_queue_url_attributes(fifo_queue):
    status, text = _get(fifo_queue.url, {"Action": "GetQueueAttributes",
                                         "AttributeName.1": "All"})
    assert status == 200, text
    assert "<Name>FifoQueue</Name><Value>true</Value>" in text


@pytest.mark.parametrize("params,code,message", [
    ({"Action": "FooBar", "Version": "2012-11-05"}, "InvalidAction",
     "The action FooBar is not valid for this endpoint."),
    ({"Action": "SendMessage"}, "MissingParameter",
     "The request must contain the parameter MessageBody."),
    ({"Action": "GetQueueAttributes", "AttributeName.1": "Foobar"}, "InvalidAttributeName",
     "Unknown Attribute Foobar."),
    ({"Action": "CreateQueue", "QueueName": "cf-not-here"}, "InvalidAction",
     "The action CreateQueue is not valid for this endpoint."),
    ({"Action": "ListQueues"}, "InvalidAction",
     "The action ListQueues is not valid for this endpoint."),
])
def test_queue_url_errors(queue, params, code, message):
    status, text = _get(queue.url, params)
    assert status == 400, text
    assert "<Type>Sender</Type>" in text
    assert f"<Code>{code}</Code>" in text, text
    assert f"<Message>{message}</Message>" in text, text


def test_send_receive_and_delete_over_get(make_queue):
    q1 = make_queue("cf-get1")
    q2 = make_queue("cf-get2")
    status, text = _get(q1.url, {"Action": "SendMessage", "MessageBody": "foobar"})
    assert status == 200, text
    status, text = _get(q2.url, {"Action": "ReceiveMessage"})
    assert status == 200, text
    assert "<ReceiveMessageResult/>" in text.replace(" />", "/>")
    status, text = _get(q1.url, {"Action": "ReceiveMessage"})
    assert "<Body>foobar</Body>" in text and "<MD5OfBody>" in text, text
    # GetQueueUrl works on any queue's URL, and QueueUrl overrides the path.
    status, text = _get(q1.url, {"Action": "GetQueueUrl", "QueueName": q2.name})
    assert status == 200 and f"<QueueUrl>{q2.url}</QueueUrl>" in text, text
    status, text = _get(q1.url, {"Action": "GetQueueAttributes", "QueueUrl": q2.url,
                                 "AttributeName.1": "QueueArn"})
    assert status == 200 and q2.arn in text and q1.arn + "<" not in text, text
    status, text = _get(q2.url, {"Action": "DeleteQueue"})
    assert status == 200 and "<DeleteQueueResponse " in text, text
    status, text = _get(q2.url, {"Action": "GetQueueAttributes", "AttributeName.1": "QueueArn"})
    assert status == 400, text
    assert "<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in text
    assert "<Message>The specified queue does not exist for this wsdl version." in text
