// Magic-2 record batches (KIP-98): the unit clients produce, storage keeps and Fetch returns.
//
// Layout, big-endian, offsets from the batch start:
//   0 baseOffset int64 | 8 batchLength int32 (bytes after this field) | 12 partitionLeaderEpoch int32
//   16 magic int8 | 17 crc uint32 (CRC-32C of byte 21 to the end) | 21 attributes int16 | 23 lastOffsetDelta int32
//   27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16
//   53 baseSequence int32 | 57 recordCount int32 | 61 records (compressed as one block when a codec is set)
//
// Decoding never copies an uncompressed payload: record keys and values are views into the input (or into the
// decompressed buffer), so callers that keep them past the input's lifetime must copy.

import { crc32c } from "./crc32c.ts";
import { codecFor, DEFAULT_MAX_DECOMPRESSED_BYTES } from "./compression/index.ts";
import { CorruptRecordError, MalformedMessageError, TruncatedMessageError } from "./errors.ts";
import { readVarint, readVarlong, varintSize, varlongSize, writeVarint, writeVarlong, type Cursor } from "./varint.ts";

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export const TimestampType = { createTime: 0, logAppendTime: 1 } as const;

/** Bytes before the records: the fixed batch header. */
export const BATCH_HEADER_BYTES = 61;
/** The offset and length fields opening every log entry (a batch, a legacy message); the length does not count them. */
export const LOG_OVERHEAD = 12;
const MAGIC = 2;

const OFFSET_BATCH_LENGTH = 8;
const OFFSET_LEADER_EPOCH = 12;
const OFFSET_MAGIC = 16;
const OFFSET_CRC = 17;
const OFFSET_ATTRIBUTES = 21;
const OFFSET_LAST_OFFSET_DELTA = 23;
const OFFSET_BASE_TIMESTAMP = 27;
const OFFSET_MAX_TIMESTAMP = 35;
const OFFSET_PRODUCER_ID = 43;
const OFFSET_PRODUCER_EPOCH = 51;
const OFFSET_BASE_SEQUENCE = 53;
const OFFSET_RECORD_COUNT = 57;

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;

export interface RecordHeader {
  key: string;
  value: Uint8Array | null;
}

export interface KafkaRecord {
  attributes: number;
  timestampDelta: bigint;
  offsetDelta: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
}

export interface RecordBatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export interface RecordBatch extends RecordBatchHeader {
  records: KafkaRecord[];
}

export type RecordInput = Partial<KafkaRecord> & { offsetDelta: number };

export interface RecordBatchInput {
  baseOffset?: bigint;
  /** Defaults to -1 (no epoch), as producers send it. */
  partitionLeaderEpoch?: number;
  /** Starting attribute bits; `compression`, `transactional`, `control` and `timestampType` override theirs. */
  attributes?: number;
  compression?: number;
  baseTimestamp: bigint;
  /** Defaults to baseTimestamp plus the largest timestampDelta. */
  maxTimestamp?: bigint;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  /** Defaults to the largest offsetDelta; compaction keeps the original so offsets stay allocated. */
  lastOffsetDelta?: number;
  transactional?: boolean;
  control?: boolean;
  timestampType?: 0 | 1;
  records: RecordInput[];
}

export interface DecodeOptions {
  /** Check the CRC-32C first (default true); skip it only for bytes already verified, e.g. by splitBatches. */
  verifyCrc?: boolean;
  /** Cap on the decompressed records of one batch (default 64 MiB); beyond it MalformedMessageError. */
  maxDecompressedBytes?: number;
}

export function compressionOf(attributes: number): number {
  return attributes & COMPRESSION_MASK;
}

export function timestampTypeOf(attributes: number): 0 | 1 {
  return attributes & TIMESTAMP_TYPE_BIT ? 1 : 0;
}

export function isTransactional(attributes: number): boolean {
  return (attributes & TRANSACTIONAL_BIT) !== 0;
}

export function isControl(attributes: number): boolean {
  return (attributes & CONTROL_BIT) !== 0;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function checkedBatchLength(view: DataView, offset: number): number {
  const batchLength = view.getInt32(offset + OFFSET_BATCH_LENGTH);
  if (batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD) {
    throw new MalformedMessageError(`record batch at byte ${offset} declares a length of ${batchLength}, below the header size`);
  }
  return batchLength;
}

function checkMagic(bytes: Uint8Array, offset: number): void {
  const magic = bytes[offset + OFFSET_MAGIC]!;
  if (magic !== MAGIC) {
    throw new MalformedMessageError(
      `record batch at byte ${offset} has magic ${magic}; only magic 2 (Kafka 0.11+) batches are supported`,
    );
  }
}

function verifyCrc(bytes: Uint8Array, offset: number, end: number, expected: number): void {
  const actual = crc32c(bytes, 0, offset + OFFSET_ATTRIBUTES, end);
  if (actual !== expected) {
    throw new CorruptRecordError(
      `record batch at byte ${offset} has CRC ${expected.toString(16)} but its contents hash to ${actual.toString(16)}`,
    );
  }
}

/** Reads the fixed 61-byte header of the batch at `offset`; checks the magic and the length's lower bound only. */
export function readBatchHeader(bytes: Uint8Array, offset = 0): RecordBatchHeader {
  if (bytes.length - offset < BATCH_HEADER_BYTES) {
    throw new TruncatedMessageError(`record batch header at byte ${offset} needs ${BATCH_HEADER_BYTES} bytes, has ${bytes.length - offset}`);
  }
  const view = viewOf(bytes);
  checkMagic(bytes, offset);
  return {
    baseOffset: view.getBigInt64(offset),
    batchLength: checkedBatchLength(view, offset),
    partitionLeaderEpoch: view.getInt32(offset + OFFSET_LEADER_EPOCH),
    magic: MAGIC,
    crc: view.getUint32(offset + OFFSET_CRC),
    attributes: view.getInt16(offset + OFFSET_ATTRIBUTES),
    lastOffsetDelta: view.getInt32(offset + OFFSET_LAST_OFFSET_DELTA),
    baseTimestamp: view.getBigInt64(offset + OFFSET_BASE_TIMESTAMP),
    maxTimestamp: view.getBigInt64(offset + OFFSET_MAX_TIMESTAMP),
    producerId: view.getBigInt64(offset + OFFSET_PRODUCER_ID),
    producerEpoch: view.getInt16(offset + OFFSET_PRODUCER_EPOCH),
    baseSequence: view.getInt32(offset + OFFSET_BASE_SEQUENCE),
    recordCount: view.getInt32(offset + OFFSET_RECORD_COUNT),
  };
}

/** The record count field of the batch at the start of `bytes` (no other check: for batches already validated). */
export function recordCountOf(bytes: Uint8Array): number {
  return viewOf(bytes).getInt32(OFFSET_RECORD_COUNT);
}

/**
 * Splits a records field (several concatenated batches) into batch views without copying or decompressing;
 * validates lengths and magic; verifies CRC when verifyCrc (default true). A trailing partial batch (allowed in
 * Fetch responses) is ignored when `allowPartialTail` is true, else TruncatedMessageError.
 */
export function splitBatches(
  records: Uint8Array,
  options: { verifyCrc?: boolean; allowPartialTail?: boolean } = {},
): Array<{ header: RecordBatchHeader; bytes: Uint8Array }> {
  const { verifyCrc: verify = true, allowPartialTail = false } = options;
  const view = viewOf(records);
  const batches: Array<{ header: RecordBatchHeader; bytes: Uint8Array }> = [];
  let offset = 0;
  while (offset < records.length) {
    const remaining = records.length - offset;
    // A partial batch is one whose declared size runs past the end; a wrong size is malformed even there.
    const end = remaining < LOG_OVERHEAD ? Infinity : offset + LOG_OVERHEAD + checkedBatchLength(view, offset);
    if (end > records.length) {
      if (allowPartialTail) break;
      throw new TruncatedMessageError(`record batch at byte ${offset} is cut off after ${remaining} bytes`);
    }
    const header = readBatchHeader(records, offset);
    if (verify) verifyCrc(records, offset, end, header.crc);
    batches.push({ header, bytes: records.subarray(offset, end) });
    offset = end;
  }
  return batches;
}

function readSizedBytes(data: Uint8Array, cursor: Cursor, end: number, what: string): Uint8Array | null {
  const length = readVarint(data, cursor, end);
  if (length < 0) return null;
  const start = cursor.offset;
  if (length > end - start) throw new TruncatedMessageError(`${what} of ${length} bytes runs past its record at byte ${start}`);
  cursor.offset = start + length;
  return data.subarray(start, start + length);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function readHeaderKey(data: Uint8Array, cursor: Cursor, end: number): string {
  const bytes = readSizedBytes(data, cursor, end, "header key");
  if (bytes === null) throw new MalformedMessageError(`record header key at byte ${cursor.offset} is null`);
  try {
    return utf8.decode(bytes);
  } catch (error) {
    throw new MalformedMessageError(`record header key at byte ${cursor.offset} is not valid UTF-8`, { cause: error });
  }
}

function readRecord(data: Uint8Array, cursor: Cursor): KafkaRecord {
  const length = readVarint(data, cursor);
  const start = cursor.offset;
  if (length < 1) throw new MalformedMessageError(`record at byte ${start} declares a length of ${length}`);
  if (length > data.length - start) throw new TruncatedMessageError(`record of ${length} bytes at byte ${start} runs past the batch`);
  const end = start + length;
  const attributes = data[cursor.offset++]!;
  const timestampDelta = readVarlong(data, cursor, end);
  const offsetDelta = readVarint(data, cursor, end);
  const key = readSizedBytes(data, cursor, end, "key");
  const value = readSizedBytes(data, cursor, end, "value");
  const headerCount = readVarint(data, cursor, end);
  if (headerCount < 0) throw new MalformedMessageError(`record at byte ${start} declares ${headerCount} headers`);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const headerKey = readHeaderKey(data, cursor, end);
    headers.push({ key: headerKey, value: readSizedBytes(data, cursor, end, "header value") });
  }
  if (cursor.offset !== end) {
    throw new MalformedMessageError(`record at byte ${start} declares ${length} bytes but its fields take ${cursor.offset - start}`);
  }
  return { attributes, timestampDelta, offsetDelta, key, value, headers };
}

function readRecords(data: Uint8Array, count: number): KafkaRecord[] {
  if (count < 0) throw new MalformedMessageError(`record batch declares ${count} records`);
  const records: KafkaRecord[] = [];
  const cursor: Cursor = { offset: 0 };
  for (let i = 0; i < count; i++) records.push(readRecord(data, cursor));
  if (cursor.offset !== data.length) {
    throw new MalformedMessageError(`record batch has ${data.length - cursor.offset} bytes after its ${count} records`);
  }
  return records;
}

/** Full decode of exactly one batch, including decompression. */
export function decodeRecordBatch(bytes: Uint8Array, options: DecodeOptions = {}): RecordBatch {
  const header = readBatchHeader(bytes);
  const end = LOG_OVERHEAD + header.batchLength;
  if (end > bytes.length) throw new TruncatedMessageError(`record batch of ${end} bytes is cut off after ${bytes.length}`);
  if (end < bytes.length) throw new MalformedMessageError(`${bytes.length - end} bytes follow the record batch`);
  if (options.verifyCrc ?? true) verifyCrc(bytes, 0, end, header.crc);
  const codec = codecFor(compressionOf(header.attributes));
  const data = codec.decompress(bytes.subarray(BATCH_HEADER_BYTES, end), options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
  return { ...header, records: readRecords(data, header.recordCount) };
}

export function decodeRecordBatches(records: Uint8Array, options: DecodeOptions & { allowPartialTail?: boolean } = {}): RecordBatch[] {
  const split = splitBatches(records, options);
  return split.map(({ bytes }) => decodeRecordBatch(bytes, { ...options, verifyCrc: false }));
}

const utf8Encoder = new TextEncoder();

/** Encoded sizes of one record, computed before writing so the batch is allocated once. */
interface RecordPlan {
  record: RecordInput;
  bodySize: number;
  headerKeys: Uint8Array[];
}

function planRecord(record: RecordInput): RecordPlan {
  const key = record.key ?? null;
  const value = record.value ?? null;
  const headers = record.headers ?? [];
  let size =
    1 +
    varlongSize(record.timestampDelta ?? 0n) +
    varintSize(record.offsetDelta) +
    (key === null ? 1 : varintSize(key.length) + key.length) +
    (value === null ? 1 : varintSize(value.length) + value.length) +
    varintSize(headers.length);
  const headerKeys: Uint8Array[] = [];
  for (const header of headers) {
    const headerKey = utf8Encoder.encode(header.key);
    headerKeys.push(headerKey);
    size += varintSize(headerKey.length) + headerKey.length;
    size += header.value === null ? 1 : varintSize(header.value.length) + header.value.length;
  }
  return { record, bodySize: size, headerKeys };
}

function writeSizedBytes(out: Uint8Array, o: number, bytes: Uint8Array | null): number {
  if (bytes === null) return writeVarint(out, o, -1);
  o = writeVarint(out, o, bytes.length);
  out.set(bytes, o);
  return o + bytes.length;
}

function writeRecord(out: Uint8Array, o: number, plan: RecordPlan): number {
  const { record } = plan;
  o = writeVarint(out, o, plan.bodySize);
  out[o++] = record.attributes ?? 0;
  o = writeVarlong(out, o, record.timestampDelta ?? 0n);
  o = writeVarint(out, o, record.offsetDelta);
  o = writeSizedBytes(out, o, record.key ?? null);
  o = writeSizedBytes(out, o, record.value ?? null);
  const headers = record.headers ?? [];
  o = writeVarint(out, o, headers.length);
  for (let i = 0; i < headers.length; i++) {
    o = writeSizedBytes(out, o, plan.headerKeys[i]!);
    o = writeSizedBytes(out, o, headers[i]!.value);
  }
  return o;
}

function setBit(attributes: number, bit: number, on: boolean | undefined): number {
  if (on === undefined) return attributes;
  return on ? attributes | bit : attributes & ~bit;
}

function attributesOf(batch: RecordBatchInput): number {
  let attributes = batch.attributes ?? 0;
  if (batch.compression !== undefined) attributes = (attributes & ~COMPRESSION_MASK) | batch.compression;
  attributes = setBit(attributes, TRANSACTIONAL_BIT, batch.transactional);
  attributes = setBit(attributes, CONTROL_BIT, batch.control);
  attributes = setBit(attributes, TIMESTAMP_TYPE_BIT, batch.timestampType === undefined ? undefined : batch.timestampType === 1);
  return attributes;
}

/** Encodes (and compresses) a batch, computing batchLength, lastOffsetDelta default, and CRC. */
export function encodeRecordBatch(batch: RecordBatchInput): Uint8Array {
  const attributes = attributesOf(batch);
  const codec = codecFor(compressionOf(attributes));
  const plans = batch.records.map(planRecord);
  let recordsSize = 0;
  let lastOffsetDelta = 0;
  let maxTimestampDelta = 0n;
  for (const plan of plans) {
    recordsSize += varintSize(plan.bodySize) + plan.bodySize;
    if (plan.record.offsetDelta > lastOffsetDelta) lastOffsetDelta = plan.record.offsetDelta;
    const delta = plan.record.timestampDelta ?? 0n;
    if (delta > maxTimestampDelta) maxTimestampDelta = delta;
  }

  let out: Uint8Array;
  if (compressionOf(attributes) === Compression.none) {
    out = new Uint8Array(BATCH_HEADER_BYTES + recordsSize);
    let o = BATCH_HEADER_BYTES;
    for (const plan of plans) o = writeRecord(out, o, plan);
  } else {
    const raw = new Uint8Array(recordsSize);
    let o = 0;
    for (const plan of plans) o = writeRecord(raw, o, plan);
    const compressed = codec.compress(raw);
    out = new Uint8Array(BATCH_HEADER_BYTES + compressed.length);
    out.set(compressed, BATCH_HEADER_BYTES);
  }

  const view = viewOf(out);
  view.setBigInt64(0, batch.baseOffset ?? 0n);
  view.setInt32(OFFSET_BATCH_LENGTH, out.length - LOG_OVERHEAD);
  view.setInt32(OFFSET_LEADER_EPOCH, batch.partitionLeaderEpoch ?? -1);
  out[OFFSET_MAGIC] = MAGIC;
  view.setInt16(OFFSET_ATTRIBUTES, attributes);
  view.setInt32(OFFSET_LAST_OFFSET_DELTA, batch.lastOffsetDelta ?? lastOffsetDelta);
  view.setBigInt64(OFFSET_BASE_TIMESTAMP, batch.baseTimestamp);
  view.setBigInt64(OFFSET_MAX_TIMESTAMP, batch.maxTimestamp ?? batch.baseTimestamp + maxTimestampDelta);
  view.setBigInt64(OFFSET_PRODUCER_ID, batch.producerId ?? -1n);
  view.setInt16(OFFSET_PRODUCER_EPOCH, batch.producerEpoch ?? -1);
  view.setInt32(OFFSET_BASE_SEQUENCE, batch.baseSequence ?? -1);
  view.setInt32(OFFSET_RECORD_COUNT, plans.length);
  view.setUint32(OFFSET_CRC, crc32c(out, 0, OFFSET_ATTRIBUTES, out.length));
  return out;
}

function checkPatchable(batch: Uint8Array): void {
  if (batch.length < BATCH_HEADER_BYTES) {
    throw new TruncatedMessageError(`record batch of ${batch.length} bytes is shorter than its header`);
  }
  checkMagic(batch, 0);
}

/** Rewrites baseOffset in place; it lies outside the CRC, so nothing else changes. */
export function setBaseOffset(batch: Uint8Array, baseOffset: bigint): void {
  checkPatchable(batch);
  viewOf(batch).setBigInt64(0, baseOffset);
}

/** The broker stamps the partition leader epoch; like baseOffset it lies outside the CRC. */
export function setPartitionLeaderEpoch(batch: Uint8Array, epoch: number): void {
  checkPatchable(batch);
  viewOf(batch).setInt32(OFFSET_LEADER_EPOCH, epoch);
}

/**
 * Stamps a LogAppendTime batch in place: sets the timestamp-type bit and maxTimestamp, then recomputes the CRC
 * (one pass over the batch), as Kafka does for topics with message.timestamp.type=LogAppendTime.
 */
export function setLogAppendTime(batch: Uint8Array, timestamp: bigint): void {
  checkPatchable(batch);
  const view = viewOf(batch);
  const end = LOG_OVERHEAD + checkedBatchLength(view, 0);
  if (end > batch.length) throw new TruncatedMessageError(`record batch of ${end} bytes is cut off after ${batch.length}`);
  view.setInt16(OFFSET_ATTRIBUTES, view.getInt16(OFFSET_ATTRIBUTES) | TIMESTAMP_TYPE_BIT);
  view.setBigInt64(OFFSET_MAX_TIMESTAMP, timestamp);
  view.setUint32(OFFSET_CRC, crc32c(batch, 0, OFFSET_ATTRIBUTES, end));
}

// Control records (transaction markers): key = version int16, type int16 (0 abort, 1 commit);
// value = version int16, coordinatorEpoch int32.
const CONTROL_ABORT = 0;
const CONTROL_COMMIT = 1;

/** Control record (COMMIT/ABORT marker) batch for EndTxn. */
export function encodeControlBatch(o: {
  producerId: bigint;
  producerEpoch: number;
  commit: boolean;
  timestamp: bigint;
  coordinatorEpoch?: number;
}): Uint8Array {
  const key = new Uint8Array(4);
  viewOf(key).setInt16(2, o.commit ? CONTROL_COMMIT : CONTROL_ABORT);
  const value = new Uint8Array(6);
  viewOf(value).setInt32(2, o.coordinatorEpoch ?? 0);
  return encodeRecordBatch({
    baseTimestamp: o.timestamp,
    producerId: o.producerId,
    producerEpoch: o.producerEpoch,
    transactional: true,
    control: true,
    records: [{ offsetDelta: 0, key, value }],
  });
}

export function decodeControlRecord(
  key: Uint8Array,
  value: Uint8Array | null,
): { type: "commit" | "abort"; version: number; coordinatorEpoch: number } {
  if (key.length < 4) throw new TruncatedMessageError(`control record key of ${key.length} bytes, needs 4`);
  const keyView = viewOf(key);
  const version = keyView.getInt16(0);
  const type = keyView.getInt16(2);
  if (type !== CONTROL_ABORT && type !== CONTROL_COMMIT) {
    throw new MalformedMessageError(`control record type ${type} is not a transaction marker`);
  }
  if (value === null) throw new MalformedMessageError("transaction marker without a value");
  if (value.length < 6) throw new TruncatedMessageError(`transaction marker value of ${value.length} bytes, needs 6`);
  return { type: type === CONTROL_COMMIT ? "commit" : "abort", version, coordinatorEpoch: viewOf(value).getInt32(2) };
}
