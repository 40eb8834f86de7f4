import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { requestApiVersions } from "./api-versions.ts";
import { startBroker, tempDir } from "./broker.ts";
import { spawnListening } from "./listening-process.ts";

// The harness itself, exercised with the bare baseline run by the test's own bun: it takes the same
// arguments as `tansu broker` and logs the same kind of "listening" line, so this needs no broker build.
const baseline = [process.execPath, resolve(import.meta.dir, "../../scripts/bench/baseline/bare-listen.ts")];

test("startBroker resolves once the process logs it is listening, on the port it was given", async () => {
  const broker = await startBroker({ command: baseline });
  try {
    expect(broker.logs()).toContain(`listening on tcp://127.0.0.1:${broker.port}`);
    expect(broker.url).toBe(`127.0.0.1:${broker.port}`);
    expect(broker.storage).toMatch(/^sqlite:\/\/\/.+\/tansu\.db$/);
    const answer = await requestApiVersions(broker.port, "127.0.0.1", 42);
    expect(answer).toEqual({ correlationId: 42, errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 0 }] });
  } finally {
    expect(await broker.stop()).toBe(128 + 15);
  }
});

test("stop('SIGKILL') reports the kill in the exit code", async () => {
  const broker = await startBroker({ command: baseline });
  expect(await broker.stop("SIGKILL")).toBe(128 + 9);
});

test("a process that exits before listening rejects with its output", async () => {
  await expect(spawnListening(["sh", "-c", "echo booting; echo broken >&2; exit 3"])).rejects.toThrow(
    /before exiting with code 3[\s\S]*booting[\s\S]*broken/,
  );
});

test("a process that never says it is listening is killed at the bound", async () => {
  await expect(spawnListening(["sleep", "30"], { readyTimeoutMs: 200 })).rejects.toThrow(/within 200 ms/);
});

test("tempDir gives a fresh existing directory each call", () => {
  const a = tempDir();
  const b = tempDir();
  expect(a).not.toBe(b);
  expect(existsSync(a) && existsSync(b)).toBe(true);
});
