import type { BrokerContext, RequestContext } from "../context.ts";
import { groupChangedOrPoll } from "./group-notifier.ts";
import { changeGroup, type GroupChange, type GroupRecord } from "./group-store.ts";

/**
 * Runs `step` against the group until it yields an answer: after every change made through this
 * broker, and every fetchPollMs for changes made through others. `step` also applies deadlines
 * that fell due, so a waiting request itself drives its rebalance forward. Null when the
 * connection closed first.
 */
export async function awaitGroup<R>(
  ctx: BrokerContext,
  groupId: string,
  rc: RequestContext,
  step: (group: GroupRecord | null, now: number) => GroupChange<R | null>,
): Promise<R | null> {
  while (!rc.signal.aborted) {
    const answer = await changeGroup(ctx, groupId, step);
    if (answer !== null) return answer;
    await groupChangedOrPoll(ctx, groupId, rc.signal);
  }
  return null;
}
