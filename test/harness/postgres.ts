import { chownSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { signalAtExit } from "./cleanup.ts";
import { freePort } from "./free-port.ts";
import { runChecked } from "./run.ts";
import { tempDir } from "./temp-dir.ts";

// A throwaway PostgreSQL cluster per call: initdb into a temp dir, trust auth, loopback TCP on a free
// port and its unix socket in the same dir, fsync off (tests never survive a host crash anyway).

export interface RunningPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  /** bin/ of the server, for psql and friends. */
  bin: string;
  /** The URL of another database on the same cluster. */
  urlOf(database: string): string;
  /** Shuts the server down (immediate: like a crash; fast: what an orderly restart does); start() brings it back. */
  stop(mode?: "immediate" | "fast"): Promise<void>;
  start(): Promise<void>;
}

const PG_ROOT = "/usr/lib/postgresql";

/** bin/ of the newest installed server (Debian 12 ships 15). */
function serverBinDir(): string {
  const versions = readdirSync(PG_ROOT).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error(`no PostgreSQL server under ${PG_ROOT}; run scripts/install-test-deps.sh`);
  return join(PG_ROOT, versions[0], "bin");
}

/** initdb refuses to run as root, so as root the cluster belongs to (and runs as) the postgres user. */
function asClusterOwner(dir: string): string[] {
  if (process.getuid?.() !== 0) return [];
  const entry = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .map((line) => line.split(":"))
    .find((fields) => fields[0] === "postgres");
  if (!entry) throw new Error("running as root but there is no postgres user; run scripts/install-test-deps.sh");
  chownSync(dir, Number(entry[2]), Number(entry[3]));
  return ["runuser", "-u", "postgres", "--"];
}

export async function startPostgres(): Promise<RunningPostgres> {
  const bin = serverBinDir();
  const dir = tempDir("tansu-pg-");
  const data = join(dir, "data");
  const owner = asClusterOwner(dir);
  await runChecked([...owner, join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"], {
    timeoutMs: 120_000,
  });
  const port = freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  let forget: (() => void) | null = null;
  const start = async () => {
    // -w makes pg_ctl itself wait until the server accepts connections.
    await runChecked([...owner, join(bin, "pg_ctl"), "-D", data, "-l", join(dir, "server.log"), "-o", options, "-w", "-t", "60", "start"], {
      timeoutMs: 90_000,
    });
    // SIGQUIT is PostgreSQL's immediate shutdown, which also releases its shared memory.
    forget = signalAtExit(Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]), "QUIT");
  };
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    bin,
    urlOf: (database) => url.replace(/\/postgres$/, `/${database}`),
    async stop(mode = "immediate") {
      if (forget === null) return;
      await runChecked([...owner, join(bin, "pg_ctl"), "-D", data, "-m", mode, "-w", "stop"], { timeoutMs: 60_000 });
      forget();
      forget = null;
    },
    async start() {
      if (forget === null) await start();
    },
  };
}
