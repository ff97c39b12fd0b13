// The cases of the AWS SDKs' own SQS suites that a JavaScript application meets, against polyq:
// aws-sdk-js-v3 clients/client-sqs/test/sqs-messages-features.e2e.spec.ts ("Send an SQS message",
// "Binary payloads"), middleware-sdk-sqs (QueueUrl used as the endpoint when the client has none,
// body MD5 checks) and the status codes AWS's model gives the modelled errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CreateQueueCommand, SendMessageCommand, SendMessageBatchCommand, ReceiveMessageCommand,
  DeleteMessageCommand, DeleteQueueCommand, ReceiptHandleIsInvalid, SQSClient,
} from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { sqsClient, unique, rejectsWith, md5OfAttributes, md5Hex } from "./common.mjs";

const sqs = sqsClient();
const send = (cmd) => sqs.send(cmd);
const newQueue = async () => (await send(new CreateQueueCommand({ QueueName: unique("suites") }))).QueueUrl;

test("e2e 'Send an SQS message': HELLO has the fixed digest and is received", async () => {
  const url = await newQueue();
  const sent = await send(new SendMessageCommand({ QueueUrl: url, MessageBody: "HELLO" }));
  assert.ok(sent.MessageId.length > 0);
  assert.equal(sent.MD5OfMessageBody, "eb61eead90e3b899c6bcbe27ac581660");
  const got = await send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
  assert.equal(got.Messages?.[0]?.Body, "HELLO");
});

test("e2e 'Binary payloads': a Binary attribute asked for by name comes back as its bytes", async () => {
  const url = await newQueue();
  const attrs = { binary: { DataType: "Binary", BinaryValue: Buffer.from([1, 2, 3]) } };
  const sent = await send(new SendMessageCommand({ QueueUrl: url, MessageBody: "HELLO", MessageAttributes: attrs }));
  assert.equal(sent.MD5OfMessageBody, "eb61eead90e3b899c6bcbe27ac581660");
  assert.equal(sent.MD5OfMessageAttributes, md5OfAttributes(attrs));
  const got = await send(new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ["binary"], WaitTimeSeconds: 5 }));
  const m = got.Messages[0];
  assert.equal(m.MessageAttributes.binary.BinaryValue.toString(), "1,2,3");
  assert.equal(m.MD5OfMessageAttributes, md5OfAttributes({ binary: { DataType: "Binary", BinaryValue: Buffer.from([1, 2, 3]) } }));
});

test("middleware-sdk-sqs: a client without an endpoint sends to the QueueUrl's origin", async () => {
  const url = await newQueue();
  const origin = new URL(url).origin;
  const warnings = [];
  const hosts = [];
  const inner = new NodeHttpHandler();
  const client = new SQSClient({
    region: "us-west-2",
    credentials: { accessKeyId: "x", secretAccessKey: "y" },
    maxAttempts: 1,
    logger: { debug() {}, info() {}, warn: (m) => warnings.push(String(m)), error() {} },
    // Never leaves 127.0.0.1: a request for any other host fails here instead of going out.
    requestHandler: {
      handle(request, options) {
        hosts.push(`${request.hostname}:${request.port}`);
        if (request.hostname !== "127.0.0.1") return Promise.reject(new Error(`refused ${request.hostname}`));
        return inner.handle(request, options);
      },
    },
  });
  const body = "to the queue url ✓";
  const sent = await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
  assert.equal(sent.MD5OfMessageBody, md5Hex(body));
  const got = await client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
  assert.equal(got.Messages[0].Body, body);
  await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got.Messages[0].ReceiptHandle }));
  assert.deepEqual(new Set(hosts), new Set([new URL(origin).host]));
  assert.ok(warnings.some((w) => w.includes("using QueueUrl host as endpoint")), warnings.join("\n"));
  await send(new DeleteQueueCommand({ QueueUrl: url }));
});

test("a batch's body MD5s are checked by entry Id (SDK middleware), large unicode bodies included", async () => {
  const url = await newQueue();
  const big = "€😀a".repeat(30000);
  const Entries = [
    { Id: "a", MessageBody: "foo" }, { Id: "b", MessageBody: "bar" }, { Id: "c", MessageBody: big },
  ];
  const out = await send(new SendMessageBatchCommand({ QueueUrl: url, Entries }));
  assert.deepEqual(out.Successful.map((r) => r.Id).sort(), ["a", "b", "c"]);
  for (const r of out.Successful) assert.equal(r.MD5OfMessageBody, md5Hex(Entries.find((e) => e.Id === r.Id).MessageBody));
  const got = await send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  assert.ok(got.Messages.length >= 1);
});

test("ReceiptHandleIsInvalid: the SDK's class, HTTP 404 as AWS's model has it", async () => {
  const url = await newQueue();
  const e = await rejectsWith(send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: "fake" })),
    "ReceiptHandleIsInvalid", { "$metadata.httpStatusCode": 404, $fault: "client", Code: "ReceiptHandleIsInvalid" });
  assert.ok(e instanceof ReceiptHandleIsInvalid);
});
