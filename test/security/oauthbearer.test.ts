// OAUTHBEARER: JWTs checked against a JWKS file and served over HTTP, and the RFC 7628 exchange.
import { beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { JwtValidator } from "../../src/security/jwt.ts";
import { oauthBearerExchange } from "../../src/security/oauthbearer.ts";
import { claims, signingKey, writeJwks, type SigningKey } from "../harness/jwt.ts";

let rsa: SigningKey;
let ec: SigningKey;
let stranger: SigningKey;
let jwks: string;

beforeAll(async () => {
  [rsa, ec, stranger] = await Promise.all([signingKey("RS256", "rsa-1"), signingKey("ES256", "ec-1"), signingKey("RS256", "rsa-1")]);
  jwks = writeJwks([rsa, ec]);
});

const validator = (options: Partial<ConstructorParameters<typeof JwtValidator>[0]> = {}) =>
  new JwtValidator({ jwksUrl: jwks, audience: [], principalClaim: "sub", ...options });

describe("JwtValidator", () => {
  test("RS256 and ES256 tokens from the JWKS give the principal claim and the expiry", async () => {
    const c = claims("alice", 60);
    expect(await validator().validate(await rsa.sign(c))).toEqual({ user: "alice", expiresAt: (c.exp as number) * 1000 });
    expect((await validator().validate(await ec.sign(c))).user).toBe("alice");
    expect((await validator({ principalClaim: "email" }).validate(await ec.sign({ ...c, email: "a@x" }))).user).toBe("a@x");
  });

  test("expired, badly signed, unsigned, foreign-issuer and wrong-audience tokens are refused", async () => {
    const v = validator({ issuer: "https://idp", audience: ["kafka"] });
    const ok = claims("alice", 60, { iss: "https://idp", aud: ["other", "kafka"] });
    expect((await v.validate(await rsa.sign(ok))).user).toBe("alice");
    const refusals: Array<[Promise<string>, RegExp]> = [
      [rsa.sign({ ...ok, exp: Math.floor(Date.now() / 1000) - 120 }), /expired/],
      [stranger.sign(ok), /signature does not verify/],
      [rsa.sign({ ...ok, iss: "https://evil" }), /issuer/],
      [rsa.sign({ ...ok, aud: "elsewhere" }), /audience/],
      [rsa.sign({ ...ok, exp: undefined }), /no exp/],
      [rsa.sign({ ...ok, sub: undefined }), /no sub/],
      [rsa.sign(ok, { kid: "rotated-away" }), /no key rotated-away/],
      [Promise.resolve(`${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify(ok)).toString("base64url")}.`), /algorithm none/],
      [Promise.resolve("not-a-jwt"), /not a signed JWT/],
    ];
    for (const [token, reason] of refusals) await expect(v.validate(await token)).rejects.toThrow(reason);
  });

  test("a JWKS over HTTP is read again when a token names a key it has not seen", async () => {
    let served = [rsa];
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json({ keys: served.map((k) => k.jwk) }) });
    try {
      const v = new JwtValidator({ jwksUrl: `http://127.0.0.1:${server.port}/jwks`, audience: [], principalClaim: "sub" });
      expect((await v.validate(await rsa.sign(claims("alice", 60)))).user).toBe("alice");
      served = [rsa, ec];
      expect((await v.validate(await ec.sign(claims("bob", 60)))).user).toBe("bob");
    } finally {
      await server.stop(true);
    }
  });

  test("a JWKS file rewritten with a new key is picked up the same way", async () => {
    const path = writeJwks([rsa]);
    const v = new JwtValidator({ jwksUrl: `file://${path}`, audience: [], principalClaim: "sub" });
    await expect(v.validate(await ec.sign(claims("alice", 60)))).rejects.toThrow(/no key ec-1/);
    writeFileSync(path, JSON.stringify({ keys: [rsa.jwk, ec.jwk] }));
    // An unknown key id re-reads the JWKS once a minute at most; a fresh validator reads it now.
    const fresh = new JwtValidator({ jwksUrl: `file://${path}`, audience: [], principalClaim: "sub" });
    expect((await fresh.validate(await ec.sign(claims("alice", 60)))).user).toBe("alice");
  });
});

describe("the OAUTHBEARER exchange", () => {
  const utf8 = (s: string) => new TextEncoder().encode(s);

  test("a valid token authenticates in one message, authzid and extensions allowed", async () => {
    const token = await rsa.sign(claims("alice", 60));
    const result = await oauthBearerExchange(validator()).step(utf8(`n,a=alice,\u0001host=broker\u0001auth=Bearer ${token}\u0001\u0001`));
    expect(result.done?.user).toBe("alice");
    expect(result.reply.byteLength).toBe(0);
  });

  test("a refused token gets the error document, then fails on the client's %x01", async () => {
    const exchange = oauthBearerExchange(validator());
    const token = await stranger.sign(claims("alice", 60));
    const first = await exchange.step(utf8(`n,,\u0001auth=Bearer ${token}\u0001\u0001`));
    expect(JSON.parse(new TextDecoder().decode(first.reply))).toEqual({ status: "invalid_token" });
    expect(first.done).toBeNull();
    await expect(exchange.step(utf8("\u0001"))).rejects.toThrow(/signature does not verify/);
  });

  test("an authorization id other than the token's principal, or no bearer token, fails", async () => {
    const token = await rsa.sign(claims("alice", 60));
    const other = oauthBearerExchange(validator());
    expect((await other.step(utf8(`n,a=bob,\u0001auth=Bearer ${token}\u0001\u0001`))).done).toBeNull();
    await expect(other.step(utf8("\u0001"))).rejects.toThrow(/not the token's principal/);
    await expect(oauthBearerExchange(validator()).step(utf8("n,,\u0001auth=Basic abc\u0001\u0001"))).rejects.toThrow(/no auth=Bearer/);
  });
});
