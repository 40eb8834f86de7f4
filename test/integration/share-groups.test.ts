// Share groups (KIP-932) with librdkafka's share consumer against the compiled broker: members of one
// share group connected to different broker processes on one store, SQLite and PostgreSQL. What each
// consumer does with a record is decided by the record's value (see test/harness/share-consumer.c).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { batchOf } from "../broker/records.ts";
import { startBroker, type RunningBroker } from "../harness/broker.ts";
import { Deliveries, shareConsumerBinary, startShareConsumer, type RunningShareConsumer } from "../harness/share-consumer.ts";
import { describeStores, type Store } from "../harness/stores.ts";

// Locks as short as a second may be set on a group (Kafka's group.share.min.record.lock.duration.ms).
const ENV = { FETCH_POLL_MS: "50", GROUP_SHARE_MIN_RECORD_LOCK_DURATION_MS: "1000" };

// The brokers of the store under test (one describe block per store, run one after the other).
let store: Store;
let a: RunningBroker;
let b: RunningBroker;
let admin: KafkaConnection;
const consumers: RunningShareConsumer[] = [];

async function topicAndGroup(name: string, groupConfigs: Record<string, string> = {}) {
  const created = await admin.request(ApiKey.CreateTopics, 7, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  const groupId = `${name}-group`;
  const configs = { "share.auto.offset.reset": "earliest", ...groupConfigs };
  const altered = await admin.request(ApiKey.IncrementalAlterConfigs, 1, {
    resources: [{ resourceType: 32, resourceName: groupId, configs: Object.entries(configs).map(([n, value]) => ({ name: n, configOperation: 0, value })) }],
    validateOnly: false,
  });
  expect(altered.responses[0]!.errorCode).toBe(ErrorCode.NONE);
  return groupId;
}

/** Produces each value as its own batch, through the given broker. */
async function produce(via: RunningBroker, topic: string, values: string[]) {
  const c = await KafkaConnection.connect(via.url, "share-producer");
  try {
    for (const value of values) {
      const r = await c.request(ApiKey.Produce, 11, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: batchOf([{ value }]) }] }],
      });
      expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    }
  } finally {
    c.close();
  }
}

async function consumer(deliveries: Deliveries, via: RunningBroker, groupId: string, topic: string, name: string, options = {}) {
  const c = await startShareConsumer(deliveries, via.url, groupId, topic, name, options);
  consumers.push(c);
  return c;
}

async function startOffset(groupId: string, topic: string) {
  const r = await admin.request(ApiKey.DescribeShareGroupOffsets, 1, { groups: [{ groupId, topics: [{ topicName: topic, partitions: [0] }] }] });
  const p = r.groups[0]!.topics[0]!.partitions[0]!;
  return { startOffset: p.startOffset, lag: p.lag };
}

describeStores((fresh) => {
  beforeAll(async () => {
    store = await fresh();
    [a, b] = await Promise.all([startBroker({ ...store, env: ENV }), startBroker({ ...store, env: ENV }), shareConsumerBinary()]);
    admin = await KafkaConnection.connect(a.url, "share-admin");
  }, 180_000);
  afterAll(async () => {
    admin?.close();
    await Promise.all(consumers.splice(0).map((c) => c.kill()));
    await a?.stop();
    await b?.stop();
  });

  test("three consumers on two brokers share one partition: every record delivered once, to one of them", async () => {
    const topic = "sq-distinct";
    const groupId = await topicAndGroup(topic);
    const deliveries = new Deliveries();
    // Small polls and a pause per batch, as workers taking a few jobs at a time.
    const options = { maxPollRecords: 5, pauseMs: 30 };
    const members = [
      await consumer(deliveries, a, groupId, topic, "a1", options),
      await consumer(deliveries, a, groupId, topic, "a2", options),
      await consumer(deliveries, b, groupId, topic, "b1", options),
    ];
    const values = Array.from({ length: 150 }, (_, i) => `accept-${i}`);
    await Promise.all([produce(a, topic, values.slice(0, 75)), produce(b, topic, values.slice(75))]);
    await deliveries.until((rs) => new Set(rs.map((r) => r.value)).size === values.length, 120_000, "all 150 records");
    for (const m of members) expect(await m.stop()).toBe(0);

    expect(deliveries.records.map((r) => r.value).sort()).toEqual([...values].sort());
    expect(deliveries.records.every((r) => r.delivery === 1)).toBe(true);
    const byConsumer = new Map<string, number>();
    for (const r of deliveries.records) byConsumer.set(r.consumer, (byConsumer.get(r.consumer) ?? 0) + 1);
    expect([...byConsumer.keys()].sort()).toEqual(["a1", "a2", "b1"]);
    // Everything was accepted: the share-partition has moved past all of it.
    expect(await startOffset(groupId, topic)).toEqual({ startOffset: 150n, lag: 0n });
  }, 180_000);

  test("a released record is redelivered; rejected and over the delivery limit it is archived for good", async () => {
    const topic = "sq-outcomes";
    const groupId = await topicAndGroup(topic, { "share.delivery.count.limit": "3" });
    const deliveries = new Deliveries();
    const members = [await consumer(deliveries, a, groupId, topic, "a1"), await consumer(deliveries, b, groupId, topic, "b1")];
    await produce(b, topic, ["release-x", "reject-y", "accept-z"]);
    await deliveries.until((rs) => rs.some((r) => r.value === "release-x" && r.delivery === 3) && rs.some((r) => r.value === "accept-z"), 60_000, "three deliveries of release-x");
    // Closing sends the last acknowledgements: after that nothing is left to deliver.
    for (const m of members) expect(await m.stop()).toBe(0);

    expect(deliveries.of("release-x").map((r) => r.delivery)).toEqual([1, 2, 3]);
    expect(deliveries.of("reject-y").map((r) => r.delivery)).toEqual([1]);
    expect(deliveries.of("accept-z").map((r) => r.delivery)).toEqual([1]);
    expect(await startOffset(groupId, topic)).toEqual({ startOffset: 3n, lag: 0n });

    // A member joining later gets only what comes next.
    const later = new Deliveries();
    const fresh = await consumer(later, a, groupId, topic, "a2");
    await produce(a, topic, ["accept-after"]);
    await later.until((rs) => rs.length > 0, 60_000, "the record produced after");
    expect(await fresh.stop()).toBe(0);
    expect(later.records.map((r) => [r.offset, r.value, r.delivery])).toEqual([[3, "accept-after", 1]]);
  }, 180_000);

  test("a consumer killed while holding records: they go to a member on the other broker, delivered a second time", async () => {
    const topic = "sq-killed";
    const groupId = await topicAndGroup(topic);
    const deliveries = new Deliveries();
    const holder = await consumer(deliveries, a, groupId, topic, "holder");
    await produce(a, topic, ["hold-0"]);
    await deliveries.until((rs) => rs.some((r) => r.consumer === "holder"), 60_000, "the holder's records");
    const taker = await consumer(deliveries, b, groupId, topic, "taker");
    await holder.kill();
    await deliveries.until((rs) => rs.some((r) => r.consumer === "taker"), 60_000, "the taker getting the held record");
    await taker.kill();
    expect(deliveries.of("hold-0").map((r) => [r.consumer, r.delivery])).toEqual([["holder", 1], ["taker", 2]]);
  }, 120_000);

  test("records held through a broker that dies are redelivered through another once their lock lapses", async () => {
    const topic = "sq-broker-died";
    const groupId = await topicAndGroup(topic, { "share.record.lock.duration.ms": "2000" });
    const doomed = await startBroker({ ...store, env: ENV });
    const deliveries = new Deliveries();
    const holder = await consumer(deliveries, doomed, groupId, topic, "holder");
    await produce(b, topic, ["hold-1", "hold-2"]);
    await deliveries.until((rs) => rs.filter((r) => r.consumer === "holder").length === 2, 60_000, "the holder's records");
    // The broker dies with the session: nobody releases the records; their lock in the store lapses.
    await doomed.stop("SIGKILL");
    const taker = await consumer(deliveries, b, groupId, topic, "taker");
    await deliveries.until((rs) => rs.filter((r) => r.consumer === "taker").length === 2, 60_000, "the taker getting both records");
    await Promise.all([holder.kill(), taker.kill()]);
    expect(deliveries.records.map((r) => [r.consumer, r.value, r.delivery])).toEqual([
      ["holder", "hold-1", 1],
      ["holder", "hold-2", 1],
      ["taker", "hold-1", 2],
      ["taker", "hold-2", 2],
    ]);
  }, 120_000);
});
