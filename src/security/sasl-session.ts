// One connection's SASL state, as Kafka's SaslServerAuthenticator keeps it: a handshake picks
// the mechanism, SaslAuthenticate requests (or, after a v0 handshake, bare tokens) carry the
// exchange, and with --connections-max-reauth-ms the session must be renewed (KIP-368) by the
// same principal with the same mechanism before it expires.
import { consola } from "../log.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { EMPTY_BYTES } from "../protocol/reader.ts";
import type { SaslAuthenticateResponse } from "../protocol/generated/sasl-authenticate.ts";
import type { SaslHandshakeResponse } from "../protocol/generated/sasl-handshake.ts";
import { userPrincipal, type PeerInfo, type SaslSession } from "../broker/security-hooks.ts";
import { SaslAuthenticationError } from "./scram.ts";

/** What one mechanism's exchange reports when it completes. */
export interface Authenticated {
  user: string;
  /** When the credential stops being valid (a token's exp), ms since the epoch; null: never. */
  expiresAt: number | null;
}

/** One authentication exchange of one mechanism. */
export interface SaslExchange {
  /** A client message in; the reply, and who authenticated once the exchange is complete. @throws SaslAuthenticationError */
  step(message: Uint8Array): Promise<{ reply: Uint8Array; done: Authenticated | null }>;
}

export type ExchangeFactory = () => SaslExchange;

interface Outcome {
  reply: Uint8Array;
  /** Set when authentication failed: the reason, after which the connection closes. */
  failure: string | null;
  sessionLifetimeMs: number;
}

export class ConnectionSasl implements SaslSession {
  principal: string | null = null;
  awaitingRawToken = false;
  expiresAt: number | null = null;
  #mechanism: string | null = null;
  #exchange: SaslExchange | null = null;

  constructor(
    private readonly mechanisms: ReadonlyMap<string, ExchangeFactory>,
    private readonly reauthMs: number,
    private readonly peer: PeerInfo,
  ) {}

  handshake(mechanism: string, version: number): { response: SaslHandshakeResponse; close: boolean } {
    const enabled = [...this.mechanisms.keys()];
    const refuse = (errorCode: number, close: boolean) => ({ response: { errorCode, mechanisms: enabled }, close });
    if (this.#exchange !== null) return refuse(ErrorCode.ILLEGAL_SASL_STATE, true);
    if (this.principal !== null) {
      // Re-authentication (KIP-368) exists only with a session lifetime, over SaslAuthenticate (v1 handshakes).
      if (this.reauthMs === 0 || version === 0) return refuse(ErrorCode.ILLEGAL_SASL_STATE, false);
      if (mechanism !== this.#mechanism) return refuse(ErrorCode.UNSUPPORTED_SASL_MECHANISM, true);
    }
    const factory = this.mechanisms.get(mechanism);
    if (!factory) return refuse(ErrorCode.UNSUPPORTED_SASL_MECHANISM, true);
    this.#mechanism = mechanism;
    this.#exchange = factory();
    this.awaitingRawToken = version === 0;
    return { response: { errorCode: ErrorCode.NONE, mechanisms: enabled }, close: false };
  }

  async authenticate(authBytes: Uint8Array, version: number): Promise<{ response: SaslAuthenticateResponse; close: boolean }> {
    if (this.#exchange === null) {
      return {
        response: { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: "SaslAuthenticate before SaslHandshake", authBytes: EMPTY_BYTES, sessionLifetimeMs: 0n },
        close: true,
      };
    }
    const outcome = await this.#step(authBytes);
    const failed = outcome.failure !== null;
    return {
      response: {
        errorCode: failed ? ErrorCode.SASL_AUTHENTICATION_FAILED : ErrorCode.NONE,
        errorMessage: outcome.failure,
        authBytes: outcome.reply,
        // v0 cannot carry it; such clients are still disconnected when the session ends.
        sessionLifetimeMs: version >= 1 ? BigInt(outcome.sessionLifetimeMs) : 0n,
      },
      close: failed,
    };
  }

  async rawToken(token: Uint8Array): Promise<{ reply: Uint8Array | null; close: string | null }> {
    const outcome = await this.#step(token);
    if (outcome.failure !== null) return { reply: null, close: outcome.failure };
    if (this.#exchange === null) this.awaitingRawToken = false;
    return { reply: outcome.reply, close: null };
  }

  async #step(message: Uint8Array): Promise<Outcome> {
    let result: Awaited<ReturnType<SaslExchange["step"]>>;
    try {
      result = await this.#exchange!.step(message);
    } catch (error) {
      this.#exchange = null;
      if (error instanceof SaslAuthenticationError) {
        consola.info(`SASL ${this.#mechanism} authentication from ${this.peer.address} failed: ${error.message}`);
        return { reply: EMPTY_BYTES, failure: error.message, sessionLifetimeMs: 0 };
      }
      // The store being unreachable, most likely: the client may retry.
      consola.warn(`SASL ${this.#mechanism} authentication from ${this.peer.address} could not complete:`, error);
      return { reply: EMPTY_BYTES, failure: "Authentication failed: the broker could not check the credentials", sessionLifetimeMs: 0 };
    }
    if (!result.done) return { reply: result.reply, failure: null, sessionLifetimeMs: 0 };
    this.#exchange = null;
    const principal = userPrincipal(result.done.user);
    if (this.principal !== null && principal !== this.principal) {
      return { reply: EMPTY_BYTES, failure: `Cannot change principals during re-authentication from ${this.principal}: ${principal}`, sessionLifetimeMs: 0 };
    }
    const now = Date.now();
    const untilExpiry = result.done.expiresAt === null ? Infinity : result.done.expiresAt - now;
    const lifetime = this.reauthMs > 0 ? Math.max(0, Math.min(this.reauthMs, untilExpiry)) : 0;
    this.principal = principal;
    this.expiresAt = lifetime > 0 ? now + lifetime : null;
    return { reply: result.reply, failure: null, sessionLifetimeMs: lifetime };
  }
}
