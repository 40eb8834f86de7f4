// postgres:// against the storage contract, and what is particular to it: its URL, versioned
// migrations, connection settings and TLS, group commit, rows left by deleted topics.
import { describe, expect, test } from "bun:test";
import postgres from "postgres";
import { LATEST_SCHEMA_VERSION, migrations } from "../../src/storage/engines/postgres/migrations.ts";
import { PostgresStorage } from "../../src/storage/engines/postgres/postgres-storage.ts";
import { DEFAULT_POOL_SIZE, postgresSettings } from "../../src/storage/engines/postgres/postgres-url.ts";
import { StorageError, StorageUnavailableError } from "../../src/storage/errors.ts";
import { openStorage } from "../../src/storage/open.ts";
import { fakeBatch, fillAndDeleteTopic, storageContract } from "./contract.ts";
import { usePostgresDatabases } from "./postgres-fixtures.ts";

const databases = usePostgresDatabases({ tls: true });

storageContract("postgres", async () => PostgresStorage.open(await databases().fresh()), {
  openShared: async () => {
    const url = await databases().fresh();
    return [await PostgresStorage.open(url), await PostgresStorage.open(url)];
  },
});

/** A client of the database at `url`, closed after `work`. */
async function inDatabase<T>(url: string, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

describe("postgres storage URLs", () => {
  test("libpq's defaults and parameters", () => {
    expect(postgresSettings("postgres://alice:s%40cret@db.example:6543/orders?application_name=edge&pool_max_conns=4&connect_timeout=3&sslmode=require")).toEqual({
      display: "postgres://alice:***@db.example:6543/orders?application_name=edge&pool_max_conns=4&connect_timeout=3&sslmode=require",
      host: "db.example",
      port: 6543,
      database: "orders",
      user: "alice",
      password: "s@cret",
      ssl: "require",
      applicationName: "edge",
      poolSize: 4,
      connectTimeoutSeconds: 3,
    });
    expect(postgresSettings("postgresql://bob@localhost/")).toMatchObject({
      port: 5432,
      database: "bob",
      ssl: "prefer",
      applicationName: "tansu",
      poolSize: DEFAULT_POOL_SIZE,
    });
    expect(postgresSettings("postgres://u@h/d?sslmode=disable").ssl).toBe(false);
    expect(postgresSettings("postgres://u@h/d?sslmode=verify-full").ssl).toBe("verify-full");
  });

  test("unknown parameters and bad values are refused, naming them", () => {
    expect(() => postgresSettings("postgres://u@h/d?max=3")).toThrow(/unknown parameter max; supported: sslmode, sslrootcert, application_name, pool_max_conns/);
    expect(() => postgresSettings("postgres://u@h/d?sslmode=sometimes")).toThrow(/sslmode=sometimes is not one of disable, allow, prefer, require, verify-ca, verify-full/);
    expect(() => postgresSettings("postgres://u@h/d?pool_max_conns=0")).toThrow(/pool_max_conns=0 must be a positive integer/);
    expect(() => postgresSettings("postgres://u@h/d?sslmode=verify-ca&sslrootcert=/no/such/file")).toThrow(/cannot read sslrootcert \/no\/such\/file/);
  });

  test("openStorage opens postgres:// and postgresql:// URLs", async () => {
    const url = await databases().fresh();
    for (const scheme of ["postgres://", "postgresql://"]) {
      const store = await openStorage(url.replace("postgres://", scheme));
      expect(store.kind).toBe("postgres");
      await store.close();
    }
  });

  test("an unreachable server is StorageUnavailableError naming the URL without its password", async () => {
    const closedPort = databases().cluster.url.replace(/:\d+\//, ":1/").replace("postgres@", "postgres:hunter2@");
    const opening = PostgresStorage.open(closedPort);
    await expect(opening).rejects.toThrow(StorageUnavailableError);
    await expect(PostgresStorage.open(closedPort)).rejects.toThrow(/cannot open postgres store postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/postgres: .*ECONNREFUSED/);
  });
});

describe("postgres migrations", () => {
  test("versions start at 1 and increase by one", () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(migrations.length);
  });

  test("brokers starting together on an empty database migrate it exactly once", async () => {
    await databases().admin`CREATE DATABASE empty_concurrent`;
    const url = databases().cluster.urlOf("empty_concurrent");
    const stores = await Promise.all(Array.from({ length: 5 }, () => PostgresStorage.open(url)));
    await stores[0].createTopic({ name: "t", partitions: 1, configs: {} });
    expect((await stores[4].listTopics()).map((t) => t.name)).toEqual(["t"]);
    await Promise.all(stores.map((s) => s.close()));
    const applied = await inDatabase(url, (sql) => sql`SELECT version FROM tansu.schema_migrations ORDER BY version`);
    expect(applied.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
  });

  test("a database migrated by a newer tansu is refused with a clear message", async () => {
    const url = await databases().fresh();
    await inDatabase(url, (sql) => sql`INSERT INTO tansu.schema_migrations (version, description) VALUES (${LATEST_SCHEMA_VERSION + 1}, 'from the future')`);
    const opening = PostgresStorage.open(url);
    await expect(opening).rejects.toThrow(StorageError);
    await expect(PostgresStorage.open(url)).rejects.toThrow(
      new RegExp(`has tansu schema version ${LATEST_SCHEMA_VERSION + 1}, newer than ${LATEST_SCHEMA_VERSION} known to this tansu`),
    );
  });
});

describe("postgres connections", () => {
  test("application_name names the broker's sessions and pool_max_conns bounds them", async () => {
    const url = `${await databases().fresh()}?application_name=tansu-test-pool&pool_max_conns=2`;
    const store = await PostgresStorage.open(url);
    await store.createTopic({ name: "t", partitions: 4, configs: {} });
    // Many operations at once: they queue for the two connections.
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.append({ topic: "t", partition: i % 4 }, fakeBatch(`m${i}`))));
    const sessions = await databases().admin`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'tansu-test-pool'`;
    expect(sessions[0].n).toBe(2);
    await store.close();
  });

  test("TLS: sslmode=require encrypts, verify-full checks the server against sslrootcert", async () => {
    const base = await databases().fresh();
    const modes = ["sslmode=require", `sslmode=verify-full&sslrootcert=${databases().cluster.rootCert}`, `sslmode=verify-ca&sslrootcert=${databases().cluster.rootCert}`];
    for (const [i, query] of modes.entries()) {
      const store = await PostgresStorage.open(`${base}?${query}&application_name=tansu-tls`);
      await store.createTopic({ name: `t${i}`, partitions: 1, configs: {} });
      const [session] = await databases().admin`
        SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid WHERE a.application_name = 'tansu-tls' LIMIT 1`;
      expect(session?.ssl).toBe(true);
      await store.close();
    }
    // A certificate from nobody we trust: the system roots do not know it.
    await expect(PostgresStorage.open(`${base}?sslmode=verify-full`)).rejects.toThrow(StorageUnavailableError);
  });
});

describe("postgres appends", () => {
  test("concurrent appends to a partition through one store share transactions (group commit)", async () => {
    const url = await databases().fresh();
    const store = await PostgresStorage.open(url);
    await store.createTopic({ name: "t", partitions: 1, configs: {} });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => store.append({ topic: "t", partition: 0 }, fakeBatch(`m${i}`))));
    expect(results.map((r) => r.baseOffset).sort((a, b) => Number(a - b))).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(i)));
    await store.close();
    // Rows written by one transaction share its xmin: the first append went alone, the rest waited and went together.
    const [{ n }] = await inDatabase(url, (sql) => sql`SELECT count(DISTINCT xmin::text)::int AS n FROM tansu.batches`);
    expect(n).toBeLessThanOrEqual(2);
  });

  test("deleteTopic leaves no rows of the topic behind", async () => {
    const url = await databases().fresh();
    const store = await PostgresStorage.open(url);
    await fillAndDeleteTopic(store);
    await store.close();
    const tables = ["topics", "partitions", "batches", "batch_records", "producers", "aborted_transactions", "consumer_offsets"];
    const counts = await inDatabase(url, (sql) => Promise.all(tables.map(async (t) => (await sql.unsafe(`SELECT count(*)::int AS n FROM tansu.${t}`))[0].n)));
    expect(counts).toEqual(tables.map(() => 0));
  });
});
