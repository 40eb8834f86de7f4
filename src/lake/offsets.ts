// Exactly-once bookkeeping. Every commit records which offsets of which Kafka partitions it
// wrote, as runs of consecutive offsets ("0-9,20-29" per partition), and the table's end per
// partition (one past the highest offset written so far). A writer resumes a partition at its
// end; a writer whose commit lost a race drops the rows the winning commits already wrote,
// which is how two writers racing over the same offsets leave each row in the table once.

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

/** {"0":"10"}: the ends, as strings for the same reason. */
export function encodeEnds(ends: Ends): string {
  return JSON.stringify(Object.fromEntries([...ends].sort(([a], [b]) => a - b).map(([p, end]) => [p, end.toString()])));
}

export function decodeEnds(text: string | undefined): Ends {
  if (!text) return new Map();
  return new Map(Object.entries(JSON.parse(text) as Record<string, string>).map(([p, end]) => [Number(p), BigInt(end)]));
}

/** `ends` moved past every run. */
export function advanceEnds(ends: Ends, runs: Runs): Ends {
  const next = new Map(ends);
  for (const [partition, list] of runs) {
    const end = list.at(-1)![1] + 1n;
    if (end > (next.get(partition) ?? 0n)) next.set(partition, end);
  }
  return next;
}

/** Whether `offset` of `partition` lies in any of `runs`. */
export function covered(runs: Runs[], partition: number, offset: bigint): boolean {
  for (const table of runs) {
    for (const [first, last] of table.get(partition) ?? []) if (offset >= first && offset <= last) return true;
  }
  return false;
}
