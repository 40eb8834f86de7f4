// Topics as tables on s3:// through the compiled broker, against a real S3 server (a throwaway Ceph
// RGW that enforces conditional PUTs), with the broker's store on S3 too: typed rows in an Iceberg
// table, a broker SIGKILLed mid-stream and restarted, and a sink topic. Tables are copied out object
// by object and read by icebird, python3-avro and DuckDB.

import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { startBroker, tempDir, type RunningBroker } from "../harness/broker.ts";
import { startS3, type RunningS3 } from "../harness/s3.ts";
import { checkIcebergMetadata, currentMetadataFile, expectIcebirdRows, icebergDuckRows, icebirdRows } from "../lake/iceberg-checks.ts";
import { mirror, mirrorPaths } from "../lake/s3-mirror.ts";
import { AVRO_SCHEMA_FILE, avroTopic, metadataOf, recordsOf } from "../lake/topics.ts";
import { s3Env } from "../storage/s3-fixtures.ts";
import { alterTopic, createTopic, entries, entry, ENTRY_FILE, eventually, expectRowsAreLog, fixtureMessages, highWatermarks, produceBatch, producePython, tableRows } from "./lake-harness.ts";

setDefaultTimeout(180_000);

const BUCKET = "tansu-lake-broker";
const LAKE = `s3://${BUCKET}/lake/`;
const NAMESPACE = "analytics";
const PARTITIONS = 3;

let s3: RunningS3;
let client: S3Client;
let schemas: string;
const brokers: RunningBroker[] = [];

beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket(BUCKET);
  client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  schemas = join(tempDir("tansu-lake-s3-"), "schemas");
  mkdirSync(schemas);
  writeFileSync(join(schemas, `${avroTopic.name}.avsc`), AVRO_SCHEMA_FILE);
  for (const topic of ["crash", "sink"]) writeFileSync(join(schemas, `${topic}.avsc`), ENTRY_FILE);
}, 300_000);
afterAll(async () => {
  for (const broker of brokers.splice(0)) await broker.stop().catch(() => undefined);
  client?.destroy();
  await s3?.stop();
});

/** A broker whose store and lake (Iceberg unless a topic says otherwise) are both in the test bucket. */
async function s3Broker(store: string, port?: number): Promise<RunningBroker> {
  const broker = await startBroker({
    storage: `s3://${BUCKET}/${store}/`,
    port,
    args: ["--schema-registry", `file://${schemas}`, "--lake-location", LAKE, "--lake-format", "iceberg", "--lake-namespace", NAMESPACE],
    env: { ...s3Env(s3), LAKE_CATCH_UP_INTERVAL_MS: "200" },
  });
  brokers.push(broker);
  return broker;
}

/** Rows committed to an Iceberg table on S3, by its newest metadata file's current snapshot. */
async function committedRows(topic: string): Promise<number> {
  const prefix = `lake/${NAMESPACE}/${topic}/metadata/`;
  const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  const versions = (page.Contents ?? []).map((o) => /\/v(\d+)\.metadata\.json$/.exec(o.Key!)?.[1]).filter((v) => v !== undefined).map(Number);
  if (versions.length === 0) return 0;
  const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}v${Math.max(...versions)}.metadata.json` }));
  const metadata = JSON.parse(await object.Body!.transformToString());
  const snapshot = (metadata.snapshots ?? []).find((s: { "snapshot-id": unknown }) => s["snapshot-id"] === metadata["current-snapshot-id"]);
  return Number(snapshot?.summary["total-records"] ?? 0);
}

/** The table's rows, read from a copy of the lake. */
async function rows(topic: string) {
  const dir = await mirror(client, LAKE);
  return { dir, rows: await tableRows(dir, topic, "iceberg", { namespace: NAMESPACE, localPath: mirrorPaths(LAKE, dir).local }) };
}

describe("topics as tables on s3://, store on s3:// too", () => {
  test("Avro from python confluent-kafka: typed rows in <namespace>.<topic>, read by icebird, python3-avro and DuckDB", async () => {
    const broker = await s3Broker("store-orders");
    const count = 12;
    await createTopic(broker.url, avroTopic.name, PARTITIONS, { "tansu.lake.commit.records": String(count), "tansu.lake.partition": "day(timestamp)" });
    await producePython(broker.url, fixtureMessages(avroTopic, count, PARTITIONS));
    await eventually(`${count} rows on S3`, async () => (await committedRows(avroTopic.name)) >= count);
    const { dir, rows: read } = await rows(avroTopic.name);
    const records = recordsOf(avroTopic, count, PARTITIONS);
    const indexOf = (row: Record<string, unknown>) => Number(row.offset) * PARTITIONS + Number(row.partition);
    expect(read.map(indexOf).sort((a, b) => a - b)).toEqual(records.map((_, i) => i));
    for (const row of read) expect(row).toMatchObject({ ...avroTopic.expected(indexOf(row)), ...metadataOf(records[indexOf(row)]!) });
    const tableDir = join(dir, NAMESPACE, avroTopic.name);
    const metadataFile = currentMetadataFile(tableDir);
    const files = await checkIcebergMetadata(metadataFile, mirrorPaths(LAKE, dir).local);
    expect(files.metadata.location).toBe(`${LAKE}${NAMESPACE}/${avroTopic.name}`);
    expect((await icebergDuckRows(files)).length).toBe(count);
    const icebird = await icebirdRows(`${LAKE}${NAMESPACE}/${avroTopic.name}`, basename(metadataFile), mirrorPaths(LAKE, dir).https);
    expectIcebirdRows(avroTopic, icebird, records.map((_, i) => i), PARTITIONS);
  });

  test("SIGKILL mid-stream and restart: every record of the log in the table exactly once", async () => {
    const first = await s3Broker("store-crash");
    await createTopic(first.url, "crash", 2, { "tansu.lake.commit.records": "200", "tansu.lake.commit.interval.ms": "3600000" });
    await producePython(first.url, entries("crash", 0, 200, 2));
    await eventually("the first commit", async () => (await committedRows("crash")) === 200);
    // From now on nothing is committed before the kill: what is appended is buffered, and lost with the process.
    await alterTopic(first.url, "crash", { "tansu.lake.commit.records": "1000000" });
    const producing = producePython(first.url, entries("crash", 200, 800, 2), { paceMs: 2 });
    await eventually("500 records in the log", async () => (await highWatermarks(first.url, "crash", 2)).reduce((a, b) => a + b, 0n) >= 500n);
    expect(await first.stop("SIGKILL")).not.toBe(0);
    expect(await committedRows("crash")).toBe(200);

    const second = await s3Broker("store-crash", first.port);
    await alterTopic(second.url, "crash", { "tansu.lake.commit.interval.ms": "300" });
    await producing;
    await eventually("1000 rows on S3", async () => (await committedRows("crash")) >= 1000);
    expectRowsAreLog((await rows("crash")).rows, await highWatermarks(second.url, "crash", 2), 1000);
    expect(second.logs()).toMatch(/lake: catch-up wrote \d+ records of crash-/);
  });

  test("a sink topic acknowledges produces once their rows are committed to the table on S3", async () => {
    const broker = await s3Broker("store-sink");
    await createTopic(broker.url, "sink", 1, { "tansu.lake.sink": "true", "tansu.lake.commit.records": "30", "tansu.lake.commit.interval.ms": "3600000" });
    const committedAtAck: number[] = [];
    const responses = await Promise.all(
      [0, 1, 2].map(async (p) => {
        const response = await produceBatch(broker.url, "sink", 0, Array.from({ length: 10 }, (_, i) => entry(p * 10 + i)));
        committedAtAck.push(await committedRows("sink"));
        return response;
      }),
    );
    expect(responses.map((r) => r.errorCode)).toEqual([0, 0, 0]);
    expect(committedAtAck).toEqual([30, 30, 30]);
    expectRowsAreLog((await rows("sink")).rows, [30n], 30);
    expect(await highWatermarks(broker.url, "sink", 1, "earliest")).toEqual([30n]);
  });
});
