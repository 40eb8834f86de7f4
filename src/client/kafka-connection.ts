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

/** Bytes the socket has not taken yet, and who waits for them to be written. */
interface QueuedWrite {
  bytes: Uint8Array;
  /** Called once the socket took the last byte, or with the error that stopped it. */
  written(error?: Error): void;
}

/**
 * A minimal Kafka protocol client over one TCP connection: what the CLI tools, `tansu perf`
 * and the proxy need to talk to a broker. Requests may be pipelined: responses are matched to
 * requests by correlation id, and writes the socket cannot take at once are queued until it
 * drains, in order.
 */
export class KafkaConnection {
  #nextCorrelationId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #frames = new FrameReader();
  readonly #writes: QueuedWrite[] = [];
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
          drain: () => connection.#onDrain(),
          close: () => connection.#onClose(new KafkaConnectionError(`connection to ${address} closed`)),
          error: (_socket, error) => connection.#onClose(new KafkaConnectionError(`connection to ${address} failed: ${error.message}`, { cause: error })),
        },
      });
    } catch (error) {
      throw new KafkaConnectionError(`cannot connect to ${address}: ${(error as Error).message}`, { cause: error });
    }
    return connection;
  }

  /** Requests written but not yet answered. */
  get inFlight(): number {
    return this.#pending.size;
  }

  async request<K extends keyof RequestTypes & keyof ResponseTypes>(apiKey: K, apiVersion: number, body: RequestTypes[K]): Promise<ResponseTypes[K]> {
    const { correlationId, frame } = await this.#encode(apiKey, apiVersion, body);
    const response = await new Promise<Uint8Array>((resolve, reject) => {
      this.#pending.set(correlationId, { apiKey, apiVersion, resolve, reject });
      this.#write(frame, () => {});
    });
    return (await decodeResponse(apiKey, apiVersion, response)).body as ResponseTypes[K];
  }

  /**
   * Sends a request the broker does not answer (Produce with acks=0); resolves once the socket
   * has taken all of it.
   */
  async send<K extends keyof RequestTypes>(apiKey: K, apiVersion: number, body: RequestTypes[K]): Promise<void> {
    const { frame } = await this.#encode(apiKey, apiVersion, body);
    await new Promise<void>((resolve, reject) => this.#write(frame, (error) => (error ? reject(error) : resolve())));
  }

  close(): void {
    this.#closed = true;
    this.#socket?.end();
  }

  async #encode(apiKey: number, apiVersion: number, body: unknown): Promise<{ correlationId: number; frame: Uint8Array }> {
    if (this.#closed) throw new KafkaConnectionError(`connection to ${this.address} is closed`);
    const correlationId = this.#nextCorrelationId++;
    const frame = await encodeRequest({ apiKey, apiVersion, correlationId, clientId: this.clientId }, body);
    if (this.#closed) throw new KafkaConnectionError(`connection to ${this.address} is closed`);
    return { correlationId, frame };
  }

  #write(bytes: Uint8Array, written: (error?: Error) => void): void {
    if (this.#writes.length === 0) {
      const taken = this.#socket.write(bytes);
      if (taken >= bytes.byteLength) return written();
      bytes = bytes.subarray(Math.max(taken, 0));
    }
    this.#writes.push({ bytes, written });
  }

  #onDrain(): void {
    while (this.#writes.length > 0) {
      const next = this.#writes[0]!;
      const taken = this.#socket.write(next.bytes);
      if (taken < next.bytes.byteLength) {
        next.bytes = next.bytes.subarray(Math.max(taken, 0));
        return;
      }
      this.#writes.shift();
      next.written();
    }
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
      // A copy when the frame is a view of the chunk, which is reused after this handler;
      // frames the reader assembled from several chunks are already ours.
      pending.resolve(frame.buffer === chunk.buffer ? new Uint8Array(frame) : frame);
    }
  }

  #onClose(error: Error): void {
    this.#closed = true;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    for (const queued of this.#writes.splice(0)) queued.written(error);
  }
}

export function splitHostPort(address: string): [string, string] {
  const stripped = address.replace(/^tcp:\/\//, "");
  const colon = stripped.lastIndexOf(":");
  if (colon < 0) return [stripped, "9092"];
  return [stripped.slice(0, colon).replace(/^\[|\]$/g, ""), stripped.slice(colon + 1)];
}
