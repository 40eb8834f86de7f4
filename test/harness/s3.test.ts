import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startS3, type RunningS3 } from "./s3.ts";

// The guarantees the s3:// storage engine builds on, checked against the gateway the harness starts
// (Ceph RGW 16, Pacific), including where it departs from AWS S3, so the engine knows what to send.

const BUCKET = "tansu-harness";
const PRECONDITION_FAILED = { name: "PreconditionFailed", $metadata: { httpStatusCode: 412 } };

let server: RunningS3;
let s3: S3Client;

beforeAll(async () => {
  server = await startS3();
  await server.createBucket(BUCKET);
  s3 = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
});

afterAll(async () => {
  s3?.destroy();
  await server?.stop();
});

/** A key no other test touches. */
function freshKey(label: string): string {
  return `${label}/${crypto.randomUUID()}`;
}

/** RGW 16 compares If-Match with its stored ETag byte for byte, and stores it without the quotes it sends. */
function unquoted(etag: string | undefined): string {
  if (etag === undefined) throw new Error("response carried no ETag");
  return etag.replaceAll('"', "");
}

function put(Key: string, Body: string, conditions: { IfMatch?: string; IfNoneMatch?: string } = {}) {
  return s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body, ...conditions }));
}

async function read(Key: string): Promise<{ body: string; etag: string | undefined }> {
  const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
  return { body: (await response.Body?.transformToString()) ?? "", etag: response.ETag };
}

test("PutObject If-None-Match * creates a missing key, and a second one is 412 leaving the first body", async () => {
  const key = freshKey("create");
  const created = await put(key, "first", { IfNoneMatch: "*" });
  await expect(put(key, "second", { IfNoneMatch: "*" })).rejects.toMatchObject(PRECONDITION_FAILED);
  expect(await read(key)).toEqual({ body: "first", etag: created.ETag });
});

test("PutObject If-Match with the current ETag replaces; with a stale one it is 412", async () => {
  const key = freshKey("replace");
  const first = await put(key, "v1");
  const second = await put(key, "v2", { IfMatch: unquoted(first.ETag) });
  expect(second.ETag).not.toBe(first.ETag);
  await expect(put(key, "v3", { IfMatch: unquoted(first.ETag) })).rejects.toMatchObject(PRECONDITION_FAILED);
  expect(await read(key)).toEqual({ body: "v2", etag: second.ETag });
});

test("RGW 16 quirks: a quoted If-Match never matches, and If-Match on a missing key is 412 (AWS: 404)", async () => {
  const key = freshKey("quirks");
  const current = await put(key, "v1");
  expect(current.ETag).toMatch(/^"[0-9a-f]{32}"$/);
  await expect(put(key, "v2", { IfMatch: current.ETag })).rejects.toMatchObject(PRECONDITION_FAILED);
  await expect(put(freshKey("missing"), "v1", { IfMatch: unquoted(current.ETag) })).rejects.toMatchObject(PRECONDITION_FAILED);
  expect(await read(key)).toEqual({ body: "v1", etag: current.ETag });
});

test("concurrent writers from the same ETag: exactly one wins, the rest are 412, and its body is what remains", async () => {
  for (let round = 0; round < 5; round++) {
    const key = freshKey("race");
    const base = await put(key, "base");
    const bodies = Array.from({ length: 8 }, (_, writer) => `writer-${writer}`);
    const outcomes = await Promise.allSettled(bodies.map((body) => put(key, body, { IfMatch: unquoted(base.ETag) })));
    const winners = outcomes.flatMap((outcome, writer) => (outcome.status === "fulfilled" ? [{ body: bodies[writer], etag: outcome.value.ETag }] : []));
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === "rejected") expect(outcome.reason).toMatchObject(PRECONDITION_FAILED);
    }
    expect(await read(key)).toEqual(winners[0]);
  }
});

test("concurrent If-None-Match * creators of one key: exactly one wins", async () => {
  for (let round = 0; round < 5; round++) {
    const key = freshKey("create-race");
    const bodies = Array.from({ length: 8 }, (_, writer) => `creator-${writer}`);
    const outcomes = await Promise.allSettled(bodies.map((body) => put(key, body, { IfNoneMatch: "*" })));
    const winners = outcomes.flatMap((outcome, writer) => (outcome.status === "fulfilled" ? [{ body: bodies[writer], etag: outcome.value.ETag }] : []));
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === "rejected") expect(outcome.reason).toMatchObject(PRECONDITION_FAILED);
    }
    expect(await read(key)).toEqual(winners[0]);
  }
});

test("GetObject right after a write returns the new body and ETag", async () => {
  const key = freshKey("read-after-write");
  for (const body of ["one", "two", "three"]) {
    const written = await put(key, body);
    expect(await read(key)).toEqual({ body, etag: written.ETag });
  }
});

test("ListObjectsV2 by prefix sees a new key at once, and only keys under that prefix", async () => {
  const base = freshKey("list");
  const prefix = `${base}/`;
  // Shares the prefix's characters up to the slash, so a listing that ignored the slash would show it.
  await put(`${base}-outside`, "x");
  const listed: string[] = [];
  for (const name of ["b", "a", "c"]) {
    await put(`${prefix}${name}`, name);
    listed.push(`${prefix}${name}`);
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    expect((page.Contents ?? []).map((object) => object.Key)).toEqual(listed.toSorted());
  }
});

test("RGW 16 ignores If-Match on DeleteObject: a stale ETag still deletes", async () => {
  const key = freshKey("delete");
  const first = await put(key, "v1");
  await put(key, "v2");
  await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key, IfMatch: unquoted(first.ETag) }));
  await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
});

// Last, as it ends the shared cluster (afterAll's stop() is then a no-op).
test("stop() takes the gateway down", async () => {
  await server.stop();
  await expect(fetch(server.endpoint)).rejects.toMatchObject({ code: "ECONNREFUSED" });
});
