// Share-partition state in the store: one compare-and-set record per (group, topic id, partition),
// in a namespace per group so that a group's partitions are listed and deleted together. Every
// change reads the record, applies a transition and writes it back against the version read,
// retrying when another broker got there first; no broker keeps a share-partition in memory.

import { LogNotifier } from "../log-notifier.ts";
import type { BrokerContext } from "../context.ts";
import type { SharePartitionState } from "./share-partition.ts";

const MAX_ATTEMPTS = 100;

export interface SharePartitionKey {
  groupId: string;
  topicId: string;
  partition: number;
}

export function sharePartitionNamespace(groupId: string): string {
  return `share-partition:${groupId}`;
}

function recordKey(k: SharePartitionKey): string {
  return `${k.topicId}:${k.partition}`;
}

export function parseRecordKey(key: string): { topicId: string; partition: number } {
  const at = key.lastIndexOf(":");
  return { topicId: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}

/** What a transition decided: the caller's result, and the state to store (none: unchanged). */
export interface SharePartitionChange<R> {
  result: R;
  save?: SharePartitionState;
}

export class SharePartitionContentionError extends Error {
  constructor(k: SharePartitionKey) {
    super(`share-partition ${k.groupId} ${k.topicId}-${k.partition} changed concurrently ${MAX_ATTEMPTS} times in a row`);
    this.name = "SharePartitionContentionError";
  }
}

/**
 * Applies `change` to the share-partition's current state (null when it has none yet) and stores
 * the outcome atomically. `change` may run several times, each time on a fresh copy, and may do
 * I/O (reading the log) but must not have other side effects.
 */
export async function changeSharePartition<R>(
  ctx: BrokerContext,
  k: SharePartitionKey,
  change: (state: SharePartitionState | null, now: number) => SharePartitionChange<R> | Promise<SharePartitionChange<R>>,
): Promise<R> {
  const namespace = sharePartitionNamespace(k.groupId);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await ctx.storage.getRecord<SharePartitionState>(namespace, recordKey(k));
    const outcome = await change(current?.value ?? null, Date.now());
    if (!outcome.save) return outcome.result;
    if ((await ctx.storage.putRecord(namespace, recordKey(k), outcome.save, current?.version ?? null)) === null) continue;
    notifySharePartition(ctx, k);
    return outcome.result;
  }
  throw new SharePartitionContentionError(k);
}

export async function readSharePartition(ctx: BrokerContext, k: SharePartitionKey): Promise<SharePartitionState | null> {
  return (await ctx.storage.getRecord<SharePartitionState>(sharePartitionNamespace(k.groupId), recordKey(k)))?.value ?? null;
}

export async function listSharePartitions(ctx: BrokerContext, groupId: string) {
  const records = await ctx.storage.listRecords<SharePartitionState>(sharePartitionNamespace(groupId));
  return records.map((r) => ({ ...parseRecordKey(r.key), state: r.value, version: r.version }));
}

/** Removes the group's share-partition state of every topic `remove` selects. */
export async function deleteSharePartitions(ctx: BrokerContext, groupId: string, remove: (topicId: string) => boolean): Promise<void> {
  const namespace = sharePartitionNamespace(groupId);
  for (const r of await ctx.storage.listRecords<SharePartitionState>(namespace)) {
    if (!remove(parseRecordKey(r.key).topicId)) continue;
    // Lost only to a concurrent change, which is as good as gone once the group has no members.
    await ctx.storage.deleteRecord(namespace, r.key, r.version);
  }
}

// Share fetches waiting for records wake when a request on this broker changes a share-partition
// (an acknowledgement or release makes records available again). The keys live in the broker's log
// notifier under a name no topic can have, so one wait covers appends and share-partition changes.
export function sharePartitionWakeKey(k: SharePartitionKey): string {
  return LogNotifier.key(`\u0000share\u0000${k.groupId}\u0000${k.topicId}`, k.partition);
}

function notifySharePartition(ctx: BrokerContext, k: SharePartitionKey): void {
  ctx.notifier.notify(`\u0000share\u0000${k.groupId}\u0000${k.topicId}`, k.partition);
}
