import { expect, test } from "bun:test";
import { kcat } from "./kcat.ts";
import { python } from "./python.ts";
import { runCommand } from "./run.ts";

test("kcat is installed and runs", async () => {
  const result = await kcat(["-V"]);
  expect(result).toMatchObject({ exitCode: 0, timedOut: false });
  expect(result.stdout).toContain("librdkafka");
});

test("python has both Kafka client libraries and receives its arguments", async () => {
  const result = await python(
    "import sys, confluent_kafka, kafka; print(sys.argv[1:], confluent_kafka.version()[0], kafka.__version__)",
    ["a", "b"],
  );
  expect(result).toMatchObject({ exitCode: 0, stderr: "" });
  expect(result.stdout).toMatch(/^\['a', 'b'\] \d+\.\d+\.\d+ \d+\.\d+\.\d+/);
});

test("a program that outlives its bound is killed and reported as timed out", async () => {
  const result = await runCommand(["sleep", "30"], { timeoutMs: 100 });
  expect(result).toMatchObject({ exitCode: 128 + 9, timedOut: true });
});

test("both librdkafka builds load in kcat and python confluent-kafka: Debian's 2.0 and a current one with KIP-848", async () => {
  const { DEBIAN_LIBRDKAFKA, CURRENT_LIBRDKAFKA } = await import("./librdkafka.ts");
  expect(DEBIAN_LIBRDKAFKA.version).toMatch(/^2\.0\./);
  // KIP-848 consumer groups need 2.4 or later.
  const [major, minor] = CURRENT_LIBRDKAFKA.version.split(".").map(Number) as [number, number];
  expect(major > 2 || (major === 2 && minor >= 4)).toBe(true);
  expect(CURRENT_LIBRDKAFKA.env.LD_LIBRARY_PATH).toBeDefined();
  for (const lib of [DEBIAN_LIBRDKAFKA, CURRENT_LIBRDKAFKA]) expect(lib.features).toEqual(expect.arrayContaining(["gzip", "snappy", "lz4"]));
});
