// Exactly-once bookkeeping. A table records which offsets of which Kafka partitions it holds,
// as runs of consecutive offsets per partition ("0-9,20-29"), merged over all its commits: where
// each partition ends (one past its highest offset) is where a writer resumes, and before every
// commit attempt a writer drops the rows the table already holds, so rows written twice (a
// restarted writer, two writers racing over the same offsets) are in the table once. Runs stay
// exact when several writers interleave offsets of one partition, and compact to one run per
// partition once the gaps between them are filled.

/** Per Kafka partition, sorted disjoint inclusive [first, last] offset runs. */
export type Runs = Map<number, [bigint, bigint][]>;

/** Per Kafka partition, one past the highest offset in the table. */
export type Ends = Map<number, bigint>;

export interface Position {
  partition: number;
  offset: bigint;
}

export function runsOf(positions: Iterable<Position>): Runs {
  const byPartition = new Map<number, bigint[]>();
  for (const { partition, offset } of positions) {
    let offsets = byPartition.get(partition);
    if (!offsets) byPartition.set(partition, (offsets = []));
    offsets.push(offset);
  }
  const runs: Runs = new Map();
  for (const [partition, offsets] of [...byPartition].sort(([a], [b]) => a - b)) {
    offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const list: [bigint, bigint][] = [];
    for (const offset of offsets) {
      const last = list.at(-1);
      if (last && offset <= last[1] + 1n) last[1] = offset > last[1] ? offset : last[1];
      else list.push([offset, offset]);
    }
    runs.set(partition, list);
  }
  return runs;
}

/** {"0":"0-9,20-29"}: compact, and exact for offsets past 2^53. */
export function encodeRuns(runs: Runs): string {
  const out: Record<string, string> = {};
  for (const [partition, list] of runs) out[partition] = list.map(([first, last]) => `${first}-${last}`).join(",");
  return JSON.stringify(out);
}

export function decodeRuns(text: string | undefined): Runs {
  const runs: Runs = new Map();
  if (!text) return runs;
  for (const [partition, list] of Object.entries(JSON.parse(text) as Record<string, string>)) {
    runs.set(
      Number(partition),
      list.split(",").filter(Boolean).map((run) => {
        const [first, last] = run.split("-");
        return [BigInt(first!), BigInt(last!)];
      }),
    );
  }
  return runs;
}

/** Where each partition of `runs` ends: one past its highest offset. */
export function endsOf(runs: Runs): Ends {
  return new Map([...runs].map(([partition, list]) => [partition, list.at(-1)![1] + 1n]));
}

/** The union of two sets of runs, adjacent and overlapping runs joined. */
export function mergeRuns(a: Runs, b: Runs): Runs {
  const merged: Runs = new Map();
  for (const partition of [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y)) {
    const all = [...(a.get(partition) ?? []), ...(b.get(partition) ?? [])].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    const list: [bigint, bigint][] = [];
    for (const [first, last] of all) {
      const previous = list.at(-1);
      if (previous && first <= previous[1] + 1n) previous[1] = last > previous[1] ? last : previous[1];
      else list.push([first, last]);
    }
    merged.set(partition, list);
  }
  return merged;
}

/** Whether `offset` of `partition` lies in one of `runs`. */
export function covered(runs: Runs, partition: number, offset: bigint): boolean {
  return coveringRun(runs, partition, offset) !== null;
}

/** The run of `partition` that `offset` lies in, or null (binary search: runs are sorted and disjoint). */
export function coveringRun(runs: Runs, partition: number, offset: bigint): [bigint, bigint] | null {
  const list = runs.get(partition);
  if (!list) return null;
  let low = 0;
  let high = list.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const run = list[middle]!;
    if (offset < run[0]) high = middle - 1;
    else if (offset > run[1]) low = middle + 1;
    else return run;
  }
  return null;
}
