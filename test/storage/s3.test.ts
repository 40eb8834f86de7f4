// The s3:// engine against a real S3-compatible server (Ceph RGW, which enforces If-Match and
// If-None-Match): the whole contract, once with the default head index and once with a tiny
// one so that every contract test also runs across index chunks, then what only S3 has.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readDocument, updateDocument, writeDocument } from "../../src/storage/engines/s3/cas-document.ts";
import { ObjectStore } from "../../src/storage/engines/s3/object-store.ts";
import { s3Location } from "../../src/storage/engines/s3/s3-location.ts";
import { S3Storage, type S3StorageOptions } from "../../src/storage/engines/s3/s3-storage.ts";
import { StorageUnavailableError, UnknownTopicError } from "../../src/storage/errors.ts";
import { openStorage } from "../../src/storage/open.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { startS3, type RunningS3 } from "../harness/s3.ts";
import { startCountingProxy } from "../harness/s3-counting-proxy.ts";
import { baseOffsetOf, fakeBatch, payloadOf, storageContract } from "./contract.ts";
import { fetchAll, s3Env } from "./s3-fixtures.ts";

setDefaultTimeout(60_000);

const BUCKET = "tansu-test";
let s3: RunningS3;
let env: Record<string, string>;

beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket(BUCKET);
  env = s3Env(s3);
}, 300_000);
afterAll(async () => {
  await s3?.stop();
});

let stores = 0;
/** A URL for a store nobody has used: a fresh prefix in the shared bucket. */
const freshUrl = () => `s3://${BUCKET}/store-${++stores}/`;
const open = (url: string, options: S3StorageOptions = {}) => S3Storage.open(url, { env, ...options });
const objectStore = () => {
  const location = s3Location(`s3://${BUCKET}/`, env);
  return new ObjectStore(location.bucket, location.endpoint, location.client, location.headers);
};

/** Small enough that a handful of appends cuts several index chunks. */
const TINY_INDEX = { headIndexLimit: 3, headIndexKeep: 1 };

storageContract("s3", () => open(freshUrl()), {
  openShared: async () => {
    const url = freshUrl();
    return [await open(url), await open(url)];
  },
});

storageContract("s3 with a tiny head index", () => open(freshUrl(), TINY_INDEX), {
  openShared: async () => {
    const url = freshUrl();
    return [await open(url, TINY_INDEX), await open(url, TINY_INDEX)];
  },
});

describe("s3: the object store", () => {
  const body = (text: string) => new TextEncoder().encode(text);

  test("If-Match works whether the server takes quoted ETags (RFC 7232, AWS, Tigris) or only bare ones (RGW 16)", async () => {
    const objects = objectStore();
    const created = await objects.putIfAbsent("quoting/a", body("v1"));
    expect(created).not.toBeNull();
    expect(await objects.putIfAbsent("quoting/a", body("again"))).toBeNull();
    // The first If-Match finds out which form this server compares; both the switch and later writes hold.
    const second = await objects.putIfMatch("quoting/a", body("v2"), created!);
    expect(second).not.toBeNull();
    expect(await objects.putIfMatch("quoting/a", body("stale"), created!)).toBeNull();
    expect(await objects.putIfMatch("quoting/a", body("v3"), second!)).not.toBeNull();
    expect(new TextDecoder().decode((await objects.get("quoting/a"))!.body)).toBe("v3");
    // A fresh store meeting a real lost race first still reports it as one.
    const other = objectStore();
    expect(await other.putIfMatch("quoting/a", body("stale"), second!)).toBeNull();
    objects.close();
    other.close();
  });

  test("headers chosen for the endpoint go with every request", async () => {
    // RGW keeps x-amz-meta-* headers as object metadata, which shows they were sent.
    const location = s3Location(`s3://${BUCKET}/`, env);
    const objects = new ObjectStore(location.bucket, location.endpoint, location.client, { "x-amz-meta-probe": "sent" });
    await objects.put("headers/a", body("x"));
    const { HeadObjectCommand, S3Client } = await import("@aws-sdk/client-s3");
    const client = new S3Client(location.client);
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "headers/a" }));
    expect(head.Metadata).toEqual({ probe: "sent" });
    client.destroy();
    objects.close();
  });
});

const tp = { topic: "t", partition: 0 };
const everything = { maxBytes: 1 << 30, isolation: "read_uncommitted" } as const;

async function payloads(store: Storage, fetchOffset = 0n): Promise<string[]> {
  return (await store.fetch(tp, { ...everything, fetchOffset })).batches.map(payloadOf);
}

describe("s3: sharing one bucket", () => {
  test("two stores appending concurrently get contiguous unique offsets and lose nothing", async () => {
    const url = freshUrl();
    const [a, b] = [await open(url), await open(url)];
    await a.createTopic({ name: "t", partitions: 1, configs: {} });
    const perStore = 40;
    const appendAll = (store: Storage, w: number) =>
      Promise.all(
        Array.from({ length: perStore }, (_, i) =>
          store.append(tp, fakeBatch(`w${w}-${i}`, { offsetCount: (i % 3) + 1 })).then((r) => ({ ...r, payload: `w${w}-${i}`, count: (i % 3) + 1 })),
        ),
      );
    const acks = (await Promise.all([appendAll(a, 0), appendAll(b, 1)])).flat();

    const byOffset = acks.sort((x, y) => (x.baseOffset < y.baseOffset ? -1 : 1));
    let next = 0n;
    for (const ack of byOffset) {
      expect(ack.baseOffset).toBe(next);
      next += BigInt(ack.count);
    }
    expect((await b.offsets(tp)).highWatermark).toBe(next);
    const batches = await fetchAll(b, tp);
    expect(batches.map(payloadOf)).toEqual(byOffset.map((ack) => ack.payload));
    expect(batches.map(baseOffsetOf)).toEqual(byOffset.map((ack) => ack.baseOffset));
    await a.close();
    await b.close();
  });

  test("an append from a stale head loses its race, re-reads and lands after the other store's", async () => {
    const url = freshUrl();
    const [a, b] = [await open(url), await open(url)];
    await a.createTopic({ name: "t", partitions: 1, configs: {} });
    const producer = { producerId: 9n, producerEpoch: 0 };
    // a remembers the head version its own append wrote; b's append makes that version stale.
    expect((await a.append(tp, fakeBatch("a0", { ...producer, baseSequence: 0 }))).baseOffset).toBe(0n);
    expect((await b.append(tp, fakeBatch("b1", { ...producer, baseSequence: 1 }))).baseOffset).toBe(1n);
    // Against a's stale version sequence 2 is a gap: a reads the head again before refusing,
    // and there sequence 2 follows b's batch, and b's batch is a duplicate when retried.
    expect((await a.append(tp, fakeBatch("a2", { ...producer, baseSequence: 2 }))).baseOffset).toBe(2n);
    expect(await a.append(tp, fakeBatch("b1", { ...producer, baseSequence: 1 }))).toMatchObject({ baseOffset: 1n, duplicate: true });
    // A plain batch needs no sequence check, so a's CAS from its stale version must lose
    // (or it would overwrite b's batch at offset 3) and land after it.
    expect((await b.append(tp, fakeBatch("b3"))).baseOffset).toBe(3n);
    expect((await a.append(tp, fakeBatch("a4"))).baseOffset).toBe(4n);
    expect(await payloads(b)).toEqual(["a0", "b1", "a2", "b3", "a4"]);
    await a.close();
    await b.close();
  });

  test("conditional writes: If-None-Match refuses an existing object, If-Match a changed one", async () => {
    const store = objectStore();
    const key = `cas-${++stores}.json`;
    const first = (await writeDocument(store, key, ["first"], null))!;
    expect(first).toEqual(expect.any(String));
    expect(await writeDocument(store, key, ["again"], null)).toBeNull();
    const second = await writeDocument(store, key, ["second"], first);
    expect(second).not.toBeNull();
    expect(await writeDocument(store, key, ["stale"], first)).toBeNull();
    expect(await writeDocument(store, `missing-${key}`, ["x"], first)).toBeNull();
    expect(await readDocument(store, key)).toEqual({ value: ["second"], etag: second! });
    store.close();
  });

  test("an update whose write loses a race reads again and keeps both changes", async () => {
    const location = s3Location(`s3://${BUCKET}/`, env);
    /** Lets another writer in between the update's read and its first conditional write. */
    class Interfering extends ObjectStore {
      interfered = false;
      override async putIfMatch(key: string, body: Uint8Array, etag: string): Promise<string | null> {
        if (!this.interfered) {
          this.interfered = true;
          const seen = (await readDocument<string[]>(this, key))!;
          expect(await writeDocument(this, key, [...seen.value, "other"], seen.etag)).not.toBeNull();
        }
        return super.putIfMatch(key, body, etag);
      }
    }
    const store = new Interfering(location.bucket, location.endpoint, location.client);
    const key = `cas-${++stores}.json`;
    await writeDocument(store, key, ["start"], null);
    const seenByAttempts: string[][] = [];
    await updateDocument<string[], void>(store, key, (current) => {
      seenByAttempts.push(current!);
      return { next: [...current!, "mine"], result: undefined };
    });
    expect(seenByAttempts).toEqual([["start"], ["start", "other"]]);
    expect((await readDocument<string[]>(store, key))!.value).toEqual(["start", "other", "mine"]);
    store.close();
  });

  test("identical content written twice still gets a new version", async () => {
    const store = await open(freshUrl());
    const v1 = (await store.putRecord("n", "k", { same: true }, null))!;
    const v2 = (await store.putRecord("n", "k", { same: true }, v1))!;
    expect(v2).not.toBe(v1);
    expect(await store.putRecord("n", "k", { same: true }, v1)).toBeNull();
    await store.close();
  });
});

describe("s3: topics seen through a stale cache", () => {
  test("a store that cached a deleted and re-created topic appends to and reads the new one", async () => {
    const url = freshUrl();
    const [a, b] = [await open(url), await open(url)];
    await a.createTopic({ name: "t", partitions: 1, configs: {} });
    await a.append(tp, fakeBatch("old"));
    expect(await payloads(a)).toEqual(["old"]);

    await b.deleteTopic({ name: "t" });
    await b.createTopic({ name: "t", partitions: 1, configs: {} });
    expect((await a.append(tp, fakeBatch("new"))).baseOffset).toBe(0n);
    expect(await payloads(a)).toEqual(["new"]);
    expect(await payloads(b)).toEqual(["new"]);
    await a.close();
    await b.close();
  });

  test("no append succeeds on a topic another store deleted", async () => {
    const url = freshUrl();
    const [a, b] = [await open(url), await open(url)];
    await a.createTopic({ name: "t", partitions: 2, configs: {} });
    await a.append(tp, fakeBatch("x"));
    await b.deleteTopic({ name: "t" });
    await expect(a.append(tp, fakeBatch("y"))).rejects.toThrow(UnknownTopicError);
    await expect(a.fetch(tp, { ...everything, fetchOffset: 0n })).rejects.toThrow(UnknownTopicError);
    await expect(a.offsets({ topic: "t", partition: 1 })).rejects.toThrow(UnknownTopicError);
    await a.close();
    await b.close();
  });

  test("deleteTopic removes the topic's log objects", async () => {
    const url = freshUrl();
    const store = await open(url, TINY_INDEX);
    await store.createTopic({ name: "t", partitions: 2, configs: {} });
    for (let i = 0; i < 10; i++) await store.append(tp, fakeBatch(`m${i}`));
    const objects = objectStore();
    const prefix = url.slice(`s3://${BUCKET}/`.length);
    expect((await objects.list(`${prefix}logs/`)).length).toBeGreaterThan(10);
    await store.deleteTopic({ name: "t" });
    expect(await objects.list(`${prefix}logs/`)).toEqual([]);
    objects.close();
    await store.close();
  });
});

describe("s3: index chunks", () => {
  test("past the bound the head keeps few entries; reads from the oldest chunk still work", async () => {
    const url = freshUrl();
    const store = await open(url, { headIndexLimit: 4, headIndexKeep: 2 });
    await store.createTopic({ name: "t", partitions: 1, configs: {} });
    const count = 25;
    for (let i = 0; i < count; i++) {
      await store.append(tp, fakeBatch(`m${i}`, { offsetCount: 2, maxTimestamp: BigInt(1000 + (i === 3 ? 5000 : i)) }));
    }
    const objects = objectStore();
    const prefix = url.slice(`s3://${BUCKET}/`.length);
    const chunks = (await objects.list(`${prefix}logs/`)).filter((key) => key.includes("/index/"));
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    const head = (await objects.list(`${prefix}logs/`)).find((key) => key.endsWith("/head.json"))!;
    const stored = (await readDocument<{ entries: unknown[]; chunks: unknown[] }>(objects, head))!.value;
    expect(stored.entries.length).toBeLessThanOrEqual(4);
    expect(stored.chunks.length).toBe(chunks.length);
    objects.close();

    const all = Array.from({ length: count }, (_, i) => `m${i}`);
    expect(await payloads(store)).toEqual(all);
    expect(await payloads(store, 3n)).toEqual(all.slice(1));
    expect(await payloads(store, 41n)).toEqual(all.slice(20));
    const size = fakeBatch("m0").bytes.byteLength;
    expect((await store.fetch(tp, { fetchOffset: 1n, maxBytes: size * 3, isolation: "read_uncommitted" })).batches.map(payloadOf)).toEqual([
      "m0",
      "m1",
      "m2",
    ]);
    expect(await store.offsetForTimestamp(tp, 1002n)).toEqual({ offset: 4n, timestamp: 1002n });
    expect(await store.maxTimestamp(tp)).toEqual({ offset: 6n, timestamp: 6000n });
    expect((await store.batchSummaries(tp)).map((s) => s.baseOffset)).toEqual(all.map((_, i) => BigInt(i * 2)));

    // A rewrite inside the oldest chunk and a removal inside a middle one.
    await store.replaceBatch(tp, 2n, fakeBatch("m1 compacted").bytes);
    await store.replaceBatch(tp, 10n, null);
    expect((await payloads(store)).slice(0, 6)).toEqual(["m0", "m1 compacted", "m2", "m3", "m4", "m6"]);

    // Dropping whole chunks below the log start, keeping the one straddling it.
    expect(await store.deleteRecords(tp, 15n)).toBe(15n);
    expect(await payloads(store, 15n)).toEqual(all.slice(7));
    expect((await store.batchSummaries(tp))[0].baseOffset).toBe(14n);
    await store.close();
  });
});

describe("s3: failures", () => {
  test("open with a missing bucket fails naming the bucket and the endpoint", async () => {
    const error = await open("s3://no-such-bucket-here/").then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toContain("no-such-bucket-here");
    expect((error as Error).message).toContain(s3.endpoint);
  });

  test("the server going away makes operations fail with StorageUnavailableError", async () => {
    const own = await startS3();
    await own.createBucket("going-away");
    const store = await S3Storage.open("s3://going-away/", {
      env: s3Env(own),
    });
    await store.createTopic({ name: "t", partitions: 1, configs: {} });
    await store.append(tp, fakeBatch("before"));
    await own.stop();
    await expect(store.append(tp, fakeBatch("after"))).rejects.toThrow(StorageUnavailableError);
    await expect(store.fetch(tp, { ...everything, fetchOffset: 0n })).rejects.toThrow(StorageUnavailableError);
    await expect(store.listTopics()).rejects.toThrow(StorageUnavailableError);
    await store.close();
  }, 300_000);

  test("an object that is not a tansu document is reported as a storage failure", async () => {
    const url = freshUrl();
    const store = await open(url);
    const objects = objectStore();
    await objects.put(`${url.slice(`s3://${BUCKET}/`.length)}topics.json`, new TextEncoder().encode("not json"));
    await expect(store.listTopics()).rejects.toThrow(StorageUnavailableError);
    await expect(store.listTopics()).rejects.toThrow(/topics\.json is not a readable tansu document/);
    objects.close();
    await store.close();
  });

  test("openStorage opens s3:// with settings from the environment", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const store = await openStorage(freshUrl());
      expect(store.kind).toBe("s3");
      await store.createTopic({ name: "t", partitions: 1, configs: {} });
      expect((await store.listTopics()).map((t) => t.name)).toEqual(["t"]);
      await store.close();
    } finally {
      for (const key of Object.keys(env)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });
});

describe("s3: what reads and appends cost, counted at the server", () => {
  /** A store whose requests go through a counting proxy in front of the test server. */
  async function counted(url: string, options: S3StorageOptions = {}) {
    const proxy = startCountingProxy(s3.endpoint);
    const store = await S3Storage.open(url, { env: { ...env, AWS_ENDPOINT_URL_S3: proxy.endpoint }, ...options });
    return { proxy, store };
  }

  test("re-reading an unchanged head or catalog is a conditional GET answered 304, without a body", async () => {
    const { proxy, store } = await counted(freshUrl());
    await store.createTopic({ name: "t", partitions: 1, configs: {} });
    await store.append(tp, fakeBatch("x"));
    await store.getTopic({ name: "t" });
    proxy.reset();
    for (let i = 0; i < 3; i++) expect((await store.offsets(tp)).highWatermark).toBe(1n);
    expect((await store.getTopic({ name: "t" }))?.partitions).toBe(1);
    expect(proxy.counts()).toMatchObject({ get: 4, notModified: 4, put: 0 });
    expect(proxy.requests().every((r) => r.conditional)).toBe(true);
    await store.close();
    proxy.stop();
  });

  test("two brokers: a revalidated head or catalog shows the other broker's changes at once", async () => {
    const url = freshUrl();
    const a = await open(url);
    const { proxy, store: b } = await counted(url);
    await a.createTopic({ name: "t", partitions: 1, configs: {} });
    expect((await b.offsets(tp)).highWatermark).toBe(0n);
    await a.append(tp, fakeBatch("from a"));
    // b holds the head version from before a's append: its conditional GET gets the new one.
    proxy.reset();
    expect((await b.offsets(tp)).highWatermark).toBe(1n);
    expect(await payloads(b)).toEqual(["from a"]);
    expect(proxy.requests()[0]).toMatchObject({ method: "GET", conditional: true, status: 200 });
    // b's append decides against the version it just revalidated, and a sees it.
    expect((await b.append(tp, fakeBatch("from b"))).baseOffset).toBe(1n);
    expect(await payloads(a)).toEqual(["from a", "from b"]);
    // The catalog: a topic a creates, grows and deletes is seen by b on its next read.
    await a.createTopic({ name: "u", partitions: 1, configs: {} });
    expect((await b.getTopic({ name: "u" }))?.partitions).toBe(1);
    await a.createPartitions("u", 3);
    expect((await b.getTopic({ name: "u" }))?.partitions).toBe(3);
    await a.deleteTopic({ name: "t" });
    expect(await b.getTopic({ name: "t" })).toBeNull();
    await expect(b.offsets(tp)).rejects.toThrow(UnknownTopicError);
    await a.close();
    await b.close();
    proxy.stop();
  });

  test("a lookup that may reuse costs no GET of the catalog; a read naming the old id of a re-created topic is refused", async () => {
    const url = freshUrl();
    const a = await open(url);
    const { proxy, store: b } = await counted(url);
    await a.createTopic({ name: "t", partitions: 1, configs: {} });
    await a.append(tp, fakeBatch("old"));
    const old = (await b.getTopic({ name: "t" }))!;
    proxy.reset();
    expect((await b.getTopic({ name: "t" }, { reuse: true }))?.id).toBe(old.id);
    expect((await b.getTopic({ id: old.id }, { reuse: true }))?.name).toBe("t");
    expect((await b.fetch(tp, { ...everything, fetchOffset: 0n, topicId: old.id })).batches.map(payloadOf)).toEqual(["old"]);
    expect(proxy.requests().filter((r) => r.path.endsWith("/topics.json"))).toEqual([]);

    // Deleted and created again through a: b's copy still names the old topic, but its read notices.
    await a.deleteTopic({ name: "t" });
    const created = await a.createTopic({ name: "t", partitions: 1, configs: {} });
    await a.append(tp, fakeBatch("new"));
    expect((await b.getTopic({ name: "t" }, { reuse: true }))?.id).toBe(old.id);
    await expect(b.fetch(tp, { ...everything, fetchOffset: 0n, topicId: old.id })).rejects.toThrow(UnknownTopicError);
    // That read went back to the catalog: the old id is gone, the name leads to the new topic.
    expect(await b.getTopic({ id: old.id }, { reuse: true })).toBeNull();
    expect((await b.getTopic({ name: "t" }, { reuse: true }))?.id).toBe(created.id);
    expect((await b.fetch(tp, { ...everything, fetchOffset: 0n, topicId: created.id })).batches.map(payloadOf)).toEqual(["new"]);

    // A change made through this store is never answered from the copy.
    await b.setTopicConfigs("t", { "retention.ms": "1000" });
    expect((await b.getTopic({ name: "t" }, { reuse: true }))?.configs).toEqual({ "retention.ms": "1000" });
    await b.createPartitions("t", 2);
    expect((await b.getTopic({ name: "t" }, { reuse: true }))?.partitions).toBe(2);
    await a.close();
    await b.close();
    proxy.stop();
  });

  const headWrites = (proxy: ReturnType<typeof startCountingProxy>) => proxy.counts((r) => r.path.endsWith("/head.json")).conditionalPut;

  /** A topic with one batch in it, so that counting starts after a store's first If-Match (RGW makes it find out which ETag form to send). */
  async function warmTopic(store: Storage, proxy: ReturnType<typeof startCountingProxy>) {
    await store.createTopic({ name: "t", partitions: 1, configs: {} });
    await store.append(tp, fakeBatch("warm-up"));
    proxy.reset();
  }

  test("without batch_max_delay, appends share a head write only when they arrive during one", async () => {
    const { proxy, store } = await counted(freshUrl());
    await warmTopic(store, proxy);
    await Promise.all(Array.from({ length: 5 }, (_, i) => store.append(tp, fakeBatch(`m${i}`))));
    // The first goes alone; the four queued behind it share the next write.
    expect(headWrites(proxy)).toBe(2);
    await store.close();
    proxy.stop();
  });

  test("batch_max_delay: appends within the delay share one head write; one append alone still gets one", async () => {
    const { proxy, store } = await counted(`${freshUrl()}?batch_max_delay=300ms`);
    await warmTopic(store, proxy);
    const acks = await Promise.all(Array.from({ length: 5 }, (_, i) => store.append(tp, fakeBatch(`m${i}`))));
    expect(acks.map((a) => a.baseOffset)).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(headWrites(proxy)).toBe(1);
    expect(proxy.counts((r) => r.path.includes("/batches/")).put).toBe(5);
    expect(await payloads(store)).toEqual(["warm-up", "m0", "m1", "m2", "m3", "m4"]);
    proxy.reset();
    expect((await store.append(tp, fakeBatch("alone"))).baseOffset).toBe(6n);
    expect(headWrites(proxy)).toBe(1);
    await store.close();
    proxy.stop();
  });

  test("batch_min_size: waiting appends are written as soon as they hold more than that many bytes", async () => {
    const size = fakeBatch("m0").bytes.byteLength;
    // A delay no test could wait out: only the size can have ended it.
    const { proxy, store } = await counted(`${freshUrl()}?batch_max_delay=10m&batch_min_size=${2 * size}`);
    // The warm-up append alone waits out no delay: it holds more than batch_min_size bytes.
    await store.createTopic({ name: "t", partitions: 1, configs: {} });
    await store.append(tp, fakeBatch(`${"w".repeat(2 * size)}`));
    proxy.reset();
    const acks = await Promise.all(Array.from({ length: 3 }, (_, i) => store.append(tp, fakeBatch(`m${i}`))));
    expect(acks.map((a) => a.baseOffset)).toEqual([1n, 2n, 3n]);
    expect(headWrites(proxy)).toBe(1);
    await store.close();
    proxy.stop();
  });

  test("the URL's settings are checked when the store opens", async () => {
    await expect(open(`${freshUrl()}?batch_max_delay=soon`)).rejects.toThrow("batch_max_delay=soon is not a number");
    await expect(open(`${freshUrl()}?batch_size=1`)).rejects.toThrow("unknown setting batch_size");
  });
});
