// A KIP-932 share group as stored in the group record: members, the target assignment and the
// epochs. Share groups have no revocation step (several members may hold one partition), so a
// member moves to its target on its next heartbeat. Only what every group API needs lives here
// (state, expiry); joining and assignment load with the share APIs (src/broker/share).

import type { Assignment } from "./assignors.ts";
import type { SubscribedTopic } from "./consumer-group.ts";

export interface ShareMember {
  memberId: string;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  memberEpoch: number;
  subscribedTopicNames: string[];
  /** What the member has been told it consumes. */
  assigned: Assignment;
  /** Expired unless it heartbeats before this (epoch ms). */
  sessionDeadline: number;
}

export interface ShareGroup {
  type: "share";
  groupId: string;
  groupEpoch: number;
  assignmentEpoch: number;
  members: ShareMember[];
  /** Member id to its target assignment as of assignmentEpoch. */
  targetAssignment: Record<string, Assignment>;
  /** Topics the members subscribe to, by name, as of the last epoch bump. */
  subscribedTopics: Record<string, SubscribedTopic>;
}

export function newShareGroup(groupId: string): ShareGroup {
  return { type: "share", groupId, groupEpoch: 0, assignmentEpoch: 0, members: [], targetAssignment: {}, subscribedTopics: {} };
}

/** Kafka's share group states as ListGroups and ShareGroupDescribe name them. */
export function shareGroupState(group: ShareGroup): "Empty" | "Stable" {
  return group.members.length === 0 ? "Empty" : "Stable";
}

export function removeShareMember(group: ShareGroup, memberId: string): void {
  group.members = group.members.filter((m) => m.memberId !== memberId);
  delete group.targetAssignment[memberId];
  group.groupEpoch += 1;
}

/** Expires members whose session lapsed. Returns whether anything changed. */
export function tickShare(group: ShareGroup, now: number): boolean {
  const expired = group.members.filter((m) => m.sessionDeadline <= now);
  for (const m of expired) removeShareMember(group, m.memberId);
  return expired.length > 0;
}
