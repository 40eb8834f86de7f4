import type { Socket } from "bun";
import { consola } from "../log.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { ProtocolError, TruncatedMessageError, UnsupportedVersionError } from "../protocol/errors.ts";
import { ApiKey, apiSpec } from "../protocol/generated/apis.ts";
import type { ApiVersionsResponse } from "../protocol/generated/api-versions.ts";
import { decodeRequestHeader, decodeResponse, encodeResponse, type RequestHeader } from "../protocol/messages.ts";
import { Reader } from "../protocol/reader.ts";
import { addressRewrite } from "./address-rewrite.ts";
import type { BrokerPorts } from "./broker-ports.ts";
import { FrameSplitter, type FrameDecision, type FrameHandler } from "./frame-splitter.ts";
import { mergeRejections, rejectionResponse, validateProduce, type RecordValidator } from "./produce-validation.ts";
import { intersectApiVersions, proxyApiVersions, proxyHandles } from "./proxy-apis.ts";
import { SocketOutput } from "./socket-output.ts";

export interface ProxyContext {
  ports: BrokerPorts;
  validator: RecordValidator | null;
  /** The largest frame the proxy holds whole (responses it rewrites, produce requests it validates). */
  maxFrameBytes: number;
}

/** A request whose response the client is owed, in the order the client sent them. */
interface InFlight {
  correlationId: number;
  /** The proxy's own answer (size prefix included); null when the upstream answers. */
  local: Uint8Array | null;
  /**
   * Turns the upstream's response (without size prefix) into the client's; null to pass it as bytes. The
   * codec loads on first use, so this is async: meanwhile the upstream is not read and nothing else goes to
   * the client, which keeps the responses in order.
   */
  rewrite: ((frame: Uint8Array) => Promise<Uint8Array>) | null;
}

/** Produce requests carry acks after the transactional id (v3+); every other head field is fixed. */
const PRODUCE_HEAD_BYTES = 64;
const REQUEST_HEAD_BYTES = 8;
const RESPONSE_HEAD_BYTES = 4;

/**
 * One client connection and the upstream connection that serves it. Frames pass through as bytes unless the
 * proxy must change them; responses come back in request order (Kafka's guarantee), so a FIFO of in-flight
 * requests tells which response needs rewriting and where the proxy's own answers go. Backpressure: while one
 * side cannot take more, the proxy stops reading the other, so its buffers stay bounded by a chunk or frame.
 * While a request is validated or a response rewritten (both async), the side it came from is not read and
 * what already arrived from it is held, in order.
 */
export class ProxyConnection {
  readonly #toClient: SocketOutput;
  #upstream: Socket<ProxyConnection> | null = null;
  #upstreamName = "";
  #toUpstream: SocketOutput | null = null;
  readonly #requests: FrameSplitter;
  readonly #responses: FrameSplitter;
  readonly #inFlight: InFlight[] = [];
  /** The in-flight entry whose response is being collected for rewriting. */
  #answering: InFlight | null = null;
  /** Client bytes that arrived while a validation was pending or the upstream was not connected yet. */
  #held: Uint8Array[] = [];
  #validating = false;
  /** Upstream bytes that arrived while a response was being rewritten. */
  #heldResponses: Uint8Array[] = [];
  #rewriting = false;
  #clientPaused = false;
  #upstreamPaused = false;
  #draining = false;
  #closed = false;
  readonly #done: Promise<void>;
  #markDone!: () => void;

  constructor(
    readonly client: Socket<ProxyConnection>,
    readonly ctx: ProxyContext,
  ) {
    this.#toClient = new SocketOutput(client);
    this.#done = new Promise((resolve) => (this.#markDone = resolve));
    this.#requests = new FrameSplitter(this.#requestHandler(), (bytes) => this.#toUpstream!.push(bytes), REQUEST_HEAD_BYTES, ctx.maxFrameBytes);
    this.#responses = new FrameSplitter(this.#responseHandler(), (bytes) => this.#toClient.push(bytes), RESPONSE_HEAD_BYTES, ctx.maxFrameBytes);
    // Nothing is read from the client until there is an upstream to send it to.
    this.#setClientPaused(true);
  }

  get remote(): string {
    return `${this.client.remoteAddress}`;
  }

  /** Bytes held for a socket that cannot take them yet. */
  get bufferedBytes(): number {
    const held = [...this.#held, ...this.#heldResponses].reduce((n, b) => n + b.byteLength, 0);
    return this.#toClient.pendingBytes + (this.#toUpstream?.pendingBytes ?? 0) + held;
  }

  /** Requests forwarded, being validated or having their response rewritten, whose responses the client has not been sent yet. */
  get inFlight(): number {
    return this.#inFlight.length + (this.#validating ? 1 : 0) + (this.#rewriting ? 1 : 0);
  }

  /** Resolves once both sockets are closed. */
  done(): Promise<void> {
    return this.#done;
  }

  /** `name`: the upstream's address, for logs (a closed socket no longer knows it). */
  attach(upstream: Socket<ProxyConnection>, name: string): void {
    if (this.#closed) {
      upstream.end();
      return;
    }
    upstream.setNoDelay(true);
    this.#upstream = upstream;
    this.#upstreamName = name;
    this.#toUpstream = new SocketOutput(upstream);
    this.#feedHeld();
  }

  onClientData(chunk: Uint8Array): void {
    if (this.#closed) return;
    // Bun may still deliver data read before a pause.
    if (this.#toUpstream === null || this.#validating || this.#held.length > 0) {
      this.#held.push(new Uint8Array(chunk));
      return;
    }
    this.#feedRequests(chunk, chunk.buffer);
  }

  onUpstreamData(chunk: Uint8Array): void {
    if (this.#closed) return;
    // Bun may still deliver data read before a pause.
    if (this.#rewriting || this.#heldResponses.length > 0) {
      this.#heldResponses.push(new Uint8Array(chunk));
      return;
    }
    this.#feedResponses(chunk, chunk.buffer);
    this.#finishIfDrained();
  }

  onClientDrain(): void {
    this.#flushToClient();
    this.#finishIfDrained();
  }

  onUpstreamDrain(): void {
    if (this.#toUpstream?.flush()) this.#updateClientReading();
  }

  onClientClose(): void {
    this.close();
  }

  onUpstreamClose(): void {
    if (this.#closed) return;
    consola.info(`upstream ${this.#upstreamName} closed: closing the client connection from ${this.remote}`);
    this.close();
  }

  /** Stop taking requests; close once every request already forwarded has been answered. */
  drain(): void {
    this.#draining = true;
    // Mid-frame, the rest of the frame still has to reach the upstream; decide() stops at the next one.
    if (!this.#requests.midFrame) this.#updateClientReading();
    this.#finishIfDrained();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#toClient.clear();
    this.#toUpstream?.clear();
    this.#held = [];
    this.#heldResponses = [];
    this.client.end();
    this.#upstream?.end();
    this.#markDone();
  }

  /** Closes both sides, logging why. */
  fail(reason: string): void {
    if (this.#closed) return;
    consola.warn(`closing connection from ${this.remote}: ${reason}`);
    this.close();
  }

  #finishIfDrained(): void {
    if (!this.#draining || this.#inFlight.length > 0 || this.#validating || this.#rewriting || this.#requests.midFrame) return;
    if (this.#toClient.pendingBytes === 0) this.close();
  }

  #feedHeld(): void {
    while (this.#held.length > 0 && !this.#validating && !this.#closed) this.#feedRequests(this.#held.shift()!);
    this.#updateClientReading();
  }

  /** `transient`: the buffer of a chunk Bun reuses after the data handler, so leftovers are copied. */
  #feedRequests(chunk: Uint8Array, transient?: ArrayBufferLike): void {
    const paused = this.#feed(this.#requests, chunk, transient, this.#held, describe, () => {
      this.#validating = false;
      this.#feedHeld();
      this.#finishIfDrained();
    });
    if (paused === null) return;
    if (paused) this.#validating = true;
    this.#toUpstream!.flush(transient);
    this.#flushToClient();
    this.#updateClientReading();
  }

  /** `transient`: as for #feedRequests. */
  #feedResponses(chunk: Uint8Array, transient?: ArrayBufferLike): void {
    const paused = this.#feed(this.#responses, chunk, transient, this.#heldResponses, (error) => `bad response from the upstream: ${describe(error)}`, () => {
      this.#rewriting = false;
      // The proxy's own answers queued behind the rewritten response go out next.
      this.#flushLocal();
      this.#feedHeldResponses();
      this.#finishIfDrained();
    });
    if (paused === null) return;
    if (paused) this.#rewriting = true;
    this.#flushToClient(transient);
  }

  /**
   * Pushes a chunk into one side's splitter. When a taken frame pauses it (a validation or a rewrite), the rest
   * of the chunk goes to the front of `held` (copied if it lies in `transient`) and `resumed` runs once the frame
   * is done. Returns whether it paused, or null when the bytes were bad and the connection is closed.
   */
  #feed(
    splitter: FrameSplitter,
    chunk: Uint8Array,
    transient: ArrayBufferLike | undefined,
    held: Uint8Array[],
    why: (error: unknown) => string,
    resumed: () => void,
  ): boolean | null {
    let paused;
    try {
      paused = splitter.push(chunk);
    } catch (error) {
      this.fail(why(error));
      return null;
    }
    if (!paused) return false;
    if (paused.rest.byteLength > 0) held.unshift(transient ? new Uint8Array(paused.rest) : paused.rest);
    paused.until.then(resumed, (error) => this.fail(why(error)));
    return true;
  }

  #feedHeldResponses(): void {
    while (this.#heldResponses.length > 0 && !this.#rewriting && !this.#closed) this.#feedResponses(this.#heldResponses.shift()!);
    this.#flushToClient();
  }

  #flushToClient(transient?: ArrayBufferLike): void {
    const empty = this.#toClient.flush(transient);
    // The upstream is read again once the client has taken everything and no response is being rewritten.
    const paused = !empty || this.#rewriting;
    if (paused !== this.#upstreamPaused) {
      this.#upstreamPaused = paused;
      if (paused) this.#upstream?.pause();
      else this.#upstream?.resume();
    }
  }

  #updateClientReading(): void {
    const stopped = this.#draining && !this.#requests.midFrame;
    this.#setClientPaused(this.#toUpstream === null || this.#validating || this.#toUpstream.pendingBytes > 0 || stopped);
  }

  #setClientPaused(paused: boolean): void {
    if (paused === this.#clientPaused || this.#closed) return;
    this.#clientPaused = paused;
    if (paused) this.client.pause();
    else this.client.resume();
  }

  #expect(correlationId: number, rewrite: InFlight["rewrite"]): void {
    this.#inFlight.push({ correlationId, local: null, rewrite });
  }

  #answer(correlationId: number, response: Uint8Array): void {
    this.#inFlight.push({ correlationId, local: response, rewrite: null });
    this.#flushLocal();
  }

  /** Sends the proxy's own answers that are next in line, unless an upstream response is half-sent or being rewritten. */
  #flushLocal(): void {
    if (this.#responses.midFrame || this.#rewriting) return;
    while (this.#inFlight.length > 0 && this.#inFlight[0]!.local !== null) this.#toClient.push(this.#inFlight.shift()!.local!);
  }

  #requestHandler(): FrameHandler {
    return {
      decide: (head, size) => this.#decideRequest(head, size),
      take: (frame) => this.#takeRequest(frame),
      passed: () => {},
    };
  }

  #decideRequest(head: Uint8Array, size: number): FrameDecision {
    if (head.length < REQUEST_HEAD_BYTES) return REQUEST_HEAD_BYTES;
    if (this.#draining) {
      this.#setClientPaused(true);
      return "stop";
    }
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const apiKey = view.getInt16(0);
    const apiVersion = view.getInt16(2);
    const correlationId = view.getInt32(4);
    if (!proxyHandles(apiKey, apiVersion)) {
      // KIP-511: an ApiVersions request the proxy cannot read is answered with its own versions, in v0.
      if (apiKey === ApiKey.ApiVersions) return "take";
      throw new UnsupportedVersionError(apiKey, apiVersion);
    }
    switch (apiKey) {
      case ApiKey.ApiVersions:
        this.#expect(correlationId, (frame) => this.#rewriteApiVersions(frame, apiVersion, correlationId));
        return "pass";
      case ApiKey.Produce: {
        if (this.ctx.validator) return "take";
        const acks = produceAcks(head, apiVersion);
        if (acks === null) return Math.min(size, Math.max(PRODUCE_HEAD_BYTES, head.length * 2));
        // acks=0: the upstream will not answer.
        if (acks !== 0) this.#expect(correlationId, null);
        return "pass";
      }
    }
    const rewrite = addressRewrite(apiKey);
    this.#expect(
      correlationId,
      rewrite
        ? async (frame) => {
            const { body } = await decodeResponse(apiKey, apiVersion, frame);
            rewrite(body, this.ctx.ports, apiVersion);
            return encodeResponse(apiKey, apiVersion, correlationId, body);
          }
        : null,
    );
    return "pass";
  }

  #takeRequest(frame: Uint8Array): void | Promise<void> {
    let header: RequestHeader;
    let bodyOffset: number;
    try {
      ({ header, bodyOffset } = decodeRequestHeader(frame));
    } catch (error) {
      const unreadable = (error as { header?: RequestHeader }).header;
      if (unreadable?.apiKey !== ApiKey.ApiVersions) throw error;
      // Requests after this one wait (the splitter is paused) until its answer has its place in line.
      return encodeResponse(ApiKey.ApiVersions, 0, unreadable.correlationId, proxyApiVersions(ErrorCode.UNSUPPORTED_VERSION)).then((response) => {
        if (!this.#closed) this.#answer(unreadable.correlationId, response);
      });
    }
    // Only Produce with a validator is taken otherwise. Validation may wait, and the frame may be a view of a
    // chunk Bun reuses: keep a copy, with its size prefix, to forward as it came.
    const framed = new Uint8Array(4 + frame.length);
    new DataView(framed.buffer).setInt32(0, frame.length);
    framed.set(frame, 4);
    return this.#validate(header, framed, bodyOffset);
  }

  async #validate(header: RequestHeader, framed: Uint8Array, bodyOffset: number): Promise<void> {
    const { acks, verdict } = await validateProduce(this.ctx.validator!, header, framed.subarray(4), bodyOffset);
    if (this.#closed) return;
    if (verdict.kind === "forward") {
      if (acks !== 0) this.#expect(header.correlationId, null);
      this.#toUpstream!.push(framed);
    } else if (acks === 0) {
      // Kafka's way of telling a producer that wants no answer that its request failed.
      this.fail(`acks=0 produce request with records the validator rejected`);
    } else if (verdict.kind === "reject") {
      const response = await rejectionResponse(header, verdict.rejected);
      if (this.#closed) return;
      this.#answer(header.correlationId, response);
    } else {
      this.#expect(header.correlationId, (frame) => mergeRejections(header, frame, verdict.rejected));
      this.#toUpstream!.push(verdict.request);
    }
    if (this.#closed) return;
    this.#toUpstream!.flush();
    this.#flushToClient();
  }

  async #rewriteApiVersions(frame: Uint8Array, apiVersion: number, correlationId: number): Promise<Uint8Array> {
    // An upstream that cannot read this version answers UNSUPPORTED_VERSION in v0 (KIP-511), and so do we.
    const errorCode = frame.length >= 6 ? new DataView(frame.buffer, frame.byteOffset).getInt16(4) : ErrorCode.NONE;
    const version = errorCode === ErrorCode.UNSUPPORTED_VERSION ? 0 : apiVersion;
    const { body } = await decodeResponse(ApiKey.ApiVersions, version, frame);
    return encodeResponse(ApiKey.ApiVersions, version, correlationId, intersectApiVersions(body as ApiVersionsResponse));
  }

  #responseHandler(): FrameHandler {
    return {
      decide: (head) => {
        const correlationId = new DataView(head.buffer, head.byteOffset, head.byteLength).getInt32(0);
        const expected = this.#inFlight[0];
        if (expected === undefined || expected.local !== null || expected.correlationId !== correlationId) {
          throw new ProtocolError(`response with correlation id ${correlationId} when ${expected?.local === null ? expected.correlationId : "none"} was due`);
        }
        this.#inFlight.shift();
        if (expected.rewrite === null) return "pass";
        this.#answering = expected;
        return "take";
      },
      take: async (frame) => {
        const entry = this.#answering!;
        this.#answering = null;
        // The frame may be a view of a chunk Bun reuses, and the rewrite reads it after an await.
        const response = await entry.rewrite!(new Uint8Array(frame));
        if (!this.#closed) this.#toClient.push(response);
      },
      passed: () => this.#flushLocal(),
    };
  }
}

/** acks of a Produce request from its first bytes; null when they end before it. */
function produceAcks(head: Uint8Array, apiVersion: number): number | null {
  try {
    const { bodyOffset } = decodeRequestHeader(head);
    const r = new Reader(head, bodyOffset);
    if (apiVersion >= 9) r.readCompactNullableString();
    else if (apiVersion >= 3) r.readNullableString();
    return r.readInt16();
  } catch (error) {
    if (error instanceof TruncatedMessageError) return null;
    throw error;
  }
}

function describe(error: unknown): string {
  if (error instanceof UnsupportedVersionError) return `unsupported API ${apiSpec(error.apiKey)?.name ?? error.apiKey} version ${error.apiVersion}`;
  if (error instanceof ProtocolError) return `bad frame: ${error.message}`;
  return `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}
