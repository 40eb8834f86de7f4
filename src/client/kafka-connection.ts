import type { Socket } from "bun";
import { ApiKey, type RequestTypes, type ResponseTypes } from "../protocol/generated/apis.ts";
import { ErrorCode, errorName } from "../protocol/error-codes.ts";
import { FrameReader } from "../protocol/frame-reader.ts";
import { decodeResponse, encodeRequest } from "../protocol/messages.ts";

export class KafkaConnectionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KafkaConnectionError";
  }
}

/** TLS towards the broker (librdkafka's SSL and SASL_SSL); PEM contents, not paths. */
export interface ClientTls {
  ca?: string;
  cert?: string;
  key?: string;
  passphrase?: string;
  /** Verify the broker's certificate (default true). */
  verify?: boolean;
  /** Check the certificate names the broker's host (default true, librdkafka's ssl.endpoint.identification.algorithm=https). */
  verifyHostname?: boolean;
}

export type ClientSasl =
  | { mechanism: "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512"; username: string; password: string }
  /** The token is asked for on each authentication, so a provider can hand out a fresh one. */
  | { mechanism: "OAUTHBEARER"; token: () => Promise<string> };

export interface ConnectOptions {
  tls?: ClientTls;
  sasl?: ClientSasl;
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
  /** Bytes the socket has not taken yet (backpressure, or a TLS handshake still under way). */
  readonly #writes: QueuedWrite[] = [];
  #socket!: Socket<undefined>;
  #closed = false;

  private constructor(readonly address: string, readonly clientId: string) {}

  static async connect(address: string, clientId = "tansu", options: ConnectOptions = {}): Promise<KafkaConnection> {
    const [host, portText] = splitHostPort(address);
    const connection = new KafkaConnection(address, clientId);
    const tls = options.tls;
    // A TLS connection is usable once its handshake is done; a failed one rejects here.
    const handshake = Promise.withResolvers<void>();
    handshake.promise.catch(() => {}); // awaited only for TLS; a plain connection's close must not go unhandled
    try {
      connection.#socket = await Bun.connect({
        hostname: host,
        port: Number(portText),
        ...(tls
          ? {
              tls: {
                ca: tls.ca,
                cert: tls.cert,
                key: tls.key,
                passphrase: tls.passphrase,
                rejectUnauthorized: tls.verify ?? true,
                serverName: host,
                ...(tls.verifyHostname === false ? { checkServerIdentity: () => undefined } : {}),
              },
            }
          : {}),
        socket: {
          data: (_socket, chunk) => connection.#onData(chunk),
          drain: () => connection.#onDrain(),
          handshake: (_socket, success, authorizationError) => {
            if (success && (!authorizationError || tls?.verify === false)) handshake.resolve();
            else handshake.reject(new Error(`TLS handshake failed: ${authorizationError?.message ?? "refused"}`));
          },
          close: () => {
            handshake.reject(new Error("closed during the TLS handshake"));
            connection.#onClose(new KafkaConnectionError(`connection to ${address} closed`));
          },
          error: (_socket, error) => {
            handshake.reject(error);
            connection.#onClose(new KafkaConnectionError(`connection to ${address} failed: ${error.message}`, { cause: error }));
          },
        },
      });
      if (tls) await handshake.promise;
    } catch (error) {
      connection.close();
      throw new KafkaConnectionError(`cannot connect to ${address}: ${(error as Error).message}`, { cause: error });
    }
    if (options.sasl) {
      try {
        await connection.#authenticate(options.sasl);
      } catch (error) {
        connection.close();
        throw error;
      }
    }
    return connection;
  }

  /** SaslHandshake v1 then SaslAuthenticate exchanges (KIP-152). @throws KafkaConnectionError */
  async #authenticate(sasl: ClientSasl): Promise<void> {
    const handshake = await this.request(ApiKey.SaslHandshake, 1, { mechanism: sasl.mechanism });
    if (handshake.errorCode !== ErrorCode.NONE) {
      throw new KafkaConnectionError(`SASL ${sasl.mechanism} with ${this.address}: ${errorName(handshake.errorCode)} (the broker offers ${handshake.mechanisms.join(", ") || "none"})`);
    }
    const exchange = async (authBytes: Uint8Array) => {
      const response = await this.request(ApiKey.SaslAuthenticate, 2, { authBytes });
      if (response.errorCode !== ErrorCode.NONE) {
        throw new KafkaConnectionError(`SASL ${sasl.mechanism} authentication to ${this.address} failed: ${response.errorMessage ?? errorName(response.errorCode)}`);
      }
      return response.authBytes;
    };
    const utf8 = new TextEncoder();
    if (sasl.mechanism === "PLAIN") {
      await exchange(utf8.encode(`\u0000${sasl.username}\u0000${sasl.password}`));
    } else if (sasl.mechanism === "OAUTHBEARER") {
      const challenge = await exchange(utf8.encode(`n,,\u0001auth=Bearer ${await sasl.token()}\u0001\u0001`));
      // RFC 7628: a refused token comes back as an error document the client acknowledges, then fails.
      if (challenge.byteLength > 0) {
        await exchange(utf8.encode("\u0001"));
        throw new KafkaConnectionError(`SASL OAUTHBEARER authentication to ${this.address} failed: ${new TextDecoder().decode(challenge)}`);
      }
    } else {
      // Loaded on demand: only SCRAM needs the crypto.
      const { ScramClient } = await import("../security/scram.ts");
      const client = new ScramClient(sasl.mechanism, sasl.username, sasl.password);
      const serverFirst = await exchange(client.first());
      client.verify(await exchange(await client.final(serverFirst)));
    }
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
