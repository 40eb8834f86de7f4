// Connections and how their failures reach the broker. The server may go away at any time
// (restart, failover, network): every operation has a deadline, a lost connection is replaced
// by a new one when next needed, and whatever fails is a StorageUnavailableError, which the
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
/** One connection: the library's client limited to a single connection (see ConnectionPool). */
export type Db = postgres.Sql<Types>;

/** A client of one connection, retired as soon as that connection closes. */
export interface Connection {
  db: Db;
  /** Rejects with CONNECTION_CLOSED once the connection has closed. */
  closed: Promise<never>;
  /** True once the connection closed, or once work on it ran past its deadline (it is not trusted again). */
  isClosed(): boolean;
  /** Gives up on the connection: its next release retires it. */
  abandon(): void;
  /** Ends the client; whatever it still had pending rejects. */
  retire(): void;
}

export interface ConnectionOptions {
  onnotify?: (channel: string, payload: string) => void;
}

export function openConnection(settings: PostgresSettings, options: ConnectionOptions = {}): Connection {
  let isClosed = false;
  let fail: (error: Error) => void = () => {};
  const closed = new Promise<never>((_, reject) => (fail = reject));
  closed.catch(() => {});
  const db = postgres({
    host: settings.host,
    port: settings.port,
    database: settings.database,
    username: settings.user,
    password: settings.password,
    ssl: settings.ssl,
    max: 1,
    connect_timeout: settings.connectTimeoutSeconds,
    idle_timeout: 300,
    // The library would otherwise query the array types on every new connection, in a promise
    // nobody awaits: a connection lost meanwhile became an unhandled rejection. Arrays are sent as text.
    fetch_types: false,
    onnotice: () => {},
    onnotify: options.onnotify,
    onclose: () => {
      isClosed = true;
      fail(Object.assign(new Error(`postgres connection to ${settings.display} closed`), { code: "CONNECTION_CLOSED" }));
    },
    types: { bigint: postgres.BigInt },
    connection: {
      application_name: settings.applicationName,
      lock_timeout: LOCK_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    },
  } as postgres.Options<{ bigint: postgres.PostgresType<bigint> }>) as unknown as Db;
  return {
    db,
    closed,
    isClosed: () => isClosed,
    abandon: () => (isClosed = true),
    retire: () => void db.end({ timeout: 0 }).catch(() => {}),
  };
}

/**
 * Connections handed out to one user at a time, each a single-connection client that is
 * retired (and replaced when next needed) as soon as its connection closes. The library's own
 * pool is not used because of how it behaves when the server goes away: a reservation
 * (sql.begin) whose connection is lost sends ROLLBACK to the dead socket and throws from a
 * timer; a reservation that failed to connect takes (and leaks) the next connection that
 * opens; and a connection whose socket reported an error before closing leaves the queries
 * sent in between pending forever, to be answered by whatever a reconnected session returns.
 * A client that is never used again after its connection closed has none of these, so no
 * statement of a transaction can ever run on another session than its BEGIN.
 */
export class ConnectionPool {
  readonly #settings: PostgresSettings;
  readonly #idle: Connection[] = [];
  readonly #busy = new Set<Connection>();
  readonly #waiting: Array<(connection: Connection) => void> = [];

  constructor(settings: PostgresSettings) {
    this.#settings = settings;
  }

  /**
   * Runs `work` on a connection nobody else uses meanwhile; it fails once that connection
   * closes, or after OPERATION_TIMEOUT_MS, when the connection is given up: a socket the
   * library never hears close from would otherwise hold its work, and its pool slot, forever.
   */
  async use<T>(work: (db: Db) => Promise<T>): Promise<T> {
    const connection = await this.#acquire();
    const db = guarded(connection.db, () => (connection.isClosed() ? "its connection closed" : null));
    try {
      return await withDeadline(Promise.race([work(db), connection.closed]), OPERATION_TIMEOUT_MS, "postgres connection", () =>
        connection.abandon(),
      );
    } finally {
      this.#release(connection);
    }
  }

  /** Lets in-flight work finish for up to `timeoutSeconds`, then closes every connection. */
  async end(timeoutSeconds: number): Promise<void> {
    const all = [...this.#idle, ...this.#busy];
    await Promise.all(all.map((c) => c.db.end({ timeout: timeoutSeconds })));
  }

  async #acquire(): Promise<Connection> {
    let connection: Connection | undefined;
    while ((connection = this.#idle.pop())?.isClosed()) connection.retire();
    if (!connection && this.#busy.size < this.#settings.poolSize) connection = openConnection(this.#settings);
    connection ??= await new Promise<Connection>((resolve) => this.#waiting.push(resolve));
    this.#busy.add(connection);
    return connection;
  }

  #release(connection: Connection): void {
    this.#busy.delete(connection);
    if (connection.isClosed()) {
      connection.retire();
      const next = this.#waiting.shift();
      if (next) next(openConnection(this.#settings));
      return;
    }
    const next = this.#waiting.shift();
    if (next) next(connection);
    else this.#idle.push(connection);
  }
}

/**
 * `db`, refusing to start a statement once `refusal` names a reason. Work that lost its
 * connection keeps running until its next await; were it to send another statement, the
 * library would open a new session for it, outside the transaction the work began, and for
 * example COPY rows that no watermark update accounts for. The refusal stops it there.
 */
export function guarded(db: Db, refusal: () => string | null): Db {
  const check = () => {
    const reason = refusal();
    if (reason !== null) throw Object.assign(new Error(`postgres statement refused: ${reason}`), { code: "CONNECTION_CLOSED" });
  };
  return new Proxy(db, {
    apply(target, self, args) {
      check();
      return Reflect.apply(target, self, args);
    },
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property === "unsafe") {
        return (...args: unknown[]) => {
          check();
          return Reflect.apply(value, target, args);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
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

/**
 * `work`, or a StorageUnavailableError once `ms` have passed (after calling `onExpiry`);
 * `work` may still finish later.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string, onExpiry: () => void = () => {}): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onExpiry();
      reject(new StorageUnavailableError(`${what}: no answer from postgres within ${ms} ms`));
    }, ms);
  });
  // Whatever `work` ends with after the deadline is nobody's business any more.
  work.catch(() => {});
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
