import { CreateBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import type { Subprocess } from "bun";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { signalAtExit } from "./cleanup.ts";
import { freePort } from "./free-port.ts";
import { runChecked } from "./run.ts";
import { tempDir } from "./temp-dir.ts";

// A throwaway S3-compatible server per call: a single-node Ceph cluster (one monitor, one in-memory
// OSD) with a RADOS Gateway in front, all on loopback and inside one temp dir, the way Ceph's own
// vstart.sh sets one up for developers. It is real RGW, so it enforces conditional writes
// (If-None-Match: * and If-Match) atomically, which is what the s3:// engine's tests need.

export interface RunningS3 {
  /** http://127.0.0.1:PORT; use path-style addressing (forcePathStyle: true). */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  createBucket(name: string): Promise<void>;
  /** Kills the RADOS Gateway only (the cluster and its data stay): the S3 endpoint refuses connections. */
  stopGateway(): Promise<void>;
  /** Starts the gateway again on the same port; resolves once it answers. */
  startGateway(): Promise<void>;
  /** Kills every daemon and removes the cluster's directory; safe to call twice. */
  stop(): Promise<void>;
}

const REGION = "us-east-1";
const ACCESS_KEY_ID = "TANSUTESTACCESSKEY";
const SECRET_ACCESS_KEY = "tansu-test-secret-access-key";
const READY_TIMEOUT_MS = 60_000;
const LOG_TAIL_LINES = 40;

interface Daemon {
  name: string;
  proc: Subprocess;
}

/**
 * Everything a daemon or tool would otherwise put under /var/lib/ceph, /var/run/ceph or /var/log/ceph
 * is redirected into `dir`. Auth is off (so no keyrings), and with it the on-wire "secure" mode,
 * which needs a cephx session key; pools have one replica on the one OSD.
 */
function cephConf(dir: string, fsid: string, monPort: number, rgwPort: number): string {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
ms cluster mode = crc
ms service mode = crc
ms client mode = crc
ms mon cluster mode = crc
ms mon service mode = crc
ms mon client mode = crc
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
log file = ${dir}/log/$name.log
crash dir = ${dir}/crash
mon data = ${dir}/$name
osd data = ${dir}/$name
rgw data = ${dir}/$name
osd journal = ${dir}/$name/journal
# A client that finds the monitor not yet listening retries after this long instead of 3 s.
mon client hunt interval = 0.1
# Every pool RGW creates at start-up is a monitor proposal; the default batches them a second apart.
paxos propose interval = 0.01
paxos min wait = 0.01
mon allow pool size one = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
osd crush chooseleaf type = 0
# CI disks are often fuller than the monitor's 5% floor, below which it shuts itself down.
mon data avail warn = 1
mon data avail crit = 0
osd objectstore = memstore
# The capacity memstore reports; memory is only used for what is stored.
memstore device bytes = 8589934592

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort} tcp_nodelay=1
`;
}

function tail(path: string): string {
  if (!existsSync(path)) return `(no ${path})`;
  const lines = readFileSync(path, "utf8").trimEnd().split("\n");
  return lines.slice(-LOG_TAIL_LINES).join("\n");
}

/** The tails of a daemon's own log and of what it printed itself (errors before logging starts). */
function daemonOutput(dir: string, name: string): string {
  return `--- ${name} log (tail) ---\n${tail(join(dir, "log", `${name}.log`))}\n--- ${name} stdout/stderr ---\n${tail(join(dir, `${name}.out`))}`;
}

function spawnDaemon(dir: string, name: string, argv: string[]): Daemon {
  const out = Bun.file(join(dir, `${name}.out`));
  // -f: stay in the foreground (no fork, so the pid is the daemon's) and log to the file ceph.conf names.
  const proc = Bun.spawn([...argv, "-c", join(dir, "ceph.conf"), "-f"], { stdin: "ignore", stdout: out, stderr: out });
  void proc.exited.then(signalAtExit(proc.pid, "KILL"));
  return { name, proc };
}

async function killAll(daemons: Daemon[]): Promise<void> {
  // Nothing in the cluster is worth a clean shutdown: memstore's is only a dump to disk we then delete.
  for (const daemon of daemons) daemon.proc.kill("SIGKILL");
  await Promise.all(daemons.map((daemon) => daemon.proc.exited));
}

/** Resolves once the gateway answers HTTP at all; it only opens its port after initialising its pools. */
async function gatewayAnswering(endpoint: string, daemons: Daemon[], deadline: number): Promise<void> {
  for (;;) {
    const dead = daemons.find((daemon) => daemon.proc.exitCode !== null || daemon.proc.signalCode !== null);
    if (dead) throw new Error(`${dead.name} exited (${dead.proc.exitCode ?? dead.proc.signalCode}) while the gateway was starting`);
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(2_000) });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`the gateway at ${endpoint} did not answer within ${READY_TIMEOUT_MS} ms`, { cause: error });
    }
    await Bun.sleep(25);
  }
}

function client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
  });
}

export async function startS3(): Promise<RunningS3> {
  const dir = tempDir("tansu-s3-");
  for (const sub of ["run", "log", "crash", "osd.0"]) mkdirSync(join(dir, sub));
  const conf = join(dir, "ceph.conf");
  const fsid = crypto.randomUUID();
  const monPort = freePort();
  const rgwPort = freePort();
  const endpoint = `http://127.0.0.1:${rgwPort}`;
  writeFileSync(conf, cephConf(dir, fsid, monPort, rgwPort));

  const daemons: Daemon[] = [];
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    await runChecked(["monmaptool", "--create", "--addv", "a", `[v2:127.0.0.1:${monPort}]`, "--fsid", fsid, join(dir, "monmap")]);
    await runChecked(["ceph-mon", "-c", conf, "--mkfs", "-i", "a", "--monmap", join(dir, "monmap")]);
    daemons.push(spawnDaemon(dir, "mon.a", ["ceph-mon", "-i", "a"]));

    // Registering the OSD is the first monitor command, so it also waits for the monitor to be up.
    const osdUuid = crypto.randomUUID();
    await runChecked(["ceph", "-c", conf, "--connect-timeout", "30", "osd", "new", osdUuid, "0"], { timeoutMs: 40_000 });
    await runChecked(["ceph-osd", "-c", conf, "-i", "0", "--mkfs", "--osd-uuid", osdUuid]);
    daemons.push(spawnDaemon(dir, "osd.0", ["ceph-osd", "-i", "0"]));
    daemons.push(spawnDaemon(dir, "client.rgw", ["radosgw", "-n", "client.rgw"]));

    await gatewayAnswering(endpoint, daemons, deadline);
    await runChecked(
      ["radosgw-admin", "-c", conf, "user", "create", "--uid", "tansu", "--display-name", "tansu test"]
        .concat(["--access-key", ACCESS_KEY_ID, "--secret-key", SECRET_ACCESS_KEY]),
      { timeoutMs: Math.max(deadline - Date.now(), 1_000) },
    );
    // The user is read by the gateway, not the tool that wrote it: one signed request proves both agree.
    const s3 = client(endpoint);
    try {
      await s3.send(new ListBucketsCommand({}));
    } finally {
      s3.destroy();
    }
  } catch (error) {
    const logs = ["mon.a", "osd.0", "client.rgw"].map((name) => daemonOutput(dir, name)).join("\n");
    await killAll(daemons);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`starting a throwaway Ceph RGW in ${dir} failed: ${(error as Error).message}\n${logs}`, { cause: error });
  }

  let stopped = false;
  const gateway = () => daemons.find((daemon) => daemon.name === "client.rgw");
  return {
    endpoint,
    region: REGION,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    async createBucket(name: string): Promise<void> {
      const s3 = client(endpoint);
      try {
        await s3.send(new CreateBucketCommand({ Bucket: name }));
      } catch (error) {
        throw new Error(`creating bucket ${name} on ${endpoint} failed\n${daemonOutput(dir, "client.rgw")}`, { cause: error });
      } finally {
        s3.destroy();
      }
    },
    async stopGateway(): Promise<void> {
      const running = gateway();
      if (!running) return;
      daemons.splice(daemons.indexOf(running), 1);
      await killAll([running]);
    },
    async startGateway(): Promise<void> {
      if (gateway()) return;
      daemons.push(spawnDaemon(dir, "client.rgw", ["radosgw", "-n", "client.rgw"]));
      await gatewayAnswering(endpoint, daemons, Date.now() + READY_TIMEOUT_MS);
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await killAll(daemons);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
