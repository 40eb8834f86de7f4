// Appending to an Iceberg table (format v2). A commit writes the rows as Parquet data files
// under data/, one manifest listing them, a manifest list (the parent snapshot's manifests plus
// the new one), and a snapshot whose summary records the Kafka offsets this commit wrote
// (tansu.runs) and all the table holds (tansu.written, see offsets.ts). The catalog accepts it
// only on top of the version it was built on; a writer that lost reloads, drops rows the table
// now holds, and tries again.
// A topic schema with new fields adds a table schema with fresh field ids in the same commit.

import { randomUUID } from "node:crypto";
import { LakeSchemaError, reconcileFields, type Field } from "../columns.ts";
import { openLakeStore, subStore, type LakeStore } from "../object-store.ts";
import { decodeRuns, encodeRuns, mergeRuns, runsOf, type Runs } from "../offsets.ts";
import { writeParquet } from "../parquet-file.ts";
import { bindPartitioning, partitionPath, type PartitionField, type PartitionTerm, type Transform } from "../partitioning.ts";
import {
  backoff,
  CommitConflictError,
  groupByPartition,
  MAX_COMMIT_ATTEMPTS,
  withoutWritten,
  type SchemaBatch,
  type TableWriter,
} from "../table-writer.ts";
import type { IcebergCatalog, LoadedTable } from "./catalog.ts";
import { readManifestList, writeManifest, writeManifestList, type DataFileEntry, type ManifestFile, type WrittenManifest } from "./manifests.ts";
import {
  currentSchema,
  currentSnapshot,
  defaultSpec,
  FIRST_PARTITION_FIELD_ID,
  newSnapshotId,
  type PartitionSpec,
  type Snapshot,
  type TableMetadata,
  type TableRequirement,
  type TableUpdate,
} from "./metadata.ts";
import { fieldsOfIceberg, icebergSchema } from "./schema-json.ts";

export const SUMMARY_RUNS = "tansu.runs";
export const SUMMARY_WRITTEN = "tansu.written";

const TRANSFORMS = new Set<string>(["identity", "year", "month", "day", "hour"]);

interface Prepared {
  /** Table schema after this commit, and whether it is new. */
  fields: Field[];
  lastColumnId: number;
  schemaChanged: boolean;
  /** Per batch, its fields with the table's ids. */
  batchFields: Field[][];
  spec: PartitionSpec;
  partitioning: PartitionField[];
}

export class IcebergTable implements TableWriter {
  readonly #catalog: IcebergCatalog;
  readonly #namespace: string;
  readonly #name: string;
  readonly #lake: LakeStore;
  readonly #partitioning: PartitionTerm[];
  #table: LoadedTable | null = null;
  #store: { location: string; store: LakeStore } | null = null;

  /** `partitioning` applies when this writer creates the table; an existing table keeps its spec. */
  constructor(catalog: IcebergCatalog, namespace: string, name: string, lake: LakeStore, partitioning: PartitionTerm[]) {
    this.#catalog = catalog;
    this.#namespace = namespace;
    this.#name = name;
    this.#lake = lake;
    this.#partitioning = partitioning;
  }

  get #label(): string {
    return `Iceberg table ${this.#namespace}.${this.#name}`;
  }

  async written(): Promise<Runs> {
    this.#table = await this.#catalog.load(this.#namespace, this.#name);
    return this.#table ? writtenOf(this.#table.metadata) : new Map();
  }

  async commit(batches: SchemaBatch[]): Promise<void> {
    let pending = batches.filter((batch) => batch.rows.length > 0);
    let written = null as { key: string; manifest: WrittenManifest; files: DataFileEntry[] } | null;
    let table = this.#table ?? (await this.#catalog.load(this.#namespace, this.#name));
    const snapshotId = newSnapshotId();
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
      if (table) {
        const kept = withoutWritten(pending, writtenOf(table.metadata));
        if (kept) {
          pending = kept;
          written = null;
        }
      }
      if (pending.length === 0) return;
      table ??= await this.#create(pending);
      const prepared = this.#prepare(table.metadata, pending);
      const store = await this.#tableStore(table.metadata.location);
      // Data files carry field ids, so they are rewritten only when the ids they need changed.
      const key = JSON.stringify(prepared.batchFields) + JSON.stringify(prepared.spec);
      if (written?.key !== key) {
        written = { key, ...(await this.#writeFiles(store, table.metadata, pending, prepared)) };
      }
      const base = currentSnapshot(table.metadata);
      const { requirements, updates } = await this.#changes(store, table.metadata, base, prepared, written, snapshotId, pending);
      const committed = await this.#catalog.commit(this.#namespace, this.#name, table, requirements, updates);
      if (committed) {
        this.#table = committed;
        return;
      }
      await backoff(attempt);
      table = await this.#catalog.load(this.#namespace, this.#name);
      if (!table) throw new Error(`${this.#label} disappeared during a commit`);
    }
    throw new CommitConflictError(this.#label);
  }

  async #create(batches: SchemaBatch[]): Promise<LoadedTable> {
    let fields: Field[] | null = null;
    let lastColumnId = 0;
    for (const batch of batches) ({ table: fields, lastColumnId } = reconcileFields(fields, batch.schema.fields, lastColumnId));
    const partitioning = bindPartitioning(this.#partitioning, fields!);
    const spec: PartitionSpec = {
      "spec-id": 0,
      fields: partitioning.map((field, i) => ({
        "source-id": field.sourceId,
        "field-id": FIRST_PARTITION_FIELD_ID + i,
        name: field.name,
        transform: field.transform,
      })),
    };
    return this.#catalog.create(this.#namespace, this.#name, {
      location: this.#catalog.tableLocation(this.#namespace, this.#name),
      schema: icebergSchema(fields!, 0),
      lastColumnId,
      spec,
      properties: { "write.format.default": "parquet", "created-by": "tansu" },
    });
  }

  #prepare(metadata: TableMetadata, batches: SchemaBatch[]): Prepared {
    let fields = fieldsOfIceberg(currentSchema(metadata));
    let lastColumnId = metadata["last-column-id"];
    let schemaChanged = false;
    const batchFields: Field[][] = [];
    for (const batch of batches) {
      const reconciled = reconcileFields(fields, batch.schema.fields, lastColumnId);
      ({ table: fields, lastColumnId } = reconciled);
      schemaChanged ||= reconciled.changed;
      batchFields.push(reconciled.incoming);
    }
    // Rows of earlier batches may lack columns later ones added: they are written with the final ids.
    const spec = defaultSpec(metadata);
    return { fields, lastColumnId, schemaChanged, batchFields, spec, partitioning: specFields(spec, fields, this.#label) };
  }

  async #writeFiles(store: LakeStore, metadata: TableMetadata, batches: SchemaBatch[], prepared: Prepared) {
    const files: DataFileEntry[] = [];
    const schemaId = prepared.schemaChanged ? Math.max(...metadata.schemas.map((s) => s["schema-id"])) + 1 : metadata["current-schema-id"];
    for (const [i, batch] of batches.entries()) {
      const fields = prepared.batchFields[i]!;
      const fileSchema = JSON.stringify(icebergSchema(fields, schemaId));
      for (const group of groupByPartition(batch.rows, prepared.partitioning)) {
        const parquet = writeParquet(fields, group.rows, "iceberg", { "iceberg.schema": fileSchema });
        const path = `data/${partitionPath(prepared.partitioning, group.values)}${randomUUID()}.parquet`;
        await store.put(path, parquet.bytes);
        files.push({ path: store.url(path), partition: group.values, recordCount: parquet.rows, sizeInBytes: parquet.bytes.byteLength });
      }
    }
    const manifestPath = `metadata/${randomUUID()}-m0.avro`;
    const manifest = writeManifest(store.url(manifestPath), files, icebergSchema(prepared.fields, schemaId), prepared.spec, prepared.partitioning);
    await store.put(manifestPath, manifest.bytes);
    return { manifest, files };
  }

  async #changes(
    store: LakeStore,
    metadata: TableMetadata,
    parent: Snapshot | undefined,
    prepared: Prepared,
    written: { manifest: WrittenManifest; files: DataFileEntry[] },
    snapshotId: bigint,
    batches: SchemaBatch[],
  ): Promise<{ requirements: TableRequirement[]; updates: TableUpdate[] }> {
    const sequenceNumber = metadata["last-sequence-number"] + 1;
    const inherited = parent ? await readManifestList((await this.#read(parent["manifest-list"])) ?? new Uint8Array()) : [];
    const added: ManifestFile = {
      ...written.manifest.entry,
      added_snapshot_id: snapshotId,
      sequence_number: BigInt(sequenceNumber),
      min_sequence_number: BigInt(sequenceNumber),
    };
    const listPath = `metadata/snap-${snapshotId}-${sequenceNumber}-${randomUUID()}.avro`;
    await store.put(listPath, writeManifestList([...inherited, added], snapshotId, parent?.["snapshot-id"], sequenceNumber));

    const runs = runsOf(batches.flatMap((batch) => batch.rows));
    const schemaId = prepared.schemaChanged ? Math.max(...metadata.schemas.map((s) => s["schema-id"])) + 1 : metadata["current-schema-id"];
    const snapshot: Snapshot = {
      "snapshot-id": snapshotId,
      ...(parent ? { "parent-snapshot-id": parent["snapshot-id"] } : {}),
      "sequence-number": sequenceNumber,
      "timestamp-ms": Date.now(),
      "manifest-list": store.url(listPath),
      summary: summary(parent, written.files, runs, metadata),
      "schema-id": schemaId,
    };
    const requirements: TableRequirement[] = [
      { type: "assert-table-uuid", uuid: metadata["table-uuid"] },
      { type: "assert-ref-snapshot-id", ref: "main", "snapshot-id": parent?.["snapshot-id"] ?? null },
    ];
    const updates: TableUpdate[] = [];
    if (prepared.schemaChanged) {
      requirements.push(
        { type: "assert-current-schema-id", "current-schema-id": metadata["current-schema-id"] },
        { type: "assert-last-assigned-field-id", "last-assigned-field-id": metadata["last-column-id"] },
      );
      updates.push(
        { action: "add-schema", schema: icebergSchema(prepared.fields, schemaId), "last-column-id": prepared.lastColumnId },
        { action: "set-current-schema", "schema-id": -1 },
      );
    }
    updates.push({ action: "add-snapshot", snapshot }, { action: "set-snapshot-ref", "ref-name": "main", type: "branch", "snapshot-id": snapshotId });
    return { requirements, updates };
  }

  /** A store rooted at the table's location: part of the lake store when inside it, else one of its own. */
  async #tableStore(location: string): Promise<LakeStore> {
    if (this.#store?.location === location) return this.#store.store;
    const root = this.#lake.root;
    const store = location.startsWith(root) ? subStore(this.#lake, location.slice(root.length)) : await openLakeStore(`${location}/`);
    this.#store = { location, store };
    return store;
  }

  /** Reads a file by its absolute URL (manifest lists may live outside the table location). */
  async #read(url: string): Promise<Uint8Array | null> {
    const root = this.#lake.root;
    if (url.startsWith(root)) return this.#lake.get(url.slice(root.length));
    const slash = url.lastIndexOf("/");
    const store = await openLakeStore(url.slice(0, slash + 1));
    try {
      return await store.get(url.slice(slash + 1));
    } finally {
      store.close();
    }
  }
}

/** The Kafka offsets the table holds, as of its current snapshot. */
function writtenOf(metadata: TableMetadata): Runs {
  return decodeRuns(currentSnapshot(metadata)?.summary[SUMMARY_WRITTEN]);
}

function summary(parent: Snapshot | undefined, files: DataFileEntry[], runs: Runs, metadata: TableMetadata): Snapshot["summary"] {
  const records = files.reduce((sum, file) => sum + file.recordCount, 0);
  const bytes = files.reduce((sum, file) => sum + file.sizeInBytes, 0);
  const total = (name: string, added: number) => String(Number(parent?.summary[name] ?? 0) + added);
  return {
    operation: "append",
    "added-data-files": String(files.length),
    "added-records": String(records),
    "added-files-size": String(bytes),
    "total-data-files": total("total-data-files", files.length),
    "total-records": total("total-records", records),
    "total-files-size": total("total-files-size", bytes),
    "total-delete-files": "0",
    "total-position-deletes": "0",
    "total-equality-deletes": "0",
    [SUMMARY_RUNS]: encodeRuns(runs),
    [SUMMARY_WRITTEN]: encodeRuns(mergeRuns(writtenOf(metadata), runs)),
  };
}

/** The table's partition spec as partition fields over its current columns. */
function specFields(spec: PartitionSpec, fields: Field[], label: string): PartitionField[] {
  return spec.fields.map((specField) => {
    const source = fields.find((field) => field.id === specField["source-id"]);
    if (!source) throw new LakeSchemaError(`${label} is partitioned by column id ${specField["source-id"]}, which is not a top-level column`);
    if (!TRANSFORMS.has(specField.transform)) throw new LakeSchemaError(`${label} is partitioned by ${specField.transform}(${source.name}), which the lake does not write`);
    const transform = specField.transform as Transform;
    const [bound] = bindPartitioning([{ transform, source: source.name }], [source]);
    return { ...bound!, name: specField.name };
  });
}
