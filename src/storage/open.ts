// Chooses the storage engine from the URL a broker is started with.

import { isAbsolute, resolve } from "node:path";
import { MemoryStorage } from "./engines/memory/memory-storage.ts";
import { SqliteStorage } from "./engines/sqlite/sqlite-storage.ts";
import type { Storage } from "./storage.ts";

const SUPPORTED = ["memory://", "sqlite://PATH", "s3://BUCKET/PREFIX/", "postgres://USER:PASSWORD@HOST:PORT/DB"];

/**
 * Opens the store at `url`: memory:// (a fresh in-process store), sqlite://PATH (relative
 * to the working directory, e.g. sqlite://tansu.db), sqlite:///ABSOLUTE/PATH, or
 * s3://BUCKET/ and s3://BUCKET/PREFIX/ (endpoint, region and credentials from the
 * environment, see S3Storage.open), or postgres:// and postgresql:// (a libpq URL, see
 * postgresSettings).
 * @throws Error for an unknown scheme or a malformed URL;
 *   StorageUnavailableError when the store cannot be opened
 */
export async function openStorage(url: string): Promise<Storage> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "memory") return new MemoryStorage();
  if (scheme === "sqlite") return SqliteStorage.open(sqlitePath(url));
  if (scheme === "s3") {
    // Loaded on demand: the AWS SDK more than doubles start-up time and adds ~8 MiB of RSS
    // for brokers on other engines (scripts/bench/startup.ts: 18 -> 45 ms).
    const { S3Storage } = await import("./engines/s3/s3-storage.ts");
    return S3Storage.open(url);
  }
  if (scheme === "postgres" || scheme === "postgresql") {
    // Loaded on demand as well, so brokers on other engines do not pay for the client library.
    const { PostgresStorage } = await import("./engines/postgres/postgres-storage.ts");
    return PostgresStorage.open(url);
  }
  throw new Error(`unknown storage URL ${JSON.stringify(url)}; supported: ${SUPPORTED.join(", ")}`);
}

function sqlitePath(url: string): string {
  // Not parsed with URL: in sqlite://data/tansu.db the first segment would become a host.
  const path = url.slice("sqlite://".length);
  if (path === "" || path.includes("?") || path.includes("#")) {
    throw new Error(`sqlite storage URL ${JSON.stringify(url)} needs a file path: sqlite://FILE or sqlite:///ABSOLUTE/PATH`);
  }
  return isAbsolute(path) ? path : resolve(process.cwd(), path);
}
