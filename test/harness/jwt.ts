// Signing keys and JWTs for the OAUTHBEARER tests, made with WebCrypto: an identity provider's
// side, whose public keys go into a JWKS the broker reads.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./temp-dir.ts";

export interface SigningKey {
  /** The public key as a JWKS entry. */
  jwk: Record<string, unknown>;
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
}

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString("base64url");

export async function signingKey(alg: "RS256" | "ES256", kid: string): Promise<SigningKey> {
  const params =
    alg === "RS256"
      ? { generate: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, sign: { name: "RSASSA-PKCS1-v1_5" } }
      : { generate: { name: "ECDSA", namedCurve: "P-256" }, sign: { name: "ECDSA", hash: "SHA-256" } };
  const pair = (await crypto.subtle.generateKey(params.generate, true, ["sign", "verify"])) as CryptoKeyPair;
  const jwk = { ...(await crypto.subtle.exportKey("jwk", pair.publicKey)), kid, alg, use: "sig" } as Record<string, unknown>;
  delete jwk.key_ops;
  delete jwk.ext;
  return {
    jwk,
    async sign(claims, header = {}) {
      const signed = `${b64url(JSON.stringify({ alg, kid, typ: "JWT", ...header }))}.${b64url(JSON.stringify(claims))}`;
      const signature = new Uint8Array(await crypto.subtle.sign(params.sign, pair.privateKey, new TextEncoder().encode(signed)));
      return `${signed}.${b64url(signature)}`;
    },
  };
}

/** Writes a JWKS file of the keys' public halves; returns its path. */
export function writeJwks(keys: SigningKey[]): string {
  const path = join(tempDir("tansu-jwks-"), "jwks.json");
  writeFileSync(path, JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  return path;
}

/** Claims valid for `seconds` from now. */
export function claims(sub: string, seconds: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { sub, iat: now, exp: now + seconds, ...extra };
}
