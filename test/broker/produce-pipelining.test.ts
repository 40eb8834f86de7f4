// On postgres://, whose appends take effect in call order, a connection starts a Produce while
// the Produce before it still waits for its appends. Kafka handles a connection's requests one at
// a time, so a client must not be able to tell: each partition gets its batches in the order they
// were sent, idempotent sequences are checked in that order, and answers go out in request order.
// These tests hold an earlier request back in its topic lookup (which a later one passes) and
// check that none of that changes.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { decodeResponse, encodeRequest } from "../../src/protocol/messages.ts";
import { decodeRecordBatches, encodeRecordBatch } from "../../src/protocol/record-batch.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { rawSocket } from "../harness/raw-socket.ts";
import { startPostgresStores, type PostgresStores } from "../harness/stores.ts";
import { until } from "../harness/until.ts";
import { startInProcessBroker, type InProcessBroker } from "./in-process-broker.ts";
import { decodeText } from "./records.ts";

let stores: PostgresStores;
let b: InProcessBroker;
/** Topic lookups started, and the release of the one being held (null: none is). */
let lookups = 0;
let lookupsDone = 0;
let held: { release(): void } | null = null;
let holdNext = false;
/** Appends handed to the store, and those it completed. */
let appendsCalled = 0;
let appendsDone = 0;

beforeAll(async () => {
  stores = await startPostgresStores();
  b = await startInProcessBroker({ defaultPartitions: 2 }, (await stores.fresh()).storage);
  expect(b.ctx.storage.appendsInCallOrder).toBe(true);
  // The real store, with the next topic lookup held back on request and appends counted.
  const storage: Storage = b.ctx.storage;
  const getTopic = storage.getTopic.bind(storage);
  const append = storage.append.bind(storage);
  storage.getTopic = async (by) => {
    lookups++;
    if (holdNext) {
      holdNext = false;
      await new Promise<void>((resolve) => (held = { release: resolve }));
    }
    try {
      return await getTopic(by);
    } finally {
      lookupsDone++;
    }
  };
  storage.append = (tp, batch) => {
    appendsCalled++;
    return append(tp, batch).finally(() => appendsDone++);
  };
});
afterAll(async () => {
  held?.release();
  await b.stop();
  await stores.stop();
});

const text = new TextEncoder();

function batch(value: string, producer?: { id: bigint; sequence: number }): Uint8Array {
  return encodeRecordBatch({
    baseTimestamp: 1_700_000_000_000n,
    producerId: producer?.id ?? -1n,
    producerEpoch: producer ? 0 : -1,
    baseSequence: producer?.sequence ?? -1,
    records: [{ offsetDelta: 0, timestampDelta: 0n, key: null, value: text.encode(value), headers: [] }],
  });
}

function produceFrame(correlationId: number, topic: string, partition: number, records: Uint8Array): Promise<Uint8Array> {
  return encodeRequest(
    { apiKey: ApiKey.Produce, apiVersion: 9, correlationId, clientId: "pipelined" },
    { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] },
  );
}

async function createTopic(name: string): Promise<void> {
  await b.ctx.storage.createTopic({ name, partitions: 2, configs: {} });
}

type Counts = { lookups: number; lookupsDone: number; appendsCalled: number; appendsDone: number };

/** Sends `frames` in one write with the first request's topic lookup held, and releases it once `ready` says so. */
async function sendHoldingFirst(frames: Uint8Array[], ready: (before: Counts) => Promise<void>) {
  const raw = await rawSocket(b.broker.port);
  const before: Counts = { lookups, lookupsDone, appendsCalled, appendsDone };
  holdNext = true;
  raw.socket.write(Buffer.concat(frames));
  await until(() => held !== null, "the first Produce's lookup");
  await ready(before);
  const release = held!.release;
  held = null;
  return { raw, before, release };
}

/** Every callback and promise job queued so far has run (the broker is in this process). */
function eventLoopTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function produceResponses(raw: Awaited<ReturnType<typeof rawSocket>>, count: number) {
  const frames = await raw.frames(count);
  return Promise.all(frames.map(async (frame) => decodeResponse(ApiKey.Produce, 9, frame)));
}

async function fetchValues(topic: string, partition: number): Promise<string[]> {
  const records = await b.ctx.storage.fetch({ topic, partition }, { fetchOffset: 0n, maxBytes: 1 << 20, isolation: "read_uncommitted" });
  return records.batches.flatMap((bytes) => decodeRecordBatches(bytes).flatMap((rb) => rb.records.map((r) => decodeText(r.value)!)));
}

test("a Produce held in its checks is still appended before the Produce behind it, to the same partition", async () => {
  await createTopic("same-partition");
  const frames = await Promise.all([produceFrame(1, "same-partition", 0, batch("first")), produceFrame(2, "same-partition", 0, batch("second"))]);
  const { raw, before, release } = await sendHoldingFirst(frames, async (before) => {
    // The second request started while the first is held, and got past its own lookup.
    await until(() => lookupsDone >= 1 + before.lookupsDone, "the second Produce's lookup");
    await eventLoopTurn();
  });
  expect(lookups - before.lookups).toBe(2);
  // Its append waits for the first one's turn.
  expect(appendsCalled - before.appendsCalled).toBe(0);
  release();
  const responses = await produceResponses(raw, 2);
  expect(responses.map((r) => r.correlationId)).toEqual([1, 2]);
  expect(responses.map((r) => r.body.responses[0]!.partitionResponses[0]!.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  expect(responses.map((r) => r.body.responses[0]!.partitionResponses[0]!.baseOffset)).toEqual([0n, 1n]);
  expect(await fetchValues("same-partition", 0)).toEqual(["first", "second"]);
  raw.socket.end();
});

test("answers go out in request order when a later Produce, to another partition, is done first", async () => {
  await createTopic("other-partition");
  const frames = await Promise.all([produceFrame(7, "other-partition", 0, batch("held")), produceFrame(8, "other-partition", 1, batch("quick"))]);
  const { raw, before, release } = await sendHoldingFirst(frames, async (before) => {
    // The second request's record is committed, and its answer ready, before the first is released.
    await until(() => appendsDone > before.appendsDone, "the second Produce's append");
    await eventLoopTurn();
  });
  expect(appendsCalled - before.appendsCalled).toBe(1);
  release();
  const responses = await produceResponses(raw, 2);
  expect(responses.map((r) => r.correlationId)).toEqual([7, 8]);
  expect(responses.map((r) => r.body.responses[0]!.partitionResponses[0]!.baseOffset)).toEqual([0n, 0n]);
  raw.socket.end();
});

test("an idempotent producer's pipelined batches are checked in the order sent: no sequence gap, each once", async () => {
  await createTopic("idempotent");
  const connection = await b.connect();
  const { producerId, errorCode } = await connection.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  expect(errorCode).toBe(ErrorCode.NONE);
  const count = 10;
  const frames = await Promise.all(
    Array.from({ length: count }, (_, i) => produceFrame(100 + i, "idempotent", 0, batch(`r${i}`, { id: producerId, sequence: i }))),
  );
  const { raw, before, release } = await sendHoldingFirst(frames, async (before) => {
    await until(() => lookupsDone >= count - 1 + before.lookupsDone, "the later Produces' lookups");
    await eventLoopTurn();
  });
  expect(appendsCalled - before.appendsCalled).toBe(0);
  release();
  const responses = await produceResponses(raw, count);
  expect(responses.map((r) => r.correlationId)).toEqual(Array.from({ length: count }, (_, i) => 100 + i));
  expect(responses.map((r) => r.body.responses[0]!.partitionResponses[0]!.errorCode)).toEqual(Array(count).fill(ErrorCode.NONE));
  expect(responses.map((r) => r.body.responses[0]!.partitionResponses[0]!.baseOffset)).toEqual(Array.from({ length: count }, (_, i) => BigInt(i)));
  // The last five sent again (a retry after lost answers; Kafka remembers a producer's last five batches)
  // are recognised as duplicates and keep their offsets.
  const again = await Promise.all(
    Array.from({ length: count }, (_, i) => i).slice(-5).map((i) =>
      connection.request(ApiKey.Produce, 9, {
        transactionalId: null, acks: -1, timeoutMs: 30_000,
        topicData: [{ name: "idempotent", partitionData: [{ index: 0, records: batch(`r${i}`, { id: producerId, sequence: i }) }] }],
      }),
    ),
  );
  expect(again.map((r) => r!.responses[0]!.partitionResponses[0]!.baseOffset)).toEqual([5n, 6n, 7n, 8n, 9n]);
  expect(await fetchValues("idempotent", 0)).toEqual(Array.from({ length: count }, (_, i) => `r${i}`));
  raw.socket.end();
});

test("a request other than Produce starts only once the Produces before it are answered", async () => {
  await createTopic("then-metadata");
  const listOffsets = await encodeRequest(
    { apiKey: ApiKey.ListOffsets, apiVersion: 7, correlationId: 2, clientId: "pipelined" },
    { replicaId: -1, isolationLevel: 0, topics: [{ name: "then-metadata", partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] },
  );
  const frames = [await produceFrame(1, "then-metadata", 0, batch("before")), listOffsets, await produceFrame(3, "then-metadata", 0, batch("after"))];
  const { raw, before, release } = await sendHoldingFirst(frames, eventLoopTurn);
  // Neither the ListOffsets nor the Produce behind it has started.
  expect(lookups - before.lookups).toBe(1);
  release();
  const [first, offsets, last] = await raw.frames(3);
  expect((await decodeResponse(ApiKey.Produce, 9, first!)).body.responses[0]!.partitionResponses[0]!.baseOffset).toBe(0n);
  expect((await decodeResponse(ApiKey.ListOffsets, 7, offsets!)).body.topics[0]!.partitions[0]!.offset).toBe(1n);
  expect((await decodeResponse(ApiKey.Produce, 9, last!)).body.responses[0]!.partitionResponses[0]!.baseOffset).toBe(1n);
  raw.socket.end();
});
