// Azure Queue Storage conformance through the official JS SDK (@azure/storage-queue) against a
// running polyq (POLYQ_ENDPOINT): the scenarios Azurite's queue suite and Microsoft's REST
// documentation define (names, metadata, ACLs, listing, service properties, CORS, message
// limits, SAS and SharedKey failures). Every test uses its own queues; none sleeps.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  QueueServiceClient, QueueClient, StorageSharedKeyCredential, AnonymousCredential, newPipeline,
  generateAccountSASQueryParameters, generateQueueSASQueryParameters, AccountSASPermissions,
  AccountSASResourceTypes, AccountSASServices, QueueSASPermissions, SASProtocol,
} from "@azure/storage-queue";

import {
  ep, unique, failure, AZURE_ACCOUNT as ACCOUNT, AZURE_KEY as KEY, azureBase as base, azureCred as cred,
  azureOpts as opts, azureService,
} from "./common.mjs";

const svc = azureService();
const tomorrow = () => new Date(Date.now() + 24 * 3600 * 1000);
const anon = () => newPipeline(new AnonymousCredential(), opts);

async function withQueue(fn, prefix = "conf") {
  const q = svc.getQueueClient(unique(prefix));
  await q.create();
  try {
    await fn(q);
  } finally {
    await q.delete().catch(() => {});
  }
}

/** A pipeline that sends every request with extra headers and, optionally, another method. */
function pipelineWith(headers, method) {
  const p = newPipeline(cred, opts);
  p.factories.unshift({
    create: (next) => ({
      sendRequest: (req) => {
        if (method) req.method = method;
        for (const [k, v] of Object.entries(headers)) req.headers.set(k, v);
        return next.sendRequest(req);
      },
    }),
  });
  return p;
}

test("queue names: length, case, dashes; empty name", async () => {
  for (const [name, msg] of [
    ["a".repeat(64), "The specified resource name length is not within the permissible limits."],
    ["aa", "The specified resource name length is not within the permissible limits."],
    ["Queue", "The specifed resource name contains invalid characters."],
    ["-queue123", "The specifed resource name contains invalid characters."],
    ["queue123-", "The specifed resource name contains invalid characters."],
    ["queue--123", "The specifed resource name contains invalid characters."],
  ]) {
    const e = await failure(() => svc.getQueueClient(name).create());
    assert.equal(e.statusCode, 400, name);
    assert.ok(e.message.includes(msg), `${name}: ${e.message}`);
  }
  for (const name of ["aaa", "a".repeat(63), "queue-123"]) {
    const q = svc.getQueueClient(name);
    await q.create();
    await q.delete();
  }
  // The current SDK refuses an empty name itself; older ones sent `PUT /account/` (400
  // InvalidResourceName, checked in crates/polyq-azure/tests/conformance.rs).
  const e = await failure(() => svc.getQueueClient("").create());
  assert.equal(e.message, "Unable to extract queueName with provided information.");
});

test("queue: create with metadata, set/get metadata, not found, create conflict", async () => {
  await withQueue(async (q) => {
    const metadata = { key0: "val0", keya: "vala", keyb: "valb" };
    await q.setMetadata(metadata);
    const p = await q.getProperties();
    assert.deepEqual(p.metadata, metadata);
    assert.ok(p.approximateMessagesCount >= 0);
    assert.ok(p.requestId && p.version && p.date);
    // Same metadata again: 204, which the SDK's createIfNotExists reports as "exists".
    const again = await q.createIfNotExists({ metadata });
    assert.equal(again.succeeded, false);
    const e = await failure(() => q.create({ metadata: { other: "x" } }));
    assert.equal(e.statusCode, 409);
    assert.equal(e.code, "QueueAlreadyExists");
  });
  const e = await failure(() => svc.getQueueClient(unique("missing")).getProperties());
  assert.equal(e.statusCode, 404);
  assert.equal(e.code, "QueueNotFound");
  const d = await failure(() => svc.getQueueClient(unique("missing")).delete());
  assert.equal(d.code, "QueueNotFound");
});

test("queue ACL: round trip, bad permission refused, client request id echoed", async () => {
  await withQueue(async (q) => {
    const acl = [
      { id: "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=",
        accessPolicy: { startsOn: new Date("2017-12-31T11:22:33.456Z"), expiresOn: new Date("2018-12-31T11:22:33.456Z"), permissions: "raup" } },
      { id: "policy2",
        accessPolicy: { startsOn: new Date("2017-12-31T11:22:33.456Z"), expiresOn: new Date("2030-12-01T11:22:33.456Z"), permissions: "a" } },
      { id: "policy3", accessPolicy: { startsOn: new Date("2017-12-31T11:22:33.456Z"), permissions: "ra" } },
      { id: "policy4", accessPolicy: { expiresOn: new Date("2030-12-01T11:22:33.456Z"), permissions: "up" } },
    ];
    const s = await q.setAccessPolicy(acl);
    assert.equal(s._response.request.headers.get("x-ms-client-request-id"), s.clientRequestId);
    const got = await q.getAccessPolicy();
    assert.deepEqual(got.signedIdentifiers, acl);
    const bad = [{ id: "p", accessPolicy: { expiresOn: tomorrow(), permissions: "rwdl" } }];
    const e = await failure(() => q.setAccessPolicy(bad));
    assert.equal(e.statusCode, 400);
    await q.setAccessPolicy([]);
    assert.deepEqual((await q.getAccessPolicy()).signedIdentifiers, []);
  });
});

test("list queues: prefix, maxresults, marker, include metadata", async () => {
  const prefix = unique("list");
  const names = [`${prefix}x1`, `${prefix}x2`];
  for (const n of names) await svc.getQueueClient(n).create({ metadata: { key: "val" } });
  try {
    const pages = svc.listQueues({ prefix, includeMetadata: true }).byPage({ maxPageSize: 1 });
    const first = (await pages.next()).value;
    assert.equal(first.queueItems.length, 1);
    assert.ok(first.continuationToken);
    assert.equal(first.queueItems[0].name, names[0]);
    assert.equal(first.queueItems[0].metadata.key, "val");
    assert.ok(first.serviceEndpoint.length > 0);
    const second = (await pages.next()).value;
    assert.equal(second.queueItems[0].name, names[1]);
    assert.ok(!second.continuationToken);
    const all = [];
    for await (const item of svc.listQueues({ prefix })) all.push(item);
    assert.deepEqual(all.map((i) => i.name), names);
    assert.equal(all[0].metadata, undefined);
  } finally {
    for (const n of names) await svc.getQueueClient(n).delete();
  }
});

test("service properties: logging and metrics round trip; stats", async () => {
  const props = await svc.getProperties();
  props.queueAnalyticsLogging = { version: "1.0", deleteProperty: true, read: true, write: true, retentionPolicy: { enabled: true, days: 5 } };
  props.minuteMetrics = { version: "1.0", enabled: true, includeAPIs: true, retentionPolicy: { enabled: true, days: 4 } };
  props.hourMetrics = { version: "1.0", enabled: true, includeAPIs: true, retentionPolicy: { enabled: true, days: 3 } };
  const s = await svc.setProperties(props);
  assert.equal(s._response.status, 202);
  const got = await svc.getProperties();
  assert.deepEqual(got.hourMetrics, props.hourMetrics);
  assert.deepEqual(got.minuteMetrics, props.minuteMetrics);
  assert.deepEqual(got.queueAnalyticsLogging, props.queueAnalyticsLogging);
  const secondary = new QueueServiceClient(`${ep}/${ACCOUNT}-secondary`, newPipeline(cred, opts));
  const stats = await secondary.getStatistics();
  assert.equal(stats.geoReplication.status, "live");
});

test("service properties: CORS rule with empty allowed and exposed headers round-trips", async () => {
  const props = await svc.getProperties();
  const rule = { allowedHeaders: "", allowedMethods: "GET", allowedOrigins: "example.com", exposedHeaders: "", maxAgeInSeconds: 8888 };
  props.cors = [rule];
  try {
    await svc.setProperties(props);
    assert.deepStrictEqual((await svc.getProperties()).cors[0], rule);
    const five = Array.from({ length: 6 }, () => ({ ...rule, allowedHeaders: "*", exposedHeaders: "*" }));
    const e = await failure(() => svc.setProperties({ cors: five }));
    assert.equal(e.statusCode, 400);
    const bad = await failure(() => svc.setProperties({ cors: [{ ...rule, allowedMethods: "FETCH" }] }));
    assert.equal(bad.statusCode, 400);
  } finally {
    props.cors = [];
    await svc.setProperties(props);
  }
});

test("CORS: preflight rules, required headers, Vary and Allow-Origin on actual responses", async () => {
  const setCors = async (cors) => {
    const p = await svc.getProperties();
    p.cors = cors;
    await svc.setProperties(p);
  };
  const preflight = (origin, method, headers) => {
    const h = { Origin: origin };
    if (method) h["Access-Control-Request-Method"] = method;
    if (headers) h["Access-Control-Request-Headers"] = headers;
    return new QueueServiceClient(base, pipelineWith(h, "OPTIONS")).getProperties();
  };
  const withOrigin = (origin) => new QueueServiceClient(base, pipelineWith({ Origin: origin })).getProperties();
  const rule = (origins, methods, headers = "header") =>
    ({ allowedOrigins: origins, allowedMethods: methods, allowedHeaders: headers, exposedHeaders: "*", maxAgeInSeconds: 8888 });
  try {
    await setCors([]);
    let e = await failure(() => preflight("Origin", "GET"));
    assert.equal(e.statusCode, 403);
    assert.equal(e.code, "CorsPreflightFailure");
    assert.ok(e.message.includes("CORS not enabled or no matching rule found for this request."));
    let res = await withOrigin("anyOrigin");
    const h = (r, n) => r._response.headers.get(n);
    assert.equal(h(res, "access-control-allow-origin"), undefined);
    assert.equal(h(res, "vary"), undefined);

    await setCors([rule("test", "GET"), rule("test", "PUT", "*"), rule("test", "POST", "head*")]);
    e = await failure(() => preflight("test", undefined));
    assert.equal(e.statusCode, 400);
    assert.ok(e.message.includes("A required CORS header is not present."), e.message);
    e = await failure(() => preflight("test", "GET", "head"));
    assert.equal(e.statusCode, 403);
    e = await failure(() => preflight("other", "GET"));
    assert.equal(e.statusCode, 403);
    e = await failure(() => preflight("test", "POST", "hea"));
    assert.equal(e.statusCode, 403);
    for (const [m, hd] of [["GET", "header"], ["PUT", "head"], ["POST", "headerheader"]]) {
      res = await preflight("test", m, hd);
      assert.equal(res._response.status, 200);
      assert.equal(h(res, "access-control-allow-origin"), "test");
      assert.equal(h(res, "access-control-max-age"), "8888");
    }
    // Rules exist but none matches: Vary: Origin, with or without an Origin header.
    res = await withOrigin("anyOrigin");
    assert.equal(h(res, "vary"), "Origin");
    assert.equal(h(res, "access-control-allow-origin"), undefined);
    res = await svc.getProperties();
    assert.equal(h(res, "vary"), "Origin");

    await setCors([rule("exactOrigin", "GET"), rule("*", "GET")]);
    res = await withOrigin("exactOrigin");
    assert.equal(h(res, "access-control-allow-origin"), "exactOrigin");
    assert.equal(h(res, "vary"), "Origin");
    assert.ok(h(res, "access-control-expose-headers") !== undefined);
    // A rule allowing every origin: "*", no Vary, even without an Origin header.
    res = await withOrigin("anyOrigin");
    assert.equal(h(res, "access-control-allow-origin"), "*");
    assert.equal(h(res, "vary"), undefined);
    assert.ok(h(res, "access-control-expose-headers") !== undefined);
    res = await svc.getProperties();
    assert.equal(h(res, "access-control-allow-origin"), "*");
    assert.equal(h(res, "vary"), undefined);
    res = await preflight("anyOrigin", "GET");
    assert.equal(res._response.status, 200);
    // A preflight echoes the request's origin, also under a "*" rule.
    assert.equal(h(res, "access-control-allow-origin"), "anyOrigin");
  } finally {
    await setCors([]);
  }
});

test("messages: defaults, all parameters, order, dequeue count, clear", async () => {
  await withQueue(async (q) => {
    const e1 = await q.sendMessage("Hello World", { messageTimeToLive: 40, visibilityTimeout: 0 });
    assert.ok(e1.messageId && e1.popReceipt && e1.insertedOn && e1.expiresOn && e1.nextVisibleOn);
    const e2 = await q.sendMessage("Hello World", { messageTimeToLive: 40 });
    await q.sendMessage("Hello World", { messageTimeToLive: 10, visibilityTimeout: 5 });
    await q.sendMessage("Hello World", { messageTimeToLive: Number.MAX_SAFE_INTEGER, visibilityTimeout: 19 });
    const peek = await q.peekMessages({ numberOfMessages: 4 });
    assert.deepEqual(peek.peekedMessageItems.map((m) => m.messageId), [e1.messageId, e2.messageId]);
    assert.equal(peek.peekedMessageItems[0].dequeueCount, 0);
    assert.deepEqual(peek.peekedMessageItems[0].insertedOn, e1.insertedOn);
    assert.deepEqual(peek.peekedMessageItems[0].expiresOn, e1.expiresOn);
    const got = await q.receiveMessages({ numberOfMessages: 2, visibilityTimeout: 10 });
    assert.equal(got.receivedMessageItems.length, 2);
    assert.equal(got.receivedMessageItems[0].dequeueCount, 1);
    assert.ok(got.receivedMessageItems[0].popReceipt && got.receivedMessageItems[0].nextVisibleOn);
    assert.equal((await q.peekMessages()).peekedMessageItems.length, 0);
    const props = await q.getProperties();
    assert.equal(props.approximateMessagesCount, 4);
    const c = await q.clearMessages();
    assert.equal(c._response.request.headers.get("x-ms-client-request-id"), c.clientRequestId);
    assert.equal((await q.getProperties()).approximateMessagesCount, 0);
  });
});

test("messages: empty, special characters, 64 KiB limit after encoding", async () => {
  await withQueue(async (q) => {
    // No CR/LF: the SDK's XML writer drops LFs itself, and XML parsing turns CR into LF.
    const special = "!@#$%^&*()_+`-=[]|};'\":,./?><`~漢字㒈保ᨍ揫^p[뷁)׷\u{1F600}Ͳ&amp;<![CDATA[x]]>\t\u00E9\\u00E9񬓔7񈺝l鮍򧽶ͺ簣�⨣";
    for (const text of ["", special, "a".repeat(64 * 1024)]) {
      await q.sendMessage(text);
      const [m] = (await q.receiveMessages()).receivedMessageItems;
      assert.equal(m.messageText, text);
      await q.deleteMessage(m.messageId, m.popReceipt);
    }
    for (const send of [() => q.sendMessage("a".repeat(64 * 1024 + 1)), () => q.sendMessage("é".repeat(32 * 1024 + 1))]) {
      const e = await failure(send);
      assert.equal(e.statusCode, 413);
      assert.equal(e.code, "RequestBodyTooLarge");
      assert.ok(e.message.includes("The request body is too large and exceeds the maximum permissible limit."), e.message);
    }
  });
});

test("messages: parameter limits and their error codes", async () => {
  await withQueue(async (q) => {
    const sent = await q.sendMessage("x", { messageTimeToLive: 40 });
    let e = await failure(() => q.sendMessage("x", { messageTimeToLive: 30, visibilityTimeout: 30 }));
    assert.equal(e.statusCode, 400);
    assert.equal(e.code, "InvalidQueryParameterValue");
    for (const vt of [604801, 691200, -1]) {
      e = await failure(() => q.sendMessage("x", { visibilityTimeout: vt }));
      assert.equal(e.code, "OutOfRangeQueryParameterValue", String(vt));
      assert.ok(e.message.includes("One of the query parameters specified in the request URI is outside the permissible range."));
      e = await failure(() => q.updateMessage(sent.messageId, sent.popReceipt, "", vt));
      assert.equal(e.code, "OutOfRangeQueryParameterValue", String(vt));
    }
    e = await failure(() => q.receiveMessages({ visibilityTimeout: 691200 }));
    assert.equal(e.code, "OutOfRangeQueryParameterValue");
    e = await failure(() => q.sendMessage("x", { messageTimeToLive: 0 }));
    assert.equal(e.statusCode, 400);
    e = await failure(() => q.peekMessages({ numberOfMessages: 100 }));
    assert.equal(e.code, "OutOfRangeQueryParameterValue");
    e = await failure(() => q.receiveMessages({ numberOfMessages: 33 }));
    assert.equal(e.code, "OutOfRangeQueryParameterValue");
    e = await failure(() => q.receiveMessages({ visibilityTimeout: 0 }));
    assert.equal(e.code, "OutOfRangeQueryParameterValue");
    // The visibility timeout of a Get may pass the message's expiry.
    const got = await q.receiveMessages({ visibilityTimeout: 40 });
    assert.equal(got.receivedMessageItems.length, 1);
    const missing = svc.getQueueClient(unique("missing"));
    e = await failure(() => missing.sendMessage("x"));
    assert.equal(e.code, "QueueNotFound");
    e = await failure(() => missing.receiveMessages());
    assert.equal(e.code, "QueueNotFound");
  });
});

test("message id: update text and visibility, 64 KiB update limit, delete failures", async () => {
  await withQueue(async (q) => {
    const e = await q.sendMessage("Hello World");
    const u = await q.updateMessage(e.messageId, e.popReceipt, "", 0);
    assert.ok(u.popReceipt && u.nextVisibleOn);
    assert.equal(u._response.request.headers.get("x-ms-client-request-id"), u.clientRequestId);
    assert.equal((await q.peekMessages()).peekedMessageItems[0].messageText, "");
    const u2 = await q.updateMessage(e.messageId, u.popReceipt, "a".repeat(64 * 1024), 0);
    assert.equal((await q.peekMessages()).peekedMessageItems[0].messageText.length, 64 * 1024);
    let err = await failure(() => q.updateMessage(e.messageId, u2.popReceipt, "a".repeat(64 * 1024 + 1), 0));
    assert.equal(err.statusCode, 413);
    assert.ok(err.message.includes("The request body is too large and exceeds the maximum permissible limit."));
    const u3 = await q.updateMessage(e.messageId, u2.popReceipt, "New Message", 5);
    assert.equal((await q.peekMessages()).peekedMessageItems.length, 0);
    err = await failure(() => q.deleteMessage(e.messageId, "invalid"));
    assert.equal(err.statusCode, 400);
    err = await failure(() => q.deleteMessage(e.messageId, u2.popReceipt));
    assert.equal(err.statusCode, 404);
    await q.deleteMessage(e.messageId, u3.popReceipt);
    err = await failure(() => q.deleteMessage(e.messageId, u3.popReceipt));
    assert.equal(err.code, "MessageNotFound");
  });
});

test("SharedKey: anonymous, wrong account name and wrong key are refused", async () => {
  const name = unique("auth-with-dash");
  const e = await failure(() => new QueueServiceClient(base, anon()).getQueueClient(name).create());
  assert.ok([401, 403].includes(e.statusCode), String(e.statusCode));
  const wrongAccount = new QueueServiceClient(base, newPipeline(new StorageSharedKeyCredential("invalid", KEY), opts));
  assert.equal((await failure(() => wrongAccount.getQueueClient(name).create())).statusCode, 403);
  const wrongKey = new QueueServiceClient(base, newPipeline(new StorageSharedKeyCredential(ACCOUNT, Buffer.from("invalidkey").toString("base64")), opts));
  const k = await failure(() => wrongKey.getQueueClient(name).create());
  assert.equal(k.statusCode, 403);
  assert.equal(k.code, "AuthenticationFailed");
  await assert.rejects(svc.getQueueClient(name).getProperties(), (x) => x.statusCode === 404);
});

function accountSas(perms, types, services = "btqf", extra = {}) {
  return generateAccountSASQueryParameters({
    expiresOn: tomorrow(), permissions: AccountSASPermissions.parse(perms),
    resourceTypes: AccountSASResourceTypes.parse(types).toString(),
    services: AccountSASServices.parse(services).toString(), ...extra,
  }, cred).toString();
}
const sasService = (sas) => new QueueServiceClient(`${base}?${sas}`, anon());

test("account SAS: versions, permissions, services, resource types, signature", async () => {
  const wide = { ipRange: { start: "0.0.0.0", end: "255.255.255.255" }, protocol: SASProtocol.HttpsAndHttp, version: "2019-02-02", startsOn: new Date(Date.now() - 300000) };
  await sasService(accountSas("rwdlacup", "sco", "btqf", wide)).getProperties();
  await sasService(accountSas("rwdlacup", "sco")).getProperties();
  for (const sas of [accountSas("wdlcup", "sco"), accountSas("rwdlacup", "sco", "btf"), accountSas("rwdlacup", "co", "btqf", wide)]) {
    assert.equal((await failure(() => sasService(sas).getProperties())).statusCode, 403);
  }
  const bad = await failure(() => sasService(accountSas("rwdlacup", "sco") + "1").getProperties());
  assert.equal(bad.statusCode, 403);
  assert.equal(bad.code, "AuthenticationFailed");
  const expired = accountSas("rwdlacup", "sco", "btqf", { expiresOn: new Date(Date.now() - 60000) });
  assert.equal((await failure(() => sasService(expired).getProperties())).code, "AuthenticationFailed");
  const httpsOnly = accountSas("rwdlacup", "sco", "btqf", { protocol: SASProtocol.Https });
  assert.equal((await failure(() => sasService(httpsOnly).getProperties())).code, "AuthorizationProtocolMismatch");
  const otherIp = accountSas("rwdlacup", "sco", "btqf", { ipRange: { start: "10.1.1.1" } });
  // The live service's answer (C++ SDK recordings), not the error table's SourceIPMismatch.
  assert.equal((await failure(() => sasService(otherIp).getProperties())).code, "AuthorizationFailure");

  // Create needs c or w; queue and message operations with an account SAS.
  for (const perms of ["rdlacup", "rwdlaup"]) {
    const q = sasService(accountSas(perms, "co", "btqf", wide)).getQueueClient(unique("sas"));
    await q.create();
    await q.delete();
  }
  const noCreate = sasService(accountSas("rdlaup", "co", "btqf", wide)).getQueueClient(unique("sas"));
  assert.equal((await failure(() => noCreate.create())).statusCode, 403);
  const full = sasService(accountSas("rwdlcaup", "co", "btqf", wide));
  const name = unique("sas");
  const q = full.getQueueClient(name);
  await q.create();
  const p = await q.getProperties();
  await q.setMetadata(p.metadata);
  assert.equal((await failure(() => q.getAccessPolicy())).statusCode, 403);
  assert.equal((await failure(() => q.setAccessPolicy())).statusCode, 403);
  await q.sendMessage("test text");
  await q.sendMessage("test text");
  await q.peekMessages();
  const [m] = (await q.receiveMessages()).receivedMessageItems;
  await q.updateMessage(m.messageId, m.popReceipt, "u", 0);
  await q.clearMessages();
  assert.equal((await q.peekMessages()).peekedMessageItems.length, 0);
  await q.delete();
});

test("queue SAS: permissions, versions, stored access policy, no start time", async () => {
  await withQueue(async (owner) => {
    const sasClient = (params) => new QueueClient(`${owner.url}?${generateQueueSASQueryParameters({ queueName: owner.name, ...params }, cred)}`, anon());
    const wide = { ipRange: { start: "0.0.0.0", end: "255.255.255.255" }, protocol: SASProtocol.HttpsAndHttp, startsOn: new Date(Date.now() - 300000) };
    await sasClient({ expiresOn: tomorrow(), permissions: QueueSASPermissions.parse("raup"), version: "2019-02-02", ...wide }).getProperties();
    await sasClient({ expiresOn: tomorrow(), permissions: QueueSASPermissions.parse("raup"), version: "2019-02-02" }).getProperties();
    const old = sasClient({ expiresOn: tomorrow(), permissions: QueueSASPermissions.parse("raup"), version: "2016-05-31", ...wide });
    const sent = await old.sendMessage("Hello World!");
    assert.equal((await old.peekMessages()).peekedMessageItems.length, 1);
    await old.deleteMessage(sent.messageId, sent.popReceipt);
    assert.equal((await owner.peekMessages()).peekedMessageItems.length, 0);

    const readOnly = sasClient({ expiresOn: tomorrow(), permissions: QueueSASPermissions.parse("r") });
    const e = await failure(() => readOnly.sendMessage("x"));
    assert.equal(e.statusCode, 403);
    assert.equal(e.code, "AuthorizationPermissionMismatch");
    assert.equal((await failure(() => readOnly.delete())).statusCode, 403);

    const start = new Date(Date.now() - 300000);
    await owner.setAccessPolicy([{ id: "unique-id", accessPolicy: { startsOn: start, expiresOn: tomorrow(), permissions: "raup" } }]);
    const byPolicy = sasClient({ identifier: "unique-id" });
    await byPolicy.sendMessage("hello");
    assert.equal((await byPolicy.peekMessages()).peekedMessageItems[0].messageText, "hello");
    const [m] = (await byPolicy.receiveMessages({ visibilityTimeout: 1 })).receivedMessageItems;
    await byPolicy.deleteMessage(m.messageId, m.popReceipt);
    const unknown = sasClient({ identifier: "no-such-id" });
    assert.equal((await failure(() => unknown.peekMessages())).statusCode, 403);
  });
});

test("expired messages: gone from peek and get; update and delete fail", async () => {
  await withQueue(async (q) => {
    const sent = await q.sendMessage("short", { messageTimeToLive: 1 });
    const [m] = (await q.receiveMessages({ visibilityTimeout: 1 })).receivedMessageItems;
    assert.equal(m.messageId, sent.messageId);
    // Bounded wait for the one-second TTL to pass (no assertion on elapsed time); the shown
    // expiry is truncated to the second, so wait one more.
    for (let i = 0; i < 40 && Date.now() <= sent.expiresOn.getTime() + 1100; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await q.peekMessages({ numberOfMessages: 2 })).peekedMessageItems.length, 0);
    assert.equal((await q.receiveMessages({ numberOfMessages: 2 })).receivedMessageItems.length, 0);
    assert.equal((await failure(() => q.updateMessage(m.messageId, m.popReceipt, "", 1))).statusCode, 404);
    assert.equal((await failure(() => q.deleteMessage(m.messageId, m.popReceipt))).statusCode, 404);
  });
});
