// LISTEN for appends committed by anyone sharing the database: other brokers, and
// transactions that called tansu.produce(). PostgreSQL delivers a NOTIFY only when (and if) its
// transaction commits, so a woken long poll finds the records. The library keeps the LISTEN
// on a connection of its own and re-issues it after a reconnect; notifications sent while it
// was away are lost, which is why waiting fetches still re-read the store now and then.

import { consola } from "../../../log.ts";
import type { TopicPartition } from "../../storage.ts";
import { APPEND_CHANNEL, parsePartitionKey } from "./functions.ts";
import type { Db } from "./client.ts";

/**
 * Calls `onAppend` for every append notification until the returned function is called.
 * Failing to LISTEN (the server is away) is logged; the library retries when it reconnects.
 */
export function listenForAppends(sql: Db, where: string, onAppend: (tp: TopicPartition) => void): () => void {
  let unlisten: (() => Promise<void>) | null = null;
  let stopped = false;
  sql
    .listen(APPEND_CHANNEL, (payload) => {
      const tp = parsePartitionKey(payload);
      if (tp) onAppend(tp);
    })
    .then(
      (listening) => {
        if (stopped) void listening.unlisten().catch(() => {});
        else unlisten = listening.unlisten;
      },
      (error: unknown) => consola.warn(`postgres LISTEN on ${where} failed, long polls fall back to re-reading: ${(error as Error).message}`),
    );
  return () => {
    stopped = true;
    void unlisten?.().catch(() => {});
  };
}
