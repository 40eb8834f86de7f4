// A minimal Iceberg REST catalog for tests (no real one can be installed here: none is packaged
// for npm or Debian). It implements, independently of the writer, the part of
// apache/iceberg's open-api/rest-catalog-open-api.yaml a writer uses: GET /v1/config (with a
// prefix), namespaces, create/load table, and commit, which checks the requirements and applies
// the updates atomically, writing <location>/metadata/<N>-<uuid>.metadata.json. Like the
// reference implementation it assigns fresh field ids on create (top-level fields first), so a
// client must take ids from the catalog's answer rather than assume its own.

import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const PREFIX = "warehouse-1";
const BIG_IDS = /"(snapshot-id|parent-snapshot-id|current-snapshot-id)":\s*(-?\d+)/g;
const QUOTED_IDS = /"(snapshot-id|parent-snapshot-id|current-snapshot-id)":"(-?\d+)"/g;

/** Snapshot ids use all 64 bits: held as strings here, written back as numbers. */
const parse = (text: string) => JSON.parse(text.replace(BIG_IDS, '"$1":"$2"'));
const serialize = (value: unknown) => JSON.stringify(value).replace(QUOTED_IDS, '"$1":$2');

interface Table {
  metadata: Record<string, any>;
  location: string;
  version: number;
}

export interface RestCatalogServer {
  url: string;
  /** Commits refused because a requirement failed. */
  conflicts: number;
  /** Commits applied. */
  commits: number;
  /** The next this-many commits are applied but answered 503, as when a catalog loses its connection mid-commit. */
  failAfterApplying: number;
  stop(): void;
}

type Json = Record<string, any>;

function error(code: number, type: string, message: string): Response {
  return new Response(JSON.stringify({ error: { message, type, code } }), { status: code, headers: { "content-type": "application/json" } });
}

function json(body: unknown): Response {
  return new Response(serialize(body), { headers: { "content-type": "application/json" } });
}

/** Renumbers every field id breadth-first from 1, as Iceberg's TypeUtil.assignFreshIds does. */
function freshIds(schema: Json): { schema: Json; lastId: number; byOld: Map<number, number> } {
  let next = 0;
  const byOld = new Map<number, number>();
  const renumber = (type: any): any => {
    if (typeof type !== "object") return type;
    if (type.type === "struct") {
      const fields = type.fields.map((field: Json) => {
        const id = ++next;
        byOld.set(field.id, id);
        return { ...field, id };
      });
      return { ...type, fields: fields.map((field: Json) => ({ ...field, type: renumber(field.type) })) };
    }
    if (type.type === "list") {
      const elementId = ++next;
      return { ...type, "element-id": elementId, element: renumber(type.element) };
    }
    if (type.type === "map") {
      const keyId = ++next;
      const valueId = ++next;
      return { ...type, "key-id": keyId, "value-id": valueId, key: renumber(type.key), value: renumber(type.value) };
    }
    return type;
  };
  const renumbered = renumber(schema);
  return { schema: { ...renumbered, "schema-id": 0 }, lastId: next, byOld };
}

function requirementFails(table: Table, requirement: Json): string | null {
  const m = table.metadata;
  switch (requirement.type) {
    case "assert-table-uuid":
      return requirement.uuid === m["table-uuid"] ? null : "table uuid changed";
    case "assert-ref-snapshot-id": {
      const current = m.refs?.[requirement.ref]?.["snapshot-id"] ?? null;
      const wanted = requirement["snapshot-id"] === null ? null : String(requirement["snapshot-id"]);
      return current === wanted ? null : `branch ${requirement.ref} is at ${current}, not ${wanted}`;
    }
    case "assert-current-schema-id":
      return requirement["current-schema-id"] === m["current-schema-id"] ? null : "current schema changed";
    case "assert-last-assigned-field-id":
      return requirement["last-assigned-field-id"] === m["last-column-id"] ? null : "last assigned field id changed";
    default:
      return `unknown requirement ${requirement.type}`;
  }
}

function highestId(type: any): number {
  if (typeof type !== "object") return 0;
  if (type.type === "struct") return Math.max(0, ...type.fields.map((f: Json) => Math.max(f.id, highestId(f.type))));
  if (type.type === "list") return Math.max(type["element-id"], highestId(type.element));
  if (type.type === "map") return Math.max(type["key-id"], type["value-id"], highestId(type.key), highestId(type.value));
  return 0;
}

/** Each update the catalog takes, applied to a copy of the metadata; `last` is the schema id added last. */
const UPDATES: Record<string, (m: Json, update: Json, last: { schema: number }) => void> = {
  "add-schema": (m, { schema }, last) => {
    last.schema = 1 + m.schemas.reduce((max: number, s: Json) => Math.max(max, s["schema-id"]), -1);
    m.schemas = [...m.schemas, { ...schema, "schema-id": last.schema }];
    m["last-column-id"] = Math.max(m["last-column-id"], highestId(schema));
  },
  "set-current-schema": (m, update, last) => {
    m["current-schema-id"] = update["schema-id"] === -1 ? last.schema : update["schema-id"];
  },
  "add-snapshot": (m, { snapshot }) => {
    if (!(snapshot["sequence-number"] > m["last-sequence-number"])) throw new Error("sequence number does not move forward");
    m.snapshots = [...m.snapshots, snapshot];
    m["last-sequence-number"] = snapshot["sequence-number"];
  },
  "set-snapshot-ref": (m, update) => {
    const ref = update["ref-name"];
    m.refs = { ...m.refs, [ref]: { "snapshot-id": update["snapshot-id"], type: update.type } };
    if (ref !== "main") return;
    m["current-snapshot-id"] = update["snapshot-id"];
    m["snapshot-log"] = [...m["snapshot-log"], { "timestamp-ms": Date.now(), "snapshot-id": update["snapshot-id"] }];
  },
};

export function startRestCatalog(): RestCatalogServer {
  const namespaces = new Set<string>();
  const tables = new Map<string, Table>();

  const save = (table: Table): string => {
    table.version += 1;
    const location = `${table.location}/metadata/${String(table.version).padStart(5, "0")}-${randomUUID()}.metadata.json`;
    const path = fileURLToPath(location);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, serialize(table.metadata));
    return location;
  };
  const loaded = (table: Table, location: string) => ({ "metadata-location": location, metadata: table.metadata, config: {} });
  const locations = new Map<string, string>();

  const server: RestCatalogServer & { http?: ReturnType<typeof Bun.serve> } = {
    url: "",
    conflicts: 0,
    commits: 0,
    failAfterApplying: 0,
    stop: () => server.http?.stop(true),
  };

  const http = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const url = new URL(request.url);
      const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
      const body = request.method === "POST" ? parse(await request.text()) : undefined;
      if (parts[0] !== "v1") return error(404, "NotFound", url.pathname);
      if (parts[1] === "config") return json({ defaults: {}, overrides: { prefix: PREFIX } });
      if (parts[1] !== PREFIX || parts[2] !== "namespaces") return error(404, "NotFound", url.pathname);
      const namespace = parts[3];
      if (namespace === undefined && request.method === "POST") {
        const name = body.namespace.join("\u001f");
        if (namespaces.has(name)) return error(409, "AlreadyExistsException", `namespace ${name} exists`);
        namespaces.add(name);
        return json({ namespace: body.namespace, properties: body.properties ?? {} });
      }
      if (!namespace || !namespaces.has(namespace) || parts[4] !== "tables") return error(404, "NoSuchNamespaceException", `no namespace ${namespace}`);
      const name = parts[5];
      if (name === undefined && request.method === "POST") {
        const key = `${namespace}.${body.name}`;
        if (tables.has(key)) return error(409, "AlreadyExistsException", `table ${key} exists`);
        const { schema, lastId, byOld } = freshIds(body.schema);
        const spec = body["partition-spec"] ?? { "spec-id": 0, fields: [] };
        const fields = spec.fields.map((field: Json, i: number) => ({ ...field, "source-id": byOld.get(field["source-id"]), "field-id": 1000 + i }));
        const table: Table = {
          location: body.location,
          version: 0,
          metadata: {
            "format-version": 2,
            "table-uuid": randomUUID(),
            location: body.location,
            "last-sequence-number": 0,
            "last-updated-ms": Date.now(),
            "last-column-id": lastId,
            schemas: [schema],
            "current-schema-id": 0,
            "partition-specs": [{ "spec-id": 0, fields }],
            "default-spec-id": 0,
            "last-partition-id": 999 + fields.length,
            properties: body.properties ?? {},
            "current-snapshot-id": null,
            snapshots: [],
            "snapshot-log": [],
            "metadata-log": [],
            "sort-orders": [{ "order-id": 0, fields: [] }],
            "default-sort-order-id": 0,
            refs: {},
          },
        };
        tables.set(key, table);
        const location = save(table);
        locations.set(key, location);
        return json(loaded(table, location));
      }
      const key = `${namespace}.${name}`;
      const table = tables.get(key);
      if (!table) return error(404, "NoSuchTableException", `no table ${key}`);
      if (request.method === "GET") return json(loaded(table, locations.get(key)!));
      // Commit: all requirements against the current metadata, then all updates, in one step.
      for (const requirement of body.requirements) {
        const failed = requirementFails(table, requirement);
        if (failed) {
          server.conflicts++;
          return error(409, "CommitFailedException", `requirement ${requirement.type} failed: ${failed}`);
        }
      }
      const next = { ...table.metadata };
      const last = { schema: next["current-schema-id"] };
      try {
        for (const update of body.updates) {
          const apply = UPDATES[update.action];
          if (!apply) throw new Error(`unknown update ${update.action}`);
          apply(next, update, last);
        }
      } catch (e) {
        return error(400, "BadRequestException", (e as Error).message);
      }
      next["metadata-log"] = [...next["metadata-log"], { "timestamp-ms": table.metadata["last-updated-ms"], "metadata-file": locations.get(key) }];
      next["last-updated-ms"] = Date.now();
      table.metadata = next;
      const location = save(table);
      locations.set(key, location);
      server.commits++;
      if (server.failAfterApplying > 0) {
        server.failAfterApplying--;
        return error(503, "ServiceUnavailableException", "lost the connection to the store after committing");
      }
      return json(loaded(table, location));
    },
  });
  server.http = http;
  server.url = `http://127.0.0.1:${http.port}`;
  return server;
}
