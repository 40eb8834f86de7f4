// Which schema governs a topic and how long a broker may serve it from its cache: changes to files and
// subjects take effect once --schema-refresh-ms has passed, on a clock the test controls.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { SchemaRegistry } from "../../src/schema/registry/registry.ts";
import { openSchemaFiles } from "../../src/schema/schema-files.ts";
import { TopicSchemas } from "../../src/schema/topic-schemas.ts";
import { MemoryStorage } from "../../src/storage/engines/memory/memory-storage.ts";
import { tempDir } from "../harness/temp-dir.ts";

function setup(refreshMs: number) {
  const dir = tempDir("tansu-topic-schemas-");
  const registry = new SchemaRegistry(new MemoryStorage());
  let now = 1_000;
  const topics = new TopicSchemas({ files: openSchemaFiles(`file://${dir}`), registry: { store: registry.store, compiler: registry.compiler }, refreshMs, now: () => now });
  return { dir, registry, topics, advance: (ms: number) => (now += ms) };
}

const RECORD = (field: string) => JSON.stringify({ type: "record", name: "R", fields: [{ name: field, type: "int" }] });

describe("TopicSchemas", () => {
  test("a newly registered subject governs its topic once the refresh interval has passed", async () => {
    const { registry, topics, advance } = setup(5_000);
    expect(await topics.schemaFor("orders")).toBeNull();
    await registry.register("orders-value", { schema: RECORD("a") });
    expect(await topics.schemaFor("orders")).toBeNull(); // still cached as schemaless
    advance(5_000);
    const schema = (await topics.schemaFor("orders"))!;
    expect(schema.source).toBe("registry");
    expect(schema.key).toBeUndefined();
    expect(schema.value!.subject).toBe("orders-value");
    expect(schema.value!.format).toBe("avro");
    expect([...schema.value!.versions!.keys()]).toEqual([schema.value!.latestId!]);
  });

  test("a file wins over subjects, and a changed file is read again after the interval", async () => {
    const { dir, registry, topics, advance } = setup(1_000);
    await registry.register("events-value", { schema: RECORD("a") });
    writeFileSync(join(dir, "events.json"), JSON.stringify({ properties: { value: { type: "integer" } } }));
    const first = (await topics.schemaFor("events"))!;
    expect(first.source).toBe("file");
    expect(first.value!.format).toBe("json");
    expect(first.value!.latest.decode(new TextEncoder().encode("3"), "value")).toBe(3);
    writeFileSync(join(dir, "events.json"), JSON.stringify({ properties: { value: { type: "string" } } }));
    advance(999);
    expect(await topics.schemaFor("events")).toBe(first);
    advance(1);
    const second = (await topics.schemaFor("events"))!;
    expect(() => second.value!.latest.decode(new TextEncoder().encode("3"), "value")).toThrow("value: must be string");
  });

  test("a file that does not compile is an InvalidSchemaError, kept for the interval", async () => {
    const { dir, topics, advance } = setup(1_000);
    writeFileSync(join(dir, "broken.avsc"), '{"type": "record", "name": "x", "fields": [{"name": "value", "type": "nope"}]}');
    await expect(topics.schemaFor("broken")).rejects.toThrow("invalid Avro schema file");
    writeFileSync(join(dir, "broken.avsc"), JSON.stringify({ type: "record", name: "x", fields: [{ name: "value", type: "int" }] }));
    await expect(topics.schemaFor("broken")).rejects.toThrow("invalid Avro schema file");
    advance(1_000);
    expect((await topics.schemaFor("broken"))!.value!.format).toBe("avro");
  });

  test("forget() re-reads a subject at once (a record named an id registered since)", async () => {
    const { registry, topics } = setup(60_000);
    await registry.register("t-value", { schema: RECORD("a") });
    const before = (await topics.schemaFor("t"))!;
    await registry.setCompatibility("t-value", "NONE");
    const { id } = await registry.register("t-value", { schema: RECORD("b") });
    expect(before.value!.versions!.has(id)).toBe(false);
    topics.forget("t");
    expect((await topics.schemaFor("t"))!.value!.versions!.has(id)).toBe(true);
  });
});
