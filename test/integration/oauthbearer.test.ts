// SASL/OAUTHBEARER against the compiled broker: python confluent-kafka (librdkafka 2.0 and 2.15)
// hands tokens the test signed (RS256, ES256) through oauth_cb, over SASL_PLAINTEXT and SASL_SSL;
// expired, badly signed and unsigned tokens (librdkafka's unsecured JWTs, as kcat sends) are refused;
// tansu's own tools get a token from a token endpoint (client credentials), as librdkafka's oidc method.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { BROKER_BINARY, startBroker, type RunningBroker } from "../harness/broker.ts";
import { issue, makeCa, type Ca } from "../harness/certs.ts";
import { claims, signingKey, writeJwks, type SigningKey } from "../harness/jwt.ts";
import { kcat } from "../harness/kcat.ts";
import { LIBRDKAFKAS } from "../harness/librdkafka.ts";
import { runCommand } from "../harness/run.ts";
import { confluentListTopics, confluentRoundTrip, EXPECTED_ROUNDTRIP } from "../harness/secure-clients.ts";

let rsa: SigningKey;
let ec: SigningKey;
let ca: Ca;
let broker: RunningBroker;

beforeAll(async () => {
  [rsa, ec] = await Promise.all([signingKey("RS256", "rsa"), signingKey("ES256", "ec")]);
  ca = await makeCa("oauth-ca");
  const server = await issue(ca, "/CN=localhost", "server");
  broker = await startBroker({
    tls: true,
    args: [
      "--sasl-mechanisms", "OAUTHBEARER",
      "--oauth-jwks-url", writeJwks([rsa, ec]),
      "--oauth-issuer", "https://idp.example",
      "--oauth-audience", "kafka",
      "--tls-cert-file", server.cert,
      "--tls-key-file", server.key,
    ],
  });
}, 60_000);
afterAll(() => broker.stop());

const token = (key: SigningKey, sub: string, seconds = 600) => key.sign(claims(sub, seconds, { iss: "https://idp.example", aud: "kafka" }));
const oauth = (t: string, ssl = false) => ({
  "security.protocol": ssl ? "SASL_SSL" : "SASL_PLAINTEXT",
  "sasl.mechanism": "OAUTHBEARER",
  "test.oauth.token": t,
  ...(ssl ? { "ssl.ca.location": ca.cert } : {}),
});

for (const lib of LIBRDKAFKAS) {
  test(`${lib.name}: RS256 over SASL_PLAINTEXT and ES256 over SASL_SSL, produce, consume in a group, commit`, async () => {
    const name = lib.name.replace(/\W/g, "");
    const [plain, ssl] = await Promise.all([
      confluentRoundTrip(broker.url, `oauth-${name}-plain`, oauth(await token(rsa, "alice")), lib.env),
      confluentRoundTrip(broker.tlsUrl!, `oauth-${name}-ssl`, oauth(await token(ec, "alice"), true), lib.env),
    ]);
    for (const run of [plain, ssl]) expect(run.out ?? run.result.stderr).toMatchObject(EXPECTED_ROUNDTRIP);
  }, 120_000);
}

test("expired, badly signed, wrong-audience and unsigned tokens are refused; valid ones are served meanwhile", async () => {
  const stranger = await signingKey("RS256", "rsa");
  const [expired, forged, elsewhere, served] = await Promise.all([
    confluentListTopics(broker.url, oauth(await token(rsa, "alice", -300))),
    confluentListTopics(broker.url, oauth(await token(stranger, "alice"))),
    confluentListTopics(broker.url, oauth(await rsa.sign(claims("alice", 600, { iss: "https://idp.example", aud: "other" })))),
    confluentListTopics(broker.url, oauth(await token(ec, "bob"))),
  ]);
  expect([expired.listed, forged.listed, elsewhere.listed, served.listed]).toEqual([false, false, false, true]);
  expect(broker.logs()).toContain("invalid token: expired");
  expect(broker.logs()).toContain("invalid token: the signature does not verify");
  expect(broker.logs()).toContain("invalid token: audience");
  // librdkafka's built-in unsecured JWT (sasl.oauthbearer.config) is unsigned: alg none.
  const unsecured = await kcat(["-b", broker.url, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=OAUTHBEARER", "-X", "enable.sasl.oauthbearer.unsecure.jwt=true", "-X", "sasl.oauthbearer.config=principal=alice", "-L"], {
    timeoutMs: 15_000,
  });
  expect(unsecured.exitCode).not.toBe(0);
  expect(broker.logs()).toContain("algorithm none is not accepted");
}, 60_000);

test("tansu's tools authenticate with a token from the provider's token endpoint (sasl.oauthbearer.method=oidc)", async () => {
  const grants: Array<{ authorization: string | null; form: string }> = [];
  // The identity provider's token endpoint: client credentials in HTTP Basic, a signed token back.
  const idp = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const form = await request.text();
      grants.push({ authorization: request.headers.get("authorization"), form });
      if (request.headers.get("authorization") !== `Basic ${btoa("tansu-cli:s3cret")}`) {
        return Response.json({ error: "invalid_client", error_description: "bad client credentials" }, { status: 401 });
      }
      return Response.json({ access_token: await token(rsa, "carol"), token_type: "Bearer", expires_in: 600 });
    },
  });
  try {
    const endpoint = `http://127.0.0.1:${idp.port}/oauth2/token`;
    const x = (secret: string) =>
      ["security.protocol=SASL_SSL", "sasl.mechanism=OAUTHBEARER", "sasl.oauthbearer.method=oidc", "sasl.oauthbearer.client.id=tansu-cli",
        `sasl.oauthbearer.client.secret=${secret}`, `sasl.oauthbearer.token.endpoint.url=${endpoint}`, "sasl.oauthbearer.scope=kafka",
        `ssl.ca.location=${ca.cert}`].flatMap((p) => ["-X", p]);
    const created = await runCommand([BROKER_BINARY, "topic", "create", "oidc-cli", "--partitions", "2", "--broker", broker.tlsUrl!, ...x("s3cret")]);
    expect(created.stderr).toBe("");
    expect(created.exitCode).toBe(0);
    const listed = await runCommand([BROKER_BINARY, "topic", "list", "--broker", broker.tlsUrl!, ...x("s3cret")]);
    expect(listed.stdout).toContain("oidc-cli");
    expect(grants[0]!.form).toBe("grant_type=client_credentials&scope=kafka");

    const refused = await runCommand([BROKER_BINARY, "topic", "list", "--broker", broker.tlsUrl!, ...x("wrong")]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr.trim()).toBe(`error: token endpoint ${endpoint} answered 401: invalid_client: bad client credentials`);
  } finally {
    idp.stop(true);
  }
}, 60_000);
