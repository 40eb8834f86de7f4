// An in-process broker on an ephemeral port for fast handler tests; integration tests with
// real clients use the compiled binary instead (test/harness/broker.ts).
import { afterAll, beforeAll } from "bun:test";
import { KafkaConnection, type ConnectOptions } from "../../src/client/kafka-connection.ts";
import type { BrokerConfig, BrokerContext } from "../../src/broker/context.ts";
import { LogNotifier } from "../../src/broker/log-notifier.ts";
import type { BrokerSecurity } from "../../src/broker/security-hooks.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { listen, type RunningBroker } from "../../src/broker/server.ts";
import { openStorage } from "../../src/storage/open.ts";

export interface InProcessBroker {
  ctx: BrokerContext;
  broker: RunningBroker;
  address: string;
  connect(options?: ConnectOptions): Promise<KafkaConnection>;
  stop(): Promise<void>;
}

/** `port` 0 picks a free one; restart tests pass the previous broker's. A store given opened is closed by stop(). */
export async function startInProcessBroker(
  config: Partial<BrokerConfig> = {},
  storageUrl: string | Storage = "memory://",
  port = 0,
  security?: (storage: Storage) => Promise<BrokerSecurity>,
): Promise<InProcessBroker> {
  const storage = typeof storageUrl === "string" ? await openStorage(storageUrl) : storageUrl;
  const ctx: BrokerContext = {
    storage,
    notifier: new LogNotifier(),
    ...(security ? { security: await security(storage) } : {}),
    config: {
      nodeId: 111,
      clusterId: "test-cluster",
      advertisedHost: "127.0.0.1",
      advertisedPort: 0,
      defaultPartitions: 1,
      autoCreateTopics: true,
      maxRequestBytes: 1024 * 1024,
      fetchPollMs: 50,
      cleanerIntervalMs: 3_600_000,
      transactionMaxTimeoutMs: 900_000,
      transactionSweepIntervalMs: 3_600_000,
      ...config,
    },
  };
  const broker = listen(ctx, "127.0.0.1", port);
  ctx.config.advertisedPort = broker.port;
  const address = `127.0.0.1:${broker.port}`;
  const connections: KafkaConnection[] = [];
  return {
    ctx,
    broker,
    address,
    async connect(options) {
      const c = await KafkaConnection.connect(address, "test", options);
      connections.push(c);
      return c;
    },
    async stop() {
      for (const c of connections) c.close();
      await broker.stop();
      await storage.close();
    },
  };
}

/** A broker and one connection to it for the tests of a file: started before them, stopped after. Call at top level. */
export function connectionForFile(config: Partial<BrokerConfig> = {}): () => KafkaConnection {
  let broker: InProcessBroker;
  let connection: KafkaConnection;
  beforeAll(async () => {
    broker = await startInProcessBroker(config);
    connection = await broker.connect();
  });
  afterAll(() => broker.stop());
  return () => connection;
}
