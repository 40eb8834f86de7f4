// A fetch on s3:// finds its topic in the store's last read of the topic list instead of reading it
// again (a GET per long poll); what changed through another broker since is still answered as Kafka
// would: partitions added there are fetched, and the id of a topic deleted and created again there
// gets UNKNOWN_TOPIC_ID, never the new topic's records.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { decodeRecordBatches } from "../../src/protocol/record-batch.ts";
import { S3Storage } from "../../src/storage/engines/s3/s3-storage.ts";
import { startS3, type RunningS3 } from "../harness/s3.ts";
import { s3Env } from "../storage/s3-fixtures.ts";
import { startInProcessBroker, type InProcessBroker } from "./in-process-broker.ts";
import { batchOf, decodeText } from "./records.ts";

setDefaultTimeout(60_000);

let s3: RunningS3;
let a: InProcessBroker;
let b: InProcessBroker;
let toA: KafkaConnection;
let toB: KafkaConnection;

beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket("fetch-lookup");
  const open = () => S3Storage.open("s3://fetch-lookup/", { env: s3Env(s3) });
  a = await startInProcessBroker({}, await open());
  b = await startInProcessBroker({}, await open());
  toA = await a.connect();
  toB = await b.connect();
}, 300_000);
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await s3?.stop();
});

async function produce(topic: string, partition: number, value: string): Promise<void> {
  const response = await toA.request(ApiKey.Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 10_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batchOf([{ value }]) }] }],
  });
  expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
}

/** One fetch through b, v12 by name or v13 by id, that does not wait. */
async function fetchThroughB(topic: { name: string } | { id: string }, partition: number) {
  const byId = "id" in topic;
  const response = await toB.request(ApiKey.Fetch, byId ? 13 : 12, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: byId ? "" : topic.name, topicId: byId ? topic.id : "00000000-0000-0000-0000-000000000000", partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: "",
  });
  const data = response.responses[0]!.partitions[0]!;
  const values = data.records && data.records.byteLength > 0 ? decodeRecordBatches(data.records).flatMap((batch) => batch.records.map((r) => decodeText(r.value))) : [];
  return { errorCode: data.errorCode, values };
}

test("partitions added through another broker are fetched", async () => {
  await a.ctx.storage.createTopic({ name: "grown", partitions: 1, configs: {} });
  await produce("grown", 0, "p0");
  expect(await fetchThroughB({ name: "grown" }, 0)).toEqual({ errorCode: ErrorCode.NONE, values: ["p0"] });
  await a.ctx.storage.createPartitions("grown", 2);
  await produce("grown", 1, "p1");
  expect(await fetchThroughB({ name: "grown" }, 1)).toEqual({ errorCode: ErrorCode.NONE, values: ["p1"] });
});

test("the id of a topic deleted and created again through another broker is unknown; the new id reads the new records", async () => {
  const old = await a.ctx.storage.createTopic({ name: "again", partitions: 1, configs: {} });
  await produce("again", 0, "old");
  expect(await fetchThroughB({ id: old.id }, 0)).toEqual({ errorCode: ErrorCode.NONE, values: ["old"] });
  expect(await fetchThroughB({ name: "again" }, 0)).toEqual({ errorCode: ErrorCode.NONE, values: ["old"] });
  await a.ctx.storage.deleteTopic({ name: "again" });
  const created = await a.ctx.storage.createTopic({ name: "again", partitions: 1, configs: {} });
  await produce("again", 0, "new");
  expect(await fetchThroughB({ id: old.id }, 0)).toEqual({ errorCode: ErrorCode.UNKNOWN_TOPIC_ID, values: [] });
  expect(await fetchThroughB({ id: created.id }, 0)).toEqual({ errorCode: ErrorCode.NONE, values: ["new"] });
  expect(await fetchThroughB({ name: "again" }, 0)).toEqual({ errorCode: ErrorCode.NONE, values: ["new"] });
});
