// A group as an operator sees it (the console's group page): state, members and what each is
// assigned, by topic name, from either protocol. Read-only: due deadlines are applied to the copy
// shown, and the stored record catches up when the group is next touched, as ListGroups does.
import { decodeConsumerAssignment } from "../../protocol/consumer-protocol.ts";
import { ProtocolError } from "../../protocol/errors.ts";
import type { BrokerContext } from "../context.ts";
import type { ClassicGroup } from "./classic-group.ts";
import { toTopicPartitions, type ConsumerGroup } from "./consumer-group.ts";
import { readAllGroups, readGroup, type GroupRecord } from "./group-store.ts";
import { applyDeadlines, groupState, protocolTypeOf } from "./group-summary.ts";
import type { ShareGroup } from "./share-group.ts";

export interface TopicAssignment {
  topic: string;
  partitions: number[];
}

export interface MemberView {
  memberId: string;
  instanceId: string | null;
  clientId: string;
  clientHost: string;
  assignment: TopicAssignment[];
}

export interface GroupSummaryView {
  groupId: string;
  /** classic or consumer (KIP-848). */
  type: string;
  state: string;
  protocolType: string;
  members: number;
}

export interface GroupView extends Omit<GroupSummaryView, "members"> {
  /** The classic group's chosen protocol (e.g. range), or the KIP-848 server assignor. */
  assignor: string | null;
  members: MemberView[];
}

function summary(group: GroupRecord): GroupSummaryView {
  return { groupId: group.groupId, type: group.type, state: groupState(group), protocolType: protocolTypeOf(group), members: group.members.length };
}

export async function listGroupViews(ctx: BrokerContext): Promise<GroupSummaryView[]> {
  const now = Date.now();
  return (await readAllGroups(ctx))
    .map((group) => {
      applyDeadlines(group, now);
      return summary(group);
    })
    .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
}

/** The classic consumer protocol's assignment bytes; opaque (empty) for other protocols or unreadable bytes. */
function classicAssignment(group: ClassicGroup, bytes: Uint8Array): TopicAssignment[] {
  if (group.protocolType !== "consumer") return [];
  try {
    return decodeConsumerAssignment(bytes);
  } catch (error) {
    if (error instanceof ProtocolError) return [];
    throw error;
  }
}

/** KIP-848 consumer and KIP-932 share members: assignments by topic id, resolved to names. */
async function modernMembers(ctx: BrokerContext, group: ConsumerGroup | ShareGroup): Promise<MemberView[]> {
  const names = new Map((await ctx.storage.listTopics()).map((t) => [t.id, t.name]));
  return group.members.map((m) => ({
    memberId: m.memberId,
    instanceId: "instanceId" in m ? m.instanceId : null,
    clientId: m.clientId,
    clientHost: m.clientHost,
    assignment: toTopicPartitions(m.assigned).map(({ topicId, partitions }) => ({ topic: names.get(topicId) ?? topicId, partitions })),
  }));
}

/** The group, or null when there is none. */
export async function readGroupView(ctx: BrokerContext, groupId: string): Promise<GroupView | null> {
  const group = await readGroup(ctx, groupId);
  if (!group) return null;
  applyDeadlines(group, Date.now());
  const { members: _count, ...rest } = summary(group);
  if (group.type === "consumer") return { ...rest, assignor: group.assignorName, members: await modernMembers(ctx, group) };
  // Share groups have one assignor, Kafka's simple one (several members may share a partition).
  if (group.type === "share") return { ...rest, assignor: "simple", members: await modernMembers(ctx, group) };
  return {
    ...rest,
    assignor: group.protocolName,
    members: group.members.map((m) => ({
      memberId: m.memberId,
      instanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignment: group.state === "Stable" ? classicAssignment(group, m.assignment) : [],
    })),
  };
}
