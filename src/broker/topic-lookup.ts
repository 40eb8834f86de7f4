import { ErrorCode } from "../protocol/error-codes.ts";
import type { Topic } from "../storage/storage.ts";
import type { BrokerContext } from "./context.ts";
import { errorCodeOf } from "./error-mapping.ts";

/** Finds a topic by name for a per-partition API: the topic, or the error code every partition gets. */
export async function lookupTopic(
  ctx: BrokerContext,
  name: string,
  purpose: string,
): Promise<{ topic: Topic; errorCode: 0 } | { topic: null; errorCode: number }> {
  try {
    const topic = await ctx.storage.getTopic({ name });
    return topic ? { topic, errorCode: ErrorCode.NONE } : { topic: null, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  } catch (error) {
    return { topic: null, errorCode: errorCodeOf(error, `${purpose} ${name}`) };
  }
}

/** The topic if `partition` exists in it. */
export function hasPartition(topic: Topic | null, partition: number): topic is Topic {
  return topic !== null && partition >= 0 && partition < topic.partitions;
}
