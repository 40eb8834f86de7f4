// Record batches for handler tests, built with the project's own encoder.
import { encodeRecordBatch } from "../../src/protocol/record-batch.ts";

const text = new TextEncoder();

export function batchOf(values: Array<{ key?: string | null; value: string | null; timestamp?: bigint }>, compression = 0): Uint8Array {
  const base = values[0]?.timestamp ?? BigInt(Date.now());
  return encodeRecordBatch({
    baseTimestamp: base,
    compression,
    records: values.map((v, i) => ({
      offsetDelta: i,
      timestampDelta: (v.timestamp ?? base) - base,
      key: v.key === undefined || v.key === null ? null : text.encode(v.key),
      value: v.value === null ? null : text.encode(v.value),
      headers: [],
    })),
  });
}

export const decodeText = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));
