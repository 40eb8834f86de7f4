import { defineCommand } from "citty";
import { logReady } from "../log.ts";
import { DEFAULT_MAX_FRAME_BYTES } from "../protocol/frame-reader.ts";
import { formatAddress, listenProxy } from "../proxy/server.ts";
import type { Address } from "../proxy/broker-ports.ts";
import { parseListenerUrl } from "./listener-url.ts";
import { applyLogging, listenerArgs, loggingArgs, parseSchemaRefreshMs, schemaArgs, stopOnSignals } from "./server-options.ts";
import type { RecordValidator } from "../proxy/produce-validation.ts";
import { openSchemaFiles } from "../schema/schema-files.ts";

const env = process.env;

/** `tcp://HOST:PORT[,HOST:PORT...]`: the upstream's bootstrap servers, each optionally with tcp://. */
export function parseUpstreams(value: string): Address[] {
  const upstreams = value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => parseListenerUrl(part.includes("://") ? part : `tcp://${part}`, "--upstream"));
  if (upstreams.length === 0) throw new Error("--upstream: no bootstrap server given (expected tcp://HOST:PORT[,HOST:PORT...])");
  return upstreams;
}

/**
 * Validation at the edge with the broker's schema layer, from schema files only (the proxy has no store for
 * registered subjects). The location is checked now, so a bad URL is a start-up error; the schema libraries
 * load on the first produce.
 */
function schemaValidator(url: string, refreshMs: number): RecordValidator {
  const files = openSchemaFiles(url);
  let validation: Promise<import("../schema/schema-validation.ts").SchemaValidation> | null = null;
  return async (topic, _partition, batch) => {
    validation ??= import("../schema/schema-layer.ts").then((m) => m.createFileValidation(files, refreshMs));
    // The proxy cannot read the upstream's topic configs: the framing is the files' own, plain payloads.
    const checked = await (await validation).validate({ name: topic, configs: {} }, batch);
    return checked?.rejected ?? null;
  };
}

export const proxyCommand = defineCommand({
  meta: { name: "proxy", description: "Run a Kafka protocol proxy in front of a Kafka-compatible cluster" },
  args: {
    upstream: {
      type: "string",
      description: "The upstream cluster's bootstrap servers, tcp://HOST:PORT[,HOST:PORT...] (UPSTREAM)",
      default: env.UPSTREAM,
    },
    ...listenerArgs,
    "broker-port-count": {
      type: "string",
      description: "Ports after the listener's, one per upstream broker (BROKER_PORT_COUNT)",
      default: env.BROKER_PORT_COUNT ?? "16",
    },
    ...schemaArgs,
    ...loggingArgs,
  },
  async run({ args }) {
    applyLogging(args);

    if (!args.upstream) throw new Error("--upstream is required: the upstream cluster's bootstrap servers (tcp://HOST:PORT[,HOST:PORT...])");
    const upstreams = parseUpstreams(args.upstream);
    const listener = parseListenerUrl(args["listener-url"], "--listener-url");
    const advertised = parseListenerUrl(args["advertised-listener-url"], "--advertised-listener-url");
    const brokerPortCount = Number(args["broker-port-count"]);
    if (!Number.isInteger(brokerPortCount) || brokerPortCount < 1) throw new Error("--broker-port-count must be a positive integer");
    for (const [what, address] of [["--listener-url", listener], ["--advertised-listener-url", advertised]] as const) {
      if (address.port === 0 || address.port + brokerPortCount > 65535) {
        throw new Error(`${what}: port ${address.port} leaves no room for ${brokerPortCount} broker ports after it`);
      }
    }

    const validator = args["schema-registry"] ? schemaValidator(args["schema-registry"], parseSchemaRefreshMs(args["schema-refresh-ms"])) : null;
    const proxy = listenProxy({
      listener,
      advertised,
      upstreams,
      brokerPortCount,
      maxFrameBytes: Number(env.SOCKET_REQUEST_MAX_BYTES ?? DEFAULT_MAX_FRAME_BYTES),
      validator,
    });
    stopOnSignals("letting in-flight requests finish", () => proxy.stop());
    logReady(
      `tansu proxy listening on ${listener.host}:${proxy.port}, broker ports ${listener.port + 1}-${listener.port + brokerPortCount} ` +
        `(advertised ${formatAddress(advertised)}), upstream ${upstreams.map(formatAddress).join(",")} in ${Math.round(performance.now())} ms`,
    );
  },
});
