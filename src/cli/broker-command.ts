import { defineCommand } from "./define-command.ts";
import { LogLevels, type LogType } from "consola/core";
import { consola } from "../log.ts";
import { listen } from "../broker/server.ts";
import { TXN_SWEEP_INTERVAL_MS } from "../broker/transactions/txn-settings.ts";
import { LogNotifier } from "../broker/log-notifier.ts";
import type { BrokerContext } from "../broker/context.ts";
import { openStorage } from "../storage/open.ts";
import { parseHttpListenerUrl, parseListenerUrl } from "./listener-url.ts";
import type { RunningHttp } from "../http/server.ts";

const env = process.env;

export const brokerCommand = defineCommand({
  meta: { name: "broker", description: "Run a broker (the default command)" },
  args: {
    "listener-url": { type: "string", description: "Where to accept Kafka clients (LISTENER_URL)", default: env.LISTENER_URL ?? "tcp://0.0.0.0:9092" },
    "advertised-listener-url": {
      type: "string",
      description: "What clients are told to connect to (ADVERTISED_LISTENER_URL)",
      default: env.ADVERTISED_LISTENER_URL ?? "tcp://localhost:9092",
    },
    "storage-engine": {
      type: "string",
      description: "memory://, sqlite://FILE, s3://BUCKET/PREFIX/ (STORAGE_ENGINE)",
      default: env.STORAGE_ENGINE ?? "sqlite://tansu.db",
    },
    "cluster-id": { type: "string", description: "Cluster id reported to clients (CLUSTER_ID)", default: env.CLUSTER_ID ?? "tansu" },
    "node-id": { type: "string", description: "Node id this broker reports (NODE_ID)", default: env.NODE_ID ?? "111" },
    "default-partitions": {
      type: "string",
      description: "Partitions of auto-created topics and of CreateTopics with -1 (DEFAULT_PARTITIONS)",
      default: env.DEFAULT_PARTITIONS ?? "1",
    },
    "auto-create-topics": {
      type: "boolean",
      description: "Create topics on first Metadata request (AUTO_CREATE_TOPICS)",
      default: (env.AUTO_CREATE_TOPICS ?? "true") !== "false",
    },
    "http-listener-url": {
      type: "string",
      description: "Where to serve HTTP: health, and later the Schema Registry API and metrics (HTTP_LISTENER_URL; off when unset)",
      default: env.HTTP_LISTENER_URL,
    },
    "log-level": { type: "string", description: "error, warn, info, debug (LOG_LEVEL)", default: env.LOG_LEVEL ?? "info" },
  },
  async run({ args }) {
    const level = args["log-level"] as LogType;
    if (!(level in LogLevels)) throw new Error(`--log-level: unknown level ${level}`);
    consola.level = LogLevels[level];

    const listener = parseListenerUrl(args["listener-url"], "--listener-url");
    const httpListener = args["http-listener-url"] ? parseHttpListenerUrl(args["http-listener-url"]) : null;
    const advertised = parseListenerUrl(args["advertised-listener-url"], "--advertised-listener-url");
    const defaultPartitions = Number(args["default-partitions"]);
    if (!Number.isInteger(defaultPartitions) || defaultPartitions < 1) throw new Error("--default-partitions must be a positive integer");
    const nodeId = Number(args["node-id"]);
    if (!Number.isInteger(nodeId) || nodeId < 0) throw new Error("--node-id must be a non-negative integer");

    const storage = await openStorage(args["storage-engine"]);
    const ctx: BrokerContext = {
      storage,
      notifier: new LogNotifier(),
      config: {
        nodeId,
        clusterId: args["cluster-id"],
        advertisedHost: advertised.host,
        advertisedPort: advertised.port,
        defaultPartitions,
        autoCreateTopics: args["auto-create-topics"],
        maxRequestBytes: Number(env.SOCKET_REQUEST_MAX_BYTES ?? 100 * 1024 * 1024),
        fetchPollMs: Number(env.FETCH_POLL_MS ?? storage.pollIntervalMs ?? 250),
        cleanerIntervalMs: Number(env.LOG_CLEANER_INTERVAL_MS ?? 30_000),
        transactionSweepIntervalMs: Number(env.TRANSACTION_SWEEP_INTERVAL_MS ?? TXN_SWEEP_INTERVAL_MS),
        transactionMaxTimeoutMs: Number(env.TRANSACTION_MAX_TIMEOUT_MS ?? 900_000),
      },
    };
    let broker: ReturnType<typeof listen>;
    try {
      broker = listen(ctx, listener.host, listener.port);
    } catch (error) {
      await storage.close();
      throw new Error(`cannot listen on ${listener.host}:${listener.port}: ${(error as Error).message}`, { cause: error });
    }
    let http: RunningHttp | null = null;
    if (httpListener) {
      try {
        // Imported only when enabled, like everything off the start-up path (docs/ARCHITECTURE.md).
        const { listenHttp } = await import("../http/server.ts");
        const { healthRoutes } = await import("../http/health.ts");
        http = listenHttp(httpListener.host, httpListener.port, [healthRoutes()]);
      } catch (error) {
        await broker.stop();
        await storage.close();
        throw new Error(`cannot listen for HTTP on ${httpListener.host}:${httpListener.port}: ${(error as Error).message}`, { cause: error });
      }
      consola.info(`HTTP on ${httpListener.host}:${http.port}`);
    }
    consola.info(
      `tansu listening on ${listener.host}:${broker.port} (advertised ${advertised.host}:${advertised.port}, storage ${storage.kind}) in ${Math.round(performance.now())} ms`,
    );

    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      consola.info(`${signal}: finishing in-flight requests`);
      try {
        await broker.stop();
        await http?.stop();
        await storage.close();
        consola.info("stopped");
        process.exit(0);
      } catch (error) {
        consola.error("unclean stop:", error);
        process.exit(1);
      }
    };
    process.on("SIGTERM", () => void stop("SIGTERM"));
    process.on("SIGINT", () => void stop("SIGINT"));
  },
});
