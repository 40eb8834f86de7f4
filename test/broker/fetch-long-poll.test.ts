// A fetch long poll on a broker whose store asks for rare re-reads (s3://): appends through this
// broker still end it at once.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { decodeRecordBatches } from "../../src/protocol/record-batch.ts";
import { startInProcessBroker, type InProcessBroker } from "./in-process-broker.ts";
import { batchOf, decodeText } from "./records.ts";

let b: InProcessBroker;
let consumer: KafkaConnection;
let producer: KafkaConnection;

beforeAll(async () => {
  // Longer than the test may take: only a local append can end the poll with data.
  b = await startInProcessBroker({ fetchPollMs: 600_000 });
  consumer = await b.connect();
  producer = await b.connect();
});
afterAll(() => b.stop());

test("an append through this broker ends a long poll with the new records", async () => {
  const created = await producer.request(ApiKey.CreateTopics, 7, {
    topics: [{ name: "lp", numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  const poll = consumer.request(ApiKey.Fetch, 12, {
    replicaId: -1,
    maxWaitMs: 600_000,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: "lp", topicId: "00000000-0000-0000-0000-000000000000", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: "",
  });
  const produced = await producer.request(ApiKey.Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: "lp", partitionData: [{ index: 0, records: batchOf([{ value: "wake up" }]) }] }],
  });
  expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
  const data = (await poll).responses[0]!.partitions[0]!;
  expect(decodeRecordBatches(data.records!).flatMap((batch) => batch.records.map((r) => decodeText(r.value)))).toEqual(["wake up"]);
});
