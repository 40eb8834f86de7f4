// librdkafka's share consumer (KIP-932) for the share-group tests: share-consumer.c, compiled once
// per test process against the librdkafka scripts/build-librdkafka.sh builds, run as separate
// processes that report each delivered record as a JSON line. Tests wait on those lines (a record
// delivered, a consumer closed), never on the clock.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { signalAtExit } from "./cleanup.ts";
import { runChecked } from "./run.ts";
import { tempDir } from "./temp-dir.ts";

const INSTALL = resolve(import.meta.dir, "../../node_modules/.cache/tansu-librdkafka/install");
const SOURCE = join(import.meta.dir, "share-consumer.c");

let built: Promise<string> | null = null;

/** The compiled share consumer (built on first use). */
export function shareConsumerBinary(): Promise<string> {
  built ??= (async () => {
    if (!existsSync(join(INSTALL, "lib/librdkafka.so.1"))) {
      throw new Error(`no librdkafka with the share consumer in ${INSTALL}: run scripts/build-librdkafka.sh`);
    }
    const binary = join(tempDir("tansu-share-consumer-"), "share-consumer");
    await runChecked(["cc", "-O1", "-o", binary, SOURCE, `-I${INSTALL}/include`, `-L${INSTALL}/lib`, "-lrdkafka", `-Wl,-rpath,${INSTALL}/lib`], { timeoutMs: 120_000 });
    return binary;
  })();
  return built;
}

export interface Delivery {
  consumer: string;
  partition: number;
  offset: number;
  delivery: number;
  value: string;
}

/** An error the consumer's poll reported. */
export interface ShareConsumerError {
  consumer: string;
  message: string;
}

/** Everything the consumers of one test delivered (and the errors they reported), in arrival order, with waits on what arrives. */
export class Deliveries {
  readonly records: Delivery[] = [];
  readonly errors: ShareConsumerError[] = [];
  readonly #waiters = new Set<() => void>();

  add(d: Delivery): void {
    this.records.push(d);
    this.#wake();
  }

  addError(e: ShareConsumerError): void {
    this.errors.push(e);
    this.#wake();
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves once `done(records, errors)` holds; fails after `timeoutMs` with what arrived. */
  until(done: (records: Delivery[], errors: ShareConsumerError[]) => boolean, timeoutMs = 60_000, what = "deliveries"): Promise<void> {
    if (done(this.records, this.errors)) return Promise.resolve();
    return new Promise((resolveWait, reject) => {
      const check = () => {
        if (!done(this.records, this.errors)) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolveWait();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; delivered so far:\n${[...this.records, ...this.errors].map((r) => JSON.stringify(r)).join("\n")}`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  of(value: string): Delivery[] {
    return this.records.filter((r) => r.value === value);
  }
}

export interface ShareConsumerOptions {
  maxPollRecords?: number;
  /** Pause after each batch, as an application working through it. */
  pauseMs?: number;
  /** Further librdkafka properties, e.g. SASL settings. */
  config?: Record<string, string>;
}

export interface RunningShareConsumer {
  name: string;
  /** Stops cleanly: pending acknowledgements sent, session closed, group left. Resolves with the exit code. */
  stop(): Promise<number>;
  /** SIGKILL: no acknowledgement, no goodbye. */
  kill(): Promise<void>;
  output(): string;
}

export async function startShareConsumer(
  deliveries: Deliveries,
  bootstrap: string,
  groupId: string,
  topic: string,
  name: string,
  options: ShareConsumerOptions = {},
): Promise<RunningShareConsumer> {
  const properties = Object.entries(options.config ?? {}).map(([key, value]) => `${key}=${value}`);
  const argv = [await shareConsumerBinary(), bootstrap, groupId, topic, name, String(options.maxPollRecords ?? 500), String(options.pauseMs ?? 0), ...properties];
  const proc = Bun.spawn(argv, { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const forget = signalAtExit(proc.pid, "KILL");
  void proc.exited.then(forget);
  let output = "";
  const read = async (stream: ReadableStream<Uint8Array>, parse: boolean) => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      output += text;
      if (!parse) continue;
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        const event = JSON.parse(line) as Delivery & { event: string; message: string };
        if (event.event === "error") deliveries.addError({ consumer: event.consumer, message: event.message });
        if (event.event === "record") deliveries.add({ consumer: event.consumer, partition: event.partition, offset: event.offset, delivery: event.delivery, value: event.value });
      }
    }
  };
  const drained = Promise.all([read(proc.stdout, true), read(proc.stderr, false)]);
  return {
    name,
    output: () => output,
    async stop() {
      proc.stdin.end();
      let overdue: Timer | undefined;
      const exited = await Promise.race([proc.exited.then(() => true), new Promise<false>((r) => (overdue = setTimeout(() => r(false), 60_000)))]);
      clearTimeout(overdue);
      if (!exited) {
        proc.kill("SIGKILL");
        throw new Error(`share consumer ${name} did not close within 60 s; output:\n${output}`);
      }
      await drained;
      return proc.exited;
    },
    async kill() {
      proc.kill("SIGKILL");
      await proc.exited;
      await drained;
    },
  };
}
