import type { Socket } from "bun";
import { consola } from "../log.ts";
import { ApiKey, apiSpec } from "../protocol/generated/apis.ts";
import type { FetchResponse } from "../protocol/generated/fetch.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { FrameReader } from "../protocol/frame-reader.ts";
import { decodeRequestBody, decodeRequestHeader, encodeResponse, type RequestHeader } from "../protocol/messages.ts";
import { ProtocolError, UnknownApiKeyError, UnsupportedVersionError } from "../protocol/errors.ts";
import { apiVersionsResponse } from "./api-versions.ts";
import type { AppendTurns } from "./append-order.ts";
import type { BrokerContext } from "./context.ts";
import type { Dispatcher } from "./dispatcher.ts";
import type { ApiHandler } from "./handler.ts";
import { ALLOW_ALL, type PeerInfo, type RequestAuthorizer, type SaslSession } from "./security-hooks.ts";

/** Responses waiting for a slow client beyond this stop the next request from being handled. */
const MAX_BUFFERED_RESPONSE_BYTES = 4 * 1024 * 1024;
/** Requests read but not yet answered beyond this stop reading from the socket. */
const MAX_QUEUED_REQUESTS = 32;
/** Produce requests under way at once on a connection (see #mayOverlap). */
const MAX_OVERLAPPING_PRODUCES = 16;
/** Kafka's sasl.server.max.receive.size: the largest frame a client may send before it has authenticated. */
export const PRE_AUTH_MAX_FRAME_BYTES = 524_288;

/** Whether a SASL session's lifetime (KIP-368) has run out without re-authentication. */
function sessionExpired(sasl: SaslSession): boolean {
  return sasl.expiresAt !== null && Date.now() > sasl.expiresAt;
}

/**
 * One client connection. Requests are handled in arrival order and answered in that order;
 * reading continues meanwhile and frames queue up behind the one in progress. Each request
 * starts once every one before it has been answered, as Kafka handles a connection's requests
 * one at a time, with one exception that no client can tell apart: a Produce may start while
 * the Produce before it waits for its appends (#mayOverlap). Its decoding, CRC checks and topic
 * lookups then overlap that wait, its appends still reach the store after the earlier ones,
 * partition by partition (append-order.ts), and its answer goes out after theirs. A client that
 * sends faster than it reads is held back, as Kafka mutes such a channel: past a few MiB of
 * unread responses no further request is handled, and past a few dozen queued requests the
 * socket is not read, until it drains.
 */
export class Connection {
  readonly #frames: FrameReader;
  readonly #abort = new AbortController();
  #queue: Promise<void> = Promise.resolve();
  #pendingWrites: Uint8Array[] = [];
  #pendingBytes = 0;
  #readingPaused = false;
  #drainWaiters: Array<() => void> = [];
  #closed = false;
  #inFlight = 0;
  #idleWaiters: Array<() => void> = [];
  /** Answers of the requests started and not yet answered, oldest first; they settle in this order. */
  readonly #unanswered: Array<Promise<void>> = [];
  readonly #appendTurns: AppendTurns = new Map();
  /** Present when the listener requires SASL: nothing but ApiVersions and SASL passes until it authenticates. */
  readonly #sasl: SaslSession | null;

  constructor(
    readonly socket: Socket<Connection>,
    readonly ctx: BrokerContext,
    readonly dispatcher: Dispatcher,
    readonly peer: PeerInfo,
  ) {
    const security = ctx.security;
    this.#sasl = security && security.saslMechanisms.length > 0 ? security.saslSession(peer) : null;
    // Before authentication a client's claimed frame sizes are capped low, so garbage or a hostile
    // size prefix closes the connection before anything of that size is allocated.
    this.#frames = new FrameReader({ maxFrameBytes: this.#sasl ? Math.min(PRE_AUTH_MAX_FRAME_BYTES, ctx.config.maxRequestBytes) : ctx.config.maxRequestBytes });
  }

  get remote(): string {
    return this.peer.address;
  }

  get #principal(): string {
    return this.#sasl?.principal ?? this.peer.principal;
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
      const started = this.#queue
        .then(() => this.#handle(owned))
        .catch((error: unknown) => {
          // #handle answers what it expects itself; reaching here is a bug, and the connection cannot go on.
          consola.error(`request from ${this.remote} failed:`, error);
          this.#fail("internal error");
          return { answered: Promise.resolve() };
        });
      this.#queue = started.then(() => {});
      // then(settle, settle) rather than finally(): JavaScriptCore compiles that builtin on its first call, during a
      // broker's first request (docs/BENCHMARKS.md, Startup); `answered` never rejects anyway.
      const settle = () => this.#settled();
      void started.then(({ answered }) => answered).then(settle, settle);
    }
    this.#applyBackpressure();
  }

  /** Bytes of responses the client has not read yet (bounded by the backpressure above). */
  get bufferedBytes(): number {
    return this.#pendingBytes;
  }

  onDrain(): void {
    while (this.#pendingWrites.length > 0) {
      const next = this.#pendingWrites[0]!;
      const written = Math.max(this.socket.write(next), 0);
      this.#pendingBytes -= written;
      if (written < next.byteLength) {
        this.#pendingWrites[0] = next.subarray(written);
        break;
      }
      this.#pendingWrites.shift();
    }
    if (this.#pendingBytes <= MAX_BUFFERED_RESPONSE_BYTES) for (const wake of this.#drainWaiters.splice(0)) wake();
    this.#applyBackpressure();
  }

  onClose(): void {
    this.#closed = true;
    this.#abort.abort();
    for (const wake of this.#drainWaiters.splice(0)) wake();
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

  /** Stops reading while too much is queued either way; reads again once both are back under their bounds. */
  #applyBackpressure(): void {
    const full = this.#inFlight >= MAX_QUEUED_REQUESTS || this.#pendingBytes > MAX_BUFFERED_RESPONSE_BYTES;
    if (full && !this.#readingPaused && !this.#closed) {
      this.#readingPaused = true;
      this.socket.pause();
    } else if (!full && this.#readingPaused) {
      this.#readingPaused = false;
      this.socket.resume();
    }
  }

  /** Resolves once the client has read enough of what is buffered for it, the connection closes, or the broker stops. */
  #writable(): Promise<void> {
    if (this.#pendingBytes <= MAX_BUFFERED_RESPONSE_BYTES || this.#closed || this.#abort.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drainWaiters.push(resolve);
      this.#abort.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }

  #settled(): void {
    this.#inFlight--;
    this.#applyBackpressure();
    if (this.#inFlight === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  /**
   * Handles one request: resolves once the next one may start, with `answered` settling once
   * this one has been answered (or dropped). Anything that answers or closes the connection
   * waits for the answers before it.
   */
  async #handle(frame: Uint8Array): Promise<{ answered: Promise<void> }> {
    const done = { answered: Promise.resolve() };
    await this.#writable();
    if (this.#closed) return done;
    if (this.#sasl?.awaitingRawToken) return this.#refuse(() => this.#rawSaslToken(frame));
    const started = performance.now();
    let header: RequestHeader;
    let bodyOffset: number;
    try {
      ({ header, bodyOffset } = decodeRequestHeader(frame));
    } catch (error) {
      return this.#refuse(() => this.#rejectHeader(error));
    }
    const handler = this.dispatcher.handler(header.apiKey);
    if (!handler || header.apiVersion < handler.minVersion || header.apiVersion > handler.maxVersion) {
      return this.#refuse(async () => {
        await this.#unsupported(header);
        this.#account(header, ErrorCode.UNSUPPORTED_VERSION, started);
      });
    }
    let request: unknown;
    try {
      request = await decodeRequestBody(header, frame, bodyOffset);
    } catch (error) {
      return this.#refuse(() => this.#malformed(header, error, started));
    }
    // Only a Produce on a store that applies appends in call order may overlap; it first waits for room among
    // the unanswered, and is checked after that wait, in which a SASL session may have expired or quotas been
    // read anew. Waiting first costs nothing when it may not overlap: #allAnswered waits for more.
    let overlaps = header.apiKey === ApiKey.Produce && this.ctx.storage.appendsInCallOrder === true;
    if (overlaps) {
      await this.#overlapTurn();
      overlaps = await this.#mayOverlap(header);
    }
    if (!overlaps) {
      await this.#allAnswered();
      if (this.#sasl && !(await this.#passesSasl(this.#sasl, header, request))) return done;
    }
    if (this.#closed) return done;
    const principal = this.#principal;
    const authorizer = this.ctx.security?.authorizer;
    const authz = authorizer ? await authorizer.forRequest(principal, this.remote) : ALLOW_ALL;
    // The handler is called now, before the next request may start: a Produce takes its append
    // turns before its first await, so they are taken in arrival order (lazyApi's wrapper first
    // awaits its module, and calls waiting on the same promise resume in the order they came).
    const before = this.#lastUnanswered ?? Promise.resolve();
    // Never rejects: the answers after this one wait for it.
    const answered = this.#answer(handler, header, request, frame, started, principal, authz, before).catch(async (error: unknown) => {
      consola.error(`answering ${apiName(header.apiKey)} v${header.apiVersion} from ${this.remote} failed:`, error);
      await before;
      this.#fail("internal error");
    });
    this.#unanswered.push(answered);
    void answered.then(() => this.#unanswered.splice(this.#unanswered.indexOf(answered), 1));
    if (!overlaps) await answered;
    return { answered };
  }

  // The refusals and failures below are functions of their own, apart from #handle and #answer: JavaScriptCore
  // prepares all of a function's code on its first call, and every broker's first request calls those two
  // (docs/BENCHMARKS.md, Startup).

  /** Runs `refusal` (which answers, or closes the connection) once every request before has been answered. */
  async #refuse(refusal: () => void | Promise<void>): Promise<{ answered: Promise<void> }> {
    await this.#allAnswered();
    await refusal();
    return { answered: Promise.resolve() };
  }

  #malformed(header: RequestHeader, error: unknown, started: number): void {
    this.#fail(`malformed ${apiName(header.apiKey)} v${header.apiVersion} request: ${(error as Error).message}`);
    this.#account(header, ErrorCode.CORRUPT_MESSAGE, started);
  }

  /**
   * Whether a Produce may start before the requests before it have been answered (all of them
   * Produces: anything else is answered before the next request starts). Produce's checks read
   * nothing an earlier Produce changes, and its appends wait their turn. Only on a store that
   * applies a partition's appends in call order, which the caller checks
   * (Storage.appendsInCallOrder): there the turn passes as soon as an append is handed over,
   * so appends queue up behind the one in progress and are committed together; elsewhere
   * each would wait for the one before to complete, and overlapping would gain nothing. Not
   * when a client quota applies, whose throttling mutes the connection after an answer (such
   * a Produce is answered, and muted, before the next starts), nor unless the SASL session
   * lets a Produce through as #passesSasl would (otherwise that answers or closes the
   * connection, after the answers before it).
   */
  async #mayOverlap(header: RequestHeader): Promise<boolean> {
    const sasl = this.#sasl;
    if (sasl !== null && (sasl.principal === null || sessionExpired(sasl))) return false;
    const quotas = this.ctx.security?.quotas;
    return !quotas || !(await quotas.mayThrottle({ principal: this.#principal, clientId: header.clientId ?? "", apiKey: header.apiKey }));
  }

  /** Resolves once fewer than MAX_OVERLAPPING_PRODUCES requests are unanswered (all of them Produces). */
  async #overlapTurn(): Promise<void> {
    while (this.#unanswered.length >= MAX_OVERLAPPING_PRODUCES) await this.#unanswered[0];
  }

  /** The latest request's answer, if it is still pending (not at(-1): a builtin compiled on its first call). */
  get #lastUnanswered(): Promise<void> | undefined {
    return this.#unanswered[this.#unanswered.length - 1];
  }

  /** Resolves once every request started so far has been answered. */
  async #allAnswered(): Promise<void> {
    while (this.#unanswered.length > 0) await this.#lastUnanswered;
  }

  /** Runs the handler and sends its answer once `before` (the previous request's answer) went out. */
  async #answer(
    handler: ApiHandler,
    header: RequestHeader,
    request: unknown,
    frame: Uint8Array,
    started: number,
    principal: string,
    authz: RequestAuthorizer,
    before: Promise<void>,
  ): Promise<void> {
    let response: { throttleTimeMs?: number } | null;
    try {
      response = await handler.handle(this.ctx, request, {
        apiKey: header.apiKey,
        apiVersion: header.apiVersion,
        clientId: header.clientId,
        signal: this.#abort.signal,
        principal,
        clientHost: this.remote,
        authz,
        appendTurns: this.#appendTurns,
      });
    } catch (error) {
      await this.#handlerFailed(header, error, started, before);
      return;
    }
    let bytes = response === null ? null : await encodeResponse(header.apiKey, header.apiVersion, header.correlationId, response);
    const quotas = this.ctx.security?.quotas;
    const throttleMs = quotas
      ? await quotas.record({
          principal,
          clientId: header.clientId ?? "",
          apiKey: header.apiKey,
          requestBytes: frame.byteLength,
          responseBytes: bytes?.byteLength ?? 0,
          handlerMs: performance.now() - started,
        })
      : 0;
    if (response !== null && throttleMs > 0 && "throttleTimeMs" in response) {
      response = this.#throttled(header, response, throttleMs);
      bytes = await encodeResponse(header.apiKey, header.apiVersion, header.correlationId, response);
    }
    await before;
    if (bytes !== null) this.#send(bytes);
    if (this.ctx.metrics) await this.#accountAnswer(header, response, started);
    // Kafka's throttling (KIP-219): the answer goes out at once carrying the throttle time, and
    // the connection is muted for that long, so a client that ignores it is slowed all the same.
    if (throttleMs > 0) await this.#mute(throttleMs);
  }

  /** A handler threw: handlers map expected failures to error codes themselves, so this is a bug. */
  async #handlerFailed(header: RequestHeader, error: unknown, started: number, before: Promise<void>): Promise<void> {
    consola.error(`${apiName(header.apiKey)} v${header.apiVersion} from ${this.remote} failed:`, error);
    await before;
    this.#fail("internal error");
    this.#account(header, ErrorCode.UNKNOWN_SERVER_ERROR, started);
  }

  /** The answer carrying the throttle time. */
  #throttled(header: RequestHeader, response: { throttleTimeMs?: number }, throttleMs: number): { throttleTimeMs?: number } {
    response.throttleTimeMs = throttleMs;
    // Kafka answers a throttled Fetch with no data (getThrottledResponse); the client fetches the same offsets again after the throttle.
    if (header.apiKey !== ApiKey.Fetch) return response;
    const empty: FetchResponse = { ...(response as FetchResponse), responses: [] };
    return empty;
  }

  /** Imported here: only a broker with metrics on (an HTTP listener) walks responses for their error. */
  async #accountAnswer(header: RequestHeader, response: unknown, started: number): Promise<void> {
    const errorCode = response === null ? ErrorCode.NONE : (await import("./response-error.ts")).firstErrorCode(response);
    this.#account(header, errorCode, started);
  }

  /** Per-request metrics: count by API, version and outcome, and the time from dequeue to answer. */
  #account(header: RequestHeader, errorCode: number, started: number): void {
    this.ctx.metrics?.request(header.apiKey, header.apiVersion, errorCode, (performance.now() - started) / 1000);
  }

  /**
   * SASL requests are answered here, from the connection's session; any other request passes
   * only once the session has authenticated (ApiVersions also before) and is not past its
   * re-authentication deadline. Returns whether the request goes on to its handler.
   */
  async #passesSasl(sasl: SaslSession, header: RequestHeader, request: unknown): Promise<boolean> {
    const reply = async (body: unknown) => this.#send(await encodeResponse(header.apiKey, header.apiVersion, header.correlationId, body));
    if (header.apiKey === ApiKey.SaslHandshake) {
      const { response, close } = sasl.handshake((request as { mechanism: string }).mechanism, header.apiVersion);
      await reply(response);
      if (close) this.#fail(`SASL handshake refused: ${response.mechanisms.join(",")} only`);
      return false;
    }
    if (header.apiKey === ApiKey.SaslAuthenticate) {
      const { response, close } = await sasl.authenticate((request as { authBytes: Uint8Array }).authBytes, header.apiVersion);
      await reply(response);
      if (close) this.#fail(`SASL authentication failed: ${response.errorMessage}`);
      else if (sasl.principal !== null) this.#frames.maxFrameBytes = this.ctx.config.maxRequestBytes;
      return false;
    }
    if (sasl.principal === null) {
      if (header.apiKey === ApiKey.ApiVersions) return true;
      this.#fail(`${apiName(header.apiKey)} request before SASL authentication`);
      return false;
    }
    if (sessionExpired(sasl)) {
      this.#fail(`${apiName(header.apiKey)} request from client ${header.clientId ?? "(none)"} after the SASL session expired without re-authentication`);
      return false;
    }
    return true;
  }

  /** After SaslHandshake v0 the SASL exchange travels as bare size-prefixed tokens (Kafka before KIP-152). */
  async #rawSaslToken(token: Uint8Array): Promise<void> {
    const sasl = this.#sasl!;
    const { reply, close } = await sasl.rawToken(token);
    if (reply !== null) {
      const framed = new Uint8Array(4 + reply.byteLength);
      new DataView(framed.buffer).setInt32(0, reply.byteLength);
      framed.set(reply, 4);
      this.#send(framed);
    }
    if (close !== null) this.#fail(`SASL authentication failed: ${close}`);
    else if (sasl.principal !== null) this.#frames.maxFrameBytes = this.ctx.config.maxRequestBytes;
  }

  /** Holds back this connection's next requests for `ms`, or until it closes. */
  #mute(ms: number): Promise<void> {
    const signal = this.#abort.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
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
      const body = apiVersionsResponse(this.dispatcher.apis, ErrorCode.UNSUPPORTED_VERSION);
      this.#send(await encodeResponse(ApiKey.ApiVersions, 0, header.correlationId, body));
      return;
    }
    this.#fail(`unsupported API ${apiName(header.apiKey)} version ${header.apiVersion}`);
  }

  #send(bytes: Uint8Array): void {
    if (this.#closed) return;
    if (this.#pendingWrites.length > 0) {
      this.#pendingWrites.push(bytes);
      this.#pendingBytes += bytes.byteLength;
      return;
    }
    const written = Math.max(this.socket.write(bytes), 0);
    if (written < bytes.byteLength) {
      this.#pendingWrites.push(bytes.subarray(written));
      this.#pendingBytes += bytes.byteLength - written;
      this.#applyBackpressure();
    }
  }

  #fail(reason: string): void {
    consola.warn(`closing connection from ${this.remote}: ${reason}`);
    this.#closed = true;
    this.#abort.abort();
    this.socket.end();
  }
}

function apiName(apiKey: number): string {
  return apiSpec(apiKey)?.name ?? `api-key-${apiKey}`;
}
