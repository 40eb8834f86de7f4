import { beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { requestApiVersions } from "../harness/api-versions.ts";
import { BROKER_BINARY, freePort, tempDir } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";
import { spawnListening, type ListeningProcess } from "../harness/listening-process.ts";
import { runChecked } from "../harness/run.ts";
import { startS3 } from "../harness/s3.ts";
import { s3Env } from "../storage/s3-fixtures.ts";

// Docker cannot run here, so this proves Dockerfile.scratch's final stage is a complete image another
// way: copy exactly the files its COPY lines name into an empty directory and run the entrypoint with
// that directory as root, the image's ENV as the whole environment, its USER and WORKDIR. The only
// thing added is what a container runtime always provides: a /proc mount (Bun reads /proc/self/exe).

const REPO = resolve(import.meta.dir, "../..");
// The build stage's WORKDIR holds the repository; every other build-stage path is a Debian 12 system
// file, which this Debian 12 machine has at the same place.
const BUILD_WORKDIR = "/src/";

interface Copy {
  source: string;
  destination: string;
  owner?: { uid: number; gid: number };
}

interface Image {
  copies: Copy[];
  env: Record<string, string>;
  user: { uid: number; gid: number };
  workdir: string;
  entrypoint: string[];
  cmd: string[];
  exposed: number[];
}

function parseFinalStage(dockerfile: string): Image {
  const lines = dockerfile.split("\n").map((line) => line.trim());
  const stage = lines.slice(lines.findLastIndex((line) => /^FROM\s/i.test(line)) + 1);
  const image: Image = { copies: [], env: {}, user: { uid: 0, gid: 0 }, workdir: "/", entrypoint: [], cmd: [], exposed: [] };
  for (const line of stage) {
    if (line === "" || line.startsWith("#")) continue;
    const [, instruction, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    switch (instruction?.toUpperCase()) {
      case "COPY": {
        const match = /^--from=build\s+(?:--chown=(\d+):(\d+)\s+)?(\/\S*)\s+(\/\S*)$/.exec(rest);
        if (!match) throw new Error(`Dockerfile.scratch: COPY not in the form this test reads: ${line}`);
        const [, uid, gid, source, destination] = match;
        image.copies.push({ source, destination, owner: uid ? { uid: Number(uid), gid: Number(gid) } : undefined });
        break;
      }
      case "ENV": {
        const [, key, value] = /^(\w+)=(\S+)$/.exec(rest) ?? [];
        if (!key) throw new Error(`Dockerfile.scratch: ENV not in KEY=VALUE form: ${line}`);
        image.env[key] = value;
        break;
      }
      case "USER": {
        const [, uid, gid] = /^(\d+):(\d+)$/.exec(rest) ?? [];
        if (!uid) throw new Error(`Dockerfile.scratch: USER must be numeric UID:GID: ${line}`);
        image.user = { uid: Number(uid), gid: Number(gid) };
        break;
      }
      case "WORKDIR":
        image.workdir = rest;
        break;
      case "EXPOSE":
        image.exposed.push(Number(rest));
        break;
      case "ENTRYPOINT":
        image.entrypoint = JSON.parse(rest);
        break;
      case "CMD":
        image.cmd = JSON.parse(rest);
        break;
      default:
        throw new Error(`Dockerfile.scratch: final stage has an instruction this test does not model: ${line}`);
    }
  }
  return image;
}

/** An empty root holding only the image's files; `binary` stands in for the build stage's dist/tansu. */
function assembleRoot(image: Image, binary: string): string {
  const root = tempDir("tansu-scratch-");
  // An image's / is world-readable; mkdtemp's 0700 would lock the non-root USER out of everything.
  chmodSync(root, 0o755);
  for (const { source, destination, owner } of image.copies) {
    const target = join(root, destination);
    if (source.endsWith("/")) {
      mkdirSync(target, { recursive: true });
    } else {
      const from = source === `${BUILD_WORKDIR}dist/tansu` ? binary : source.startsWith(BUILD_WORKDIR) ? join(REPO, source.slice(BUILD_WORKDIR.length)) : source;
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(from, target);
    }
    if (owner) chownSync(target, owner.uid, owner.gid);
  }
  mkdirSync(join(root, "proc"));
  return root;
}

/** `docker run IMAGE ARGS...`: ARGS replace CMD, as with docker. unshare execs in place, so the pid is the entrypoint's. */
function runImage(image: Image, root: string, args: string[], env: Record<string, string> = {}): Promise<ListeningProcess> {
  const unshare = Bun.which("unshare");
  if (!unshare) throw new Error("unshare (util-linux) is missing; run scripts/install-test-deps.sh");
  return spawnListening(
    [
      unshare,
      "--mount-proc=/proc",
      `--root=${root}`,
      `--wd=${image.workdir}`,
      `--setuid=${image.user.uid}`,
      `--setgid=${image.user.gid}`,
      ...image.entrypoint,
      ...args,
    ],
    { env: { ...image.env, ...env }, cleanEnv: true },
  );
}

const image = parseFinalStage(readFileSync(join(REPO, "Dockerfile.scratch"), "utf8"));

describe("Dockerfile.scratch", () => {
  test("declares the broker image: entrypoint, default command, port, storage, CA bundle, non-root user", () => {
    expect(image.entrypoint).toEqual(["/tansu"]);
    expect(image.cmd).toEqual(["broker"]);
    expect(image.exposed).toEqual([9092]);
    expect(image.env.STORAGE_ENGINE).toBe("sqlite:///data/tansu.db");
    expect(image.env.HOME).toBe("/data");
    expect(image.user.uid).not.toBe(0);
    expect(image.copies.map((copy) => copy.destination)).toContain("/etc/ssl/certs/ca-certificates.crt");
    expect(image.copies.find((copy) => copy.destination === "/data/")?.owner).toEqual(image.user);
  });

  describe("its file set alone runs", () => {
    let baseline: string;

    beforeAll(async () => {
      baseline = join(tempDir("tansu-baseline-"), "bare-listen");
      await runChecked(
        [process.execPath, "build", "--compile", join(REPO, "scripts/bench/baseline/bare-listen.ts"), "--outfile", baseline],
        { timeoutMs: 120_000 },
      );
    });

    test("a compiled Bun program (the bare baseline) starts and answers ApiVersions", async () => {
      const root = assembleRoot(image, baseline);
      const port = freePort();
      const server = await runImage(image, root, ["--listener-url", `tcp://127.0.0.1:${port}`]);
      try {
        expect((await requestApiVersions(port)).errorCode).toBe(0);
      } finally {
        await server.stop("SIGKILL");
      }
    });

    /** Produces three records through kcat and fetches them back; then stops the broker with SIGTERM, which must exit 0. */
    async function produceAndFetch(broker: ListeningProcess, port: number): Promise<void> {
      let exitCode: number | undefined;
      try {
        const bootstrap = `127.0.0.1:${port}`;
        const produced = await kcat(["-P", "-b", bootstrap, "-t", "scratch", "-p", "0", "-X", "acks=all"], {
          input: "one\ntwo\nthree\n",
        });
        expect(produced).toMatchObject({ exitCode: 0, timedOut: false });
        const fetched = await kcat(["-C", "-b", bootstrap, "-t", "scratch", "-p", "0", "-o", "beginning", "-c", "3", "-e", "-f", "%s\\n"]);
        expect(fetched).toMatchObject({ exitCode: 0, timedOut: false, stdout: "one\ntwo\nthree\n" });
      } finally {
        exitCode = await broker.stop("SIGTERM");
      }
      expect(exitCode, broker.logs()).toBe(0);
    }

    test("the broker starts on the image's default storage and serves produce and fetch", async () => {
      expect(existsSync(BROKER_BINARY), `${BROKER_BINARY} is missing: run npm run build`).toBe(true);
      const root = assembleRoot(image, BROKER_BINARY);
      const port = freePort();
      const listener = `tcp://127.0.0.1:${port}`;
      const broker = await runImage(image, root, [...image.cmd, "--listener-url", listener, "--advertised-listener-url", listener]);
      await produceAndFetch(broker, port);
      // The records went where the image's STORAGE_ENGINE says, writable by its non-root user.
      expect(statSync(join(root, "data/tansu.db")).size).toBeGreaterThan(0);
    });

    // What fly.toml deploys: the s3:// engine and the AWS SDK are loaded on demand from inside the
    // binary, so this proves they are in it.
    test("the broker on s3:// serves produce and fetch", async () => {
      const s3 = await startS3();
      try {
        await s3.createBucket("scratch");
        const root = assembleRoot(image, BROKER_BINARY);
        const port = freePort();
        const listener = `tcp://127.0.0.1:${port}`;
        const broker = await runImage(
          image,
          root,
          [...image.cmd, "--listener-url", listener, "--advertised-listener-url", listener, "--storage-engine", "s3://scratch/tansu/"],
          s3Env(s3),
        );
        await produceAndFetch(broker, port);
        expect(existsSync(join(root, "data/tansu.db"))).toBe(false);
      } finally {
        await s3.stop();
      }
    });
  });
});
