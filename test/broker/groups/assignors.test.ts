import { describe, expect, test } from "bun:test";
import { rangeAssignor, uniformAssignor, type Assignment, type AssignorMember } from "../../../src/broker/groups/assignors.ts";

const count = (a: Assignment) => Object.values(a).reduce((n, ps) => n + ps.length, 0);
const all = (result: Map<string, Assignment>) =>
  [...result.values()].flatMap((a) => Object.entries(a).flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`))).sort();
const member = (memberId: string, topicIds: string[], previous: Assignment = {}): AssignorMember => ({ memberId, topicIds, previous });

describe("uniform assignor", () => {
  test("every partition exactly once, balanced within one", () => {
    const topics = new Map([
      ["a", 5],
      ["b", 3],
    ]);
    const result = uniformAssignor([member("m1", ["a", "b"]), member("m2", ["a", "b"]), member("m3", ["a", "b"])], topics);
    expect(all(result)).toEqual(["a:0", "a:1", "a:2", "a:3", "a:4", "b:0", "b:1", "b:2"]);
    const sizes = [...result.values()].map(count);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  test("sticky: a joining member takes partitions only from the others' surplus", () => {
    const topics = new Map([["t", 6]]);
    const before = uniformAssignor([member("m1", ["t"]), member("m2", ["t"])], topics);
    const after = uniformAssignor(
      [member("m1", ["t"], before.get("m1")!), member("m2", ["t"], before.get("m2")!), member("m3", ["t"])],
      topics,
    );
    expect([...after.values()].map(count)).toEqual([2, 2, 2]);
    for (const id of ["m1", "m2"]) {
      for (const p of after.get(id)!.t ?? []) expect(before.get(id)!.t).toContain(p);
    }
  });

  test("respects subscriptions: a partition only goes to a subscriber", () => {
    const topics = new Map([
      ["a", 4],
      ["b", 2],
    ]);
    const result = uniformAssignor([member("m1", ["a"]), member("m2", ["a", "b"])], topics);
    expect(result.get("m1")!.b).toBeUndefined();
    expect(all(result).length).toBe(6);
    expect(count(result.get("m1")!)).toBe(3);
    expect(count(result.get("m2")!)).toBe(3);
  });

  test("drops previous partitions of vanished topics or partitions", () => {
    const result = uniformAssignor([member("m1", ["t"], { t: [0, 1, 5], gone: [0] })], new Map([["t", 2]]));
    expect(result.get("m1")).toEqual({ t: [0, 1] });
  });
});

describe("range assignor", () => {
  test("contiguous ranges per topic in member id order, the first members taking the remainder", () => {
    const topics = new Map([
      ["a", 5],
      ["b", 2],
    ]);
    const result = rangeAssignor([member("m2", ["a", "b"]), member("m1", ["a", "b"]), member("m3", ["a"])], topics);
    expect(result.get("m1")).toEqual({ a: [0, 1], b: [0] });
    expect(result.get("m2")).toEqual({ a: [2, 3], b: [1] });
    expect(result.get("m3")).toEqual({ a: [4] });
  });
});
