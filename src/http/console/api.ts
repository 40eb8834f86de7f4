// The console's JSON endpoints under /ui/api/. They read through the broker's own layers (the
// store behind the Storage contract, group records as the coordinator keeps them), exactly what
// the Kafka APIs would answer, and check what those APIs check for the request's principal: lists
// leave out what it may not see, a single resource it may not see answers 403.
import type { BrokerContext } from "../../broker/context.ts";
import type { RequestAuthorizer } from "../../broker/security-hooks.ts";
import { AclOperation, CLUSTER_NAME, ResourceType } from "../../protocol/acl-codes.ts";
import { groupLag } from "../../broker/groups/group-lag.ts";
import { listGroupViews, readGroupView } from "../../broker/groups/group-view.ts";
import { TOPIC_CONFIGS } from "../../broker/topic-config.ts";
import { StorageUnavailableError, UnknownTopicError } from "../../storage/errors.ts";
import { browseRecords, MAX_RECORDS } from "./records.ts";
import { topicSchemas } from "./schema-hook.ts";

const DEFAULT_PAGE = 50;

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function json(body: unknown): Response {
  return new Response(JSON.stringify(body, (_k, v) => (typeof v === "bigint" ? v.toString() : v)), {
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

async function cluster(ctx: BrokerContext, version: string) {
  const { nodeId, clusterId, advertisedHost, advertisedPort } = ctx.config;
  return { clusterId, version, storage: ctx.storage.kind, controllerId: nodeId, brokers: [{ nodeId, host: advertisedHost, port: advertisedPort }] };
}

const NOT_AUTHORIZED = "not authorized";

/** As Metadata and ListOffsets: a topic is seen with DESCRIBE; its configs, as DescribeConfigs, with DESCRIBE_CONFIGS (null without). */
const describesTopic = (authz: RequestAuthorizer, name: string) => authz.allows(AclOperation.DESCRIBE, ResourceType.TOPIC, name);
const describesConfigs = (authz: RequestAuthorizer, name: string) => authz.allows(AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, name);

async function topics(ctx: BrokerContext, authz: RequestAuthorizer) {
  return (await ctx.storage.listTopics())
    .filter((t) => describesTopic(authz, t.name))
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((t) => ({ name: t.name, id: t.id, partitions: t.partitions, configs: describesConfigs(authz, t.name) ? t.configs : null }));
}

async function topic(ctx: BrokerContext, authz: RequestAuthorizer, name: string) {
  // Refused before it is looked up, so a refusal says nothing of whether it exists.
  if (!describesTopic(authz, name)) throw new ApiError(403, NOT_AUTHORIZED);
  const t = await ctx.storage.getTopic({ name });
  if (!t) throw new ApiError(404, `no topic ${name}`);
  const partitions = [];
  for (let partition = 0; partition < t.partitions; partition++) {
    partitions.push({ partition, ...(await ctx.storage.offsets({ topic: name, partition })) });
  }
  const configs = describesConfigs(authz, name)
    ? Object.keys(TOPIC_CONFIGS)
        .sort()
        .map((key) => ({ name: key, value: t.configs[key] ?? TOPIC_CONFIGS[key]!.defaultValue, isDefault: !(key in t.configs) }))
    : null;
  return { name: t.name, id: t.id, partitions, configs, schemas: await topicSchemas(ctx, name) };
}

const describesGroup = (authz: RequestAuthorizer, groupId: string) => authz.allows(AclOperation.DESCRIBE, ResourceType.GROUP, groupId);

/** As ListGroups: DESCRIBE on the cluster shows every group, otherwise those the principal may describe. */
async function groups(ctx: BrokerContext, authz: RequestAuthorizer) {
  const everyGroup = authz.allows(AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME);
  return (await listGroupViews(ctx)).filter((g) => everyGroup || describesGroup(authz, g.groupId));
}

/**
 * As the describe APIs and OffsetFetch: DESCRIBE on the group; committed offsets only of topics the
 * principal may describe; a KIP-848 or share group whose members are assigned a topic it may not
 * describe is refused, as ConsumerGroupDescribe and ShareGroupDescribe refuse it.
 */
async function group(ctx: BrokerContext, authz: RequestAuthorizer, groupId: string) {
  if (!describesGroup(authz, groupId)) throw new ApiError(403, NOT_AUTHORIZED);
  const view = await readGroupView(ctx, groupId);
  const offsets = (await groupLag(ctx, groupId)).filter((o) => describesTopic(authz, o.topic));
  if (!view && offsets.length === 0) throw new ApiError(404, `no group ${groupId}`);
  if (view && view.type !== "classic" && view.members.some((m) => m.assignment.some((a) => !describesTopic(authz, a.topic)))) {
    throw new ApiError(403, "not authorized to describe the topics assigned in this group");
  }
  // Who consumes each partition now, for the offsets table.
  const owners = new Map<string, string>();
  for (const m of view?.members ?? []) for (const a of m.assignment) for (const p of a.partitions) owners.set(`${a.topic}:${p}`, m.clientId || m.memberId);
  return {
    ...(view ?? { groupId, type: "classic", state: "Empty", protocolType: "", assignor: null, members: [] }),
    totalLag: offsets.reduce((sum, o) => sum + o.lag, 0n),
    offsets: offsets.map((o) => ({ ...o, owner: owners.get(`${o.topic}:${o.partition}`) ?? null })),
  };
}

function integer(url: URL, name: string, fallback: bigint, max?: bigint): bigint {
  const text = url.searchParams.get(name);
  if (text === null || text === "") return fallback;
  if (!/^\d+$/.test(text)) throw new ApiError(400, `${name} must be a non-negative integer`);
  const value = BigInt(text);
  return max !== undefined && value > max ? max : value;
}

/** Answers GET /ui/api/... for a principal allowed what `authz` allows; `path` is what follows /ui/api/. */
export async function consoleApi(ctx: BrokerContext, version: string, authz: RequestAuthorizer, url: URL, path: string): Promise<Response> {
  const parts = path.split("/").filter((p) => p !== "").map(decodeURIComponent);
  try {
    // The brokers, as Metadata and DescribeCluster tell every client.
    if (parts.length === 1 && parts[0] === "cluster") return json(await cluster(ctx, version));
    if (parts.length === 1 && parts[0] === "topics") return json(await topics(ctx, authz));
    if (parts.length === 2 && parts[0] === "topics") return json(await topic(ctx, authz, parts[1]!));
    if (parts.length === 5 && parts[0] === "topics" && parts[2] === "partitions" && parts[4] === "records") {
      const [, name, , partitionText] = parts as [string, string, string, string];
      // As Fetch: READ on the topic.
      if (!authz.allows(AclOperation.READ, ResourceType.TOPIC, name)) throw new ApiError(403, NOT_AUTHORIZED);
      if (!/^\d+$/.test(partitionText)) throw new ApiError(400, "partition must be a non-negative integer");
      const from = integer(url, "offset", 0n);
      const limit = Number(integer(url, "limit", BigInt(DEFAULT_PAGE), BigInt(MAX_RECORDS)));
      return json(await browseRecords(ctx, name, Number(partitionText), from, limit));
    }
    if (parts.length === 1 && parts[0] === "groups") return json(await groups(ctx, authz));
    if (parts.length === 2 && parts[0] === "groups") return json(await group(ctx, authz, parts[1]!));
    throw new ApiError(404, `no console endpoint /ui/api/${path}`);
  } catch (error) {
    if (error instanceof ApiError) return Response.json({ error: error.message }, { status: error.status });
    if (error instanceof UnknownTopicError) return Response.json({ error: error.message }, { status: 404 });
    if (error instanceof StorageUnavailableError) return Response.json({ error: `the store is unavailable: ${error.message}` }, { status: 503 });
    throw error;
  }
}
