// The connection pool and how its failures reach the broker. The server may go away at any
// time (restart, failover, network): every operation has a deadline, the pool reconnects on
// its own with a short backoff, and whatever fails is a StorageUnavailableError, which the
// broker answers with a retriable Kafka error. A timed-out append may still commit; an
// idempotent producer's retry is then recognised as a duplicate.

import postgres from "postgres";
import { StorageError, StorageUnavailableError } from "../../errors.ts";
import type { PostgresSettings } from "./postgres-url.ts";

/**
 * Server-side limits for the broker's sessions, below the client-side deadline so that the
 * server gives up first and rolls back cleanly. lock_timeout bounds how long an append waits
 * for a partition locked by a transaction that called tansu.produce() and has not ended.
 */
const LOCK_TIMEOUT_MS = 10_000;
const STATEMENT_TIMEOUT_MS = 20_000;
/** A broker that stops talking mid-transaction (a frozen process) releases its locks after this. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000;
/** No operation answers later than this; Kafka clients time a request out after 30 s. */
export const OPERATION_TIMEOUT_MS = 25_000;

/** int8 values are read as bigint (the library's default is a string). */
type Types = { bigint: bigint };
/** The pool. */
export type Db = postgres.Sql<Types>;
/** An open transaction. */
export type Tx = postgres.TransactionSql<Types>;
/** Where a statement can run: the pool or a transaction. */
export type Queryable = postgres.ISql<Types>;

export function connect(settings: PostgresSettings): Db {
  return postgres({
    host: settings.host,
    port: settings.port,
    database: settings.database,
    username: settings.user,
    password: settings.password,
    ssl: settings.ssl,
    max: settings.poolSize,
    connect_timeout: settings.connectTimeoutSeconds,
    // Seconds before the next connection attempt after `retries` failed ones: quick, and never
    // so long that a recovered server waits for the broker.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    idle_timeout: 300,
    onnotice: () => {},
    types: { bigint: postgres.BigInt },
    connection: {
      application_name: settings.applicationName,
      lock_timeout: LOCK_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    },
  }) as unknown as Db;
}

/** Typed storage errors pass through; the server's errors and lost connections become unavailability. */
export function failure(operation: string, where: string, error: unknown): unknown {
  if (error instanceof StorageError) return error;
  if (error instanceof postgres.PostgresError || hasErrorCode(error)) {
    return new StorageUnavailableError(`postgres ${operation} on ${where}: ${(error as Error).message}`, { cause: error });
  }
  return error;
}

/** Socket errors (ECONNREFUSED, ...) and the library's own (CONNECTION_CLOSED, CONNECT_TIMEOUT, ...) carry a code. */
function hasErrorCode(error: unknown): boolean {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
}

/** `work`, or a StorageUnavailableError once `ms` have passed; `work` may still finish later. */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StorageUnavailableError(`${what}: no answer from postgres within ${ms} ms`)), ms);
  });
  // Whatever `work` ends with after the deadline is nobody's business any more.
  work.catch(() => {});
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
