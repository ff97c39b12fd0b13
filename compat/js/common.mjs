// Shared setup of the compat/js tests: the server run.sh started (POLYQ_ENDPOINT), unique names,
// SDK clients, and error assertions that look at what an application sees from the SDK.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { SQSClient } from "@aws-sdk/client-sqs";
import { QueueServiceClient, StorageSharedKeyCredential, newPipeline } from "@azure/storage-queue";

export const ep = process.env.POLYQ_ENDPOINT;
if (!ep) throw new Error("POLYQ_ENDPOINT is not set: run through compat/js/run.sh");

export const unique = (p) => `${p}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const sqsClient = () =>
  new SQSClient({ endpoint: ep, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" }, maxAttempts: 1 });

// Azure: the emulator's development account, path-style under the endpoint, no retries.
export const AZURE_ACCOUNT = "devstoreaccount1";
export const AZURE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
export const azureBase = `${ep}/${AZURE_ACCOUNT}`;
export const azureCred = new StorageSharedKeyCredential(AZURE_ACCOUNT, AZURE_KEY);
export const azureOpts = { retryOptions: { maxTries: 1 } };
export const azureService = () => new QueueServiceClient(azureBase, newPipeline(azureCred, azureOpts));

/** Runs `fn`, which must fail; returns the error (a RestError for Azure: status and code). */
export async function failure(fn) {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  assert.fail("expected the request to fail");
}

export const MNS = createRequire(import.meta.url)("@alicloud/mns");
export const mnsClient = () => new MNS("123456", { accessKeyId: "id", accessKeySecret: "secret", endpoint: ep });

// Awaits `promise`, asserts it rejects with an error whose `name` is `name`, checks `extra`
// (fields compared with equal, or functions called with the error) and returns the error.
export async function rejectsWith(promise, name, extra = {}) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected ${name}, the call succeeded`);
  assert.equal(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`);
  for (const [k, v] of Object.entries(extra)) {
    if (typeof v === "function") v(err);
    else assert.deepEqual(k.split(".").reduce((o, p) => o?.[p], err), v, `error field ${k}`);
  }
  return err;
}

// MD5 of SQS message attributes as SQS computes MD5OfMessageAttributes / MD5OfMessageSystemAttributes.
export function md5OfAttributes(attrs) {
  const parts = [];
  const len = (b) => {
    const l = Buffer.alloc(4);
    l.writeUInt32BE(b.length);
    parts.push(l, b);
  };
  for (const name of Object.keys(attrs).sort()) {
    const a = attrs[name];
    len(Buffer.from(name, "utf8"));
    len(Buffer.from(a.DataType, "utf8"));
    if (a.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      len(Buffer.from(a.BinaryValue));
    } else {
      parts.push(Buffer.from([1]));
      len(Buffer.from(a.StringValue, "utf8"));
    }
  }
  return createHash("md5").update(Buffer.concat(parts)).digest("hex");
}

export const md5Hex = (s) => createHash("md5").update(s, "utf8").digest("hex");
