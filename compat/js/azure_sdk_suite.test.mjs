// Scenarios of the JS SDK's own test suite (@azure/storage-queue test/: queueclient.spec.ts,
// node/queueclient.spec.ts, messageidclient.spec.ts, queueserviceclient.spec.ts,
// node/sas.spec.ts), which Microsoft records against a live account, checked against a running
// polyq (POLYQ_ENDPOINT) with our own tests. Only what azure_conformance.test.mjs does not
// already cover: the *IfExists helpers, error shapes, access-policy edge cases, SAS connection
// strings, expired-SAS details, update without text, service-properties read-modify-write.
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
const hours = (h) => new Date(Date.now() + h * 3600 * 1000);

async function withQueue(fn) {
  const q = svc.getQueueClient(unique("sdk"));
  await q.create();
  try {
    await fn(q);
  } finally {
    await q.delete().catch(() => {});
  }
}

function accountSas(overrides = {}) {
  return generateAccountSASQueryParameters({
    expiresOn: hours(24),
    permissions: AccountSASPermissions.parse("rwdlacup"),
    resourceTypes: AccountSASResourceTypes.parse("sco").toString(),
    services: AccountSASServices.parse("q").toString(),
    protocol: SASProtocol.HttpsAndHttp,
    ...overrides,
  }, cred).toString();
}

test("createIfNotExists / deleteIfExists report Azure's error codes", async () => {
  await withQueue(async (q) => {
    assert.equal((await q.createIfNotExists()).succeeded, false);
    const again = await q.createIfNotExists({ metadata: { key: "value" } });
    assert.equal(again.succeeded, false);
    assert.equal(again.errorCode, "QueueAlreadyExists");
  });
  const missing = svc.getQueueClient(unique("gone"));
  const res = await missing.deleteIfExists();
  assert.equal(res.succeeded, false);
  assert.equal(res.errorCode, "QueueNotFound");
  assert.equal(await missing.exists(), false);
});

test("QueueNotFound: status, code, details, message wording and body", async () => {
  const e = await failure(() => svc.getQueueClient(unique("gone")).getProperties());
  assert.equal(e.statusCode, 404);
  assert.equal(e.code, "QueueNotFound");
  assert.equal(e.details.errorCode, "QueueNotFound");
  assert.ok(e.message.startsWith("The specified queue does not exist."), e.message);
  assert.ok(e.response.bodyAsText.includes("QueueNotFound"));
});

test("access policy: fractional times, permissions only, empty policy", async () => {
  await withQueue(async (q) => {
    const id = "6D97528B-8412-48AE-9DB1-6BF69C9F83A6";
    const full = [{
      id,
      accessPolicy: {
        expiresOn: new Date("2018-12-31T11:22:33.4567890Z"),
        permissions: "raup",
        startsOn: new Date("2017-12-31T11:22:33.4567890Z"),
      },
    }];
    await q.setAccessPolicy(full);
    const got = await q.getAccessPolicy();
    assert.ok(got.requestId && got.version && got.date);
    assert.deepEqual(got.signedIdentifiers, full);

    const permsOnly = [{ id, accessPolicy: { permissions: "raup" } }];
    await q.setAccessPolicy(permsOnly);
    assert.deepEqual((await q.getAccessPolicy()).signedIdentifiers, permsOnly);

    await q.setAccessPolicy([{ id, accessPolicy: {} }]);
    const empty = (await q.getAccessPolicy()).signedIdentifiers;
    assert.equal(empty.length, 1);
    assert.equal(empty[0].id, id);
    assert.equal(empty[0].accessPolicy, undefined);

    const bad = await failure(() => q.setAccessPolicy([{ id, accessPolicy: { permissions: "rwdl", expiresOn: hours(1) } }]));
    assert.equal(bad.statusCode, 400);
  });
});

test("clients from a SAS connection string, with and without a queue name", async () => {
  await withQueue(async (q) => {
    const conn = `BlobEndpoint=${ep}/${ACCOUNT}-blob;QueueEndpoint=${base};SharedAccessSignature=${accountSas({ services: "bq" })}`;
    const service = QueueServiceClient.fromConnectionString(conn, opts);
    assert.ok((await service.getProperties()).requestId);
    const byName = new QueueClient(conn, q.name, opts);
    const props = await byName.getProperties();
    assert.ok(props.requestId && props.version && props.date);
    await byName.sendMessage("via sas connection string");
    assert.equal((await q.peekMessages()).peekedMessageItems[0].messageText, "via sas connection string");
    assert.throws(() => new QueueClient(conn, ""), /Expecting non-empty strings for queueName parameter/);
  });
});

test("expired account SAS: AuthenticationFailed with a 'Signed expiry time' detail", async () => {
  const sas = accountSas({ expiresOn: hours(-24), services: "btqf" });
  const client = new QueueServiceClient(`${base}?${sas}`, newPipeline(new AnonymousCredential(), opts));
  const e = await failure(() => client.getQueueClient(unique("exp")).create());
  assert.equal(e.statusCode, 403);
  assert.equal(e.details.errorCode, "AuthenticationFailed");
  assert.ok(e.details.authenticationErrorDetail.startsWith("Signed expiry time"), e.details.authenticationErrorDetail);
});

test("queue SAS through a policy with permissions and start only; expiry in the SAS", async () => {
  await withQueue(async (q) => {
    const now = new Date(Date.now() - 5 * 60 * 1000);
    await q.setAccessPolicy([{ id: "unique-id", accessPolicy: { permissions: "raup", startsOn: now } }]);
    const sas = generateQueueSASQueryParameters({ queueName: q.name, expiresOn: hours(24), identifier: "unique-id" }, cred);
    const viaSas = new QueueClient(`${q.url}?${sas}`, newPipeline(new AnonymousCredential(), opts));
    assert.ok((await viaSas.sendMessage("hello")).messageId);
    assert.equal((await viaSas.peekMessages()).peekedMessageItems[0].messageText, "hello");
    const got = (await viaSas.receiveMessages({ visibilityTimeout: 1 })).receivedMessageItems[0];
    assert.equal(got.messageText, "hello");
    const del = await viaSas.deleteMessage(got.messageId, got.popReceipt);
    assert.ok(del.requestId && del.clientRequestId);
    // Clear needs "d", which a queue SAS of "raup" does not grant.
    const e = await failure(() => viaSas.clearMessages());
    assert.equal(e.statusCode, 403);
  });
});

test("update without text keeps it; update to empty text; update hides for its timeout", async () => {
  await withQueue(async (q) => {
    const sent = await q.sendMessage("foo", { visibilityTimeout: 10 });
    await q.updateMessage(sent.messageId, sent.popReceipt);
    const got = (await q.receiveMessages()).receivedMessageItems[0];
    assert.equal(got.messageId, sent.messageId);
    assert.equal(got.messageText, "foo");

    const upd = await q.updateMessage(got.messageId, got.popReceipt, "");
    assert.ok(upd.popReceipt && upd.nextVisibleOn && upd.date && upd.requestId && upd.version);
    assert.equal((await q.peekMessages()).peekedMessageItems[0].messageText, "");

    const hidden = await q.updateMessage(got.messageId, upd.popReceipt, "New Message", 10);
    assert.equal((await q.peekMessages()).peekedMessageItems.length, 0);
    const e = await failure(() => q.deleteMessage(got.messageId, "invalid"));
    assert.equal(e.statusCode, 400);
    await q.deleteMessage(got.messageId, hidden.popReceipt);
    assert.equal((await q.getProperties()).approximateMessagesCount, 0);
  });
});

test("service properties: read, modify, write back; hour metrics read back equal", async () => {
  const before = await svc.getProperties();
  const props = { ...before };
  try {
    props.queueAnalyticsLogging = { deleteProperty: true, read: true, write: true, version: "1.0", retentionPolicy: { days: 5, enabled: true } };
    props.minuteMetrics = { enabled: true, includeAPIs: true, version: "1.0", retentionPolicy: { days: 4, enabled: true } };
    props.hourMetrics = { enabled: true, includeAPIs: true, version: "1.0", retentionPolicy: { days: 3, enabled: true } };
    props.cors = [...(before.cors || []), { allowedHeaders: "*", allowedMethods: "GET", allowedOrigins: "example.com", exposedHeaders: "*", maxAgeInSeconds: 8888 }];
    await svc.setProperties(props);
    const after = await svc.getProperties();
    assert.deepEqual(after.hourMetrics, props.hourMetrics);
    assert.deepEqual(after.minuteMetrics, props.minuteMetrics);
    assert.deepEqual(after.queueAnalyticsLogging, props.queueAnalyticsLogging);
    assert.deepEqual(after.cors.at(-1), props.cors.at(-1));

    const bad = await failure(() => svc.setProperties({ hourMetrics: { ...props.hourMetrics, retentionPolicy: { days: 366, enabled: true } } }));
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.code, "InvalidXmlDocument");
    assert.deepEqual((await svc.getProperties()).hourMetrics, props.hourMetrics);
  } finally {
    await svc.setProperties({
      queueAnalyticsLogging: { deleteProperty: false, read: false, write: false, version: "1.0", retentionPolicy: { enabled: false } },
      hourMetrics: { enabled: false, version: "1.0", retentionPolicy: { enabled: false } },
      minuteMetrics: { enabled: false, version: "1.0", retentionPolicy: { enabled: false } },
      cors: before.cors || [],
    });
  }
});

test("listQueues byPage: one per page, the last page has no continuation token", async () => {
  const prefix = unique("lst");
  const clients = [`${prefix}x1`, `${prefix}x2`].map((n) => svc.getQueueClient(n));
  for (const c of clients) await c.create({ metadata: { key: "val" } });
  try {
    const first = (await svc.listQueues({ includeMetadata: true, prefix }).byPage({ maxPageSize: 1 }).next()).value;
    assert.ok(first.continuationToken);
    assert.equal(first.queueItems.length, 1);
    assert.equal(first.queueItems[0].metadata.key, "val");
    assert.ok(first.serviceEndpoint.length > 0);
    const second = (await svc.listQueues({ includeMetadata: true, prefix }).byPage({ continuationToken: first.continuationToken, maxPageSize: 1 }).next()).value;
    assert.ok(!second.continuationToken);
    assert.deepEqual(second.queueItems.map((q) => q.name), [`${prefix}x2`]);
    const empty = (await svc.listQueues({ prefix: "" }).byPage().next()).value;
    assert.ok(empty.requestId && empty.clientRequestId);
  } finally {
    for (const c of clients) await c.delete();
  }
});
