import type { Socket } from "bun";
import { consola } from "../log.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { FrameReader } from "../protocol/frame-reader.ts";
import { decodeRequestBody, decodeRequestHeader, encodeResponse, type RequestHeader } from "../protocol/messages.ts";
import { ProtocolError, UnknownApiKeyError, UnsupportedVersionError } from "../protocol/errors.ts";
import { apiVersionsResponse } from "./api-versions.ts";
import type { BrokerContext } from "./context.ts";
import type { Dispatcher } from "./dispatcher.ts";

/**
 * One client connection. Requests are handled one at a time in arrival order, as Kafka
 * does, so pipelined requests are answered in order; reading continues meanwhile and frames
 * queue up behind the one in progress.
 */
export class Connection {
  readonly #frames: FrameReader;
  readonly #abort = new AbortController();
  #queue: Promise<void> = Promise.resolve();
  #pendingWrites: Uint8Array[] = [];
  #closed = false;
  #inFlight = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(
    readonly socket: Socket<Connection>,
    readonly ctx: BrokerContext,
    readonly dispatcher: Dispatcher,
  ) {
    this.#frames = new FrameReader({ maxFrameBytes: ctx.config.maxRequestBytes });
  }

  get remote(): string {
    return `${this.socket.remoteAddress}`;
  }

  onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    let frames: Uint8Array[];
    try {
      frames = this.#frames.push(chunk);
    } catch (error) {
      this.#fail(`bad frame: ${(error as Error).message}`);
      return;
    }
    for (const frame of frames) {
      // Bun may reuse the chunk's memory once this handler returns, and handling is async, so
      // a frame that is a view into the chunk is copied (not with frame.slice(): on a Buffer
      // that is a view too). Frames the reader assembled across chunks are already ours.
      const owned = frame.buffer === chunk.buffer ? new Uint8Array(frame) : frame;
      this.#inFlight++;
      this.#queue = this.#queue.then(() => this.#handle(owned)).finally(() => this.#settled());
    }
  }

  onDrain(): void {
    while (this.#pendingWrites.length > 0) {
      const next = this.#pendingWrites[0]!;
      const written = this.socket.write(next);
      if (written < next.byteLength) {
        this.#pendingWrites[0] = next.subarray(Math.max(written, 0));
        return;
      }
      this.#pendingWrites.shift();
    }
  }

  onClose(): void {
    this.#closed = true;
    this.#abort.abort();
  }

  /** Resolves once every request received so far has been answered. */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Ends long polls early (broker shutdown); queued requests still complete. */
  interrupt(): void {
    this.#abort.abort();
  }

  #settled(): void {
    this.#inFlight--;
    if (this.#inFlight === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  async #handle(frame: Uint8Array): Promise<void> {
    if (this.#closed) return;
    let header: RequestHeader;
    let bodyOffset: number;
    try {
      ({ header, bodyOffset } = decodeRequestHeader(frame));
    } catch (error) {
      await this.#rejectHeader(error);
      return;
    }
    const handler = this.dispatcher.handler(header.apiKey);
    if (!handler || header.apiVersion < handler.minVersion || header.apiVersion > handler.maxVersion) {
      await this.#unsupported(header);
      return;
    }
    let request: unknown;
    try {
      request = await decodeRequestBody(header, frame, bodyOffset);
    } catch (error) {
      this.#fail(`malformed ${apiName(header.apiKey)} v${header.apiVersion} request: ${(error as Error).message}`);
      return;
    }
    let response: unknown;
    try {
      response = await handler.handle(this.ctx, request, {
        apiKey: header.apiKey,
        apiVersion: header.apiVersion,
        clientId: header.clientId,
        signal: this.#abort.signal,
      });
    } catch (error) {
      // Handlers map expected failures to error codes themselves; reaching here is a bug.
      consola.error(`${apiName(header.apiKey)} v${header.apiVersion} from ${this.remote} failed:`, error);
      this.#fail("internal error");
      return;
    }
    if (response !== null) this.#send(await encodeResponse(header.apiKey, header.apiVersion, header.correlationId, response));
  }

  async #rejectHeader(error: unknown): Promise<void> {
    const header = (error as { header?: RequestHeader }).header;
    if ((error instanceof UnsupportedVersionError || error instanceof UnknownApiKeyError) && header) {
      await this.#unsupported(header);
      return;
    }
    this.#fail(`bad request header: ${error instanceof ProtocolError ? error.message : String(error)}`);
  }

  /**
   * KIP-511: an ApiVersions request of a version we do not know is answered with a v0
   * response carrying UNSUPPORTED_VERSION and our versions, so the client can downgrade.
   * Any other unsupported API or version closes the connection, as Kafka does: there is no
   * response layout the client could parse.
   */
  async #unsupported(header: RequestHeader): Promise<void> {
    if (header.apiKey === ApiKey.ApiVersions) {
      const body = apiVersionsResponse(this.dispatcher.handlers(), ErrorCode.UNSUPPORTED_VERSION);
      this.#send(await encodeResponse(ApiKey.ApiVersions, 0, header.correlationId, body));
      return;
    }
    this.#fail(`unsupported API ${apiName(header.apiKey)} version ${header.apiVersion}`);
  }

  #send(bytes: Uint8Array): void {
    if (this.#closed) return;
    if (this.#pendingWrites.length > 0) {
      this.#pendingWrites.push(bytes);
      return;
    }
    const written = this.socket.write(bytes);
    if (written < bytes.byteLength) this.#pendingWrites.push(bytes.subarray(Math.max(written, 0)));
  }

  #fail(reason: string): void {
    consola.warn(`closing connection from ${this.remote}: ${reason}`);
    this.#closed = true;
    this.#abort.abort();
    this.socket.end();
  }
}

function apiName(apiKey: number): string {
  for (const [name, key] of Object.entries(ApiKey)) if (key === apiKey) return name;
  return `api-key-${apiKey}`;
}
