// A topic as plain Parquet files, for readers that need no table format (read_parquet over a
// glob). There is no log: each file is its own commit, created only if absent, in hive-style
// directories when partitioned. File names carry the Kafka partition and the first and last
// offset they hold (p<partition>-<first>-<last>.parquet, offsets zero-padded to 20 digits),
// which is the bookkeeping: the table holds the offsets its file names span, a writer drops rows
// the files it knows of hold, and a writer that writes the same rows again finds the name taken and
// writes nothing. There is no atomic commit across files: writers racing over overlapping but
// different offset ranges can both write a row (Iceberg and Delta tables are exact).

import { reconcileFields, type Field } from "./columns.ts";
import type { LakeStore } from "./object-store.ts";
import { mergeRuns, runsOf, type Runs } from "./offsets.ts";
import { writeParquet } from "./parquet-file.ts";
import { bindPartitioning, partitionPath, type PartitionTerm } from "./partitioning.ts";
import { groupByPartition, withoutWritten, type PendingRow, type SchemaBatch, type TableWriter } from "./table-writer.ts";

const FILE_NAME = /(?:^|\/)p(\d+)-(\d{20})-(\d{20})\.parquet$/;

export class ParquetTable implements TableWriter {
  readonly #store: LakeStore;
  readonly #partitioning: PartitionTerm[];
  /** What the files held when last listed, plus what this writer wrote since; null until listed. */
  #written: Runs | null = null;

  constructor(store: LakeStore, partitioning: PartitionTerm[]) {
    this.#store = store;
    this.#partitioning = partitioning;
  }

  async written(): Promise<Runs> {
    const spans: Runs = new Map();
    for (const path of await this.#store.list("")) {
      const match = FILE_NAME.exec(path);
      if (!match) continue;
      const partition = Number(match[1]);
      spans.set(partition, [...(spans.get(partition) ?? []), [BigInt(match[2]!), BigInt(match[3]!)]]);
    }
    this.#written = mergeRuns(spans, new Map());
    return this.#written;
  }

  async commit(batches: SchemaBatch[]): Promise<void> {
    const written = this.#written ?? (await this.written());
    batches = withoutWritten(batches, written) ?? batches;
    for (const batch of batches) {
      // Plain Parquet has no table schema to take ids from: each file numbers its own fields.
      const fields: Field[] = reconcileFields(null, batch.schema.fields, 0).incoming;
      const partitioning = bindPartitioning(this.#partitioning, fields);
      for (const rows of byKafkaPartition(batch.rows)) {
        for (const group of groupByPartition(rows, partitioning)) {
          const offsets = group.rows.map((row) => row[batch.schema.metadata.offset] as bigint);
          const first = offsets.reduce((a, b) => (b < a ? b : a));
          const last = offsets.reduce((a, b) => (b > a ? b : a));
          const name = `p${rows[0]!.partition}-${pad(first)}-${pad(last)}.parquet`;
          const parquet = writeParquet(fields, group.rows, "parquet");
          await this.#store.putIfAbsent(`${partitionPath(partitioning, group.values)}${name}`, parquet.bytes);
        }
      }
      this.#written = mergeRuns(this.#written ?? new Map(), runsOf(batch.rows));
    }
  }
}

function byKafkaPartition(rows: PendingRow[]): PendingRow[][] {
  const groups = new Map<number, PendingRow[]>();
  for (const row of rows) {
    let group = groups.get(row.partition);
    if (!group) groups.set(row.partition, (group = []));
    group.push(row);
  }
  return [...groups.values()];
}

const pad = (offset: bigint) => offset.toString().padStart(20, "0");
