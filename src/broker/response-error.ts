import { ErrorCode } from "../protocol/error-codes.ts";

/**
 * The first non-zero `errorCode` in a decoded response, depth first (the top-level code, then
 * per-topic and per-partition ones), or NONE: what the request metrics label a request with.
 * Record bytes and other binary fields are skipped, so the walk is proportional to the number
 * of topics and partitions, not to the data returned.
 */
export function firstErrorCode(response: unknown): number {
  if (typeof response !== "object" || response === null || ArrayBuffer.isView(response)) return ErrorCode.NONE;
  if (Array.isArray(response)) {
    for (const item of response) {
      const code = firstErrorCode(item);
      if (code !== ErrorCode.NONE) return code;
    }
    return ErrorCode.NONE;
  }
  const record = response as Record<string, unknown>;
  const own = record.errorCode;
  if (typeof own === "number" && own !== ErrorCode.NONE) return own;
  for (const key in record) {
    const value = record[key];
    if (typeof value === "object" && value !== null) {
      const code = firstErrorCode(value);
      if (code !== ErrorCode.NONE) return code;
    }
  }
  return ErrorCode.NONE;
}
