// COPY through the `postgres` library, with its rough edges handled:
// - It settles a COPY query once, with its stream. The server's verdict on the data of a
//   COPY IN (an error such as a unique violation, or success) arrives later as a second
//   settlement it ignores, and the stream never finishes when the server refuses the data.
//   Both settlements go through the query's own resolve/reject properties, so they are
//   hooked before the server can answer.
// - It takes no other statement on the connection until the COPY IN's stream has handed over
//   its last chunk (its _final), and reports nothing at that moment: the stream finishes only
//   with the server's verdict. _final is wrapped to learn it, so the statements after the COPY
//   go out right behind its data instead of a round trip later.
// - A COPY OUT stream read in paused mode can leave the socket paused after the last row,
//   and the connection then hangs; reading it in flowing mode never pauses the socket. Its
//   end is the stream's: an error before then destroys the stream.

import type { Db } from "./client.ts";

/** What the library's Query exposes besides being a promise (see above). */
interface CopyQuery {
  writable(): Promise<NodeJS.WritableStream>;
  readable(): Promise<NodeJS.ReadableStream>;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

/** The library's COPY IN stream, a Node Writable. */
type CopyInStream = NodeJS.WritableStream & { _final(callback: () => void): void; destroy(error: Error): void };

/** A COPY ... FROM STDIN under way (copyIn). */
export interface CopyIn {
  /** Resolves once the server waits for the data; rejects when it refused the statement. */
  ready: Promise<void>;
  /** Sends a chunk of the data (after `ready`); the chunk must stay as it is until end() resolved. */
  write(chunk: Uint8Array): void;
  /**
   * Ends the data; resolves once the connection takes statements again, with the data on its
   * way (the server drops whatever follows a refusal, so a ROLLBACK then works).
   */
  end(): Promise<void>;
  /** Settles with the server's verdict on the data. */
  accepted: Promise<void>;
  /**
   * Gives up on a COPY whose data has not ended: the server is sent CopyFail, which fails the
   * statement and the transaction. Resolves once the connection takes statements again.
   */
  abort(error: unknown): Promise<void>;
}

/**
 * Sends `statement` (COPY ... FROM STDIN) at once, behind whatever the connection has in flight,
 * with its data to follow (write, end).
 */
export function copyIn(sql: Db, statement: string): CopyIn {
  const query = sql.unsafe(statement) as unknown as CopyQuery;
  const streaming = query.writable();
  let verdict!: { resolve: () => void; reject: (error: unknown) => void };
  const accepted = new Promise<void>((resolve, reject) => (verdict = { resolve, reject }));
  accepted.catch(() => {});
  const { resolve: handOver, reject: refuse } = query;
  let streamed = false;
  query.resolve = (result) => {
    if (streamed) return verdict.resolve();
    streamed = true;
    handOver(result);
  };
  query.reject = (error) => {
    if (!streamed) refuse(error);
    verdict.reject(error);
  };
  let stream: CopyInStream | null = null;
  let ended = false;
  const ready = streaming.then((s) => {
    stream = s as unknown as CopyInStream;
    stream.on("error", (error: unknown) => verdict.reject(error));
  });
  ready.catch(() => {});
  return {
    ready,
    accepted,
    write: (chunk) => void stream!.write(chunk),
    end() {
      const s = stream!;
      ended = true;
      // Handed over, or destroyed (a lost connection): either way the library is out of COPY mode.
      const handedOver = new Promise<void>((resolve) => {
        const final = s._final;
        s._final = function (this: CopyInStream, callback) {
          final.call(this, callback);
          resolve();
        };
        s.once("close", () => resolve());
      });
      s.end();
      return handedOver;
    },
    async abort(error) {
      if (ended) return;
      ended = true;
      try {
        await ready;
      } catch {
        return; // the server refused the statement: there is no COPY to abandon
      }
      const s = stream!;
      const closed = new Promise<void>((resolve) => s.once("close", () => resolve()));
      s.destroy(error instanceof Error ? error : new Error(String(error)));
      await closed;
    },
  };
}

/** Runs `statement` (COPY (...) TO STDOUT) and returns everything it sent. */
export async function copyOut(sql: Db, statement: string): Promise<Uint8Array> {
  const query = sql.unsafe(statement) as unknown as CopyQuery;
  const stream = await query.readable();
  const chunks: Uint8Array[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.once("end", resolve);
    stream.once("error", reject);
    stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
  });
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}
