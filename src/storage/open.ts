// Chooses the storage engine from the URL a broker is started with.

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
  // Not a regular expression, nor node:path below: either costs a starting broker about 1 MiB of
  // runtime code it would touch for nothing else (docs/BENCHMARKS.md, Startup).
  const schemeEnd = url.indexOf("://");
  const scheme = schemeEnd > 0 ? url.slice(0, schemeEnd).toLowerCase() : undefined;
  // Each engine is imported only when chosen: a broker evaluates one engine, not all of them
  // (the AWS SDK alone more than doubled start-up time for brokers on other engines).
  if (scheme === "memory") return new (await import("./engines/memory/memory-storage.ts")).MemoryStorage();
  if (scheme === "sqlite") return (await import("./engines/sqlite/sqlite-open.ts")).openSqlite(sqlitePath(url));
  if (scheme === "s3") return (await import("./engines/s3/s3-storage.ts")).S3Storage.open(url);
  if (scheme === "postgres" || scheme === "postgresql") {
    return (await import("./engines/postgres/postgres-storage.ts")).PostgresStorage.open(url);
  }
  throw new Error(`unknown storage URL ${JSON.stringify(url)}; supported: ${SUPPORTED.join(", ")}`);
}

function sqlitePath(url: string): string {
  // Not parsed with URL: in sqlite://data/tansu.db the first segment would become a host.
  const path = url.slice("sqlite://".length);
  if (path === "" || path.includes("?") || path.includes("#")) {
    throw new Error(`sqlite storage URL ${JSON.stringify(url)} needs a file path: sqlite://FILE or sqlite:///ABSOLUTE/PATH`);
  }
  // SQLite resolves a relative path against the working directory when it opens the file.
  return path;
}
