// What Metadata answers while the store cannot be read. Kafka clients take a topic-level error
// without partitions as permanent (librdkafka fails every record it has queued for the topic),
// whereas a partition without a leader only makes them wait and ask again. So a broker
// remembers the topics it last described and, while the store is unavailable, describes them
// with every partition leaderless (LEADER_NOT_AVAILABLE), as Kafka reports partitions whose
// log directory went offline. Nothing is decided from this memory: it only shapes an error.

import { ErrorCode } from "../protocol/error-codes.ts";
import type { MetadataResponseTopic } from "../protocol/generated/metadata.ts";
import { StorageUnavailableError } from "../storage/errors.ts";
import type { Storage, Topic } from "../storage/storage.ts";
import type { BrokerContext } from "./context.ts";

// Keyed by the store, not the context: each listener sees a context of its own (advertised address).
const described = new WeakMap<Storage, Map<string, Topic>>();

function topicsOf(ctx: BrokerContext): Map<string, Topic> {
  let topics = described.get(ctx.storage);
  if (!topics) described.set(ctx.storage, (topics = new Map()));
  return topics;
}

export function rememberDescribed(ctx: BrokerContext, topic: Topic): void {
  topicsOf(ctx).set(topic.name, topic);
}

export function forgetDescribed(ctx: BrokerContext, name: string): void {
  topicsOf(ctx).delete(name);
}

/** The topics that may be described leaderless when `error` is the store being unavailable; none for other errors. */
export function describedBefore(ctx: BrokerContext, error: unknown): Topic[] {
  return error instanceof StorageUnavailableError ? [...topicsOf(ctx).values()] : [];
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
