// A Delta table's state from its _delta_log (PROTOCOL.md, "Action Reconciliation"): the newest
// checkpoint (found through _last_checkpoint, else by listing), then every JSON commit after it.
// Writers keep the state and only read commits newer than the version they hold. Checkpoints
// (V1 spec, classic naming) are Parquet files of one action per row.

import { parquetReadObjects } from "hyparquet";
import { primitive, type ColumnType, type Field } from "../columns.ts";
import type { LakeStore } from "../object-store.ts";
import { writeParquet } from "../parquet-file.ts";

export interface Protocol {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[];
  writerFeatures?: string[];
}

export interface MetaData {
  id: string;
  name?: string;
  format: { provider: string; options: Record<string, string> };
  schemaString: string;
  partitionColumns: string[];
  createdTime?: number;
  configuration: Record<string, string>;
}

export interface AddFile {
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  stats?: string;
  tags?: Record<string, string>;
}

export interface Txn {
  appId: string;
  version: number;
  lastUpdated?: number;
}

export interface DomainMetadata {
  domain: string;
  configuration: string;
  removed: boolean;
}

export interface Action {
  protocol?: Protocol;
  domainMetadata?: DomainMetadata;
  metaData?: MetaData;
  add?: AddFile;
  remove?: { path: string; deletionTimestamp?: number; dataChange: boolean };
  txn?: Txn;
  commitInfo?: Record<string, unknown>;
}

export interface DeltaState {
  /** The version this state is of; -1 before the table exists. */
  version: number;
  protocol: Protocol | null;
  metaData: MetaData | null;
  txns: Map<string, Txn>;
  /** Live (not removed) metadata domains by name. */
  domains: Map<string, DomainMetadata>;
  /** Live files by path. */
  files: Map<string, AddFile>;
}

export const LOG = "_delta_log/";
const LAST_CHECKPOINT = `${LOG}_last_checkpoint`;

export const commitPath = (version: number) => `${LOG}${String(version).padStart(20, "0")}.json`;
const checkpointPath = (version: number) => `${LOG}${String(version).padStart(20, "0")}.checkpoint.parquet`;

export function emptyState(): DeltaState {
  return { version: -1, protocol: null, metaData: null, txns: new Map(), domains: new Map(), files: new Map() };
}

/** Applies one commit's actions in order (newest wins, per the reconciliation rules). */
export function applyActions(state: DeltaState, version: number, actions: Action[]): void {
  for (const action of actions) {
    if (action.protocol) state.protocol = action.protocol;
    if (action.metaData) state.metaData = action.metaData;
    if (action.txn) state.txns.set(action.txn.appId, action.txn);
    if (action.domainMetadata) {
      if (action.domainMetadata.removed) state.domains.delete(action.domainMetadata.domain);
      else state.domains.set(action.domainMetadata.domain, action.domainMetadata);
    }
    if (action.add) state.files.set(action.add.path, action.add);
    if (action.remove) state.files.delete(action.remove.path);
  }
  state.version = version;
}

export function parseCommit(bytes: Uint8Array): Action[] {
  return new TextDecoder()
    .decode(bytes)
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Action);
}

/** Brings `state` up to the newest version. */
export async function refresh(store: LakeStore, state: DeltaState): Promise<DeltaState> {
  if (state.version < 0) {
    const checkpoint = await latestCheckpoint(store);
    if (checkpoint !== null) state = await readCheckpoint(store, checkpoint);
  }
  for (;;) {
    const bytes = await store.get(commitPath(state.version + 1));
    if (bytes === null) return state;
    applyActions(state, state.version + 1, parseCommit(bytes));
  }
}

async function latestCheckpoint(store: LakeStore): Promise<number | null> {
  const pointer = await store.get(LAST_CHECKPOINT);
  if (pointer !== null) {
    const { version } = JSON.parse(new TextDecoder().decode(pointer)) as { version: number };
    if (Number.isSafeInteger(version)) return version;
  }
  // No pointer (or a broken one): the newest classic checkpoint in the log, if any.
  const versions = (await store.list(LOG))
    .map((path) => /(\d{20})\.checkpoint\.parquet$/.exec(path)?.[1])
    .filter((version): version is string => version !== undefined)
    .map(Number);
  return versions.length ? Math.max(...versions) : null;
}

async function readCheckpoint(store: LakeStore, version: number): Promise<DeltaState> {
  const bytes = await store.get(checkpointPath(version));
  if (bytes === null) throw new Error(`Delta checkpoint ${checkpointPath(version)} is missing`);
  const rows = (await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer })) as Action[];
  const state = emptyState();
  applyActions(
    state,
    version,
    rows.map((row) => fromParquet(row as Record<string, unknown>)),
  );
  return state;
}

/** Checkpoint rows use null for absent actions and bigints for longs; actions use numbers. */
function fromParquet(row: Record<string, unknown>): Action {
  const action: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (value !== null && value !== undefined) action[key] = numbersOf(value);
  return action as Action;
}

function numbersOf(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(numbersOf);
  if (value && typeof value === "object" && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, numbersOf(v)]));
  }
  return value;
}

const string = primitive("string");
const long = primitive("long");
const optional = (name: string, type: ColumnType): Field => ({ id: 0, name, required: false, type });
const stringMap: ColumnType = { type: "map", keyId: 0, key: string, valueId: 0, valueRequired: false, value: string };
const stringList: ColumnType = { type: "list", elementId: 0, elementRequired: false, element: string };
const struct = (...fields: Field[]): ColumnType => ({ type: "struct", fields });

/** The checkpoint schema of PROTOCOL.md's "Checkpoint Schema" (without the optional parsed stats). */
const CHECKPOINT_FIELDS: Field[] = [
  optional("txn", struct(optional("appId", string), optional("version", long), optional("lastUpdated", long))),
  optional(
    "add",
    struct(
      optional("path", string),
      optional("partitionValues", stringMap),
      optional("size", long),
      optional("modificationTime", long),
      optional("dataChange", primitive("boolean")),
      optional("stats", string),
      optional("tags", stringMap),
    ),
  ),
  optional("remove", struct(optional("path", string), optional("deletionTimestamp", long), optional("dataChange", primitive("boolean")))),
  optional("domainMetadata", struct(optional("domain", string), optional("configuration", string), optional("removed", primitive("boolean")))),
  optional(
    "metaData",
    struct(
      optional("id", string),
      optional("name", string),
      optional("description", string),
      optional("format", struct(optional("provider", string), optional("options", stringMap))),
      optional("schemaString", string),
      optional("partitionColumns", stringList),
      optional("createdTime", long),
      optional("configuration", stringMap),
    ),
  ),
  optional(
    "protocol",
    struct(
      optional("minReaderVersion", primitive("int")),
      optional("minWriterVersion", primitive("int")),
      optional("readerFeatures", stringList),
      optional("writerFeatures", stringList),
    ),
  ),
];

/** Longs of the checkpoint schema as bigints, maps as { key, value } entries: canonical row values. */
function checkpointRow(action: Action): Record<string, unknown> {
  const map = (record: Record<string, string | null> | undefined) => (record ? Object.entries(record).map(([key, value]) => ({ key, value })) : null);
  const big = (value: number | undefined) => (value === undefined ? null : BigInt(value));
  const { txn, add, metaData, protocol, domainMetadata } = action;
  return {
    domainMetadata: domainMetadata ?? null,
    txn: txn ? { appId: txn.appId, version: BigInt(txn.version), lastUpdated: big(txn.lastUpdated) } : null,
    add: add
      ? {
          path: add.path,
          partitionValues: map(add.partitionValues),
          size: BigInt(add.size),
          modificationTime: BigInt(add.modificationTime),
          dataChange: add.dataChange,
          stats: add.stats ?? null,
          tags: map(add.tags),
        }
      : null,
    remove: null,
    metaData: metaData
      ? {
          ...metaData,
          name: metaData.name ?? null,
          description: null,
          format: { provider: metaData.format.provider, options: map(metaData.format.options) },
          createdTime: big(metaData.createdTime),
          configuration: map(metaData.configuration),
        }
      : null,
    protocol: protocol ? { ...protocol, readerFeatures: protocol.readerFeatures ?? null, writerFeatures: protocol.writerFeatures ?? null } : null,
  };
}

/** Writes the checkpoint of `state` and points _last_checkpoint at it. */
export async function writeCheckpoint(store: LakeStore, state: DeltaState): Promise<void> {
  const actions: Action[] = [{ protocol: state.protocol! }, { metaData: state.metaData! }];
  for (const txn of state.txns.values()) actions.push({ txn });
  for (const domainMetadata of state.domains.values()) actions.push({ domainMetadata });
  for (const add of state.files.values()) actions.push({ add });
  const parquet = writeParquet(CHECKPOINT_FIELDS, actions.map(checkpointRow), "delta");
  await store.put(checkpointPath(state.version), parquet.bytes);
  const pointer = { version: state.version, size: actions.length, sizeInBytes: parquet.bytes.byteLength, numOfAddFiles: state.files.size };
  await store.put(LAST_CHECKPOINT, new TextEncoder().encode(JSON.stringify(pointer)));
}
