// A topic as plain Parquet files, for readers that need no table format (read_parquet over a
// glob). There is no log: each file is its own commit, created only if absent, in hive-style
// directories when partitioned. File names carry the Kafka partition and the first and last
// offset they hold (p<partition>-<first>-<last>.parquet, offsets zero-padded to 20 digits),
// which is the bookkeeping: the table ends where the highest last offset is, and a writer that
// writes the same rows again finds the name taken and writes nothing.

import { reconcileFields, type Field } from "./columns.ts";
import type { LakeStore } from "./object-store.ts";
import type { Ends } from "./offsets.ts";
import { writeParquet } from "./parquet-file.ts";
import { bindPartitioning, partitionPath, type PartitionTerm } from "./partitioning.ts";
import { groupByPartition, type PendingRow, type SchemaBatch, type TableWriter } from "./table-writer.ts";

const FILE_NAME = /(?:^|\/)p(\d+)-(\d{20})-(\d{20})\.parquet$/;

export class ParquetTable implements TableWriter {
  readonly #store: LakeStore;
  readonly #partitioning: PartitionTerm[];

  constructor(store: LakeStore, partitioning: PartitionTerm[]) {
    this.#store = store;
    this.#partitioning = partitioning;
  }

  async ends(): Promise<Ends> {
    const ends: Ends = new Map();
    for (const path of await this.#store.list("")) {
      const match = FILE_NAME.exec(path);
      if (!match) continue;
      const partition = Number(match[1]);
      const end = BigInt(match[3]!) + 1n;
      if (end > (ends.get(partition) ?? 0n)) ends.set(partition, end);
    }
    return ends;
  }

  async commit(batches: SchemaBatch[]): Promise<void> {
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
