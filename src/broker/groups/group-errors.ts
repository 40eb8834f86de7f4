import { ErrorCode } from "../../protocol/error-codes.ts";
import { StorageUnavailableError } from "../../storage/errors.ts";
import { consola } from "../../log.ts";
import { errorCodeOf } from "../error-mapping.ts";
import { GroupContentionError } from "./group-store.ts";

/**
 * The Kafka error code for a failure while coordinating a group. Coordinator trouble is
 * COORDINATOR_NOT_AVAILABLE, which every client answers by finding the coordinator again and
 * retrying; anything else is mapped as for any other request.
 */
export function groupErrorCode(error: unknown, context: string): number {
  if (error instanceof GroupContentionError || error instanceof StorageUnavailableError) {
    consola.warn(`${context}: ${(error as Error).message}`);
    return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
  return errorCodeOf(error, context);
}
