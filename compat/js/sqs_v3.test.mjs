// Broad coverage of the AWS SDK for JavaScript v3 (@aws-sdk/client-sqs) against polyq, written as
// real SQS answers; where polyq differs the test carries `todo: "polyq: …"`.
// The SDK itself checks only body MD5s (@aws-sdk/middleware-sdk-sqs: MD5OfBody / MD5OfMessageBody);
// attribute and system-attribute MD5s are recomputed here with md5OfAttributes. Error `name`s are
// what the SDK derives with awsQueryCompatible: the x-amzn-query-error code, mapped back to the
// modelled shape (AWS.SimpleQueueService.NonExistentQueue → QueueDoesNotExist), else the code itself.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CreateQueueCommand, GetQueueUrlCommand, ListQueuesCommand, paginateListQueues, GetQueueAttributesCommand,
  SetQueueAttributesCommand, TagQueueCommand, UntagQueueCommand, ListQueueTagsCommand, SendMessageCommand,
  SendMessageBatchCommand, ReceiveMessageCommand, DeleteMessageCommand, DeleteMessageBatchCommand,
  ChangeMessageVisibilityCommand, ChangeMessageVisibilityBatchCommand, PurgeQueueCommand, DeleteQueueCommand,
  ListDeadLetterSourceQueuesCommand, paginateListDeadLetterSourceQueues, StartMessageMoveTaskCommand,
  ListMessageMoveTasksCommand, CancelMessageMoveTaskCommand, QueueDoesNotExist, QueueNameExists,
  ReceiptHandleIsInvalid, SQSServiceException, SQSClient,
} from "@aws-sdk/client-sqs";
import { ep, sqsClient, unique, sleep, rejectsWith, md5OfAttributes, md5Hex } from "./common.mjs";

const sqs = sqsClient();
const send = (cmd) => sqs.send(cmd);
const create = async (name, Attributes, tags) => (await send(new CreateQueueCommand({ QueueName: name, Attributes, tags }))).QueueUrl;
const newQueue = (Attributes, tags) => create(unique("v3"), Attributes, tags);
const newFifo = (Attributes = {}) => create(`${unique("v3f")}.fifo`, { FifoQueue: "true", ...Attributes });
const attrsOf = async (QueueUrl, names = ["All"]) => (await send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: names }))).Attributes ?? {};
const arnOf = async (QueueUrl) => (await attrsOf(QueueUrl, ["QueueArn"])).QueueArn;
const receive = async (QueueUrl, opts = {}) =>
  (await send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, ...opts }))).Messages ?? [];
// Receives until `n` messages arrived (bounded: at most `rounds` long polls of 1 s).
async function receiveN(QueueUrl, n, opts = {}, rounds = 10) {
  const out = [];
  for (let i = 0; i < rounds && out.length < n; i++) {
    out.push(...await receive(QueueUrl, { WaitTimeSeconds: 1, MaxNumberOfMessages: Math.min(10, n - out.length), ...opts }));
  }
  return out;
}

// ---------------------------------------------------------------- CreateQueue / GetQueueUrl

test("CreateQueue: standard queue with attributes and tags", async () => {
  const name = unique("v3c");
  const url = await create(name, { VisibilityTimeout: "45", DelaySeconds: "3", MessageRetentionPeriod: "3600", ReceiveMessageWaitTimeSeconds: "2", MaximumMessageSize: "2048" }, { team: "js", env: "test" });
  assert.ok(url.endsWith(`/${name}`), url);
  const a = await attrsOf(url);
  assert.equal(a.VisibilityTimeout, "45");
  assert.equal(a.DelaySeconds, "3");
  assert.equal(a.MessageRetentionPeriod, "3600");
  assert.equal(a.ReceiveMessageWaitTimeSeconds, "2");
  assert.equal(a.MaximumMessageSize, "2048");
  assert.match(a.QueueArn, new RegExp(`^arn:aws:sqs:[a-z0-9-]+:\\d{12}:${name}$`));
  assert.equal(a.FifoQueue, undefined);
  const tags = await send(new ListQueueTagsCommand({ QueueUrl: url }));
  assert.deepEqual(tags.Tags, { team: "js", env: "test" });
});

test("QueueArn and QueueUrl name the region and account the client uses",
  async () => {
    const eu = new SQSClient({ endpoint: ep, region: "eu-west-1", credentials: { accessKeyId: "x", secretAccessKey: "y" }, maxAttempts: 1 });
    const name = unique("v3eu");
    const { QueueUrl } = await eu.send(new CreateQueueCommand({ QueueName: name }));
    assert.match(QueueUrl, new RegExp(`/\\d{12}/${name}$`));
    const { Attributes } = await eu.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
    assert.match(Attributes.QueueArn, new RegExp(`^arn:aws:sqs:eu-west-1:\\d{12}:${name}$`));
  });

test("CreateQueue: defaults of a new standard queue", async () => {
  const a = await attrsOf(await newQueue());
  assert.equal(a.VisibilityTimeout, "30");
  assert.equal(a.DelaySeconds, "0");
  assert.equal(a.MessageRetentionPeriod, "345600");
  assert.equal(a.ReceiveMessageWaitTimeSeconds, "0");
  assert.equal(a.ApproximateNumberOfMessages, "0");
  assert.equal(a.ApproximateNumberOfMessagesNotVisible, "0");
  assert.equal(a.ApproximateNumberOfMessagesDelayed, "0");
  assert.equal(a.SqsManagedSseEnabled, "true");
  assert.match(a.CreatedTimestamp, /^\d{10}$/);
  assert.match(a.LastModifiedTimestamp, /^\d{10}$/);
  // SQS raised the default and maximum message size to 1 MiB in 2025.
  assert.equal(a.MaximumMessageSize, "1048576");
});

test("CreateQueue: idempotent with the same attributes, QueueNameExists with different ones", async () => {
  const name = unique("v3i");
  const url = await create(name, { VisibilityTimeout: "20" });
  assert.equal(await create(name, { VisibilityTimeout: "20" }), url);
  const e = await rejectsWith(create(name, { VisibilityTimeout: "21" }), "QueueNameExists", {
    "$metadata.httpStatusCode": 400, $fault: "client", Code: "QueueAlreadyExists",
  });
  assert.ok(e instanceof QueueNameExists);
  assert.match(e.message, /already exists/i);
});

test("CreateQueue: FIFO queue, its attributes and defaults", async () => {
  const name = `${unique("v3f")}.fifo`;
  const url = await create(name, { FifoQueue: "true", ContentBasedDeduplication: "true" });
  assert.ok(url.endsWith(`/${name}`));
  const a = await attrsOf(url);
  assert.equal(a.FifoQueue, "true");
  assert.equal(a.ContentBasedDeduplication, "true");
  assert.equal(a.DeduplicationScope, "queue");
  assert.equal(a.FifoThroughputLimit, "perQueue");
  const hi = await attrsOf(await newFifo({ DeduplicationScope: "messageGroup", FifoThroughputLimit: "perMessageGroupId" }));
  assert.equal(hi.DeduplicationScope, "messageGroup");
  assert.equal(hi.FifoThroughputLimit, "perMessageGroupId");
  assert.equal(hi.ContentBasedDeduplication, "false");
});

test("CreateQueue: invalid names and attributes", async () => {
  await rejectsWith(create(unique("v3"), { FifoQueue: "true" }), "InvalidParameterValue", { "$metadata.httpStatusCode": 400 });
  await rejectsWith(create(`${unique("v3")}.fifo`), "InvalidParameterValue");
  await rejectsWith(create("bad name!"), "InvalidParameterValue");
  await rejectsWith(create("x".repeat(81)), "InvalidParameterValue");
  await rejectsWith(create(unique("v3"), { NoSuchAttribute: "1" }), "InvalidAttributeName");
  await rejectsWith(create(unique("v3"), { VisibilityTimeout: "43201" }), "InvalidAttributeValue");
  await rejectsWith(create(unique("v3"), { DelaySeconds: "901" }), "InvalidAttributeValue");
  await rejectsWith(create(unique("v3"), { MessageRetentionPeriod: "59" }), "InvalidAttributeValue");
  await rejectsWith(create(unique("v3"), { ReceiveMessageWaitTimeSeconds: "21" }), "InvalidAttributeValue");
  await rejectsWith(create(unique("v3"), { ContentBasedDeduplication: "true" }), "InvalidAttributeName");
});

test("GetQueueUrl: found, and QueueDoesNotExist as the SDK surfaces it", async () => {
  const name = unique("v3u");
  const url = await create(name);
  assert.equal((await send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl, url);
  const e = await rejectsWith(send(new GetQueueUrlCommand({ QueueName: unique("missing") })), "QueueDoesNotExist", {
    "$metadata.httpStatusCode": 400,
    $fault: "client",
    message: "The specified queue does not exist.",
    Code: "AWS.SimpleQueueService.NonExistentQueue",
    Type: "Sender",
  });
  assert.ok(e instanceof QueueDoesNotExist);
  assert.ok(e instanceof SQSServiceException);
  assert.ok(e.$metadata.requestId, "x-amzn-RequestId");
});

// ---------------------------------------------------------------- ListQueues

test("ListQueues: prefix, MaxResults/NextToken and paginateListQueues", async () => {
  const prefix = unique("v3l");
  const names = [];
  for (let i = 0; i < 5; i++) names.push(`${prefix}-${i}`);
  const urls = [];
  for (const n of names) urls.push(await create(n));
  const all = await send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
  assert.deepEqual([...all.QueueUrls].sort(), [...urls].sort());
  assert.equal(all.NextToken, undefined);
  const page = await send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2 }));
  assert.equal(page.QueueUrls.length, 2);
  assert.ok(page.NextToken);
  const seen = [];
  let pages = 0;
  for await (const p of paginateListQueues({ client: sqs, pageSize: 2 }, { QueueNamePrefix: prefix })) {
    seen.push(...(p.QueueUrls ?? []));
    if (++pages > 10) break;
  }
  assert.equal(pages, 3);
  assert.deepEqual(seen.sort(), [...urls].sort());
  const none = await send(new ListQueuesCommand({ QueueNamePrefix: unique("nothing") }));
  assert.deepEqual(none.QueueUrls ?? [], []);
});

test("ListQueues: MaxResults out of range → InvalidParameterValue", async () => {
  await rejectsWith(send(new ListQueuesCommand({ MaxResults: 0 })), "InvalidParameterValue");
  await rejectsWith(send(new ListQueuesCommand({ MaxResults: 1001 })), "InvalidParameterValue");
});

// ---------------------------------------------------------------- Get/SetQueueAttributes

test("GetQueueAttributes: single names return only those", async () => {
  const url = await newQueue({ VisibilityTimeout: "12" });
  const a = await attrsOf(url, ["VisibilityTimeout", "ApproximateNumberOfMessages"]);
  assert.deepEqual(a, { VisibilityTimeout: "12", ApproximateNumberOfMessages: "0" });
  await rejectsWith(attrsOf(url, ["NoSuchAttribute"]), "InvalidAttributeName", { "$metadata.httpStatusCode": 400 });
  await rejectsWith(attrsOf(url.replace(/[^/]+$/, unique("missing"))), "QueueDoesNotExist");
});

test("SetQueueAttributes: changes, validation errors change nothing", async () => {
  const url = await newQueue();
  const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "sqs:SendMessage", Resource: "*" }] });
  await send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: "100", DelaySeconds: "5", ReceiveMessageWaitTimeSeconds: "1", Policy: policy } }));
  const a = await attrsOf(url);
  assert.equal(a.VisibilityTimeout, "100");
  assert.equal(a.DelaySeconds, "5");
  assert.equal(a.ReceiveMessageWaitTimeSeconds, "1");
  assert.deepEqual(JSON.parse(a.Policy), JSON.parse(policy));
  await rejectsWith(send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Bogus: "1" } })), "InvalidAttributeName");
  await rejectsWith(send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: "50000" } })), "InvalidAttributeValue");
  await rejectsWith(send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { DelaySeconds: "5", MaximumMessageSize: "100" } })), "InvalidAttributeValue");
  assert.equal((await attrsOf(url, ["DelaySeconds"])).DelaySeconds, "5");
  await rejectsWith(send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { FifoQueue: "true" } })), "InvalidAttributeName");
  await rejectsWith(send(new SetQueueAttributesCommand({ QueueUrl: url.replace(/[^/]+$/, unique("missing")), Attributes: { DelaySeconds: "1" } })), "QueueDoesNotExist");
});

// ---------------------------------------------------------------- tags

test("TagQueue / UntagQueue / ListQueueTags", async () => {
  const url = await newQueue();
  assert.deepEqual((await send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags ?? {}, {});
  await send(new TagQueueCommand({ QueueUrl: url, Tags: { a: "1", b: "2" } }));
  await send(new TagQueueCommand({ QueueUrl: url, Tags: { b: "3", c: "4" } }));
  assert.deepEqual((await send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags, { a: "1", b: "3", c: "4" });
  await send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ["a", "nope"] }));
  assert.deepEqual((await send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags, { b: "3", c: "4" });
  await rejectsWith(send(new ListQueueTagsCommand({ QueueUrl: url.replace(/[^/]+$/, unique("missing")) })), "QueueDoesNotExist");
});

// ---------------------------------------------------------------- SendMessage

const everyType = {
  str: { DataType: "String", StringValue: "héllo wörld ✓" },
  num: { DataType: "Number", StringValue: "-12.5e3" },
  int: { DataType: "Number.int", StringValue: "42" },
  bin: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2, 128, 255]) },
  "custom.name": { DataType: "String.json", StringValue: "{\"k\":[1,2]}" },
  gif: { DataType: "Binary.gif", BinaryValue: new Uint8Array(Buffer.from("GIF89a")) },
  "Upper_case-1": { DataType: "String", StringValue: "x" },
};

test("SendMessage: attributes of every data type, MD5s as SQS computes them", async () => {
  const url = await newQueue();
  const trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
  const out = await send(new SendMessageCommand({
    QueueUrl: url, MessageBody: "every type", MessageAttributes: everyType,
    MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: trace } },
  }));
  assert.match(out.MessageId, /^[0-9a-f-]{36}$/);
  assert.equal(out.MD5OfMessageBody, md5Hex("every type"));
  assert.equal(out.MD5OfMessageAttributes, md5OfAttributes(everyType));
  assert.equal(out.MD5OfMessageSystemAttributes, md5OfAttributes({ AWSTraceHeader: { DataType: "String", StringValue: trace } }));
  const [m] = await receiveN(url, 1, { MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"] });
  assert.equal(m.MessageId, out.MessageId);
  assert.equal(m.MD5OfBody, md5Hex("every type"));
  assert.equal(m.MD5OfMessageAttributes, out.MD5OfMessageAttributes);
  assert.deepEqual(Object.keys(m.MessageAttributes).sort(), Object.keys(everyType).sort());
  for (const [k, v] of Object.entries(everyType)) {
    assert.equal(m.MessageAttributes[k].DataType, v.DataType, k);
    if (v.BinaryValue) assert.deepEqual([...m.MessageAttributes[k].BinaryValue], [...v.BinaryValue], k);
    else assert.equal(m.MessageAttributes[k].StringValue, v.StringValue, k);
  }
  assert.equal(m.Attributes.AWSTraceHeader, trace);
});

test("SendMessage: unicode, XML-special and large bodies round-trip", async () => {
  const url = await newQueue();
  const bodies = ["<a>&amp;\"'</a>", "emoji 😀 and 中文", "\t\r\nline", "x".repeat(200 * 1024)];
  for (const b of bodies) await send(new SendMessageCommand({ QueueUrl: url, MessageBody: b }));
  const got = await receiveN(url, bodies.length);
  assert.deepEqual(got.map((m) => m.Body).sort(), [...bodies].sort());
});

test("SendMessage: invalid input → SQS's error names", async () => {
  const url = await newQueue();
  const sendOne = (extra) => send(new SendMessageCommand({ QueueUrl: url, MessageBody: "b", ...extra }));
  await rejectsWith(sendOne({ DelaySeconds: 901 }), "InvalidParameterValue");
  await rejectsWith(sendOne({ MessageBody: "nul\u0000" }), "InvalidMessageContents");
  await rejectsWith(sendOne({ MessageAttributes: { e: { DataType: "String", StringValue: "" } } }), "InvalidParameterValue");
  await rejectsWith(sendOne({ MessageAttributes: { t: { DataType: "Text", StringValue: "v" } } }), "InvalidParameterValue");
  await rejectsWith(sendOne({ MessageAttributes: { n: { DataType: "Number", StringValue: "abc" } } }), "InvalidParameterValue");
  await rejectsWith(sendOne({ MessageAttributes: { "AWS.x": { DataType: "String", StringValue: "v" } } }), "InvalidParameterValue");
  const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: "String", StringValue: "v" }]));
  await rejectsWith(sendOne({ MessageAttributes: eleven }), "InvalidParameterValue");
  await rejectsWith(send(new SendMessageCommand({ QueueUrl: url.replace(/[^/]+$/, unique("missing")), MessageBody: "b" })), "QueueDoesNotExist");
  await rejectsWith(sendOne({ MessageBody: "x".repeat(1024 * 1024 + 1) }), "InvalidParameterValue");
  const small = await newQueue({ MaximumMessageSize: "1024" });
  await rejectsWith(send(new SendMessageCommand({ QueueUrl: small, MessageBody: "x".repeat(1025) })), "InvalidParameterValue");
  assert.equal((await attrsOf(url, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages, "0");
});

test("SendMessage: DelaySeconds hides the message, then it arrives", async () => {
  const url = await newQueue();
  await send(new SendMessageCommand({ QueueUrl: url, MessageBody: "later", DelaySeconds: 2 }));
  assert.deepEqual(await receive(url), []);
  assert.equal((await attrsOf(url, ["ApproximateNumberOfMessagesDelayed"])).ApproximateNumberOfMessagesDelayed, "1");
  const got = await receiveN(url, 1, {}, 8);
  assert.deepEqual(got.map((m) => m.Body), ["later"]);
});

test("SendMessage: a queue's DelaySeconds applies, the message's own overrides it", async () => {
  const url = await newQueue({ DelaySeconds: "60" });
  await send(new SendMessageCommand({ QueueUrl: url, MessageBody: "queue-delayed" }));
  await send(new SendMessageCommand({ QueueUrl: url, MessageBody: "now", DelaySeconds: 0 }));
  const got = await receiveN(url, 1);
  assert.deepEqual(got.map((m) => m.Body), ["now"]);
  assert.deepEqual(await receive(url), []);
});

// ---------------------------------------------------------------- SendMessageBatch

test("SendMessageBatch: success with attributes, MD5s and ids", async () => {
  const url = await newQueue();
  const out = await send(new SendMessageBatchCommand({
    QueueUrl: url,
    Entries: [
      { Id: "plain", MessageBody: "one" },
      { Id: "with_attrs-1", MessageBody: "two", MessageAttributes: everyType },
      { Id: "delayed", MessageBody: "three", DelaySeconds: 1 },
    ],
  }));
  assert.equal(out.Failed?.length ?? 0, 0);
  const ok = Object.fromEntries(out.Successful.map((e) => [e.Id, e]));
  assert.deepEqual(Object.keys(ok).sort(), ["delayed", "plain", "with_attrs-1"]);
  assert.equal(ok["with_attrs-1"].MD5OfMessageBody, md5Hex("two"));
  assert.equal(ok["with_attrs-1"].MD5OfMessageAttributes, md5OfAttributes(everyType));
  assert.equal(ok.plain.MD5OfMessageAttributes, undefined);
  const got = await receiveN(url, 3, { MessageAttributeNames: ["All"] });
  assert.deepEqual(got.map((m) => m.Body).sort(), ["one", "three", "two"]);
  assert.equal(got.find((m) => m.Body === "two").MessageId, ok["with_attrs-1"].MessageId);
});

test("SendMessageBatch: per-entry failures in Failed", async () => {
  const url = await newQueue({ MaximumMessageSize: "1024" });
  const out = await send(new SendMessageBatchCommand({
    QueueUrl: url,
    Entries: [
      { Id: "ok", MessageBody: "fine" },
      { Id: "nul", MessageBody: "bad\u0000" },
      { Id: "big", MessageBody: "z".repeat(1025) },
      { Id: "delay", MessageBody: "d", DelaySeconds: 1000 },
    ],
  }));
  assert.deepEqual(out.Successful.map((e) => e.Id), ["ok"]);
  const failed = Object.fromEntries(out.Failed.map((f) => [f.Id, f]));
  assert.deepEqual(Object.keys(failed).sort(), ["big", "delay", "nul"]);
  for (const f of out.Failed) {
    assert.equal(f.SenderFault, true);
    assert.ok(f.Code && f.Message, JSON.stringify(f));
  }
  assert.equal(failed.nul.Code, "InvalidMessageContents");
  assert.equal(failed.delay.Code, "InvalidParameterValue");
});

test("SendMessageBatch / DeleteMessageBatch / ChangeMessageVisibilityBatch: whole-request errors", async () => {
  const url = await newQueue();
  const ops = {
    send: (Entries) => send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Entries.map((Id) => ({ Id, MessageBody: "b" })) })),
    del: (Entries) => send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: Entries.map((Id) => ({ Id, ReceiptHandle: "h" })) })),
    vis: (Entries) => send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: Entries.map((Id) => ({ Id, ReceiptHandle: "h", VisibilityTimeout: 1 })) })),
  };
  for (const [op, call] of Object.entries(ops)) {
    await rejectsWith(call([]), "EmptyBatchRequest", { "$metadata.httpStatusCode": 400, Code: "AWS.SimpleQueueService.EmptyBatchRequest" });
    await rejectsWith(call(["a", "a"]), "BatchEntryIdsNotDistinct", { Code: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct" });
    await rejectsWith(call(Array.from({ length: 11 }, (_, i) => `e${i}`)), "TooManyEntriesInBatchRequest", { Code: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest" });
    await rejectsWith(call(["bad id!"]), "InvalidBatchEntryId", { Code: "AWS.SimpleQueueService.InvalidBatchEntryId" });
    await rejectsWith(call(["x".repeat(81)]), "InvalidBatchEntryId");
    assert.ok(op);
  }
  await rejectsWith(send(new SendMessageBatchCommand({ QueueUrl: url.replace(/[^/]+$/, unique("missing")), Entries: [{ Id: "a", MessageBody: "b" }] })), "QueueDoesNotExist");
});

test("SendMessageBatch: total size above 1 MiB → BatchRequestTooLong", async () => {
  const url = await newQueue();
  const Entries = Array.from({ length: 5 }, (_, i) => ({ Id: `e${i}`, MessageBody: "x".repeat(300 * 1024) }));
  await rejectsWith(send(new SendMessageBatchCommand({ QueueUrl: url, Entries })), "BatchRequestTooLong", { Code: "AWS.SimpleQueueService.BatchRequestTooLong" });
});

// ---------------------------------------------------------------- ReceiveMessage

test("ReceiveMessage: MaxNumberOfMessages caps the answer, every message once", async () => {
  const url = await newQueue();
  for (let b = 0; b < 2; b++) {
    await send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 6 }, (_, i) => ({ Id: `m${i}`, MessageBody: `msg-${b}-${i}` })) }));
  }
  const one = await receive(url, { MaxNumberOfMessages: 1 });
  assert.equal(one.length, 1);
  const rest = await receiveN(url, 11, { VisibilityTimeout: 60 });
  for (const batch of [rest]) assert.ok(batch.length <= 11);
  const all = [...one, ...rest];
  assert.equal(new Set(all.map((m) => m.MessageId)).size, 12);
  assert.equal(all.length, 12);
});

test("ReceiveMessage: invalid parameters → InvalidParameterValue", async () => {
  const url = await newQueue();
  await rejectsWith(receive(url, { MaxNumberOfMessages: 11 }), "InvalidParameterValue");
  await rejectsWith(receive(url, { MaxNumberOfMessages: 0 }), "InvalidParameterValue");
  await rejectsWith(receive(url, { WaitTimeSeconds: 21 }), "InvalidParameterValue");
  await rejectsWith(receive(url, { VisibilityTimeout: 43201 }), "InvalidParameterValue");
  await rejectsWith(receive(url.replace(/[^/]+$/, unique("missing"))), "QueueDoesNotExist");
});

test("ReceiveMessage: WaitTimeSeconds long poll is woken by a send", async () => {
  const url = await newQueue();
  const pending = receive(url, { WaitTimeSeconds: 10 });
  await sleep(300);
  await send(new SendMessageCommand({ QueueUrl: url, MessageBody: "wake" }));
  const got = await pending;
  assert.deepEqual(got.map((m) => m.Body), ["wake"]);
  const t0 = Date.now();
  assert.deepEqual(await receive(url, { WaitTimeSeconds: 1 }), []);
  assert.ok(Date.now() - t0 >= 500, "an empty long poll waits");
});

test("ReceiveMessage: the queue's ReceiveMessageWaitTimeSeconds applies when WaitTimeSeconds is absent", async () => {
  const url = await newQueue({ ReceiveMessageWaitTimeSeconds: "5" });
  const pending = send(new ReceiveMessageCommand({ QueueUrl: url }));
  await sleep(300);
  await send(new SendMessageCommand({ QueueUrl: url, MessageBody: "polled" }));
  assert.deepEqual(((await pending).Messages ?? []).map((m) => m.Body), ["polled"]);
});

test("ReceiveMessage: VisibilityTimeout hides the message, ApproximateReceiveCount grows", async () => {
  const url = await newQueue();
  await send(new SendMessageCommand({ QueueUrl: url, MessageBody: "vis" }));
  const [first] = await receiveN(url, 1, { VisibilityTimeout: 2, MessageSystemAttributeNames: ["ApproximateReceiveCount"] });
  assert.equal(first.Attributes.ApproximateReceiveCount, "1");
  assert.deepEqual(await receive(url), []);
  const [second] = await receiveN(url, 1, { MessageSystemAttributeNames: ["ApproximateReceiveCount"] }, 6);
  assert.equal(second.MessageId, first.MessageId);
  assert.equal(second.Attributes.ApproximateReceiveCount, "2");
  assert.notEqual(second.ReceiptHandle, first.ReceiptHandle);
});

test("ReceiveMessage: system attribute names filter the Attributes map", async () => {
  const url = await newQueue();
  await send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 4 }, (_, i) => ({ Id: `m${i}`, MessageBody: `a${i}` })) }));
  const all = (await receiveN(url, 1, { MessageSystemAttributeNames: ["All"], VisibilityTimeout: 60 }))[0];
  for (const k of ["ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp", "SenderId", "SentTimestamp"]) assert.ok(all.Attributes[k], k);
  assert.match(all.Attributes.SentTimestamp, /^\d{13}$/);
  const some = (await receiveN(url, 1, { MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount"], VisibilityTimeout: 60 }))[0];
  assert.deepEqual(Object.keys(some.Attributes).sort(), ["ApproximateReceiveCount", "SentTimestamp"]);
  const legacy = (await receiveN(url, 1, { AttributeNames: ["SenderId"], VisibilityTimeout: 60 }))[0];
  assert.deepEqual(Object.keys(legacy.Attributes), ["SenderId"]);
  const none = (await receiveN(url, 1, { VisibilityTimeout: 60 }))[0];
  assert.equal(none.Attributes, undefined);
});

test("ReceiveMessage: MessageAttributeNames filter (names, prefix.*, All, none)", async () => {
  const url = await newQueue();
  const attrs = {
    "order.id": { DataType: "String", StringValue: "1" },
    "order.total": { DataType: "Number", StringValue: "9.5" },
    other: { DataType: "String", StringValue: "o" },
  };
  await send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 4 }, (_, i) => ({ Id: `m${i}`, MessageBody: `b${i}`, MessageAttributes: attrs })) }));
  const get = async (names) => (await receiveN(url, 1, { VisibilityTimeout: 60, ...(names ? { MessageAttributeNames: names } : {}) }))[0];
  const byName = await get(["other"]);
  assert.deepEqual(Object.keys(byName.MessageAttributes), ["other"]);
  const byPrefix = await get(["order.*"]);
  assert.deepEqual(Object.keys(byPrefix.MessageAttributes).sort(), ["order.id", "order.total"]);
  const all = await get(["All"]);
  assert.deepEqual(Object.keys(all.MessageAttributes).sort(), ["order.id", "order.total", "other"]);
  assert.equal(all.MD5OfMessageAttributes, md5OfAttributes(attrs));
  const none = await get(undefined);
  assert.equal(none.MessageAttributes, undefined);
});

// ---------------------------------------------------------------- delete / visibility

test("DeleteMessage: deletes; an invalid handle → ReceiptHandleIsInvalid", async () => {
  const url = await newQueue();
  await send(new SendMessageCommand({ QueueUrl: url, MessageBody: "bye" }));
  const [m] = await receiveN(url, 1, { VisibilityTimeout: 1 });
  await send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
  await sleep(1500);
  assert.deepEqual(await receive(url), []);
  const e = await rejectsWith(send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: "not-a-handle" })), "ReceiptHandleIsInvalid", { $fault: "client" });
  assert.ok(e instanceof ReceiptHandleIsInvalid);
  await rejectsWith(send(new DeleteMessageCommand({ QueueUrl: url.replace(/[^/]+$/, unique("missing")), ReceiptHandle: m.ReceiptHandle })), "QueueDoesNotExist");
});

test("DeleteMessageBatch: success and per-entry ReceiptHandleIsInvalid", async () => {
  const url = await newQueue();
  await send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "a", MessageBody: "1" }, { Id: "b", MessageBody: "2" }] }));
  const msgs = await receiveN(url, 2, { VisibilityTimeout: 60 });
  const out = await send(new DeleteMessageBatchCommand({
    QueueUrl: url,
    Entries: [...msgs.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })), { Id: "bad", ReceiptHandle: "garbage" }],
  }));
  assert.deepEqual(out.Successful.map((e) => e.Id).sort(), ["d0", "d1"]);
  assert.equal(out.Failed.length, 1);
  assert.equal(out.Failed[0].Id, "bad");
  assert.equal(out.Failed[0].Code, "ReceiptHandleIsInvalid");
  assert.equal(out.Failed[0].SenderFault, true);
  const a = await attrsOf(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
  assert.deepEqual(a, { ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" });
});

test("ChangeMessageVisibility: 0 makes it visible, limits and invalid handles", async () => {
  const url = await newQueue();
  await send(new SendMessageCommand({ QueueUrl: url, MessageBody: "cmv" }));
  const [m] = await receiveN(url, 1, { VisibilityTimeout: 60 });
  assert.deepEqual(await receive(url), []);
  await send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
  const [again] = await receiveN(url, 1, { VisibilityTimeout: 60 });
  assert.equal(again.MessageId, m.MessageId);
  await rejectsWith(send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: again.ReceiptHandle, VisibilityTimeout: 43201 })), "InvalidParameterValue");
  await rejectsWith(send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: "garbage", VisibilityTimeout: 5 })), "ReceiptHandleIsInvalid");
  await send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: again.ReceiptHandle }));
});

test("ChangeMessageVisibility: the handle of a deleted message → InvalidParameterValue", async () => {
  const url = await newQueue();
  await send(new SendMessageCommand({ QueueUrl: url, MessageBody: "cmv" }));
  const [m] = await receiveN(url, 1, { VisibilityTimeout: 60 });
  await send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
  const e = await rejectsWith(send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 5 })), "InvalidParameterValue");
  assert.match(e.message, /Message does not exist or is not available for visibility timeout change/);
});

test("ChangeMessageVisibilityBatch: success and a per-entry failure", async () => {
  const url = await newQueue();
  await send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "a", MessageBody: "1" }, { Id: "b", MessageBody: "2" }] }));
  const msgs = await receiveN(url, 2, { VisibilityTimeout: 60 });
  const out = await send(new ChangeMessageVisibilityBatchCommand({
    QueueUrl: url,
    Entries: [...msgs.map((m, i) => ({ Id: `c${i}`, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })), { Id: "bad", ReceiptHandle: "garbage", VisibilityTimeout: 0 }],
  }));
  assert.deepEqual(out.Successful.map((e) => e.Id).sort(), ["c0", "c1"]);
  assert.deepEqual(out.Failed.map((f) => [f.Id, f.Code, f.SenderFault]), [["bad", "ReceiptHandleIsInvalid", true]]);
  const again = await receiveN(url, 2);
  assert.deepEqual(again.map((m) => m.MessageId).sort(), msgs.map((m) => m.MessageId).sort());
});

// ---------------------------------------------------------------- purge / delete queue

test("PurgeQueue: removes every message", async () => {
  const url = await newQueue();
  await send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 5 }, (_, i) => ({ Id: `m${i}`, MessageBody: `p${i}` })) }));
  await receive(url, { MaxNumberOfMessages: 2, VisibilityTimeout: 60 });
  await send(new PurgeQueueCommand({ QueueUrl: url }));
  const a = await attrsOf(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
  assert.deepEqual(a, { ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" });
  assert.deepEqual(await receive(url), []);
  await rejectsWith(send(new PurgeQueueCommand({ QueueUrl: url.replace(/[^/]+$/, unique("missing")) })), "QueueDoesNotExist");
});

test("PurgeQueue: a second purge within 60 s → PurgeQueueInProgress",
  async () => {
    const url = await newQueue();
    await send(new PurgeQueueCommand({ QueueUrl: url }));
    await rejectsWith(send(new PurgeQueueCommand({ QueueUrl: url })), "PurgeQueueInProgress", { "$metadata.httpStatusCode": 403, Code: "AWS.SimpleQueueService.PurgeQueueInProgress" });
  });

test("DeleteQueue: the queue is gone for every operation", async () => {
  const name = unique("v3d");
  const url = await create(name);
  await send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x" }));
  await send(new DeleteQueueCommand({ QueueUrl: url }));
  await rejectsWith(send(new GetQueueUrlCommand({ QueueName: name })), "QueueDoesNotExist");
  await rejectsWith(send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x" })), "QueueDoesNotExist");
  await rejectsWith(send(new DeleteQueueCommand({ QueueUrl: url })), "QueueDoesNotExist");
});

// run.sh starts polyq with --sqs-queue-deleted-recently (off by default).
test("DeleteQueue: recreating the name within 60 s → QueueDeletedRecently",
  async () => {
    const name = unique("v3r");
    const url = await create(name);
    await send(new DeleteQueueCommand({ QueueUrl: url }));
    await rejectsWith(create(name), "QueueDeletedRecently", { Code: "AWS.SimpleQueueService.QueueDeletedRecently" });
  });

// ---------------------------------------------------------------- dead-letter queues and move tasks

async function dlqPair(maxReceiveCount = 1) {
  const dlq = await newQueue();
  const dlqArn = await arnOf(dlq);
  const src = await newQueue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }) });
  return { dlq, dlqArn, src };
}

async function deadLetter(src, body) {
  await send(new SendMessageCommand({ QueueUrl: src, MessageBody: body }));
  await receiveN(src, 1, { VisibilityTimeout: 0 });
  // the next receive attempt moves it (maxReceiveCount 1)
  assert.deepEqual(await receive(src, { WaitTimeSeconds: 1 }), []);
}

test("RedrivePolicy: moved to the DLQ after maxReceiveCount; ListDeadLetterSourceQueues", async () => {
  const { dlq, src } = await dlqPair(1);
  const rp = JSON.parse((await attrsOf(src, ["RedrivePolicy"])).RedrivePolicy);
  assert.equal(rp.maxReceiveCount, 1);
  await deadLetter(src, "poison");
  const got = await receiveN(dlq, 1);
  assert.deepEqual(got.map((m) => m.Body), ["poison"]);
  const src2 = await newQueue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arnOf(dlq), maxReceiveCount: 5 }) });
  const list = await send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
  assert.deepEqual([...list.queueUrls].sort(), [src, src2].sort());
  const seen = [];
  let pages = 0;
  for await (const p of paginateListDeadLetterSourceQueues({ client: sqs, pageSize: 1 }, { QueueUrl: dlq })) {
    seen.push(...(p.queueUrls ?? []));
    if (++pages > 5) break;
  }
  assert.deepEqual(seen.sort(), [src, src2].sort());
  assert.deepEqual((await send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: src }))).queueUrls ?? [], []);
});

test("RedrivePolicy: invalid policies → InvalidParameterValue", async () => {
  const dlqArn = await arnOf(await newQueue());
  const setRp = async (rp) => send(new SetQueueAttributesCommand({ QueueUrl: await newQueue(), Attributes: { RedrivePolicy: typeof rp === "string" ? rp : JSON.stringify(rp) } }));
  await rejectsWith(setRp({ deadLetterTargetArn: dlqArn, maxReceiveCount: 0 }), "InvalidParameterValue");
  await rejectsWith(setRp({ deadLetterTargetArn: dlqArn }), "InvalidParameterValue");
  await rejectsWith(setRp({ maxReceiveCount: 3 }), "InvalidParameterValue");
  await rejectsWith(setRp({ deadLetterTargetArn: dlqArn.replace(/[^:]+$/, unique("missing")), maxReceiveCount: 3 }), "InvalidParameterValue");
  const fifoArn = await arnOf(await newFifo());
  await rejectsWith(setRp({ deadLetterTargetArn: fifoArn, maxReceiveCount: 3 }), "InvalidParameterValue");
});

async function waitTask(sourceArn, statuses, rounds = 40) {
  let last;
  for (let i = 0; i < rounds; i++) {
    last = (await send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn }))).Results ?? [];
    if (last[0] && statuses.includes(last[0].Status)) return last;
    await sleep(250);
  }
  return last;
}

test("StartMessageMoveTask / ListMessageMoveTasks: redrive back to the source", async () => {
  const { dlq, dlqArn, src } = await dlqPair(1);
  await deadLetter(src, "redrive me");
  assert.equal((await attrsOf(dlq, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages, "1");
  const { TaskHandle } = await send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
  assert.ok(TaskHandle);
  const results = await waitTask(dlqArn, ["COMPLETED"]);
  assert.equal(results[0].Status, "COMPLETED");
  assert.equal(results[0].SourceArn, dlqArn);
  assert.equal(results[0].ApproximateNumberOfMessagesMoved, 1);
  assert.equal(typeof results[0].StartedTimestamp, "number");
  const back = await receiveN(src, 1);
  assert.deepEqual(back.map((m) => m.Body), ["redrive me"]);
  await rejectsWith(send(new CancelMessageMoveTaskCommand({ TaskHandle })), "ResourceNotFoundException");
});

test("StartMessageMoveTask: to an explicit destination, cancel while running", async () => {
  const { dlq, dlqArn } = await dlqPair(1);
  await send(new SendMessageBatchCommand({ QueueUrl: dlq, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `slow${i}` })) }));
  const dest = await newQueue();
  const destArn = await arnOf(dest);
  const { TaskHandle } = await send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: destArn, MaxNumberOfMessagesPerSecond: 1 }));
  const running = await send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
  assert.equal(running.Results[0].Status, "RUNNING");
  assert.equal(running.Results[0].TaskHandle, TaskHandle);
  assert.equal(running.Results[0].DestinationArn, destArn);
  assert.equal(running.Results[0].MaxNumberOfMessagesPerSecond, 1);
  await rejectsWith(send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: destArn })), "InvalidParameterValue");
  const cancel = await send(new CancelMessageMoveTaskCommand({ TaskHandle }));
  assert.equal(typeof cancel.ApproximateNumberOfMessagesMoved, "number");
  const after = await waitTask(dlqArn, ["CANCELLED"]);
  assert.equal(after[0].Status, "CANCELLED");
});

// AWS: "All redriven messages are considered new messages and are assigned a new messageID".
test("StartMessageMoveTask: a redriven message is a new message (new id, receive count reset, not dead-lettered again)",
  async () => {
    const { dlq, dlqArn, src } = await dlqPair(1);
    await send(new SendMessageCommand({ QueueUrl: src, MessageBody: "again" }));
    const [orig] = await receiveN(src, 1, { VisibilityTimeout: 0 });
    assert.deepEqual(await receive(src, { WaitTimeSeconds: 1 }), []);
    const [inDlq] = await receiveN(dlq, 1, { VisibilityTimeout: 0 });
    assert.equal(inDlq.Body, "again");
    await send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    assert.equal((await waitTask(dlqArn, ["COMPLETED"]))[0].Status, "COMPLETED");
    const [back] = await receiveN(src, 1, { MessageSystemAttributeNames: ["ApproximateReceiveCount"] }, 3);
    assert.ok(back, "the redriven message is received from the source, not dead-lettered again");
    assert.equal(back.Body, "again");
    assert.notEqual(back.MessageId, orig.MessageId);
    assert.equal(back.Attributes.ApproximateReceiveCount, "1");
  });

test("FIFO dead-letter queue: the moved message's deduplication id becomes its message id",
  async () => {
  const dlq = await newFifo();
  const src = await newFifo({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arnOf(dlq), maxReceiveCount: 1 }) });
  const sent = await send(new SendMessageCommand({ QueueUrl: src, MessageBody: "fifo poison", MessageGroupId: "g", MessageDeduplicationId: "dd1" }));
  await receiveN(src, 1, { VisibilityTimeout: 0 });
  assert.deepEqual(await receive(src, { WaitTimeSeconds: 1 }), []);
  const [m] = await receiveN(dlq, 1, { MessageSystemAttributeNames: ["All"] });
  assert.equal(m.Body, "fifo poison");
  assert.equal(m.Attributes.MessageGroupId, "g");
  assert.equal(m.Attributes.MessageDeduplicationId, sent.MessageId);
});

test("Message move tasks: invalid requests", async () => {
  const plainArn = await arnOf(await newQueue());
  await rejectsWith(send(new StartMessageMoveTaskCommand({ SourceArn: plainArn })), "InvalidParameterValue");
  await rejectsWith(send(new StartMessageMoveTaskCommand({ SourceArn: plainArn.replace(/[^:]+$/, unique("missing")) })), "ResourceNotFoundException");
  await rejectsWith(send(new CancelMessageMoveTaskCommand({ TaskHandle: "not-a-handle" })), "InvalidParameterValue");
  await rejectsWith(send(new ListMessageMoveTasksCommand({ SourceArn: plainArn, MaxResults: 11 })), "InvalidParameterValue");
});

// ---------------------------------------------------------------- FIFO

test("FIFO: order within a group, SequenceNumber, system attributes", async () => {
  const url = await newFifo();
  const seqs = [];
  for (let i = 0; i < 5; i++) {
    const out = await send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}`, MessageGroupId: "g1", MessageDeduplicationId: `d${i}` }));
    assert.match(out.SequenceNumber, /^\d+$/);
    seqs.push(BigInt(out.SequenceNumber));
  }
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1]);
  const got = await receiveN(url, 5, { MessageSystemAttributeNames: ["All"] });
  assert.deepEqual(got.map((m) => m.Body), ["m0", "m1", "m2", "m3", "m4"]);
  assert.equal(got[0].Attributes.MessageGroupId, "g1");
  assert.equal(got[0].Attributes.MessageDeduplicationId, "d0");
  assert.equal(BigInt(got[0].Attributes.SequenceNumber), seqs[0]);
});

test("FIFO: deduplication by id and by content", async () => {
  const url = await newFifo();
  const a = await send(new SendMessageCommand({ QueueUrl: url, MessageBody: "once", MessageGroupId: "g", MessageDeduplicationId: "same" }));
  const b = await send(new SendMessageCommand({ QueueUrl: url, MessageBody: "once again", MessageGroupId: "g", MessageDeduplicationId: "same" }));
  assert.equal(b.MessageId, a.MessageId);
  const cbd = await newFifo({ ContentBasedDeduplication: "true" });
  await send(new SendMessageCommand({ QueueUrl: cbd, MessageBody: "content", MessageGroupId: "g" }));
  await send(new SendMessageCommand({ QueueUrl: cbd, MessageBody: "content", MessageGroupId: "g" }));
  await send(new SendMessageCommand({ QueueUrl: cbd, MessageBody: "other", MessageGroupId: "g" }));
  assert.deepEqual((await receiveN(url, 1)).map((m) => m.Body), ["once"]);
  assert.deepEqual(await receive(url, { WaitTimeSeconds: 1 }), []);
  assert.deepEqual((await receiveN(cbd, 2)).map((m) => m.Body), ["content", "other"]);
});

test("FIFO: a group with a message in flight is blocked, other groups are served", async () => {
  const url = await newFifo({ ContentBasedDeduplication: "true" });
  await send(new SendMessageBatchCommand({
    QueueUrl: url,
    Entries: [{ Id: "a", MessageBody: "g1-a", MessageGroupId: "g1" }, { Id: "b", MessageBody: "g1-b", MessageGroupId: "g1" }, { Id: "c", MessageBody: "g2-c", MessageGroupId: "g2" }],
  }));
  const [first] = await receive(url, { MaxNumberOfMessages: 1, VisibilityTimeout: 60 });
  assert.equal(first.Body, "g1-a");
  const next = await receiveN(url, 1, { VisibilityTimeout: 60 }, 2);
  assert.deepEqual(next.map((m) => m.Body), ["g2-c"]);
  assert.deepEqual(await receive(url, { VisibilityTimeout: 60 }), []);
  await send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle }));
  assert.deepEqual((await receiveN(url, 1)).map((m) => m.Body), ["g1-b"]);
});

test("FIFO: SendMessageBatch with groups returns sequence numbers", async () => {
  const url = await newFifo();
  const out = await send(new SendMessageBatchCommand({
    QueueUrl: url,
    Entries: Array.from({ length: 4 }, (_, i) => ({ Id: `e${i}`, MessageBody: `b${i}`, MessageGroupId: `g${i % 2}`, MessageDeduplicationId: `d${i}` })),
  }));
  assert.equal(out.Successful.length, 4);
  for (const s of out.Successful) assert.match(s.SequenceNumber, /^\d+$/);
  const got = await receiveN(url, 4);
  const g0 = got.filter((m) => ["b0", "b2"].includes(m.Body)).map((m) => m.Body);
  assert.deepEqual(g0, ["b0", "b2"]);
});

test("FIFO: a retried ReceiveRequestAttemptId returns the same messages and receipt handles", async () => {
  const url = await newFifo({ ContentBasedDeduplication: "true" });
  await send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "a", MessageBody: "ra-1", MessageGroupId: "g1" }, { Id: "b", MessageBody: "ra-2", MessageGroupId: "g2" }] }));
  const first = await receive(url, { MaxNumberOfMessages: 1, ReceiveRequestAttemptId: "attempt-1", VisibilityTimeout: 60 });
  assert.equal(first.length, 1);
  const retry = await receive(url, { MaxNumberOfMessages: 1, ReceiveRequestAttemptId: "attempt-1", VisibilityTimeout: 60 });
  assert.deepEqual(retry.map((m) => [m.MessageId, m.ReceiptHandle]), first.map((m) => [m.MessageId, m.ReceiptHandle]));
  const other = await receive(url, { MaxNumberOfMessages: 1, ReceiveRequestAttemptId: "attempt-2", VisibilityTimeout: 60 });
  assert.equal(other.length, 1);
  assert.notEqual(other[0].MessageId, first[0].MessageId);
});

test("FIFO: DeduplicationScope messageGroup deduplicates per group", async () => {
  const url = await newFifo({ DeduplicationScope: "messageGroup", FifoThroughputLimit: "perMessageGroupId" });
  for (const g of ["g1", "g2", "g1"]) await send(new SendMessageCommand({ QueueUrl: url, MessageBody: `in ${g}`, MessageGroupId: g, MessageDeduplicationId: "same" }));
  const got = await receiveN(url, 2);
  assert.deepEqual(got.map((m) => m.Body).sort(), ["in g1", "in g2"]);
  assert.deepEqual(await receive(url, { WaitTimeSeconds: 1 }), []);
});

test("FIFO: invalid sends → MissingParameter / InvalidParameterValue", async () => {
  const url = await newFifo();
  await rejectsWith(send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageDeduplicationId: "d" })), "MissingParameter");
  await rejectsWith(send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageGroupId: "g" })), "InvalidParameterValue");
  await rejectsWith(send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageGroupId: "g", MessageDeduplicationId: "d", DelaySeconds: 2 })), "InvalidParameterValue");
  await rejectsWith(send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageGroupId: "bad group!", MessageDeduplicationId: "d" })), "InvalidParameterValue");
  const std = await newQueue();
  await rejectsWith(send(new SendMessageCommand({ QueueUrl: std, MessageBody: "x", MessageDeduplicationId: "d" })), "InvalidParameterValue");
});
