// Topics as tables: validated records written into Parquet files, Apache Iceberg tables or
// Delta Lake tables at a lake location, so analytics engines read a topic with no connector.
// src/lake sees typed records and schemas, never sockets, and imports neither the broker nor
// the storage engines. Load it with a dynamic import, only when a lake is configured.
//
// The interface the broker and CLI use:
//
//   const lake = await Lake.open({ location, format, namespace, icebergCatalog });
//       location: file://DIR or s3://BUCKET/PREFIX/ (S3 settings from the environment, as the
//       s3:// engine reads them); format: the default table format (--lake-format); namespace:
//       tables are <namespace>.<topic> (default "tansu"); icebergCatalog: http(s) URL of an
//       Iceberg REST catalog, else a file-system catalog at the location.
//   const schema = tableSchema({ key, value });
//       once per topic schema version: key/value parts as { format: "avro", schema } (the
//       schema JSON), { format: "json", schema } (a JSON Schema object) or
//       { format: "protobuf", type } (a protobufjs Type); an absent part is raw bytes.
//   await lake.write(topic, schema, records, topicConfigs);
//       records: { partition, offset, timestamp (ms), key, value (decoded: avsc decode,
//       JSON.parse, protobufjs toObject), headers }. Resolves once the rows are committed to
//       the table (a sink topic acknowledges its produce then); rows are batched per table by
//       tansu.lake.commit.records / tansu.lake.commit.interval.ms, so concurrent writes share
//       one commit. Rejects with LakeValueError for a record that does not fit the columns
//       (nothing of that call is buffered) and with the commit's error if the commit fails.
//   await lake.ends(topic, topicConfigs);
//       per Kafka partition, one past the highest offset in the table: where a writer resumes
//       after a restart so that no row is written twice or skipped.
//   await lake.written(topic, topicConfigs);
//       per Kafka partition, the runs of offsets the table holds ([first, last], inclusive): what
//       a writer that fills gaps (several writers, a crash mid-stream) must not write again.
//   await lake.flush();  await lake.close();
//       commit what is buffered (SIGTERM calls close()).
//
// Topic configs (topic-settings.ts): tansu.lake.format, tansu.lake.enable, tansu.lake.sink,
// tansu.lake.partition (e.g. day(timestamp), hour(timestamp), a column), and the commit policy.

import { CommitBatcher } from "./commit-batcher.ts";
import { DeltaTable } from "./delta/delta-table.ts";
import { FileSystemCatalog, type IcebergCatalog } from "./iceberg/catalog.ts";
import { IcebergTable } from "./iceberg/iceberg-table.ts";
import { RestCatalog } from "./iceberg/rest-catalog.ts";
import { openLakeStore, subStore, type LakeStore } from "./object-store.ts";
import { endsOf, type Ends, type Runs } from "./offsets.ts";
import { ParquetTable } from "./parquet-table.ts";
import type { LakeRecord, TableSchema } from "./table-schema.ts";
import type { PendingRow, TableWriter } from "./table-writer.ts";
import { topicLakeSettings, type LakeFormat, type TopicLakeSettings } from "./topic-settings.ts";

export { tableSchema, type LakeRecord, type TableSchema, type TopicSchema, type SchemaPart } from "./table-schema.ts";
export { LakeSchemaError } from "./columns.ts";
export { LakeValueError } from "./value-conversion.ts";
export type { LakeFormat } from "./topic-settings.ts";
export type { Runs } from "./offsets.ts";

export interface LakeOptions {
  location: string;
  /** The format of topics that do not set tansu.lake.format; default parquet. */
  format?: LakeFormat;
  /** Default "tansu". */
  namespace?: string;
  icebergCatalog?: string;
  env?: Record<string, string | undefined>;
  /** Problems that do not fail a write (a checkpoint that could not be written). */
  onWarning?: (message: string, error: unknown) => void;
}

interface Table {
  format: LakeFormat;
  writer: TableWriter;
  batcher: CommitBatcher;
  /** Commits and reads of the table's state one at a time: the writers keep that state in memory. */
  serial: <T>(work: () => Promise<T>) => Promise<T>;
}

function serialized(): <T>(work: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return (work) => {
    const run = last.then(work, work);
    last = run.catch(() => undefined);
    return run;
  };
}

export class Lake {
  readonly #store: LakeStore;
  readonly #format: LakeFormat;
  readonly #namespace: string;
  readonly #catalog: IcebergCatalog;
  readonly #warn: (message: string, error: unknown) => void;
  readonly #tables = new Map<string, Table>();
  #closed = false;

  private constructor(store: LakeStore, options: LakeOptions) {
    this.#store = store;
    this.#format = options.format ?? "parquet";
    this.#namespace = options.namespace ?? "tansu";
    this.#catalog = options.icebergCatalog ? new RestCatalog(options.icebergCatalog, store.root, options.env) : new FileSystemCatalog(store);
    this.#warn = options.onWarning ?? (() => undefined);
  }

  static async open(options: LakeOptions): Promise<Lake> {
    return new Lake(await openLakeStore(options.location, options.env), options);
  }

  /** The settings a topic's configs give it under this lake. */
  settings(topicConfigs: Record<string, string> = {}): TopicLakeSettings {
    return topicLakeSettings(topicConfigs, this.#format);
  }

  async write(topic: string, schema: TableSchema, records: readonly LakeRecord[], topicConfigs: Record<string, string> = {}): Promise<void> {
    if (this.#closed) throw new Error("the lake is closed");
    const settings = this.settings(topicConfigs);
    if (!settings.enabled) return;
    const rows: PendingRow[] = records.map((record) => ({ row: schema.toRow(record), partition: record.partition, offset: record.offset }));
    const table = this.#table(topic, settings);
    table.batcher.policy = { records: settings.commitRecords, intervalMs: settings.commitIntervalMs };
    return table.batcher.add(schema, rows);
  }

  async ends(topic: string, topicConfigs: Record<string, string> = {}): Promise<Ends> {
    return endsOf(await this.written(topic, topicConfigs));
  }

  async written(topic: string, topicConfigs: Record<string, string> = {}): Promise<Runs> {
    const table = this.#table(topic, this.settings(topicConfigs));
    return table.serial(() => table.writer.written());
  }

  async flush(): Promise<void> {
    await Promise.all([...this.#tables.values()].map((table) => table.batcher.flush()));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    this.#catalog.close();
    this.#store.close();
  }

  #table(topic: string, settings: TopicLakeSettings): Table {
    const key = `${settings.format}:${topic}`;
    let table = this.#tables.get(key);
    if (!table) {
      const writer = this.#writer(topic, settings);
      const serial = serialized();
      const batcher = new CommitBatcher((batches) => serial(() => writer.commit(batches)), { records: settings.commitRecords, intervalMs: settings.commitIntervalMs });
      this.#tables.set(key, (table = { format: settings.format, writer, batcher, serial }));
    }
    return table;
  }

  #writer(topic: string, settings: TopicLakeSettings): TableWriter {
    const dir = subStore(this.#store, `${this.#namespace}/${topic}/`);
    switch (settings.format) {
      case "parquet":
        return new ParquetTable(dir, settings.partitioning);
      case "iceberg":
        return new IcebergTable(this.#catalog, this.#namespace, topic, this.#store, settings.partitioning);
      case "delta":
        return new DeltaTable(dir, `${this.#namespace}.${topic}`, settings.partitioning, this.#warn);
    }
  }
}
