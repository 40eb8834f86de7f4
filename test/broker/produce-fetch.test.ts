import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { decodeRecordBatches } from "../../src/protocol/record-batch.ts";
import type { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { startInProcessBroker, type InProcessBroker } from "./in-process-broker.ts";
import { batchOf, decodeText } from "./records.ts";

let b: InProcessBroker;
let c: KafkaConnection;

beforeAll(async () => {
  b = await startInProcessBroker();
  c = await b.connect();
});
afterAll(() => b.stop());

async function createTopic(name: string, partitions = 1, configs: Record<string, string> = {}) {
  const r = await c.request(ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, v]) => ({ name: n, value: v })) }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  expect(r.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  return r.topics[0]!;
}

function produce(topic: string, records: Uint8Array, partition = 0, acks = -1) {
  return c.request(ApiKey.Produce, 11, {
    transactionalId: null,
    acks,
    timeoutMs: 1000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
}

function fetch(topic: string, fetchOffset: bigint, opts: { maxWaitMs?: number; minBytes?: number; partitionMaxBytes?: number; version?: number } = {}) {
  return c.request(ApiKey.Fetch, opts.version ?? 12, {
    replicaId: -1,
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: opts.minBytes ?? 1,
    maxBytes: 50 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: "00000000-0000-0000-0000-000000000000", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: opts.partitionMaxBytes ?? 1024 * 1024 }] }],
    forgottenTopicsData: [],
    rackId: "",
  });
}

describe("produce and fetch", () => {
  test("offsets are assigned contiguously and records read back", async () => {
    await createTopic("pf-basic");
    const first = await produce("pf-basic", batchOf([{ key: "a", value: "1" }, { key: "b", value: "2" }]));
    const second = await produce("pf-basic", batchOf([{ key: "c", value: "3" }]));
    expect(first.responses[0]!.partitionResponses[0]!.baseOffset).toBe(0n);
    expect(second.responses[0]!.partitionResponses[0]!.baseOffset).toBe(2n);

    const f = await fetch("pf-basic", 0n);
    const p = f.responses[0]!.partitions[0]!;
    expect(p.errorCode).toBe(ErrorCode.NONE);
    expect(p.highWatermark).toBe(3n);
    const batches = decodeRecordBatches(p.records!);
    const values = batches.flatMap((bt) => bt.records.map((r) => [bt.baseOffset + BigInt(r.offsetDelta), decodeText(r.key), decodeText(r.value)]));
    expect(values).toEqual([[0n, "a", "1"], [1n, "b", "2"], [2n, "c", "3"]]);
  });

  test("fetch from the middle of a batch returns the batch holding that offset", async () => {
    await createTopic("pf-middle");
    await produce("pf-middle", batchOf([{ value: "x" }, { value: "y" }, { value: "z" }]));
    const p = (await fetch("pf-middle", 1n)).responses[0]!.partitions[0]!;
    const [batch] = decodeRecordBatches(p.records!);
    expect(batch!.baseOffset).toBe(0n);
    expect(batch!.records.length).toBe(3);
  });

  test("fetch past the high watermark is OFFSET_OUT_OF_RANGE", async () => {
    await createTopic("pf-range");
    await produce("pf-range", batchOf([{ value: "x" }]));
    const p = (await fetch("pf-range", 5n)).responses[0]!.partitions[0]!;
    expect(p.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  test("fetch by topic id (v13+) and unknown topic id", async () => {
    const created = await createTopic("pf-by-id");
    await produce("pf-by-id", batchOf([{ value: "x" }]));
    const byId = await c.request(ApiKey.Fetch, 16, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [
        { topic: "", topicId: created.topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] },
        { topic: "", topicId: "11111111-1111-1111-1111-111111111111", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] },
      ],
      forgottenTopicsData: [], rackId: "",
    });
    expect(byId.responses[0]!.partitions[0]!.highWatermark).toBe(1n);
    expect(byId.responses[1]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
  });

  test("a long poll answers as soon as a record arrives", async () => {
    await createTopic("pf-long-poll");
    // Ten minutes: if the produce did not wake the fetch, the test times out and fails.
    const pending = fetch("pf-long-poll", 0n, { maxWaitMs: 600_000 });
    const other = await b.connect();
    await other.request(ApiKey.Produce, 11, {
      transactionalId: null, acks: -1, timeoutMs: 1000,
      topicData: [{ name: "pf-long-poll", partitionData: [{ index: 0, records: batchOf([{ value: "wake" }]) }] }],
    });
    const p = (await pending).responses[0]!.partitions[0]!;
    expect(decodeText(decodeRecordBatches(p.records!)[0]!.records[0]!.value)).toBe("wake");
  });

  test("unknown topic and unknown partition", async () => {
    await createTopic("pf-one-partition");
    const r = await produce("pf-nope", batchOf([{ value: "x" }]));
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const r2 = await produce("pf-one-partition", batchOf([{ value: "x" }]), 3);
    expect(r2.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  test("max.message.bytes is enforced with MESSAGE_TOO_LARGE", async () => {
    await createTopic("pf-small", 1, { "max.message.bytes": "200" });
    const r = await produce("pf-small", batchOf([{ value: "x".repeat(500) }]));
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    const f = (await fetch("pf-small", 0n)).responses[0]!.partitions[0]!;
    expect(f.highWatermark).toBe(0n);
  });

  test("compacted topics refuse a batch with keyless records, listing every one as Kafka's LogValidator does", async () => {
    await createTopic("pf-compact", 1, { "cleanup.policy": "compact" });
    // 100 records, every tenth without a key, in one gzip batch (the per-record check sees decompressed records).
    const values = Array.from({ length: 100 }, (_, i) => ({ key: i % 10 === 0 ? null : `k${i}`, value: `v${i}` }));
    const r = await produce("pf-compact", batchOf(values, 1));
    const p = r.responses[0]!.partitionResponses[0]!;
    const message = "Compacted topic cannot accept message without key in topic partition pf-compact-0";
    expect(p.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(p.baseOffset).toBe(-1n);
    expect(p.recordErrors).toEqual(Array.from({ length: 10 }, (_, i) => ({ batchIndex: i * 10, batchIndexErrorMessage: message })));
    expect(p.errorMessage).toBe(
      "One or more records have been rejected due to 10 record errors in total, and only showing the first three errors at most: " +
        `[RecordError(batchIndex=0, message='${message}'), RecordError(batchIndex=10, message='${message}'), RecordError(batchIndex=20, message='${message}')]`,
    );
    // Nothing of the batch was written; a batch with keys only is.
    expect((await fetch("pf-compact", 0n)).responses[0]!.partitions[0]!.highWatermark).toBe(0n);
    const keyed = await produce("pf-compact", batchOf([{ key: "k", value: "1" }]));
    expect(keyed.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n, recordErrors: [] });
  });

  test("record errors travel only in Produce v8+; older versions get the partition error alone", async () => {
    await createTopic("pf-compact-v7", 1, { "cleanup.policy": "compact" });
    const r = await c.request(ApiKey.Produce, 7, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: "pf-compact-v7", partitionData: [{ index: 0, records: batchOf([{ value: "no key" }]) }] }],
    });
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.INVALID_RECORD);
  });

  test("LogAppendTime topics stamp the broker's time", async () => {
    await createTopic("pf-append-time", 1, { "message.timestamp.type": "LogAppendTime" });
    const before = BigInt(Date.now());
    const r = await produce("pf-append-time", batchOf([{ value: "x", timestamp: 1000n }]));
    const p = r.responses[0]!.partitionResponses[0]!;
    expect(p.logAppendTimeMs!).toBeGreaterThanOrEqual(before);
    const [batch] = decodeRecordBatches((await fetch("pf-append-time", 0n)).responses[0]!.partitions[0]!.records!);
    expect(batch!.maxTimestamp).toBe(p.logAppendTimeMs!);
    expect(batch!.attributes & 0x08).toBe(0x08);
  });

  test("a batch with a bad CRC is CORRUPT_MESSAGE and nothing is written", async () => {
    await createTopic("pf-crc");
    const bytes = batchOf([{ value: "hello" }]);
    bytes[bytes.length - 1] ^= 0xff;
    const r = await produce("pf-crc", bytes);
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect((await fetch("pf-crc", 0n)).responses[0]!.partitions[0]!.highWatermark).toBe(0n);
  });

  test("acks=0 gets no response but the records are written", async () => {
    await createTopic("pf-acks0");
    // The next request on the same connection is answered; an acks=0 produce never is.
    const produced = produce("pf-acks0", batchOf([{ value: "fire" }]), 0, 0).then(() => "answered");
    const fetched = fetch("pf-acks0", 0n);
    expect(await Promise.race([produced, fetched.then(() => "fetch first")])).toBe("fetch first");
    expect((await fetched).responses[0]!.partitions[0]!.highWatermark).toBe(1n);
  });
});

describe("list offsets and delete records", () => {
  test("earliest, latest, by timestamp, max timestamp", async () => {
    await createTopic("lo-basic");
    await produce("lo-basic", batchOf([{ value: "a", timestamp: 1000n }, { value: "b", timestamp: 5000n }]));
    await produce("lo-basic", batchOf([{ value: "c", timestamp: 3000n }]));
    const ask = async (timestamp: bigint) => {
      const r = await c.request(ApiKey.ListOffsets, 8, {
        replicaId: -1, isolationLevel: 0,
        topics: [{ name: "lo-basic", partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
        timeoutMs: 0,
      });
      return r.topics[0]!.partitions[0]!;
    };
    expect((await ask(-2n)).offset).toBe(0n);
    expect((await ask(-1n)).offset).toBe(3n);
    expect((await ask(2000n)).offset).toBe(1n);
    expect((await ask(6000n)).offset).toBe(-1n);
    const max = await ask(-3n);
    expect([max.offset, max.timestamp]).toEqual([1n, 5000n]);
  });

  test("delete records moves the log start; fetching below it is out of range", async () => {
    await createTopic("dr-basic");
    await produce("dr-basic", batchOf([{ value: "a" }]));
    await produce("dr-basic", batchOf([{ value: "b" }]));
    const r = await c.request(ApiKey.DeleteRecords, 2, {
      topics: [{ name: "dr-basic", partitions: [{ partitionIndex: 0, offset: 1n }] }],
      timeoutMs: 1000,
    });
    expect(r.topics[0]!.partitions[0]!.lowWatermark).toBe(1n);
    expect((await fetch("dr-basic", 0n)).responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const p = (await fetch("dr-basic", 1n)).responses[0]!.partitions[0]!;
    expect(p.logStartOffset).toBe(1n);
    expect(decodeText(decodeRecordBatches(p.records!)[0]!.records[0]!.value)).toBe("b");
  });
});

describe("fetch limits and leader epochs", () => {
  test("partition max bytes stops after the first batch that crosses it; the first batch always comes whole", async () => {
    await createTopic("lim-partition");
    for (const v of ["a", "b", "c"]) await produce("lim-partition", batchOf([{ value: v.repeat(300) }]));
    const tiny = (await fetch("lim-partition", 0n, { partitionMaxBytes: 10 })).responses[0]!.partitions[0]!;
    expect(decodeRecordBatches(tiny.records!).map((b) => b.baseOffset)).toEqual([0n]);
    const all = (await fetch("lim-partition", 0n, { partitionMaxBytes: 1 << 20 })).responses[0]!.partitions[0]!;
    expect(decodeRecordBatches(all.records!).map((b) => b.baseOffset)).toEqual([0n, 1n, 2n]);
  });

  test("response max bytes: later partitions report offsets but no records once the response is full", async () => {
    await createTopic("lim-response", 2);
    for (const partition of [0, 1]) await produce("lim-response", batchOf([{ value: "x".repeat(500) }]), partition);
    const r = await c.request(ApiKey.Fetch, 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 100, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: "lim-response", topicId: "00000000-0000-0000-0000-000000000000", partitions: [0, 1].map((partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 })) }],
      forgottenTopicsData: [], rackId: "",
    });
    const [p0, p1] = r.responses[0]!.partitions;
    expect(decodeRecordBatches(p0!.records!).length).toBe(1);
    expect(p1!.records!.length).toBe(0);
    expect(p1!.highWatermark).toBe(1n);
  });

  test("offset for leader epoch: epoch 0 ends at the high watermark; a future epoch is fenced", async () => {
    await createTopic("lim-epoch");
    await produce("lim-epoch", batchOf([{ value: "a" }, { value: "b" }]));
    const ask = (leaderEpoch: number, currentLeaderEpoch: number) =>
      c.request(ApiKey.OffsetForLeaderEpoch, 4, {
        replicaId: -1,
        topics: [{ topic: "lim-epoch", partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }],
      });
    const ok = (await ask(0, 0)).topics[0]!.partitions[0]!;
    expect([ok.errorCode, ok.leaderEpoch, ok.endOffset]).toEqual([ErrorCode.NONE, 0, 2n]);
    expect((await ask(0, 5)).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
  });
});
