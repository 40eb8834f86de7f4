import type { Storage } from "../storage/storage.ts";

/**
 * Read-modify-write of one record with compare-and-set, retried while another broker (or a
 * `tansu` command on the store) changes it concurrently. `change` gets the current value (null
 * when absent) and returns the next one (null deletes the record) and its result.
 */
export async function changeRecord<T, R>(
  storage: Storage,
  namespace: string,
  key: string,
  change: (current: T | null) => { next: T | null; result: R },
): Promise<R> {
  for (;;) {
    const current = await storage.getRecord<T>(namespace, key);
    const { next, result } = change(current?.value ?? null);
    if (next === null) {
      if (!current || (await storage.deleteRecord(namespace, key, current.version))) return result;
    } else if ((await storage.putRecord(namespace, key, next, current?.version ?? null)) !== null) {
      return result;
    }
  }
}
