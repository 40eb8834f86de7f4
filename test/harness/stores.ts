// The stores integration tests run brokers on: the embedded SQLite default and PostgreSQL, so
// that what a Kafka client sees is checked on both engines without a copy of each test.
import { afterAll, beforeAll, describe } from "bun:test";
import { join } from "node:path";
import { tempDir, type StartBrokerOptions } from "./broker.ts";
import { databaseMaker, startPostgres, type RunningPostgres } from "./postgres.ts";

/** Where a broker keeps its data: a storage URL and the environment it needs (default: a fresh SQLite file). */
export type Store = Pick<StartBrokerOptions, "storage" | "env">;

/** A throwaway cluster handing out a fresh database per store; the broker migrates it. */
export interface PostgresStores {
  cluster: RunningPostgres;
  fresh(): Promise<{ storage: string }>;
  stop(): Promise<void>;
}

export async function startPostgresStores(): Promise<PostgresStores> {
  const cluster = await startPostgres();
  const databases = databaseMaker(cluster);
  return {
    cluster,
    fresh: async () => ({ storage: await databases.fresh() }),
    async stop() {
      await databases.end();
      await cluster.stop();
    },
  };
}

export type Engine = "sqlite" | "postgres";

/**
 * Registers `tests` once per engine, in a describe block of its own: on sqlite:// (each store a
 * fresh file) and on postgres:// (each a fresh database of a cluster started for the block).
 */
export function describeStores(tests: (fresh: () => Promise<Store>, engine: Engine) => void): void {
  describe("sqlite://", () => tests(async () => ({ storage: `sqlite://${join(tempDir("tansu-store-"), "tansu.db")}` }), "sqlite"));
  describe("postgres://", () => {
    let postgres: PostgresStores;
    beforeAll(async () => {
      postgres = await startPostgresStores();
    }, 120_000);
    tests(() => postgres.fresh(), "postgres");
    // After the tests' own hooks, which stop their brokers.
    afterAll(() => postgres?.stop());
  });
}
