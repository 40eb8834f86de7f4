// What a producer or consumer needs to know of a topic before it starts: its partitions.
import { ErrorCode, errorName } from "../protocol/error-codes.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import type { KafkaConnection } from "./kafka-connection.ts";

/** Kafka's retry.backoff.ms default, between metadata attempts while a topic is being created. */
const RETRY_BACKOFF_MS = 100;
const ATTEMPTS = 50;

export class TopicMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TopicMetadataError";
  }
}

/**
 * The topic's partition count. With `autoCreate`, asks the broker to create a missing topic
 * (as Kafka clients do through Metadata), and waits while it reports the leader unavailable.
 * @throws TopicMetadataError when the topic is missing or the broker reports another error
 */
export async function partitionCount(connection: KafkaConnection, topic: string, autoCreate: boolean): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const response = await connection.request(ApiKey.Metadata, 12, {
      topics: [{ name: topic, topicId: "00000000-0000-0000-0000-000000000000" }],
      allowAutoTopicCreation: autoCreate,
      includeTopicAuthorizedOperations: false,
    });
    const found = response.topics.find((t) => t.name === topic);
    const errorCode = found?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (found && errorCode === ErrorCode.NONE && found.partitions.length > 0) return found.partitions.length;
    const retriable = errorCode === ErrorCode.LEADER_NOT_AVAILABLE || (autoCreate && errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    if (!retriable || attempt === ATTEMPTS) throw new TopicMetadataError(`topic ${topic}: ${errorName(errorCode)}`);
    await Bun.sleep(RETRY_BACKOFF_MS);
  }
}
