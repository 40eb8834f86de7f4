// Produce v0-2 and Fetch v0-3 carry legacy message sets (magic 0 and 1); the broker stores magic-2 batches only,
// so these tests cross the two: legacy in, current out, and the reverse.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { decodeMessageSet, encodeMessageSet, type LegacyMessageInput } from "../../src/protocol/legacy-message-set.ts";
import {
  Compression,
  compressionOf,
  decodeRecordBatches,
  encodeControlBatch,
  encodeRecordBatch,
  timestampTypeOf,
} from "../../src/protocol/record-batch.ts";
import { startInProcessBroker, type InProcessBroker } from "./in-process-broker.ts";
import { batchOf, decodeText } from "./records.ts";

let b: InProcessBroker;
let c: KafkaConnection;

beforeAll(async () => {
  b = await startInProcessBroker();
  c = await b.connect();
});
afterAll(() => b.stop());

const text = new TextEncoder();

async function createTopic(name: string, configs: Record<string, string> = {}) {
  const r = await c.request(ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, v]) => ({ name: n, value: v })) }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  expect(r.topics[0]!.errorCode).toBe(ErrorCode.NONE);
}

function produce(version: number, topic: string, records: Uint8Array) {
  return c
    .request(ApiKey.Produce, version, { acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] })
    .then((r) => r.responses[0]!.partitionResponses[0]!);
}

async function fetch(version: number, topic: string, fetchOffset = 0n) {
  const r = await c.request(ApiKey.Fetch, version, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: "00000000-0000-0000-0000-000000000000", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: "",
  });
  const p = r.responses[0]!.partitions[0]!;
  expect(p.errorCode).toBe(ErrorCode.NONE);
  return p;
}

const messages = (n: number, timestamp = 1_700_000_000_000n): LegacyMessageInput[] =>
  Array.from({ length: n }, (_, i) => ({
    offset: BigInt(i),
    timestamp: timestamp + BigInt(i),
    key: i === 0 ? null : text.encode(`k${i}`),
    value: text.encode(`v${i}`),
  }));

describe("api versions", () => {
  test("Produce v0-11, Fetch v0-17 and ListOffsets v0-10 are advertised", async () => {
    const r = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "test", clientSoftwareVersion: "1.0" });
    const range = (key: number) => {
      const k = r.apiKeys.find((x) => x.apiKey === key)!;
      return [k.minVersion, k.maxVersion];
    };
    expect(range(ApiKey.Produce)).toEqual([0, 11]);
    expect(range(ApiKey.Fetch)).toEqual([0, 17]);
    expect(range(ApiKey.ListOffsets)).toEqual([0, 10]);
  });
});

describe("legacy produce, current fetch", () => {
  test("produce v0 (magic 0) is stored as one batch without timestamps; fetch v12 reads it", async () => {
    await createTopic("legacy-p0");
    await produce(0, "legacy-p0", encodeMessageSet(messages(1), { magic: 0 }));
    const second = await produce(0, "legacy-p0", encodeMessageSet(messages(3), { magic: 0 }));
    expect(second.errorCode).toBe(ErrorCode.NONE);
    expect(second.baseOffset).toBe(1n);
    const batches = decodeRecordBatches((await fetch(12, "legacy-p0")).records!);
    expect(batches.map((bt) => [bt.baseOffset, bt.recordCount, bt.baseTimestamp, bt.maxTimestamp])).toEqual([
      [0n, 1, -1n, -1n],
      [1n, 3, -1n, -1n],
    ]);
    expect(batches[1]!.records.map((r) => [r.offsetDelta, decodeText(r.key), decodeText(r.value)])).toEqual([
      [0, null, "v0"],
      [1, "k1", "v1"],
      [2, "k2", "v2"],
    ]);
  });

  test("a batch without timestamps ages from its arrival, not from 1970, so retention keeps it", async () => {
    await createTopic("legacy-retention");
    const before = BigInt(Date.now());
    await produce(1, "legacy-retention", encodeMessageSet(messages(2), { magic: 0 }));
    const [summary] = await b.ctx.storage.batchSummaries({ topic: "legacy-retention", partition: 0 });
    expect(summary!.maxTimestamp).toBeGreaterThanOrEqual(before);
  });

  for (const [name, codec] of [["gzip", 1], ["snappy", 2], ["lz4", 3]] as const) {
    test(`produce v2 (magic 1) ${name} wrapper keeps its codec and timestamps`, async () => {
      const topic = `legacy-p2-${name}`;
      await createTopic(topic);
      const r = await produce(2, topic, encodeMessageSet(messages(5), { magic: 1, compression: codec }));
      expect(r.errorCode).toBe(ErrorCode.NONE);
      const [batch] = decodeRecordBatches((await fetch(12, topic)).records!);
      expect(compressionOf(batch!.attributes)).toBe(codec);
      expect(batch!.records.map((rec) => [rec.offsetDelta, batch!.baseTimestamp + rec.timestampDelta, decodeText(rec.value)])).toEqual(
        messages(5).map((m, i) => [i, m.timestamp, `v${i}`]),
      );
    });
  }

  test("a magic-0 lz4 wrapper with Kafka 0.8's frame checksum is accepted", async () => {
    await createTopic("legacy-lz4-v0");
    const r = await produce(0, "legacy-lz4-v0", encodeMessageSet(messages(3), { magic: 0, compression: Compression.lz4 }));
    expect(r.errorCode).toBe(ErrorCode.NONE);
    const [batch] = decodeRecordBatches((await fetch(12, "legacy-lz4-v0")).records!);
    expect(batch!.records.map((rec) => decodeText(rec.value))).toEqual(["v0", "v1", "v2"]);
  });

  test("a corrupt message is CORRUPT_MESSAGE and nothing is written", async () => {
    await createTopic("legacy-corrupt");
    const set = encodeMessageSet(messages(2), { magic: 1 });
    set[set.length - 1] ^= 0xff;
    expect((await produce(2, "legacy-corrupt", set)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect((await fetch(12, "legacy-corrupt")).highWatermark).toBe(0n);
  });

  test("a magic-2 batch in Produce v2 is refused", async () => {
    await createTopic("legacy-wrong-magic");
    expect((await produce(2, "legacy-wrong-magic", batchOf([{ value: "x" }]))).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  test("zstd in a legacy message is UNSUPPORTED_COMPRESSION_TYPE", async () => {
    await createTopic("legacy-zstd");
    // Build a magic-1 wrapper naming zstd (codec 4) around a plain message set.
    const inner = encodeMessageSet(messages(1), { magic: 1 });
    const wrapper = encodeMessageSet([{ offset: 0n, timestamp: 0n, key: null, value: inner }], { magic: 1 });
    wrapper[17] = Compression.zstd;
    const { crc32 } = await import("node:zlib");
    new DataView(wrapper.buffer).setUint32(12, crc32(wrapper.subarray(16)));
    expect((await produce(2, "legacy-zstd", wrapper)).errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  });
});

describe("current produce, legacy fetch", () => {
  const ts = 1_700_000_000_000n;

  async function seed(topic: string) {
    await createTopic(topic);
    const record = (i: number) => ({ offsetDelta: i, timestampDelta: BigInt(i), key: text.encode(`k${i}`), value: text.encode(`v${i}`), headers: [{ key: "h", value: text.encode("x") }] });
    await produce(11, topic, encodeRecordBatch({ baseTimestamp: ts, records: [0, 1, 2].map(record) }));
    await produce(11, topic, encodeRecordBatch({ baseTimestamp: ts + 100n, compression: Compression.gzip, records: [0, 1].map(record) }));
    await produce(11, topic, encodeRecordBatch({ baseTimestamp: ts + 200n, compression: Compression.zstd, records: [0].map(record) }));
  }
  const expected = [
    [0n, "k0", "v0", ts],
    [1n, "k1", "v1", ts + 1n],
    [2n, "k2", "v2", ts + 2n],
    [3n, "k0", "v0", ts + 100n],
    [4n, "k1", "v1", ts + 101n],
    [5n, "k0", "v0", ts + 200n],
  ] as const;

  for (const version of [0, 1, 2, 3]) {
    const magic = version < 2 ? 0 : 1;
    test(`fetch v${version} answers magic ${magic} with absolute offsets`, async () => {
      const topic = `legacy-f${version}`;
      await seed(topic);
      const p = await fetch(version, topic);
      expect(p.highWatermark).toBe(6n);
      const decoded = decodeMessageSet(p.records!);
      expect(decoded.every((m) => m.magic === magic)).toBe(true);
      expect(decoded.map((m) => [m.offset, decodeText(m.key), decodeText(m.value), m.timestamp])).toEqual(
        expected.map(([o, k, v, t]) => [o, k, v, magic === 0 ? -1n : t]),
      );
      // gzip stays a gzip wrapper; zstd, which has no legacy codec id, arrives uncompressed.
      expect(decoded.map((m) => m.compression)).toEqual([0, 0, 0, 1, 1, 0]);
    });
  }

  test("fetch v3 from the middle of an uncompressed batch starts at the offset asked for", async () => {
    await seed("legacy-middle");
    const decoded = decodeMessageSet((await fetch(3, "legacy-middle", 2n)).records!);
    expect(decoded.map((m) => m.offset)).toEqual([2n, 3n, 4n, 5n]);
  });

  test("control batches are not sent to legacy consumers", async () => {
    await createTopic("legacy-control");
    const tp = { topic: "legacy-control", partition: 0 };
    const data = encodeRecordBatch({ baseTimestamp: ts, producerId: 9n, producerEpoch: 0, baseSequence: 0, transactional: true, records: [{ offsetDelta: 0, value: text.encode("in-txn") }] });
    await b.ctx.storage.append(tp, { bytes: data, offsetCount: 1, maxTimestamp: ts, producerId: 9n, producerEpoch: 0, baseSequence: 0, transactional: true, control: null });
    const marker = encodeControlBatch({ producerId: 9n, producerEpoch: 0, commit: true, timestamp: ts });
    await b.ctx.storage.append(tp, { bytes: marker, offsetCount: 1, maxTimestamp: ts, producerId: 9n, producerEpoch: 0, baseSequence: -1, transactional: true, control: "commit" });
    await produce(2, "legacy-control", encodeMessageSet(messages(1), { magic: 1 }));
    const decoded = decodeMessageSet((await fetch(2, "legacy-control")).records!);
    expect(decoded.map((m) => [m.offset, decodeText(m.value)])).toEqual([[0n, "in-txn"], [2n, "v0"]]);
  });

  test("a LogAppendTime topic: fetch v2 shows the append time with the timestamp-type bit", async () => {
    await createTopic("legacy-append-time", { "message.timestamp.type": "LogAppendTime" });
    const before = BigInt(Date.now());
    await produce(2, "legacy-append-time", encodeMessageSet(messages(2, 5n), { magic: 1 }));
    const [batch] = decodeRecordBatches((await fetch(12, "legacy-append-time")).records!);
    expect(timestampTypeOf(batch!.attributes)).toBe(1);
    const decoded = decodeMessageSet((await fetch(2, "legacy-append-time")).records!);
    expect(decoded.map((m) => [m.timestamp, m.timestampType])).toEqual([[batch!.maxTimestamp, 1], [batch!.maxTimestamp, 1]]);
    expect(batch!.maxTimestamp).toBeGreaterThanOrEqual(before);
  });
});

describe("ListOffsets v0", () => {
  test("old-style offsets: the one offset asked for, or none", async () => {
    await createTopic("legacy-list");
    await produce(0, "legacy-list", encodeMessageSet(messages(4), { magic: 0 }));
    const list = (timestamp: bigint, maxNumOffsets = 1) =>
      c
        .request(ApiKey.ListOffsets, 0, { replicaId: -1, topics: [{ name: "legacy-list", partitions: [{ partitionIndex: 0, timestamp, maxNumOffsets }] }] })
        .then((r) => r.topics[0]!.partitions[0]!);
    const latest = await list(-1n);
    expect(latest.errorCode).toBe(ErrorCode.NONE);
    expect(latest.oldStyleOffsets).toEqual([4n]);
    expect((await list(-2n)).oldStyleOffsets).toEqual([0n]);
    expect((await list(-1n, 0)).oldStyleOffsets).toEqual([]);
    // Later than every record's arrival: no offset.
    expect((await list(BigInt(Date.now()) + 3_600_000n)).oldStyleOffsets).toEqual([]);
  });
});
