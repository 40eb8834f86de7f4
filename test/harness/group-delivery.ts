import { expect } from "bun:test";
import type { RunResult } from "./run.ts";

// Python shared by the consumer-group tests: the bookkeeping that checks the guarantees Kafka
// gives a group. Every record must reach the group at least once, and once a commit covering
// a record has succeeded nobody in the group may receive it again. A record whose commit failed
// in a rebalance may come again, or may not: a member that keeps its partition (cooperative)
// carries on from its own position and its next commit covers the record.
//
// Prepend it to a script: it defines `delivered` (value -> consumer names it reached),
// `after_commit` (deliveries a successful commit had already covered), `poll_once(name,
// consumer)` and `commit_positions(consumer)`. The script must import KafkaException.
export const GROUP_DELIVERY = String.raw`
delivered = {}
committed_up_to = {}    # partition -> highest offset a successful commit covered (exclusive)
after_commit = []
def poll_once(name, c):
    m = c.poll(0.02)
    if m is None or m.error():
        return
    if m.offset() < committed_up_to.get(m.partition(), 0):
        after_commit.append([name, m.partition(), m.offset(), m.value().decode()])
    delivered.setdefault(m.value().decode(), []).append(name)
    try:
        c.commit(message=m, asynchronous=False)
        committed_up_to[m.partition()] = max(committed_up_to.get(m.partition(), 0), m.offset() + 1)
    except KafkaException:
        pass  # its partition moved or the group is rebalancing
def commit_positions(c):
    # Covers any record whose own commit failed in a rebalance.
    try:
        c.commit(asynchronous=False)
    except KafkaException:
        pass  # nothing consumed since its last successful commit
`;

/** What a group script prints at the end: its bookkeeping, each member's partitions, and the group's committed total. */
export interface GroupRun {
  delivered: Record<string, string[]>;
  after_commit: unknown[];
  shares: Record<string, number[]>;
  group_offsets: number;
}

/**
 * Checks a group script's run against Kafka's guarantees: it finished, the members' partitions cover the topic's
 * `partitions` without overlap, each of the `records` reached the group, none again after a commit covered it,
 * and the group ends having committed them all. Returns the output for further checks.
 */
export function expectGroupDelivery(run: RunResult, records: number, partitions: number): GroupRun {
  expect(run.stderr).not.toContain("Traceback");
  expect(run.stderr).not.toContain("timed out");
  expect(run.exitCode).toBe(0);
  const out = JSON.parse(run.stdout) as GroupRun;
  expect(Object.values(out.shares).flat().sort((a, b) => a - b)).toEqual(Array.from({ length: partitions }, (_, p) => p));
  expect(Object.keys(out.delivered).length).toBe(records);
  expect(out.after_commit).toEqual([]);
  expect(out.group_offsets).toBe(records);
  return out;
}
