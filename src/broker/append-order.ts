// The order a connection's appends reach the store in. A connection may handle a Produce while
// the one before it still waits for its appends (connection.ts), so the two requests' checks run
// side by side; Kafka still wants each partition's batches in the order they were sent. Every
// append takes a turn for its partition when its request starts, in arrival order, and waits
// for the turns before it to end before it calls the store: one append at a time per
// partition and connection, the same as when requests are handled one after another.

/**
 * A connection's turns: per partition key, the promise that the last turn taken (and every one
 * before it) has ended. A plain Map, so the connection holds one without loading this module
 * (only Produce uses it).
 */
export type AppendTurns = Map<string, Promise<void>>;

export interface AppendTurn {
  /** Resolves once every earlier turn for the same partition has ended. */
  ready: Promise<void>;
  /** Ends this turn (again: no effect); must be called on every path, or the partition's later appends wait forever. */
  end(): void;
}

/** The next turn for `key` among `turns`. */
export function takeTurn(turns: AppendTurns, key: string): AppendTurn {
  const ready = turns.get(key) ?? Promise.resolve();
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  // A turn that ends early (a refused batch) still lets the next one go only after those before it.
  const tail = Promise.all([ready, ended]).then(() => {
    if (turns.get(key) === tail) turns.delete(key);
  });
  turns.set(key, tail);
  return { ready, end };
}
