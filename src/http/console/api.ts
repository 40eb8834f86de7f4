// The console's JSON endpoints under /ui/api/. They read through the broker's own layers (the
// store behind the Storage contract, group records as the coordinator keeps them), exactly what
// the Kafka APIs would answer, and every one asks authorizeConsole first.
import type { BrokerContext } from "../../broker/context.ts";
import { groupLag } from "../../broker/groups/group-lag.ts";
import { listGroupViews, readGroupView } from "../../broker/groups/group-view.ts";
import { TOPIC_CONFIGS } from "../../broker/topic-config.ts";
import { StorageUnavailableError, UnknownTopicError } from "../../storage/errors.ts";
import { authorizeConsole } from "./access.ts";
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

async function topics(ctx: BrokerContext, request: Request) {
  const all = (await ctx.storage.listTopics()).sort((a, b) => (a.name < b.name ? -1 : 1));
  const allowed = [];
  for (const t of all) {
    if (await authorizeConsole(request, { type: "topic", name: t.name })) allowed.push({ name: t.name, id: t.id, partitions: t.partitions, configs: t.configs });
  }
  return allowed;
}

async function topic(ctx: BrokerContext, name: string) {
  const t = await ctx.storage.getTopic({ name });
  if (!t) throw new ApiError(404, `no topic ${name}`);
  const partitions = [];
  for (let partition = 0; partition < t.partitions; partition++) {
    partitions.push({ partition, ...(await ctx.storage.offsets({ topic: name, partition })) });
  }
  const configs = Object.keys(TOPIC_CONFIGS)
    .sort()
    .map((key) => ({ name: key, value: t.configs[key] ?? TOPIC_CONFIGS[key]!.defaultValue, isDefault: !(key in t.configs) }));
  return { name: t.name, id: t.id, partitions, configs, schemas: await topicSchemas(ctx, name) };
}

async function groups(ctx: BrokerContext, request: Request) {
  const allowed = [];
  for (const g of await listGroupViews(ctx)) if (await authorizeConsole(request, { type: "group", name: g.groupId })) allowed.push(g);
  return allowed;
}

async function group(ctx: BrokerContext, groupId: string) {
  const view = await readGroupView(ctx, groupId);
  const offsets = await groupLag(ctx, groupId);
  if (!view && offsets.length === 0) throw new ApiError(404, `no group ${groupId}`);
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

async function forbidden(request: Request, resource: Parameters<typeof authorizeConsole>[1], operation: "describe" | "read" = "describe"): Promise<void> {
  if (!(await authorizeConsole(request, resource, operation))) throw new ApiError(403, "not authorized");
}

/** Answers GET /ui/api/...; `path` is what follows /ui/api/. */
export async function consoleApi(ctx: BrokerContext, version: string, request: Request, url: URL, path: string): Promise<Response> {
  const parts = path.split("/").filter((p) => p !== "").map(decodeURIComponent);
  try {
    if (parts.length === 1 && parts[0] === "cluster") {
      await forbidden(request, { type: "cluster" });
      return json(await cluster(ctx, version));
    }
    if (parts.length === 1 && parts[0] === "topics") return json(await topics(ctx, request));
    if (parts.length === 2 && parts[0] === "topics") {
      await forbidden(request, { type: "topic", name: parts[1]! });
      return json(await topic(ctx, parts[1]!));
    }
    if (parts.length === 5 && parts[0] === "topics" && parts[2] === "partitions" && parts[4] === "records") {
      const [, name, , partitionText] = parts as [string, string, string, string];
      await forbidden(request, { type: "topic", name }, "read");
      if (!/^\d+$/.test(partitionText)) throw new ApiError(400, "partition must be a non-negative integer");
      const from = integer(url, "offset", 0n);
      const limit = Number(integer(url, "limit", BigInt(DEFAULT_PAGE), BigInt(MAX_RECORDS)));
      return json(await browseRecords(ctx, name, Number(partitionText), from, limit));
    }
    if (parts.length === 1 && parts[0] === "groups") return json(await groups(ctx, request));
    if (parts.length === 2 && parts[0] === "groups") {
      await forbidden(request, { type: "group", name: parts[1]! });
      return json(await group(ctx, parts[1]!));
    }
    throw new ApiError(404, `no console endpoint /ui/api/${path}`);
  } catch (error) {
    if (error instanceof ApiError) return Response.json({ error: error.message }, { status: error.status });
    if (error instanceof UnknownTopicError) return Response.json({ error: error.message }, { status: 404 });
    if (error instanceof StorageUnavailableError) return Response.json({ error: `the store is unavailable: ${error.message}` }, { status: 503 });
    throw error;
  }
}
