import { describe, expect, test } from "bun:test";
import { simpleAssign, type ShareAssignorMember } from "../../../src/broker/share/simple-assignor.ts";

const member = (memberId: string, topicIds: string[], previous = {}): ShareAssignorMember => ({ memberId, topicIds, previous });
const sizes = (a: Map<string, Record<string, number[]>>) => [...a.values()].map((x) => Object.values(x).flat().length);

/** How many members hold each partition. */
function sharing(a: Map<string, Record<string, number[]>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const assignment of a.values()) for (const [t, ps] of Object.entries(assignment)) for (const p of ps) out.set(`${t}:${p}`, (out.get(`${t}:${p}`) ?? 0) + 1);
  return out;
}

describe("simple share assignor", () => {
  test("fewer members than partitions: each partition to exactly one member, evenly", () => {
    const a = simpleAssign([member("m1", ["t"]), member("m2", ["t"])], new Map([["t", 5]]));
    expect(sizes(a).sort()).toEqual([2, 3]);
    expect([...sharing(a).values()]).toEqual([1, 1, 1, 1, 1]);
  });

  test("more members than partitions: the partitions are shared, every member gets one", () => {
    const three = simpleAssign([member("a", ["t"]), member("b", ["t"]), member("c", ["t"])], new Map([["t", 1]]));
    expect([...three.values()]).toEqual([{ t: [0] }, { t: [0] }, { t: [0] }]);
    const five = simpleAssign(["a", "b", "c", "d", "e"].map((m) => member(m, ["t"])), new Map([["t", 2]]));
    expect(sizes(five).every((n) => n >= 1)).toBe(true);
    expect([...sharing(five).values()]).toEqual([3, 3]);
  });

  test("members keep their partitions when the balance allows", () => {
    const before = simpleAssign([member("a", ["t"]), member("b", ["t"])], new Map([["t", 4]]));
    const after = simpleAssign(
      [member("a", ["t"], before.get("a")), member("b", ["t"], before.get("b")), member("c", ["t"])],
      new Map([["t", 4]]),
    );
    for (const m of ["a", "b"]) expect(after.get(m)!.t!.every((p) => before.get(m)!.t!.includes(p))).toBe(true);
    expect(sizes(after).sort()).toEqual([1, 1, 2]);
  });

  test("different subscriptions: each topic among its own subscribers", () => {
    const a = simpleAssign([member("a", ["x"]), member("b", ["x", "y"])], new Map([["x", 2], ["y", 1]]));
    expect(a.get("a")!.y).toBeUndefined();
    expect(a.get("b")!.y).toEqual([0]);
    expect(sharing(a).get("x:0")! + sharing(a).get("x:1")!).toBe(2);
  });
});
