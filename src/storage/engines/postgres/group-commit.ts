// Group commit of one partition's appends within this process. Appends to a partition take
// its watermark row lock in turn, so those that arrive while one transaction holds it would
// only queue behind it, each for a whole transaction of its own. Instead they wait here and go
// into the next transaction together: one lock, one COPY and one commit for all of them, each
// still decided in order (sequence checks, duplicates) against what the previous one left.

export type Outcome<R> = { result: R } | { error: unknown };

export interface GroupLimits {
  /** At most this many items per commit. */
  items: number;
  /** At most this many bytes per commit (an item larger than that goes alone). */
  bytes: number;
}

interface Pending<T, R> {
  item: T;
  size: number;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Commits items per key, one group at a time per key. `commit` receives a group in arrival
 * order and returns one outcome per item, or throws when the group as a whole failed.
 */
export class GroupCommit<T, R> {
  readonly #commit: (key: string, items: T[]) => Promise<Outcome<R>[]>;
  readonly #limits: GroupLimits;
  /** Key -> items waiting for the next commit; present while a commit for the key is running. */
  readonly #queues = new Map<string, Pending<T, R>[]>();

  constructor(commit: (key: string, items: T[]) => Promise<Outcome<R>[]>, limits: GroupLimits) {
    this.#commit = commit;
    this.#limits = limits;
  }

  submit(key: string, item: T, size: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const pending = { item, size, resolve, reject };
      const queue = this.#queues.get(key);
      if (queue) {
        queue.push(pending);
        return;
      }
      this.#queues.set(key, [pending]);
      void this.#run(key);
    });
  }

  async #run(key: string): Promise<void> {
    const queue = this.#queues.get(key)!;
    while (queue.length > 0) {
      const group = queue.splice(0, this.#groupLength(queue));
      try {
        const outcomes = await this.#commit(
          key,
          group.map((p) => p.item),
        );
        group.forEach((pending, i) => {
          const outcome = outcomes[i];
          if ("error" in outcome) pending.reject(outcome.error);
          else pending.resolve(outcome.result);
        });
      } catch (error) {
        for (const pending of group) pending.reject(error);
      }
    }
    this.#queues.delete(key);
  }

  /** How many of the queue's first items fit the limits; always at least one. */
  #groupLength(queue: Pending<T, R>[]): number {
    let bytes = queue[0].size;
    let n = 1;
    while (n < queue.length && n < this.#limits.items && bytes + queue[n].size <= this.#limits.bytes) {
      bytes += queue[n].size;
      n++;
    }
    return n;
  }
}
