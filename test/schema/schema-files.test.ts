// --schema-registry locations: a directory and an S3 bucket (a throwaway Ceph RGW), read with the same
// settings the s3:// storage engine takes from the environment.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openSchemaFiles, readTopicFile, topicsWithFiles } from "../../src/schema/schema-files.ts";
import { startS3, type RunningS3 } from "../harness/s3.ts";
import { tempDir } from "../harness/temp-dir.ts";
import { s3Env } from "../storage/s3-fixtures.ts";

const PROTO = "syntax = 'proto3'; message Value { string name = 1; }";

describe("file://", () => {
  test("reads TOPIC.proto, .json, .avsc in that order and lists the topics", async () => {
    const dir = tempDir("tansu-schema-files-");
    writeFileSync(join(dir, "both.json"), "{}");
    writeFileSync(join(dir, "both.proto"), PROTO);
    writeFileSync(join(dir, "only.avsc"), '"string"');
    writeFileSync(join(dir, "notes.txt"), "not a schema");
    mkdirSync(join(dir, "sub.json"));
    const files = openSchemaFiles(`file://${dir}`);
    expect(await readTopicFile(files, "both")).toEqual({ name: "both.proto", format: "protobuf", text: PROTO });
    expect((await readTopicFile(files, "only"))?.format).toBe("avro");
    expect(await readTopicFile(files, "missing")).toBeNull();
    expect(await topicsWithFiles(files)).toEqual(["both", "only"]);
    expect(await topicsWithFiles(openSchemaFiles(`file://${join(dir, "nowhere")}`))).toEqual([]);
  });

  test("other URLs are refused", () => {
    expect(() => openSchemaFiles("http://example.com/schemas")).toThrow("expected file://DIR or s3://BUCKET/PREFIX/");
    expect(() => openSchemaFiles("file://")).toThrow("needs a directory");
  });
});

describe("s3://", () => {
  let s3: RunningS3;

  beforeAll(async () => {
    s3 = await startS3();
    await s3.createBucket("schemas");
  }, 120_000);
  afterAll(() => s3?.stop());

  test("reads a prefix of a bucket with the s3:// engine's environment settings", async () => {
    const env = s3Env(s3);
    const client = new Bun.S3Client({ bucket: "schemas", endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    await client.write("registry/employee.proto", PROTO);
    await client.write("registry/person.json", "{}");
    await client.write("elsewhere/other.avsc", '"string"');
    const files = openSchemaFiles("s3://schemas/registry/", env);
    expect(await readTopicFile(files, "employee")).toEqual({ name: "employee.proto", format: "protobuf", text: PROTO });
    expect(await readTopicFile(files, "other")).toBeNull();
    expect(await topicsWithFiles(files)).toEqual(["employee", "person"]);
    const wrongKey = openSchemaFiles("s3://schemas/registry/", { ...env, AWS_SECRET_ACCESS_KEY: "wrong" });
    await expect(readTopicFile(wrongKey, "employee")).rejects.toThrow("schema registry s3://schemas/registry/: cannot read employee.proto");
  });
});
