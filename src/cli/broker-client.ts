// How every CLI command that talks to a broker connects: --broker, and the client's security
// settings as librdkafka properties, `-X key=value` (repeatable) or `--command-config FILE`
// holding the same keys one per line (Kafka's tools' client.properties, sasl.jaas.config included).
// Refusals are CommandErrors; main.ts reports any failure as one line and exit 1 (failure-report.ts).
import { readFileSync } from "node:fs";
import { KafkaConnection, type ClientSasl, type ConnectOptions } from "../client/kafka-connection.ts";
import { fetchAccessToken } from "../client/oauth-token.ts";
import { ErrorCode, errorName } from "../protocol/error-codes.ts";
import { optionValues } from "./option-values.ts";

export const brokerArgs = {
  broker: { type: "string", description: "Broker to talk to (host:port)", default: process.env.TANSU_BROKER ?? "localhost:9092" },
  X: {
    type: "string",
    description:
      "Client property key=value, repeatable: security.protocol, sasl.mechanism, sasl.username, sasl.password, ssl.ca.location, ssl.certificate.location, ssl.key.location, ...",
  },
  "command-config": { type: "string", description: "File of client properties, key=value per line" },
} as const;

export class ClientPropertiesError extends Error {
  override name = "ClientPropertiesError";
}

/** A failure the user can act on: a refusal from the broker or a bad argument, printed as its message alone. */
export class CommandError extends Error {
  override name = "CommandError";
}

/** Throws a one-line CommandError naming the Kafka error when `errorCode` is not NONE. */
export function check(errorCode: number, errorMessage: string | null | undefined, what: string): void {
  if (errorCode !== ErrorCode.NONE) throw new CommandError(`${what}: ${errorName(errorCode)}${errorMessage ? `: ${errorMessage}` : ""}`);
}

function parseProperty(line: string, where: string): [string, string] {
  const eq = line.indexOf("=");
  if (eq <= 0) throw new ClientPropertiesError(`${where}: expected key=value, got "${line}"`);
  return [line.slice(0, eq).trim(), line.slice(eq + 1).trim()];
}

function readProperties(file: string): Array<[string, string]> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ClientPropertiesError(`--command-config ${file}: ${(error as Error).message}`);
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#") && !line.startsWith("!"))
    .map((line) => parseProperty(line, `--command-config ${file}`));
}

function pem(path: string, key: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new ClientPropertiesError(`${key}=${path}: ${(error as Error).message}`);
  }
}

/** username and password from a Java client's sasl.jaas.config (PlainLoginModule, ScramLoginModule). */
function jaasCredentials(value: string): { username?: string; password?: string } {
  const option = (name: string) => new RegExp(`\\b${name}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(value)?.[1]?.replace(/\\(.)/g, "$1");
  return { username: option("username"), password: option("password") };
}

const KNOWN = [
  "security.protocol",
  "sasl.mechanism",
  "sasl.mechanisms",
  "sasl.username",
  "sasl.password",
  "sasl.jaas.config",
  "sasl.oauthbearer.method",
  "sasl.oauthbearer.client.id",
  "sasl.oauthbearer.client.secret",
  "sasl.oauthbearer.token.endpoint.url",
  "sasl.oauthbearer.scope",
  "ssl.ca.location",
  "ssl.certificate.location",
  "ssl.key.location",
  "ssl.key.password",
  "enable.ssl.certificate.verification",
  "ssl.endpoint.identification.algorithm",
];

/**
 * OAUTHBEARER as librdkafka's sasl.oauthbearer.method=oidc: a token from the provider's endpoint by the
 * client credentials grant. librdkafka's default method, an unsigned token, is what a broker verifying
 * tokens refuses, so the tools do not offer it.
 */
function oidcSasl(props: Map<string, string>): ClientSasl {
  if ((props.get("sasl.oauthbearer.method") ?? "default").toLowerCase() !== "oidc") {
    throw new ClientPropertiesError("sasl.mechanism=OAUTHBEARER: tansu's tools get tokens with sasl.oauthbearer.method=oidc");
  }
  const required = (key: string) => {
    const value = props.get(key);
    if (!value) throw new ClientPropertiesError(`sasl.oauthbearer.method=oidc needs ${key}`);
    return value;
  };
  const credentials = {
    tokenEndpoint: required("sasl.oauthbearer.token.endpoint.url"),
    clientId: required("sasl.oauthbearer.client.id"),
    clientSecret: required("sasl.oauthbearer.client.secret"),
    scope: props.get("sasl.oauthbearer.scope"),
  };
  return { mechanism: "OAUTHBEARER", token: () => fetchAccessToken(credentials) };
}

/** Connection options from client properties (later ones win, as with librdkafka's -X). */
export function connectOptions(properties: Array<[string, string]>): ConnectOptions {
  const props = new Map<string, string>();
  for (const [key, value] of properties) {
    if (!KNOWN.includes(key)) throw new ClientPropertiesError(`unsupported client property ${key} (supported: ${KNOWN.join(", ")})`);
    props.set(key, value);
  }
  const protocol = (props.get("security.protocol") ?? "PLAINTEXT").toUpperCase();
  if (!["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"].includes(protocol)) {
    throw new ClientPropertiesError(`security.protocol=${protocol}: expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL`);
  }
  const options: ConnectOptions = {};
  if (protocol === "SSL" || protocol === "SASL_SSL") {
    const file = (key: string) => (props.has(key) ? pem(props.get(key)!, key) : undefined);
    options.tls = {
      ca: file("ssl.ca.location"),
      cert: file("ssl.certificate.location"),
      key: file("ssl.key.location"),
      passphrase: props.get("ssl.key.password"),
      verify: props.get("enable.ssl.certificate.verification") !== "false",
      verifyHostname: (props.get("ssl.endpoint.identification.algorithm") ?? "https").toLowerCase() !== "none",
    };
  }
  if (protocol.startsWith("SASL_")) {
    const mechanism = (props.get("sasl.mechanism") ?? props.get("sasl.mechanisms") ?? "GSSAPI").toUpperCase();
    if (mechanism === "OAUTHBEARER") {
      options.sasl = oidcSasl(props);
      return options;
    }
    const jaas = jaasCredentials(props.get("sasl.jaas.config") ?? "");
    const username = props.get("sasl.username") ?? jaas.username;
    const password = props.get("sasl.password") ?? jaas.password;
    if (mechanism !== "PLAIN" && mechanism !== "SCRAM-SHA-256" && mechanism !== "SCRAM-SHA-512") {
      throw new ClientPropertiesError(`sasl.mechanism=${mechanism}: tansu's tools support PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER`);
    }
    if (username === undefined || password === undefined) throw new ClientPropertiesError(`${protocol} needs sasl.username and sasl.password`);
    options.sasl = { mechanism, username, password } satisfies ClientSasl;
  }
  return options;
}

/** The connection options of a command's -X and --command-config arguments. */
export function clientOptionsOf(args: { "command-config"?: string }, rawArgs: readonly string[]): ConnectOptions {
  const fromFile = args["command-config"] ? readProperties(args["command-config"]) : [];
  return connectOptions([...fromFile, ...optionValues(rawArgs, "X").map((p) => parseProperty(p, "-X"))]);
}

/** Connects to --broker with the command's client properties, runs `work`, and closes. */
export async function withBroker<T>(
  args: { broker: string; "command-config"?: string },
  rawArgs: readonly string[],
  work: (c: KafkaConnection) => Promise<T>,
): Promise<T> {
  const connection = await KafkaConnection.connect(args.broker, "tansu-cli", clientOptionsOf(args, rawArgs));
  try {
    return await work(connection);
  } finally {
    connection.close();
  }
}
