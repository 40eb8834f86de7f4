// Deadlines in a group record are enforced by whichever broker next touches the group. So that
// a group whose members all vanished still expires without anyone touching it, each broker
// also sweeps the groups it has served while they have members, applying due deadlines. The
// list of swept groups is the only thing a broker keeps; the groups themselves stay in the store.

import { consola } from "../../log.ts";
import type { BrokerContext } from "../context.ts";
import { PeriodicTask } from "../periodic-task.ts";
import { changeGroup, type GroupRecord } from "./group-store.ts";
import { applyDeadlines } from "./group-summary.ts";

const SWEEP_INTERVAL_MS = 1_000;

function hasMembers(group: GroupRecord): boolean {
  return group.type === "classic" ? group.members.length > 0 || group.pending.length > 0 : group.members.length > 0;
}

/** Applies due deadlines to one group; false once there is nothing left to expire. */
async function sweepGroup(ctx: BrokerContext, groupId: string): Promise<boolean> {
  return changeGroup(ctx, groupId, (group, now) => {
    if (!group) return { result: false };
    const changed = applyDeadlines(group, now);
    return { result: hasMembers(group), save: changed ? group : undefined };
  });
}

class GroupSweeper {
  readonly #groups = new Set<string>();
  /** Runs only while there are groups to sweep. */
  #task: PeriodicTask | null = null;

  constructor(readonly ctx: BrokerContext) {}

  add(groupId: string): void {
    this.#groups.add(groupId);
    if (this.#task) return;
    this.#task = new PeriodicTask("group sweep", SWEEP_INTERVAL_MS, () => this.#sweep());
    this.#task.start();
  }

  async #sweep(): Promise<void> {
    for (const groupId of [...this.#groups]) {
      try {
        if (!(await sweepGroup(this.ctx, groupId))) this.#groups.delete(groupId);
      } catch (error) {
        // The next sweep retries; a store that stays down is reported by the requests themselves.
        consola.warn(`sweeping group ${groupId}: ${(error as Error).message}`);
      }
    }
    if (this.#groups.size === 0) {
      this.#task?.stop();
      this.#task = null;
    }
  }
}

const sweepers = new WeakMap<BrokerContext, GroupSweeper>();

/** Remembers that this broker served `groupId`, so that it sweeps the group from now on. */
export function noteGroupServed(ctx: BrokerContext, groupId: string): void {
  let sweeper = sweepers.get(ctx);
  if (!sweeper) sweepers.set(ctx, (sweeper = new GroupSweeper(ctx)));
  sweeper.add(groupId);
}
