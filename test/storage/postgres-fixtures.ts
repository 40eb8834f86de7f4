// Databases for postgres:// storage tests: one throwaway cluster per test file, and a fresh
// database per store, copied from a template the engine migrated once (faster than migrating each).
import { afterAll, beforeAll } from "bun:test";
import postgres from "postgres";
import { databaseMaker, startPostgres, type RunningPostgres, type StartPostgresOptions } from "../harness/postgres.ts";
import { PostgresStorage } from "../../src/storage/engines/postgres/postgres-storage.ts";

export interface PostgresDatabases {
  cluster: RunningPostgres;
  /** A client of the cluster's `postgres` database, for CREATE DATABASE and inspection. */
  admin: postgres.Sql;
  /** URL of a new, empty, migrated database. */
  fresh(): Promise<string>;
  stop(): Promise<void>;
}

export async function postgresDatabases(options: StartPostgresOptions = {}): Promise<PostgresDatabases> {
  const cluster = await startPostgres(options);
  const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
  await admin`CREATE DATABASE tansu_template`;
  await (await PostgresStorage.open(cluster.urlOf("tansu_template"))).close();
  const databases = databaseMaker(cluster, "tansu_template");
  return {
    cluster,
    admin,
    fresh: databases.fresh,
    async stop() {
      await databases.end();
      await admin.end({ timeout: 0 });
      await cluster.stop();
    },
  };
}

/** Starts the databases before the calling test file's tests and stops them after; call at its top level. */
export function usePostgresDatabases(options: StartPostgresOptions = {}): () => PostgresDatabases {
  let pg: PostgresDatabases | undefined;
  beforeAll(async () => {
    pg = await postgresDatabases(options);
  }, 120_000);
  afterAll(() => pg?.stop());
  return () => pg!;
}
