import { ApiKey } from "../protocol/generated/apis.ts";
import type { DescribeConfigsRequest, DescribeConfigsResponse } from "../protocol/generated/describe-configs.ts";
import type { AlterConfigsRequest, AlterConfigsResponse } from "../protocol/generated/alter-configs.ts";
import type {
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
} from "../protocol/generated/incremental-alter-configs.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { AclOperation, CLUSTER_NAME, ResourceType as AclResource } from "../protocol/acl-codes.ts";
import type { Topic } from "../storage/storage.ts";
import type { BrokerContext, RequestContext } from "./context.ts";
import { errorCodeOf, messageOf } from "./error-mapping.ts";
import { defineApi } from "./handler.ts";
import {
  ConfigSource,
  ConfigType,
  InvalidConfigError,
  TOPIC_CONFIGS,
  isListConfig,
  validateTopicConfig,
  validateTopicConfigSet,
} from "./topic-config.ts";

const ResourceType = { TOPIC: 2, BROKER: 4, GROUP: 32 } as const;
/** DescribeConfigs' source of a config set on a group (KIP-848). */
const GROUP_CONFIG_SOURCE = 8;
const EMPTY_GROUP_NAME = "The group name must not be empty.";
const AlterOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

type ConfigResult = DescribeConfigsResponse["results"][number]["configs"][number];

/** Kafka's check for describing or altering a config resource: the error it answers, or NONE. */
function configAuthorization(rc: RequestContext, operation: number, resourceType: number, resourceName: string): number {
  if (resourceType === ResourceType.TOPIC) {
    return rc.authz.allows(operation, AclResource.TOPIC, resourceName) ? ErrorCode.NONE : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  }
  if (resourceType === ResourceType.BROKER) {
    return rc.authz.allows(operation, AclResource.CLUSTER, CLUSTER_NAME) ? ErrorCode.NONE : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  }
  if (resourceType === ResourceType.GROUP) {
    return rc.authz.allows(operation, AclResource.GROUP, resourceName) ? ErrorCode.NONE : ErrorCode.GROUP_AUTHORIZATION_FAILED;
  }
  return ErrorCode.NONE;
}

/** Broker-level settings a client may ask about; they are fixed for a tansu broker. */
function brokerConfigs(ctx: BrokerContext): Record<string, [string, number]> {
  return {
    "broker.id": [String(ctx.config.nodeId), ConfigType.INT],
    "auto.create.topics.enable": [String(ctx.config.autoCreateTopics), ConfigType.BOOLEAN],
    "num.partitions": [String(ctx.config.defaultPartitions), ConfigType.INT],
    "default.replication.factor": ["1", ConfigType.SHORT],
    "message.max.bytes": [TOPIC_CONFIGS["max.message.bytes"]!.defaultValue, ConfigType.INT],
    "log.retention.ms": [TOPIC_CONFIGS["retention.ms"]!.defaultValue, ConfigType.LONG],
    "log.retention.bytes": [TOPIC_CONFIGS["retention.bytes"]!.defaultValue, ConfigType.LONG],
    "log.cleanup.policy": [TOPIC_CONFIGS["cleanup.policy"]!.defaultValue, ConfigType.LIST],
    "socket.request.max.bytes": [String(ctx.config.maxRequestBytes), ConfigType.INT],
  };
}

/** A topic config entry as Kafka's ConfigHelper reports it: the topic's own value first among its synonyms, then the broker's. */
function describeTopic(topic: Topic, keys: string[] | null, includeSynonyms: boolean): ConfigResult[] {
  const names = keys ?? Object.keys(TOPIC_CONFIGS);
  return names
    .filter((name) => name in TOPIC_CONFIGS)
    .map((name) => {
      const def = TOPIC_CONFIGS[name]!;
      const explicit = topic.configs[name];
      const synonyms = [
        ...(explicit !== undefined ? [{ name, value: explicit, source: ConfigSource.DYNAMIC_TOPIC_CONFIG }] : []),
        ...(def.synonym ? [{ name: def.synonym, value: def.defaultValue, source: ConfigSource.DEFAULT_CONFIG }] : []),
      ];
      const configSource = synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG;
      return {
        name,
        value: explicit ?? def.defaultValue,
        readOnly: false,
        isDefault: configSource === ConfigSource.DEFAULT_CONFIG,
        configSource,
        isSensitive: false,
        synonyms: includeSynonyms ? synonyms : [],
        configType: def.type,
        documentation: null,
      };
    });
}

/** DescribeConfigs on a GROUP resource; the group config code loads on first use. */
async function describeGroup(ctx: BrokerContext, groupId: string, keys: string[] | null, synonyms: boolean): Promise<ConfigResult[]> {
  const { describeGroupConfigs } = await import("./groups/group-configs.ts");
  return (await describeGroupConfigs(ctx, groupId, keys)).map(({ name, value, isDefault, configType }) => {
    const source = isDefault ? ConfigSource.DEFAULT_CONFIG : GROUP_CONFIG_SOURCE;
    return {
      name,
      value,
      readOnly: false,
      isDefault,
      configSource: source,
      isSensitive: false,
      synonyms: synonyms ? [{ name, value, source }] : [],
      configType,
      documentation: null,
    };
  });
}

export const describeConfigsApi = defineApi<DescribeConfigsRequest, DescribeConfigsResponse>({
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, request, rc) {
    const results: DescribeConfigsResponse["results"] = [];
    for (const r of request.resources) {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const refused = configAuthorization(rc, AclOperation.DESCRIBE_CONFIGS, r.resourceType, r.resourceName);
      if (refused !== ErrorCode.NONE) {
        results.push({ ...base, errorCode: refused, errorMessage: null, configs: [] });
        continue;
      }
      try {
        if (r.resourceType === ResourceType.TOPIC) {
          const topic = await ctx.storage.getTopic({ name: r.resourceName });
          if (!topic) {
            results.push({ ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${r.resourceName}' does not exist.`, configs: [] });
            continue;
          }
          const configs = describeTopic(topic, r.configurationKeys, request.includeSynonyms ?? false);
          results.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs });
        } else if (r.resourceType === ResourceType.BROKER) {
          if (r.resourceName !== "" && r.resourceName !== String(ctx.config.nodeId)) {
            results.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id ${r.resourceName}`, configs: [] });
            continue;
          }
          const all = brokerConfigs(ctx);
          const configs = Object.entries(all)
            .filter(([name]) => !r.configurationKeys || r.configurationKeys.includes(name))
            .map(([name, [value, configType]]) => ({
              name,
              value,
              readOnly: true,
              isDefault: false,
              configSource: ConfigSource.STATIC_BROKER_CONFIG,
              isSensitive: false,
              synonyms: [],
              configType,
              documentation: null,
            }));
          results.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs });
        } else if (r.resourceType === ResourceType.GROUP) {
          if (r.resourceName === "") {
            results.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: EMPTY_GROUP_NAME, configs: [] });
            continue;
          }
          const configs = await describeGroup(ctx, r.resourceName, r.configurationKeys, request.includeSynonyms ?? false);
          results.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs });
        } else {
          results.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${r.resourceType}`, configs: [] });
        }
      } catch (error) {
        results.push({ ...base, errorCode: errorCodeOf(error, `describe configs ${r.resourceName}`), errorMessage: messageOf(error), configs: [] });
      }
    }
    return { throttleTimeMs: 0, results };
  },
});

type Alteration = { name: string; op: number; value: string | null };

const OP_NAMES: Record<number, string> = { [AlterOp.APPEND]: "APPEND", [AlterOp.SUBTRACT]: "SUBTRACT" };

/** Applies alterations to a copy of the topic's configs, checked as Kafka's controller does. @throws InvalidConfigError */
function applyAlterations(current: Record<string, string>, alterations: Alteration[], replaceAll: boolean): Record<string, string> {
  const next: Record<string, string> = replaceAll ? {} : { ...current };
  for (const { name, op, value } of alterations) {
    if (!(name in TOPIC_CONFIGS)) throw new InvalidConfigError(`Unknown topic config name: ${name}`);
    switch (op) {
      case AlterOp.SET:
        next[name] = validateTopicConfig(name, value);
        break;
      case AlterOp.DELETE:
        delete next[name];
        break;
      case AlterOp.APPEND:
      case AlterOp.SUBTRACT: {
        if (!isListConfig(name)) throw new InvalidConfigError(`Can't ${OP_NAMES[op]} to key ${name} because its type is not LIST.`);
        const existing = (next[name] ?? TOPIC_CONFIGS[name]!.defaultValue).split(",").filter(Boolean);
        const items = (value ?? "").split(",");
        const merged = op === AlterOp.APPEND ? [...existing, ...items.filter((i) => !existing.includes(i))] : existing.filter((e) => !items.includes(e));
        next[name] = validateTopicConfig(name, merged.join(","));
        break;
      }
      default:
        throw new InvalidConfigError(`Unknown config operation ${op}`);
    }
  }
  validateTopicConfigSet(next);
  return next;
}

async function alterResource(
  ctx: BrokerContext,
  rc: RequestContext,
  resourceType: number,
  resourceName: string,
  alterations: Alteration[],
  replaceAll: boolean,
  validateOnly: boolean,
) {
  const base = { resourceType, resourceName };
  const refused = configAuthorization(rc, AclOperation.ALTER_CONFIGS, resourceType, resourceName);
  if (refused !== ErrorCode.NONE) return { ...base, errorCode: refused, errorMessage: null };
  if (resourceType === ResourceType.GROUP) {
    if (resourceName === "") return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: EMPTY_GROUP_NAME };
    return alterGroup(ctx, resourceName, alterations, replaceAll, validateOnly);
  }
  if (resourceType !== ResourceType.TOPIC) {
    return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Only topic and group configs can be altered on tansu" };
  }
  try {
    const topic = await ctx.storage.getTopic({ name: resourceName });
    if (!topic) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${resourceName}' does not exist.` };
    const next = applyAlterations(topic.configs, alterations, replaceAll);
    if (!validateOnly) await ctx.storage.setTopicConfigs(resourceName, next);
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (error) {
    if (error instanceof InvalidConfigError) return { ...base, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: error.message };
    return { ...base, errorCode: errorCodeOf(error, `alter configs ${resourceName}`), errorMessage: messageOf(error) };
  }
}

async function alterGroup(ctx: BrokerContext, groupId: string, alterations: Alteration[], replaceAll: boolean, validateOnly: boolean) {
  const base = { resourceType: ResourceType.GROUP, resourceName: groupId };
  const { alterGroupConfigs, InvalidGroupConfigError } = await import("./groups/group-configs.ts");
  try {
    await alterGroupConfigs(ctx, groupId, alterations, replaceAll, validateOnly);
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (error) {
    if (error instanceof InvalidGroupConfigError) return { ...base, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: error.message };
    return { ...base, errorCode: errorCodeOf(error, `alter configs of group ${groupId}`), errorMessage: messageOf(error) };
  }
}

export const alterConfigsApi = defineApi<AlterConfigsRequest, AlterConfigsResponse>({
  apiKey: ApiKey.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request, rc) {
    const responses: AlterConfigsResponse["responses"] = [];
    for (const r of request.resources) {
      // The legacy AlterConfigs replaces the whole set: configs left out revert to defaults.
      const alterations = r.configs.map((c) => ({ name: c.name, op: AlterOp.SET, value: c.value }));
      responses.push(await alterResource(ctx, rc, r.resourceType, r.resourceName, alterations, true, request.validateOnly));
    }
    return { throttleTimeMs: 0, responses };
  },
});

export const incrementalAlterConfigsApi = defineApi<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>({
  apiKey: ApiKey.IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request, rc) {
    const responses: IncrementalAlterConfigsResponse["responses"] = [];
    for (const r of request.resources) {
      const alterations = r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value }));
      responses.push(await alterResource(ctx, rc, r.resourceType, r.resourceName, alterations, false, request.validateOnly));
    }
    return { throttleTimeMs: 0, responses };
  },
});
