import type { Socket, TCPSocketListener, TLSOptions } from "bun";
import { consola } from "../log.ts";
import { Connection } from "./connection.ts";
import type { BrokerContext } from "./context.ts";
import { Dispatcher } from "./dispatcher.ts";
import { allApis } from "./apis.ts";
import { deferredTask } from "./periodic-task.ts";
import { ANONYMOUS } from "./security-hooks.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import { preloadCodec } from "../protocol/messages.ts";

export interface RunningBroker {
  /** The first listener's port. */
  readonly port: number;
  /** Every listener's port, in the order they were given. */
  readonly ports: readonly number[];
  /** Stop accepting, answer what is in flight, stop background work. The store is the caller's. */
  stop(): Promise<void>;
  /** Bytes of responses buffered for clients that have not read them yet, over every connection. */
  bufferedBytes(): number;
}

/** TLS settings of a tls:// listener; certificates may be replaced while the broker runs. */
export interface TlsSettings {
  /** The current certificate, key and (with client authentication) CA. */
  options(): TLSOptions;
  /** Whether clients must present a certificate signed by the CA (mTLS). */
  readonly clientAuth: boolean;
  /** The principal of a client certificate, as Kafka's default SSL principal builder names it. */
  principalOf(socket: Socket<unknown>): string;
  /** Calls `changed` whenever the files change; returns a function that stops watching. */
  watch(changed: () => void): () => void;
}

export interface ListenerSpec {
  hostname: string;
  port: number;
  /** Present on tls:// listeners. */
  tls?: TlsSettings;
  /** What Metadata and FindCoordinator tell this listener's clients; default the context's. */
  advertised?: { host: string; port: number };
}

/** One plaintext listener (tests and the simplest broker). */
export function listen(ctx: BrokerContext, hostname: string, port: number): RunningBroker {
  return listenOn(ctx, [{ hostname, port }]);
}

/** Every listener shares one API table and one set of background tasks. */
export function listenOn(ctx: BrokerContext, specs: ListenerSpec[]): RunningBroker {
  const dispatcher = new Dispatcher(allApis());
  const connections = new Set<Connection>();
  const listeners: SwappableListener[] = [];
  try {
    for (const spec of specs) listeners.push(new SwappableListener(spec, listenerContext(ctx, spec), dispatcher, connections));
  } catch (error) {
    for (const l of listeners) l.stop(true);
    throw error;
  }
  // Every client's first request is ApiVersions: its codec loads while the broker waits for that client, not
  // after the request came (0.3 ms of a first answer, docs/BENCHMARKS.md, Startup).
  preloadCodec(ApiKey.ApiVersions);
  // Appends committed elsewhere (another broker, SQL) wake this broker's long polls at once,
  // where the store can tell; elsewhere the polls' periodic re-read finds them.
  const unwatch = ctx.storage.watchAppends?.((tp) => ctx.notifier.notify(tp.topic, tp.partition));
  // Background work is imported when it is first due, not at start-up.
  const cleaner = deferredTask("log cleaner", ctx.config.cleanerIntervalMs, async () => new (await import("./log-cleaner.ts")).LogCleaner(ctx));
  cleaner.start();
  // Any broker may abort a transaction that outlived its timeout; CAS keeps concurrent sweeps safe.
  const txnTimeouts = deferredTask("transaction timeout sweep", ctx.config.transactionSweepIntervalMs, async () => {
    const { TxnTimeouts } = await import("./transactions/txn-timeouts.ts");
    return new TxnTimeouts(ctx, ctx.config.transactionSweepIntervalMs);
  });
  txnTimeouts.start();

  // A loop, not map(): JavaScriptCore compiles each Array method that takes a callback on its first call,
  // and this runs before a broker answers its first request (docs/BENCHMARKS.md, Startup).
  const ports: number[] = [];
  for (const l of listeners) ports.push(l.port);
  return {
    port: listeners[0]!.port,
    ports,
    bufferedBytes: () => [...connections].reduce((sum, c) => sum + c.bufferedBytes, 0),
    async stop() {
      for (const l of listeners) l.stop(false);
      unwatch?.();
      cleaner.stop();
      txnTimeouts.stop();
      for (const connection of connections) connection.interrupt();
      await Promise.all([...connections].map((c) => c.idle()));
      await Promise.all([cleaner.idle(), txnTimeouts.idle()]);
      for (const l of listeners) l.stop(true);
    },
  };
}

/**
 * IPv4 clients of a dual-stack socket show as ::ffff:a.b.c.d; ACL hosts name them a.b.c.d, as Kafka does.
 * (The hexadecimal form ::ffff:102:304 has no dots.) Not a regular expression: nothing else on the start-up
 * path uses one, and the first costs about 1 MiB of runtime code (docs/BENCHMARKS.md, Startup).
 */
export function clientAddress(remote: string): string {
  return remote.startsWith("::ffff:") && remote.includes(".") ? remote.slice("::ffff:".length) : remote;
}

/** A listener advertising its own address sees a context whose config says so; the rest is shared. */
function listenerContext(ctx: BrokerContext, spec: ListenerSpec): BrokerContext {
  if (!spec.advertised) return ctx;
  return { ...ctx, config: { ...ctx.config, advertisedHost: spec.advertised.host, advertisedPort: spec.advertised.port } };
}

/**
 * A socket listener whose TLS certificate can change: a new listener with the new certificate
 * binds the same port (SO_REUSEPORT) before the old one stops accepting, so rotation drops no
 * established connection and refuses no new one. Connections keep the certificate they
 * were accepted with.
 */
class SwappableListener {
  #listener: TCPSocketListener<Connection>;
  readonly #unwatch: (() => void) | null = null;
  readonly #retired: TCPSocketListener<Connection>[] = [];

  constructor(
    private readonly spec: ListenerSpec,
    private readonly ctx: BrokerContext,
    private readonly dispatcher: Dispatcher,
    private readonly connections: Set<Connection>,
  ) {
    this.#listener = this.#bind(spec.port);
    const tls = spec.tls;
    if (tls) this.#unwatch = tls.watch(() => this.#swap());
  }

  get port(): number {
    return this.#listener.port;
  }

  stop(closeConnections: boolean): void {
    this.#unwatch?.();
    this.#listener.stop(closeConnections);
    for (const old of this.#retired) old.stop(closeConnections);
  }

  #swap(): void {
    let next: TCPSocketListener<Connection>;
    try {
      next = this.#bind(this.#listener.port);
    } catch (error) {
      consola.error(`TLS listener ${this.spec.hostname}:${this.port} keeps its old certificate; the new one was refused: ${(error as Error).message}`);
      return;
    }
    this.#listener.stop(false);
    this.#retired.push(this.#listener);
    this.#listener = next;
    consola.info(`TLS listener ${this.spec.hostname}:${this.port} now serves the reloaded certificate`);
  }

  /** The metrics' listener label: where it is bound (known once bound: port 0 picks one). */
  get name(): string {
    return `${this.spec.hostname}:${this.port}`;
  }

  #bind(port: number): TCPSocketListener<Connection> {
    const { ctx, dispatcher, connections } = this;
    const tls = this.spec.tls;
    const self = this; // the socket handlers' `this` is the handler object
    return Bun.listen<Connection>({
      hostname: this.spec.hostname,
      port,
      ...(tls ? { tls: tls.options(), reusePort: true } : {}),
      socket: {
        open(socket) {
          // Bun calls open once the TLS handshake is done, so the client certificate is known here.
          const principal = tls ? tls.principalOf(socket) : ANONYMOUS;
          if (tls?.clientAuth && principal === ANONYMOUS) {
            consola.warn(`closing TLS connection from ${socket.remoteAddress}: no client certificate`);
            socket.end();
          }
          const address = clientAddress(`${socket.remoteAddress}`);
          const connection = new Connection(socket, ctx, dispatcher, { address, tls: tls !== undefined, principal });
          socket.data = connection;
          connections.add(connection);
          ctx.metrics?.connectionOpened(self.name);
        },
        data(socket, chunk) {
          socket.data.onData(chunk);
        },
        drain(socket) {
          socket.data.onDrain();
        },
        close(socket) {
          socket.data?.onClose();
          if (socket.data && connections.delete(socket.data)) ctx.metrics?.connectionClosed(self.name);
        },
        error(socket, error) {
          consola.warn(`connection from ${socket.remoteAddress}: ${error.message}`);
        },
      },
      // reusePort is honoured by Bun.listen though its listen options do not declare it.
    } as import("bun").TCPSocketListenOptions<Connection>);
  }
}
