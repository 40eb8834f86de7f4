// sqlite:// as a broker opens it (openStorage): a store already migrated is opened by its first operation,
// anything else at once. The Storage contract holds for the deferred store as for the engine itself.
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeferredSqliteStorage } from "../../src/storage/engines/sqlite/deferred-sqlite-storage.ts";
import { LATEST_SCHEMA_VERSION } from "../../src/storage/engines/sqlite/migrations.ts";
import { SqliteStorage } from "../../src/storage/engines/sqlite/sqlite-storage.ts";
import { headerSchemaVersion } from "../../src/storage/engines/sqlite/store-header.ts";
import { StorageError, StorageUnavailableError } from "../../src/storage/errors.ts";
import { openStorage } from "../../src/storage/open.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { storageContract } from "./contract.ts";

const dir = mkdtempSync(join(tmpdir(), "tansu-sqlite-deferred-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const freshFile = () => join(dir, `store-${++files}.db`);

/** A file the engine has created and migrated, and closed (which checkpoints its WAL into the file). */
async function migratedFile(): Promise<string> {
  const file = freshFile();
  await SqliteStorage.open(file).close();
  return file;
}

/** Opens `file` as a broker does, and checks that the open was deferred. */
async function openDeferred(file: string): Promise<Storage> {
  const store = await openStorage(`sqlite://${file}`);
  expect(store).toBeInstanceOf(DeferredSqliteStorage);
  return store;
}

storageContract("sqlite, opened by its first operation", async () => openDeferred(await migratedFile()), {
  openShared: async () => {
    const file = await migratedFile();
    return [await openDeferred(file), await openDeferred(file)];
  },
});

describe("the header of a sqlite:// file", () => {
  test("gives the schema version of a database, and null for what is not one", async () => {
    expect(headerSchemaVersion(await migratedFile())).toBe(LATEST_SCHEMA_VERSION);
    const plain = freshFile();
    new Database(plain).run("CREATE TABLE t (x)");
    expect(headerSchemaVersion(plain)).toBe(0);

    expect(headerSchemaVersion(join(dir, "missing.db"))).toBeNull();
    expect(headerSchemaVersion(dir)).toBeNull();
    const empty = freshFile();
    writeFileSync(empty, "");
    expect(headerSchemaVersion(empty)).toBeNull();
    const text = freshFile();
    writeFileSync(text, "this is not a database, just some text that is long enough to look like a header".repeat(20));
    expect(headerSchemaVersion(text)).toBeNull();
  });
});

describe("openStorage with sqlite://", () => {
  test("a migrated store is not opened until its first operation", async () => {
    const file = await migratedFile();
    const store = await openDeferred(file);
    // Had the file been opened, its replacement would go unnoticed: SQLite keeps reading the one it opened.
    renameSync(file, `${file}.moved`);
    mkdirSync(file);
    await expect(store.listTopics()).rejects.toThrow(StorageUnavailableError);
    // A failed open is tried again by the next operation, which finds the store back.
    rmSync(file, { recursive: true });
    renameSync(`${file}.moved`, file);
    await store.createTopic({ name: "t", partitions: 1, configs: {} });
    expect((await store.listTopics()).map((t) => t.name)).toEqual(["t"]);
    await store.close();
  });

  test("operations called before the store is open run in the order they were called", async () => {
    const store = await openDeferred(await migratedFile());
    const created = store.createTopic({ name: "t", partitions: 2, configs: {} });
    const listed = store.listTopics();
    const grown = store.createPartitions("t", 3);
    const got = store.getTopic({ name: "t" });
    expect((await created).partitions).toBe(2);
    expect((await listed).map((t) => t.name)).toEqual(["t"]);
    expect((await grown).partitions).toBe(3);
    expect((await got)?.partitions).toBe(3);
    await store.close();
  });

  test("closed, it refuses operations whether or not it was ever opened", async () => {
    const file = await migratedFile();
    const unused = await openDeferred(file);
    await unused.close();
    await expect(unused.listTopics()).rejects.toThrow(StorageUnavailableError);

    const used = await openDeferred(file);
    await used.createTopic({ name: "t", partitions: 1, configs: {} });
    await used.close();
    await used.close();
    await expect(used.listTopics()).rejects.toThrow(StorageUnavailableError);
    // Its close closed the file: the data is there for the next broker.
    const next = await openDeferred(file);
    expect((await next.listTopics()).map((t) => t.name)).toEqual(["t"]);
    await next.close();
  });

  test("a store whose header is behind is migrated by its first operation", async () => {
    // What a broker killed before its WAL was checkpointed leaves: a database whose header still says version 0.
    const file = freshFile();
    new Database(file).close();
    const db = new Database(file);
    db.run("PRAGMA journal_mode = WAL");
    db.close();
    expect(headerSchemaVersion(file)).toBe(0);
    const store = await openDeferred(file);
    expect(await store.listTopics()).toEqual([]);
    await store.close();
    expect(headerSchemaVersion(file)).toBe(LATEST_SCHEMA_VERSION);
  });

  test("a new file, a file that is not a database and one from a newer tansu are opened at once", async () => {
    const created = freshFile();
    const store = await openStorage(`sqlite://${created}`);
    expect(store).toBeInstanceOf(SqliteStorage);
    expect(headerSchemaVersion(created)).not.toBeNull();
    await store.close();

    const text = freshFile();
    writeFileSync(text, "this is not a database, just some text that is long enough to look like a header".repeat(20));
    await expect(openStorage(`sqlite://${text}`)).rejects.toThrow(StorageUnavailableError);

    const newer = freshFile();
    copyFileSync(await migratedFile(), newer);
    const db = new Database(newer);
    db.run(`PRAGMA user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    await expect(openStorage(`sqlite://${newer}`)).rejects.toThrow(StorageError);
    await expect(openStorage(`sqlite://${newer}`)).rejects.toThrow(/newer than/);

    await expect(openStorage(`sqlite://${join(dir, "no-such-dir", "x.db")}`)).rejects.toThrow(/cannot open sqlite store/);
  });
});
