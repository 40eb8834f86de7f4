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
  | { mechanism: "OAUTHBEARER"; token: string };

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
  /** Bytes the socket has not taken yet (backpressure, or a TLS handshake still under way). */
  #unwritten: Uint8Array[] = [];

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
          drain: () => connection.#flush(),
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
      const challenge = await exchange(utf8.encode(`n,,\u0001auth=Bearer ${sasl.token}\u0001\u0001`));
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

  request<K extends keyof RequestTypes & keyof ResponseTypes>(apiKey: K, apiVersion: number, body: RequestTypes[K]): Promise<ResponseTypes[K]> {
    if (this.#closed) return Promise.reject(new KafkaConnectionError(`connection to ${this.address} is closed`));
    const correlationId = this.#nextCorrelationId++;
    const frame = encodeRequest({ apiKey, apiVersion, correlationId, clientId: this.clientId }, body);
    return new Promise<Uint8Array>((resolve, reject) => {
      this.#pending.set(correlationId, { apiKey, apiVersion, resolve, reject });
      this.#write(frame);
    }).then((response) => decodeResponse(apiKey, apiVersion, response).body as ResponseTypes[K]);
  }

  #write(bytes: Uint8Array): void {
    if (this.#unwritten.length > 0) {
      this.#unwritten.push(bytes);
      return;
    }
    const written = this.#socket.write(bytes);
    if (written < bytes.byteLength) this.#unwritten.push(bytes.subarray(Math.max(written, 0)));
  }

  #flush(): void {
    while (this.#unwritten.length > 0) {
      const next = this.#unwritten[0]!;
      const written = this.#socket.write(next);
      if (written < next.byteLength) {
        this.#unwritten[0] = next.subarray(Math.max(written, 0));
        return;
      }
      this.#unwritten.shift();
    }
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
