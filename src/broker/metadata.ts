import { consola } from "../log.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import type { MetadataRequest, MetadataResponse, MetadataResponseTopic } from "../protocol/generated/metadata.ts";
import type { DescribeClusterRequest, DescribeClusterResponse } from "../protocol/generated/describe-cluster.ts";
import type {
  DescribeTopicPartitionsRequest,
  DescribeTopicPartitionsResponse,
  DescribeTopicPartitionsResponseTopic,
} from "../protocol/generated/describe-topic-partitions.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { AclOperation, CLUSTER_NAME, ResourceType } from "../protocol/acl-codes.ts";
import { ZERO_UUID } from "../protocol/reader.ts";
import { TopicExistsError } from "../storage/errors.ts";
import type { Topic } from "../storage/storage.ts";
import type { BrokerContext, RequestContext } from "./context.ts";
import { errorCodeOf } from "./error-mapping.ts";
import { defineApi } from "./handler.ts";
import { invalidTopicName } from "./topic-config.ts";
import { lookupTopic } from "./topic-lookup.ts";

/** Kafka's value for authorized operations the client did not ask for. */
export const OPERATIONS_NOT_REQUESTED = -2147483648;
/** Every broker leads every partition; there is one epoch because leadership never moves. */
export const LEADER_EPOCH = 0;

function partitionsOf(ctx: BrokerContext, topic: Topic) {
  const me = ctx.config.nodeId;
  return Array.from({ length: topic.partitions }, (_, partitionIndex) => ({
    errorCode: ErrorCode.NONE,
    partitionIndex,
    leaderId: me,
    leaderEpoch: LEADER_EPOCH,
    replicaNodes: [me],
    isrNodes: [me],
    offlineReplicas: [],
  }));
}

/** What the principal may do on the cluster, if it may describe it (Kafka reports 0 otherwise). */
function clusterOperations(rc: RequestContext, requested: boolean | undefined): number {
  if (!requested) return OPERATIONS_NOT_REQUESTED;
  return rc.authz.allows(AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME) ? rc.authz.operations(ResourceType.CLUSTER, CLUSTER_NAME) : 0;
}

/** Kafka lets a principal auto-create a topic with CREATE on the cluster or on that topic. */
function mayCreate(rc: RequestContext, name: string): boolean {
  return rc.authz.allows(AclOperation.CREATE, ResourceType.CLUSTER, CLUSTER_NAME) || rc.authz.allows(AclOperation.CREATE, ResourceType.TOPIC, name);
}

/** Creates a topic on first use, tolerating a concurrent creation by another broker. */
export async function autoCreateTopic(ctx: BrokerContext, name: string): Promise<Topic> {
  try {
    const topic = await ctx.storage.createTopic({ name, partitions: ctx.config.defaultPartitions, configs: {} });
    consola.info(`auto-created topic ${name} with ${topic.partitions} partition(s)`);
    return topic;
  } catch (error) {
    if (!(error instanceof TopicExistsError)) throw error;
    const topic = await ctx.storage.getTopic({ name });
    if (!topic) throw new Error(`topic ${name} vanished while being auto-created`, { cause: error });
    return topic;
  }
}

export const metadataApi = defineApi<MetadataRequest, MetadataResponse>({
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,
  async handle(ctx, request, rc) {
    const topics: MetadataResponseTopic[] = [];
    const describe = (topic: Topic): MetadataResponseTopic => ({
      errorCode: ErrorCode.NONE,
      name: topic.name,
      topicId: topic.id,
      isInternal: false,
      partitions: partitionsOf(ctx, topic),
      topicAuthorizedOperations: request.includeTopicAuthorizedOperations ? rc.authz.operations(ResourceType.TOPIC, topic.name) : OPERATIONS_NOT_REQUESTED,
    });
    const describable = (name: string) => rc.authz.allows(AclOperation.DESCRIBE, ResourceType.TOPIC, name);
    const failed = (name: string | null, topicId: string, errorCode: number): MetadataResponseTopic => ({
      errorCode,
      name,
      topicId,
      isInternal: false,
      partitions: [],
      topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED,
    });

    // v0: an empty list means all topics; v1+: null means all, empty means none.
    const all = request.topics === null || (rc.apiVersion === 0 && request.topics.length === 0);
    if (all) {
      // Topics the principal may not describe are left out, as if they did not exist.
      for (const topic of await ctx.storage.listTopics()) if (describable(topic.name)) topics.push(describe(topic));
    } else {
      const autoCreate = ctx.config.autoCreateTopics && (rc.apiVersion < 4 || request.allowAutoTopicCreation !== false);
      for (const wanted of request.topics ?? []) {
        try {
          if (wanted.name === null || wanted.name === undefined) {
            const topic = wanted.topicId && wanted.topicId !== ZERO_UUID ? await ctx.storage.getTopic({ id: wanted.topicId }) : null;
            // Kafka does not count topic ids as secret: an undescribable one is refused by id.
            if (topic && !describable(topic.name)) topics.push(failed(null, topic.id, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
            else topics.push(topic ? describe(topic) : failed(null, wanted.topicId ?? ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_ID));
            continue;
          }
          if (!describable(wanted.name)) {
            topics.push(failed(wanted.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
            continue;
          }
          const problem = invalidTopicName(wanted.name);
          if (problem) {
            topics.push(failed(wanted.name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION));
            continue;
          }
          let topic = await ctx.storage.getTopic({ name: wanted.name });
          if (!topic && autoCreate) {
            if (!mayCreate(rc, wanted.name)) {
              topics.push(failed(wanted.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
              continue;
            }
            topic = await autoCreateTopic(ctx, wanted.name);
          }
          topics.push(topic ? describe(topic) : failed(wanted.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        } catch (error) {
          topics.push(failed(wanted.name ?? null, ZERO_UUID, errorCodeOf(error, `metadata for ${wanted.name}`)));
        }
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: ctx.config.nodeId, host: ctx.config.advertisedHost, port: ctx.config.advertisedPort, rack: null }],
      clusterId: ctx.config.clusterId,
      controllerId: ctx.config.nodeId,
      topics,
      clusterAuthorizedOperations: clusterOperations(rc, request.includeClusterAuthorizedOperations),
    };
  },
});

export const describeClusterApi = defineApi<DescribeClusterRequest, DescribeClusterResponse>({
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request, rc) {
    const endpointType = request.endpointType ?? 1;
    // Endpoint type 2 asks for controllers; a tansu broker is its own controller.
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType,
      clusterId: ctx.config.clusterId,
      controllerId: ctx.config.nodeId,
      brokers: [{ brokerId: ctx.config.nodeId, host: ctx.config.advertisedHost, port: ctx.config.advertisedPort, rack: null }],
      clusterAuthorizedOperations: clusterOperations(rc, request.includeClusterAuthorizedOperations),
    };
  },
});

export const describeTopicPartitionsApi = defineApi<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>({
  apiKey: ApiKey.DescribeTopicPartitions,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request, rc) {
    const results: DescribeTopicPartitionsResponseTopic[] = [];
    let wanted: Topic[] = [];
    if (request.topics.length === 0) {
      wanted = (await ctx.storage.listTopics()).filter((t) => rc.authz.allows(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name));
    } else {
      for (const { name } of request.topics) {
        const { topic, errorCode } = !rc.authz.allows(AclOperation.DESCRIBE, ResourceType.TOPIC, name)
          ? { topic: null, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }
          : invalidTopicName(name)
            ? { topic: null, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION }
            : await lookupTopic(ctx, name, "describe partitions of");
        if (topic) wanted.push(topic);
        else
          results.push({
            errorCode,
            name,
            topicId: ZERO_UUID,
            isInternal: false,
            partitions: [],
            topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED,
          });
      }
    }
    wanted.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // Paginate by (topic, partition) as Kafka does, with the cursor naming where to resume.
    let budget = Math.max(1, request.responsePartitionLimit ?? 2000);
    let nextCursor: DescribeTopicPartitionsResponse["nextCursor"] = null;
    for (const topic of wanted) {
      if (request.cursor && topic.name < request.cursor.topicName) continue;
      const first = request.cursor && topic.name === request.cursor.topicName ? request.cursor.partitionIndex : 0;
      const partitions = partitionsOf(ctx, topic).slice(first);
      if (budget <= 0) {
        nextCursor = { topicName: topic.name, partitionIndex: first };
        break;
      }
      const taken = partitions.slice(0, budget);
      budget -= taken.length;
      results.push({
        errorCode: ErrorCode.NONE,
        name: topic.name,
        topicId: topic.id,
        isInternal: false,
        partitions: taken.map((p) => ({ ...p, eligibleLeaderReplicas: null, lastKnownElr: null })),
        topicAuthorizedOperations: rc.authz.operations(ResourceType.TOPIC, topic.name),
      });
      if (taken.length < partitions.length) {
        nextCursor = { topicName: topic.name, partitionIndex: first + taken.length };
        break;
      }
    }
    return { throttleTimeMs: 0, topics: results, nextCursor };
  },
});
