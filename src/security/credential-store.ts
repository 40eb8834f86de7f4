// SCRAM credentials in the store: one compare-and-set record per user, holding a credential
// per mechanism, so every broker on the store authenticates the same users and a change made
// through any of them (or `tansu user` against the store) applies everywhere at once.
import type { Storage } from "../storage/storage.ts";
import type { ScramCredential, ScramMechanism } from "./scram.ts";

const NAMESPACE = "scram-credentials";

export type UserCredentials = Partial<Record<ScramMechanism, ScramCredential>>;

export async function userCredentials(storage: Storage, user: string): Promise<UserCredentials | null> {
  return (await storage.getRecord<UserCredentials>(NAMESPACE, user))?.value ?? null;
}

export async function allUsers(storage: Storage): Promise<Array<{ user: string; credentials: UserCredentials }>> {
  return (await storage.listRecords<UserCredentials>(NAMESPACE)).map((r) => ({ user: r.key, credentials: r.value }));
}

/**
 * Applies `change` to a user's credentials with compare-and-set, retrying when another writer
 * got there first. An empty result deletes the user. Returns what `change` returned last.
 */
async function changeUser<T>(storage: Storage, user: string, change: (current: UserCredentials) => { next: UserCredentials; result: T }): Promise<T> {
  for (;;) {
    const current = await storage.getRecord<UserCredentials>(NAMESPACE, user);
    const { next, result } = change({ ...(current?.value ?? {}) });
    if (Object.keys(next).length === 0) {
      if (!current || (await storage.deleteRecord(NAMESPACE, user, current.version))) return result;
    } else if ((await storage.putRecord(NAMESPACE, user, next, current?.version ?? null)) !== null) {
      return result;
    }
  }
}

export function putCredential(storage: Storage, user: string, mechanism: ScramMechanism, credential: ScramCredential): Promise<void> {
  return changeUser(storage, user, (current) => ({ next: { ...current, [mechanism]: credential }, result: undefined }));
}

/** Removes one mechanism's credential; false when the user had none for it. */
export function deleteCredential(storage: Storage, user: string, mechanism: ScramMechanism): Promise<boolean> {
  return changeUser(storage, user, (current) => {
    const found = current[mechanism] !== undefined;
    delete current[mechanism];
    return { next: current, result: found };
  });
}
