// What the broker asks of the security layer (src/security, loaded only when a broker is
// started with security options). Types only, plus the answers of a broker without it, so that a
// plain broker never loads the security modules.
import { ApiKey } from "../protocol/generated/apis.ts";
import type { SaslAuthenticateResponse } from "../protocol/generated/sasl-authenticate.ts";
import type { SaslHandshakeResponse } from "../protocol/generated/sasl-handshake.ts";

/** Kafka's principal of an unauthenticated client (PLAINTEXT, or TLS without a client certificate). */
export const ANONYMOUS = "User:ANONYMOUS";

/** The principal of a user authenticated by name (SASL, or the console's HTTP Basic). */
export const userPrincipal = (user: string) => `User:${user}`;

/** Authorization of one request: synchronous checks against one snapshot of the ACLs. */
export interface RequestAuthorizer {
  /** Whether the principal may do `operation` on the literal resource `name`. */
  allows(operation: number, resourceType: number, name: string): boolean;
  /** Kafka's authorizeByResourceType: whether some resource of the type allows `operation`. */
  allowsAny(operation: number, resourceType: number): boolean;
  /** The authorized-operations bit field of the resource. */
  operations(resourceType: number, name: string): number;
}

/** Per-connection SASL state: handshake, authentication exchanges and re-authentication (KIP-368). */
export interface SaslSession {
  /** The authenticated principal ("User:alice"); null until the first authentication succeeds. */
  readonly principal: string | null;
  /** After SaslHandshake v0 the next frame is a raw SASL token, not a Kafka request. */
  readonly awaitingRawToken: boolean;
  /** When the session must have re-authenticated by (ms since the epoch); null: never. */
  readonly expiresAt: number | null;
  handshake(mechanism: string, version: number): { response: SaslHandshakeResponse; close: boolean };
  authenticate(authBytes: Uint8Array, version: number): Promise<{ response: SaslAuthenticateResponse; close: boolean }>;
  /** A raw token exchange (SaslHandshake v0): the reply frame body, or close. */
  rawToken(token: Uint8Array): Promise<{ reply: Uint8Array | null; close: string | null }>;
}

/** What a connection knows about its peer before SASL. */
export interface PeerInfo {
  readonly address: string;
  readonly tls: boolean;
  /** From the client certificate (mTLS), else ANONYMOUS. */
  readonly principal: string;
}

/** Per-request usage a quota manager records; the answer is how long to throttle the client. */
export interface RequestUsage {
  readonly principal: string;
  readonly clientId: string;
  readonly apiKey: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly handlerMs: number;
}

/** Requests no quota applies to: before and during authentication. */
export const QUOTA_EXEMPT_APIS: ReadonlySet<number> = new Set([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

export interface QuotaEnforcer {
  /**
   * Records the request's usage; returns the throttle time in ms (0: within quota). A throttled
   * Fetch is answered empty, as Kafka does, so its response bytes are taken back out of the rate.
   */
  record(usage: RequestUsage): Promise<number>;
  /**
   * The most a Fetch may return: what the client's consumer_byte_rate allows over the quota's windows
   * (Kafka's getMaxValueInQuotaWindow), so one response is never throttled for its size alone; Infinity without a quota.
   */
  fetchBytesCap(request: Pick<RequestUsage, "principal" | "clientId">): Promise<number>;
  /** False when no quota set (as last read) applies to such a request, which then cannot be throttled. */
  mayThrottle(request: Pick<RequestUsage, "principal" | "clientId" | "apiKey">): Promise<boolean>;
  /** Forget cached quota settings (after this broker changed them). */
  invalidate(): void;
}

/** Security a broker runs with; every part is optional. */
export interface BrokerSecurity {
  /** Mechanisms enabled for SASL on every listener; empty when SASL is off. */
  readonly saslMechanisms: readonly string[];
  /** A SASL session for a new connection; only called when saslMechanisms is not empty. */
  saslSession(peer: PeerInfo): SaslSession;
  /**
   * The principal whose credentials in the store `password` proves, as SASL/PLAIN checks them,
   * or null: how the HTTP console authenticates its users (Basic).
   */
  authenticatePassword(user: string, password: string): Promise<string | null>;
  /** The ACL authorizer, or null when every principal may do everything. */
  readonly authorizer: {
    forRequest(principal: string, host: string): Promise<RequestAuthorizer>;
    /** Forget cached ACLs (after this broker changed them). */
    invalidate(): void;
  } | null;
  readonly quotas: QuotaEnforcer | null;
}

/**
 * Every operation each resource type supports, as authorized-operations bit fields (bit n: Kafka's AclOperation
 * n), indexed by resource type: operationBits(SUPPORTED_OPERATIONS[type]) of acl-codes.ts, written out so that a
 * broker without an authorizer starts without that module's tables (test/broker/security-hooks.test.ts checks
 * they agree). TOPIC: READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS; GROUP: READ,
 * DELETE, DESCRIBE; CLUSTER: CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS,
 * IDEMPOTENT_WRITE; TRANSACTIONAL_ID: WRITE, DESCRIBE; DELEGATION_TOKEN: DESCRIBE; USER: CREATE_TOKENS,
 * DESCRIBE_TOKENS.
 */
const ALL_SUPPORTED_OPERATIONS = [0, 0, 3576, 328, 8096, 272, 256, 24576];

/** A broker without an authorizer allows everything, and reports every supported operation. */
export const ALLOW_ALL: RequestAuthorizer = {
  allows: () => true,
  allowsAny: () => true,
  operations: (resourceType) => ALL_SUPPORTED_OPERATIONS[resourceType] ?? 0,
};
