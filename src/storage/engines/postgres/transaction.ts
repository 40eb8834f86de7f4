// Transactions on one connection of the pool (see ConnectionPool for why not sql.begin()).
// BEGIN goes out together with the body's first statement, and the body may send COMMIT
// together with its last one, saving two round trips a transaction.

import { guarded, type Db } from "./client.ts";

/** Runs `body` in a transaction on `db` and commits; rolls back when it throws. */
export function inTransaction<T>(db: Db, body: (tx: Db) => Promise<T>): Promise<T> {
  return inPipelinedTransaction(db, async (tx) => {
    const result = await body(tx);
    await tx`COMMIT`;
    return result;
  });
}

/**
 * Runs `body` after BEGIN on `db`; `body` sends COMMIT itself, pipelined with its last
 * statement (`await Promise.all([tx\`...\`, tx\`COMMIT\`])`). Rolls back when it throws.
 * `begun` settles with BEGIN: a body that sends data that is not a statement (a COPY's) before
 * BEGIN was answered awaits it first, since the guard below only stops statements.
 */
export async function inPipelinedTransaction<T>(db: Db, body: (tx: Db, begun: Promise<unknown>) => Promise<T>): Promise<T> {
  let beginFailed = false;
  const begun = db`BEGIN`.execute();
  begun.catch(() => (beginFailed = true));
  // BEGIN is answered before the body's first statement, so a failed BEGIN is known before
  // the body can send a second one, which would otherwise run outside any transaction.
  const tx = guarded(db, () => (beginFailed ? "BEGIN failed" : null));
  try {
    const [, result] = await Promise.all([begun, body(tx, begun)]);
    return result;
  } catch (error) {
    // A lost connection took its transaction with it; rolling back would only reconnect.
    if (!connectionLost(error)) await db`ROLLBACK`.catch(() => {});
    throw error;
  }
}

/**
 * The connection is gone or going: the library's own errors (CONNECTION_CLOSED, ...), socket
 * errors (ECONNRESET, ...), and the server's FATAL ones (e.g. shutdown), which end the session.
 */
function connectionLost(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { severity, code } = error as { severity?: string; code?: unknown };
  if (severity !== undefined) return severity === "FATAL" || severity === "PANIC";
  return typeof code === "string";
}
