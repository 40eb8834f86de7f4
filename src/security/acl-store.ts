// The ACLs of the cluster: one compare-and-set record in the store that every broker reads, so
// an ACL created or deleted through any broker applies on all of them.
import type { Storage } from "../storage/storage.ts";
import { filterMatches, sameBinding, type AclBinding, type AclFilter } from "./acl.ts";
import { changeRecord } from "./cas-record.ts";

const NAMESPACE = "security";
const KEY = "acls";

export async function loadAcls(storage: Storage): Promise<AclBinding[]> {
  return (await storage.getRecord<AclBinding[]>(NAMESPACE, KEY))?.value ?? [];
}

/** Adds the bindings not already present (creating an existing one succeeds, as in Kafka). */
export function addAcls(storage: Storage, bindings: AclBinding[]): Promise<void> {
  return changeRecord<AclBinding[], void>(storage, NAMESPACE, KEY, (current) => {
    const next = [...(current ?? [])];
    for (const b of bindings) if (!next.some((existing) => sameBinding(existing, b))) next.push(b);
    return { next, result: undefined };
  });
}

/** Removes every binding any filter matches; returns, per filter, the bindings it matched. */
export function removeAcls(storage: Storage, filters: AclFilter[]): Promise<AclBinding[][]> {
  return changeRecord<AclBinding[], AclBinding[][]>(storage, NAMESPACE, KEY, (current) => {
    const all = current ?? [];
    const matched = filters.map((f) => all.filter((b) => filterMatches(f, b)));
    const next = all.filter((b) => !filters.some((f) => filterMatches(f, b)));
    return { next: next.length === 0 ? null : next, result: matched };
  });
}
