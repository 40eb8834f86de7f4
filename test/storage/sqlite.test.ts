import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LATEST_SCHEMA_VERSION, migrate, migrations, schemaVersion } from "../../src/storage/engines/sqlite/migrations.ts";
import { SqliteStorage } from "../../src/storage/engines/sqlite/sqlite-storage.ts";
import { Statements } from "../../src/storage/engines/sqlite/statements.ts";
import { StorageError, StorageUnavailableError } from "../../src/storage/errors.ts";
import { openStorage } from "../../src/storage/open.ts";
import { fakeBatch, fillAndDeleteTopic, payloadOf, storageContract } from "./contract.ts";

const dir = mkdtempSync(join(tmpdir(), "tansu-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const freshFile = () => join(dir, `store-${++files}.db`);

storageContract("sqlite", async () => SqliteStorage.open(freshFile()), {
  openShared: async () => {
    const file = freshFile();
    return [SqliteStorage.open(file), SqliteStorage.open(file)];
  },
});

describe("sqlite persistence", () => {
  test("everything survives close and reopen", async () => {
    const file = freshFile();
    const tp = { topic: "t", partition: 1 };
    const producer = { producerId: 0n, producerEpoch: 0 };

    const before = SqliteStorage.open(file);
    const topic = await before.createTopic({ name: "t", partitions: 2, configs: { "cleanup.policy": "compact" } });
    expect(await before.allocateProducerId()).toBe(0n);
    await before.append(tp, fakeBatch("m0", { ...producer, baseSequence: 0, offsetCount: 2 }));
    await before.append(tp, fakeBatch("t1", { ...producer, baseSequence: 2, transactional: true }));
    await before.commitOffsets("g", [
      { topic: "t", partition: 1, offset: 2n, leaderEpoch: 0, metadata: null, commitTimestamp: 5n },
    ]);
    const version = await before.putRecord("group", "g", { generation: 3n }, null);
    await before.close();

    const after = SqliteStorage.open(file);
    expect(await after.getTopic({ name: "t" })).toEqual(topic);
    expect(await after.offsets(tp)).toEqual({ logStartOffset: 0n, highWatermark: 3n, lastStableOffset: 2n });
    const { batches } = await after.fetch(tp, { fetchOffset: 0n, maxBytes: 1 << 20, isolation: "read_uncommitted" });
    expect(batches.map(payloadOf)).toEqual(["m0", "t1"]);
    // Producer state came back: a retry is a duplicate and the sequence continues.
    expect(await after.append(tp, fakeBatch("t1", { ...producer, baseSequence: 2, transactional: true }))).toMatchObject({
      baseOffset: 2n,
      duplicate: true,
    });
    expect((await after.append(tp, fakeBatch("t2", { ...producer, baseSequence: 3, transactional: true }))).baseOffset).toBe(3n);
    expect((await after.fetchOffsets("g")).map((o) => o.offset)).toEqual([2n]);
    expect(await after.getRecord("group", "g")).toEqual({ value: { generation: 3n }, version: version! });
    expect(await after.allocateProducerId()).toBe(1n);
    await after.close();
  });

  test("close checkpoints everything into the .db file and keeps the emptied -wal and -shm files for the next start", async () => {
    const file = freshFile();
    const store = SqliteStorage.open(file);
    await store.createTopic({ name: "kept", partitions: 1, configs: {} });
    await store.append({ topic: "kept", partition: 0 }, fakeBatch("r0"));
    await store.close();
    expect(statSync(`${file}-wal`).size).toBe(0);
    expect(existsSync(`${file}-shm`)).toBe(true);
    // The .db file alone, copied without them, holds every record.
    const copy = join(mkdtempSync(join(dir, "copy-")), "alone.db");
    copyFileSync(file, copy);
    const reopened = SqliteStorage.open(copy);
    const { batches } = await reopened.fetch({ topic: "kept", partition: 0 }, { fetchOffset: 0n, maxBytes: 1 << 20, isolation: "read_uncommitted" });
    expect(batches.map(payloadOf)).toEqual(["r0"]);
    await reopened.close();
  });

  test("deleteTopic leaves no rows of the topic behind", async () => {
    const file = freshFile();
    const store = SqliteStorage.open(file);
    await fillAndDeleteTopic(store);

    const db = new Database(file, { readonly: true });
    const tables = ["topics", "partitions", "batches", "producers", "aborted_transactions", "consumer_offsets"];
    const counts = tables.map((table) => db.query<{ n: number }, []>(`SELECT count(*) AS n FROM ${table}`).get()?.n);
    expect(counts).toEqual(tables.map(() => 0));
    db.close();
    await store.close();
  });

  test("the file is in WAL mode", async () => {
    const file = freshFile();
    const store = SqliteStorage.open(file);
    const db = new Database(file, { readonly: true });
    expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe("wal");
    db.close();
    await store.close();
  });

  test("a file that is not a SQLite database is unavailable, not a crash", () => {
    const file = freshFile();
    writeFileSync(file, "this is not a database, just some text that is long enough to look like a header".repeat(20));
    expect(() => SqliteStorage.open(file)).toThrow(StorageUnavailableError);
  });
});

describe("sqlite migrations", () => {
  test("versions start at 1 and increase by one", () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(migrations.length);
  });

  test("an empty file gets every migration; an up-to-date one gets none", () => {
    const db = new Database(freshFile(), { strict: true });
    expect(schemaVersion(db)).toBe(0);
    expect(migrate(db)).toEqual(migrations.map((m) => m.version));
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    const schema = () => db.query<{ sql: string }, []>("SELECT sql FROM sqlite_schema ORDER BY name").all();
    const tables = schema();
    expect(tables.length).toBeGreaterThan(0);

    expect(migrate(db)).toEqual([]);
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(schema()).toEqual(tables);
    db.close();
  });

  test("opening a migrated file again keeps its data", async () => {
    const file = freshFile();
    const first = SqliteStorage.open(file);
    await first.createTopic({ name: "t", partitions: 1, configs: {} });
    await first.close();
    const second = SqliteStorage.open(file);
    expect((await second.listTopics()).map((t) => t.name)).toEqual(["t"]);
    await second.close();
  });

  test("a file from a newer tansu is refused", () => {
    const file = freshFile();
    const db = new Database(file);
    db.run(`PRAGMA user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => SqliteStorage.open(file)).toThrow(StorageError);
    expect(() => SqliteStorage.open(file)).toThrow(/newer than/);
  });
});

describe("openStorage with sqlite://", () => {
  test("a relative path is resolved against the working directory", async () => {
    const cwd = process.cwd();
    const here = mkdtempSync(join(dir, "cwd-"));
    process.chdir(here);
    try {
      const store = await openStorage("sqlite://relative.db");
      expect(store.kind).toBe("sqlite");
      await store.close();
    } finally {
      process.chdir(cwd);
    }
    expect(existsSync(join(here, "relative.db"))).toBe(true);
  });

  test("sqlite:///abs/path is absolute", async () => {
    const file = join(dir, "absolute.db");
    const store = await openStorage(`sqlite://${file}`);
    await store.createTopic({ name: "t", partitions: 1, configs: {} });
    await store.close();
    expect(existsSync(file)).toBe(true);
  });

  test("a missing path or directory is reported", async () => {
    await expect(openStorage("sqlite://")).rejects.toThrow(/needs a file path/);
    await expect(openStorage(`sqlite://${join(dir, "no-such-dir", "x.db")}`)).rejects.toThrow(StorageUnavailableError);
  });
});

test("every statement is prepared once: its first read keeps it under the getter's own name", () => {
  const db = new Database(":memory:", { strict: true, safeIntegers: true });
  try {
    migrate(db);
    const statements = new Statements(db);
    const names = Object.getOwnPropertyNames(Statements.prototype).filter((name) => name !== "constructor");
    expect(names.length).toBeGreaterThan(40);
    for (const name of names) {
      const first = (statements as unknown as Record<string, unknown>)[name];
      expect((statements as unknown as Record<string, unknown>)[name], name).toBe(first);
    }
  } finally {
    db.close();
  }
});
