// Confluent Schema Registry's REST API on the broker's HTTP listener. Schemas live in the store
// (src/schema/registry), so every broker sharing it answers the same and enforces what any of them
// registered. Paths this module does not know fall through to the listener's Confluent-style 404.
import { consola } from "../log.ts";
import { RegistryError } from "../schema/registry/errors.ts";
import type { SchemaRegistry, SchemaRequest } from "../schema/registry/registry.ts";
import type { HttpRoutes } from "./server.ts";

const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

function reply(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": CONTENT_TYPE } });
}

/** A schema's own text, unescaped, as the /schema endpoints return it. */
function raw(schema: string): Response {
  return new Response(schema, { headers: { "content-type": CONTENT_TYPE } });
}

function errorReply(status: number, errorCode: number, message: string): Response {
  return reply({ error_code: errorCode, message }, status);
}

const flag = (url: URL, name: string) => url.searchParams.get(name) === "true";

async function body(request: Request): Promise<Record<string, unknown>> {
  const text = await request.text();
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RegistryError(400, 400, `Unparseable request body: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new RegistryError(400, 400, "The request body must be a JSON object");
  return parsed as Record<string, unknown>;
}

function schemaId(text: string): number {
  const id = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(id)) throw new RegistryError(404, 40403, `Schema ${text} not found`);
  return id;
}

type Handler = (request: Request, url: URL, params: string[]) => Promise<Response>;
type Methods = Partial<Record<string, Handler>>;

/** Routes by path shape; `*` matches one path segment, handed to the handler decoded. */
function routeTable(registry: SchemaRegistry): Array<[string[], Methods]> {
  return [
    [[], { GET: async () => reply({}) }],
    [["subjects"], { GET: async (_r, url) => reply(await registry.listSubjects(flag(url, "deleted"))) }],
    [
      ["subjects", "*"],
      {
        POST: async (request, url, [s]) => reply(await registry.lookup(s!, (await body(request)) as SchemaRequest, flag(url, "deleted"))),
        DELETE: async (_r, url, [s]) => reply(await registry.deleteSubject(s!, flag(url, "permanent"))),
      },
    ],
    [
      ["subjects", "*", "versions"],
      {
        GET: async (_r, url, [s]) => reply(await registry.listVersions(s!, flag(url, "deleted"))),
        POST: async (request, _u, [s]) => reply(await registry.register(s!, (await body(request)) as SchemaRequest)),
      },
    ],
    [
      ["subjects", "*", "versions", "*"],
      {
        GET: async (_r, url, [s, v]) => reply(await registry.getVersion(s!, v!, flag(url, "deleted"))),
        DELETE: async (_r, url, [s, v]) => reply(await registry.deleteVersion(s!, v!, flag(url, "permanent"))),
      },
    ],
    [["subjects", "*", "versions", "*", "schema"], { GET: async (_r, url, [s, v]) => raw((await registry.getVersion(s!, v!, flag(url, "deleted"))).schema) }],
    [["subjects", "*", "versions", "*", "referencedby"], { GET: async (_r, _u, [s, v]) => reply(await registry.referencedBy(s!, v!)) }],
    [["schemas", "types"], { GET: async () => reply(["JSON", "PROTOBUF", "AVRO"]) }],
    [["schemas", "ids", "*"], { GET: async (_r, _u, [id]) => reply(await registry.schemaById(schemaId(id!))) }],
    [["schemas", "ids", "*", "schema"], { GET: async (_r, _u, [id]) => raw((await registry.schemaById(schemaId(id!))).schema) }],
    [["schemas", "ids", "*", "versions"], { GET: async (_r, url, [id]) => reply(await registry.versionsOfId(schemaId(id!), flag(url, "deleted"))) }],
    [
      ["schemas", "ids", "*", "subjects"],
      { GET: async (_r, url, [id]) => reply([...new Set((await registry.versionsOfId(schemaId(id!), flag(url, "deleted"))).map((v) => v.subject))]) },
    ],
    [
      ["config"],
      {
        GET: async () => reply({ compatibilityLevel: await registry.compatibility(null, true) }),
        PUT: async (request) => reply({ compatibility: await registry.setCompatibility(null, (await body(request)).compatibility) }),
      },
    ],
    [
      ["config", "*"],
      {
        GET: async (_r, url, [s]) => reply({ compatibilityLevel: await registry.compatibility(s!, flag(url, "defaultToGlobal")) }),
        PUT: async (request, _u, [s]) => reply({ compatibility: await registry.setCompatibility(s!, (await body(request)).compatibility) }),
        DELETE: async (_r, _u, [s]) => reply({ compatibilityLevel: await registry.deleteCompatibility(s!) }),
      },
    ],
    [["compatibility", "subjects", "*", "versions"], { POST: (request, url, [s]) => compatibilityReply(registry, request, url, s!, null) }],
    [["compatibility", "subjects", "*", "versions", "*"], { POST: (request, url, [s, v]) => compatibilityReply(registry, request, url, s!, v!) }],
  ];
}

async function compatibilityReply(registry: SchemaRegistry, request: Request, url: URL, subject: string, version: string | null): Promise<Response> {
  const problems = await registry.checkCompatibility(subject, version, (await body(request)) as SchemaRequest);
  return reply({ is_compatible: problems.length === 0, ...(flag(url, "verbose") ? { messages: problems } : {}) });
}

function match(pattern: string[], segments: string[]): string[] | null {
  if (pattern.length !== segments.length) return null;
  const params: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === "*") params.push(segments[i]!);
    else if (pattern[i] !== segments[i]) return null;
  }
  return params;
}

/** The Schema Registry API over the registry `load` gives (loaded on the first request, not at start-up). */
export function schemaRegistryRoutes(load: () => Promise<SchemaRegistry>): HttpRoutes {
  let table: Array<[string[], Methods]> | null = null;
  return async (request, url) => {
    table ??= routeTable(await load());
    let segments: string[];
    try {
      segments = url.pathname.split("/").filter((s) => s !== "").map(decodeURIComponent);
    } catch {
      return undefined;
    }
    for (const [pattern, methods] of table) {
      const params = match(pattern, segments);
      if (!params) continue;
      const handler = methods[request.method];
      if (!handler) return errorReply(405, 405, "HTTP 405 Method Not Allowed");
      try {
        return await handler(request, url, params);
      } catch (error) {
        if (error instanceof RegistryError) return errorReply(error.status, error.errorCode, error.message);
        consola.error(`schema registry ${request.method} ${url.pathname} failed:`, error);
        return errorReply(500, 50001, `Error in the backend data store: ${(error as Error).message}`);
      }
    }
    return undefined;
  };
}
