// The server-side assignor of share groups, after Kafka's "simple" assignor: partitions are
// spread evenly over the members and, when there are more members than partitions, shared, so
// that every member has something to consume and no partition is shared by more members than the
// counts require. Members keep what they had where that stays within the balance.

import { assignmentFromKeys, partitionKey, type Assignment } from "../groups/assignors.ts";

export const SIMPLE_ASSIGNOR = "simple";

export interface ShareAssignorMember {
  memberId: string;
  /** Ids of the existing topics the member subscribes to. */
  topicIds: string[];
  /** The member's previous target assignment. */
  previous: Assignment;
}

/**
 * One set of members over one set of partitions, all members able to take any of them.
 * Returns each member's partitions as keys.
 */
function balance(memberIds: string[], partitions: string[], previous: Map<string, Set<string>>): Map<string, Set<string>> {
  const members = [...memberIds].sort();
  const result = new Map(members.map((m) => [m, new Set<string>()]));
  if (members.length === 0 || partitions.length === 0) return result;
  // Each partition goes to `sharing` members; those assignments spread over the members as evenly as they divide.
  const sharing = Math.ceil(members.length / partitions.length);
  const total = sharing * partitions.length;
  const desired = new Map(members.map((m, i) => [m, Math.ceil((total * (i + 1)) / members.length) - Math.ceil((total * i) / members.length)]));
  const holders = new Map(partitions.map((p) => [p, 0]));
  const valid = new Set(partitions);

  // Keep what members had, within their count and the partition's sharing.
  for (const m of members) {
    for (const p of previous.get(m) ?? []) {
      const owned = result.get(m)!;
      if (!valid.has(p) || owned.size >= desired.get(m)! || holders.get(p)! >= sharing) continue;
      owned.add(p);
      holders.set(p, holders.get(p)! + 1);
    }
  }
  // Hand out the rest, round robin over the members still short.
  let next = 0;
  for (const p of partitions) {
    for (let tried = 0; holders.get(p)! < sharing && tried < members.length; tried++) {
      const m = members[next]!;
      next = (next + 1) % members.length;
      const owned = result.get(m)!;
      if (owned.size >= desired.get(m)! || owned.has(p)) continue;
      owned.add(p);
      holders.set(p, holders.get(p)! + 1);
      tried = -1;
    }
  }
  return result;
}

function keysOf(a: Assignment): Set<string> {
  return new Set(Object.entries(a).flatMap(([topicId, ps]) => ps.map((p) => partitionKey(topicId, p))));
}

/** Topic id to partition count, for every topic any member subscribes to. */
export function simpleAssign(members: ShareAssignorMember[], topics: Map<string, number>): Map<string, Assignment> {
  const previous = new Map(members.map((m) => [m.memberId, keysOf(m.previous)]));
  const owned = new Map(members.map((m) => [m.memberId, new Set<string>()]));
  const partitionsOf = (topicIds: Iterable<string>) =>
    [...topicIds].sort().flatMap((t) => Array.from({ length: topics.get(t) ?? 0 }, (_, p) => partitionKey(t, p)));
  const subscriptions = new Set(members.map((m) => [...new Set(m.topicIds)].sort().join(",")));
  // All alike: balance over every partition at once; otherwise topic by topic among its subscribers.
  const groups =
    subscriptions.size <= 1
      ? [{ memberIds: members.map((m) => m.memberId), partitions: partitionsOf(members[0]?.topicIds ?? []) }]
      : [...topics.keys()].map((t) => ({ memberIds: members.filter((m) => m.topicIds.includes(t)).map((m) => m.memberId), partitions: partitionsOf([t]) }));
  for (const g of groups) {
    for (const [m, keys] of balance(g.memberIds, g.partitions, previous)) for (const k of keys) owned.get(m)!.add(k);
  }
  return new Map([...owned].map(([m, keys]) => [m, assignmentFromKeys(keys)]));
}
