// Broad coverage of the Alibaba Cloud MNS Node SDK (@alicloud/mns) against polyq, written as real
// MNS answers (help.aliyun.com queue API reference and error catalogue); where polyq differs the
// test carries `todo: "polyq: …"`. The SDK throws for an XML <Error> document, naming the error
// `MNS<Code>Error`; other answers (201, 204, batch partial failures) come back as
// { code, headers, body }.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mnsClient, unique, rejectsWith, sleep } from "./common.mjs";

const mns = mnsClient();
const md5Upper = (s) => createHash("md5").update(s, "utf8").digest("hex").toUpperCase();
const newQueue = async (params) => {
  const name = unique("jsm");
  await mns.createQueue(name, params);
  return name;
};
// Receives until `n` messages arrived (bounded: at most `rounds` receives of up to 1 s each).
async function receiveN(name, n, rounds = 10) {
  const out = [];
  for (let i = 0; i < rounds && out.length < n; i++) {
    try {
      const r = await mns.batchReceiveMessage(name, Math.min(16, n - out.length), 1);
      out.push(...r.body);
    } catch (e) {
      if (e.name !== "MNSMessageNotExistError") throw e;
    }
  }
  return out;
}

// ---------------------------------------------------------------- queues

test("createQueue: 201 + Location, 204 when identical, QueueAlreadyExist when different", async () => {
  const name = unique("jsmc");
  const created = await mns.createQueue(name, { VisibilityTimeout: 40, DelaySeconds: 0 });
  assert.equal(created.code, 201);
  assert.ok(created.headers.location.endsWith(`/queues/${name}`), created.headers.location);
  const again = await mns.createQueue(name, { VisibilityTimeout: 40, DelaySeconds: 0 });
  assert.equal(again.code, 204);
  const e = await rejectsWith(mns.createQueue(name, { VisibilityTimeout: 41 }), "MNSQueueAlreadyExistError");
  assert.match(e.message, /failed with 409/);
  assert.match(e.message, /requestid: [0-9A-F]{24}, hostid: .+, message: The queue you want to create is already exist\./);
});

test("getQueueAttributes: defaults and every documented field", async () => {
  const name = await newQueue();
  const { code, body } = await mns.getQueueAttributes(name);
  assert.equal(code, 200);
  assert.equal(body.QueueName, name);
  assert.equal(body.DelaySeconds, "0");
  assert.equal(body.MaximumMessageSize, "65536");
  assert.equal(body.MessageRetentionPeriod, "345600");
  assert.equal(body.VisibilityTimeout, "30");
  assert.equal(body.PollingWaitSeconds, "0");
  assert.equal(body.ActiveMessages, "0");
  assert.equal(body.InactiveMessages, "0");
  assert.equal(body.DelayMessages, "0");
  assert.match(body.CreateTime, /^\d{10}$/);
  assert.match(body.LastModifyTime, /^\d{10}$/);
  assert.match(body.LoggingEnabled, /^(True|False)$/);
});

test("createQueue with attributes, setQueueAttributes changes only what is given", async () => {
  const name = await newQueue({ VisibilityTimeout: 60, MaximumMessageSize: 2048, MessageRetentionPeriod: 7200, DelaySeconds: 5, PollingWaitSeconds: 3 });
  let a = (await mns.getQueueAttributes(name)).body;
  assert.deepEqual([a.VisibilityTimeout, a.MaximumMessageSize, a.MessageRetentionPeriod, a.DelaySeconds, a.PollingWaitSeconds], ["60", "2048", "7200", "5", "3"]);
  const set = await mns.setQueueAttributes(name, { VisibilityTimeout: 90, LoggingEnabled: "True" });
  assert.equal(set.code, 204);
  a = (await mns.getQueueAttributes(name)).body;
  assert.deepEqual([a.VisibilityTimeout, a.MaximumMessageSize, a.DelaySeconds, a.LoggingEnabled], ["90", "2048", "5", "True"]);
});

test("queue attribute ranges → InvalidArgument", async () => {
  const name = await newQueue();
  for (const bad of [{ VisibilityTimeout: 0 }, { VisibilityTimeout: 43201 }, { DelaySeconds: 604801 }, { MaximumMessageSize: 1023 },
    { MaximumMessageSize: 65537 }, { MessageRetentionPeriod: 59 }, { PollingWaitSeconds: 31 }]) {
    await rejectsWith(mns.setQueueAttributes(name, bad), "MNSInvalidArgumentError", { message: (e) => assert.match(e.message, /failed with 400/) });
    await rejectsWith(mns.createQueue(unique("jsmbad"), bad), "MNSInvalidArgumentError");
  }
  assert.equal((await mns.getQueueAttributes(name)).body.VisibilityTimeout, "30");
});

test("queue names: InvalidQueueName, QueueNameLengthError", async () => {
  await rejectsWith(mns.createQueue("bad_name"), "MNSInvalidQueueNameError");
  await rejectsWith(mns.createQueue("-dash-first"), "MNSInvalidQueueNameError");
  await rejectsWith(mns.createQueue(`a${"b".repeat(256)}`), "MNSQueueNameLengthErrorError");
});

test("queue names longer than 120 characters → QueueNameLengthError",
  async () => {
    await rejectsWith(mns.createQueue(`a${"b".repeat(120)}`), "MNSQueueNameLengthErrorError");
  });

test("missing queue → QueueNotExist (404) for queue and message operations", async () => {
  const missing = unique("jsmmissing");
  const e = await rejectsWith(mns.getQueueAttributes(missing), "MNSQueueNotExistError");
  assert.match(e.message, /^GET .*\/queues\/jsmmissing\S* failed with 404\. requestid: [0-9A-F]{24}, hostid: .+, message: The queue name you provided is not exist\.$/);
  await rejectsWith(mns.setQueueAttributes(missing, { VisibilityTimeout: 10 }), "MNSQueueNotExistError");
  await rejectsWith(mns.sendMessage(missing, { MessageBody: "x" }), "MNSQueueNotExistError");
  await rejectsWith(mns.batchSendMessage(missing, [{ MessageBody: "x" }]), "MNSQueueNotExistError");
  await rejectsWith(mns.receiveMessage(missing), "MNSQueueNotExistError");
  await rejectsWith(mns.batchReceiveMessage(missing, 2), "MNSQueueNotExistError");
  await rejectsWith(mns.peekMessage(missing), "MNSQueueNotExistError");
  await rejectsWith(mns.batchPeekMessage(missing, 2), "MNSQueueNotExistError");
});

test("listQueue: prefix and ret-number, QueueURL of each", async () => {
  const prefix = unique("jsml");
  const names = [];
  for (let i = 0; i < 4; i++) {
    names.push(`${prefix}-${i}`);
    await mns.createQueue(`${prefix}-${i}`);
  }
  const all = await mns.listQueue(undefined, 1000, prefix);
  assert.equal(all.code, 200);
  assert.deepEqual(all.body.map((q) => q.QueueURL.replace(/^.*\/queues\//, "")), names);
  const two = await mns.listQueue(undefined, 2, prefix);
  assert.equal(two.body.length, 2);
  const rest = await mns.listQueue(`${prefix}-1`, 10, prefix);
  assert.deepEqual(rest.body.map((q) => q.QueueURL.replace(/^.*\/queues\//, "")), names.slice(2));
  await rejectsWith(mns.listQueue(undefined, 1001, prefix), "MNSInvalidArgumentError");
  await rejectsWith(mns.listQueue(undefined, 0, prefix), "MNSInvalidArgumentError");
  const none = await mns.listQueue(undefined, 10, unique("jsmnone"));
  assert.equal(none.body, undefined);
});

test("deleteQueue: 204, the queue is gone", async () => {
  const name = await newQueue();
  await mns.sendMessage(name, { MessageBody: "bye" });
  const del = await mns.deleteQueue(name);
  assert.equal(del.code, 204);
  await rejectsWith(mns.getQueueAttributes(name), "MNSQueueNotExistError");
});

// ---------------------------------------------------------------- send / receive

test("sendMessage: 201 with MessageId and upper-case MessageBodyMD5; receive returns every field", async () => {
  const name = await newQueue();
  const body = "héllo MNS ✓ 中文";
  const sent = await mns.sendMessage(name, { MessageBody: body, Priority: 3 });
  assert.equal(sent.code, 201);
  assert.ok(sent.body.MessageId);
  assert.equal(sent.body.MessageBodyMD5, md5Upper(body));
  const got = await mns.receiveMessage(name, 1);
  assert.equal(got.code, 200);
  const m = got.body;
  assert.equal(m.MessageId, sent.body.MessageId);
  assert.equal(m.MessageBody, body);
  assert.equal(m.MessageBodyMD5, md5Upper(body));
  assert.equal(m.DequeueCount, "1");
  assert.equal(m.Priority, "3");
  assert.ok(m.ReceiptHandle);
  for (const k of ["EnqueueTime", "FirstDequeueTime", "NextVisibleTime"]) assert.match(m[k], /^\d{13}$/, k);
  assert.ok(Number(m.NextVisibleTime) - Number(m.EnqueueTime) >= 29000);
  const a = (await mns.getQueueAttributes(name)).body;
  assert.deepEqual([a.ActiveMessages, a.InactiveMessages], ["0", "1"]);
});

test("sendMessage: DelaySeconds delays, the queue's DelaySeconds applies", async () => {
  const name = await newQueue();
  await mns.sendMessage(name, { MessageBody: "later", DelaySeconds: 2 });
  await rejectsWith(mns.receiveMessage(name), "MNSMessageNotExistError");
  assert.equal((await mns.getQueueAttributes(name)).body.DelayMessages, "1");
  const got = await receiveN(name, 1, 8);
  assert.deepEqual(got.map((m) => m.MessageBody), ["later"]);
  const delayedQ = await newQueue({ DelaySeconds: 60 });
  await mns.sendMessage(delayedQ, { MessageBody: "queue-delayed" });
  await mns.sendMessage(delayedQ, { MessageBody: "now", DelaySeconds: 0 });
  const now = await receiveN(delayedQ, 1, 2);
  assert.deepEqual(now.map((m) => m.MessageBody), ["now"]);
});

test("sendMessage: invalid arguments → InvalidArgument", async () => {
  const name = await newQueue({ MaximumMessageSize: 1024 });
  await rejectsWith(mns.sendMessage(name, { MessageBody: "x", Priority: 17 }), "MNSInvalidArgumentError");
  await rejectsWith(mns.sendMessage(name, { MessageBody: "x", DelaySeconds: 604801 }), "MNSInvalidArgumentError");
  await rejectsWith(mns.sendMessage(name, { MessageBody: "x".repeat(1025) }), "MNSInvalidArgumentError");
  assert.equal((await mns.getQueueAttributes(name)).body.ActiveMessages, "0");
});

test("sendMessage: a body that breaks the SDK's unescaped XML → MalformedXML", async () => {
  const name = await newQueue();
  // The Node SDK writes MessageBody into the XML without escaping it.
  await rejectsWith(mns.sendMessage(name, { MessageBody: "a <b> & c" }), "MNSMalformedXMLError", {
    message: (e) => assert.match(e.message, /failed with 400.*The XML you provided was not well-formed\./),
  });
});

test("sendMessage: Priority defaults to 8; lower numbers are received first", async () => {
  const name = await newQueue();
  await mns.sendMessage(name, { MessageBody: "default" });
  await mns.sendMessage(name, { MessageBody: "urgent", Priority: 1 });
  await mns.sendMessage(name, { MessageBody: "lazy", Priority: 16 });
  const got = [];
  for (let i = 0; i < 3; i++) got.push((await mns.receiveMessage(name)).body);
  assert.deepEqual(got.map((m) => [m.MessageBody, m.Priority]), [["urgent", "1"], ["default", "8"], ["lazy", "16"]]);
});

test("batchSendMessage: 201 with an entry per message, in order", async () => {
  const name = await newQueue();
  const msgs = Array.from({ length: 16 }, (_, i) => ({ MessageBody: `batch-${i}`, Priority: (i % 16) + 1 }));
  const res = await mns.batchSendMessage(name, msgs);
  assert.equal(res.code, 201);
  assert.equal(res.body.length, 16);
  res.body.forEach((e, i) => {
    assert.ok(e.MessageId);
    assert.equal(e.MessageBodyMD5, md5Upper(`batch-${i}`));
  });
  const got = await receiveN(name, 16);
  assert.deepEqual(got.map((m) => m.MessageBody).sort(), msgs.map((m) => m.MessageBody).sort());
  // by priority: 1 first
  assert.equal(got[0].MessageBody, "batch-0");
});

test("batchSendMessage: a bad entry fails alone (500 with per-entry ErrorCode)", async () => {
  const name = await newQueue();
  const res = await mns.batchSendMessage(name, [{ MessageBody: "good" }, { MessageBody: "bad", Priority: 99 }, { MessageBody: "good2" }]);
  assert.equal(res.code, 500);
  assert.equal(res.body.length, 3);
  assert.ok(res.body[0].MessageId);
  assert.equal(res.body[1].ErrorCode, "InvalidArgument");
  assert.ok(res.body[1].ErrorMessage);
  assert.ok(res.body[2].MessageId);
  const got = await receiveN(name, 2);
  assert.deepEqual(got.map((m) => m.MessageBody).sort(), ["good", "good2"]);
});

test("batchSendMessage: more than 16 messages → InvalidArgument for the request", async () => {
  const name = await newQueue();
  await rejectsWith(mns.batchSendMessage(name, Array.from({ length: 17 }, (_, i) => ({ MessageBody: `m${i}` }))), "MNSInvalidArgumentError");
  assert.equal((await mns.getQueueAttributes(name)).body.ActiveMessages, "0");
});

test("receiveMessage: empty queue → MessageNotExist (404); waitseconds long poll woken by a send", async () => {
  const name = await newQueue();
  const e = await rejectsWith(mns.receiveMessage(name), "MNSMessageNotExistError");
  assert.match(e.message, /failed with 404.*message: Message not exist\.$/);
  const t0 = Date.now();
  await rejectsWith(mns.receiveMessage(name, 1), "MNSMessageNotExistError");
  assert.ok(Date.now() - t0 >= 500, "an empty long poll waits");
  const pending = mns.receiveMessage(name, 10);
  await sleep(300);
  await mns.sendMessage(name, { MessageBody: "wake" });
  assert.equal((await pending).body.MessageBody, "wake");
});

test("receive: the queue's PollingWaitSeconds applies when waitseconds is absent", async () => {
  const name = await newQueue({ PollingWaitSeconds: 5 });
  const pending = mns.receiveMessage(name);
  await sleep(300);
  await mns.sendMessage(name, { MessageBody: "polled" });
  assert.equal((await pending).body.MessageBody, "polled");
});

test("batchReceiveMessage: numOfMessages caps, waitseconds, limits", async () => {
  const name = await newQueue();
  await mns.batchSendMessage(name, Array.from({ length: 5 }, (_, i) => ({ MessageBody: `r${i}` })));
  const three = await mns.batchReceiveMessage(name, 3);
  assert.equal(three.code, 200);
  assert.equal(three.body.length, 3);
  for (const m of three.body) {
    assert.ok(m.ReceiptHandle);
    assert.equal(m.DequeueCount, "1");
    assert.equal(m.MessageBodyMD5, md5Upper(m.MessageBody));
  }
  const rest = await mns.batchReceiveMessage(name, 16, 1);
  assert.equal(rest.body.length, 2);
  await rejectsWith(mns.batchReceiveMessage(name, 16, 1), "MNSMessageNotExistError");
  await rejectsWith(mns.batchReceiveMessage(name, 17), "MNSInvalidArgumentError");
  await rejectsWith(mns.receiveMessage(name, 31), "MNSInvalidArgumentError");
  await rejectsWith(mns.batchReceiveMessage(name, 0), "MNSInvalidArgumentError");
  await rejectsWith(mns.batchPeekMessage(name, 17), "MNSInvalidArgumentError");
});

test("peekMessage / batchPeekMessage: no handle, state unchanged", async () => {
  const name = await newQueue();
  await rejectsWith(mns.peekMessage(name), "MNSMessageNotExistError");
  await mns.batchSendMessage(name, [{ MessageBody: "p1" }, { MessageBody: "p2" }, { MessageBody: "p3" }]);
  const one = await mns.peekMessage(name);
  assert.equal(one.code, 200);
  assert.equal(one.body.ReceiptHandle, undefined);
  assert.ok(one.body.MessageId);
  assert.equal(one.body.MessageBodyMD5, md5Upper(one.body.MessageBody));
  const many = await mns.batchPeekMessage(name, 16);
  assert.equal(many.body.length, 3);
  for (const m of many.body) assert.equal(m.ReceiptHandle, undefined);
  assert.equal((await mns.getQueueAttributes(name)).body.ActiveMessages, "3");
  const got = await mns.batchReceiveMessage(name, 16);
  assert.equal(got.body.length, 3);
  assert.ok(got.body.every((m) => m.DequeueCount === "1"));
  const peekAfter = await mns.batchPeekMessage(name, 16).catch((e) => e);
  assert.equal(peekAfter.name, "MNSMessageNotExistError");
});

// ---------------------------------------------------------------- delete / visibility

test("deleteMessage: 204; deleted again → MessageNotExist; malformed → ReceiptHandleError", async () => {
  const name = await newQueue();
  await mns.sendMessage(name, { MessageBody: "del" });
  const { body: m } = await mns.receiveMessage(name);
  const del = await mns.deleteMessage(name, m.ReceiptHandle);
  assert.equal(del.code, 204);
  await rejectsWith(mns.deleteMessage(name, m.ReceiptHandle), "MNSMessageNotExistError");
  const e = await rejectsWith(mns.deleteMessage(name, "garbage"), "MNSReceiptHandleErrorError");
  assert.match(e.message, /failed with 400.*The receipt handle you provide is not valid\./);
  const a = (await mns.getQueueAttributes(name)).body;
  assert.deepEqual([a.ActiveMessages, a.InactiveMessages], ["0", "0"]);
});

test("batchDeleteMessage: 204 when all succeed; 404 listing only the failed handles", async () => {
  const name = await newQueue();
  await mns.batchSendMessage(name, [{ MessageBody: "a" }, { MessageBody: "b" }, { MessageBody: "c" }]);
  const got = await receiveN(name, 3);
  const ok = await mns.batchDeleteMessage(name, got.slice(0, 2).map((m) => m.ReceiptHandle));
  assert.equal(ok.code, 204);
  assert.equal(ok.body, undefined);
  const partial = await mns.batchDeleteMessage(name, [got[2].ReceiptHandle, "garbage", got[0].ReceiptHandle]);
  assert.equal(partial.code, 404);
  assert.equal(partial.body.length, 2);
  const byHandle = Object.fromEntries(partial.body.map((e) => [e.ReceiptHandle, e]));
  assert.equal(byHandle.garbage.ErrorCode, "ReceiptHandleError");
  assert.equal(byHandle[got[0].ReceiptHandle].ErrorCode, "MessageNotExist");
  for (const e of partial.body) assert.ok(e.ErrorMessage);
  const a = (await mns.getQueueAttributes(name)).body;
  assert.deepEqual([a.ActiveMessages, a.InactiveMessages], ["0", "0"]);
});

test("changeMessageVisibility: NextVisibleTime, the held handle stays usable until a new receive, limits", async () => {
  const name = await newQueue();
  await mns.sendMessage(name, { MessageBody: "cmv" });
  const { body: m } = await mns.receiveMessage(name);
  const before = Date.now();
  const ch = await mns.changeMessageVisibility(name, m.ReceiptHandle, 100);
  assert.equal(ch.code, 200);
  assert.ok(ch.body.ReceiptHandle);
  assert.ok(Number(ch.body.NextVisibleTime) >= before + 90_000, ch.body.NextVisibleTime);
  await rejectsWith(mns.changeMessageVisibility(name, ch.body.ReceiptHandle, 43201), "MNSInvalidArgumentError");
  await rejectsWith(mns.changeMessageVisibility(name, ch.body.ReceiptHandle, 0), "MNSInvalidArgumentError");
  await rejectsWith(mns.changeMessageVisibility(name, "garbage", 10), "MNSReceiptHandleErrorError");
  // The receive's handle still works after the change (Alibaba's PHP SDK suite relies on it):
  // make the message visible again at once (1 s, MNS's minimum) through it.
  await mns.changeMessageVisibility(name, m.ReceiptHandle, 1);
  const again = await receiveN(name, 1, 6);
  assert.equal(again[0].MessageId, m.MessageId);
  assert.equal(again[0].DequeueCount, "2");
  // The new receive retired the earlier handles.
  await rejectsWith(mns.deleteMessage(name, m.ReceiptHandle), "MNSReceiptHandleErrorError");
  await mns.deleteMessage(name, again[0].ReceiptHandle);
});

test("visibility timeout: an unacknowledged message comes back with DequeueCount 2", async () => {
  const name = await newQueue({ VisibilityTimeout: 2 });
  await mns.sendMessage(name, { MessageBody: "again" });
  const first = (await mns.receiveMessage(name)).body;
  await rejectsWith(mns.receiveMessage(name), "MNSMessageNotExistError");
  const second = (await mns.receiveMessage(name, 5)).body;
  assert.equal(second.MessageId, first.MessageId);
  assert.equal(second.DequeueCount, "2");
  assert.equal(second.FirstDequeueTime, first.FirstDequeueTime);
  assert.notEqual(second.ReceiptHandle, first.ReceiptHandle);
});

test("deleteMessage after NextVisibleTime: the handle is no longer valid, the message stays",
  async () => {
    const name = await newQueue({ VisibilityTimeout: 1 });
    await mns.sendMessage(name, { MessageBody: "expired handle" });
    const { body: m } = await mns.receiveMessage(name);
    await sleep(1600);
    assert.equal((await mns.getQueueAttributes(name)).body.ActiveMessages, "1");
    await rejectsWith(mns.deleteMessage(name, m.ReceiptHandle), "MNSMessageNotExistError");
    assert.equal((await mns.peekMessage(name)).body.MessageId, m.MessageId);
  });
