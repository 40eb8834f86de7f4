// A validated batch as the lake's records: each record's key and value as the lake takes them
// (Protobuf messages through toObject), grouped by the table schema of the schema versions that
// decoded them, so records written with an older or newer version go to the table as that version
// (a compatible new version evolves the table). Loaded only with the lake (lake-feed.ts).

import type protobuf from "protobufjs";
import { tableSchema, type LakeRecord, type SchemaPart as LakePart, type TableSchema } from "../lake/lake.ts";
import { timestampTypeOf, TimestampType, type RecordBatchHeader } from "../protocol/record-batch.ts";
import type { CompiledSchema, ValidatedBatch } from "../schema/types.ts";

/** Exact longs, enum names and proto3 defaults for unset scalars: what the lake's Protobuf columns expect. */
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true };

export interface RecordGroup {
  schema: TableSchema;
  records: LakeRecord[];
}

/** Stands for a part without a schema (raw bytes) in the table schema cache. */
const RAW = {};

function lakePart(compiled: CompiledSchema): LakePart {
  switch (compiled.format) {
    case "avro":
      return { format: "avro", schema: compiled.json as object };
    case "json":
      return { format: "json", schema: (compiled.json ?? compiled.schema) as object };
    case "protobuf":
      return { format: "protobuf", type: compiled.schema as protobuf.Type };
  }
}

function lakeValue(compiled: CompiledSchema | null, value: unknown): unknown {
  if (compiled?.format !== "protobuf" || value === null || value === undefined) return value;
  return (compiled.schema as protobuf.Type).toObject(value as protobuf.Message, TO_OBJECT);
}

export class LakeRecords {
  /** Table schemas by the compiled key schema, then the compiled value schema: built once per pair of versions. */
  readonly #tables = new WeakMap<object, WeakMap<object, TableSchema>>();

  /**
   * The records of `batch` at `baseOffset` of `partition` that `keep` accepts, grouped by table schema.
   * `header` is the stored batch's: with LogAppendTime every record takes the batch's timestamp.
   * @throws LakeSchemaError when a schema has no columns
   */
  groups(batch: ValidatedBatch, header: RecordBatchHeader, partition: number, baseOffset: bigint, keep: (offset: bigint) => boolean): RecordGroup[] {
    const logAppendTime = timestampTypeOf(header.attributes) === TimestampType.logAppendTime;
    const groups = new Map<TableSchema, LakeRecord[]>();
    for (const record of batch.records) {
      const offset = baseOffset + BigInt(record.offsetDelta);
      if (!keep(offset)) continue;
      // A null part (Confluent's tombstone) was decoded with nothing: it takes the topic's latest schema.
      const keySchema = record.keySchema ?? batch.schema.key?.latest ?? null;
      const valueSchema = record.valueSchema ?? batch.schema.value?.latest ?? null;
      const schema = this.#table(keySchema, valueSchema);
      let records = groups.get(schema);
      if (!records) groups.set(schema, (records = []));
      records.push({
        partition,
        offset,
        timestamp: logAppendTime ? header.maxTimestamp : batch.baseTimestamp + record.timestampDelta,
        key: lakeValue(keySchema, record.key),
        value: lakeValue(valueSchema, record.value),
        headers: record.headers,
      });
    }
    return [...groups].map(([schema, records]) => ({ schema, records }));
  }

  #table(key: CompiledSchema | null, value: CompiledSchema | null): TableSchema {
    let byValue = this.#tables.get(key ?? RAW);
    if (!byValue) this.#tables.set(key ?? RAW, (byValue = new WeakMap()));
    let schema = byValue.get(value ?? RAW);
    if (!schema) {
      schema = tableSchema({ key: key ? lakePart(key) : undefined, value: value ? lakePart(value) : undefined });
      byValue.set(value ?? RAW, schema);
    }
    return schema;
  }
}
