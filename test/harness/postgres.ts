import { chmodSync, chownSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
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
  /** With `tls`: the self-signed certificate the server presents (for 127.0.0.1), to trust as a root. */
  rootCert?: string;
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

/** The postgres user's uid and gid when running as root (initdb refuses to run as root), else null. */
function clusterOwner(): [uid: number, gid: number] | null {
  if (process.getuid?.() !== 0) return null;
  const entry = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .map((line) => line.split(":"))
    .find((fields) => fields[0] === "postgres");
  if (!entry) throw new Error("running as root but there is no postgres user; run scripts/install-test-deps.sh");
  return [Number(entry[2]), Number(entry[3])];
}

/** A self-signed certificate for 127.0.0.1 and its key, readable by the server only. */
async function selfSignedCertificate(dir: string, owner: [number, number] | null): Promise<{ cert: string; key: string }> {
  const cert = join(dir, "server.crt");
  const key = join(dir, "server.key");
  await runChecked(
    ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
      "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
  );
  chmodSync(key, 0o600);
  if (owner) for (const file of [cert, key]) chownSync(file, ...owner);
  return { cert, key };
}

export interface StartPostgresOptions {
  /** Serve TLS (besides plain connections) with a self-signed certificate, see rootCert. */
  tls?: boolean;
}

export async function startPostgres(startOptions: StartPostgresOptions = {}): Promise<RunningPostgres> {
  const bin = serverBinDir();
  const dir = tempDir("tansu-pg-");
  const data = join(dir, "data");
  const ownerIds = clusterOwner();
  if (ownerIds) chownSync(dir, ...ownerIds);
  const owner = ownerIds ? ["runuser", "-u", "postgres", "--"] : [];
  await runChecked([...owner, join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"], {
    timeoutMs: 120_000,
  });
  const port = freePort();
  const tls = startOptions.tls ? await selfSignedCertificate(dir, ownerIds) : null;
  const tlsOptions = tls ? ` -c ssl=on -c ssl_cert_file=${tls.cert} -c ssl_key_file=${tls.key}` : "";
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off${tlsOptions}`;
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
  const stop = async (mode: "immediate" | "fast") => {
    if (forget === null) return;
    await runChecked([...owner, join(bin, "pg_ctl"), "-D", data, "-m", mode, "-w", "stop"], { timeoutMs: 60_000 });
    forget();
    forget = null;
  };
  // Stops and starts take turns, whoever asks (a test and its cleanup may both).
  let turns: Promise<unknown> = Promise.resolve();
  const inTurn = (work: () => Promise<void>): Promise<void> => {
    const next = turns.then(work);
    turns = next.catch(() => {});
    return next;
  };
  return {
    url,
    bin,
    rootCert: tls?.cert,
    urlOf: (database) => url.replace(/\/postgres$/, `/${database}`),
    stop: (mode = "immediate") => inTurn(() => stop(mode)),
    start: () => inTurn(async () => {
      if (forget === null) await start();
    }),
  };
}

/** Fresh databases on a cluster, each named tansu_N; from `template` (an existing database) when given. */
export function databaseMaker(cluster: RunningPostgres, template?: string): { fresh(): Promise<string>; end(): Promise<void> } {
  const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
  let made = 0;
  return {
    async fresh() {
      const name = `tansu_${++made}`;
      await admin.unsafe(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ""}`);
      return cluster.urlOf(name);
    },
    end: () => admin.end({ timeout: 0 }),
  };
}
