// SCRAM credentials in the store: one compare-and-set record per user, holding a credential
// per mechanism, so every broker on the store authenticates the same users and a change made
// through any of them (or `tansu user` against the store) applies everywhere at once.
import type { Storage } from "../storage/storage.ts";
import { changeRecord } from "./cas-record.ts";
import type { ScramCredential, ScramMechanism } from "./scram.ts";

const NAMESPACE = "scram-credentials";

export type UserCredentials = Partial<Record<ScramMechanism, ScramCredential>>;

export async function userCredentials(storage: Storage, user: string): Promise<UserCredentials | null> {
  return (await storage.getRecord<UserCredentials>(NAMESPACE, user))?.value ?? null;
}

export async function allUsers(storage: Storage): Promise<Array<{ user: string; credentials: UserCredentials }>> {
  return (await storage.listRecords<UserCredentials>(NAMESPACE)).map((r) => ({ user: r.key, credentials: r.value }));
}

/** Changes a user's credentials; a user left without any is deleted. */
function changeUser<T>(storage: Storage, user: string, change: (current: UserCredentials) => { next: UserCredentials; result: T }): Promise<T> {
  return changeRecord<UserCredentials, T>(storage, NAMESPACE, user, (current) => {
    const { next, result } = change({ ...(current ?? {}) });
    return { next: Object.keys(next).length === 0 ? null : next, result };
  });
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
