// Group state lives in the store under namespace "group", one record per group id, and is only
// ever changed by compare-and-set: read, apply a pure transition, write back against the version
// read, retry from the top if another broker (or request) got there first. No broker keeps a
// group in memory, so brokers sharing a store always agree on every group.

import type { BrokerContext } from "../context.ts";
import type { ClassicGroup } from "./classic-group.ts";
import type { ConsumerGroup } from "./consumer-group.ts";
import { notifyGroupChanged } from "./group-notifier.ts";
import type { ShareGroup } from "./share-group.ts";

export type GroupRecord = ClassicGroup | ConsumerGroup | ShareGroup;

const GROUP_NAMESPACE = "group";

/** Enough for every contender to get through; hitting it means something is very wrong. */
const MAX_ATTEMPTS = 100;

/** What a transition decided: the caller's result, and whether to save or delete the group. */
export interface GroupChange<R> {
  result: R;
  save?: GroupRecord;
  remove?: boolean;
}

/** The store kept losing the compare-and-set race for one group. */
export class GroupContentionError extends Error {
  constructor(groupId: string) {
    super(`group ${groupId} changed concurrently ${MAX_ATTEMPTS} times in a row`);
    this.name = "GroupContentionError";
  }
}

/**
 * Applies `change` to the group's current record (null when there is none) and stores the
 * outcome atomically. `change` may run several times, each time on a fresh copy, so it must
 * not have side effects beyond mutating that copy.
 */
export async function changeGroup<R>(ctx: BrokerContext, groupId: string, change: (group: GroupRecord | null, now: number) => GroupChange<R>): Promise<R> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await ctx.storage.getRecord<GroupRecord>(GROUP_NAMESPACE, groupId);
    // Read before `change`, which mutates the record it is given.
    const epochBefore = current ? rebalanceEpoch(current.value) : 0;
    const outcome = change(current?.value ?? null, Date.now());
    if (outcome.remove) {
      if (!current) return outcome.result;
      if (!(await ctx.storage.deleteRecord(GROUP_NAMESPACE, groupId, current.version))) continue;
    } else if (outcome.save) {
      if ((await ctx.storage.putRecord(GROUP_NAMESPACE, groupId, outcome.save, current?.version ?? null)) === null) continue;
      if (rebalanceEpoch(outcome.save) > epochBefore) ctx.metrics?.groupRebalanced(outcome.save.type);
    } else {
      return outcome.result;
    }
    notifyGroupChanged(ctx, groupId);
    return outcome.result;
  }
  throw new GroupContentionError(groupId);
}

/** Grows by one with every rebalance: the classic generation, the KIP-848 group epoch. */
function rebalanceEpoch(group: GroupRecord): number {
  return group.type === "classic" ? group.generationId : group.groupEpoch;
}

export async function readGroup(ctx: BrokerContext, groupId: string): Promise<GroupRecord | null> {
  return (await ctx.storage.getRecord<GroupRecord>(GROUP_NAMESPACE, groupId))?.value ?? null;
}

export async function readAllGroups(ctx: BrokerContext): Promise<GroupRecord[]> {
  return (await ctx.storage.listRecords<GroupRecord>(GROUP_NAMESPACE)).map((r) => r.value);
}
