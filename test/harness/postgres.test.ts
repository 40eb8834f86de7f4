import { afterAll, beforeAll, expect, test } from "bun:test";
import postgres from "postgres";
import { startPostgres, type RunningPostgres } from "./postgres.ts";

let cluster: RunningPostgres;

beforeAll(async () => {
  cluster = await startPostgres();
});

afterAll(async () => {
  await cluster?.stop();
});

test("a throwaway cluster accepts connections and answers queries", async () => {
  const sql = postgres(cluster.url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`SELECT 1 AS one, current_user AS who`;
    expect([...rows]).toEqual([{ one: 1, who: "postgres" }]);
  } finally {
    await sql.end();
  }
});

test("stop() shuts the cluster down so it refuses new connections", async () => {
  const other = await startPostgres();
  await other.stop();
  const sql = postgres(other.url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await expect(sql`SELECT 1`).rejects.toMatchObject({ code: "ECONNREFUSED" });
  } finally {
    await sql.end();
  }
});
