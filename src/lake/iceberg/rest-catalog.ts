// The Iceberg REST catalog protocol (apache/iceberg open-api/rest-catalog-open-api.yaml), the
// part a writer needs: GET /v1/config (for the path prefix), create namespace, create and load
// table, and commit with requirements, which the catalog checks atomically (409 when another
// commit came first). Tables so created appear in Polaris, Lakekeeper, Glue, S3 Tables, ...
//
// --iceberg-catalog http://HOST:PORT[/PATH][?warehouse=NAME]; a bearer token, when the catalog
// wants one, comes from ICEBERG_CATALOG_TOKEN.

import type { IcebergCatalog, LoadedTable, NewTable } from "./catalog.ts";
import { parseMetadata, stringifyJson, type TableMetadata, type TableRequirement, type TableUpdate } from "./metadata.ts";

export class IcebergCatalogError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "IcebergCatalogError";
  }
}

interface Response {
  status: number;
  body: unknown;
  text: string;
}

export class RestCatalog implements IcebergCatalog {
  readonly #base: string;
  readonly #warehouse: string | undefined;
  readonly #token: string | undefined;
  readonly #defaultLocation: string;
  #prefix: Promise<string> | undefined;

  /** `defaultLocation` (the lake location) is where new tables are put unless the catalog decides. */
  constructor(url: string, defaultLocation: string, env: Record<string, string | undefined> = process.env) {
    const parsed = new URL(url);
    this.#warehouse = parsed.searchParams.get("warehouse") ?? undefined;
    parsed.search = "";
    this.#base = parsed.href.replace(/\/+$/, "");
    this.#token = env.ICEBERG_CATALOG_TOKEN || undefined;
    this.#defaultLocation = defaultLocation.endsWith("/") ? defaultLocation : `${defaultLocation}/`;
  }

  tableLocation(namespace: string, table: string): string {
    return `${this.#defaultLocation}${namespace}/${table}`;
  }

  async load(namespace: string, table: string): Promise<LoadedTable | null> {
    const response = await this.#request("GET", await this.#tablePath(namespace, table));
    if (response.status === 404) return null;
    return this.#loaded(response, `load ${namespace}.${table}`);
  }

  async create(namespace: string, table: string, request: NewTable): Promise<LoadedTable> {
    const prefix = await this.#prefixPath();
    const namespaced = await this.#request("POST", `${prefix}/namespaces`, { namespace: [namespace], properties: {} });
    if (namespaced.status !== 200 && namespaced.status !== 409) throw this.#error(`create namespace ${namespace}`, namespaced);
    const response = await this.#request("POST", `${prefix}/namespaces/${encodeURIComponent(namespace)}/tables`, {
      name: table,
      location: request.location,
      schema: request.schema,
      "partition-spec": request.spec,
      "write-order": { "order-id": 0, fields: [] },
      properties: request.properties,
    });
    if (response.status === 409) {
      const existing = await this.load(namespace, table);
      if (existing) return existing;
    }
    return this.#loaded(response, `create ${namespace}.${table}`);
  }

  async commit(namespace: string, table: string, _base: LoadedTable, requirements: TableRequirement[], updates: TableUpdate[]): Promise<LoadedTable | null> {
    const response = await this.#request("POST", await this.#tablePath(namespace, table), {
      identifier: { namespace: [namespace], name: table },
      requirements,
      updates,
    });
    if (response.status === 409) return null;
    if (response.status >= 500) {
      // The catalog may have committed before failing to answer (CommitStateUnknownException):
      // the table says whether our snapshot is in it.
      const snapshot = updates.find((update) => update.action === "add-snapshot");
      const now = await this.load(namespace, table);
      if (now && snapshot && now.metadata.snapshots.some((s) => s["snapshot-id"] === snapshot.snapshot["snapshot-id"])) return now;
      if (now) return null;
    }
    return this.#loaded(response, `commit to ${namespace}.${table}`);
  }

  close(): void {}

  #loaded(response: Response, what: string): LoadedTable {
    if (response.status !== 200) throw this.#error(what, response);
    const body = response.body as { "metadata-location"?: string; metadata?: TableMetadata };
    if (!body.metadata) throw new IcebergCatalogError(`Iceberg catalog ${this.#base}: ${what}: the answer has no metadata`);
    return { metadata: body.metadata, metadataLocation: body["metadata-location"] ?? null };
  }

  #prefixPath(): Promise<string> {
    this.#prefix ??= (async () => {
      const query = this.#warehouse === undefined ? "" : `?warehouse=${encodeURIComponent(this.#warehouse)}`;
      const response = await this.#request("GET", `/v1/config${query}`);
      if (response.status !== 200) throw this.#error("read the catalog configuration", response);
      const config = response.body as { defaults?: Record<string, string>; overrides?: Record<string, string> };
      const prefix = config.overrides?.prefix ?? config.defaults?.prefix;
      return prefix ? `/v1/${prefix.replace(/^\/+|\/+$/g, "")}` : "/v1";
    })().catch((error: unknown) => {
      this.#prefix = undefined;
      throw error;
    });
    return this.#prefix;
  }

  async #tablePath(namespace: string, table: string): Promise<string> {
    return `${await this.#prefixPath()}/namespaces/${encodeURIComponent(namespace)}/tables/${encodeURIComponent(table)}`;
  }

  async #request(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    let response: globalThis.Response;
    try {
      response = await fetch(`${this.#base}${path}`, { method, headers, body: body === undefined ? undefined : stringifyJson(body) });
    } catch (error) {
      throw new IcebergCatalogError(`Iceberg catalog ${this.#base}: ${method} ${path}: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      // Snapshot ids in the answer may use all 64 bits; parseMetadata keeps them exact.
      parsed = text ? parseMetadata(text) : undefined;
    } catch {
      // Not JSON (a proxy's error page): the status and text say what happened.
      parsed = undefined;
    }
    return { status: response.status, body: parsed, text };
  }

  #error(what: string, response: Response): IcebergCatalogError {
    const error = (response.body as { error?: { message?: string; type?: string } } | undefined)?.error;
    const reason = error ? `${error.type ?? "error"}: ${error.message ?? ""}` : response.text.slice(0, 200);
    return new IcebergCatalogError(`Iceberg catalog ${this.#base}: ${what}: HTTP ${response.status} ${reason}`);
  }
}
