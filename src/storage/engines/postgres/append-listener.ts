// LISTEN for appends committed by anyone sharing the database: other brokers, and
// transactions that called tansu.produce(). PostgreSQL delivers a NOTIFY only when (and if) its
// transaction commits, so a woken long poll finds the records. The LISTEN has a connection of
// its own, opened again (with a growing pause) whenever it closes; notifications sent while it
// was away are lost, which is why waiting fetches still re-read the store now and then.

import type { TopicPartition } from "../../storage.ts";
import { openConnection, type Connection } from "./client.ts";
import { APPEND_CHANNEL, parsePartitionKey } from "./functions.ts";
import type { PostgresSettings } from "./postgres-url.ts";

const MAX_PAUSE_MS = 2000;

/** Calls `onAppend` for every append notification until the returned function is called. */
export function listenForAppends(settings: PostgresSettings, onAppend: (tp: TopicPartition) => void): () => void {
  let stopped = false;
  let failures = 0;
  let current: Connection | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const start = () => {
    const connection = openConnection(settings, {
      onnotify: (channel, payload) => {
        const tp = channel === APPEND_CHANNEL ? parsePartitionKey(payload) : null;
        if (tp) onAppend(tp);
      },
    });
    current = connection;
    connection.db.unsafe(`LISTEN ${APPEND_CHANNEL}`).then(
      () => (failures = 0),
      () => connection.retire(),
    );
    connection.closed.catch(() => {
      connection.retire();
      if (!stopped) timer = setTimeout(start, Math.min(50 * 2 ** failures++, MAX_PAUSE_MS));
    });
  };
  start();
  return () => {
    stopped = true;
    clearTimeout(timer);
    current?.retire();
  };
}
