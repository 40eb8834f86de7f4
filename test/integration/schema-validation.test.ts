// Broker-side validation through the compiled broker: kcat against a JSON Schema file topic (every codec),
// batches with invalid records at known indexes (record_errors, offsets unmoved, other partitions
// unaffected), the Confluent wire format of registered subjects, and two brokers on one store.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KafkaConnection } from "../../src/client/kafka-connection.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { Compression, encodeRecordBatch } from "../../src/protocol/record-batch.ts";
import { parseExposition, sampleValue } from "../harness/prometheus.ts";
import { freePort, startBroker, tempDir, type RunningBroker } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";

const PERSON = {
  type: "object",
  properties: {
    key: { type: "string", pattern: "^\\d{3}-\\d{2}-\\d{4}$" },
    value: {
      type: "object",
      properties: { firstName: { type: "string" }, age: { type: "integer", minimum: 0 } },
      required: ["firstName"],
    },
  },
};

let broker: RunningBroker;
let other: RunningBroker;
let registryUrl: string;
let otherRegistryUrl: string;
const text = new TextEncoder();

beforeAll(async () => {
  const dir = tempDir("tansu-schemas-");
  mkdirSync(join(dir, "schemas"));
  writeFileSync(join(dir, "schemas", "person.json"), JSON.stringify(PERSON));
  const storage = `sqlite://${join(dir, "shared.db")}`;
  registryUrl = `http://127.0.0.1:${freePort()}`;
  otherRegistryUrl = `http://127.0.0.1:${freePort()}`;
  broker = await startBroker({ storage, args: ["--schema-registry", `file://${join(dir, "schemas")}`, "--http-listener-url", registryUrl] });
  // The second broker shares the store, has no schema files and refreshes nothing from a cache.
  other = await startBroker({ storage, args: ["--http-listener-url", otherRegistryUrl, "--schema-refresh-ms", "0"] });
});
afterAll(async () => {
  await broker?.stop();
  await other?.stop();
});

async function offsets(address: string, topic: string, partitions = [0]): Promise<bigint[]> {
  const c = await KafkaConnection.connect(address);
  try {
    const response = await c.request(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: partitions.map((p) => ({ partitionIndex: p, timestamp: -1n })) }] });
    return response.topics[0]!.partitions.map((p) => p.offset ?? -1n);
  } finally {
    c.close();
  }
}

/** Produces one batch per partition through our protocol client; returns the partition responses. */
async function produce(address: string, topic: string, batches: Array<{ partition: number; records: Array<{ key: Uint8Array | null; value: Uint8Array | null }>; compression?: number }>) {
  const c = await KafkaConnection.connect(address);
  try {
    const response = await c.request(ApiKey.Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [
        {
          name: topic,
          partitionData: batches.map((b) => ({
            index: b.partition,
            records: encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), compression: b.compression ?? 0, records: b.records.map((r, i) => ({ ...r, offsetDelta: i })) }),
          })),
        },
      ],
    });
    return response.responses[0]!.partitionResponses;
  } finally {
    c.close();
  }
}

async function createTopic(address: string, name: string, partitions: number, configs: Array<{ name: string; value: string }> = []) {
  const c = await KafkaConnection.connect(address);
  try {
    const response = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: -1, assignments: [], configs }], timeoutMs: 10_000, validateOnly: false });
    expect(response.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  } finally {
    c.close();
  }
}

const json = (v: unknown) => text.encode(JSON.stringify(v));

describe("kcat and a JSON Schema file", () => {
  beforeAll(() => createTopic(broker.url, "person", 1));

  for (const codec of ["none", "gzip", "lz4", "zstd"]) {
    test(`valid records land, an invalid one is refused with INVALID_RECORD and the offsets stay (${codec})`, async () => {
      const before = (await offsets(broker.url, "person"))[0]!;
      const good = ['"123-45-6789"|{"firstName":"Ada","age":36}', '"987-65-4321"|{"firstName":"Alan"}'];
      const ok = await kcat(["-b", broker.url, "-t", "person", "-P", "-K|", "-z", codec], { input: `${good.join("\n")}\n` });
      expect(ok.stderr).not.toContain("ERROR");
      expect(ok.exitCode).toBe(0);
      const afterGood = (await offsets(broker.url, "person"))[0]!;
      expect(afterGood).toBe(before + 2n);

      const bad = await kcat(["-b", broker.url, "-t", "person", "-P", "-K|", "-z", codec], { input: '"123-45-6789"|{"firstName":"Ada","age":-1}\n' });
      expect(bad.exitCode).not.toBe(0);
      expect(bad.stderr).toContain("Broker failed to validate record");
      expect((await offsets(broker.url, "person"))[0]).toBe(afterGood);

      const consumed = await kcat(["-b", broker.url, "-t", "person", "-C", "-e", "-o", String(before), "-f", "%k|%s\n"]);
      expect(consumed.stdout.trim().split("\n")).toEqual(good);
    });
  }
});

async function rejections(topic: string): Promise<number> {
  const families = await parseExposition(await (await fetch(`${registryUrl}/metrics`)).text(), "prometheus");
  return sampleValue(families, "tansu_validation_rejections_total", { topic });
}

describe("a batch with invalid records", () => {
  test("is refused whole with each bad record's index and reason, other partitions unaffected", async () => {
    const rejectionsBefore = await rejections("person");
    const key = json("123-45-6789");
    const [first] = await produce(broker.url, "person", [
      {
        partition: 0,
        compression: Compression.zstd,
        records: [
          { key, value: json({ firstName: "ok" }) },
          { key, value: json({ firstName: "minus", age: -3 }) },
          { key, value: text.encode("not json {") },
          { key: json("bad-key"), value: json({ firstName: "x" }) },
          { key: null, value: json({ firstName: "y" }) },
        ],
      },
    ]);
    expect(first!.errorCode).toBe(ErrorCode.INVALID_RECORD);
    // The refusal is counted once for the topic on /metrics (the HTTP listener carries both).
    expect((await rejections("person")) - rejectionsBefore).toBe(1);
    expect(first!.errorMessage).toContain("4 of 5 records do not match the schema of topic person");
    expect(first!.recordErrors).toEqual([
      { batchIndex: 1, batchIndexErrorMessage: "value.age: must be >= 0" },
      { batchIndex: 2, batchIndexErrorMessage: expect.stringMatching(/^value: not JSON/) },
      { batchIndex: 3, batchIndexErrorMessage: expect.stringContaining("key: must match pattern") },
      { batchIndex: 4, batchIndexErrorMessage: "key: is null, but the topic's schema describes it" },
    ]);
  });

  test("in one partition leaves the other partition's batch written", async () => {
    await createTopic(broker.url, "orders-multi", 2);
    const schema = JSON.stringify({ type: "record", name: "Order", fields: [{ name: "id", type: "long" }] });
    const { id } = (await (await fetch(`${registryUrl}/subjects/orders-multi-value/versions`, { method: "POST", body: JSON.stringify({ schema }) })).json()) as { id: number };
    const framed = (payload: number[]) => Uint8Array.from([0, 0, 0, 0, id, ...payload]);
    const [p0before, p1before] = await offsets(broker.url, "orders-multi", [0, 1]);
    const results = await produce(broker.url, "orders-multi", [
      { partition: 0, records: [{ key: null, value: framed([2]) }, { key: null, value: Uint8Array.from([1, 2, 3]) }] },
      { partition: 1, records: [{ key: null, value: framed([4]) }] },
    ]);
    expect(results.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_RECORD, ErrorCode.NONE]);
    expect(results[0]!.recordErrors).toEqual([{ batchIndex: 1, batchIndexErrorMessage: "value: not in Confluent's wire format (magic byte 0 and a 4-byte schema id expected)" }]);
    expect(await offsets(broker.url, "orders-multi", [0, 1])).toEqual([p0before!, p1before! + 1n]);
    // An id that names no version of the subject is invalid too.
    const [unknown] = await produce(broker.url, "orders-multi", [{ partition: 0, records: [{ key: null, value: Uint8Array.from([0, 0, 0, 0, 250, 2]) }] }]);
    expect(unknown!.recordErrors![0]!.batchIndexErrorMessage).toBe("value: schema id 250 is not a registered version of subject orders-multi-value");
  });

  test("tansu.schema.wire.format=plain takes bare payloads for a registered subject", async () => {
    await createTopic(broker.url, "plain-orders", 1, [{ name: "tansu.schema.wire.format", value: "plain" }]);
    const schema = JSON.stringify({ type: "record", name: "Order", fields: [{ name: "id", type: "long" }] });
    await fetch(`${registryUrl}/subjects/plain-orders-value/versions`, { method: "POST", body: JSON.stringify({ schema }) });
    const [plain] = await produce(broker.url, "plain-orders", [{ partition: 0, records: [{ key: null, value: Uint8Array.from([2]) }] }]);
    expect(plain!.errorCode).toBe(ErrorCode.NONE);
    const [truncated] = await produce(broker.url, "plain-orders", [{ partition: 0, records: [{ key: null, value: Uint8Array.from([]) }] }]);
    expect(truncated!.recordErrors![0]!.batchIndexErrorMessage).toBe("value.id: the payload ends inside this long");
  });
});

describe("two brokers on one store", () => {
  test("a schema registered through one broker's API is enforced by the other", async () => {
    await createTopic(other.url, "shared-events", 1);
    // Before any schema, anything goes on the other broker.
    expect((await produce(other.url, "shared-events", [{ partition: 0, records: [{ key: null, value: text.encode("free text") }] }]))[0]!.errorCode).toBe(ErrorCode.NONE);
    const schema = JSON.stringify({ type: "object", properties: { n: { type: "integer" } }, required: ["n"] });
    const registered = await fetch(`${registryUrl}/subjects/shared-events-value/versions`, { method: "POST", body: JSON.stringify({ schema, schemaType: "JSON" }) });
    const { id } = (await registered.json()) as { id: number };
    const framed = (v: unknown) => Uint8Array.from([0, 0, 0, 0, id, ...json(v)]);
    const [refused] = await produce(other.url, "shared-events", [{ partition: 0, records: [{ key: null, value: framed({ n: "one" }) }] }]);
    expect(refused!.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(refused!.recordErrors).toEqual([{ batchIndex: 0, batchIndexErrorMessage: "value.n: must be integer" }]);
    expect((await produce(other.url, "shared-events", [{ partition: 0, records: [{ key: null, value: framed({ n: 1 }) }] }]))[0]!.errorCode).toBe(ErrorCode.NONE);
    // And the other broker's API serves what the first registered.
    expect(await (await fetch(`${otherRegistryUrl}/subjects/shared-events-value/versions/latest`)).json()).toMatchObject({ id, version: 1 });
  });
});
