// What Metadata answers while the store cannot be read. Kafka clients take a topic-level error
// without partitions as permanent (librdkafka fails every record it has queued for the topic),
// whereas a partition without a leader only makes them wait and ask again. So a broker
// remembers the topics it last described and, while the store is unavailable, describes them
// with every partition leaderless (LEADER_NOT_AVAILABLE), as Kafka reports partitions whose
// log directory went offline. Nothing is decided from this memory: it only shapes an error.

import { ErrorCode } from "../protocol/error-codes.ts";
import type { MetadataResponseTopic } from "../protocol/generated/metadata.ts";
import { StorageUnavailableError } from "../storage/errors.ts";
import type { Topic } from "../storage/storage.ts";
import type { BrokerContext } from "./context.ts";

const described = new WeakMap<BrokerContext, Map<string, Topic>>();

function topicsOf(ctx: BrokerContext): Map<string, Topic> {
  let topics = described.get(ctx);
  if (!topics) described.set(ctx, (topics = new Map()));
  return topics;
}

export function rememberDescribed(ctx: BrokerContext, topic: Topic): void {
  topicsOf(ctx).set(topic.name, topic);
}

export function forgetDescribed(ctx: BrokerContext, name: string): void {
  topicsOf(ctx).delete(name);
}

/** The topics to describe leaderless when `error` is the store being unavailable: `name`'s, or all. */
export function describedBefore(ctx: BrokerContext, error: unknown, name?: string): Topic[] {
  if (!(error instanceof StorageUnavailableError)) return [];
  const topics = topicsOf(ctx);
  if (name === undefined) return [...topics.values()];
  const topic = topics.get(name);
  return topic ? [topic] : [];
}

export function leaderless(topic: Topic): MetadataResponseTopic["partitions"] {
  return Array.from({ length: topic.partitions }, (_, partitionIndex) => ({
    errorCode: ErrorCode.LEADER_NOT_AVAILABLE,
    partitionIndex,
    leaderId: -1,
    leaderEpoch: -1,
    replicaNodes: [],
    isrNodes: [],
    offlineReplicas: [],
  }));
}
