// The client-side partitioner against Kafka's own murmur2 test vectors and librdkafka's murmur2_random
// partitioner (what the Java producer does for keyed records).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { keyPartition, murmur2, Partitioner } from "../../src/client/partitioner.ts";
import { startBroker, type RunningBroker } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";

const utf8 = new TextEncoder();

test("murmur2 gives Kafka's values (UtilsTest.testMurmur2)", () => {
  const vectors: Array<[string, number]> = [
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
  ];
  for (const [key, hash] of vectors) expect(murmur2(utf8.encode(key))).toBe(hash);
});

test("keyless records are spread round-robin", () => {
  const p = new Partitioner(3);
  expect([0, 1, 2, 3, 4].map(() => p.partitionOf(null))).toEqual([0, 1, 2, 0, 1]);
});

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ storage: "memory://", args: ["--default-partitions", "7"] });
});
afterAll(() => broker?.stop());

test("keyed records land where librdkafka's murmur2_random partitioner puts them", async () => {
  const keys = Array.from({ length: 40 }, (_, i) => `customer-${i * 7919}`);
  const produced = await kcat(["-b", broker.url, "-t", "partitioned", "-P", "-K:", "-X", "partitioner=murmur2_random"], {
    input: `${keys.map((k) => `${k}:v`).join("\n")}\n`,
  });
  expect(produced.exitCode).toBe(0);
  const consumed = await kcat(["-b", broker.url, "-t", "partitioned", "-C", "-e", "-o", "beginning", "-f", "%k %p\n"]);
  const where = new Map(consumed.stdout.trim().split("\n").map((l) => l.split(" ") as [string, string]));
  expect(where.size).toBe(keys.length);
  for (const key of keys) expect(Number(where.get(key))).toBe(keyPartition(utf8.encode(key), 7));
});
