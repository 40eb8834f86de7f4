// The running broker, not only a direct sweepOnce() call, aborts a transaction that outlived its timeout.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { KafkaConnection } from "../../../src/client/kafka-connection.ts";
import { ApiKey } from "../../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../../src/protocol/error-codes.ts";
import { startInProcessBroker, type InProcessBroker } from "../in-process-broker.ts";
import { addPartitions, batch, createTopic, newProducer, produce } from "./txn-requests.ts";

let b: InProcessBroker;
let c: KafkaConnection;

beforeAll(async () => {
  b = await startInProcessBroker({ transactionSweepIntervalMs: 20 });
  c = await b.connect();
});
afterAll(() => b.stop());

test("a transaction past transaction.timeout.ms is aborted in the background; read_committed consumers move past it", async () => {
  await createTopic(c, "sweep-topic");
  const p = await newProducer(c, "sweep-txn", 50);
  await addPartitions(c, "sweep-txn", p, "sweep-topic", [0]);
  expect((await produce(c, "sweep-topic", 0, batch(["never committed"], { producer: p, transactional: true }), "sweep-txn")).errorCode).toBe(ErrorCode.NONE);

  // A read_committed long poll sees nothing until the abort marker lands: only the broker's own
  // sweep can end this wait (ten minutes, far beyond the test's timeout).
  const r = await c.request(ApiKey.Fetch, 12, {
    replicaId: -1, maxWaitMs: 600_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: "sweep-topic", topicId: "00000000-0000-0000-0000-000000000000", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: "",
  });
  const partition = r.responses[0]!.partitions[0]!;
  expect(partition.lastStableOffset).toBe(2n);
  expect(partition.abortedTransactions).toEqual([{ producerId: p.producerId, firstOffset: 0n }]);

  const described = await c.request(ApiKey.DescribeTransactions, 0, { transactionalIds: ["sweep-txn"] });
  expect(described.transactionStates[0]!.transactionState).toBe("CompleteAbort");
});
