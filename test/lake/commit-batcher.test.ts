// The commit policy: rows are committed in batches by count or age, never one file per write;
// one commit per table in flight; each write learns the fate of the commit that holds it.

import { describe, expect, test } from "bun:test";
import { CommitBatcher } from "../../src/lake/commit-batcher.ts";
import { tableSchema } from "../../src/lake/lake.ts";
import type { PendingRow, SchemaBatch } from "../../src/lake/table-writer.ts";

const schema = tableSchema({});
const other = tableSchema({ value: { format: "json", schema: { type: "object", properties: { a: { type: "string" } } } } });
const rows = (first: number, count: number): PendingRow[] =>
  Array.from({ length: count }, (_, i) => ({ row: {}, partition: 0, offset: BigInt(first + i) }));

/** A commit function that holds each commit until released, recording what it was given. */
function controlledCommits() {
  const commits: { batches: SchemaBatch[]; release: (error?: Error) => void }[] = [];
  const waiting: ((count: number) => void)[] = [];
  const commit = (batches: SchemaBatch[]) =>
    new Promise<void>((resolve, reject) => {
      commits.push({ batches, release: (error) => (error ? reject(error) : resolve()) });
      for (const wake of waiting.splice(0)) wake(commits.length);
    });
  /** Resolves once `count` commits have started. */
  const started = (count: number) =>
    new Promise<void>((resolve) => {
      if (commits.length >= count) return resolve();
      const check = (n: number) => (n >= count ? resolve() : waiting.push(check));
      waiting.push(check);
    });
  const offsets = (i: number) => commits[i]!.batches.flatMap((batch) => batch.rows.map((row) => Number(row.offset)));
  return { commits, commit, started, offsets };
}

describe("commit batching", () => {
  test("writes below the record threshold share one commit, started when the threshold is reached", async () => {
    const c = controlledCommits();
    const batcher = new CommitBatcher(c.commit, { records: 10, intervalMs: 3_600_000 });
    const first = batcher.add(schema, rows(0, 4));
    const second = batcher.add(schema, rows(4, 4));
    expect(c.commits).toHaveLength(0);
    const third = batcher.add(schema, rows(8, 2));
    await c.started(1);
    expect(c.offsets(0)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    c.commits[0]!.release();
    await Promise.all([first, second, third]);
    expect(batcher.buffered).toBe(0);
  });

  test("rows of different schemas go into separate batches of the same commit", async () => {
    const c = controlledCommits();
    const batcher = new CommitBatcher(c.commit, { records: 4, intervalMs: 3_600_000 });
    const done = Promise.all([batcher.add(schema, rows(0, 2)), batcher.add(other, rows(2, 2))]);
    await c.started(1);
    expect(c.commits[0]!.batches.map((batch) => batch.schema)).toEqual([schema, other]);
    c.commits[0]!.release();
    await done;
  });

  test("one commit in flight: rows arriving meanwhile wait, then go in the next commit as soon as it ends", async () => {
    const c = controlledCommits();
    const batcher = new CommitBatcher(c.commit, { records: 2, intervalMs: 3_600_000 });
    const first = batcher.add(schema, rows(0, 2));
    await c.started(1);
    const second = batcher.add(schema, rows(2, 2));
    const third = batcher.add(schema, rows(4, 1));
    expect(c.commits).toHaveLength(1);
    c.commits[0]!.release();
    await first;
    await c.started(2);
    expect(c.offsets(1)).toEqual([2, 3, 4]);
    c.commits[1]!.release();
    await Promise.all([second, third]);
  });

  test("a failed commit rejects exactly the writes it held; later rows still commit", async () => {
    const c = controlledCommits();
    const batcher = new CommitBatcher(c.commit, { records: 2, intervalMs: 3_600_000 });
    const failed = batcher.add(schema, rows(0, 2));
    await c.started(1);
    const later = batcher.add(schema, rows(2, 2));
    c.commits[0]!.release(new Error("store went away"));
    await expect(failed).rejects.toThrow("store went away");
    await c.started(2);
    c.commits[1]!.release();
    await later;
  });

  test("rows below the threshold are committed when their interval is up, or by flush", async () => {
    const c = controlledCommits();
    const timed = new CommitBatcher(c.commit, { records: 100, intervalMs: 1 });
    const written = timed.add(schema, rows(0, 1));
    await c.started(1);
    c.commits[0]!.release();
    await written;

    const flushed = new CommitBatcher(c.commit, { records: 100, intervalMs: 3_600_000 });
    const pending = flushed.add(schema, rows(1, 1));
    const flushing = flushed.flush();
    await c.started(2);
    c.commits[1]!.release();
    await Promise.all([pending, flushing]);
  });
});
