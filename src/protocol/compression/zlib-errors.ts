// Turns failures of node:zlib's one-shot (de)compressors into the protocol's typed errors.

import { CorruptRecordError } from "../errors.ts";
import { outputLimitExceeded } from "./output-limit.ts";

/** Maps an error thrown while decompressing `codec` data with a `maxOutputLength` of `maxBytes`. */
export function decompressionFailure(codec: string, maxBytes: number, error: unknown): Error {
  if (error instanceof RangeError && (error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
    return outputLimitExceeded(codec, maxBytes);
  }
  return new CorruptRecordError(`invalid ${codec} data: ${(error as Error).message}`, { cause: error });
}
