// How a broker opens sqlite://. A database file that this tansu can migrate is opened by the store's first
// operation (DeferredSqliteStorage), as a broker's first request, ApiVersions, needs nothing from it. Anything
// else is opened at once, so that a path that cannot be opened, a file that is not a database, or one written
// by a newer tansu stops the broker before it listens, and a new file is created and migrated at start.

import type { Storage } from "../../storage.ts";
import { DeferredSqliteStorage } from "./deferred-sqlite-storage.ts";
import { LATEST_SCHEMA_VERSION } from "./migrations.ts";
import { headerSchemaVersion } from "./store-header.ts";

/** @throws StorageUnavailableError when the file cannot be opened or migrated now */
export async function openSqlite(path: string): Promise<Storage> {
  const version = headerSchemaVersion(path);
  if (version !== null && version <= LATEST_SCHEMA_VERSION) return new DeferredSqliteStorage(path);
  return (await import("./sqlite-storage.ts")).SqliteStorage.open(path);
}
