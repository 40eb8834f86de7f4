// Appending to a Delta table. A commit writes the rows as Parquet files, then the next log
// entry _delta_log/NNNNNNNNNNNNNNNNNNNN.json, created only if absent: commitInfo (with the Kafka
// offsets this commit wrote, tansu.runs), protocol and metaData when the table is new or its
// schema grows, one txn per Kafka partition whose version is where that partition now ends, the
// offsets the table holds in the domainMetadata "tansu.offsets" (see offsets.ts; it survives
// checkpoints, unlike commitInfo), and the adds. A writer that lost the version reads the new
// entries, drops rows the table now holds and tries the next version. Every 10th version also
// gets a checkpoint and _last_checkpoint.
//
// Delta partitions by columns only: identity partitioning uses the column itself (kept out of
// the data files, as Delta requires); day(c), hour(c), ... add a column c_day, c_hour, ... whose
// values live only in the log's partitionValues.

import { randomUUID } from "node:crypto";
import { LakeSchemaError, reconcileFields, type Field } from "../columns.ts";
import type { LakeStore } from "../object-store.ts";
import { decodeRuns, encodeRuns, endsOf as endsOfRuns, mergeRuns, runsOf, type Ends, type Runs } from "../offsets.ts";
import { writeParquet } from "../parquet-file.ts";
import { bindPartitioning, partitionPath, partitionText, type PartitionField, type PartitionTerm, type Transform } from "../partitioning.ts";
import { backoff, CommitConflictError, groupByPartition, MAX_COMMIT_ATTEMPTS, withoutWritten, type SchemaBatch, type TableWriter } from "../table-writer.ts";
import { applyActions, commitPath, emptyState, refresh, writeCheckpoint, type Action, type AddFile, type DeltaState, type Protocol } from "./delta-log.ts";
import { deltaFields, fieldsOfSchemaString, schemaString, usesTimestampNtz } from "./delta-schema.ts";

export const COMMIT_RUNS = "tansu.runs";
export const OFFSETS_DOMAIN = "tansu.offsets";
const TXN_PREFIX = "tansu.partition.";
const CHECKPOINT_INTERVAL = 10;
const DERIVED = /^(.+)_(year|month|day|hour)$/;
/** Writer features this writer honours (it only ever appends). */
const WRITER_FEATURES = new Set(["timestampNtz", "appendOnly", "invariants", "domainMetadata"]);
/** What writer version 2 implies, listed when a table is moved to writer version 7. */
const WRITER_2_FEATURES = ["appendOnly", "invariants"];

interface Prepared {
  fields: Field[];
  schemaChanged: boolean;
  partitionColumns: string[];
  partitioning: PartitionField[];
  /** Per batch, the columns its data files hold (partition columns left out). */
  fileFields: Field[][];
  protocol: Protocol | null;
}

export class DeltaTable implements TableWriter {
  readonly #store: LakeStore;
  readonly #label: string;
  readonly #partitioning: PartitionTerm[];
  readonly #warn: (message: string, error: unknown) => void;
  #state: DeltaState = emptyState();

  constructor(store: LakeStore, label: string, partitioning: PartitionTerm[], warn: (message: string, error: unknown) => void) {
    this.#store = store;
    this.#label = `Delta table ${label}`;
    this.#partitioning = partitioning;
    this.#warn = warn;
  }

  async written(): Promise<Runs> {
    this.#state = await refresh(this.#store, this.#state);
    return writtenOf(this.#state);
  }

  async commit(batches: SchemaBatch[]): Promise<void> {
    let pending = batches.filter((batch) => batch.rows.length > 0);
    let written = null as { key: string; adds: AddFile[] } | null;
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
      this.#state = await refresh(this.#store, this.#state);
      const kept = withoutWritten(pending, writtenOf(this.#state));
      if (kept) {
        pending = kept;
        written = null;
      }
      if (pending.length === 0) return;
      const prepared = this.#prepare(pending);
      const key = JSON.stringify(prepared.fileFields) + JSON.stringify(prepared.partitionColumns);
      if (written?.key !== key) written = { key, adds: await this.#writeFiles(pending, prepared) };
      const version = this.#state.version + 1;
      const actions = this.#actions(prepared, written.adds, runsOf(pending.flatMap((batch) => batch.rows)));
      const body = new TextEncoder().encode(actions.map((action) => JSON.stringify(action)).join("\n") + "\n");
      if (await this.#store.putIfAbsent(commitPath(version), body)) {
        applyActions(this.#state, version, actions);
        if (version % CHECKPOINT_INTERVAL === 0) await this.#checkpoint();
        return;
      }
      await backoff(attempt);
    }
    throw new CommitConflictError(this.#label);
  }

  async #checkpoint(): Promise<void> {
    try {
      await writeCheckpoint(this.#store, this.#state);
    } catch (error) {
      // The commit stands; readers replay a little more of the log until the next checkpoint.
      this.#warn(`${this.#label}: checkpoint of version ${this.#state.version} failed`, error);
    }
  }

  #prepare(batches: SchemaBatch[]): Prepared {
    const { metaData, protocol } = this.#state;
    checkWritable(protocol, this.#label);
    let fields = metaData ? fieldsOfSchemaString(metaData.schemaString) : null;
    let schemaChanged = fields === null;
    const incoming: Field[][] = [];
    for (const batch of batches) {
      const reconciled = reconcileFields(fields, deltaFields(batch.schema.fields), 0);
      fields = reconciled.table;
      schemaChanged ||= reconciled.changed;
      incoming.push(reconciled.incoming);
    }
    let partitioning: PartitionField[];
    let partitionColumns: string[];
    if (metaData) {
      partitionColumns = metaData.partitionColumns;
      const dataColumns = new Set(incoming.flat().map((field) => field.name));
      partitioning = partitionColumns.map((column) => boundColumn(column, fields!, dataColumns, this.#label));
    } else {
      partitioning = bindPartitioning(this.#partitioning, fields!);
      partitionColumns = partitioning.map((field) => field.name);
      for (const field of partitioning) {
        if (field.transform !== "identity") fields!.push({ id: 0, name: field.name, required: false, type: field.resultType });
      }
    }
    const identity = new Set(partitioning.filter((field) => field.transform === "identity").map((field) => field.name));
    const fileFields = incoming.map((batchFields) => batchFields.filter((field) => !identity.has(field.name)));
    const needed = neededProtocol(protocol, usesTimestampNtz(fields!));
    return { fields: fields!, schemaChanged, partitionColumns, partitioning, fileFields, protocol: needed };
  }

  async #writeFiles(batches: SchemaBatch[], prepared: Prepared): Promise<AddFile[]> {
    const adds: AddFile[] = [];
    for (const [i, batch] of batches.entries()) {
      for (const group of groupByPartition(batch.rows, prepared.partitioning)) {
        const parquet = writeParquet(prepared.fileFields[i]!, group.rows, "delta");
        const path = `${partitionPath(prepared.partitioning, group.values)}part-${randomUUID()}.parquet`;
        await this.#store.put(path, parquet.bytes);
        adds.push({
          // The log holds a URI: a file name with "%" in it must be escaped once more.
          path: encodeURI(path),
          partitionValues: Object.fromEntries(prepared.partitioning.map((field, j) => [field.name, partitionValueText(field, group.values[j])])),
          size: parquet.bytes.byteLength,
          modificationTime: Date.now(),
          dataChange: true,
          stats: JSON.stringify({ numRecords: parquet.rows }),
        });
      }
    }
    return adds;
  }

  #actions(prepared: Prepared, adds: AddFile[], runs: Runs): Action[] {
    const now = Date.now();
    const { metaData } = this.#state;
    const actions: Action[] = [
      {
        commitInfo: {
          timestamp: now,
          operation: "WRITE",
          operationParameters: { mode: "Append", partitionBy: JSON.stringify(prepared.partitionColumns) },
          isBlindAppend: true,
          engineInfo: "tansu",
          [COMMIT_RUNS]: encodeRuns(runs),
        },
      },
    ];
    if (prepared.protocol) actions.push({ protocol: prepared.protocol });
    if (prepared.schemaChanged || !metaData) {
      actions.push({
        metaData: {
          id: metaData?.id ?? randomUUID(),
          format: { provider: "parquet", options: {} },
          schemaString: schemaString(prepared.fields),
          partitionColumns: prepared.partitionColumns,
          createdTime: metaData?.createdTime ?? now,
          configuration: metaData?.configuration ?? {},
        },
      });
    }
    const before = endsOf(this.#state);
    const written = mergeRuns(writtenOf(this.#state), runs);
    for (const [partition, end] of endsOfRuns(written)) {
      if (end !== before.get(partition)) actions.push({ txn: { appId: `${TXN_PREFIX}${partition}`, version: Number(end), lastUpdated: now } });
    }
    actions.push({ domainMetadata: { domain: OFFSETS_DOMAIN, configuration: encodeRuns(written), removed: false } });
    for (const add of adds) actions.push({ add });
    return actions;
  }
}

/**
 * The protocol the table needs, or null when it has it: writer version 7 with domainMetadata
 * (the offsets), and timestampNtz (reader version 3) when a column is a timestamp without zone.
 */
function neededProtocol(current: Protocol | null, timestampNtz: boolean): Protocol | null {
  const writerFeatures = new Set(current?.minWriterVersion === 7 ? current.writerFeatures : current?.minWriterVersion === 2 ? WRITER_2_FEATURES : []);
  const readerFeatures = new Set(current?.minReaderVersion === 3 ? current.readerFeatures : []);
  const before = writerFeatures.size + readerFeatures.size;
  writerFeatures.add("domainMetadata");
  if (timestampNtz) {
    writerFeatures.add("timestampNtz");
    readerFeatures.add("timestampNtz");
  }
  if (current?.minWriterVersion === 7 && writerFeatures.size + readerFeatures.size === before) return null;
  return readerFeatures.size > 0
    ? { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [...readerFeatures], writerFeatures: [...writerFeatures] }
    : { minReaderVersion: Math.max(1, current?.minReaderVersion ?? 1), minWriterVersion: 7, writerFeatures: [...writerFeatures] };
}

/** Refuses tables whose protocol asks for more than appending plain Parquet files (column mapping, deletion vectors, ...). */
function checkWritable(protocol: Protocol | null, label: string): void {
  if (!protocol) return;
  const unsupported = [
    ...(protocol.minReaderVersion === 2 ? ["reader version 2 (column mapping)"] : []),
    ...(protocol.readerFeatures ?? []).filter((feature) => feature !== "timestampNtz"),
    ...(protocol.minWriterVersion > 2 && protocol.minWriterVersion < 7 ? [`writer version ${protocol.minWriterVersion}`] : []),
    ...(protocol.writerFeatures ?? []).filter((feature) => !WRITER_FEATURES.has(feature)),
  ];
  if (unsupported.length > 0) throw new LakeSchemaError(`${label} needs features the lake does not write: ${unsupported.join(", ")}`);
}

function writtenOf(state: DeltaState): Runs {
  return decodeRuns(state.domains.get(OFFSETS_DOMAIN)?.configuration);
}

function endsOf(state: DeltaState): Ends {
  const ends: Ends = new Map();
  for (const txn of state.txns.values()) {
    if (txn.appId.startsWith(TXN_PREFIX)) ends.set(Number(txn.appId.slice(TXN_PREFIX.length)), BigInt(txn.version));
  }
  return ends;
}

/** A partition column of an existing table: one of the data columns itself, or c_day, c_hour, ... of a column c. */
function boundColumn(column: string, fields: Field[], dataColumns: Set<string>, label: string): PartitionField {
  if (dataColumns.has(column)) return bindPartitioning([{ transform: "identity", source: column }], fields)[0]!;
  const derived = DERIVED.exec(column);
  if (derived && fields.some((field) => field.name === derived[1])) {
    return bindPartitioning([{ transform: derived[2] as Transform, source: derived[1]! }], fields)[0]!;
  }
  throw new LakeSchemaError(`${label} is partitioned by ${column}, which is neither a column nor one derived from one`);
}

/** Delta's partition value serialization: dates as yyyy-mm-dd, numbers and booleans as text, null as null. */
function partitionValueText(field: PartitionField, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (field.resultType.type === "date") return partitionText(field, value);
  return String(value);
}
