import { ErrorCode } from "../protocol/error-codes.ts";
import type { Topic, TopicLookup } from "../storage/storage.ts";
import { ResourceType } from "../protocol/acl-codes.ts";
import type { BrokerContext, RequestContext } from "./context.ts";
import { errorCodeOf } from "./error-mapping.ts";

/**
 * Finds a topic by name (or by id, for APIs that name topics by id) for a per-partition API:
 * the topic, or the error code every partition gets.
 */
export async function lookupTopic(
  ctx: BrokerContext,
  nameOrId: string | { id: string },
  purpose: string,
  lookup?: TopicLookup,
): Promise<{ topic: Topic; errorCode: 0 } | { topic: null; errorCode: number }> {
  const byId = typeof nameOrId !== "string";
  try {
    const topic = await ctx.storage.getTopic(byId ? nameOrId : { name: nameOrId }, lookup);
    if (topic) return { topic, errorCode: ErrorCode.NONE };
    return { topic: null, errorCode: byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  } catch (error) {
    return { topic: null, errorCode: errorCodeOf(error, `${purpose} ${byId ? nameOrId.id : nameOrId}`) };
  }
}

/**
 * lookupTopic for a principal who must be allowed `operation` on the topic. A topic named by
 * name is refused before it is looked up, so the refusal says nothing of its existence; one
 * named by id must be found first to learn its name.
 */
export async function lookupAuthorizedTopic(
  ctx: BrokerContext,
  rc: RequestContext,
  operation: number,
  nameOrId: string | { id: string },
  purpose: string,
  lookup?: TopicLookup,
): Promise<{ topic: Topic; errorCode: 0 } | { topic: null; errorCode: number }> {
  const refused = { topic: null, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED } as const;
  if (typeof nameOrId === "string" && !rc.authz.allows(operation, ResourceType.TOPIC, nameOrId)) return refused;
  const found = await lookupTopic(ctx, nameOrId, purpose, lookup);
  if (found.topic && typeof nameOrId !== "string" && !rc.authz.allows(operation, ResourceType.TOPIC, found.topic.name)) return refused;
  return found;
}

/** The topic if `partition` exists in it. */
export function hasPartition(topic: Topic | null, partition: number): topic is Topic {
  return topic !== null && partition >= 0 && partition < topic.partitions;
}

/** The key of a topic-partition in maps of per-partition results. */
export function topicPartitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/**
 * The error codes of requested partitions that do not exist (an unknown topic, a failed
 * lookup, a partition past the topic's count) or whose topic is not `authorized` (those get
 * TOPIC_AUTHORIZATION_FAILED), keyed by topicPartitionKey. The rest are absent from the map.
 */
export async function missingPartitions(
  ctx: BrokerContext,
  topics: Array<{ name: string; partitions: number[] }>,
  purpose: string,
  authorized: (topic: string) => boolean = () => true,
): Promise<Map<string, number>> {
  const missing = new Map<string, number>();
  for (const t of topics) {
    const { topic, errorCode } = authorized(t.name) ? await lookupTopic(ctx, t.name, purpose) : { topic: null, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
    for (const partition of t.partitions) {
      if (!hasPartition(topic, partition)) missing.set(topicPartitionKey(t.name, partition), topic ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : errorCode);
    }
  }
  return missing;
}
