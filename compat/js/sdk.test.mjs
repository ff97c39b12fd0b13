// The official JavaScript SDKs against a running polyq (POLYQ_ENDPOINT): AWS SDK v3 validates
// every MD5 (body, attributes, system attributes) itself, so a wrong digest fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  SQSClient, CreateQueueCommand, SendMessageCommand, SendMessageBatchCommand, ReceiveMessageCommand,
  DeleteMessageCommand, ChangeMessageVisibilityCommand, GetQueueAttributesCommand, GetQueueUrlCommand,
  QueueDoesNotExist,
} from "@aws-sdk/client-sqs";
import { QueueServiceClient } from "@azure/storage-queue";

import { ep, unique, MNS } from "./common.mjs";

test("AWS SDK v3: attributes of every type, batches, MD5 validation, errors", async () => {
  const sqs = new SQSClient({ endpoint: ep, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: unique("js"), Attributes: { VisibilityTimeout: "5" } }));
  const attrs = {
    s: { DataType: "String", StringValue: "v" },
    n: { DataType: "Number.int", StringValue: "42" },
    b: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2, 255]) },
  };
  await sqs.send(new SendMessageCommand({
    QueueUrl, MessageBody: "hello js", MessageAttributes: attrs,
    MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: "Root=1-abc" } },
  }));
  const batch = await sqs.send(new SendMessageBatchCommand({
    QueueUrl, Entries: [{ Id: "a", MessageBody: "one", MessageAttributes: attrs }, { Id: "b", MessageBody: "two" }],
  }));
  assert.equal(batch.Successful.length, 2);
  const got = await sqs.send(new ReceiveMessageCommand({
    QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"], WaitTimeSeconds: 1,
  }));
  assert.deepEqual(got.Messages.map((m) => m.Body).sort(), ["hello js", "one", "two"]);
  const first = got.Messages.find((m) => m.Body === "hello js");
  assert.deepEqual([...first.MessageAttributes.b.BinaryValue], [0, 1, 2, 255]);
  assert.equal(first.Attributes.AWSTraceHeader, "Root=1-abc");
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 10 }));
  for (const m of got.Messages) await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
  const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
  assert.equal(a.Attributes.ApproximateNumberOfMessages, "0");
  await assert.rejects(sqs.send(new GetQueueUrlCommand({ QueueName: unique("missing") })), QueueDoesNotExist);
});

test("Azure Storage Queue SDK: metadata, TTL -1, update, peek, errors", async () => {
  const key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
  const svc = QueueServiceClient.fromConnectionString(
    `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${key};QueueEndpoint=${ep}/devstoreaccount1;`,
  );
  const q = svc.getQueueClient(unique("jsaz"));
  await q.create({ metadata: { a: "b" } });
  await q.sendMessage("hi azure", { messageTimeToLive: -1 });
  const got = await q.receiveMessages({ numberOfMessages: 5 });
  const [m] = got.receivedMessageItems;
  assert.equal(m.messageText, "hi azure");
  assert.equal(m.dequeueCount, 1);
  assert.equal(m.expiresOn.getUTCFullYear(), 9999);
  await q.updateMessage(m.messageId, m.popReceipt, "updated", 0);
  const peek = await q.peekMessages({ numberOfMessages: 5 });
  assert.deepEqual(peek.peekedMessageItems.map((p) => p.messageText), ["updated"]);
  const props = await q.getProperties();
  assert.equal(props.approximateMessagesCount, 1);
  assert.deepEqual(props.metadata, { a: "b" });
  await assert.rejects(svc.getQueueClient(unique("missing")).getProperties(), (e) => e.statusCode === 404);
  await q.delete();
});

test("Alibaba MNS SDK: priority, receive, delete, attributes, empty receive", async () => {
  const client = new MNS("123456", { accessKeyId: "id", accessKeySecret: "secret", endpoint: ep });
  const name = unique("jsmns");
  await client.createQueue(name);
  await client.sendMessage(name, { MessageBody: "low", Priority: 12 });
  await client.sendMessage(name, { MessageBody: "high", Priority: 2 });
  const got = await client.receiveMessage(name, 1);
  assert.equal(got.body.MessageBody, "high");
  assert.equal(got.body.Priority, "2");
  await client.deleteMessage(name, got.body.ReceiptHandle);
  const attrs = await client.getQueueAttributes(name);
  assert.equal(attrs.body.ActiveMessages, "1");
  const rest = await client.receiveMessage(name, 1);
  await client.deleteMessage(name, rest.body.ReceiptHandle);
  await assert.rejects(client.receiveMessage(name, 0), (e) => e.name === "MNSMessageNotExistError");
  await client.deleteQueue(name);
});
