// Requests waiting on a group (a JoinGroup for its rebalance, a follower's SyncGroup for the
// leader) wake at once when a request on this broker changes the group, and otherwise re-read
// the store every fetchPollMs to see changes made through other brokers. This is only a
// wake-up call: the waiter always re-reads the group from the store.

import type { BrokerContext } from "../context.ts";
import { LogNotifier } from "../log-notifier.ts";

const notifiers = new WeakMap<BrokerContext, LogNotifier>();

function notifierOf(ctx: BrokerContext): LogNotifier {
  let notifier = notifiers.get(ctx);
  if (!notifier) notifiers.set(ctx, (notifier = new LogNotifier()));
  return notifier;
}

// LogNotifier keys by (topic, partition); a group is keyed by its id alone.
const GROUP_PARTITION = 0;

export function notifyGroupChanged(ctx: BrokerContext, groupId: string): void {
  notifierOf(ctx).notify(groupId, GROUP_PARTITION);
}

/** Resolves on a local change to the group, after at most fetchPollMs (or `maxMs`), or on abort. */
export function groupChangedOrPoll(ctx: BrokerContext, groupId: string, signal: AbortSignal, maxMs = Infinity): Promise<boolean> {
  const timeout = Math.max(0, Math.min(ctx.config.fetchPollMs, maxMs));
  return notifierOf(ctx).wait([LogNotifier.key(groupId, GROUP_PARTITION)], timeout, signal);
}
