import { join, resolve } from "node:path";
import { freePort } from "./free-port.ts";
import { spawnListening, type ListeningProcess } from "./listening-process.ts";
import { tempDir } from "./temp-dir.ts";

export { freePort } from "./free-port.ts";
export { tempDir } from "./temp-dir.ts";

/** The compiled broker that `npm run build` produces; integration tests run exactly what ships. */
export const BROKER_BINARY = resolve(import.meta.dir, "../../dist/tansu");

export interface StartBrokerOptions {
  /** Storage URL; default a fresh sqlite://<tempdir>/tansu.db. Pass a previous broker's `storage` to restart on it. */
  storage?: string;
  env?: Record<string, string>;
  /** Extra arguments after the standard ones. */
  args?: string[];
  /** Listen (and advertise) on this port; default a free one. Restart tests reuse the old port like a real redeploy. */
  port?: number;
  /** Program to run instead of dist/tansu, e.g. the bare baseline; it gets the same arguments. */
  command?: string[];
  /** Adds a tls:// listener on another free port (its certificate options go in `args`). */
  tls?: boolean;
}

export interface RunningBroker extends ListeningProcess {
  port: number;
  /** Bootstrap address for clients, host:port. */
  url: string;
  storage: string;
  /** The tls:// listener's port and bootstrap address, when `tls` was asked for. */
  tlsPort?: number;
  tlsUrl?: string;
}

/** Starts `dist/tansu broker` on 127.0.0.1 and resolves once it logs that it is listening. */
export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const port = options.port ?? freePort();
  // Its own working directory, so a developer's .env in the checkout (which the binary would load) or a
  // relative path never leaks into a test.
  const dir = tempDir("tansu-broker-");
  const storage = options.storage ?? `sqlite://${join(dir, "tansu.db")}`;
  const tlsPort = options.tls ? freePort() : undefined;
  const listener = `tcp://127.0.0.1:${port}${tlsPort ? `,tls://127.0.0.1:${tlsPort}` : ""}`;
  const running = await spawnListening(
    [
      ...(options.command ?? [BROKER_BINARY]),
      "broker",
      "--listener-url",
      listener,
      "--advertised-listener-url",
      listener,
      "--storage-engine",
      storage,
      ...(options.args ?? []),
    ],
    { env: options.env, cwd: dir },
  );
  return { ...running, port, url: `127.0.0.1:${port}`, storage, ...(tlsPort ? { tlsPort, tlsUrl: `127.0.0.1:${tlsPort}` } : {}) };
}
