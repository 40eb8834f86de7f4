// The Storage contract's compare-and-set records on S3: one object per record, its ETag the
// version. A delete writes a tombstone If-Match instead of deleting the object: RGW 16
// (what the tests run) ignores If-Match on DeleteObject, and with a tombstone "create only
// if still deleted" stays a conditional write too. Tombstones read as absent.

import type { Versioned } from "../../storage.ts";
import { LOST_RACE, readDocument, retryLostRaces, writeDocument } from "./cas-document.ts";
import type { ObjectKeys } from "./object-keys.ts";
import type { ObjectStore } from "./object-store.ts";

interface RecordBody {
  live: boolean;
  value?: unknown;
}

export class CasRecords {
  constructor(
    private readonly store: ObjectStore,
    private readonly keys: ObjectKeys,
  ) {}

  async get<T>(namespace: string, key: string): Promise<Versioned<T> | null> {
    const current = await readDocument<RecordBody>(this.store, this.keys.record(namespace, key));
    return current?.value.live ? { value: current.value.value as T, version: current.etag } : null;
  }

  async put<T>(namespace: string, key: string, value: T, expected: string | null): Promise<string | null> {
    const objectKey = this.keys.record(namespace, key);
    const body: RecordBody = { live: true, value };
    if (expected !== null) return writeDocument(this.store, objectKey, body, expected);
    return retryLostRaces(`create record ${namespace}/${key}`, async () => {
      const created = await writeDocument(this.store, objectKey, body, null);
      if (created !== null) return created;
      // The object exists: a live record wins, a tombstone may be replaced while still one.
      const current = await readDocument<RecordBody>(this.store, objectKey);
      if (current === null) return LOST_RACE;
      if (current.value.live) return null;
      return (await writeDocument(this.store, objectKey, body, current.etag)) ?? LOST_RACE;
    });
  }

  async delete(namespace: string, key: string, expected: string): Promise<boolean> {
    const tombstone: RecordBody = { live: false };
    return (await writeDocument(this.store, this.keys.record(namespace, key), tombstone, expected)) !== null;
  }

  async list<T>(namespace: string): Promise<Array<{ key: string } & Versioned<T>>> {
    const objectKeys = await this.store.list(this.keys.recordsPrefix(namespace));
    const records = await Promise.all(
      objectKeys.map(async (objectKey) => ({
        key: this.keys.recordKeyOf(namespace, objectKey),
        current: await readDocument<RecordBody>(this.store, objectKey),
      })),
    );
    return records
      .flatMap(({ key, current }) => (current?.value.live ? [{ key, value: current.value.value as T, version: current.etag }] : []))
      .sort((a, b) => compareText(a.key, b.key));
  }
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
