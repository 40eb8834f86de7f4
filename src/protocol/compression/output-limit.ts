// The cap on decompressed output that keeps a small hostile batch (a "zip bomb") from exhausting memory.

import { MalformedMessageError } from "../errors.ts";

/** Default cap on one batch's decompressed records: far above Kafka's 1 MiB default max.message.bytes. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export function outputLimitExceeded(codec: string, maxBytes: number): MalformedMessageError {
  return new MalformedMessageError(`${codec} payload decompresses to more than the ${maxBytes}-byte limit`);
}
