// JWT validation for SASL/OAUTHBEARER, as Kafka's OAuthBearerValidatorCallbackHandler does it:
// an RS256 or ES256 signature by a key of the JWKS, an expiry in the future, and (when
// configured) the issuer and an audience; the principal is a claim (sub by default).
import type { webcrypto } from "node:crypto";
import { readFile } from "node:fs/promises";
import { consola } from "../log.ts";
import { SaslAuthenticationError } from "./scram.ts";

export interface JwtOptions {
  /** https://, http://, file:// or a path. */
  jwksUrl: string;
  issuer?: string;
  /** Accepted audiences; empty: aud is not checked. */
  audience: string[];
  principalClaim: string;
  /** Kafka's sasl.oauthbearer.clock.skew.seconds, 30 by default. */
  clockSkewMs?: number;
}

interface Jwk extends webcrypto.JsonWebKey {
  kid?: string;
}

const ALGORITHMS = {
  RS256: { kty: "RSA", importParams: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, verifyParams: { name: "RSASSA-PKCS1-v1_5" } },
  ES256: { kty: "EC", importParams: { name: "ECDSA", namedCurve: "P-256" }, verifyParams: { name: "ECDSA", hash: "SHA-256" } },
} as const;

type Algorithm = keyof typeof ALGORITHMS;

/** How often the JWKS is read again anyway (Kafka's sasl.oauthbearer.jwks.endpoint.refresh.ms). */
const JWKS_REFRESH_MS = 3_600_000;
/** A key id not in the JWKS re-reads it (a key rotated in), once in this time per key id, as Kafka does. */
const UNKNOWN_KID_RETRY_MS = 60_000;

function invalid(reason: string): SaslAuthenticationError {
  return new SaslAuthenticationError(`Authentication failed: invalid token: ${reason}`);
}

function base64url(part: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(part, "base64url"));
}

function json(part: string, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(new TextDecoder().decode(base64url(part)));
    if (value && typeof value === "object" && !Array.isArray(value)) return value;
  } catch {
    // reported below
  }
  throw invalid(`malformed ${what}`);
}

/** The keys of a JWKS, re-read when stale or when a token names a key id not seen yet. */
class Jwks {
  #keys: Jwk[] = [];
  #readAt = -Infinity;
  #loading: Promise<void> | null = null;
  /** When each unknown key id last made us re-read the JWKS. */
  readonly #missing = new Map<string, number>();

  constructor(private readonly url: string) {}

  async keysFor(kid: string | undefined, kty: string): Promise<Jwk[]> {
    if (performance.now() - this.#readAt > JWKS_REFRESH_MS) await this.#load();
    const matching = () => this.#keys.filter((k) => k.kty === kty && (kid === undefined || k.kid === kid));
    if (matching().length === 0 && kid !== undefined && !(performance.now() - (this.#missing.get(kid) ?? -Infinity) < UNKNOWN_KID_RETRY_MS)) {
      this.#missing.set(kid, performance.now());
      await this.#load();
    }
    return matching();
  }

  #load(): Promise<void> {
    this.#loading ??= (async () => {
      try {
        const text = /^https?:\/\//.test(this.url)
          ? await (await fetch(this.url, { signal: AbortSignal.timeout(10_000) })).text()
          : await readFile(this.url.startsWith("file://") ? new URL(this.url) : this.url, "utf8");
        const keys = (JSON.parse(text) as { keys?: Jwk[] }).keys;
        if (!Array.isArray(keys)) throw new Error("no keys array");
        this.#keys = keys;
        this.#readAt = performance.now();
      } catch (error) {
        // Keep the keys read last; tokens signed by them still validate.
        consola.warn(`JWKS ${this.url} not read: ${(error as Error).message}`);
      } finally {
        this.#loading = null;
      }
    })();
    return this.#loading;
  }
}

export class JwtValidator {
  readonly #jwks: Jwks;

  constructor(private readonly options: JwtOptions) {
    this.#jwks = new Jwks(options.jwksUrl);
  }

  /** The principal's name and the token's expiry (ms since the epoch). @throws SaslAuthenticationError */
  async validate(token: string): Promise<{ user: string; expiresAt: number }> {
    const parts = token.split(".");
    if (parts.length !== 3) throw invalid("not a signed JWT (JWS compact serialization)");
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = json(headerPart, "header");
    const alg = header.alg;
    if (typeof alg !== "string" || !Object.hasOwn(ALGORITHMS, alg)) throw invalid(`algorithm ${String(alg)} is not accepted (RS256, ES256)`);
    const algorithm = ALGORITHMS[alg as Algorithm];
    const kid = typeof header.kid === "string" ? header.kid : undefined;
    const keys = (await this.#jwks.keysFor(kid, algorithm.kty)).filter((k) => k.alg === undefined || k.alg === alg);
    if (keys.length === 0) throw invalid(kid === undefined ? `no ${algorithm.kty} key in the JWKS` : `no key ${kid} in the JWKS`);
    const signed = new TextEncoder().encode(`${headerPart}.${payloadPart}`);
    const signature = base64url(signaturePart);
    let verified = false;
    for (const jwk of keys) {
      try {
        const key = await crypto.subtle.importKey("jwk", jwk, algorithm.importParams, false, ["verify"]);
        if (await crypto.subtle.verify(algorithm.verifyParams, key, signature, signed)) {
          verified = true;
          break;
        }
      } catch (error) {
        consola.warn(`JWKS key ${jwk.kid ?? "(no kid)"} unusable: ${(error as Error).message}`);
      }
    }
    if (!verified) throw invalid("the signature does not verify");
    return this.#claims(json(payloadPart, "payload"));
  }

  #claims(claims: Record<string, unknown>): { user: string; expiresAt: number } {
    const skew = this.options.clockSkewMs ?? 30_000;
    const now = Date.now();
    if (typeof claims.exp !== "number") throw invalid("no exp claim");
    const expiresAt = claims.exp * 1000;
    if (expiresAt + skew <= now) throw invalid("expired");
    if (typeof claims.nbf === "number" && claims.nbf * 1000 - skew > now) throw invalid("not valid yet (nbf)");
    if (typeof claims.iat === "number" && claims.iat * 1000 - skew > now) throw invalid("issued in the future (iat)");
    if (this.options.issuer !== undefined && claims.iss !== this.options.issuer) throw invalid(`issuer ${String(claims.iss)} is not ${this.options.issuer}`);
    if (this.options.audience.length > 0) {
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!audiences.some((a) => typeof a === "string" && this.options.audience.includes(a))) throw invalid(`audience ${JSON.stringify(claims.aud)} is not accepted`);
    }
    const user = claims[this.options.principalClaim];
    if (typeof user !== "string" || user === "") throw invalid(`no ${this.options.principalClaim} claim`);
    return { user, expiresAt };
  }
}
