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
