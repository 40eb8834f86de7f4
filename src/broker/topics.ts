import { ApiKey } from "../protocol/generated/apis.ts";
import type { CreateTopicsRequest, CreateTopicsResponse } from "../protocol/generated/create-topics.ts";
import type { DeleteTopicsRequest, DeleteTopicsResponse } from "../protocol/generated/delete-topics.ts";
import type { CreatePartitionsRequest, CreatePartitionsResponse } from "../protocol/generated/create-partitions.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { AclOperation, CLUSTER_NAME, ResourceType } from "../protocol/acl-codes.ts";
import { TopicExistsError } from "../storage/errors.ts";
import { ZERO_UUID } from "../protocol/reader.ts";
import type { BrokerContext, RequestContext } from "./context.ts";
import { errorCodeOf, messageOf } from "./error-mapping.ts";
import { defineApi } from "./handler.ts";
import {
  createPartitionsAssignmentError,
  createTopicAssignment,
  isAssignmentError,
  type AssignedTopic,
  type AssignmentError,
} from "./replica-assignment.ts";
import { ConfigSource, InvalidConfigError, TOPIC_CONFIGS, invalidTopicName, validateTopicConfig, validateTopicConfigSet } from "./topic-config.ts";

type CreatableTopicResult = CreateTopicsResponse["topics"][number];

function topicError(name: string, errorCode: number, errorMessage: string | null): CreatableTopicResult {
  return { name, topicId: ZERO_UUID, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null };
}

const alreadyExists = (name: string) => topicError(name, ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);

/** The node ids a client may name in a replica assignment: the one broker this broker reports in Metadata. */
const assignableNodeIds = (ctx: BrokerContext): ReadonlySet<number> => new Set([ctx.config.nodeId]);

/** Partitions and replication factor of a new topic, or why Kafka's controller refuses them (its order and messages). */
function topicShape(ctx: BrokerContext, t: CreateTopicsRequest["topics"][number]): AssignedTopic | AssignmentError {
  if (t.assignments.length > 0) return createTopicAssignment(t, assignableNodeIds(ctx));
  if (t.replicationFactor < -1 || t.replicationFactor === 0) {
    return { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, message: "Replication factor must be larger than 0, or -1 to use the default value." };
  }
  if (t.numPartitions < -1 || t.numPartitions === 0) {
    return { errorCode: ErrorCode.INVALID_PARTITIONS, message: "Number of partitions was set to an invalid non-positive value." };
  }
  // Every broker serves every partition from the shared store: one replica, whatever was asked for.
  return { partitions: t.numPartitions === -1 ? ctx.config.defaultPartitions : t.numPartitions, replicationFactor: 1 };
}

async function createOne(
  ctx: BrokerContext,
  rc: RequestContext,
  t: CreateTopicsRequest["topics"][number],
  validateOnly: boolean,
): Promise<CreatableTopicResult> {
  // CREATE on the cluster covers every topic; otherwise the topic itself needs it.
  if (!rc.authz.allows(AclOperation.CREATE, ResourceType.CLUSTER, CLUSTER_NAME) && !rc.authz.allows(AclOperation.CREATE, ResourceType.TOPIC, t.name)) {
    return topicError(t.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, "Authorization failed.");
  }
  const problem = invalidTopicName(t.name);
  if (problem) return topicError(t.name, ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
  const configs: Record<string, string> = {};
  try {
    // Kafka reports an existing topic before looking at its configs or partitions.
    if (await ctx.storage.getTopic({ name: t.name })) return alreadyExists(t.name);
    for (const { name, value } of t.configs) configs[name] = validateTopicConfig(name, value);
    validateTopicConfigSet(configs);
  } catch (error) {
    if (error instanceof InvalidConfigError) return topicError(t.name, ErrorCode.INVALID_CONFIG, error.message);
    return topicError(t.name, errorCodeOf(error, `create topic ${t.name}`), messageOf(error));
  }
  const shape = topicShape(ctx, t);
  if (isAssignmentError(shape)) return topicError(t.name, shape.errorCode, shape.message);
  try {
    const topicId = validateOnly ? ZERO_UUID : (await ctx.storage.createTopic({ name: t.name, partitions: shape.partitions, configs })).id;
    // The created topic's configs are shown only to a principal that may describe them.
    if (!rc.authz.allows(AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, t.name)) {
      return { name: t.name, topicId, errorCode: ErrorCode.NONE, errorMessage: null, numPartitions: shape.partitions, replicationFactor: shape.replicationFactor, configs: null, topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
    }
    return {
      name: t.name,
      topicId,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      numPartitions: shape.partitions,
      replicationFactor: shape.replicationFactor,
      configs: Object.keys(TOPIC_CONFIGS)
        .sort()
        .map((name) => ({
          name,
          value: configs[name] ?? TOPIC_CONFIGS[name]!.defaultValue,
          readOnly: false,
          configSource: name in configs ? ConfigSource.DYNAMIC_TOPIC_CONFIG : ConfigSource.DEFAULT_CONFIG,
          isSensitive: false,
        })),
    };
  } catch (error) {
    // Another broker created it between the look above and now.
    if (error instanceof TopicExistsError) return alreadyExists(t.name);
    return topicError(t.name, errorCodeOf(error, `create topic ${t.name}`), messageOf(error));
  }
}

export const createTopicsApi = defineApi<CreateTopicsRequest, CreateTopicsResponse>({
  apiKey: ApiKey.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  async handle(ctx, request, rc) {
    const seen = new Map<string, number>();
    for (const t of request.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    const topics: CreatableTopicResult[] = [];
    for (const t of request.topics) {
      // Kafka rejects every occurrence of a name given twice in one request.
      if (seen.get(t.name)! > 1) {
        topics.push(topicError(t.name, ErrorCode.INVALID_REQUEST, `Create topics request from client contains a duplicate topic ${t.name}`));
        continue;
      }
      topics.push(await createOne(ctx, rc, t, request.validateOnly ?? false));
    }
    return { throttleTimeMs: 0, topics };
  },
});

/**
 * Kafka's order for DeleteTopics: an id must resolve and its topic be describable (else the
 * name is withheld), then DELETE is needed. Null when the deletion may go ahead.
 */
async function deleteRefusal(ctx: BrokerContext, rc: RequestContext, name: string | null, topicId: string): Promise<DeleteTopicsResponse["responses"][number] | null> {
  const refused = (shownName: string | null) => ({ name: shownName, topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: "Authorization failed." });
  if (name !== null) return rc.authz.allows(AclOperation.DELETE, ResourceType.TOPIC, name) ? null : refused(name);
  const topic = await ctx.storage.getTopic({ id: topicId });
  if (!topic) return null;
  if (!rc.authz.allows(AclOperation.DESCRIBE, ResourceType.TOPIC, topic.name)) return refused(null);
  return rc.authz.allows(AclOperation.DELETE, ResourceType.TOPIC, topic.name) ? null : refused(topic.name);
}

export const deleteTopicsApi = defineApi<DeleteTopicsRequest, DeleteTopicsResponse>({
  apiKey: ApiKey.DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, request, rc) {
    const wanted =
      rc.apiVersion >= 6
        ? (request.topics ?? []).map((t) => ({ name: t.name ?? null, topicId: t.topicId ?? ZERO_UUID }))
        : (request.topicNames ?? []).map((name) => ({ name, topicId: ZERO_UUID }));
    const responses: DeleteTopicsResponse["responses"] = [];
    for (const { name, topicId } of wanted) {
      const byId = name === null;
      try {
        if (byId && topicId === ZERO_UUID) {
          responses.push({ name, topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Neither topic name nor id given" });
          continue;
        }
        const refusal = await deleteRefusal(ctx, rc, name, topicId);
        if (refusal) {
          responses.push(refusal);
          continue;
        }
        const deleted = await ctx.storage.deleteTopic(byId ? { id: topicId } : { name: name! });
        if (deleted) responses.push({ name: deleted.name, topicId: deleted.id, errorCode: ErrorCode.NONE, errorMessage: null });
        else
          responses.push({
            name,
            topicId,
            errorCode: byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            errorMessage: byId ? "This server does not host this topic ID." : "This server does not host this topic-partition.",
          });
      } catch (error) {
        responses.push({ name, topicId, errorCode: errorCodeOf(error, `delete topic ${name ?? topicId}`), errorMessage: messageOf(error) });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
});

/** One topic of a CreatePartitions request, checked as Kafka's controller does; null error message on success. */
async function createPartitionsFor(
  ctx: BrokerContext,
  t: CreatePartitionsRequest["topics"][number],
  validateOnly: boolean,
): Promise<{ errorCode: number; errorMessage: string | null }> {
  const topic = await ctx.storage.getTopic({ name: t.name });
  if (!topic) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${t.name}' does not exist.` };
  if (t.count === topic.partitions) {
    return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `Topic already has ${topic.partitions} partition(s).` };
  }
  if (t.count < topic.partitions) {
    return {
      errorCode: ErrorCode.INVALID_PARTITIONS,
      errorMessage: `The topic ${t.name} currently has ${topic.partitions} partition(s); ${t.count} would not be an increase.`,
    };
  }
  if (t.assignments !== null) {
    // Metadata reports one replica (this broker) for every partition, so new ones must have one too.
    const refused = createPartitionsAssignmentError(t.assignments, t.count - topic.partitions, 1, assignableNodeIds(ctx));
    if (refused) return { errorCode: refused.errorCode, errorMessage: refused.message };
  }
  if (!validateOnly) await ctx.storage.createPartitions(t.name, t.count);
  return { errorCode: ErrorCode.NONE, errorMessage: null };
}

export const createPartitionsApi = defineApi<CreatePartitionsRequest, CreatePartitionsResponse>({
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request, rc) {
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results: CreatePartitionsResponse["results"] = [];
    for (const t of request.topics) {
      // Kafka answers a name given twice once, with INVALID_REQUEST, and acts on neither.
      if (counts.get(t.name)! > 1) {
        if (!results.some((r) => r.name === t.name)) results.push({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Duplicate topic name." });
        continue;
      }
      if (!rc.authz.allows(AclOperation.ALTER, ResourceType.TOPIC, t.name)) {
        results.push({ name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: "The topic authorization is failed." });
        continue;
      }
      try {
        results.push({ name: t.name, ...(await createPartitionsFor(ctx, t, request.validateOnly)) });
      } catch (error) {
        results.push({ name: t.name, errorCode: errorCodeOf(error, `create partitions ${t.name}`), errorMessage: messageOf(error) });
      }
    }
    return { throttleTimeMs: 0, results };
  },
});
