import { consola } from "../../log.ts";
import { decodeConsumerProtocolSubscription } from "../../protocol/generated/consumer-protocol-subscription.ts";
import { ProtocolError } from "../../protocol/errors.ts";
import { Reader } from "../../protocol/reader.ts";
import { metadataFor } from "./classic-group.ts";
import type { GroupRecord } from "./group-store.ts";

/**
 * The topics a group's members consume, as OffsetDelete must know them: from the KIP-848
 * subscriptions, or for a classic "consumer" group from the ConsumerProtocolSubscription each
 * member sent with its chosen protocol. Other classic protocols (Connect, Streams' own) are opaque.
 */
export function subscribedTopics(group: Exclude<GroupRecord, { type: "share" }>): Set<string> {
  const topics = new Set<string>();
  if (group.type === "consumer") {
    for (const m of group.members) for (const t of m.subscribedTopicNames) topics.add(t);
    for (const t of Object.keys(group.subscribedTopics)) topics.add(t);
    return topics;
  }
  for (const m of group.members) {
    const metadata = metadataFor(m, group.protocolName);
    if (metadata.length < 2) continue;
    try {
      const r = new Reader(metadata);
      r.readInt16(); // every version begins with the topic list, which is all we need
      for (const t of decodeConsumerProtocolSubscription(r, 0).topics) topics.add(t);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      consola.warn(`group ${group.groupId}: member ${m.memberId} sent an unreadable subscription: ${error.message}`);
    }
  }
  return topics;
}
