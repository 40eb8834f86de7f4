// The lake on s3:// against a real S3 server (a throwaway Ceph RGW, which enforces If-None-Match
// on PUT): Parquet, Iceberg and Delta tables written there, then copied out object by object
// with the AWS SDK (DuckDB's httpfs cannot be installed here) and read by the same independent
// readers as on file://; and two writer processes racing over one table on S3.

import { S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { basename, join } from "node:path";
import { Lake, tableSchema } from "../../src/lake/lake.ts";
import { startS3, type RunningS3 } from "../harness/s3.ts";
import { s3Env } from "../storage/s3-fixtures.ts";
import { checkIcebergMetadata, currentMetadataFile, expectIcebirdRows, icebergDuckRows, icebirdRows } from "./iceberg-checks.ts";
import { raceWriters } from "./race.ts";
import { mirror as mirrorOf, mirrorPaths } from "./s3-mirror.ts";
import { deltaRows, duckRows, hyparquetDisagreements, hyparquetRows, parquetFiles, replayDelta } from "./readers.ts";
import { avroTopic, metadataOf, protobufTopic, recordsOf, type TopicFixture } from "./topics.ts";

setDefaultTimeout(120_000);

const BUCKET = "tansu-lake";
const PARTITIONS = 3;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const indexOf = (row: Record<string, unknown>) => Number(row.offset) * PARTITIONS + Number(row.partition);

let s3: RunningS3;
let env: Record<string, string>;
let client: S3Client;
const lakes: Lake[] = [];

beforeAll(async () => {
  s3 = await startS3();
  await s3.createBucket(BUCKET);
  env = s3Env(s3);
  client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
}, 300_000);
afterAll(async () => {
  client?.destroy();
  await s3?.stop();
});
afterEach(async () => {
  for (const lake of lakes.splice(0)) await lake.close();
});

const mirror = (location: string) => mirrorOf(client, location);

let prefixes = 0;
const freshLocation = () => `s3://${BUCKET}/lake-${++prefixes}/`;

async function openLake(location: string, format: "parquet" | "iceberg" | "delta"): Promise<Lake> {
  const lake = await Lake.open({ location, format, env });
  lakes.push(lake);
  return lake;
}

async function write(lake: Lake, topic: TopicFixture, count: number, batch: number) {
  const records = recordsOf(topic, count, PARTITIONS);
  const configs = { "tansu.lake.commit.records": String(batch) };
  for (let i = 0; i < records.length; i += batch) await lake.write(topic.name, tableSchema(topic.schema), records.slice(i, i + batch), configs);
}

function expectRows(topic: TopicFixture, rows: Record<string, unknown>[], count: number) {
  const records = recordsOf(topic, count, PARTITIONS);
  expect(rows.map(indexOf).sort((a, b) => a - b)).toEqual(range(count));
  for (const row of rows) expect(row).toMatchObject({ ...topic.expected(indexOf(row)), ...metadataOf(records[indexOf(row)]!) });
}

describe("lake on s3://", () => {
  test("parquet: files read back by DuckDB and hyparquet", async () => {
    const location = freshLocation();
    const lake = await openLake(location, "parquet");
    await write(lake, protobufTopic, 18, 9);
    const files = parquetFiles(join(await mirror(location), "tansu", protobufTopic.name));
    expect(files).toHaveLength(6);
    expectRows(protobufTopic, await duckRows(files), 18);
    const records = recordsOf(protobufTopic, 18, PARTITIONS);
    for (const file of files) {
      for (const { headers: _headers, ...row } of await hyparquetRows(file)) {
        expect(hyparquetDisagreements({ ...protobufTopic.expected(indexOf(row)), ...metadataOf(records[indexOf(row)]!) }, row)).toEqual([]);
      }
    }
    expect(await lake.ends(protobufTopic.name)).toEqual(new Map([[0, 6n], [1, 6n], [2, 6n]]));
  });

  test("iceberg: file-system catalog with conditional PUTs, read by icebird and python3-avro", async () => {
    const location = freshLocation();
    const lake = await openLake(location, "iceberg");
    await write(lake, avroTopic, 30, 10);
    const dir = await mirror(location);
    const tableDir = join(dir, "tansu", avroTopic.name);
    const metadataFile = currentMetadataFile(tableDir);
    const paths = mirrorPaths(location, dir);
    const files = await checkIcebergMetadata(metadataFile, paths.local);
    expect(files.metadata.location).toBe(`${location}tansu/${avroTopic.name}`);
    expectRows(avroTopic, await icebergDuckRows(files), 30);
    expectIcebirdRows(avroTopic, await icebirdRows(`${location}tansu/${avroTopic.name}`, basename(metadataFile), paths.https), range(30), PARTITIONS);
  });

  test("delta: the log with a checkpoint, replayed by DuckDB", async () => {
    const location = freshLocation();
    const lake = await openLake(location, "delta");
    await write(lake, avroTopic, 36, 3);
    const tableDir = join(await mirror(location), "tansu", avroTopic.name);
    const snapshot = await replayDelta(tableDir);
    expect(snapshot.checkpoint).toBe(10);
    expect(snapshot.version).toBe(11);
    const rows = await deltaRows(tableDir, snapshot);
    expect(rows.map(indexOf).sort((a, b) => a - b)).toEqual(range(36));
    // A restarted writer reads the checkpoint from S3.
    const restarted = await openLake(location, "delta");
    expect(await restarted.ends(avroTopic.name)).toEqual(new Map([[0, 12n], [1, 12n], [2, 12n]]));
  });

  for (const format of ["iceberg", "delta"] as const) {
    test(`${format}: two writer processes racing on S3 write every row once`, async () => {
      const location = freshLocation();
      const base = { location, format, first: 0, last: 59, batch: 5, partitions: PARTITIONS };
      await raceWriters(
        [
          { ...base, every: { modulo: 2, remainder: 0 } },
          { ...base, every: { modulo: 2, remainder: 1 } },
          // A third writer going over the same offsets as both.
          { ...base, batch: 7, every: { modulo: 1, remainder: 0 } },
        ],
        env,
      );
      const dir = await mirror(location);
      const tableDir = join(dir, "tansu", avroTopic.name);
      if (format === "iceberg") {
        const files = await checkIcebergMetadata(currentMetadataFile(tableDir), mirrorPaths(location, dir).local);
        expectRows(avroTopic, await icebergDuckRows(files), 60);
      } else {
        const rows = await deltaRows(tableDir, await replayDelta(tableDir));
        expect(rows.map(indexOf).sort((a, b) => a - b)).toEqual(range(60));
      }
    });
  }
});
