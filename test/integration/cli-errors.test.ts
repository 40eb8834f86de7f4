// The compiled binary's command line: every subcommand refuses an option it does not know (one line naming
// it and the closest known option, exit 1) before it opens a store or connects anywhere, as Kafka's own
// tools refuse unrecognised options; and a start-up failure is one line, "error: what failed: why", exit 1,
// with the stack only at --log-level debug.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import type { TCPSocketListener } from "bun";
import { BROKER_BINARY, freePort, tempDir } from "../harness/broker.ts";
import { spawnListening } from "../harness/listening-process.ts";
import { runCommand, type RunResult } from "../harness/run.ts";

/** Runs the binary in a fresh, empty working directory (where the default sqlite://tansu.db would be created). */
async function tansu(args: string[], env: Record<string, string> = {}): Promise<RunResult & { files: string[] }> {
  const cwd = tempDir("tansu-cli-");
  const result = await runCommand([BROKER_BINARY, ...args], { cwd, env });
  return { ...result, files: readdirSync(cwd) };
}

// A listener that only counts connections: the topic commands must not reach it when their options are wrong.
let decoy: TCPSocketListener<undefined>;
let connections = 0;
beforeAll(() => {
  decoy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: () => void connections++, data() {} } });
});
afterAll(() => decoy.stop(true));

describe("unknown options", () => {
  const cases: Array<[string[], string]> = [
    [["broker", "--storage-engin", "memory://"], "error: unknown option --storage-engin for tansu broker; did you mean --storage-engine?"],
    [["--storage-engin", "memory://"], "error: unknown option --storage-engin for tansu broker; did you mean --storage-engine?"],
    [["broker", "--storage-engine=memory://", "--node-idd=3"], "error: unknown option --node-idd for tansu broker; did you mean --node-id?"],
    [["broker", "--log-level", "debug", "-x"], "error: unknown option -x for tansu broker; did you mean --node-id?"],
    [["topic", "create", "t", "--partitons", "3"], "error: unknown option --partitons for tansu topic create; did you mean --partitions?"],
    [["topic", "delete", "t", "--brokers", "x:1"], "error: unknown option --brokers for tansu topic delete; did you mean --broker?"],
    [["topic", "list", "--bootstrap-server", "x:1"], "error: unknown option --bootstrap-server for tansu topic list; did you mean --broker?"],
    [["topic", "describe", "t", "--topic", "t"], "error: unknown option --topic for tansu topic describe; did you mean --broker?"],
    [["topic", "--verbose", "list"], "error: unknown option --verbose for tansu topic"],
  ];
  for (const [args, line] of cases) {
    test(`tansu ${args.join(" ")}`, async () => {
      // Topic commands are pointed at the decoy: had the option been ignored, they would have connected to it.
      const run = await tansu(args[0] === "topic" ? [...args, "--broker", `127.0.0.1:${decoy.port}`] : args);
      expect({ exitCode: run.exitCode, stdout: run.stdout, stderr: run.stderr }).toEqual({ exitCode: 1, stdout: "", stderr: `${line}\n` });
      // Nothing was opened or contacted: no default store in the working directory, no connection.
      expect(run.files).toEqual([]);
      expect(connections).toBe(0);
    });
  }

  test("the default command takes options without being named, in every spelling citty accepts", async () => {
    const port = freePort();
    const broker = await spawnListening(
      [BROKER_BINARY, "--listenerUrl", `tcp://127.0.0.1:${port}`, "--storage-engine=memory://", "--no-auto-create-topics", "--node-id", "7"],
      { cwd: tempDir("tansu-cli-default-") },
    );
    try {
      expect(broker.logs()).toContain(`listening on 127.0.0.1:${port}`);
      expect(broker.logs()).toContain("storage memory");
    } finally {
      expect(await broker.stop()).toBe(0);
    }
  });
});

describe("start-up failures", () => {
  test("a sqlite store that cannot be opened: one line, exit 1, no source and no stack", async () => {
    const run = await tansu(["broker", "--storage-engine", "sqlite:///nonexistent/dir/x.db", "--listener-url", "tcp://127.0.0.1:0"]);
    expect({ exitCode: run.exitCode, stdout: run.stdout, stderr: run.stderr }).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: "error: cannot open sqlite store /nonexistent/dir/x.db: unable to open database file\n",
    });
  });

  test("an unknown scheme: one line naming what is supported", async () => {
    const run = await tansu(["broker", "--storage-engine", "mysql://db/x"]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toBe('error: unknown storage URL "mysql://db/x"; supported: memory://, sqlite://PATH, s3://BUCKET/PREFIX/\n');
    expect(run.files).toEqual([]);
  });

  test("at --log-level debug the stack follows, with readable error names and its cause", async () => {
    const run = await tansu(["broker", "--storage-engine", "sqlite:///nonexistent/dir/x.db", "--log-level", "debug", "--listener-url", "tcp://127.0.0.1:0"]);
    expect(run.exitCode).toBe(1);
    const lines = run.stderr.split("\n");
    expect(lines[0]).toBe("error: cannot open sqlite store /nonexistent/dir/x.db: unable to open database file");
    // Class names survive the minified build; the cause (bun:sqlite's own error) is shown too.
    expect(lines[1]).toBe("StorageUnavailableError: cannot open sqlite store /nonexistent/dir/x.db: unable to open database file");
    expect(lines[2]).toContain("sqlite-storage.ts");
    expect(run.stderr).toContain("caused by: SQLiteError: unable to open database file");
    // No excerpt of bundled source ("89 |   throw ...").
    expect(run.stderr).not.toMatch(/^\s*\d+ \| /m);
  });

  test("lake options: checked before anything is opened, one line each", async () => {
    const cases: Array<[string[], string]> = [
      [["--lake-location", "http://lake"], 'error: --lake-location "http://lake": expected file://DIR or s3://BUCKET/PREFIX/'],
      [["--lake-location", "file:///tmp/lake", "--lake-format", "orc"], "error: --lake-format: unknown format orc (expected parquet, iceberg, delta)"],
      [["--lake-location", "file:///tmp/lake", "--lake-namespace", "a/b"], 'error: --lake-namespace "a/b": letters, digits, _ and - only, not starting with -'],
      [["--lake-location", "file:///tmp/lake", "--iceberg-catalog", "catalog:8181"], 'error: --iceberg-catalog "catalog:8181": expected the http:// or https:// URL of an Iceberg REST catalog'],
      [["--iceberg-catalog", "http://catalog:8181"], "error: --iceberg-catalog needs --lake-location (where the tables' files go)"],
    ];
    for (const [args, line] of cases) {
      const run = await tansu(["broker", "--listener-url", "tcp://127.0.0.1:0", ...args]);
      expect({ exitCode: run.exitCode, stderr: run.stderr, files: run.files }).toEqual({ exitCode: 1, stderr: `${line}\n`, files: [] });
    }
  });

  test("a topic command that cannot reach its broker: one line", async () => {
    const port = freePort();
    const run = await tansu(["topic", "list", "--broker", `127.0.0.1:${port}`]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^error: cannot connect to 127\\.0\\.0\\.1:${port}: .+\\n$`));
  });
});
