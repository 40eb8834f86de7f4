// Independent readers of what the lake writes: DuckDB (read_parquet, read_json), hyparquet,
// icebird, and Debian's python3-avro for Iceberg manifests. None of them shares code with the
// writer; the Delta log replay here is written from PROTOCOL.md for the tests alone.

import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { parquetReadObjects } from "hyparquet";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { python } from "../harness/python.ts";

let connection: Promise<DuckDBConnection> | undefined;

async function duck(): Promise<DuckDBConnection> {
  connection ??= (async () => {
    const instance = await DuckDBInstance.create(":memory:");
    const c = await instance.connect();
    await c.run("SET TimeZone = 'UTC'").catch(() => undefined);
    return c;
  })();
  return connection;
}

/** Rows of a DuckDB query as JSON-friendly objects (bigints and decimals as strings, timestamps as text). */
export async function duckdb(sql: string): Promise<Record<string, unknown>[]> {
  const reader = await (await duck()).runAndReadAll(sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

export const sqlString = (text: string) => `'${text.replaceAll("'", "''")}'`;
export const sqlList = (paths: string[]) => `[${paths.map(sqlString).join(", ")}]`;

/** Every Parquet file under `dir`, recursively, sorted. */
export function parquetFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...parquetFiles(path));
    else if (name.endsWith(".parquet")) out.push(path);
  }
  return out.sort();
}

/** All rows of these Parquet files through DuckDB, columns by name across files, ordered by partition and offset. */
export async function duckRows(files: string[], orderBy = '"partition", "offset"'): Promise<Record<string, unknown>[]> {
  return duckdb(`SELECT * FROM read_parquet(${sqlList(files)}, union_by_name = true, hive_partitioning = false) ORDER BY ${orderBy}`);
}

/** All rows of one Parquet file through hyparquet. */
export async function hyparquetRows(file: string): Promise<Record<string, unknown>[]> {
  const bytes = readFileSync(file);
  // utf8: false keeps un-annotated binary columns as bytes (annotated strings stay strings).
  return (await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), utf8: false })) as Record<string, unknown>[];
}

/** Decodes an Avro container file with python3-avro: { metadata, schema, records } as JSON. */
export async function pythonAvro(path: string): Promise<{ metadata: Record<string, string>; schema: Record<string, unknown>; records: Record<string, unknown>[] }> {
  const script = `
import json, sys, base64, datetime
import avro.datafile, avro.io
reader = avro.datafile.DataFileReader(open(sys.argv[1], "rb"), avro.io.DatumReader())
def plain(v):
    if isinstance(v, bytes): return {"bytes": base64.b64encode(v).decode()}
    if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list): return [plain(x) for x in v]
    if isinstance(v, int) and not isinstance(v, bool): return str(v)
    if isinstance(v, datetime.date): return v.isoformat()
    return v
meta = {k: v.decode() for k, v in reader.meta.items() if k != "avro.sync"}
print(json.dumps({"metadata": meta, "schema": json.loads(meta["avro.schema"]), "records": [plain(r) for r in reader]}))
`;
  const result = await python(script, [path]);
  if (result.exitCode !== 0) throw new Error(`python3-avro could not read ${path}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

export interface DeltaSnapshot {
  version: number;
  protocol: Record<string, unknown>;
  metaData: Record<string, unknown> & { schemaString: string; partitionColumns: string[] };
  files: { path: string; partitionValues: Record<string, string | null>; size: number }[];
  txns: Map<string, number>;
  domains: Map<string, string>;
  /** The newest checkpoint the replay started from, or null. */
  checkpoint: number | null;
}

/**
 * A Delta table's latest snapshot, replayed with DuckDB per PROTOCOL.md: the checkpoint named
 * by _last_checkpoint (read_parquet; unless told to replay every commit), then every later JSON
 * commit (read_json), newest action winning for protocol, metaData, txn and domainMetadata,
 * adds and removes reconciled by path.
 */
export async function replayDelta(tableDir: string, options: { checkpoint: boolean } = { checkpoint: true }): Promise<DeltaSnapshot> {
  const log = join(tableDir, "_delta_log");
  const pointer = join(log, "_last_checkpoint");
  const checkpoint = options.checkpoint && existsSync(pointer) ? (JSON.parse(readFileSync(pointer, "utf8")) as { version: number }).version : null;
  let protocol: Record<string, unknown> | undefined;
  let metaData: DeltaSnapshot["metaData"] | undefined;
  const files = new Map<string, DeltaSnapshot["files"][number]>();
  const txns = new Map<string, number>();
  const domains = new Map<string, string>();
  const apply = (row: Record<string, unknown>) => {
    if (row.protocol) protocol = row.protocol as Record<string, unknown>;
    if (row.metaData) metaData = row.metaData as DeltaSnapshot["metaData"];
    const txn = row.txn as { appId: string; version: string | number } | null;
    if (txn) txns.set(txn.appId, Number(txn.version));
    const domain = row.domainMetadata as { domain: string; configuration: string; removed: boolean } | null;
    if (domain) {
      if (domain.removed) domains.delete(domain.domain);
      else domains.set(domain.domain, domain.configuration);
    }
    const add = row.add as { path: string; partitionValues: unknown; size: string | number } | null;
    if (add) files.set(add.path, { path: add.path, partitionValues: mapOf(add.partitionValues), size: Number(add.size) });
    const remove = row.remove as { path: string } | null;
    if (remove) files.delete(remove.path);
  };
  if (checkpoint !== null) {
    const file = join(log, `${String(checkpoint).padStart(20, "0")}.checkpoint.parquet`);
    for (const row of await duckdb(`SELECT * FROM read_parquet(${sqlString(file)})`)) apply(row);
  }
  const commits = readdirSync(log)
    .filter((name) => /^\d{20}\.json$/.test(name))
    .map((name) => Number(name.slice(0, 20)))
    .filter((version) => checkpoint === null || version > checkpoint)
    .sort((a, b) => a - b);
  let version = checkpoint ?? -1;
  for (const commit of commits) {
    if (commit !== version + 1) throw new Error(`Delta log of ${tableDir} jumps from ${version} to ${commit}`);
    const rows = await duckdb(
      `SELECT * FROM read_json(${sqlString(join(log, `${String(commit).padStart(20, "0")}.json`))}, format = 'newline_delimited', records = true)`,
    );
    for (const row of rows) apply(row);
    version = commit;
  }
  if (!protocol || !metaData) throw new Error(`Delta table ${tableDir} has no protocol or metaData`);
  return { version, protocol, metaData, files: [...files.values()], txns, domains, checkpoint };
}

/** DuckDB returns a MAP as [{key, value}], read_json an object as an object. */
function mapOf(value: unknown): Record<string, string | null> {
  if (Array.isArray(value)) return Object.fromEntries(value.map((entry: { key: string; value: string | null }) => [entry.key, entry.value]));
  return (value ?? {}) as Record<string, string | null>;
}

/** Rows of a Delta snapshot: its files through DuckDB, with partition columns from the log's partitionValues. */
export async function deltaRows(tableDir: string, snapshot: DeltaSnapshot): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const file of snapshot.files) {
    const path = join(tableDir, decodeURI(file.path));
    for (const row of await duckdb(`SELECT * FROM read_parquet(${sqlString(path)}, hive_partitioning = false)`)) {
      rows.push({ ...row, ...file.partitionValues });
    }
  }
  return rows.sort((a, b) => Number(a.partition) - Number(b.partition) || Number(BigInt(a.offset as string) - BigInt(b.offset as string)));
}

/** Delta has no time type: time columns hold microseconds since midnight as a long. */
export function asDelta(expected: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(expected).map(([name, value]) => {
      const time = typeof value === "string" ? /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(value) : null;
      if (!time) return [name, value];
      const [, h, m, s, fraction = ""] = time;
      return [name, String(((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1_000_000 + Number(fraction.padEnd(6, "0")))];
    }),
  );
}

export const pathOf = (url: string) => fileURLToPath(url);

/** DuckDB's rendering of a blob: printable ASCII but quotes as is, other bytes as \xHH. */
export function duckBlob(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) {
    out += byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x27 ? String.fromCharCode(byte) : `\\x${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Epoch milliseconds of DuckDB's text for a date or timestamp (sub-millisecond digits dropped). */
function duckMillis(text: string): number {
  const match = /^(\d{4}-\d{2}-\d{2})(?: (\d{2}:\d{2}:\d{2})(\.\d+)?)?(\+00)?$/.exec(text);
  if (!match) return Number.NaN;
  const [, date, time = "00:00:00", fraction = ""] = match;
  return Date.parse(`${date}T${time}${fraction.slice(0, 4)}Z`);
}

/** Microseconds since midnight of DuckDB's text for a time. */
function duckTimeMicros(text: string): bigint | null {
  const match = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(text);
  if (!match) return null;
  const [, h, m, s, fraction = ""] = match;
  return BigInt((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1_000_000n + BigInt(fraction.padEnd(6, "0"));
}

/**
 * Where hyparquet's value for a row differs from the row DuckDB is expected to return: a second
 * reader, compared by meaning since the two render types differently (hyparquet: Date, bigint,
 * numbers for decimals, objects for maps; DuckDB: text). Empty when they agree.
 */
export function hyparquetDisagreements(expected: unknown, actual: unknown, path = ""): string[] {
  const fail = [`${path}: hyparquet ${describe(actual)}, expected ${JSON.stringify(expected)}`];
  if (expected === null || expected === undefined) return actual === null || actual === undefined ? [] : fail;
  if (actual instanceof Date) return typeof expected === "string" && duckMillis(expected) === actual.getTime() ? [] : fail;
  if (typeof actual === "bigint") {
    if (typeof expected !== "string" && typeof expected !== "number") return fail;
    const time = typeof expected === "string" ? duckTimeMicros(expected) : null;
    return (time ?? BigInt(expected)) === actual ? [] : fail;
  }
  if (typeof actual === "number") {
    // Older hyparquet (icebird's) scales decimals in floating point: 124.46 comes out as 124.46000000000001.
    const decimal = typeof expected === "string" && /^-?\d+\.\d+$/.test(expected);
    const close = decimal && Math.abs(Number(expected) - actual) <= 1e-9 * Math.max(1, Math.abs(actual));
    return Number(expected) === actual || close ? [] : fail;
  }
  if (actual instanceof Uint8Array) {
    // Older hyparquet (icebird's) gives a UUID column as its 16 bytes.
    if (actual.length === 16 && typeof expected === "string" && /^[0-9a-f]{8}-/.test(expected)) {
      return expected.replaceAll("-", "") === Buffer.from(actual).toString("hex") ? [] : fail;
    }
    return expected === duckBlob(actual) ? [] : fail;
  }
  if (Array.isArray(actual)) {
    if (!Array.isArray(expected) || expected.length !== actual.length) return fail;
    return actual.flatMap((value, i) => hyparquetDisagreements(expected[i], value, `${path}[${i}]`));
  }
  if (typeof actual === "object" && actual !== null) {
    // A map: DuckDB gives [{key, value}], hyparquet an object.
    const entries = Array.isArray(expected) ? Object.fromEntries(expected.map((e: { key: string; value: unknown }) => [e.key, e.value])) : expected;
    if (typeof entries !== "object") return fail;
    const keys = new Set([...Object.keys(entries as object), ...Object.keys(actual)]);
    return [...keys].flatMap((key) => hyparquetDisagreements((entries as Record<string, unknown>)[key], (actual as Record<string, unknown>)[key], `${path}.${key}`));
  }
  return expected === actual ? [] : fail;
}

function describe(value: unknown): string {
  return JSON.stringify(value, function (key, v: unknown) {
    const raw = (this as Record<string, unknown>)[key];
    if (typeof raw === "bigint") return `${raw}n`;
    if (raw instanceof Uint8Array) return `bytes[${[...raw].join(",")}]`;
    if (raw instanceof Date) return raw.toISOString();
    return v;
  });
}
