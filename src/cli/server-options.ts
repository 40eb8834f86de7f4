// What the long-running commands (`broker`, `proxy`) share: the listener options, logging, and how a signal
// stops them.
import { LogLevels, type LogType } from "consola/core";
import { consola, LOG_FORMATS, setLogFormat, type LogFormat } from "../log.ts";

const env = process.env;

export const listenerArgs = {
  "listener-url": { type: "string", description: "Where to accept Kafka clients (LISTENER_URL)", default: env.LISTENER_URL ?? "tcp://0.0.0.0:9092" },
  "advertised-listener-url": {
    type: "string",
    description: "What clients are told to connect to (ADVERTISED_LISTENER_URL)",
    default: env.ADVERTISED_LISTENER_URL ?? "tcp://localhost:9092",
  },
} as const;

export const loggingArgs = {
  "log-level": { type: "string", description: "error, warn, info, debug (LOG_LEVEL)", default: env.LOG_LEVEL ?? "info" },
  "log-format": { type: "string", description: "text, or json for one JSON object per line (LOG_FORMAT)", default: env.LOG_FORMAT ?? "text" },
} as const;

/** Schema files and how long a cached schema is used: the broker validates with them, and so does the proxy. */
export const schemaArgs = {
  "schema-registry": {
    type: "string",
    description: "file://DIR or s3://BUCKET/PREFIX/ with a schema per topic: TOPIC.avsc, TOPIC.json or TOPIC.proto (SCHEMA_REGISTRY)",
    default: env.SCHEMA_REGISTRY,
  },
  "schema-refresh-ms": {
    type: "string",
    description: "Longest a cached schema (or a topic's lack of one) is used before re-reading files and subjects (SCHEMA_REFRESH_MS)",
    default: env.SCHEMA_REFRESH_MS ?? "5000",
  },
} as const;

export function parseSchemaRefreshMs(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0) throw new Error("--schema-refresh-ms must be a non-negative integer");
  return ms;
}

export function applyLogging(args: { "log-level": string; "log-format": string }): void {
  const level = args["log-level"];
  if (!(level in LogLevels)) throw new Error(`--log-level: unknown level ${level}`);
  consola.level = LogLevels[level as LogType];
  const format = args["log-format"] as LogFormat;
  if (!LOG_FORMATS.includes(format)) throw new Error(`--log-format: unknown format ${format} (expected ${LOG_FORMATS.join(" or ")})`);
  setLogFormat(format);
}

/**
 * On the first SIGTERM or SIGINT: logs `doing`, runs `stop`, exits 0 (1 if it failed). Call it before logging
 * the "listening" line: whoever waits for that line may signal at once.
 */
export function stopOnSignals(doing: string, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    consola.info(`${signal}: ${doing}`);
    try {
      await stop();
      consola.info("stopped");
      process.exit(0);
    } catch (error) {
      consola.error("unclean stop:", error);
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void onSignal("SIGTERM"));
  process.on("SIGINT", () => void onSignal("SIGINT"));
}
