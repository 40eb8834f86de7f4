// The record validation seam: with a validator configured, the proxy answers INVALID_RECORD with record_errors
// itself and the upstream never sees a rejected batch. The validator here rejects records without a key, and
// answers asynchronously, as one that looks schemas up would.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { decodeResponse, encodeRequest } from "../../src/protocol/messages.ts";
import { ZERO_UUID } from "../../src/protocol/reader.ts";
import { decodeRecordBatches } from "../../src/protocol/record-batch.ts";
import { encodeMessageSet } from "../../src/protocol/legacy-message-set.ts";
import type { RecordError, RecordValidator } from "../../src/proxy/produce-validation.ts";
import { batchOf, decodeText } from "../broker/records.ts";
import { startInProcessBroker, type InProcessBroker } from "../broker/in-process-broker.ts";
import { rawSocket } from "../harness/raw-socket.ts";
import { startInProcessProxy, type InProcessProxy } from "./in-process-proxy.ts";

const keysRequired: RecordValidator = async (_topic, _partition, batch) => {
  await Bun.sleep(1);
  const errors: RecordError[] = [];
  decodeRecordBatches(batch)
    .flatMap((b) => b.records)
    .forEach((record, index) => {
      if (record.key === null) errors.push({ index, message: `record ${index} has no key` });
    });
  if (errors.length === 0) return null;
  return { message: errors.length === 1 ? errors[0]!.message : `${errors.length} records rejected; first: ${errors[0]!.message}`, records: errors };
};

let broker: InProcessBroker;
let proxy: InProcessProxy;

beforeAll(async () => {
  broker = await startInProcessBroker({ defaultPartitions: 2 });
  proxy = startInProcessProxy([broker.address], { validator: keysRequired });
});
afterAll(async () => {
  await proxy.stop();
  await broker.stop();
});

type Values = Array<{ key?: string; value: string }>;

function produce(topic: string, partitions: Record<number, Values>, acks = -1) {
  return {
    transactionalId: null,
    acks,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: Object.entries(partitions).map(([index, values]) => ({ index: Number(index), records: batchOf(values) })) }],
  };
}

/** What the upstream holds, read directly from it. */
async function upstreamValues(topic: string, partition: number): Promise<Array<string | null>> {
  const direct = await broker.connect();
  const fetched = await direct.request(ApiKey.Fetch, 12, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: "",
  });
  const p = fetched.responses[0]!.partitions[0]!;
  expect(p.errorCode).toBe(ErrorCode.NONE);
  return decodeRecordBatches(p.records ?? new Uint8Array()).flatMap((b) => b.records.map((r) => decodeText(r.value)));
}

async function createTopic(name: string) {
  const c = await broker.connect();
  await c.request(ApiKey.Metadata, 9, { topics: [{ name }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
}

test("a batch with a keyless record is answered INVALID_RECORD with record_errors, and never reaches the upstream", async () => {
  await createTopic("rejected");
  const c = await proxy.connect();
  const response = await c.request(ApiKey.Produce, 9, produce("rejected", { 0: [{ key: "a", value: "ok" }, { value: "keyless" }, { key: "c", value: "ok" }] }));
  const p = response.responses[0]!.partitionResponses[0]!;
  expect(p.errorCode).toBe(ErrorCode.INVALID_RECORD);
  expect(p.recordErrors).toEqual([{ batchIndex: 1, batchIndexErrorMessage: "record 1 has no key" }]);
  expect(p.errorMessage).toBe("record 1 has no key");
  expect(p.baseOffset).toBe(-1n);
  expect(await upstreamValues("rejected", 0)).toEqual([]);
});

test("valid partitions of the same request are written; the answer covers both", async () => {
  await createTopic("mixed");
  const c = await proxy.connect();
  const response = await c.request(ApiKey.Produce, 9, produce("mixed", { 0: [{ key: "a", value: "kept" }], 1: [{ value: "dropped" }, { value: "dropped too" }] }));
  const byPartition = new Map(response.responses.flatMap((t) => t.partitionResponses.map((p) => [p.index, p] as const)));
  expect(response.responses.map((t) => t.name)).toEqual(["mixed"]);
  expect(byPartition.get(0)!.errorCode).toBe(ErrorCode.NONE);
  expect(byPartition.get(0)!.baseOffset).toBe(0n);
  expect(byPartition.get(1)!.errorCode).toBe(ErrorCode.INVALID_RECORD);
  expect(byPartition.get(1)!.recordErrors!.map((e) => e.batchIndex)).toEqual([0, 1]);
  expect(byPartition.get(1)!.errorMessage).toBe("2 records rejected; first: record 0 has no key");
  expect(await upstreamValues("mixed", 0)).toEqual(["kept"]);
  expect(await upstreamValues("mixed", 1)).toEqual([]);
});

test("valid batches go upstream unchanged, at old and new Produce versions", async () => {
  await createTopic("valid");
  const c = await proxy.connect();
  for (const version of [3, 7, 9]) {
    const response = await c.request(ApiKey.Produce, version, produce("valid", { 0: [{ key: "k", value: `v${version}` }] }));
    expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
  }
  // v2 carries a legacy message set: the validator sees it as a magic-2 batch.
  const legacy = encodeMessageSet([{ offset: 0n, key: null, value: new TextEncoder().encode("legacy keyless"), timestamp: 0n }], { magic: 1 });
  const v2 = await c.request(ApiKey.Produce, 2, { acks: -1, timeoutMs: 5000, topicData: [{ name: "valid", partitionData: [{ index: 0, records: legacy }] }] });
  expect(v2.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.INVALID_RECORD);
  expect(await upstreamValues("valid", 0)).toEqual(["v3", "v7", "v9"]);
});

test("responses stay in request order around the proxy's own answers", async () => {
  await createTopic("ordered");
  const raw = await rawSocket(proxy.port);
  const header = (apiKey: number, apiVersion: number, correlationId: number) => ({ apiKey, apiVersion, correlationId, clientId: "raw" });
  const metadata = (id: number) => encodeRequest(header(ApiKey.Metadata, 9, id), { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  raw.socket.write(
    Buffer.concat(
      await Promise.all([
        metadata(1),
        encodeRequest(header(ApiKey.Produce, 9, 2), produce("ordered", { 0: [{ value: "bad" }] })),
        encodeRequest(header(ApiKey.Produce, 9, 3), produce("ordered", { 0: [{ key: "k", value: "good" }] })),
        encodeRequest(header(ApiKey.Produce, 9, 4), produce("ordered", { 0: [{ value: "bad" }] })),
        metadata(5),
      ]),
    ),
  );
  const frames = await raw.frames(5);
  expect(frames.map((f) => new DataView(f.buffer).getInt32(0))).toEqual([1, 2, 3, 4, 5]);
  const codes = await Promise.all([2, 3, 4].map(async (i) => (await decodeResponse(ApiKey.Produce, 9, frames[i - 1]!)).body.responses[0].partitionResponses[0].errorCode));
  expect(codes).toEqual([ErrorCode.INVALID_RECORD, ErrorCode.NONE, ErrorCode.INVALID_RECORD]);
  expect(await upstreamValues("ordered", 0)).toEqual(["good"]);
  raw.socket.end();
});

test("acks=0 with a rejected record closes the connection, as Kafka tells a producer that wants no answer", async () => {
  await createTopic("silent");
  const raw = await rawSocket(proxy.port);
  raw.socket.write(await encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 1, clientId: "raw" }, produce("silent", { 0: [{ value: "bad" }] }, 0)));
  await raw.closed;
  const c = await proxy.connect();
  await c.request(ApiKey.Produce, 9, produce("silent", { 0: [{ key: "k", value: "after" }] }, 1));
  expect(await upstreamValues("silent", 0)).toEqual(["after"]);
});

test("a batch the validator cannot read is CORRUPT_MESSAGE; a request that cannot be decoded closes the connection", async () => {
  await createTopic("corrupt");
  const c = await proxy.connect();
  const request = produce("corrupt", { 0: [{ key: "k", value: "x" }] });
  const records = request.topicData[0]!.partitionData[0]!.records;
  records[records.length - 1]! ^= 0xff; // breaks the CRC
  const response = await c.request(ApiKey.Produce, 9, request);
  expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
  expect(await upstreamValues("corrupt", 0)).toEqual([]);

  const raw = await rawSocket(proxy.port);
  const frame = await encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 1, clientId: "raw" }, produce("corrupt", { 0: [{ key: "k", value: "x" }] }));
  raw.socket.write(frame.subarray(0, frame.length - 3).map((b, i) => (i === 3 ? b - 3 : b)));
  await raw.closed;
});
