// The broker's start-up path: every module a broker evaluates before it has answered its first
// request. Start-up time and idle memory grow with it (docs/BENCHMARKS.md, Startup), so it is kept
// to what that request needs; everything else is imported where it is first used (the API table in
// src/broker/apis.ts, engines in src/storage/open.ts, subcommands in src/cli/main.ts, background
// work in src/broker/server.ts). This test runs the broker from source, answers one ApiVersions,
// stops it, and compares what it evaluated with the list below.
import { describe, expect, test } from "bun:test";
import { join, relative, resolve } from "node:path";
import { requestApiVersions } from "../harness/api-versions.ts";
import { freePort } from "../harness/free-port.ts";
import { spawnListening } from "../harness/listening-process.ts";
import { tempDir } from "../harness/temp-dir.ts";
import { SqliteStorage } from "../../src/storage/engines/sqlite/sqlite-storage.ts";

const REPO = resolve(import.meta.dir, "../..");

/**
 * What a broker needs to answer ApiVersions. A module joins this list only when the first request
 * cannot be answered without it; measure with scripts/bench/startup.ts before and after.
 */
const STARTUP_MODULES = [
  "package.json",
  "node_modules/consola/dist/core.mjs",
  "src/cli/main.ts",
  "src/cli/broker-command.ts",
  "src/cli/define-command.ts",
  "src/cli/listener-url.ts",
  "src/cli/list-option.ts",
  // The broker's option definitions (logging, schema files, security) and what acts on them at start:
  // log level and format, the signal handlers, the listeners' TLS settings and a broker's security
  // (none, for a plain broker; quotas load on the first request one can apply to).
  "src/cli/server-options.ts",
  "src/cli/broker-security.ts",
  "src/log.ts",
  "src/broker/server.ts",
  "src/broker/connection.ts",
  "src/broker/dispatcher.ts",
  "src/broker/apis.ts",
  "src/broker/handler.ts",
  "src/broker/api-versions.ts",
  "src/broker/log-notifier.ts",
  "src/broker/periodic-task.ts",
  // Every connection has a principal (ANONYMOUS without TLS or SASL) and every request an authorizer
  // (ALLOW_ALL without ACLs, which reports every supported operation from a table of its own).
  "src/broker/security-hooks.ts",
  // Every broker validates produce against subjects registered in its store; this is the validator that
  // loads the schema layer on the first produce (and the --schema-registry files only when given).
  "src/schema/open-schemas.ts",
  "src/broker/transactions/txn-settings.ts",
  "src/protocol/messages.ts",
  "src/protocol/frame-reader.ts",
  "src/protocol/reader.ts",
  "src/protocol/writer.ts",
  "src/protocol/errors.ts",
  "src/protocol/error-codes.ts",
  "src/protocol/generated/apis.ts",
  "src/protocol/generated/request-header.ts",
  "src/protocol/generated/api-versions.ts",
  "src/storage/open.ts",
  "src/storage/errors.ts",
];

/**
 * The engine the storage URL chooses, and nothing of the others. A sqlite:// store that exists and is migrated is
 * opened by its first operation, so a broker on one loads none of the engine's SQL until a request needs it; a
 * new file is created and migrated at start.
 */
const ENGINE_MODULES: Record<"memory" | "sqlite, new file" | "sqlite, migrated store", string[]> = {
  memory: ["src/storage/engines/memory/memory-storage.ts", "src/storage/producer-sequence.ts", "src/storage/log-rules.ts"],
  "sqlite, new file": [
    "src/storage/engines/sqlite/sqlite-storage.ts",
    "src/storage/engines/sqlite/sqlite-open.ts",
    "src/storage/engines/sqlite/store-header.ts",
    "src/storage/engines/sqlite/deferred-sqlite-storage.ts",
    "src/storage/engines/sqlite/statements.ts",
    "src/storage/engines/sqlite/migrations.ts",
    "src/storage/producer-sequence.ts",
    "src/storage/log-rules.ts",
    "src/storage/record-codec.ts",
  ],
  "sqlite, migrated store": [
    "src/storage/engines/sqlite/deferred-sqlite-storage.ts",
    "src/storage/engines/sqlite/sqlite-open.ts",
    "src/storage/engines/sqlite/store-header.ts",
    "src/storage/engines/sqlite/migrations.ts",
  ],
};

/** The storage URL of each case: a sqlite:// store that exists is migrated, and closed, so its header says so. */
const STORAGE_URLS: Record<keyof typeof ENGINE_MODULES, () => Promise<string>> = {
  memory: async () => "memory://",
  "sqlite, new file": async () => `sqlite://${join(tempDir("tansu-startup-db-"), "tansu.db")}`,
  "sqlite, migrated store": async () => {
    const file = join(tempDir("tansu-startup-db-"), "tansu.db");
    await SqliteStorage.open(file).close();
    return `sqlite://${file}`;
  },
};

/**
 * Only when there are command-line options to parse (the container runs `tansu broker` configured by environment):
 * citty, the check that refuses an unknown option, and the one-line failure report of a parsed command.
 */
const CITTY_MODULES = [
  "node_modules/citty/dist/index.mjs",
  "node_modules/citty/dist/_chunks/libs/scule.mjs",
  "src/cli/unknown-options.ts",
  "src/cli/failure-report.ts",
];

/** Runs a broker from source, answers one ApiVersions, stops it; the repository files it evaluated. */
async function evaluatedModules(storage: string, flags: boolean): Promise<string[]> {
  const dir = tempDir("tansu-startup-path-");
  const port = freePort();
  const listener = `tcp://127.0.0.1:${port}`;
  const record = join(dir, "modules.json");
  const argv = [process.execPath, "--preload", join(import.meta.dir, "loaded-modules.ts"), join(REPO, "src/cli/main.ts"), "broker"];
  const env: Record<string, string> = { TANSU_LOADED_MODULES: record };
  if (flags) argv.push("--listener-url", listener, "--advertised-listener-url", listener, "--storage-engine", storage);
  else Object.assign(env, { LISTENER_URL: listener, ADVERTISED_LISTENER_URL: listener, STORAGE_ENGINE: storage });
  const broker = await spawnListening(argv, { env, cwd: dir });
  try {
    expect((await requestApiVersions(port)).errorCode).toBe(0);
  } finally {
    expect(await broker.stop()).toBe(0);
  }
  const loaded = (await Bun.file(record).json()) as string[];
  return loaded
    .map((path) => relative(REPO, path))
    .filter((path) => path !== "test/cli/loaded-modules.ts")
    .sort();
}

function expectOnly(loaded: string[], allowed: string[]): void {
  const extra = loaded.filter((path) => !allowed.includes(path));
  if (extra.length > 0) {
    throw new Error(
      `${extra.join(", ")} joined the broker's start-up path: import them with import() where they are first ` +
        "needed (docs/ARCHITECTURE.md), or, if the first request cannot be answered without them, add them to STARTUP_MODULES",
    );
  }
}

describe("a broker evaluates only what its first request needs", () => {
  for (const engine of ["memory", "sqlite, new file", "sqlite, migrated store"] as const) {
    test(`${engine}, configured by the environment`, async () => {
      const loaded = await evaluatedModules(await STORAGE_URLS[engine](), false);
      expectOnly(loaded, [...STARTUP_MODULES, ...ENGINE_MODULES[engine]]);
      // The fast path really was taken, and the chosen engine really was loaded (or, deferred, was not).
      expect(loaded).not.toContain(CITTY_MODULES[0]);
      expect(loaded).toContain(ENGINE_MODULES[engine][0]);
      if (engine === "sqlite, migrated store") expect(loaded).not.toContain("src/storage/engines/sqlite/sqlite-storage.ts");
    });
  }

  test("memory://, configured by flags: citty parses them", async () => {
    const loaded = await evaluatedModules("memory://", true);
    expectOnly(loaded, [...STARTUP_MODULES, ...ENGINE_MODULES.memory, ...CITTY_MODULES]);
    expect(loaded).toContain(CITTY_MODULES[0]);
  });
});
