// Server-side partition assignors of the KIP-848 consumer protocol. The coordinator computes
// a target assignment with one of these whenever the group epoch moves; members then converge
// on it through their heartbeats.

/** Partitions by topic id, each list ascending. */
export type Assignment = Record<string, number[]>;

export interface AssignorMember {
  memberId: string;
  /** Ids of the existing topics the member subscribes to. */
  topicIds: string[];
  /** The member's previous target assignment, kept where still valid (stickiness). */
  previous: Assignment;
}

/** Topic id to partition count, for every topic any member subscribes to. */
export type TopicPartitionCounts = Map<string, number>;

export type Assignor = (members: AssignorMember[], topics: TopicPartitionCounts) => Map<string, Assignment>;

/** One partition as a set member: assignments are compared and combined as sets of these keys. */
export function partitionKey(topicId: string, partition: number): string {
  return `${topicId}:${partition}`;
}

export function assignmentKeys(a: Assignment): Set<string> {
  const out = new Set<string>();
  for (const [topicId, partitions] of Object.entries(a)) for (const p of partitions) out.add(partitionKey(topicId, p));
  return out;
}

export function assignmentFromKeys(keys: Iterable<string>): Assignment {
  const out: Assignment = {};
  for (const k of keys) {
    const at = k.lastIndexOf(":");
    (out[k.slice(0, at)] ??= []).push(Number(k.slice(at + 1)));
  }
  for (const partitions of Object.values(out)) partitions.sort((a, b) => a - b);
  return out;
}

/**
 * "uniform": spreads partitions as evenly as the subscriptions allow while moving as few as
 * possible. Members keep what they had (up to an even share), free partitions go to the
 * least loaded eligible member, then partitions move from the most to the least loaded
 * eligible member until no move narrows the gap.
 */
export const uniformAssignor: Assignor = (members, topics) => {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const eligible = new Map<string, string[]>(); // topic id -> member ids subscribed
  for (const m of sorted) for (const t of m.topicIds) if (topics.has(t)) (eligible.get(t) ?? eligible.set(t, []).get(t)!).push(m.memberId);

  const all: string[] = [];
  for (const [topicId, count] of [...topics].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (eligible.has(topicId)) for (let p = 0; p < count; p++) all.push(partitionKey(topicId, p));
  }
  const owned = new Map<string, Set<string>>(sorted.map((m) => [m.memberId, new Set<string>()]));
  const ownerOf = new Map<string, string>();
  const share = sorted.length === 0 ? 0 : Math.ceil(all.length / sorted.length);

  // Keep previous partitions that are still valid, not already claimed, and within the share.
  for (const m of sorted) {
    const subscribed = new Set(m.topicIds);
    for (const [topicId, partitions] of Object.entries(m.previous)) {
      const count = topics.get(topicId);
      if (count === undefined || !subscribed.has(topicId)) continue;
      for (const p of partitions) {
        const k = partitionKey(topicId, p);
        if (p < count && !ownerOf.has(k) && owned.get(m.memberId)!.size < share) {
          owned.get(m.memberId)!.add(k);
          ownerOf.set(k, m.memberId);
        }
      }
    }
  }
  const topicOf = (k: string) => k.slice(0, k.lastIndexOf(":"));
  const leastLoaded = (candidates: string[]) =>
    candidates.reduce((best, id) => (owned.get(id)!.size < owned.get(best)!.size ? id : best), candidates[0]!);
  for (const k of all) {
    if (ownerOf.has(k)) continue;
    const target = leastLoaded(eligible.get(topicOf(k))!);
    owned.get(target)!.add(k);
    ownerOf.set(k, target);
  }
  // Rebalance: each move strictly narrows a gap of two or more, so this terminates.
  for (let moved = true; moved; ) {
    moved = false;
    for (const k of all) {
      const from = ownerOf.get(k)!;
      const to = leastLoaded(eligible.get(topicOf(k))!);
      if (owned.get(from)!.size - owned.get(to)!.size >= 2) {
        owned.get(from)!.delete(k);
        owned.get(to)!.add(k);
        ownerOf.set(k, to);
        moved = true;
      }
    }
  }
  return new Map(sorted.map((m) => [m.memberId, assignmentFromKeys(owned.get(m.memberId)!)]));
};

/**
 * "range": per topic, the subscribed members in member id order each take a contiguous range
 * of partitions, the first (partitions % members) of them one more than the rest.
 */
export const rangeAssignor: Assignor = (members, topics) => {
  const result = new Map<string, Assignment>(members.map((m) => [m.memberId, {}]));
  for (const [topicId, count] of topics) {
    const subscribed = members
      .filter((m) => m.topicIds.includes(topicId))
      .map((m) => m.memberId)
      .sort();
    if (subscribed.length === 0) continue;
    const base = Math.floor(count / subscribed.length);
    const extra = count % subscribed.length;
    let next = 0;
    subscribed.forEach((memberId, i) => {
      const size = base + (i < extra ? 1 : 0);
      if (size > 0) result.get(memberId)![topicId] = Array.from({ length: size }, (_, j) => next + j);
      next += size;
    });
  }
  return result;
};

/** By name, as clients ask for them in group.remote.assignor; the first is the default. */
export const ASSIGNORS: ReadonlyMap<string, Assignor> = new Map([
  ["uniform", uniformAssignor],
  ["range", rangeAssignor],
]);
export const DEFAULT_ASSIGNOR = "uniform";
