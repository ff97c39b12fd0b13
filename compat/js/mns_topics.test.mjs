// MNS topics and subscriptions through the Alibaba Cloud MNS Node SDK (@alicloud/mns 1.2.0), against
// the MNS API reference (CreateTopic … ListSubscriptionByTopic, PublishMessage, NotifyContentFormat,
// HttpEndpoint) and error catalogue. The SDK implements createTopic, getTopicAttributes,
// setTopicAttributes, listTopic and publishMessage; deleteTopic, subscribe, unsubscribe,
// listSubscriptionByTopic, get/setSubscriptionAttributes and httpEndpoint are empty stubs in 1.2.0,
// so those operations go through the SDK's own request path (client.get/put/delete: its signing,
// its XML body builder, its answer parsing and its `MNS<Code>Error` errors), as an application
// using this SDK would have to.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import http from "node:http";
import { mnsClient, unique, rejectsWith, sleep } from "./common.mjs";

const require = createRequire(import.meta.url);
// The SDK's own XML writer (unescaped, like every SDK call) and reader (xml2js).
const { toXMLBuffer, parseXML } = require("@alicloud/mns/lib/helper");

const mns = mnsClient();
const md5Upper = (s) => createHash("md5").update(s, "utf8").digest("hex").toUpperCase();
// The Node SDK writes values into its XML as they are: text with XML specials must come escaped.
const xmlEscape = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const queueEndpoint = (q) => `acs:mns:cn-hangzhou:123456:queues/${q}`;
// Loopback ports of this file's notification receivers (19650-19698).
let nextPort = 19650;
const port = () => {
  assert.ok(nextPort < 19699, "out of notification ports");
  return nextPort++;
};

// ---- the operations the SDK leaves as stubs, through its request path
const sub = {
  create: (t, s, params, path = "") =>
    mns.put(`/topics/${t}/subscriptions/${s}${path}`, "Subscription", toXMLBuffer("Subscription", params), ["location"]),
  set: (t, s, params) => mns.put(`/topics/${t}/subscriptions/${s}?metaoverride=true`, "Subscription", toXMLBuffer("Subscription", params)),
  get: (t, s) => mns.get(`/topics/${t}/subscriptions/${s}`, "Subscription"),
  delete: (t, s) => mns.delete(`/topics/${t}/subscriptions/${s}`, "Subscription", ""),
  list: async (t, { marker, limit, prefix } = {}) => {
    const headers = {};
    if (marker !== undefined) headers["x-mns-marker"] = marker;
    if (limit !== undefined) headers["x-mns-ret-number"] = limit;
    if (prefix !== undefined) headers["x-mns-prefix"] = prefix;
    return mns.get(`/topics/${t}/subscriptions`, "Subscriptions", { headers });
  },
};
const deleteTopic = (t) => mns.delete(`/topics/${t}`, "Topic", "");

const newTopic = async (params) => {
  const name = unique("jsmt");
  assert.equal((await mns.createTopic(name, params)).code, 201);
  return name;
};
const newQueue = async () => {
  const name = unique("jsmtq");
  await mns.createQueue(name);
  return name;
};
// A topic with one subscription per entry of `formats` (a NotifyContentFormat, or [format, more
// Subscribe parameters]), each into a queue of its own.
async function topicWithQueues(formats) {
  const topic = await newTopic();
  const subs = [];
  for (const [i, entry] of formats.entries()) {
    const [format, extra] = Array.isArray(entry) ? entry : [entry, {}];
    const queue = await newQueue();
    const name = `s${i}-${format.toLowerCase()}`;
    const params = { Endpoint: queueEndpoint(queue), NotifyContentFormat: format, ...extra };
    assert.equal((await sub.create(topic, name, params)).code, 201);
    subs.push({ name, queue, format });
  }
  return { topic, subs };
}
// The next message of `queue`, or undefined. No wait: a queue endpoint has its notification
// before the publish is answered.
async function nextMessage(queue) {
  try {
    return (await mns.receiveMessage(queue)).body;
  } catch (e) {
    if (e.name === "MNSMessageNotExistError") return undefined;
    throw e;
  }
}
// A parsed XML document's root element as { child: text }.
const flat = (doc, root) => {
  assert.ok(doc[root], `expected a <${root}> document, got ${JSON.stringify(doc)}`);
  return Object.fromEntries(Object.entries(doc[root]).filter(([k]) => k !== "$").map(([k, v]) => [k, v[0]]));
};

// A node HTTP server on a port of this file: records every request and answers with
// `respond(request, count)` (204 by default).
async function receiver(t, respond = () => 204) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const r = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(r);
      res.writeHead(respond(r, requests.length));
      res.end();
    });
  });
  const p = port();
  await new Promise((ok, bad) => {
    server.once("error", bad);
    server.listen(p, "127.0.0.1", ok);
  });
  t.after(() => {
    server.closeAllConnections();
    return new Promise((ok) => server.close(ok));
  });
  return {
    url: `http://127.0.0.1:${p}`,
    requests,
    // Waits (bounded) until `n` requests arrived; returns them.
    async waitFor(n, ms = 10_000) {
      const end = Date.now() + ms;
      while (requests.length < n && Date.now() < end) await sleep(50);
      assert.ok(requests.length >= n, `expected ${n} notification(s) within ${ms} ms, got ${requests.length}`);
      return requests.slice(0, n);
    },
  };
}

function checkNotification(n, { owner, topic, subscription, published, body, tag, before, after }) {
  assert.equal(n.TopicOwner, owner);
  assert.equal(n.Subscriber, owner);
  assert.equal(n.TopicName, topic);
  assert.equal(n.SubscriptionName, subscription);
  assert.equal(n.MessageId, published.MessageId);
  assert.equal(n.Message, body);
  assert.equal(n.MessageMD5, md5Upper(body));
  assert.equal(n.MessageMD5, published.MessageBodyMD5);
  assert.equal(n.MessageTag, tag);
  assert.match(n.PublishTime, /^\d{13}$/);
  assert.ok(Number(n.PublishTime) >= before - 1000 && Number(n.PublishTime) <= after + 1000, `PublishTime ${n.PublishTime}`);
}

// ---------------------------------------------------------------- the SDK's surface

test("SDK 1.2.0: the topic methods it implements exist, the subscription ones are stubs", () => {
  for (const m of ["createTopic", "getTopicAttributes", "setTopicAttributes", "listTopic", "publishMessage"]) {
    assert.equal(typeof mns[m], "function", m);
  }
  // If a later SDK implements these, this file should call them instead of client.get/put/delete.
  for (const m of ["deleteTopic", "subscribe", "unsubscribe", "listSubscriptionByTopic", "getSubscriptionAttributes", "setSubscriptionAttributes"]) {
    assert.equal(mns[m]("t", "s", {}), undefined, `${m} is no longer a stub`);
  }
});

// ---------------------------------------------------------------- topics

test("createTopic: 201 + Location, 204 when identical, TopicAlreadyExist (409) when different", async () => {
  const name = unique("jsmtc");
  const created = await mns.createTopic(name, { MaximumMessageSize: 2048 });
  assert.equal(created.code, 201);
  assert.equal(created.body, undefined);
  assert.ok(created.headers.location.endsWith(`/topics/${name}`), created.headers.location);
  const again = await mns.createTopic(name, { MaximumMessageSize: 2048 });
  assert.equal(again.code, 204);
  const e = await rejectsWith(mns.createTopic(name, { MaximumMessageSize: 4096 }), "MNSTopicAlreadyExistError");
  assert.match(e.message, /^PUT .*\/topics\/jsmtc\S* failed with 409\. requestid: [0-9A-F]{24}, hostid: .+, message: The topic you want to create is already exist\.$/);
  await rejectsWith(mns.createTopic(name, { MaximumMessageSize: 2048, LoggingEnabled: "True" }), "MNSTopicAlreadyExistError");
  assert.equal((await mns.getTopicAttributes(name)).body.MaximumMessageSize, "2048");
});

test("getTopicAttributes: defaults and every documented field", async () => {
  const name = await newTopic();
  const { code, body } = await mns.getTopicAttributes(name);
  assert.equal(code, 200);
  assert.deepEqual(Object.keys(body).sort(),
    ["CreateTime", "LastModifyTime", "LoggingEnabled", "MaximumMessageSize", "MessageCount", "MessageRetentionPeriod", "TopicName"]);
  assert.equal(body.TopicName, name);
  assert.equal(body.MaximumMessageSize, "65536");
  assert.equal(body.MessageRetentionPeriod, "86400");
  assert.equal(body.MessageCount, "0");
  assert.equal(body.LoggingEnabled, "False");
  assert.match(body.CreateTime, /^\d{10}$/);
  assert.ok(Math.abs(Number(body.CreateTime) - Date.now() / 1000) < 60, body.CreateTime);
  assert.match(body.LastModifyTime, /^\d{10}$/);
});

test("createTopic with attributes; setTopicAttributes: 204, changes only what is given", async () => {
  const name = await newTopic({ MaximumMessageSize: 1024, LoggingEnabled: "True" });
  let a = (await mns.getTopicAttributes(name)).body;
  assert.deepEqual([a.MaximumMessageSize, a.LoggingEnabled], ["1024", "True"]);
  const set = await mns.setTopicAttributes(name, { MaximumMessageSize: 8192 });
  assert.equal(set.code, 204);
  a = (await mns.getTopicAttributes(name)).body;
  assert.deepEqual([a.MaximumMessageSize, a.LoggingEnabled, a.MessageRetentionPeriod], ["8192", "True", "86400"]);
  await mns.setTopicAttributes(name, { LoggingEnabled: "False" });
  a = (await mns.getTopicAttributes(name)).body;
  assert.deepEqual([a.MaximumMessageSize, a.LoggingEnabled], ["8192", "False"]);
  assert.ok(Number(a.LastModifyTime) >= Number(a.CreateTime));
});

test("topic attributes out of range → InvalidArgument; nothing changes", async () => {
  const name = await newTopic();
  for (const bad of [{ MaximumMessageSize: 1023 }, { MaximumMessageSize: 65537 }, { MaximumMessageSize: "many" }, { LoggingEnabled: "yes" }]) {
    await rejectsWith(mns.setTopicAttributes(name, bad), "MNSInvalidArgumentError", { message: (e) => assert.match(e.message, /failed with 400/) });
    await rejectsWith(mns.createTopic(unique("jsmtbad"), bad), "MNSInvalidArgumentError");
  }
  const e = await rejectsWith(mns.setTopicAttributes(name, { MaximumMessageSize: 1023 }), "MNSInvalidArgumentError");
  assert.match(e.message, /MaximumMessageSize/);
  const a = (await mns.getTopicAttributes(name)).body;
  assert.deepEqual([a.MaximumMessageSize, a.LoggingEnabled], ["65536", "False"]);
});

test("topic names: TopicNameInvalid, TopicNameLengthError; 255 characters are fine", async () => {
  for (const bad of ["bad_name", "-dash-first", "dot.ted"]) {
    const e = await rejectsWith(mns.createTopic(bad), "MNSTopicNameInvalidError");
    assert.match(e.message, /failed with 400/);
  }
  await rejectsWith(mns.createTopic(`a${"b".repeat(255)}`), "MNSTopicNameLengthErrorError", {
    message: (e) => assert.match(e.message, /failed with 400/),
  });
  const longest = `${unique("jsmtl")}`.padEnd(255, "x");
  assert.equal((await mns.createTopic(longest)).code, 201);
  assert.equal((await mns.getTopicAttributes(longest)).body.TopicName, longest);
  await deleteTopic(longest);
});

test("missing topic → TopicNotExist (404) for every topic operation", async () => {
  const missing = unique("jsmtmissing");
  const e = await rejectsWith(mns.getTopicAttributes(missing), "MNSTopicNotExistError");
  assert.match(e.message, /^GET .*\/topics\/jsmtmissing\S* failed with 404\. requestid: [0-9A-F]{24}, hostid: .+, message: The topic name you provided is not exist\.$/);
  await rejectsWith(mns.setTopicAttributes(missing, { MaximumMessageSize: 2048 }), "MNSTopicNotExistError");
  await rejectsWith(mns.publishMessage(missing, { MessageBody: "x" }), "MNSTopicNotExistError");
  await rejectsWith(sub.create(missing, "s", { Endpoint: queueEndpoint("q") }), "MNSTopicNotExistError");
  await rejectsWith(sub.list(missing), "MNSTopicNotExistError");
  await rejectsWith(sub.get(missing, "s"), "MNSTopicNotExistError");
  await rejectsWith(sub.set(missing, "s", { NotifyStrategy: "BACKOFF_RETRY" }), "MNSTopicNotExistError");
  // DeleteTopic and Unsubscribe of what is not there succeed (API reference: 204).
  assert.equal((await deleteTopic(missing)).code, 204);
  assert.equal((await sub.delete(missing, "s")).code, 204);
});

test("listTopic: prefix, ret-number and marker; TopicURL of each; no queues among them", async () => {
  const prefix = unique("jsmtl");
  const names = [];
  for (let i = 0; i < 4; i++) {
    names.push(`${prefix}-${i}`);
    await mns.createTopic(`${prefix}-${i}`);
  }
  await mns.createQueue(`${prefix}-queue`);
  const all = await mns.listTopic(undefined, 1000, prefix);
  assert.equal(all.code, 200);
  assert.deepEqual(all.body.map((t) => t.TopicURL.replace(/^.*\/topics\//, "")), names);
  for (const t of all.body) assert.match(t.TopicURL, /^http:\/\/[^/]+\/topics\/[^/]+$/);
  const two = await mns.listTopic(undefined, 2, prefix);
  assert.deepEqual(two.body.map((t) => t.TopicURL.replace(/^.*\/topics\//, "")), names.slice(0, 2));
  const rest = await mns.listTopic(`${prefix}-1`, 10, prefix);
  assert.deepEqual(rest.body.map((t) => t.TopicURL.replace(/^.*\/topics\//, "")), names.slice(2));
  await rejectsWith(mns.listTopic(undefined, 1001, prefix), "MNSInvalidArgumentError");
  await rejectsWith(mns.listTopic(undefined, 0, prefix), "MNSInvalidArgumentError");
  const none = await mns.listTopic(undefined, 10, unique("jsmtnone"));
  assert.equal(none.code, 200);
  assert.equal(none.body, undefined);
  // Topics are not queues and queues are not topics.
  assert.deepEqual((await mns.listQueue(undefined, 1000, prefix)).body.map((q) => q.QueueURL.replace(/^.*\/queues\//, "")), [`${prefix}-queue`]);
  await rejectsWith(mns.getQueueAttributes(names[0]), "MNSQueueNotExistError");
  await rejectsWith(mns.getTopicAttributes(`${prefix}-queue`), "MNSTopicNotExistError");
});

test("ListTopic: NextMarker pages through, x-mns-with-meta adds each topic's attributes", async () => {
  const prefix = unique("jsmtm");
  for (let i = 0; i < 3; i++) await mns.createTopic(`${prefix}-${i}`, { MaximumMessageSize: 1024 * (i + 1) });
  const seen = [];
  let marker;
  for (let page = 0; page < 5; page++) {
    const headers = { "x-mns-ret-number": 2, "x-mns-prefix": prefix };
    if (marker !== undefined) headers["x-mns-marker"] = marker;
    const { body } = await mns.get("/topics", "Topics", { headers });
    seen.push(...body.Topic.map((t) => t.TopicURL.replace(/^.*\/topics\//, "")));
    marker = body.NextMarker;
    if (marker === undefined) break;
  }
  assert.deepEqual(seen, [0, 1, 2].map((i) => `${prefix}-${i}`));
  const meta = await mns.get("/topics", "Topics", { headers: { "x-mns-ret-number": 10, "x-mns-prefix": prefix, "x-mns-with-meta": "true" } });
  assert.deepEqual(meta.body.Topic.map((t) => [t.TopicName, t.MaximumMessageSize]),
    [0, 1, 2].map((i) => [`${prefix}-${i}`, String(1024 * (i + 1))]));
  for (const t of meta.body.Topic) assert.match(t.CreateTime, /^\d{10}$/);
});

test("deleteTopic: 204, the topic and its subscriptions are gone", async () => {
  const { topic, subs } = await topicWithQueues(["XML", "SIMPLIFIED"]);
  const del = await deleteTopic(topic);
  assert.equal(del.code, 204);
  assert.equal(del.body, undefined);
  await rejectsWith(mns.getTopicAttributes(topic), "MNSTopicNotExistError");
  await rejectsWith(mns.publishMessage(topic, { MessageBody: "after" }), "MNSTopicNotExistError");
  assert.equal((await mns.listTopic(undefined, 10, topic)).body, undefined);
  // A topic of the same name starts without subscriptions.
  await mns.createTopic(topic);
  assert.equal((await sub.list(topic)).body.Subscription, undefined);
  await rejectsWith(sub.get(topic, subs[0].name), "MNSSubscriptionNotExistError");
  await mns.publishMessage(topic, { MessageBody: "to nobody" });
  for (const s of subs) assert.equal(await nextMessage(s.queue), undefined, s.name);
  // The subscribed queues themselves stay.
  for (const s of subs) assert.equal((await mns.getQueueAttributes(s.queue)).code, 200);
});

// ---------------------------------------------------------------- subscriptions

test("Subscribe: 201 + Location, 204 when identical (defaults included), SubscriptionAlreadyExist (409) otherwise", async () => {
  const topic = await newTopic();
  const queue = await newQueue();
  const created = await sub.create(topic, "s1", { Endpoint: queueEndpoint(queue) });
  assert.equal(created.code, 201);
  assert.equal(created.body, undefined);
  assert.ok(created.headers.location.endsWith(`/topics/${topic}/subscriptions/s1`), created.headers.location);
  const same = await sub.create(topic, "s1", { Endpoint: queueEndpoint(queue), NotifyStrategy: "BACKOFF_RETRY", NotifyContentFormat: "XML" });
  assert.equal(same.code, 204);
  for (const other of [
    { Endpoint: queueEndpoint(`${queue}x`) },
    { Endpoint: queueEndpoint(queue), FilterTag: "t" },
    { Endpoint: queueEndpoint(queue), NotifyContentFormat: "JSON" },
    { Endpoint: queueEndpoint(queue), NotifyStrategy: "EXPONENTIAL_DECAY_RETRY" },
  ]) {
    const e = await rejectsWith(sub.create(topic, "s1", other), "MNSSubscriptionAlreadyExistError");
    assert.match(e.message, /^PUT .* failed with 409\. requestid: [0-9A-F]{24}, hostid: .+, message: .+$/);
  }
  assert.equal((await sub.get(topic, "s1")).body.NotifyContentFormat, "XML");
});

test("GetSubscriptionAttributes: every documented field", async () => {
  const topic = await newTopic();
  const queue = await newQueue();
  await sub.create(topic, "plain", { Endpoint: queueEndpoint(queue) });
  await sub.create(topic, "tuned", { Endpoint: "http://127.0.0.1:19698/hook", FilterTag: "important", NotifyStrategy: "EXPONENTIAL_DECAY_RETRY", NotifyContentFormat: "JSON" });
  const { code, body: a } = await sub.get(topic, "plain");
  assert.equal(code, 200);
  assert.deepEqual(Object.keys(a).sort(), ["CreateTime", "Endpoint", "FilterTag", "LastModifyTime", "NotifyContentFormat", "NotifyStrategy",
    "Subscriber", "SubscriptionName", "TopicName", "TopicOwner"]);
  assert.equal(a.SubscriptionName, "plain");
  assert.equal(a.TopicName, topic);
  assert.match(a.TopicOwner, /^\d+$/);
  assert.equal(a.Subscriber, a.TopicOwner);
  assert.equal(a.Endpoint, queueEndpoint(queue));
  assert.equal(a.NotifyStrategy, "BACKOFF_RETRY");
  assert.equal(a.NotifyContentFormat, "XML");
  assert.equal(a.FilterTag, "");
  assert.match(a.CreateTime, /^\d{10}$/);
  assert.ok(Math.abs(Number(a.CreateTime) - Date.now() / 1000) < 60, a.CreateTime);
  assert.match(a.LastModifyTime, /^\d{10}$/);
  const b = (await sub.get(topic, "tuned")).body;
  assert.deepEqual([b.Endpoint, b.FilterTag, b.NotifyStrategy, b.NotifyContentFormat],
    ["http://127.0.0.1:19698/hook", "important", "EXPONENTIAL_DECAY_RETRY", "JSON"]);
});

test("SetSubscriptionAttributes: 204, changes NotifyStrategy only; bad value → InvalidArgument; SubscriptionNotExist", async () => {
  const topic = await newTopic();
  const queue = await newQueue();
  await sub.create(topic, "s", { Endpoint: queueEndpoint(queue), FilterTag: "keep", NotifyContentFormat: "SIMPLIFIED" });
  const set = await sub.set(topic, "s", { NotifyStrategy: "EXPONENTIAL_DECAY_RETRY" });
  assert.equal(set.code, 204);
  assert.equal(set.body, undefined);
  let a = (await sub.get(topic, "s")).body;
  assert.deepEqual([a.NotifyStrategy, a.FilterTag, a.NotifyContentFormat, a.Endpoint],
    ["EXPONENTIAL_DECAY_RETRY", "keep", "SIMPLIFIED", queueEndpoint(queue)]);
  assert.ok(Number(a.LastModifyTime) >= Number(a.CreateTime));
  await sub.set(topic, "s", { NotifyStrategy: "BACKOFF_RETRY" });
  assert.equal((await sub.get(topic, "s")).body.NotifyStrategy, "BACKOFF_RETRY");
  await rejectsWith(sub.set(topic, "s", { NotifyStrategy: "SOMETIMES" }), "MNSInvalidArgumentError", {
    message: (e) => assert.match(e.message, /failed with 400/),
  });
  a = (await sub.get(topic, "s")).body;
  assert.equal(a.NotifyStrategy, "BACKOFF_RETRY");
  const e = await rejectsWith(sub.set(topic, "nope", { NotifyStrategy: "BACKOFF_RETRY" }), "MNSSubscriptionNotExistError");
  assert.match(e.message, /failed with 404\. .*message: The subscription name you provided is not exist\.$/);
  await rejectsWith(sub.get(topic, "nope"), "MNSSubscriptionNotExistError", { message: (e2) => assert.match(e2.message, /failed with 404/) });
});

test("Subscribe: name, endpoint and attribute errors", async () => {
  const topic = await newTopic();
  const ok = { Endpoint: queueEndpoint("q") };
  for (const bad of ["bad_name", "-dash-first"]) {
    await rejectsWith(sub.create(topic, bad, ok), "MNSSubscriptionNameInvalidError", { message: (e) => assert.match(e.message, /failed with 400/) });
  }
  await rejectsWith(sub.create(topic, `a${"b".repeat(255)}`, ok), "MNSSubscriptionNameLengthErrorError", {
    message: (e) => assert.match(e.message, /failed with 400/),
  });
  for (const endpoint of [
    "https://",
    "ftp://example.com",
    "acs:mns:cn-hangzhou:123456:topics/t",
    "acs:mns:cn-hangzhou:queues/q",
    "http://",
  ]) {
    const e = await rejectsWith(sub.create(topic, "s", { Endpoint: endpoint }), "MNSEndpointInvalidError");
    assert.match(e.message, /failed with 400/, endpoint);
  }
  await rejectsWith(sub.create(topic, "s", { FilterTag: "x" }), "MNSEndpointInvalidError");
  await rejectsWith(sub.create(topic, "s", { ...ok, NotifyContentFormat: "YAML" }), "MNSInvalidArgumentError");
  await rejectsWith(sub.create(topic, "s", { ...ok, NotifyStrategy: "NEVER" }), "MNSInvalidArgumentError");
  await rejectsWith(sub.create(topic, "s", { ...ok, FilterTag: "x".repeat(17) }), "MNSInvalidArgumentError");
  // Documented endpoints polyq cannot deliver to are subscribed all the same (delivery to
  // them is dropped with a log line).
  for (const [name, endpoint] of [
    ["tls", "https://example.com/hook"],
    ["mail", "mail:directmail:someone@example.com"],
    ["sms", "sms:directsms:anonymous"],
  ]) {
    assert.equal((await sub.create(topic, name, { Endpoint: endpoint })).code, 201, endpoint);
    assert.equal((await sub.get(topic, name)).body.Endpoint, endpoint);
    await sub.delete(topic, name);
  }
  // None of these made a subscription; the longest name and tag are fine.
  assert.equal((await sub.list(topic)).body.Subscription, undefined);
  const longest = "s".repeat(255);
  assert.equal((await sub.create(topic, longest, { ...ok, FilterTag: "x".repeat(16) })).code, 201);
  assert.equal((await sub.get(topic, longest)).body.FilterTag, "x".repeat(16));
});

test("ListSubscriptionByTopic: SubscriptionURL of each, prefix, ret-number, marker and NextMarker; per topic", async () => {
  const topic = await newTopic();
  const other = `${topic}-2`;
  await mns.createTopic(other);
  const queue = await newQueue();
  const names = ["a-0", "a-1", "a-2", "b-0"];
  for (const n of names) await sub.create(topic, n, { Endpoint: queueEndpoint(queue) });
  await sub.create(other, "a-9", { Endpoint: queueEndpoint(queue) });
  const all = await sub.list(topic);
  assert.equal(all.code, 200);
  const urls = all.body.Subscription.map((s) => s.SubscriptionURL);
  assert.deepEqual(urls.map((u) => u.replace(/^.*\/subscriptions\//, "")), names);
  for (const u of urls) assert.match(u, new RegExp(`^http://[^/]+/topics/${topic}/subscriptions/[^/]+$`));
  assert.equal(all.body.NextMarker, undefined);
  const prefixed = await sub.list(topic, { prefix: "a-" });
  assert.deepEqual(prefixed.body.Subscription.map((s) => s.SubscriptionURL.replace(/^.*\/subscriptions\//, "")), ["a-0", "a-1", "a-2"]);
  // Paging with ret-number and NextMarker.
  const seen = [];
  let marker;
  for (let page = 0; page < 5; page++) {
    const { body } = await sub.list(topic, { limit: 3, marker });
    seen.push(...body.Subscription.map((s) => s.SubscriptionURL.replace(/^.*\/subscriptions\//, "")));
    marker = body.NextMarker;
    if (marker === undefined) break;
  }
  assert.deepEqual(seen, names);
  await rejectsWith(sub.list(topic, { limit: 1001 }), "MNSInvalidArgumentError");
  await rejectsWith(sub.list(topic, { limit: 0 }), "MNSInvalidArgumentError");
  assert.deepEqual((await sub.list(other)).body.Subscription.map((s) => s.SubscriptionURL.replace(/^.*\/subscriptions\//, "")), ["a-9"]);
});

test("Unsubscribe: 204, the subscription is gone and gets nothing more; again → 204", async () => {
  const { topic, subs: [s, kept] } = await topicWithQueues(["SIMPLIFIED", "SIMPLIFIED"]);
  const del = await sub.delete(topic, s.name);
  assert.equal(del.code, 204);
  assert.equal(del.body, undefined);
  await rejectsWith(sub.get(topic, s.name), "MNSSubscriptionNotExistError");
  assert.deepEqual((await sub.list(topic)).body.Subscription.map((x) => x.SubscriptionURL.replace(/^.*\/subscriptions\//, "")), [kept.name]);
  await mns.publishMessage(topic, { MessageBody: "after unsubscribe" });
  assert.equal((await nextMessage(kept.queue))?.MessageBody, "after unsubscribe");
  assert.equal(await nextMessage(s.queue), undefined);
  assert.equal((await sub.delete(topic, s.name)).code, 204);
  // Subscribing again under the name works.
  assert.equal((await sub.create(topic, s.name, { Endpoint: queueEndpoint(s.queue), NotifyContentFormat: "JSON" })).code, 201);
});

// ---------------------------------------------------------------- publish → queue endpoints

test("PublishMessage: 201 with MessageId and upper-case MessageBodyMD5, also with no subscription", async () => {
  const topic = await newTopic();
  const body = "nobody listens";
  const res = await mns.publishMessage(topic, { MessageBody: body });
  assert.equal(res.code, 201);
  assert.deepEqual(Object.keys(res.body).sort(), ["MessageBodyMD5", "MessageId"]);
  assert.match(res.body.MessageId, /^\S+$/);
  assert.equal(res.body.MessageBodyMD5, md5Upper(body));
  const again = await mns.publishMessage(topic, { MessageBody: body });
  assert.notEqual(again.body.MessageId, res.body.MessageId);
  assert.equal((await mns.getTopicAttributes(topic)).body.MessageCount, "0");
});

test("publish → queue endpoints in XML, JSON and SIMPLIFIED: every field of the notification", async () => {
  const { topic, subs } = await topicWithQueues(["XML", "JSON", "SIMPLIFIED"]);
  const owner = (await sub.get(topic, subs[0].name)).body.TopicOwner;
  const body = "héllo ✓ 中文 & <b>\"quoted\"</b> 'x'";
  const before = Date.now();
  const published = (await mns.publishMessage(topic, { MessageBody: xmlEscape(body), MessageTag: "tag-1" })).body;
  const after = Date.now();
  assert.equal(published.MessageBodyMD5, md5Upper(body));
  const got = {};
  for (const s of subs) {
    // Delivered before the publish was answered: no wait needed.
    const m = (await mns.receiveMessage(s.queue)).body;
    assert.equal(m.MessageBodyMD5, md5Upper(m.MessageBody), `${s.format}: the queue message's own MD5`);
    got[s.format] = m.MessageBody;
  }
  const expected = { owner, topic, published, body, tag: "tag-1", before, after };
  const xml = flat(await parseXML(got.XML), "Notification");
  assert.deepEqual(Object.keys(xml).sort(), ["Message", "MessageId", "MessageMD5", "MessageTag", "PublishTime", "Subscriber", "SubscriptionName", "TopicName", "TopicOwner"]);
  checkNotification(xml, { ...expected, subscription: subs[0].name });
  const json = JSON.parse(got.JSON);
  assert.equal(typeof json.PublishTime, "string", "JSON PublishTime is a string, as documented");
  checkNotification(json, { ...expected, subscription: subs[1].name });
  assert.equal(got.SIMPLIFIED, body);
  // One notification each.
  for (const s of subs) assert.equal(await nextMessage(s.queue), undefined, s.format);
});

test("publish without MessageTag: no MessageTag in XML or JSON", async () => {
  const { topic, subs } = await topicWithQueues(["XML", "JSON"]);
  const published = (await mns.publishMessage(topic, { MessageBody: "untagged" })).body;
  const xml = flat(await parseXML((await mns.receiveMessage(subs[0].queue)).body.MessageBody), "Notification");
  assert.equal(xml.MessageId, published.MessageId);
  assert.equal(xml.Message, "untagged");
  assert.equal("MessageTag" in xml, false);
  const json = JSON.parse((await mns.receiveMessage(subs[1].queue)).body.MessageBody);
  assert.equal(json.MessageId, published.MessageId);
  assert.equal("MessageTag" in json, false);
});

test("publish: several messages arrive in order, each with its own MessageId", async () => {
  const { topic, subs: [s] } = await topicWithQueues(["JSON"]);
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await mns.publishMessage(topic, { MessageBody: `m${i}` })).body.MessageId);
  assert.equal(new Set(ids).size, 5);
  const got = (await mns.batchReceiveMessage(s.queue, 16)).body.map((m) => JSON.parse(m.MessageBody));
  assert.deepEqual(got.map((n) => [n.Message, n.MessageId]), ids.map((id, i) => [`m${i}`, id]));
});

test("FilterTag: a tagged subscription gets only its tag, an untagged one everything", async () => {
  const { topic, subs: [a, b, all] } = await topicWithQueues([["SIMPLIFIED", { FilterTag: "alpha" }], ["SIMPLIFIED", { FilterTag: "beta" }], "SIMPLIFIED"]);
  assert.equal((await sub.get(topic, a.name)).body.FilterTag, "alpha");
  await mns.publishMessage(topic, { MessageBody: "for-alpha", MessageTag: "alpha" });
  await mns.publishMessage(topic, { MessageBody: "for-beta", MessageTag: "beta" });
  await mns.publishMessage(topic, { MessageBody: "untagged" });
  await mns.publishMessage(topic, { MessageBody: "other-tag", MessageTag: "gamma" });
  await mns.publishMessage(topic, { MessageBody: "case", MessageTag: "Alpha" });
  const drain = async (q) => {
    const out = [];
    for (let m = await nextMessage(q); m; m = await nextMessage(q)) {
      out.push(m.MessageBody);
      if (out.length > 10) break;
    }
    return out;
  };
  assert.deepEqual(await drain(a.queue), ["for-alpha"]);
  assert.deepEqual(await drain(b.queue), ["for-beta"]);
  assert.deepEqual(await drain(all.queue), ["for-alpha", "for-beta", "untagged", "other-tag", "case"]);
});

test("publish errors: MessageTag > 16, empty or oversized body, unescaped XML from the SDK", async () => {
  const topic = await newTopic({ MaximumMessageSize: 1024 });
  const queue = await newQueue();
  await sub.create(topic, "s", { Endpoint: queueEndpoint(queue), NotifyContentFormat: "SIMPLIFIED" });
  await rejectsWith(mns.publishMessage(topic, { MessageBody: "x", MessageTag: "t".repeat(17) }), "MNSInvalidArgumentError", {
    message: (e) => assert.match(e.message, /failed with 400/),
  });
  await rejectsWith(mns.publishMessage(topic, { MessageBody: "x".repeat(1025) }), "MNSInvalidArgumentError");
  await rejectsWith(mns.publishMessage(topic, { MessageBody: "" }), "MNSInvalidArgumentError");
  await rejectsWith(mns.publishMessage(topic, { MessageBody: "a <b> & c" }), "MNSMalformedXMLError", {
    message: (e) => assert.match(e.message, /failed with 400.*The XML you provided was not well-formed\./),
  });
  assert.equal(await nextMessage(queue), undefined, "a refused publish delivers nothing");
  // At the limits it is accepted.
  await mns.publishMessage(topic, { MessageBody: "y".repeat(1024), MessageTag: "t".repeat(16) });
  assert.equal((await nextMessage(queue)).MessageBody, "y".repeat(1024));
  // The topic's limit follows SetTopicAttributes.
  await mns.setTopicAttributes(topic, { MaximumMessageSize: 2048 });
  await mns.publishMessage(topic, { MessageBody: "z".repeat(2000) });
  assert.equal((await nextMessage(queue)).MessageBody.length, 2000);
});

test("a queue endpoint whose queue does not exist loses the notification; the publish succeeds", async () => {
  const topic = await newTopic();
  const queue = unique("jsmtlater");
  const live = await newQueue();
  await sub.create(topic, "gone", { Endpoint: queueEndpoint(queue), NotifyContentFormat: "SIMPLIFIED" });
  await sub.create(topic, "live", { Endpoint: queueEndpoint(live), NotifyContentFormat: "SIMPLIFIED" });
  assert.equal((await mns.publishMessage(topic, { MessageBody: "lost" })).code, 201);
  assert.equal((await nextMessage(live)).MessageBody, "lost");
  await mns.createQueue(queue);
  await mns.publishMessage(topic, { MessageBody: "found" });
  assert.equal((await nextMessage(queue)).MessageBody, "found");
  assert.equal(await nextMessage(queue), undefined);
});

// ---------------------------------------------------------------- publish → HTTP endpoints

test("HTTP endpoint without a path: POST /notifications, XML body, x-mns-* headers", async (t) => {
  const rx = await receiver(t);
  const topic = await newTopic();
  await sub.create(topic, "web", { Endpoint: rx.url });
  const owner = (await sub.get(topic, "web")).body.TopicOwner;
  const body = "pushed & <escaped> ✓";
  const before = Date.now();
  const published = (await mns.publishMessage(topic, { MessageBody: xmlEscape(body), MessageTag: "hot" })).body;
  const after = Date.now();
  const [r] = await rx.waitFor(1);
  assert.equal(r.method, "POST");
  assert.equal(r.url, "/notifications");
  assert.match(r.headers["content-type"], /^text\/xml/);
  assert.equal(r.headers["x-mns-message-id"], published.MessageId);
  assert.equal(r.headers["x-mns-message-tag"], "hot");
  assert.ok(r.headers["x-mns-request-id"], "x-mns-request-id");
  assert.ok(!Number.isNaN(Date.parse(r.headers.date)), `Date ${r.headers.date}`);
  const n = flat(await parseXML(r.body), "Notification");
  checkNotification(n, { owner, topic, subscription: "web", published, body, tag: "hot", before, after });
  await sleep(1500);
  assert.equal(rx.requests.length, 1, "a notification answered 204 is pushed once");
});

test("HTTP endpoint with a path and query: used as given; SIMPLIFIED body; JSON body", async (t) => {
  const rx = await receiver(t);
  const topic = await newTopic();
  await sub.create(topic, "simple", { Endpoint: `${rx.url}/hooks/mns?src=polyq`, NotifyContentFormat: "SIMPLIFIED" });
  await sub.create(topic, "json", { Endpoint: `${rx.url}/hooks/json`, NotifyContentFormat: "JSON" });
  const body = "{\"k\": [1, 2, \"ü\"]}";
  const published = (await mns.publishMessage(topic, { MessageBody: body, MessageTag: "j" })).body;
  const got = await rx.waitFor(2);
  const byUrl = Object.fromEntries(got.map((r) => [r.url, r]));
  assert.deepEqual(Object.keys(byUrl).sort(), ["/hooks/json", "/hooks/mns?src=polyq"]);
  const simple = byUrl["/hooks/mns?src=polyq"];
  assert.equal(simple.method, "POST");
  assert.equal(simple.body, body);
  assert.equal(simple.headers["x-mns-message-id"], published.MessageId);
  assert.equal(simple.headers["x-mns-message-tag"], "j");
  const json = byUrl["/hooks/json"];
  assert.match(json.headers["content-type"], /^application\/json/);
  const n = JSON.parse(json.body);
  assert.equal(n.MessageId, published.MessageId);
  assert.equal(n.Message, body);
  assert.equal(n.MessageTag, "j");
  assert.equal(n.SubscriptionName, "json");
  assert.equal(n.TopicName, topic);
  assert.equal(n.MessageMD5, md5Upper(body));
});

test("HTTP endpoint: untagged publish has no x-mns-message-tag; FilterTag filters pushes too", async (t) => {
  const rx = await receiver(t);
  const topic = await newTopic();
  await sub.create(topic, "any", { Endpoint: `${rx.url}/any`, NotifyContentFormat: "SIMPLIFIED" });
  await sub.create(topic, "only-red", { Endpoint: `${rx.url}/red`, NotifyContentFormat: "SIMPLIFIED", FilterTag: "red" });
  const plain = (await mns.publishMessage(topic, { MessageBody: "plain" })).body;
  const red = (await mns.publishMessage(topic, { MessageBody: "red one", MessageTag: "red" })).body;
  await rx.waitFor(3);
  await sleep(1000);
  const seen = rx.requests.map((r) => [r.url, r.body, r.headers["x-mns-message-id"], r.headers["x-mns-message-tag"]]);
  seen.sort((x, y) => (x.join() < y.join() ? -1 : 1));
  assert.deepEqual(seen, [
    ["/any", "plain", plain.MessageId, undefined],
    ["/any", "red one", red.MessageId, "red"],
    ["/red", "red one", red.MessageId, "red"],
  ]);
});

test("HTTP endpoint: a failed push is retried (EXPONENTIAL_DECAY_RETRY) until answered 2xx, then no more", async (t) => {
  const rx = await receiver(t, (_r, count) => (count === 1 ? 500 : 204));
  const topic = await newTopic();
  await sub.create(topic, "flaky", { Endpoint: rx.url, NotifyContentFormat: "SIMPLIFIED", NotifyStrategy: "EXPONENTIAL_DECAY_RETRY" });
  const published = (await mns.publishMessage(topic, { MessageBody: "again" })).body;
  const [first, second] = await rx.waitFor(2, 15_000);
  for (const r of [first, second]) {
    assert.equal(r.url, "/notifications");
    assert.equal(r.body, "again");
    assert.equal(r.headers["x-mns-message-id"], published.MessageId);
  }
  assert.notEqual(first.headers["x-mns-request-id"], second.headers["x-mns-request-id"], "each push has its own request id");
  await sleep(2500);
  assert.equal(rx.requests.length, 2, "delivered: no further pushes");
});

test("HTTP endpoint: Unsubscribe and DeleteTopic stop the pushes", async (t) => {
  const rx = await receiver(t);
  const topic = await newTopic();
  await sub.create(topic, "a", { Endpoint: `${rx.url}/a`, NotifyContentFormat: "SIMPLIFIED" });
  await sub.create(topic, "b", { Endpoint: `${rx.url}/b`, NotifyContentFormat: "SIMPLIFIED" });
  await mns.publishMessage(topic, { MessageBody: "one" });
  await rx.waitFor(2);
  await sub.delete(topic, "a");
  await mns.publishMessage(topic, { MessageBody: "two" });
  await rx.waitFor(3);
  await deleteTopic(topic);
  await mns.createTopic(topic);
  await mns.publishMessage(topic, { MessageBody: "three" });
  await sleep(1500);
  const seen = rx.requests.map((r) => `${r.url}:${r.body}`).sort();
  assert.deepEqual(seen, ["/a:one", "/b:one", "/b:two"]);
});
