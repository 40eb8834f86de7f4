import { afterAll, beforeAll } from "bun:test";
import { PostgresStorage } from "../../src/storage/engines/postgres/postgres-storage.ts";
import { storageContract } from "./contract.ts";
import { postgresDatabases, type PostgresDatabases } from "./postgres-fixtures.ts";

let pg: PostgresDatabases;
beforeAll(async () => {
  pg = await postgresDatabases();
}, 120_000);
afterAll(async () => {
  await pg?.stop();
});

storageContract("postgres", async () => PostgresStorage.open(await pg.fresh()), {
  openShared: async () => {
    const url = await pg.fresh();
    return [await PostgresStorage.open(url), await PostgresStorage.open(url)];
  },
});
