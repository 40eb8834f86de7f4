// kafkajs and @platformatic/kafka transactions against the binary. @platformatic/kafka sends
// AddPartitionsToTxn in its batched v4+ form. What the transactions left behind is read with a
// raw read_committed Fetch, filtered the way consumers filter (aborted list and markers).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { Producer, stringSerializers } from "@platformatic/kafka";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { startBroker, type RunningBroker } from "../harness/broker.ts";
import { createTopic, fetchPartition, visibleValues } from "../broker/transactions/txn-requests.ts";

let broker: RunningBroker;
let c: KafkaConnection;

beforeAll(async () => {
  broker = await startBroker();
  c = await KafkaConnection.connect(broker.url, "txn-js-check");
});
afterAll(async () => {
  c.close();
  await broker.stop();
});

async function visible(topic: string, readCommitted: boolean): Promise<string[]> {
  return visibleValues(await fetchPartition(c, topic, 0, readCommitted));
}

test("kafkajs: a committed transaction is visible to read_committed, an aborted one is not", async () => {
  await createTopic(c, "kjs-txn");
  const kafka = new Kafka({ brokers: [broker.url], clientId: "kafkajs-txn", logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ transactionalId: "kjs-txn", idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const committed = await producer.transaction();
    await committed.send({ topic: "kjs-txn", messages: [{ partition: 0, value: "kept-1" }, { partition: 0, value: "kept-2" }] });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: "kjs-txn", messages: [{ partition: 0, value: "dropped" }] });
    await aborted.abort();
  } finally {
    await producer.disconnect();
  }
  expect(await visible("kjs-txn", true)).toEqual(["kept-1", "kept-2"]);
  expect(await visible("kjs-txn", false)).toEqual(["kept-1", "kept-2", "dropped"]);
});

test("@platformatic/kafka: commit and abort through the batched AddPartitionsToTxn", async () => {
  await createTopic(c, "plt-txn");
  const producer = new Producer({
    clientId: "platformatic-txn",
    bootstrapBrokers: [broker.url],
    serializers: stringSerializers,
    idempotent: true,
    transactionalId: "plt-txn",
  });
  try {
    const committed = await producer.beginTransaction();
    await committed.send({ messages: [{ topic: "plt-txn", partition: 0, value: "kept" }] });
    await committed.commit();
    const aborted = await producer.beginTransaction();
    await aborted.send({ messages: [{ topic: "plt-txn", partition: 0, value: "dropped" }] });
    await aborted.abort();
  } finally {
    await producer.close();
  }
  expect(await visible("plt-txn", true)).toEqual(["kept"]);
  expect(await visible("plt-txn", false)).toEqual(["kept", "dropped"]);
});
