// On postgres://, whose appends take effect in call order, a connection starts a Produce while
// the Produce before it still waits for its appends. Kafka handles a connection's requests one at
// a time, so a client must not be able to tell: each partition gets its batches in the order they
// were sent, idempotent sequences are checked in that order, and answers go out in request order.
// These tests hold an earlier request back in its topic lookup (which a later one passes) and
// check that none of that changes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KafkaConnection, type ConnectOptions } from "../../src/client/kafka-connection.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { decodeResponse, encodeRequest } from "../../src/protocol/messages.ts";
import { decodeRecordBatches, encodeRecordBatch } from "../../src/protocol/record-batch.ts";
import { putCredential } from "../../src/security/credential-store.ts";
import { securityFor } from "../../src/security/index.ts";
import { ClientQuotas } from "../../src/security/quota-enforcer.ts";
import { credentialFromSalted, randomSalt, saltedPassword } from "../../src/security/scram.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { rawSocket } from "../harness/raw-socket.ts";
import { startPostgresStores, type PostgresStores } from "../harness/stores.ts";
import { until } from "../harness/until.ts";
import { startInProcessBroker, type InProcessBroker } from "./in-process-broker.ts";
import { decodeText } from "./records.ts";

let stores: PostgresStores;
let b: InProcessBroker;
let counts: StoreCounts;

/** What the tests watch of a broker's store: topic lookups and appends, and the next lookup held back on request. */
interface StoreCounts {
  lookups: number;
  lookupsDone: number;
  /** Appends handed to the store, and those it completed. */
  appendsCalled: number;
  appendsDone: number;
  holdNext: boolean;
  held: { release(): void } | null;
}

/** The broker's real store, its calls counted and the next topic lookup held back when asked. */
function watch(storage: Storage): StoreCounts {
  const counts: StoreCounts = { lookups: 0, lookupsDone: 0, appendsCalled: 0, appendsDone: 0, holdNext: false, held: null };
  const getTopic = storage.getTopic.bind(storage);
  const append = storage.append.bind(storage);
  storage.getTopic = async (by) => {
    counts.lookups++;
    if (counts.holdNext) {
      counts.holdNext = false;
      await new Promise<void>((resolve) => (counts.held = { release: resolve }));
    }
    try {
      return await getTopic(by);
    } finally {
      counts.lookupsDone++;
    }
  };
  storage.append = (tp, batch) => {
    counts.appendsCalled++;
    return append(tp, batch).finally(() => counts.appendsDone++);
  };
  return counts;
}

beforeAll(async () => {
  stores = await startPostgresStores();
  b = await startInProcessBroker({ defaultPartitions: 2 }, (await stores.fresh()).storage);
  expect(b.ctx.storage.appendsInCallOrder).toBe(true);
  counts = watch(b.ctx.storage);
});
afterAll(async () => {
  counts.held?.release();
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

function produceFrame(correlationId: number, topic: string, partition: number, records: Uint8Array, acks = -1): Promise<Uint8Array> {
  return encodeRequest(
    { apiKey: ApiKey.Produce, apiVersion: 9, correlationId, clientId: "pipelined" },
    { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] },
  );
}

async function createTopic(name: string, broker = b): Promise<void> {
  await broker.ctx.storage.createTopic({ name, partitions: 2, configs: {} });
}

function listOffsetsFrame(correlationId: number, topic: string): Promise<Uint8Array> {
  return encodeRequest(
    { apiKey: ApiKey.ListOffsets, apiVersion: 7, correlationId, clientId: "pipelined" },
    { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] },
  );
}

type Counts = Pick<StoreCounts, "lookups" | "lookupsDone" | "appendsCalled" | "appendsDone">;

/** Sends `frames` in one write with the first request's topic lookup held, and releases it once `ready` says so. */
async function sendHoldingFirst(frames: Uint8Array[], ready: (before: Counts) => Promise<void>, broker = b, watched = counts) {
  const raw = await rawSocket(broker.broker.port);
  const { lookups, lookupsDone, appendsCalled, appendsDone } = watched;
  const before: Counts = { lookups, lookupsDone, appendsCalled, appendsDone };
  watched.holdNext = true;
  raw.socket.write(Buffer.concat(frames));
  await until(() => watched.held !== null, "the first Produce's lookup");
  await ready(before);
  const release = watched.held!.release;
  watched.held = null;
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

async function fetchValues(topic: string, partition: number, broker = b): Promise<string[]> {
  const records = await broker.ctx.storage.fetch({ topic, partition }, { fetchOffset: 0n, maxBytes: 1 << 20, isolation: "read_uncommitted" });
  return records.batches.flatMap((bytes) => decodeRecordBatches(bytes).flatMap((rb) => rb.records.map((r) => decodeText(r.value)!)));
}

test("a Produce held in its checks is still appended before the Produce behind it, to the same partition", async () => {
  await createTopic("same-partition");
  const frames = await Promise.all([produceFrame(1, "same-partition", 0, batch("first")), produceFrame(2, "same-partition", 0, batch("second"))]);
  const { raw, before, release } = await sendHoldingFirst(frames, async (before) => {
    // The second request started while the first is held, and got past its own lookup.
    await until(() => counts.lookupsDone >= 1 + before.lookupsDone, "the second Produce's lookup");
    await eventLoopTurn();
  });
  expect(counts.lookups - before.lookups).toBe(2);
  // Its append waits for the first one's turn.
  expect(counts.appendsCalled - before.appendsCalled).toBe(0);
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
    await until(() => counts.appendsDone > before.appendsDone, "the second Produce's append");
    await eventLoopTurn();
  });
  expect(counts.appendsCalled - before.appendsCalled).toBe(1);
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
    await until(() => counts.lookupsDone >= count - 1 + before.lookupsDone, "the later Produces' lookups");
    await eventLoopTurn();
  });
  expect(counts.appendsCalled - before.appendsCalled).toBe(0);
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
  const listOffsets = await listOffsetsFrame(2, "then-metadata");
  const frames = [await produceFrame(1, "then-metadata", 0, batch("before")), listOffsets, await produceFrame(3, "then-metadata", 0, batch("after"))];
  const { raw, before, release } = await sendHoldingFirst(frames, eventLoopTurn);
  // Neither the ListOffsets nor the Produce behind it has started.
  expect(counts.lookups - before.lookups).toBe(1);
  release();
  const [first, offsets, last] = await raw.frames(3);
  expect((await decodeResponse(ApiKey.Produce, 9, first!)).body.responses[0]!.partitionResponses[0]!.baseOffset).toBe(0n);
  expect((await decodeResponse(ApiKey.ListOffsets, 7, offsets!)).body.topics[0]!.partitions[0]!.offset).toBe(1n);
  expect((await decodeResponse(ApiKey.Produce, 9, last!)).body.responses[0]!.partitionResponses[0]!.baseOffset).toBe(1n);
  raw.socket.end();
});

test("acks=0 Produces overlap too, unanswered, and keep their order", async () => {
  await createTopic("no-acks");
  const frames = [
    ...(await Promise.all(["one", "two", "three"].map((value, i) => produceFrame(1 + i, "no-acks", 0, batch(value), 0)))),
    await listOffsetsFrame(4, "no-acks"),
  ];
  const { raw, release } = await sendHoldingFirst(frames, async (before) => {
    await until(() => counts.lookupsDone >= 2 + before.lookupsDone, "the later Produces' lookups");
    await eventLoopTurn();
    expect(counts.appendsCalled - before.appendsCalled).toBe(0);
  });
  release();
  // The only answer is the ListOffsets', which started once all three were appended.
  const [answer] = await raw.frames(1);
  const { correlationId, body } = await decodeResponse(ApiKey.ListOffsets, 7, answer!);
  expect(correlationId).toBe(4);
  expect(body.topics[0]!.partitions[0]!.offset).toBe(3n);
  expect(await fetchValues("no-acks", 0)).toEqual(["one", "two", "three"]);
  raw.socket.end();
});

describe("with SASL and client quotas", () => {
  let secured: InProcessBroker;
  let watched: StoreCounts;
  const alice: ConnectOptions = { sasl: { mechanism: "SCRAM-SHA-256", username: "alice", password: "alice-secret" } };
  beforeAll(async () => {
    secured = await startInProcessBroker({ defaultPartitions: 2 }, (await stores.fresh()).storage, 0, async (storage) => {
      const salt = randomSalt();
      const salted = await saltedPassword("SCRAM-SHA-256", "alice-secret", salt, 4096);
      await putCredential(storage, "alice", "SCRAM-SHA-256", await credentialFromSalted("SCRAM-SHA-256", salt, salted, 4096));
      return securityFor(storage, {
        mechanisms: ["SCRAM-SHA-256"],
        reauthMs: 0,
        oauth: { jwksUrl: undefined, issuer: undefined, audience: [], principalClaim: "sub" },
        acl: null,
        cacheMs: 0,
        quotas: new ClientQuotas(storage, 0, { samples: 2, windowMs: 1000 }),
      });
    });
    watched = watch(secured.ctx.storage);
  });
  afterAll(async () => {
    watched.held?.release();
    await secured.stop();
  });

  /** Two Produces to `topic` partition 0 sent together on `c`, the first one's lookup held until `ready`; their offsets. */
  async function twoHoldingFirst(c: KafkaConnection, topic: string, ready: (before: Counts) => Promise<void>): Promise<bigint[]> {
    const { lookups, lookupsDone, appendsCalled, appendsDone } = watched;
    const before: Counts = { lookups, lookupsDone, appendsCalled, appendsDone };
    watched.holdNext = true;
    const produce = (value: string) =>
      c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch(value) }] }] });
    const answers = [produce("first"), produce("second")];
    await until(() => watched.held !== null, "the first Produce's lookup");
    await ready(before);
    const release = watched.held!.release;
    watched.held = null;
    release();
    return (await Promise.all(answers)).map((r) => r!.responses[0]!.partitionResponses[0]!.baseOffset);
  }

  test("Produces before authentication close the connection and append nothing", async () => {
    await createTopic("unauthenticated", secured);
    const raw = await rawSocket(secured.broker.port);
    raw.socket.write(Buffer.concat(await Promise.all([produceFrame(1, "unauthenticated", 0, batch("x")), produceFrame(2, "unauthenticated", 0, batch("y"))])));
    await raw.closed;
    expect(watched.appendsCalled).toBe(0);
    expect(await fetchValues("unauthenticated", 0, secured)).toEqual([]);
  });

  test("on an authenticated connection a Produce starts behind one still under way", async () => {
    await createTopic("authenticated", secured);
    const c = await KafkaConnection.connect(secured.address, "no-quota", alice);
    const offsets = await twoHoldingFirst(c, "authenticated", (before) =>
      until(() => watched.lookups - before.lookups === 2, "the second Produce's lookup"),
    );
    expect(offsets).toEqual([0n, 1n]);
    expect(await fetchValues("authenticated", 0, secured)).toEqual(["first", "second"]);
    c.close();
  });

  test("a Produce some quota applies to is answered before the next one starts", async () => {
    await createTopic("quota", secured);
    const admin = await KafkaConnection.connect(secured.address, "admin", alice);
    const altered = await admin.request(ApiKey.AlterClientQuotas, 1, {
      entries: [{ entity: [{ entityType: "client-id", entityName: "quota-client" }], ops: [{ key: "producer_byte_rate", value: 1e9, remove: false }] }],
      validateOnly: false,
    });
    expect(altered.entries[0]!.errorCode).toBe(ErrorCode.NONE);
    admin.close();
    const c = await KafkaConnection.connect(secured.address, "quota-client", alice);
    const offsets = await twoHoldingFirst(c, "quota", async (before) => {
      await eventLoopTurn();
      // The second has not started: it waits for the first one's answer (and throttling).
      expect(watched.lookups - before.lookups).toBe(1);
    });
    expect(offsets).toEqual([0n, 1n]);
    c.close();
  });
});
