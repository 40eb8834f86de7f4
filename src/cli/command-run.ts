// What every CLI command that talks to a running broker shares: a connection for the duration of the work,
// and refusals as CommandErrors (main.ts reports any failure as one line and exit 1, failure-report.ts).
import { KafkaConnection } from "../client/kafka-connection.ts";
import { ErrorCode, errorName } from "../protocol/error-codes.ts";

/** A failure the user can act on: a refusal from the broker or a bad argument, printed as its message alone. */
export class CommandError extends Error {
  override name = "CommandError";
}

export const brokerArg = {
  broker: { type: "string", description: "Broker to talk to (host:port)", default: process.env.TANSU_BROKER ?? "localhost:9092" },
} as const;

export async function withBroker<T>(address: string, work: (c: KafkaConnection) => Promise<T>): Promise<T> {
  const connection = await KafkaConnection.connect(address, "tansu-cli");
  try {
    return await work(connection);
  } finally {
    connection.close();
  }
}

/** Throws a one-line CommandError naming the Kafka error when `errorCode` is not NONE. */
export function check(errorCode: number, errorMessage: string | null | undefined, what: string): void {
  if (errorCode !== ErrorCode.NONE) throw new CommandError(`${what}: ${errorName(errorCode)}${errorMessage ? `: ${errorMessage}` : ""}`);
}
