import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { KafkaConnection } from "../../../src/client/kafka-connection.ts";
import { ErrorCode } from "../../../src/protocol/error-codes.ts";
import { tempDir } from "../../harness/temp-dir.ts";
import { startInProcessBroker, type InProcessBroker } from "../in-process-broker.ts";
import { addPartitions, batch, createTopic, endTxn, fetchPartition, newProducer, produce, visibleValues } from "./txn-requests.ts";

// Two brokers on one SQLite file: the coordinator is whichever broker a request reaches.
let a: InProcessBroker;
let b: InProcessBroker;
let ca: KafkaConnection;
let cb: KafkaConnection;

beforeAll(async () => {
  const url = `sqlite://${join(tempDir("tansu-txn-"), "shared.db")}`;
  a = await startInProcessBroker({}, url);
  b = await startInProcessBroker({}, url);
  ca = await a.connect();
  cb = await b.connect();
});
afterAll(async () => {
  await a.stop();
  await b.stop();
});

test("a transaction begun on one broker, written through another and committed on the first", async () => {
  await createTopic(ca, "shared-txn", 2);
  const p = await newProducer(ca, "shared");
  expect(await addPartitions(cb, "shared", p, "shared-txn", [0, 1])).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  expect((await produce(cb, "shared-txn", 0, batch(["a"], { producer: p, transactional: true }), "shared")).errorCode).toBe(ErrorCode.NONE);
  expect((await produce(ca, "shared-txn", 1, batch(["b"], { producer: p, transactional: true }), "shared")).errorCode).toBe(ErrorCode.NONE);
  expect(visibleValues(await fetchPartition(cb, "shared-txn", 0, true))).toEqual([]);
  expect(await endTxn(ca, "shared", p, true)).toBe(ErrorCode.NONE);
  expect(visibleValues(await fetchPartition(cb, "shared-txn", 0, true))).toEqual(["a"]);
  expect(visibleValues(await fetchPartition(cb, "shared-txn", 1, true))).toEqual(["b"]);
});

test("a producer instance started through the other broker fences the first", async () => {
  await createTopic(ca, "shared-fence");
  const old = await newProducer(ca, "shared-fence");
  expect(await addPartitions(ca, "shared-fence", old, "shared-fence", [0])).toEqual([ErrorCode.NONE]);
  const current = await newProducer(cb, "shared-fence");
  expect(current.producerEpoch).toBeGreaterThan(old.producerEpoch);
  expect(await endTxn(ca, "shared-fence", old, true)).toBe(ErrorCode.PRODUCER_FENCED);
});

test("concurrent InitProducerId through both brokers: compare-and-set hands out every epoch exactly once", async () => {
  const first = await newProducer(ca, "shared-race");
  // One connection each: a connection answers its requests one at a time.
  const connections = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).connect()));
  const results = await Promise.all(connections.map((c) => newProducer(c, "shared-race")));
  const epochs = results.map((r) => r.producerEpoch).sort((x, y) => x - y);
  expect(epochs).toEqual(Array.from({ length: 10 }, (_, i) => first.producerEpoch + 1 + i));
  expect(new Set(results.map((r) => r.producerId))).toEqual(new Set([first.producerId]));
});
