// `tansu cat` and `tansu schema` through the compiled binary: round trips for Avro, JSON Schema and Protobuf
// (schema files and registered subjects), and each error path's message and exit code.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BROKER_BINARY, freePort, startBroker, tempDir, type RunningBroker } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";
import { runCommand, type RunResult } from "../harness/run.ts";

let broker: RunningBroker;
let dir: string;
let files: string;
let registry: string;

const AVRO = { type: "record", name: "Reading", fields: [{ name: "key", type: "string" }, { name: "value", type: { type: "record", name: "Measure", fields: [{ name: "celsius", type: "double" }, { name: "note", type: ["null", "string"], default: null }] } }] };
const JSON_FILE = { type: "object", properties: { value: { type: "object", properties: { name: { type: "string" }, age: { type: "integer", minimum: 0 } }, required: ["name"] } } };
const PROTO = `syntax = 'proto3';
message Key { int32 id = 1; }
message Value { string name = 1; repeated string tags = 2; }
`;

beforeAll(async () => {
  dir = tempDir("tansu-cat-");
  files = join(dir, "schemas");
  mkdirSync(files);
  writeFileSync(join(files, "readings.avsc"), JSON.stringify(AVRO));
  writeFileSync(join(files, "people.json"), JSON.stringify(JSON_FILE));
  writeFileSync(join(files, "staff.proto"), PROTO);
  registry = `http://127.0.0.1:${freePort()}`;
  broker = await startBroker({ storage: "memory://", args: ["--schema-registry", `file://${files}`, "--http-listener-url", registry] });
});
afterAll(() => broker?.stop());

// `cat` talks to the broker; `schema` only to the registry (or the schema files) and refuses --broker.
const tansu = (args: string[], input?: string): Promise<RunResult> =>
  runCommand([BROKER_BINARY, ...args, ...(args[0] === "cat" ? ["--broker", broker.url] : [])], { input, cwd: dir });

function lines(output: string): Array<Record<string, unknown>> {
  return output
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function roundTrip(topic: string, source: string, input: Array<Record<string, unknown>>): Promise<Array<Record<string, unknown>>> {
  const produced = await tansu(["cat", "produce", topic, "--schema-registry", source], `${input.map((l) => JSON.stringify(l)).join("\n")}\n`);
  expect(produced.stderr).toContain(`${input.length} records produced to ${topic}`);
  expect(produced.exitCode).toBe(0);
  const consumed = await tansu(["cat", "consume", topic, "--schema-registry", source, "--max-messages", String(input.length)]);
  expect(consumed.exitCode).toBe(0);
  return lines(consumed.stdout);
}

describe("tansu cat round trips", () => {
  test("Avro schema file", async () => {
    const out = await roundTrip("readings", `file://${files}`, [
      { key: "k1", value: { celsius: 21.5, note: null } },
      { key: "k2", value: { celsius: -3, note: { string: "cold" } }, headers: { source: "test" } },
    ]);
    expect(out.map((l) => [l.offset, l.key, l.value, l.headers])).toEqual([
      [0, "k1", { celsius: 21.5, note: null }, {}],
      [1, "k2", { celsius: -3, note: { string: "cold" } }, { source: "test" }],
    ]);
  });

  test("JSON Schema file", async () => {
    const out = await roundTrip("people", `file://${files}`, [{ value: { name: "Ada", age: 36 } }, { key: "plain key", value: { name: "Alan" } }]);
    expect(out.map((l) => [l.key, l.value])).toEqual([
      [null, { name: "Ada", age: 36 }],
      ["plain key", { name: "Alan" }],
    ]);
  });

  test("Protobuf schema file", async () => {
    const out = await roundTrip("staff", `file://${files}`, [{ key: { id: 7 }, value: { name: "Grace", tags: ["navy", "cobol"] } }]);
    expect(out.map((l) => [l.partition, l.key, l.value])).toEqual([[0, { id: 7 }, { name: "Grace", tags: ["navy", "cobol"] }]]);
  });

  test("lines without a partition: keyed ones where Kafka's producer puts them, keyless ones spread", async () => {
    for (const topic of ["people-spread", "people-by-kcat"]) expect((await tansu(["topic", "create", topic, "--partitions", "5", "--broker", broker.url])).exitCode).toBe(0);
    const keys = Array.from({ length: 20 }, (_, i) => `person-${i * 31}`);
    const input = [...keys.map((key) => ({ key, value: { name: key } })), ...Array.from({ length: 10 }, () => ({ value: { name: "anonymous" } }))];
    const out = await roundTrip("people-spread", `file://${files}`, input);
    // librdkafka's murmur2_random partitioner is the Java producer's: the same key, the same partition.
    const kcatProduced = await kcat(["-b", broker.url, "-t", "people-by-kcat", "-P", "-K:", "-X", "partitioner=murmur2_random"], { input: `${keys.map((k) => `${k}:x`).join("\n")}\n` });
    expect(kcatProduced.exitCode).toBe(0);
    const byKcat = await kcat(["-b", broker.url, "-t", "people-by-kcat", "-C", "-e", "-o", "beginning", "-f", "%k %p\n"]);
    const kcatPartition = new Map(byKcat.stdout.trim().split("\n").map((l) => l.split(" ") as [string, string]));
    for (const line of out.filter((l) => l.key !== null)) expect(String(line.partition)).toBe(kcatPartition.get(line.key as string) ?? "none");
    // The ten keyless lines are not all in one partition.
    expect(new Set(out.filter((l) => l.key === null).map((l) => l.partition)).size).toBeGreaterThan(1);
  });

  test("a topic's tansu.schema.wire.format=plain makes cat write and read bare payloads for a registered subject", async () => {
    const schema = join(dir, "plain-wire.avsc");
    writeFileSync(schema, JSON.stringify({ type: "record", name: "P", fields: [{ name: "n", type: "long" }] }));
    expect((await tansu(["schema", "register", "plain-wire-value", schema, "--schema-registry", registry])).exitCode).toBe(0);
    expect((await tansu(["topic", "create", "plain-wire", "--config", "tansu.schema.wire.format=plain", "--broker", broker.url])).exitCode).toBe(0);
    const out = await roundTrip("plain-wire", registry, [{ value: { n: 42 } }]);
    expect(out[0]!.value).toEqual({ n: 42 });
    // Bare Avro: zigzag 42 is one byte, 0x54 ("T"), with no magic byte or schema id before it.
    const raw = await kcat(["-b", broker.url, "-t", "plain-wire", "-C", "-e", "-o", "beginning", "-f", "%s"]);
    expect(raw.stdout).toBe("T");
  });

  test("registered subjects in all three formats, through the REST API", async () => {
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const subjects: Array<[string, string, Record<string, unknown>]> = [
      ["reg-avro", write("reg.avsc", JSON.stringify({ type: "record", name: "R", fields: [{ name: "n", type: "long" }] })), { n: 5 }],
      ["reg-json", write("reg.json", JSON.stringify({ type: "object", properties: { n: { type: "integer" } } })), { n: 6 }],
      ["reg-proto", write("reg.proto", 'syntax = "proto3"; message R { int64 n = 1; }'), { n: "7" }],
    ];
    for (const [topic, file, value] of subjects) {
      const registered = await tansu(["schema", "register", `${topic}-value`, file, "--schema-registry", registry]);
      expect(registered.stdout).toMatch(new RegExp(`^${topic}-value version 1, schema id \\d+`));
      const out = await roundTrip(topic, registry, [{ value }]);
      expect(out[0]!.value).toEqual(value);
    }
    const listed = await tansu(["schema", "list", "--schema-registry", registry]);
    expect(listed.stdout.split("\n")).toEqual(expect.arrayContaining(["reg-avro-value", "reg-json-value", "reg-proto-value"]));
    const shown = await tansu(["schema", "show", "reg-proto", "--schema-registry", registry]);
    expect(shown.stdout).toContain("# reg-proto-value version 1");
    expect(shown.stdout).toContain("message R");
    const compatible = await tansu(["schema", "check", "reg-avro-value", join(dir, "reg.avsc"), "--schema-registry", registry]);
    expect(compatible.exitCode).toBe(0);
  });
});

describe("error paths", () => {
  test("cat produce: a line that does not fit stops there; --keep-going sends the rest and exits 1", async () => {
    const input = ['{"value":{"name":"ok"}}', '{"value":{"age":-1}}', '{"value":{"name":"after"}}'].join("\n");
    const stopped = await tansu(["cat", "produce", "people-errors", "--schema-registry", `file://${files}`], input);
    expect(stopped.exitCode).toBe(0); // people-errors has no schema: everything goes
    const strict = await tansu(["cat", "produce", "people", "--schema-registry", `file://${files}`], input);
    expect(strict.exitCode).toBe(1);
    expect(strict.stderr).toContain("line 2: value.name: is required but missing");
    expect(strict.stderr).toContain("nothing after it");
    const kept = await tansu(["cat", "produce", "people", "--schema-registry", `file://${files}`, "--keep-going"], input);
    expect(kept.exitCode).toBe(1);
    expect(kept.stderr).toContain("2 records produced to people, 1 lines skipped");
    const notJson = await tansu(["cat", "produce", "people", "--schema-registry", `file://${files}`], "{nope\n");
    expect(notJson.exitCode).toBe(1);
    expect(notJson.stderr).toContain("line 1: not JSON");
  });

  test("cat: an unreachable broker or registry, a missing partition, a bad offset", async () => {
    const noBroker = await runCommand([BROKER_BINARY, "cat", "consume", "people", "--broker", `127.0.0.1:${freePort()}`]);
    expect(noBroker.exitCode).toBe(1);
    expect(noBroker.stderr).toContain("cannot connect");
    const noRegistry = await tansu(["cat", "produce", "x", "--schema-registry", `http://127.0.0.1:${freePort()}`], "{}\n");
    expect(noRegistry.exitCode).toBe(1);
    expect(noRegistry.stderr).toContain("is not reachable");
    const partition = await tansu(["cat", "produce", "people", "--schema-registry", `file://${files}`], '{"value":{"name":"x"},"partition":5}\n');
    expect(partition.exitCode).toBe(1);
    expect(partition.stderr).toContain("partition 5 does not exist");
    const offset = await tansu(["cat", "consume", "people", "--offset", "middle"]);
    expect(offset.exitCode).toBe(1);
    expect(offset.stderr).toContain("--offset middle: expected earliest, latest or an offset");
    const unknownTopic = await tansu(["cat", "consume", "never-created", "--exit"]);
    expect(unknownTopic.exitCode).toBe(1);
    expect(unknownTopic.stderr).toContain("UNKNOWN_TOPIC_OR_PARTITION");
  });

  test("schema: incompatible check, invalid register, validate, files-only and missing things", async () => {
    writeFileSync(join(dir, "breaking.avsc"), JSON.stringify({ type: "record", name: "R", fields: [{ name: "n", type: "string" }] }));
    writeFileSync(join(dir, "broken.avsc"), '{"type": "record"');
    writeFileSync(join(dir, "schema.txt"), "?");
    const incompatible = await tansu(["schema", "check", "reg-avro-value", join(dir, "breaking.avsc"), "--schema-registry", registry]);
    expect(incompatible.exitCode).toBe(1);
    expect(incompatible.stderr).toContain("is incompatible with reg-avro-value");
    const refused = await tansu(["schema", "register", "reg-avro-value", join(dir, "breaking.avsc"), "--schema-registry", registry]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain("(error 409)");
    const invalid = await tansu(["schema", "register", "x-value", join(dir, "broken.avsc"), "--schema-registry", registry]);
    expect(invalid.exitCode).toBe(1);
    expect(invalid.stderr).toContain("(error 42201)");
    const noType = await tansu(["schema", "register", "x-value", join(dir, "schema.txt"), "--schema-registry", registry]);
    expect(noType.stderr).toContain("cannot tell the schema type");
    const filesOnly = await tansu(["schema", "register", "x-value", join(dir, "reg.avsc"), "--schema-registry", `file://${files}`]);
    expect(filesOnly.exitCode).toBe(1);
    expect(filesOnly.stderr).toContain("needs --schema-registry http://HOST:PORT");
    const missing = await tansu(["schema", "show", "nothing", "--schema-registry", registry]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain("topic nothing has no subject");
    const noUrl = await runCommand([BROKER_BINARY, "schema", "list"], { env: { SCHEMA_REGISTRY: "" } });
    expect(noUrl.exitCode).toBe(1);
    expect(noUrl.stderr).toContain("--schema-registry (or SCHEMA_REGISTRY) is needed");

    writeFileSync(join(dir, "people.jsonl"), ['{"value":{"name":"a"}}', '{"value":{"name":3}}', "[]"].join("\n"));
    const validated = await tansu(["schema", "validate", "people", join(dir, "people.jsonl"), "--schema-registry", `file://${files}`]);
    expect(validated.exitCode).toBe(1);
    expect(validated.stderr).toContain("line 2: value.name: must be string");
    expect(validated.stderr).toContain("line 3: expected an object");
    expect(validated.stderr).toContain("2 of 3 lines do not match the schema of people");
    const listedFiles = await tansu(["schema", "list", "--schema-registry", `file://${files}`]);
    expect(listedFiles.stdout.trim().split("\n")).toEqual(["people", "readings", "staff"]);
  });
});
