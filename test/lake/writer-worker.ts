// One lake writer in a process of its own, so that two of them race for real over one table:
// writes the avro fixture's records `first`..`last` (record i at partition i % PARTITIONS) whose
// index satisfies `every`, committing every `batch` records, then prints "written".
//
// usage: bun writer-worker.ts JSON-OPTIONS   (see WorkerOptions; S3 settings in the environment)

import { Lake, tableSchema, type LakeFormat } from "../../src/lake/lake.ts";
import { avroTopic, recordsOf } from "./topics.ts";

export interface WorkerOptions {
  location: string;
  format: LakeFormat;
  icebergCatalog?: string;
  first: number;
  last: number;
  /** Write record i only when i % every.modulo === every.remainder. */
  every: { modulo: number; remainder: number };
  batch: number;
  partitions: number;
}

const options = JSON.parse(process.argv[2]!) as WorkerOptions;
const lake = await Lake.open({ location: options.location, format: options.format, icebergCatalog: options.icebergCatalog });
const schema = tableSchema(avroTopic.schema);
const configs = { "tansu.lake.commit.records": String(options.batch), "tansu.lake.commit.interval.ms": "600000" };
const records = recordsOf(avroTopic, options.last - options.first + 1, options.partitions, options.first).filter(
  (_, n) => (options.first + n) % options.every.modulo === options.every.remainder,
);
// One commit per batch, one after the other: as many commits as possible to race with. A last,
// smaller batch is committed by close().
const rest: Promise<void>[] = [];
for (let i = 0; i < records.length; i += options.batch) {
  const batch = records.slice(i, i + options.batch);
  const written = lake.write(avroTopic.name, schema, batch, configs);
  if (batch.length === options.batch) await written;
  else rest.push(written);
}
await lake.close();
await Promise.all(rest);
console.log("written");
