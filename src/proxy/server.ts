import type { Socket, SocketHandler, TCPSocketListener } from "bun";
import { KafkaConnection } from "../client/kafka-connection.ts";
import { consola } from "../log.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import { BrokerPorts, type Address } from "./broker-ports.ts";
import type { RecordValidator } from "./produce-validation.ts";
import { ProxyConnection, type ProxyContext } from "./proxy-connection.ts";

export interface ProxyConfig {
  /** Where to accept clients; broker ports follow this port. */
  listener: Address;
  /** What clients are told; broker ports follow this port too. */
  advertised: Address;
  /** The upstream cluster's bootstrap servers. */
  upstreams: Address[];
  brokerPortCount: number;
  maxFrameBytes: number;
  /** Validates produced records before they go upstream; null passes Produce through as bytes. */
  validator: RecordValidator | null;
}

export interface RunningProxy {
  readonly port: number;
  readonly connections: number;
  /** Bytes held for sockets that cannot take them yet, over all connections. */
  readonly bufferedBytes: number;
  /** Requests whose responses clients have not been sent yet, over all connections. */
  readonly inFlight: number;
  /** Stop accepting, let forwarded requests be answered (at most `graceMs`), close every connection. */
  stop(graceMs?: number): Promise<void>;
}

const STOP_GRACE_MS = 10_000;
const DISCOVERY_TIMEOUT_MS = 10_000;

const clientHandlers: SocketHandler<ProxyConnection> = {
  data: (socket, chunk) => socket.data.onClientData(chunk),
  drain: (socket) => socket.data.onClientDrain(),
  close: (socket) => socket.data.onClientClose(),
  error: (socket, error) => consola.warn(`connection from ${socket.remoteAddress}: ${error.message}`),
};

const upstreamHandlers: SocketHandler<ProxyConnection> = {
  data: (socket, chunk) => socket.data.onUpstreamData(chunk),
  drain: (socket) => socket.data.onUpstreamDrain(),
  close: (socket) => socket.data.onUpstreamClose(),
  error: (socket, error) => consola.warn(`upstream ${socket.remoteAddress}:${socket.remotePort}: ${error.message}`),
};

/** Asks one bootstrap server for the cluster's brokers and gives each a port, in node id order. */
async function listBrokers(address: Address, ports: BrokerPorts, deadline: AbortSignal): Promise<void> {
  const client = await KafkaConnection.connect(formatAddress(address), "tansu-proxy");
  const close = () => client.close();
  deadline.addEventListener("abort", close);
  try {
    const versions = await client.request(ApiKey.ApiVersions, 0, {});
    const offered = versions.apiKeys.find((k) => k.apiKey === ApiKey.Metadata);
    if (!offered) throw new Error(`${formatAddress(address)} does not offer Metadata`);
    const metadata = await client.request(ApiKey.Metadata, Math.min(offered.maxVersion, 12), {
      topics: [],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    for (const broker of [...metadata.brokers].sort((a, b) => a.nodeId - b.nodeId)) ports.advertise(broker);
  } finally {
    deadline.removeEventListener("abort", close);
    client.close();
  }
}

function connectTo(address: Address, connection: ProxyConnection): Promise<Socket<ProxyConnection>> {
  return Bun.connect<ProxyConnection>({ hostname: address.host, port: address.port, data: connection, socket: upstreamHandlers });
}

/**
 * Listens on the listener port (bootstrap: any upstream bootstrap server) and the `brokerPortCount` ports after
 * it (one upstream broker each); every client connection gets its own upstream connection.
 */
export function listenProxy(config: ProxyConfig): RunningProxy {
  const ports = new BrokerPorts(config.advertised, config.brokerPortCount);
  const ctx: ProxyContext = { ports, validator: config.validator, maxFrameBytes: config.maxFrameBytes };
  const connections = new Set<ProxyConnection>();
  let nextBootstrap = 0;
  let discovery: Promise<void> | null = null;

  async function connectBootstrap(connection: ProxyConnection): Promise<Socket<ProxyConnection>> {
    const first = nextBootstrap++;
    let lastError: unknown;
    for (let i = 0; i < config.upstreams.length; i++) {
      const address = config.upstreams[(first + i) % config.upstreams.length]!;
      try {
        return await connectTo(address, connection);
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`no bootstrap server answered (${config.upstreams.map(formatAddress).join(", ")}): ${(lastError as Error).message}`);
  }

  /** Learns the upstream's brokers, so port numbers follow node ids when the proxy starts or meets an unknown port. */
  function discover(): Promise<void> {
    if (discovery) return discovery;
    const address = config.upstreams[nextBootstrap++ % config.upstreams.length]!;
    const deadline = AbortSignal.timeout(DISCOVERY_TIMEOUT_MS);
    discovery = Promise.race([
      listBrokers(address, ports, deadline),
      new Promise<never>((_, reject) =>
        deadline.addEventListener("abort", () => reject(new Error(`${formatAddress(address)} did not list its brokers within ${DISCOVERY_TIMEOUT_MS} ms`))),
      ),
    ]).finally(() => (discovery = null));
    return discovery;
  }

  async function connectBroker(n: number, connection: ProxyConnection): Promise<Socket<ProxyConnection>> {
    if (ports.upstream(n) === undefined) await discover();
    const address = ports.upstream(n);
    if (!address) throw new Error(`no upstream broker is served on port offset +${n}`);
    try {
      return await connectTo(address, connection);
    } catch (error) {
      throw new Error(`cannot reach upstream broker ${formatAddress(address)}: ${(error as Error).message}`, { cause: error });
    }
  }

  const sum = (of: (c: ProxyConnection) => number) => {
    let total = 0;
    for (const connection of connections) total += of(connection);
    return total;
  };

  const listeners: TCPSocketListener<ProxyConnection>[] = [];
  try {
    for (let n = 0; n <= config.brokerPortCount; n++) {
      listeners.push(
        Bun.listen<ProxyConnection>({
          hostname: config.listener.host,
          port: config.listener.port + n,
          socket: {
            ...clientHandlers,
            open(socket) {
              socket.setNoDelay(true);
              const connection = new ProxyConnection(socket, ctx);
              socket.data = connection;
              connections.add(connection);
              void connection.done().then(() => connections.delete(connection));
              (n === 0 ? connectBootstrap(connection) : connectBroker(n, connection)).then(
                (upstream) => connection.attach(upstream, `${upstream.remoteAddress}:${upstream.remotePort}`),
                (error) => connection.fail((error as Error).message),
              );
            },
          },
        }),
      );
    }
  } catch (error) {
    for (const listener of listeners) listener.stop(true);
    const port = config.listener.port + listeners.length;
    throw new Error(`cannot listen on ${config.listener.host}:${port}: ${(error as Error).message}`, { cause: error });
  }
  discover().catch((error) => consola.warn(`could not list the upstream's brokers yet: ${(error as Error).message}`));

  return {
    port: listeners[0]!.port,
    get connections() {
      return connections.size;
    },
    get bufferedBytes() {
      return sum((c) => c.bufferedBytes);
    },
    get inFlight() {
      return sum((c) => c.inFlight);
    },
    async stop(graceMs = STOP_GRACE_MS) {
      for (const listener of listeners) listener.stop(false);
      for (const connection of connections) connection.drain();
      let timer: Timer | undefined;
      await Promise.race([
        Promise.all([...connections].map((c) => c.done())),
        new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
      for (const connection of connections) connection.close();
      for (const listener of listeners) listener.stop(true);
    },
  };
}

export function formatAddress(address: Address): string {
  return address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
