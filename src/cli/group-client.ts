// What `tansu group` asks a broker over the Kafka protocol, as Kafka's AdminClient does for
// kafka-consumer-groups: describe a group of either protocol with its committed offsets and lag,
// and work out (then commit) an offset reset. No output here; group-command.ts prints.
import type { KafkaConnection } from "../client/kafka-connection.ts";
import { decodeConsumerAssignment } from "../protocol/consumer-protocol.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import { ErrorCode, errorName } from "../protocol/error-codes.ts";
import { ZERO_UUID } from "../protocol/reader.ts";

export class GroupCommandError extends Error {}

export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  assignment: Array<{ topic: string; partitions: number[] }>;
}

export interface PartitionRow {
  topic: string;
  partition: number;
  /** null: the group has not committed this (assigned) partition. */
  currentOffset: bigint | null;
  logStartOffset: bigint;
  logEndOffset: bigint;
  lag: bigint | null;
  memberId: string | null;
  clientId: string | null;
  host: string | null;
}

export interface GroupDescription {
  group: string;
  /** classic or consumer (KIP-848). */
  type: "classic" | "consumer";
  state: string;
  /** Classic: the chosen protocol (range, cooperative-sticky, ...); KIP-848: the server assignor. */
  assignor: string;
  members: GroupMember[];
  partitions: PartitionRow[];
}

const EARLIEST = -2n;
const LATEST = -1n;

function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** The group's type, state and members, from ConsumerGroupDescribe and, for classic groups, DescribeGroups. Null when it does not exist. */
async function describeMembers(c: KafkaConnection, group: string): Promise<Omit<GroupDescription, "partitions"> | null> {
  const consumer = (await c.request(ApiKey.ConsumerGroupDescribe, 0, { groupIds: [group], includeAuthorizedOperations: false })).groups[0]!;
  if (consumer.errorCode === ErrorCode.NONE) {
    return {
      group,
      type: "consumer",
      state: consumer.groupState,
      assignor: consumer.assignorName,
      members: consumer.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        host: m.clientHost,
        assignment: m.assignment.topicPartitions.map((t) => ({ topic: t.topicName, partitions: t.partitions })),
      })),
    };
  }
  if (consumer.errorCode !== ErrorCode.GROUP_ID_NOT_FOUND) {
    throw new GroupCommandError(`describe group ${group}: ${errorName(consumer.errorCode)}${consumer.errorMessage ? `: ${consumer.errorMessage}` : ""}`);
  }
  const classic = (await c.request(ApiKey.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false })).groups[0]!;
  if (classic.errorCode !== ErrorCode.NONE) throw new GroupCommandError(`describe group ${group}: ${errorName(classic.errorCode)}`);
  if (classic.groupState === "Dead") return null;
  return {
    group,
    type: "classic",
    state: classic.groupState,
    assignor: classic.protocolData,
    members: classic.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      host: m.clientHost,
      // Other protocols (Connect, Streams) assign something opaque to us.
      assignment: classic.protocolType === "consumer" ? decodeConsumerAssignment(m.memberAssignment) : [],
    })),
  };
}

/** Committed offsets of every partition the group has committed. */
export async function committedOffsets(c: KafkaConnection, group: string): Promise<Map<string, { topic: string; partition: number; offset: bigint }>> {
  const fetched = (await c.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: group, topics: null }], requireStable: false })).groups![0]!;
  if (fetched.errorCode !== ErrorCode.NONE) throw new GroupCommandError(`fetch offsets of group ${group}: ${errorName(fetched.errorCode)}`);
  const out = new Map<string, { topic: string; partition: number; offset: bigint }>();
  for (const t of fetched.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw new GroupCommandError(`fetch offsets of group ${group}, ${t.name}-${p.partitionIndex}: ${errorName(p.errorCode)}`);
      if (p.committedOffset >= 0n) out.set(tpKey(t.name, p.partitionIndex), { topic: t.name, partition: p.partitionIndex, offset: p.committedOffset });
    }
  }
  return out;
}

/** ListOffsets for one timestamp (EARLIEST, LATEST or a time in ms) over `partitions`; -1n where no record is that recent. */
async function listOffsets(c: KafkaConnection, partitions: Array<{ topic: string; partition: number }>, timestamp: bigint): Promise<Map<string, bigint>> {
  const byTopic = Map.groupBy(partitions, (p) => p.topic);
  const response = await c.request(ApiKey.ListOffsets, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: -1, timestamp })) })),
  });
  const out = new Map<string, bigint>();
  for (const t of response.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw new GroupCommandError(`list offsets of ${t.name}-${p.partitionIndex}: ${errorName(p.errorCode)}`);
      out.set(tpKey(t.name, p.partitionIndex), p.offset ?? -1n);
    }
  }
  return out;
}

function sortPartitions<T extends { topic: string; partition: number }>(rows: T[]): T[] {
  return rows.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

/** Members, assignments, committed offsets, log start and end offsets and lag, per partition (committed or assigned). */
export async function describeGroup(c: KafkaConnection, group: string): Promise<GroupDescription> {
  const members = await describeMembers(c, group);
  const committed = await committedOffsets(c, group);
  if (!members && committed.size === 0) throw new GroupCommandError(`group ${group} does not exist`);
  const owner = new Map<string, GroupMember>();
  for (const m of members?.members ?? []) for (const a of m.assignment) for (const p of a.partitions) owner.set(tpKey(a.topic, p), m);
  const partitions = new Map<string, { topic: string; partition: number }>();
  for (const { topic, partition } of committed.values()) partitions.set(tpKey(topic, partition), { topic, partition });
  for (const m of members?.members ?? []) for (const a of m.assignment) for (const p of a.partitions) partitions.set(tpKey(a.topic, p), { topic: a.topic, partition: p });
  const list = [...partitions.values()];
  const [starts, ends] = list.length === 0 ? [new Map(), new Map()] : await Promise.all([listOffsets(c, list, EARLIEST), listOffsets(c, list, LATEST)]);
  const rows = list.map((tp): PartitionRow => {
    const key = tpKey(tp.topic, tp.partition);
    const current = committed.get(key)?.offset ?? null;
    const end = ends.get(key)!;
    const m = owner.get(key);
    return {
      ...tp,
      currentOffset: current,
      logStartOffset: starts.get(key)!,
      logEndOffset: end,
      lag: current === null ? null : end > current ? end - current : 0n,
      memberId: m?.memberId ?? null,
      clientId: m?.clientId ?? null,
      host: m?.host ?? null,
    };
  });
  return { ...(members ?? { group, type: "classic", state: "Empty", assignor: "", members: [] }), partitions: sortPartitions(rows) };
}

export type ResetTarget =
  | { kind: "earliest" }
  | { kind: "latest" }
  | { kind: "offset"; offset: bigint }
  | { kind: "datetime"; timestampMs: bigint }
  | { kind: "shift"; by: bigint };

export interface ResetRow {
  topic: string;
  partition: number;
  currentOffset: bigint | null;
  newOffset: bigint;
}

/** Which partitions to reset: `topics` as given ("T" for all its partitions, "T:0,2" for some), or every partition the group has committed. */
async function selectPartitions(
  c: KafkaConnection,
  group: string,
  topics: string[],
  committed: Map<string, { topic: string; partition: number }>,
): Promise<Array<{ topic: string; partition: number }>> {
  if (topics.length === 0) {
    if (committed.size === 0) throw new GroupCommandError(`group ${group} has no committed offsets: name the topics to reset with --topic`);
    return [...committed.values()].map(({ topic, partition }) => ({ topic, partition }));
  }
  const selected = new Map<string, { topic: string; partition: number }>();
  for (const spec of topics) {
    const colon = spec.indexOf(":");
    const topic = colon < 0 ? spec : spec.slice(0, colon);
    const metadata = await c.request(ApiKey.Metadata, 12, { topics: [{ name: topic, topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const t = metadata.topics[0]!;
    if (t.errorCode !== ErrorCode.NONE) throw new GroupCommandError(`--topic ${spec}: ${errorName(t.errorCode)}`);
    const existing = new Set(t.partitions.map((p) => p.partitionIndex));
    const wanted = colon < 0 ? [...existing] : spec.slice(colon + 1).split(",").map((p) => Number(p.trim()));
    for (const partition of wanted) {
      if (!Number.isInteger(partition) || !existing.has(partition)) throw new GroupCommandError(`--topic ${spec}: ${topic} has no partition ${partition} (it has ${existing.size})`);
      selected.set(tpKey(topic, partition), { topic, partition });
    }
  }
  return [...selected.values()];
}

/**
 * The new offset of every selected partition, as kafka-consumer-groups --reset-offsets computes
 * it: targets outside the log are clamped to its start or end, a time after the last record
 * means the end, and --shift-by needs a committed offset to shift. Refuses a group with members.
 */
export async function planReset(c: KafkaConnection, group: string, topics: string[], target: ResetTarget): Promise<ResetRow[]> {
  const members = await describeMembers(c, group);
  if (members && members.members.length > 0) {
    throw new GroupCommandError(
      `group ${group} is ${members.state} with ${members.members.length} member(s): offsets can only be reset while the group is inactive; stop its consumers first`,
    );
  }
  const committed = await committedOffsets(c, group);
  const partitions = await selectPartitions(c, group, topics, committed);
  const [starts, ends] = await Promise.all([listOffsets(c, partitions, EARLIEST), listOffsets(c, partitions, LATEST)]);
  const byTime = target.kind === "datetime" ? await listOffsets(c, partitions, target.timestampMs) : null;
  const rows = partitions.map((tp): ResetRow => {
    const key = tpKey(tp.topic, tp.partition);
    const start = starts.get(key)!;
    const end = ends.get(key)!;
    const current = committed.get(key)?.offset ?? null;
    let wanted: bigint;
    switch (target.kind) {
      case "earliest":
        wanted = start;
        break;
      case "latest":
        wanted = end;
        break;
      case "offset":
        wanted = target.offset;
        break;
      case "datetime": {
        const found = byTime!.get(key)!;
        wanted = found < 0n ? end : found;
        break;
      }
      case "shift":
        if (current === null) throw new GroupCommandError(`--shift-by: group ${group} has no committed offset for ${tp.topic}-${tp.partition} to shift`);
        wanted = current + target.by;
        break;
    }
    const newOffset = wanted < start ? start : wanted > end ? end : wanted;
    return { ...tp, currentOffset: current, newOffset };
  });
  return sortPartitions(rows);
}

/** Commits the planned offsets as an admin does: outside group management (generation -1, no member). */
export async function commitReset(c: KafkaConnection, group: string, rows: ResetRow[]): Promise<void> {
  const byTopic = Map.groupBy(rows, (r) => r.topic);
  const response = await c.request(ApiKey.OffsetCommit, 9, {
    groupId: group,
    generationIdOrMemberEpoch: -1,
    memberId: "",
    groupInstanceId: null,
    topics: [...byTopic].map(([name, rs]) => ({
      name,
      partitions: rs.map((r) => ({ partitionIndex: r.partition, committedOffset: r.newOffset, committedLeaderEpoch: -1, committedMetadata: "" })),
    })),
  });
  for (const t of response.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw new GroupCommandError(`commit offset of group ${group} for ${t.name}-${p.partitionIndex}: ${errorName(p.errorCode)}`);
    }
  }
}
