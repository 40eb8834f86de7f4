// kafkajs and @platformatic/kafka against the binary on each engine: admin and produce. Consuming as a
// group is covered with the group coordinator's tests.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { Admin, Producer, stringSerializers } from "@platformatic/kafka";
import { startBroker, type RunningBroker } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";
import { describeStores } from "../harness/stores.ts";

describeStores((fresh) => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker(await fresh());
  });
  afterAll(() => broker.stop());

  async function readBack(topic: string, partition: number) {
    const consumed = await kcat(["-b", broker.url, "-t", topic, "-p", String(partition), "-C", "-e", "-o", "beginning", "-f", "%k|%s|%h\n"]);
    expect(consumed.exitCode).toBe(0);
    return consumed.stdout.trim().split("\n");
  }

  describe("kafkajs", () => {
    test("admin and producer", async () => {
      const kafka = new Kafka({ brokers: [broker.url], clientId: "kafkajs-test", logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      try {
        expect(await admin.createTopics({ topics: [{ topic: "kjs", numPartitions: 2, configEntries: [{ name: "retention.ms", value: "100000" }] }] })).toBe(true);
        expect(await admin.createTopics({ topics: [{ topic: "kjs", numPartitions: 2 }] })).toBe(false);
        expect(await admin.listTopics()).toContain("kjs");
        const metadata = await admin.fetchTopicMetadata({ topics: ["kjs"] });
        expect(metadata.topics[0]!.partitions.length).toBe(2);

        const producer = kafka.producer({ allowAutoTopicCreation: false });
        await producer.connect();
        const sent = await producer.send({
          topic: "kjs",
          messages: Array.from({ length: 20 }, (_, i) => ({ partition: 1, key: `k${i}`, value: `v${i}`, headers: { n: String(i) } })),
        });
        await producer.disconnect();
        expect(sent[0]!.errorCode).toBe(0);
        expect(await readBack("kjs", 1)).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}|v${i}|n=${i}`));

        const offsets = await admin.fetchTopicOffsets("kjs");
        expect(offsets.find((o) => o.partition === 1)).toMatchObject({ high: "20", low: "0" });
        const configs = await admin.describeConfigs({ resources: [{ type: 2, name: "kjs", configNames: ["retention.ms"] }], includeSynonyms: false });
        expect(configs.resources[0]!.configEntries[0]!.configValue).toBe("100000");
        await admin.deleteTopics({ topics: ["kjs"] });
        expect(await admin.listTopics()).not.toContain("kjs");
      } finally {
        await admin.disconnect();
      }
    });
  });

  describe("@platformatic/kafka", () => {
    test("admin and producer", async () => {
      const admin = new Admin({ clientId: "platformatic-test", bootstrapBrokers: [broker.url] });
      try {
        await admin.createTopics({ topics: ["plt"], partitions: 3, replicas: 1 });
        const metadata = await admin.metadata({ topics: ["plt"] });
        expect(metadata.topics.get("plt")!.partitionsCount).toBe(3);

        const producer = new Producer({ clientId: "platformatic-test", bootstrapBrokers: [broker.url], serializers: stringSerializers });
        try {
          await producer.send({
            messages: Array.from({ length: 10 }, (_, i) => ({ topic: "plt", partition: 2, key: `k${i}`, value: `v${i}`, headers: { n: String(i) } })),
          });
        } finally {
          await producer.close();
        }
        expect(await readBack("plt", 2)).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}|v${i}|n=${i}`));
        await admin.deleteTopics({ topics: ["plt"] });
        expect((await admin.listTopics()).includes("plt")).toBe(false);
      } finally {
        await admin.close();
      }
    });
  });
});
