// COPY through the `postgres` library, with two of its rough edges handled:
// - It settles a COPY query once, with its stream. The server's verdict on the data of a
//   COPY IN (an error such as a unique violation, or success) arrives later as a second
//   settlement it ignores, and the stream never finishes when the server refuses the data.
//   Both settlements go through the query's own resolve/reject properties, so they are
//   hooked; the server waits for the data, so the hooks are in place before it answers.
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


/** Runs `statement` (COPY ... FROM STDIN) with `chunks` as its data; resolves once the server accepted it. */
export async function copyIn(sql: Db, statement: string, chunks: Uint8Array[]): Promise<void> {
  const query = sql.unsafe(statement) as unknown as CopyQuery;
  const stream = await query.writable();
  const accepted = new Promise<void>((resolve, reject) => {
    query.resolve = () => resolve();
    query.reject = reject;
    stream.once("error", reject);
  });
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  await accepted;
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
