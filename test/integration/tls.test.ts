// tls:// listeners: kcat and python confluent-kafka (librdkafka 2.0 and 2.15) over TLS beside a
// plaintext listener, client certificates (mTLS), and certificates rotated on disk.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { BROKER_BINARY, startBroker, tempDir, type RunningBroker } from "../harness/broker.ts";
import { runCommand } from "../harness/run.ts";
import { issue, makeCa, type Ca, type Issued } from "../harness/certs.ts";
import { kcat } from "../harness/kcat.ts";
import { LIBRDKAFKAS } from "../harness/librdkafka.ts";
import { confluentListTopics, confluentRoundTrip, EXPECTED_ROUNDTRIP } from "../harness/secure-clients.ts";

let ca: Ca;
let server: Issued;

beforeAll(async () => {
  ca = await makeCa("tansu-test-ca");
  server = await issue(ca, "/CN=localhost", "server");
});

const tlsArgs = (s: Issued, caFile?: string) => ["--tls-cert-file", s.cert, "--tls-key-file", s.key, ...(caFile ? ["--tls-ca-file", caFile] : [])];

describe("a tls:// listener beside a tcp:// one", () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ tls: true, args: tlsArgs(server) });
  });
  afterAll(() => broker.stop());

  test("kcat produces over TLS and consumes over either listener", async () => {
    const ssl = ["-X", "security.protocol=SSL", "-X", `ssl.ca.location=${ca.cert}`];
    const produced = await kcat(["-b", broker.tlsUrl!, ...ssl, "-t", "tls-kcat", "-P"], { input: "one\ntwo\n" });
    expect(produced.stderr).not.toContain("ERROR");
    expect(produced.exitCode).toBe(0);
    for (const via of [[broker.tlsUrl!, ...ssl], [broker.url]]) {
      const consumed = await kcat(["-b", ...via, "-t", "tls-kcat", "-C", "-e", "-o", "beginning"]);
      expect(consumed.exitCode).toBe(0);
      expect(consumed.stdout.trim().split("\n")).toEqual(["one", "two"]);
    }
  });

  for (const lib of LIBRDKAFKAS) {
    test(`python confluent-kafka (${lib.name}): produce, consume in a group, commit over TLS`, async () => {
      const topic = `tls-py-${lib.name.replace(/\W/g, "")}`;
      const { result, out } = await confluentRoundTrip(broker.tlsUrl!, topic, { "security.protocol": "SSL", "ssl.ca.location": ca.cert }, lib.env);
      expect(result.stderr).not.toContain("Traceback");
      expect(out).toMatchObject(EXPECTED_ROUNDTRIP);
    }, 90_000);
  }

  test("a client that does not trust the broker's certificate is refused", async () => {
    const other = await makeCa("some-other-ca");
    const { listed, log } = await confluentListTopics(broker.tlsUrl!, { "security.protocol": "SSL", "ssl.ca.location": other.cert });
    expect(listed).toBe(false);
    expect(log).toContain("certificate verify failed");
  }, 60_000);
});

describe("client certificates (mTLS)", () => {
  let broker: RunningBroker;
  let client: Issued;
  beforeAll(async () => {
    client = await issue(ca, "/C=GB/O=Acme/OU=eng/CN=client", "client");
    broker = await startBroker({ tls: true, args: tlsArgs(server, ca.cert) });
  });
  afterAll(() => broker.stop());

  const mtls = (cert: Issued) => ({ "security.protocol": "SSL", "ssl.ca.location": ca.cert, "ssl.certificate.location": cert.cert, "ssl.key.location": cert.key });

  test("a client with a certificate from the CA is served", async () => {
    const { out } = await confluentRoundTrip(broker.tlsUrl!, "mtls", mtls(client));
    expect(out).toMatchObject(EXPECTED_ROUNDTRIP);
  }, 90_000);

  test("no certificate, or one from another CA, is refused while the broker keeps serving others", async () => {
    const stranger = await issue(await makeCa("untrusted-ca"), "/CN=stranger", "client");
    const refused = await Promise.all([
      confluentListTopics(broker.tlsUrl!, { "security.protocol": "SSL", "ssl.ca.location": ca.cert }),
      confluentListTopics(broker.tlsUrl!, mtls(stranger)),
    ]);
    for (const { listed } of refused) expect(listed).toBe(false);
    const served = await confluentListTopics(broker.tlsUrl!, mtls(client));
    expect(served.listed).toBe(true);
  }, 60_000);
});

test("certificates replaced on disk are served without a restart", async () => {
  const dir = tempDir("tansu-rotate-");
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  copyFileSync(server.cert, certFile);
  copyFileSync(server.key, keyFile);
  const broker = await startBroker({ tls: true, args: ["--tls-cert-file", certFile, "--tls-key-file", keyFile], env: { TLS_RELOAD_INTERVAL_MS: "100" } });
  try {
    const ssl = (caFile: string) => ({ "security.protocol": "SSL", "ssl.ca.location": caFile });
    expect((await confluentListTopics(broker.tlsUrl!, ssl(ca.cert))).listed).toBe(true);
    const nextCa = await makeCa("next-ca");
    const next = await issue(nextCa, "/CN=localhost", "server");
    // The key first: until the certificate follows, the pair does not match and the old one stays.
    copyFileSync(next.key, keyFile);
    copyFileSync(next.cert, certFile);
    const deadline = Date.now() + 20_000;
    let listed = false;
    while (!listed && Date.now() < deadline) listed = (await confluentListTopics(broker.tlsUrl!, ssl(nextCa.cert))).listed;
    expect(listed).toBe(true);
    expect((await confluentListTopics(broker.tlsUrl!, ssl(ca.cert))).listed).toBe(false);
    expect(broker.logs()).toContain("now serves the reloaded certificate");
  } finally {
    await broker.stop();
  }
}, 60_000);

test("bad security options are one-line errors with a non-zero exit", async () => {
  for (const [args, message] of [
    [["--listener-url", "tls://127.0.0.1:0"], "tls:// listeners need --tls-cert-file and --tls-key-file"],
    [["--listener-url", "tcp://127.0.0.1:0,tcp://127.0.0.1:0"], "--advertised-listener-url must list one URL per listener"],
    [["--sasl-mechanisms", "GSSAPI"], "unsupported mechanism GSSAPI"],
    [["--sasl-mechanisms", "OAUTHBEARER"], "needs --oauth-jwks-url"],
    [["--authorizer", "ranger"], "unknown authorizer ranger"],
    [["--connections-max-reauth-ms", "soon"], "--connections-max-reauth-ms must be a non-negative integer"],
  ] as const) {
    const result = await runCommand([BROKER_BINARY, "broker", "--storage-engine", "memory://", ...args], { cwd: tempDir("tansu-bad-security-") });
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout + result.stderr).toContain(message);
  }
});
