// Topics as tables through the compiled broker: records produced by real clients (python
// confluent-kafka and kcat with --schema-registry files, kafkajs with the Schema Registry
// serializers for registered subjects) land as typed rows in Parquet, Iceberg (partitioned by
// day(timestamp) and not) and Delta tables, read back by DuckDB, hyparquet, icebird and python3-avro.
// A compatible new schema version registered through the REST API evolves the table.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Kafka, logLevel } from "kafkajs";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { freePort, startBroker, tempDir, type RunningBroker } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";
import { checkIcebergMetadata, currentMetadataFile, expectIcebirdRows, icebirdRows } from "../lake/iceberg-checks.ts";
import { asDelta, hyparquetDisagreements, hyparquetRows, parquetFiles, replayDelta } from "../lake/readers.ts";
import { AVRO_SCHEMA_FILE, avroTopic, jsonTopic, metadataOf, PROTO, protobufTopic, recordsOf, type TopicFixture } from "../lake/topics.ts";
import { startRestCatalog } from "../lake/rest-catalog-server.ts";
import { createTopic, eventually, fixtureMessages, pathOf, producePython, rowsOnceCommitted, type Row } from "./lake-harness.ts";

setDefaultTimeout(120_000);

const PARTITIONS = 3;
const COUNT = 12;

let broker: RunningBroker;
let lakeDir: string;
let registryUrl: string;

beforeAll(async () => {
  const dir = tempDir("tansu-lake-topics-");
  const schemas = join(dir, "schemas");
  mkdirSync(schemas);
  // Schema files hold both parts: an Avro record with fields key and value, a JSON Schema with
  // properties key and value, Protobuf messages Key and Value.
  writeFileSync(join(schemas, `${avroTopic.name}.avsc`), AVRO_SCHEMA_FILE);
  const { $schema, $defs, ...value } = (jsonTopic.schema.value as { schema: Record<string, unknown> }).schema;
  writeFileSync(join(schemas, `${jsonTopic.name}.json`), JSON.stringify({ $schema, $defs, type: "object", properties: { value } }));
  writeFileSync(join(schemas, `${protobufTopic.name}.proto`), PROTO);
  lakeDir = join(dir, "lake");
  registryUrl = `http://127.0.0.1:${freePort()}`;
  broker = await startBroker({
    args: ["--schema-registry", `file://${schemas}`, "--http-listener-url", registryUrl, "--lake-location", `file://${lakeDir}`],
    env: { LAKE_CATCH_UP_INTERVAL_MS: "200" },
  });
});
afterAll(() => broker?.stop());

/** Commit once every record is in (one commit), or half a second after the first at the latest. */
const commitConfigs = (records: number) => ({ "tansu.lake.commit.records": String(records), "tansu.lake.commit.interval.ms": "500" });

const indexOf = (row: Row, partitions: number) => Number(row.offset) * partitions + Number(row.partition);

/** Each fixture record is one row with its typed values, as DuckDB reads them. */
function expectFixtureRows(topic: TopicFixture, rows: Row[], count: number, partitions: number, options: { timestamp?: boolean; delta?: boolean } = {}): void {
  const records = recordsOf(topic, count, partitions);
  expect(rows.map((row) => indexOf(row, partitions)).sort((a, b) => a - b)).toEqual(records.map((_, i) => i));
  for (const row of rows) {
    const i = indexOf(row, partitions);
    const { timestamp, ...metadata } = metadataOf(records[i]!);
    const expected = { ...topic.expected(i), ...metadata, ...(options.timestamp === false ? {} : { timestamp }) };
    expect(row).toMatchObject(options.delta ? asDelta(expected) : expected);
  }
}

describe("--schema-registry files, plain payloads", () => {
  test("Avro from python confluent-kafka: a Parquet row per record (the broker's --lake-format), read by DuckDB and hyparquet", async () => {
    await createTopic(broker.url, avroTopic.name, PARTITIONS, commitConfigs(COUNT));
    await producePython(broker.url, fixtureMessages(avroTopic, COUNT, PARTITIONS));
    const rows = await rowsOnceCommitted(lakeDir, avroTopic.name, "parquet", COUNT);
    expectFixtureRows(avroTopic, rows, COUNT, PARTITIONS);
    for (const row of rows) {
      const i = indexOf(row, PARTITIONS);
      expect(row.headers).toEqual([
        { key: "trace", value: `t-${i}` },
        { key: "empty", value: null },
      ]);
    }
    const files = parquetFiles(join(lakeDir, "tansu", avroTopic.name));
    // Plain Parquet files are named for the Kafka partition and offsets they hold.
    expect(files.map((file) => basename(file)).sort()).toEqual([0, 1, 2].map((p) => `p${p}-${"0".padStart(20, "0")}-${"3".padStart(20, "0")}.parquet`));
    const records = recordsOf(avroTopic, COUNT, PARTITIONS);
    let read = 0;
    for (const file of files) {
      for (const { headers: _headers, ...columns } of await hyparquetRows(file)) {
        const i = indexOf(columns, PARTITIONS);
        expect(hyparquetDisagreements({ ...avroTopic.expected(i), ...metadataOf(records[i]!) }, columns)).toEqual([]);
        read++;
      }
    }
    expect(read).toBe(COUNT);
  });

  test("JSON Schema from kcat: a Delta table (tansu.lake.format=delta) with typed columns, its log replayed by DuckDB", async () => {
    const count = 6;
    await createTopic(broker.url, jsonTopic.name, 1, { ...commitConfigs(count), "tansu.lake.format": "delta" });
    const lines = recordsOf(jsonTopic, count, 1).map((record) => `${new TextDecoder().decode(record.key as Uint8Array)}\t${JSON.stringify(record.value)}`);
    const sent = await kcat(["-P", "-b", broker.url, "-t", jsonTopic.name, "-p", "0", "-K", "\t", "-H", "via=kcat"], { input: `${lines.join("\n")}\n` });
    expect(sent.stderr).toBe("");
    expect(sent.exitCode).toBe(0);
    const rows = await rowsOnceCommitted(lakeDir, jsonTopic.name, "delta", count);
    // kcat stamps records with its own clock.
    expectFixtureRows(jsonTopic, rows, count, 1, { timestamp: false, delta: true });
    for (const row of rows) expect(row.headers).toEqual([{ key: "via", value: "kcat" }]);
    const snapshot = await replayDelta(join(lakeDir, "tansu", jsonTopic.name));
    expect(snapshot.protocol).toHaveProperty("minReaderVersion");
    expect(snapshot.protocol).toHaveProperty("minWriterVersion");
    expect(JSON.parse(snapshot.metaData.schemaString).fields.map((f: { name: string }) => f.name)).toContain("createdAt");
    expect(snapshot.txns.get("tansu.partition.0")).toBe(count);
  });

  test("Protobuf from python confluent-kafka: an Iceberg table partitioned by day(timestamp), read by icebird", async () => {
    await createTopic(broker.url, protobufTopic.name, PARTITIONS, { ...commitConfigs(COUNT), "tansu.lake.format": "iceberg", "tansu.lake.partition": "day(timestamp)" });
    await producePython(broker.url, fixtureMessages(protobufTopic, COUNT, PARTITIONS));
    const rows = await rowsOnceCommitted(lakeDir, protobufTopic.name, "iceberg", COUNT);
    expectFixtureRows(protobufTopic, rows, COUNT, PARTITIONS);
    const tableDir = join(lakeDir, "tansu", protobufTopic.name);
    const metadataFile = currentMetadataFile(tableDir);
    const files = await checkIcebergMetadata(metadataFile, pathOf);
    expect(files.metadata["partition-specs"][0].fields).toMatchObject([{ name: "timestamp_day", transform: "day" }]);
    // The fixture's records are seven hours apart: several days, one data file each at least.
    const days = new Set(files.dataFiles.map((file) => JSON.stringify(file.entry.data_file.partition)));
    expect(days.size).toBeGreaterThan(1);
    expectIcebirdRows(protobufTopic, await icebirdRows(`file://${tableDir}`, basename(metadataFile)), Array.from({ length: COUNT }, (_, i) => i), PARTITIONS);
  });
});

describe("--iceberg-catalog", () => {
  test("tables are created and committed through an Iceberg REST catalog", async () => {
    const catalog = startRestCatalog();
    const dir = tempDir("tansu-lake-rest-");
    const schemas = join(dir, "schemas");
    mkdirSync(schemas);
    writeFileSync(join(schemas, `${avroTopic.name}.avsc`), AVRO_SCHEMA_FILE);
    const rest = await startBroker({
      args: ["--schema-registry", `file://${schemas}`, "--lake-location", `file://${dir}/lake`, "--lake-format", "iceberg", "--iceberg-catalog", catalog.url, "--lake-namespace", "analytics"],
    });
    try {
      const count = 6;
      await createTopic(rest.url, avroTopic.name, PARTITIONS, commitConfigs(count));
      await producePython(rest.url, fixtureMessages(avroTopic, count, PARTITIONS));
      let metadataLocation = "";
      await eventually("the catalog's table holding every record", async () => {
        const response = await fetch(`${catalog.url}/v1/warehouse-1/namespaces/analytics/tables/${avroTopic.name}`);
        if (response.status !== 200) return false;
        const loaded = (await response.json()) as { "metadata-location": string; metadata: Record<string, any> };
        metadataLocation = loaded["metadata-location"];
        const snapshot = loaded.metadata.snapshots?.find((s: Record<string, unknown>) => s["snapshot-id"] === loaded.metadata["current-snapshot-id"]);
        return Number(snapshot?.summary["total-records"] ?? 0) >= count;
      });
      expect(catalog.commits).toBeGreaterThan(0);
      const files = await checkIcebergMetadata(pathOf(metadataLocation), pathOf);
      expect(files.metadata.location).toBe(`file://${dir}/lake/analytics/${avroTopic.name}`);
      const tableUrl = files.metadata.location as string;
      expectIcebirdRows(avroTopic, await icebirdRows(tableUrl, basename(pathOf(metadataLocation))), Array.from({ length: count }, (_, i) => i), PARTITIONS);
    } finally {
      await rest.stop();
      catalog.stop();
    }
  });
});

// ---------- registered subjects, Confluent's wire format ----------

const EVENT_V1 = {
  type: "record",
  name: "Event",
  namespace: "shop",
  fields: [
    { name: "id", type: "long" },
    { name: "at", type: { type: "long", logicalType: "timestamp-millis" } },
    { name: "price", type: { type: "bytes", logicalType: "decimal", precision: 9, scale: 2 } },
  ],
};
const EVENT_V2 = { ...EVENT_V1, fields: [...EVENT_V1.fields, { name: "coupon", type: ["null", "string"], default: null }] };
const AT = Date.UTC(2024, 4, 1, 12, 0, 0, 250);

async function sendWithKafkajs(topic: string, values: Buffer[]): Promise<void> {
  const kafka = new Kafka({ brokers: [broker.url], clientId: "lake-test", logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  try {
    // One send per value, so that they land in this order.
    for (const value of values) {
      const [sent] = await producer.send({ topic, acks: -1, messages: [{ value }] });
      expect(sent!.errorCode).toBe(0);
    }
  } finally {
    await producer.disconnect();
  }
}

describe("registered subjects through kafkajs and @kafkajs/confluent-schema-registry", () => {
  for (const format of ["iceberg", "delta"] as const) {
    test(`Avro: registering a compatible version evolves the ${format} table; rows of both versions read back`, async () => {
      const topic = `events-${format}`;
      // Subjects first: a broker caches a topic's having no schema for --schema-refresh-ms.
      const registry = new SchemaRegistry({ host: registryUrl });
      const v1 = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(EVENT_V1) }, { subject: `${topic}-value` });
      await createTopic(broker.url, topic, 1, { "tansu.lake.format": format, "tansu.lake.commit.records": "1", "tansu.lake.commit.interval.ms": "200" });
      const price = (cents: number) => Buffer.from([cents >> 8, cents & 0xff]);
      await sendWithKafkajs(topic, [await registry.encode(v1.id, { id: 0, at: AT, price: price(1999) }), await registry.encode(v1.id, { id: 1, at: AT + 1, price: price(500) })]);
      await rowsOnceCommitted(lakeDir, topic, format, 2);

      const v2 = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(EVENT_V2) }, { subject: `${topic}-value` });
      expect(v2.id).not.toBe(v1.id);
      await sendWithKafkajs(topic, [
        await registry.encode(v2.id, { id: 2, at: AT + 2, price: price(100), coupon: "SAVE10" }),
        await registry.encode(v2.id, { id: 3, at: AT + 3, price: price(200), coupon: null }),
        // A producer still on the old version.
        await registry.encode(v1.id, { id: 4, at: AT + 4, price: price(300) }),
      ]);
      const rows = (await rowsOnceCommitted(lakeDir, topic, format, 5)).sort((a, b) => Number(a.offset) - Number(b.offset));
      expect(rows.map((row) => [row.id, row.at, row.price, row.coupon ?? null])).toEqual([
        ["0", "2024-05-01 12:00:00.25+00", "19.99", null],
        ["1", "2024-05-01 12:00:00.251+00", "5.00", null],
        ["2", "2024-05-01 12:00:00.252+00", "1.00", "SAVE10"],
        ["3", "2024-05-01 12:00:00.253+00", "2.00", null],
        ["4", "2024-05-01 12:00:00.254+00", "3.00", null],
      ]);
      const tableDir = join(lakeDir, "tansu", topic);
      if (format === "iceberg") {
        const metadataFile = currentMetadataFile(tableDir);
        const { metadata } = await checkIcebergMetadata(metadataFile, pathOf);
        expect(metadata.schemas).toHaveLength(2);
        expect(metadata.schemas[1].fields.map((f: { name: string }) => f.name)).toContain("coupon");
        const read = (await icebirdRows(`file://${tableDir}`, basename(metadataFile))).sort((a, b) => Number(a.offset) - Number(b.offset));
        expect(read.map((row) => [String(row.id), row.coupon ?? null])).toEqual([["0", null], ["1", null], ["2", "SAVE10"], ["3", null], ["4", null]]);
      } else {
        const snapshot = await replayDelta(tableDir);
        expect(JSON.parse(snapshot.metaData.schemaString).fields.map((f: { name: string }) => f.name)).toContain("coupon");
        // The first files were written before the schema grew, and stay readable as they are.
        const firstCommit = readFileSync(join(tableDir, "_delta_log", `${"0".padStart(20, "0")}.json`), "utf8");
        expect(firstCommit).not.toContain("coupon");
      }
    });
  }

  test("JSON Schema and Protobuf: typed rows in Parquet, read by DuckDB and hyparquet", async () => {
    // The serializer validates with ajv, which knows the date-time format only with ajv-formats.
    const registry = new SchemaRegistry({ host: registryUrl }, { [SchemaType.JSON]: { ajvInstance: addFormats(new Ajv({ strict: false })) as never } });
    const lineSchema = {
      type: "object",
      properties: {
        sku: { type: "string" },
        qty: { type: "integer" },
        at: { type: "string", format: "date-time" },
        dims: { type: "object", properties: { w: { type: "number" }, h: { type: "number" } }, required: ["w", "h"] },
        tags: { type: "array", items: { type: "string" } },
      },
      required: ["sku", "qty", "at"],
    };
    const proto = `syntax = "proto3";
package shop;
message Shipment {
  enum Carrier { CARRIER_UNKNOWN = 0; POST = 1; COURIER = 2; }
  message Box { int32 weight = 1; string label = 2; }
  string id = 1;
  int64 boxes_total = 2;
  Carrier carrier = 3;
  repeated Box boxes = 4;
  map<string, string> notes = 5;
}`;
    const cases = [
      {
        topic: "lines-json",
        type: SchemaType.JSON,
        schema: JSON.stringify(lineSchema),
        values: [
          { sku: "a", qty: 2, at: "2024-05-01T10:00:00Z", dims: { w: 1.5, h: 2 }, tags: ["x"] },
          { sku: "b", qty: 3, at: "2024-05-01T11:30:00.5+01:00", tags: [] },
        ],
        expected: [
          { sku: "a", qty: "2", at: "2024-05-01 10:00:00+00", dims: { w: 1.5, h: 2 }, tags: ["x"] },
          { sku: "b", qty: "3", at: "2024-05-01 10:30:00.5+00", dims: null, tags: [] },
        ],
      },
      {
        topic: "shipments-proto",
        type: SchemaType.PROTOBUF,
        schema: proto,
        values: [
          // The serializer's protobufjs names fields in camelCase; the broker keeps the .proto's names.
          { id: "s1", boxesTotal: 4294967297, carrier: 2, boxes: [{ weight: 3, label: "top" }], notes: { door: "back" } },
          { id: "s2", boxesTotal: 0, carrier: 0, boxes: [], notes: {} },
        ],
        expected: [
          { id: "s1", boxes_total: "4294967297", carrier: "COURIER", boxes: [{ weight: 3, label: "top" }], notes: [{ key: "door", value: "back" }] },
          { id: "s2", boxes_total: "0", carrier: "CARRIER_UNKNOWN", boxes: [], notes: [] },
        ],
      },
    ];
    for (const c of cases) {
      const { id } = await registry.register({ type: c.type, schema: c.schema } as never, { subject: `${c.topic}-value` });
      await createTopic(broker.url, c.topic, 1, commitConfigs(c.values.length));
      await sendWithKafkajs(c.topic, await Promise.all(c.values.map((value) => registry.encode(id, value))));
    }
    for (const c of cases) {
      const rows = (await rowsOnceCommitted(lakeDir, c.topic, "parquet", c.values.length)).sort((a, b) => Number(a.offset) - Number(b.offset));
      rows.forEach((row, i) => expect(row).toMatchObject(c.expected[i]!));
      const [file] = parquetFiles(join(lakeDir, "tansu", c.topic));
      const read = (await hyparquetRows(file!)).sort((a, b) => Number(a.offset) - Number(b.offset));
      read.forEach(({ headers: _headers, key: _key, ...columns }, i) => {
        const { headers: _h, key: _k, ...expected } = rows[i]!;
        expect(hyparquetDisagreements(expected, columns)).toEqual([]);
      });
    }
  });
});
