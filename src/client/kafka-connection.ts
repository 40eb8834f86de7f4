import type { Socket } from "bun";
import type { RequestTypes, ResponseTypes } from "../protocol/generated/apis.ts";
import { FrameReader } from "../protocol/frame-reader.ts";
import { decodeResponse, encodeRequest } from "../protocol/messages.ts";

export class KafkaConnectionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KafkaConnectionError";
  }
}

interface Pending {
  apiKey: number;
  apiVersion: number;
  resolve(frame: Uint8Array): void;
  reject(error: Error): void;
}

/**
 * A minimal Kafka protocol client over one TCP connection: what the CLI tools and the
 * proxy need to talk to a broker. Responses are matched to requests by correlation id.
 */
export class KafkaConnection {
  #nextCorrelationId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #frames = new FrameReader();
  #socket!: Socket<undefined>;
  #closed = false;

  private constructor(readonly address: string, readonly clientId: string) {}

  static async connect(address: string, clientId = "tansu"): Promise<KafkaConnection> {
    const [host, portText] = splitHostPort(address);
    const connection = new KafkaConnection(address, clientId);
    try {
      connection.#socket = await Bun.connect({
        hostname: host,
        port: Number(portText),
        socket: {
          data: (_socket, chunk) => connection.#onData(chunk),
          close: () => connection.#onClose(new KafkaConnectionError(`connection to ${address} closed`)),
          error: (_socket, error) => connection.#onClose(new KafkaConnectionError(`connection to ${address} failed: ${error.message}`, { cause: error })),
        },
      });
    } catch (error) {
      throw new KafkaConnectionError(`cannot connect to ${address}: ${(error as Error).message}`, { cause: error });
    }
    return connection;
  }

  async request<K extends keyof RequestTypes & keyof ResponseTypes>(apiKey: K, apiVersion: number, body: RequestTypes[K]): Promise<ResponseTypes[K]> {
    if (this.#closed) throw new KafkaConnectionError(`connection to ${this.address} is closed`);
    const correlationId = this.#nextCorrelationId++;
    const frame = await encodeRequest({ apiKey, apiVersion, correlationId, clientId: this.clientId }, body);
    if (this.#closed) throw new KafkaConnectionError(`connection to ${this.address} is closed`);
    const response = await new Promise<Uint8Array>((resolve, reject) => {
      this.#pending.set(correlationId, { apiKey, apiVersion, resolve, reject });
      this.#socket.write(frame);
    });
    return (await decodeResponse(apiKey, apiVersion, response)).body as ResponseTypes[K];
  }

  close(): void {
    this.#closed = true;
    this.#socket?.end();
  }

  #onData(chunk: Uint8Array): void {
    let frames: Uint8Array[];
    try {
      frames = this.#frames.push(chunk);
    } catch (error) {
      this.#onClose(new KafkaConnectionError(`bad frame from ${this.address}: ${(error as Error).message}`, { cause: error }));
      this.#socket.end();
      return;
    }
    for (const frame of frames) {
      const correlationId = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getInt32(0);
      const pending = this.#pending.get(correlationId);
      if (!pending) continue;
      this.#pending.delete(correlationId);
      // A copy (not Buffer#slice, which is a view): the chunk is reused after this handler.
      pending.resolve(new Uint8Array(frame));
    }
  }

  #onClose(error: Error): void {
    this.#closed = true;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

export function splitHostPort(address: string): [string, string] {
  const stripped = address.replace(/^tcp:\/\//, "");
  const colon = stripped.lastIndexOf(":");
  if (colon < 0) return [stripped, "9092"];
  return [stripped.slice(0, colon).replace(/^\[|\]$/g, ""), stripped.slice(colon + 1)];
}
