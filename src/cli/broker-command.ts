import { defineCommand } from "./define-command.ts";
import { consola, logReady } from "../log.ts";
import { listenOn, type RunningBroker } from "../broker/server.ts";
import { TXN_SWEEP_INTERVAL_MS } from "../broker/transactions/txn-settings.ts";
import { LogNotifier } from "../broker/log-notifier.ts";
import type { BrokerContext } from "../broker/context.ts";
import { openStorage } from "../storage/open.ts";
import { describeListeners, parseHttpListenerUrl, parseListenerUrls } from "./listener-url.ts";
import { applyLogging, loggingArgs, parseSchemaRefreshMs, schemaArgs, stopOnSignals } from "./server-options.ts";
import { brokerSecurity, listenerSpecs, securityArgs } from "./broker-security.ts";
import type { RunningHttp } from "../http/server.ts";
import type { Storage } from "../storage/storage.ts";
import { openSchemas, type BrokerSchemas } from "../schema/open-schemas.ts";
import type { LakeFeed } from "../broker/lake-feed.ts";
import type { PrometheusBrokerMetrics } from "../metrics/broker-metrics.ts";
import pkg from "../../package.json" with { type: "json" };

// Only what every broker needs at start-up is imported here: the schema layer, the lake, metrics,
// security and HTTP are imported where they are used, when their options ask for them
// (docs/ARCHITECTURE.md; test/cli/startup-path.test.ts fails when a module joins the start-up path).

const env = process.env;

export const brokerCommand = defineCommand({
  meta: { name: "broker", description: "Run a broker (the default command)" },
  args: {
    "listener-url": {
      type: "string",
      description: "Where to accept Kafka clients: tcp:// or tls:// URLs, comma-separated (LISTENER_URL)",
      default: env.LISTENER_URL ?? "tcp://0.0.0.0:9092",
    },
    "advertised-listener-url": {
      type: "string",
      description: "What clients are told to connect to, one per listener in the same order (ADVERTISED_LISTENER_URL)",
      default: env.ADVERTISED_LISTENER_URL ?? "tcp://localhost:9092",
    },
    "storage-engine": {
      type: "string",
      description: "memory://, sqlite://FILE, s3://BUCKET/PREFIX/, postgres://USER:PASSWORD@HOST:PORT/DB (STORAGE_ENGINE)",
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
      description: "Where to serve HTTP: /health, /ready, /metrics, the /ui/ console and the Schema Registry API (HTTP_LISTENER_URL; off when unset)",
      default: env.HTTP_LISTENER_URL,
    },
    ...schemaArgs,
    "lake-location": {
      type: "string",
      description: "file://DIR or s3://BUCKET/PREFIX/: write topics with a schema as tables there (LAKE_LOCATION; off when unset)",
      default: env.LAKE_LOCATION,
    },
    "lake-format": { type: "string", description: "parquet, iceberg or delta: the tables' format unless a topic sets tansu.lake.format (LAKE_FORMAT)", default: env.LAKE_FORMAT ?? "parquet" },
    "lake-namespace": { type: "string", description: "Tables are <namespace>.<topic> (LAKE_NAMESPACE)", default: env.LAKE_NAMESPACE ?? "tansu" },
    "iceberg-catalog": {
      type: "string",
      description: "http(s) URL of an Iceberg REST catalog; without it a file-system catalog at the lake location (ICEBERG_CATALOG)",
      default: env.ICEBERG_CATALOG,
    },
    ...loggingArgs,
    ...securityArgs,
  },
  async run({ args }) {
    applyLogging(args);

    const listeners = parseListenerUrls(args["listener-url"], "--listener-url");
    const httpListener = args["http-listener-url"] ? parseHttpListenerUrl(args["http-listener-url"]) : null;
    const allAdvertised = parseListenerUrls(args["advertised-listener-url"], "--advertised-listener-url");
    const advertised = allAdvertised[0]!;
    const specs = await listenerSpecs(args, listeners, allAdvertised);
    const defaultPartitions = Number(args["default-partitions"]);
    if (!Number.isInteger(defaultPartitions) || defaultPartitions < 1) throw new Error("--default-partitions must be a positive integer");
    const nodeId = Number(args["node-id"]);
    if (!Number.isInteger(nodeId) || nodeId < 0) throw new Error("--node-id must be a non-negative integer");

    const schemaRefreshMs = parseSchemaRefreshMs(args["schema-refresh-ms"]);
    const lake = lakeOptionsGiven(args) ? await lakeOf(args) : null;

    const opened = await openStorage(args["storage-engine"]);
    // Metrics exist only to be served over HTTP; without the listener the broker counts nothing.
    const metrics = httpListener ? await brokerMetrics() : undefined;
    const storage: Storage = metrics ? (await import("../metrics/instrumented-storage.ts")).instrumentStorage(opened, metrics) : opened;
    let schemas: BrokerSchemas;
    let security: Awaited<ReturnType<typeof brokerSecurity>>;
    let lakeFeed: LakeFeed | null;
    try {
      // The schema layer itself loads on the first produce or registry request (open-schemas.ts).
      schemas = await openSchemas(storage, { filesUrl: args["schema-registry"], refreshMs: schemaRefreshMs });
      security = await brokerSecurity(args, storage);
      lakeFeed = lake ? await lake.open(storage, schemas) : null;
    } catch (error) {
      await storage.close();
      throw error;
    }
    const ctx: BrokerContext = {
      storage,
      metrics,
      notifier: new LogNotifier(),
      schemas: schemas.validation,
      security,
      lake: lakeFeed ?? undefined,
      config: {
        nodeId,
        clusterId: args["cluster-id"],
        advertisedHost: advertised.host,
        advertisedPort: advertised.port,
        defaultPartitions,
        autoCreateTopics: args["auto-create-topics"],
        maxRequestBytes: Number(env.SOCKET_REQUEST_MAX_BYTES ?? 100 * 1024 * 1024),
        fetchPollMs: Number(env.FETCH_POLL_MS ?? storage.intervals?.pollIntervalMs ?? 250),
        cleanerIntervalMs: Number(env.LOG_CLEANER_INTERVAL_MS ?? storage.intervals?.cleanerIntervalMs ?? 30_000),
        transactionSweepIntervalMs: Number(env.TRANSACTION_SWEEP_INTERVAL_MS ?? TXN_SWEEP_INTERVAL_MS),
        transactionMaxTimeoutMs: Number(env.TRANSACTION_MAX_TIMEOUT_MS ?? 900_000),
        shareMinRecordLockDurationMs: Number(env.GROUP_SHARE_MIN_RECORD_LOCK_DURATION_MS ?? 15_000),
      },
    };
    let broker: RunningBroker;
    const where = describeListeners(listeners);
    try {
      broker = listenOn(ctx, specs);
    } catch (error) {
      await storage.close();
      throw new Error(`cannot listen on ${where}: ${(error as Error).message}`, { cause: error });
    }
    const http = httpListener ? await serveHttpOrStop(httpListener, ctx, metrics!, schemas, broker) : null;

    stopOnSignals("finishing in-flight requests", async () => {
      // Buffered rows are committed now: in-flight produces to sink topics are waiting for that.
      await Promise.all([broker.stop(), lakeFeed?.flush()]);
      await lakeFeed?.close();
      await http?.stop();
      await storage.close();
    });
    if (lake && lakeFeed) lake.start(lakeFeed);
    // Only now: whoever waits for this line may signal the broker at once, and must find the handlers in place.
    logReady(
      `tansu listening on ${describeListeners(listeners, broker.ports)} (advertised ${advertised.host}:${advertised.port}, storage ${storage.kind}) in ${Math.round(performance.now())} ms`,
    );
  },
});

type BrokerArgs = Parameters<NonNullable<typeof brokerCommand.run>>[0]["args"];

// What follows runs only when its options are given: functions of their own, as JavaScriptCore prepares all of a
// function on its first call, so a broker without them does not pay for their code at start (docs/BENCHMARKS.md).

/** With every lake option at its default there is no lake, and nothing of it is loaded. */
function lakeOptionsGiven(args: BrokerArgs): boolean {
  return Boolean(
    args["lake-location"] || args["iceberg-catalog"] || args["lake-format"] !== "parquet" || args["lake-namespace"] !== "tansu" || env.LAKE_CATCH_UP_INTERVAL_MS,
  );
}

/** How to open and start the lake's feed, or null when the options (checked here) set no lake location. */
async function lakeOf(args: BrokerArgs) {
  const lakeCli = await import("./lake-options.ts");
  const lake = lakeCli.lakeSettings({
    location: args["lake-location"],
    format: args["lake-format"],
    namespace: args["lake-namespace"],
    icebergCatalog: args["iceberg-catalog"],
    catchUpIntervalMs: env.LAKE_CATCH_UP_INTERVAL_MS ?? "30000",
  });
  if (!lake) return null;
  return {
    open: (storage: Storage, schemas: BrokerSchemas) => lakeCli.openLakeFeed(lake, storage, schemas),
    start(feed: LakeFeed) {
      feed.start();
      consola.info(`lake at ${lake.location} (${lake.format} tables ${lake.namespace}.<topic>${lake.icebergCatalog ? `, Iceberg catalog ${lake.icebergCatalog}` : ""})`);
    },
  };
}

async function brokerMetrics(): Promise<PrometheusBrokerMetrics> {
  return new (await import("../metrics/broker-metrics.ts")).PrometheusBrokerMetrics(pkg.version);
}

/** The HTTP listener (serveHttp); if it cannot listen, the broker stops and the store closes. */
async function serveHttpOrStop(
  listener: { host: string; port: number },
  ctx: BrokerContext,
  metrics: PrometheusBrokerMetrics,
  schemas: BrokerSchemas,
  broker: RunningBroker,
): Promise<RunningHttp> {
  let http: RunningHttp;
  try {
    http = await serveHttp(listener, ctx, metrics, schemas);
  } catch (error) {
    await broker.stop();
    await ctx.storage.close();
    throw new Error(`cannot listen for HTTP on ${listener.host}:${listener.port}: ${(error as Error).message}`, { cause: error });
  }
  consola.info(`HTTP on ${listener.host}:${http.port}`);
  return http;
}

/** The HTTP listener with every route (health, readiness, metrics, the console, the Schema Registry API). */
async function serveHttp(
  listener: { host: string; port: number },
  ctx: BrokerContext,
  metrics: PrometheusBrokerMetrics,
  schemas: BrokerSchemas,
): Promise<RunningHttp> {
  // Imported only when enabled, like everything off the start-up path (docs/ARCHITECTURE.md); a function of its
  // own, so a broker without HTTP never has this code linked at start.
  const [{ listenHttp }, { healthRoutes }, { readyRoutes }, { metricsRoutes }, { consoleRoutes }, { schemaRegistryRoutes }] = await Promise.all([
    import("../http/server.ts"),
    import("../http/health.ts"),
    import("../http/ready.ts"),
    import("../http/metrics.ts"),
    import("../http/console/routes.ts"),
    import("../http/schema-registry.ts"),
  ]);
  return listenHttp(listener.host, listener.port, [
    healthRoutes(),
    readyRoutes(ctx.storage),
    metricsRoutes(ctx, metrics, {
      refreshMs: Number(env.CONSUMER_LAG_REFRESH_MS ?? 10_000),
      maxGroups: Number(env.CONSUMER_LAG_MAX_GROUPS ?? 500),
      maxPartitions: Number(env.CONSUMER_LAG_MAX_PARTITIONS ?? 10_000),
    }),
    consoleRoutes(ctx, pkg.version),
    schemaRegistryRoutes(schemas.registry),
  ]);
}
