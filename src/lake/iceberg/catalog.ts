// Where Iceberg tables are tracked. The file-system catalog keeps them in the lake location
// itself, as Iceberg's Hadoop catalog lays them out (NAMESPACE/TABLE/metadata/vN.metadata.json
// plus version-hint.text, which readers such as icebird and DuckDB follow); a commit is the
// create-if-absent write of the next version's file, so of two writers exactly one wins and the
// other retries on the new version. The REST catalog (rest-catalog.ts) does the same through a
// catalog service.

import type { LakeStore } from "../object-store.ts";
import { applyUpdates, newTableMetadata, parseMetadata, stringifyJson, type PartitionSpec, type TableMetadata, type TableRequirement, type TableUpdate } from "./metadata.ts";
import type { IcebergSchema } from "./schema-json.ts";

export interface LoadedTable {
  metadata: TableMetadata;
  /** Where this version of the metadata is stored (null only for a catalog that does not say). */
  metadataLocation: string | null;
}

export interface NewTable {
  location: string;
  schema: IcebergSchema;
  lastColumnId: number;
  spec: PartitionSpec;
  properties: Record<string, string>;
}

export interface IcebergCatalog {
  /** The table's current metadata, or null when there is no such table. */
  load(namespace: string, table: string): Promise<LoadedTable | null>;
  /** Creates the table, or loads it when another writer created it first. */
  create(namespace: string, table: string, request: NewTable): Promise<LoadedTable>;
  /**
   * Applies `updates` on top of `base` if the table is still at `base` (and `requirements`
   * hold); the committed table, or null when another commit came first.
   */
  commit(namespace: string, table: string, base: LoadedTable, requirements: TableRequirement[], updates: TableUpdate[]): Promise<LoadedTable | null>;
  /** The default location for a new table. */
  tableLocation(namespace: string, table: string): string;
  close(): void;
}

const HINT = "version-hint.text";

export class FileSystemCatalog implements IcebergCatalog {
  readonly #store: LakeStore;
  /** Last version seen per table: loads probe upward from it instead of re-reading the hint. */
  readonly #versions = new Map<string, number>();

  constructor(store: LakeStore) {
    this.#store = store;
  }

  tableLocation(namespace: string, table: string): string {
    return this.#store.url(`${namespace}/${table}`);
  }

  async load(namespace: string, table: string): Promise<LoadedTable | null> {
    const dir = `${namespace}/${table}/metadata/`;
    const cached = this.#versions.get(dir);
    // The newest version is at or after the hint (or the last version this catalog saw): a hint
    // lags when its writer stopped between the commit and the hint. A missing file at the
    // starting point means the table was dropped since.
    let version = cached ?? (await this.#hint(dir));
    let text = version > 0 ? await this.#read(dir, version) : null;
    if (version > 0 && text === null) {
      this.#versions.delete(dir);
      if (cached === undefined) return null;
      version = 0;
    }
    for (;;) {
      const next = await this.#read(dir, version + 1);
      if (next === null) break;
      version += 1;
      text = next;
    }
    if (text === null) return null;
    this.#versions.set(dir, version);
    return { metadata: parseMetadata(text), metadataLocation: this.#store.url(`${dir}v${version}.metadata.json`) };
  }

  async create(namespace: string, table: string, request: NewTable): Promise<LoadedTable> {
    const metadata = newTableMetadata(request.location, request.schema, request.lastColumnId, request.spec, request.properties);
    const created = await this.#write(namespace, table, 1, metadata);
    if (created) return created;
    const existing = await this.load(namespace, table);
    if (!existing) throw new Error(`Iceberg table ${namespace}.${table} exists and cannot be read`);
    return existing;
  }

  async commit(namespace: string, table: string, base: LoadedTable, _requirements: TableRequirement[], updates: TableUpdate[]): Promise<LoadedTable | null> {
    // Writing version N+1 only if absent is the requirement check: it succeeds only on top of N.
    const version = versionOf(base.metadataLocation);
    return this.#write(namespace, table, version + 1, applyUpdates(base.metadata, updates, base.metadataLocation));
  }

  close(): void {}

  async #write(namespace: string, table: string, version: number, metadata: TableMetadata): Promise<LoadedTable | null> {
    const dir = `${namespace}/${table}/metadata/`;
    const path = `${dir}v${version}.metadata.json`;
    if (!(await this.#store.putIfAbsent(path, new TextEncoder().encode(stringifyJson(metadata))))) return null;
    this.#versions.set(dir, version);
    // Readers follow the hint; a stale one only costs them (and us) a few probes for newer files,
    // so failing to move it does not undo a commit that has happened.
    await this.#store.put(`${dir}${HINT}`, new TextEncoder().encode(String(version))).catch(() => undefined);
    return { metadata, metadataLocation: this.#store.url(path) };
  }

  async #hint(dir: string): Promise<number> {
    const bytes = await this.#store.get(`${dir}${HINT}`);
    const version = bytes ? Number.parseInt(new TextDecoder().decode(bytes).trim(), 10) : 0;
    return Number.isSafeInteger(version) && version > 0 ? version : 0;
  }

  async #read(dir: string, version: number): Promise<string | null> {
    const bytes = await this.#store.get(`${dir}v${version}.metadata.json`);
    return bytes ? new TextDecoder().decode(bytes) : null;
  }
}

function versionOf(location: string | null): number {
  const match = /\/v(\d+)\.metadata\.json$/.exec(location ?? "");
  if (!match) throw new Error(`metadata location ${location} is not a file-system catalog version`);
  return Number(match[1]);
}
