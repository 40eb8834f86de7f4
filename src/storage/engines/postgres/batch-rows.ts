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
import { CopyTupleWriter, fieldSize } from "./copy-binary.ts";

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

/** COPY tuples of a batch's data records, with the topic key and offsets stamped at commit. */
export interface RecordRows {
  tuples: Uint8Array;
  /** Where each tuple starts in `tuples`. */
  starts: number[];
  offsetDeltas: number[];
}

export interface PreparedBatch {
  framing: Framing;
  rows: RecordRows;
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
// Within a tuple: field count (2), then topic_key's length and value (4 + 4), partition (4 + 4), offset_id's length.
const TOPIC_KEY_AT = 2 + 4;
const OFFSET_AT = 2 + 8 + 8 + 4;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * Splits a batch into its framing and record rows, decompressing it.
 * @throws MalformedMessageError, CorruptRecordError for bytes that are not a valid batch
 */
export function prepareBatch(batch: AppendBatch, partition: number): PreparedBatch {
  const decoded = decodeRecordBatch(batch.bytes, { verifyCrc: false });
  const logAppendTime = timestampTypeOf(decoded.attributes) === TimestampType.logAppendTime;
  const control = isControl(decoded.attributes);
  // Rebuilt deltas are against the stored timestamps, which for LogAppendTime are the batch's time.
  const timestampOf = (record: KafkaRecord) => (logAppendTime ? decoded.maxTimestamp : decoded.baseTimestamp + record.timestampDelta);
  const uncompressedAsIs = compressionOf(decoded.attributes) === 0 && !logAppendTime;
  const sizeBytes = uncompressedAsIs
    ? batch.bytes.byteLength
    : BATCH_HEADER_BYTES + recordsSize(decoded.records.map((r) => ({ ...r, timestampDelta: timestampOf(r) - decoded.baseTimestamp })));
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
    sizeBytes,
    controlRecords: control ? encodeValue(decoded.records) : null,
  };
  if (control) return { framing, rows: { tuples: new Uint8Array(0), starts: [], offsetDeltas: [] } };

  const headers = decoded.records.map((r) => (r.headers.length === 0 ? null : utf8.encode(headersJson(r.headers))));
  let size = 0;
  decoded.records.forEach((record, i) => {
    size += 2 + fieldSize.int32 * 2 + fieldSize.int64 * 2 + fieldSize.bytes(record.key) + fieldSize.bytes(record.value) + fieldSize.jsonb(headers[i]);
  });
  const writer = new CopyTupleWriter(size);
  const starts: number[] = [];
  const offsetDeltas: number[] = [];
  decoded.records.forEach((record, i) => {
    starts.push(writer.at);
    offsetDeltas.push(record.offsetDelta);
    writer.tuple(RECORD_FIELDS);
    writer.int32(0); // topic key, stamped at commit
    writer.int32(partition);
    writer.int64(0n); // offset, stamped at commit
    writer.int64(timestampOf(record));
    writer.bytesOrNull(record.key);
    writer.bytesOrNull(record.value);
    writer.jsonbOrNull(headers[i]);
  });
  return { framing, rows: { tuples: writer.bytes, starts, offsetDeltas } };
}

/** Writes where the rows belong into their tuples, once the partition is locked. */
export function stampRows(rows: RecordRows, topicKey: number, baseOffset: bigint): void {
  const view = new DataView(rows.tuples.buffer, rows.tuples.byteOffset, rows.tuples.byteLength);
  for (let i = 0; i < rows.starts.length; i++) {
    view.setInt32(rows.starts[i] + TOPIC_KEY_AT, topicKey);
    view.setBigInt64(rows.starts[i] + OFFSET_AT, baseOffset + BigInt(rows.offsetDeltas[i]));
  }
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
