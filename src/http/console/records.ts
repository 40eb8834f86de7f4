// The console's message browser: records of one partition from an offset, read from the store as
// Fetch reads them (read_uncommitted, control batches left out), each key, value and header value
// rendered for a person: decoded with the topic's schema when it has one, else as JSON, text or hex.
import type { BrokerContext } from "../../broker/context.ts";
import { decodeRecordBatch, isControl, timestampTypeOf, TimestampType } from "../../protocol/record-batch.ts";
import { decodeWithSchema } from "./schema-hook.ts";

export interface Rendered {
  /** schema: decoded with the topic's schema; json: valid JSON text; text: UTF-8; hex: anything else. */
  encoding: "schema" | "json" | "text" | "hex";
  text: string;
  bytes: number;
}

export interface BrowsedRecord {
  offset: string;
  /** Milliseconds since the epoch, and whether the producer (CreateTime) or the broker (LogAppendTime) set it. */
  timestamp: string;
  timestampType: "CreateTime" | "LogAppendTime";
  key: Rendered | null;
  value: Rendered | null;
  headers: Array<{ key: string; value: Rendered | null }>;
}

export interface BrowsedPage {
  logStartOffset: string;
  highWatermark: string;
  /** Where the next page starts. */
  nextOffset: string;
  records: BrowsedRecord[];
}

export const MAX_RECORDS = 500;
/** Longest rendering of one key, value or header; the rest is cut and marked. */
const MAX_SHOWN = 64 * 1024;
const FETCH_BYTES = 1024 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true });

function cut(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}… (${text.length - MAX_SHOWN} more characters)` : text;
}

function hex(bytes: Uint8Array): string {
  const shown = bytes.subarray(0, MAX_SHOWN / 2);
  const text = Array.from(shown, (b) => b.toString(16).padStart(2, "0")).join(" ");
  return shown.length < bytes.length ? `${text} … (${bytes.length - shown.length} more bytes)` : text;
}

function jsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? hex(v) : v), 2);
}

/** Text if the bytes are UTF-8 without control characters (JSON pretty-printed), hex otherwise. */
export function renderBytes(bytes: Uint8Array | null): Rendered | null {
  if (bytes === null) return null;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { encoding: "hex", text: hex(bytes), bytes: bytes.length };
  }
  if (/[\u0000-\u0008\u000e-\u001f]/.test(text)) return { encoding: "hex", text: hex(bytes), bytes: bytes.length };
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return { encoding: "json", text: cut(jsonText(JSON.parse(trimmed))), bytes: bytes.length };
    } catch {
      // Not JSON after all: shown as the text it is.
    }
  }
  return { encoding: "text", text: cut(text), bytes: bytes.length };
}

async function render(ctx: BrokerContext, topic: string, part: "key" | "value", bytes: Uint8Array | null): Promise<Rendered | null> {
  if (bytes === null) return null;
  const decoded = await decodeWithSchema(ctx, topic, part, bytes);
  if (decoded !== undefined) return { encoding: "schema", text: cut(jsonText(decoded)), bytes: bytes.length };
  return renderBytes(bytes);
}

/** Up to `limit` records of the partition from `from` (clamped to the log start and high watermark). */
export async function browseRecords(ctx: BrokerContext, topic: string, partition: number, from: bigint, limit: number): Promise<BrowsedPage> {
  const tp = { topic, partition };
  const offsets = await ctx.storage.offsets(tp);
  let next = from < offsets.logStartOffset ? offsets.logStartOffset : from > offsets.highWatermark ? offsets.highWatermark : from;
  const records: BrowsedRecord[] = [];
  while (records.length < limit && next < offsets.highWatermark) {
    const fetched = await ctx.storage.fetch(tp, { fetchOffset: next, maxBytes: FETCH_BYTES, isolation: "read_uncommitted" });
    if (fetched.batches.length === 0) break;
    for (const bytes of fetched.batches) {
      const batch = decodeRecordBatch(bytes);
      const lastOffset = batch.baseOffset + BigInt(batch.lastOffsetDelta);
      if (isControl(batch.attributes)) {
        if (lastOffset >= next) next = lastOffset + 1n;
        continue;
      }
      const logAppendTime = timestampTypeOf(batch.attributes) === TimestampType.logAppendTime;
      for (const r of batch.records) {
        const offset = batch.baseOffset + BigInt(r.offsetDelta);
        if (offset < next || records.length >= limit) continue;
        records.push({
          offset: offset.toString(),
          timestamp: (logAppendTime ? batch.maxTimestamp : batch.baseTimestamp + r.timestampDelta).toString(),
          timestampType: logAppendTime ? "LogAppendTime" : "CreateTime",
          key: await render(ctx, topic, "key", r.key),
          value: await render(ctx, topic, "value", r.value),
          headers: r.headers.map((h) => ({ key: h.key, value: renderBytes(h.value) })),
        });
        next = offset + 1n;
      }
      if (records.length >= limit) break;
      if (lastOffset >= next) next = lastOffset + 1n;
    }
  }
  return {
    logStartOffset: offsets.logStartOffset.toString(),
    highWatermark: offsets.highWatermark.toString(),
    nextOffset: next.toString(),
    records,
  };
}
