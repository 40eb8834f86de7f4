// A record batch as the postgres:// engine keeps it, and back: the framing (one row of
// tansu.batches) plus one row of tansu.batch_records per record. Records are stored
// uncompressed, so a fetch rebuilds an uncompressed batch; for a batch that came in
// uncompressed the rebuilt bytes are the bytes produced (Kafka's varints have one encoding),
// apart from the base offset the store assigns.

import {
  BATCH_HEADER_BYTES,
  compressionOf,
  decodeRecordBatch,
  encodeRecordBatch,
  isControl,
  recordsSize,
  TimestampType,
  timestampTypeOf,
  type KafkaRecord,
  type RecordHeader,
  type RecordInput,
} from "../../../protocol/record-batch.ts";
import { MalformedMessageError } from "../../../protocol/errors.ts";
import { decodeValue, encodeValue } from "../../record-codec.ts";
import type { AppendBatch } from "../../storage.ts";
import { fieldSize, type CopyWriter } from "./copy-binary.ts";

const COMPRESSION_BITS = 0x07;

/** A tansu.batches row apart from where it is (topic, partition, base offset). */
export interface Framing {
  lastOffsetDelta: number;
  recordCount: number;
  /** Without compression bits. */
  attributes: number;
  partitionLeaderEpoch: number;
  baseTimestamp: bigint;
  encodedMaxTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  sizeBytes: number;
  /** A control batch's records (record-codec JSON); null for data batches. */
  controlRecords: string | null;
}

/** A batch ready to be written: its framing, and its data records (none for a control batch). */
export interface PreparedBatch {
  framing: Framing;
  records: KafkaRecord[];
}

/** A tansu.batch_records row as fetch reads it. */
export interface StoredRecord {
  offset: bigint;
  timestampMs: bigint;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
}

/** Columns COPY writes to tansu.batch_records, in this order. */
export const RECORD_COLUMNS = "topic_key, partition, offset_id, timestamp_ms, key, value, headers";
const RECORD_FIELDS = 7;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * Splits a batch into its framing and records, decompressing it; writeRows writes the records
 * once their offsets are known.
 * @throws MalformedMessageError, CorruptRecordError for bytes that are not a valid batch
 */
export function prepareBatch(batch: AppendBatch): PreparedBatch {
  const decoded = decodeRecordBatch(batch.bytes, { verifyCrc: false });
  const control = isControl(decoded.attributes);
  const framing: Framing = {
    lastOffsetDelta: batch.offsetCount - 1,
    recordCount: decoded.records.length,
    attributes: decoded.attributes & ~COMPRESSION_BITS,
    partitionLeaderEpoch: decoded.partitionLeaderEpoch,
    baseTimestamp: decoded.baseTimestamp,
    encodedMaxTimestamp: decoded.maxTimestamp,
    maxTimestamp: batch.maxTimestamp,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    sizeBytes: batch.bytes.byteLength,
    controlRecords: control ? encodeValue(decoded.records) : null,
  };
  // An uncompressed CreateTime batch is rebuilt byte for byte; any other is rebuilt uncompressed,
  // its deltas against the stored timestamps (for LogAppendTime, the batch's time).
  if (compressionOf(decoded.attributes) !== 0 || logAppendTime(framing)) {
    const stored = decoded.records.map((r) => ({ ...r, timestampDelta: storedTimestamp(framing, r) - decoded.baseTimestamp }));
    framing.sizeBytes = BATCH_HEADER_BYTES + recordsSize(stored);
  }
  return { framing, records: control ? [] : decoded.records };
}

/** Writes the rows of a prepared batch, its first record at `baseOffset`, as COPY tuples. */
export function writeRows(writer: CopyWriter, prepared: PreparedBatch, topicKey: number, partition: number, baseOffset: bigint): void {
  const { framing } = prepared;
  for (const record of prepared.records) {
    const headers = record.headers.length === 0 ? null : utf8.encode(headersJson(record.headers));
    const size = 2 + fieldSize.int32 * 2 + fieldSize.int64 * 2 + fieldSize.bytes(record.key) + fieldSize.bytes(record.value) + fieldSize.jsonb(headers);
    writer.tuple(RECORD_FIELDS, size);
    writer.int32(topicKey);
    writer.int32(partition);
    writer.int64(baseOffset + BigInt(record.offsetDelta));
    writer.int64(storedTimestamp(framing, record));
    writer.bytesOrNull(record.key);
    writer.bytesOrNull(record.value);
    writer.jsonbOrNull(headers);
  }
}

function logAppendTime(framing: Framing): boolean {
  return timestampTypeOf(framing.attributes) === TimestampType.logAppendTime;
}

/** A record's timestamp as stored: a LogAppendTime batch's records all have the batch's time. */
function storedTimestamp(framing: Framing, record: KafkaRecord): bigint {
  return logAppendTime(framing) ? framing.encodedMaxTimestamp : framing.baseTimestamp + record.timestampDelta;
}

/** The batch a fetch hands out: the framing at `baseOffset` with `records` (offset order). */
export function rebuildBatch(framing: Framing, baseOffset: bigint, records: StoredRecord[]): Uint8Array {
  const inputs: RecordInput[] =
    framing.controlRecords !== null
      ? decodeValue<KafkaRecord[]>(framing.controlRecords)
      : records.map((r) => ({
          offsetDelta: Number(r.offset - baseOffset),
          timestampDelta: r.timestampMs - framing.baseTimestamp,
          key: r.key,
          value: r.value,
          headers: r.headers,
        }));
  return encodeRecordBatch({
    baseOffset,
    partitionLeaderEpoch: framing.partitionLeaderEpoch,
    attributes: framing.attributes,
    baseTimestamp: framing.baseTimestamp,
    maxTimestamp: framing.encodedMaxTimestamp,
    producerId: framing.producerId,
    producerEpoch: framing.producerEpoch,
    baseSequence: framing.baseSequence,
    lastOffsetDelta: framing.lastOffsetDelta,
    records: inputs,
  });
}

/** Headers as tansu.records shows them: [{"key": text, "value": base64 or null}, ...]. */
function headersJson(headers: RecordHeader[]): string {
  return JSON.stringify(headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.toBase64() })));
}

/** Parses the headers column (UTF-8 JSON), as written by the engine or by tansu.produce(). */
export function parseHeaders(json: Uint8Array | null): RecordHeader[] {
  if (json === null) return [];
  const parsed = JSON.parse(utf8Decoder.decode(json)) as Array<{ key: string; value?: string | null }>;
  if (!Array.isArray(parsed)) throw new MalformedMessageError("stored headers are not a JSON array");
  return parsed.map((h) => ({ key: h.key, value: h.value == null ? null : Uint8Array.fromBase64(h.value) }));
}
