// `tansu broker` with no options takes its settings from the environment without citty
// (src/cli/main.ts): bad settings must still fail the way they do through citty.
import { expect, test } from "bun:test";
import { BROKER_BINARY, tempDir } from "../harness/broker.ts";
import { runCommand } from "../harness/run.ts";

test("a bad setting in the environment is a clear error and exit 1, with or without the command name", async () => {
  for (const [env, message] of [
    [{ STORAGE_ENGINE: "mysql://x" }, "unknown storage URL"],
    [{ LISTENER_URL: "http://0.0.0.0:1" }, "must use the tcp:// or tls:// scheme"],
    [{ DEFAULT_PARTITIONS: "0", STORAGE_ENGINE: "memory://" }, "--default-partitions must be a positive integer"],
  ] as const) {
    for (const argv of [[BROKER_BINARY, "broker"], [BROKER_BINARY]]) {
      const run = await runCommand(argv, { env, cwd: tempDir("tansu-env-") });
      // One line, as every command reports a failure (src/cli/failure-report.ts).
      const lines = run.stderr.trimEnd().split("\n");
      expect({ exitCode: run.exitCode, stdout: run.stdout, lines: lines.length, first: lines[0] }).toMatchObject({
        exitCode: 1,
        stdout: "",
        lines: 1,
        first: expect.stringMatching(/^error: /),
      });
      expect(lines[0]).toContain(message);
    }
  }
});
