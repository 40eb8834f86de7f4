// SASL on an in-process broker: what may happen before authentication, the handshake's
// states, the legacy raw-token framing, re-authentication (KIP-368), and the SCRAM user APIs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KafkaConnection, type ConnectOptions } from "../../src/client/kafka-connection.ts";
import { ApiKey } from "../../src/protocol/generated/apis.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { encodeRequest } from "../../src/protocol/messages.ts";
import { securityFor } from "../../src/security/index.ts";
import { putCredential } from "../../src/security/credential-store.ts";
import { credentialFromSalted, randomSalt, saltedPassword, SCRAM } from "../../src/security/scram.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { startInProcessBroker, type InProcessBroker } from "../broker/in-process-broker.ts";
import { rawSocket } from "../harness/raw-socket.ts";

async function addUser(storage: Storage, user: string, password: string): Promise<void> {
  const salt = randomSalt();
  await putCredential(storage, user, "SCRAM-SHA-256", await credentialFromSalted("SCRAM-SHA-256", salt, await saltedPassword("SCRAM-SHA-256", password, salt, 4096), 4096));
}

function saslBroker(reauthMs = 0): Promise<InProcessBroker> {
  return startInProcessBroker({ maxRequestBytes: 4 * 1024 * 1024 }, "memory://", 0, async (storage) => {
    await addUser(storage, "alice", "alice-secret");
    await addUser(storage, "bob", "bob-secret");
    return securityFor(storage, {
      mechanisms: ["PLAIN", "SCRAM-SHA-256"],
      reauthMs,
      oauth: { jwksUrl: undefined, issuer: undefined, audience: [], principalClaim: "sub" },
      acl: null,
      cacheMs: 0,
      quotas: null,
    });
  });
}

const alice: ConnectOptions = { sasl: { mechanism: "SCRAM-SHA-256", username: "alice", password: "alice-secret" } };
const metadata = (c: KafkaConnection) => c.request(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });

function sizePrefixed(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.byteLength);
  new DataView(out.buffer).setInt32(0, body.byteLength);
  out.set(body, 4);
  return out;
}

describe("before authentication", () => {
  let broker: InProcessBroker;
  beforeAll(async () => {
    broker = await saslBroker();
  });
  afterAll(() => broker.stop());

  test("ApiVersions is answered, anything else closes the connection", async () => {
    const c = await broker.connect();
    const versions = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "test", clientSoftwareVersion: "1" });
    expect(versions.apiKeys.map((k) => k.apiKey)).toContain(ApiKey.SaslAuthenticate);
    await expect(metadata(c)).rejects.toThrow("closed");
  });

  test("a size prefix past the pre-authentication limit closes the connection before any of it arrives", async () => {
    const raw = await rawSocket(broker.broker.port);
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setInt32(0, 600 * 1024);
    raw.socket.write(prefix);
    await raw.closed;
    // After authenticating, the same size is an ordinary request.
    const c = await broker.connect(alice);
    const topics = Array.from({ length: 3000 }, (_, i) => ({ name: `${i}-${"x".repeat(200)}`, topicId: "00000000-0000-0000-0000-000000000000" }));
    const big = await c.request(ApiKey.Metadata, 12, { topics, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(big.topics.length).toBe(3000);
  });

  test("garbage closes the connection; the broker goes on serving", async () => {
    const raw = await rawSocket(broker.broker.port);
    raw.socket.write(sizePrefixed(crypto.getRandomValues(new Uint8Array(64))));
    await raw.closed;
    expect((await metadata(await broker.connect(alice))).brokers.length).toBe(1);
  });

  test("an unknown mechanism is refused with the enabled ones, and the connection closed", async () => {
    const c = await broker.connect();
    const refused = await c.request(ApiKey.SaslHandshake, 1, { mechanism: "GSSAPI" });
    expect(refused).toEqual({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ["PLAIN", "SCRAM-SHA-256"] });
    await expect(metadata(c)).rejects.toThrow("closed");
  });

  test("SaslAuthenticate without a handshake is ILLEGAL_SASL_STATE", async () => {
    const c = await broker.connect();
    const response = await c.request(ApiKey.SaslAuthenticate, 2, { authBytes: new Uint8Array(3) });
    expect(response.errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
  });

  test("wrong passwords and unknown users fail with SASL_AUTHENTICATION_FAILED", async () => {
    for (const sasl of [
      { mechanism: "PLAIN", username: "alice", password: "nope" },
      { mechanism: "PLAIN", username: "carol", password: "alice-secret" },
      { mechanism: "SCRAM-SHA-256", username: "alice", password: "nope" },
      { mechanism: "SCRAM-SHA-256", username: "carol", password: "x" },
    ] as const) {
      await expect(broker.connect({ sasl })).rejects.toThrow(/Invalid (username or password|user credentials)/);
    }
  });

  test("after a v0 handshake the exchange travels as bare tokens (kafka-python's framing)", async () => {
    const raw = await rawSocket(broker.broker.port);
    const handshakeFrame = await encodeRequest({ apiKey: ApiKey.SaslHandshake, apiVersion: 0, correlationId: 7, clientId: "raw" }, { mechanism: "PLAIN" });
    const metadataFrame = await encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 1, correlationId: 8, clientId: "raw" }, { topics: [] });
    raw.socket.write(handshakeFrame);
    raw.socket.write(sizePrefixed(new TextEncoder().encode("\u0000alice\u0000alice-secret")));
    raw.socket.write(metadataFrame);
    // The handshake response, an empty token frame (PLAIN's success), then the Metadata response.
    const [handshake, token, answer] = await raw.frames(3);
    expect(new DataView(handshake!.buffer).getInt32(0)).toBe(7);
    expect(token!.byteLength).toBe(0);
    expect(new DataView(answer!.buffer).getInt32(0)).toBe(8);
    raw.socket.end();
  });
});

describe("re-authentication (KIP-368)", () => {
  let broker: InProcessBroker;
  beforeAll(async () => {
    broker = await saslBroker(400);
  });
  afterAll(() => broker.stop());

  async function authenticate(c: KafkaConnection, user: string, password: string) {
    const handshake = await c.request(ApiKey.SaslHandshake, 1, { mechanism: "PLAIN" });
    expect(handshake.errorCode).toBe(ErrorCode.NONE);
    return c.request(ApiKey.SaslAuthenticate, 2, { authBytes: new TextEncoder().encode(`\u0000${user}\u0000${password}`) });
  }

  test("the session lifetime is announced; a request after it ends closes the connection", async () => {
    const c = await broker.connect();
    const response = await authenticate(c, "alice", "alice-secret");
    expect(response.sessionLifetimeMs).toBe(400n);
    expect((await metadata(c)).brokers.length).toBe(1);
    await Bun.sleep(450); // the session's lifetime passing is what is tested
    await expect(metadata(c)).rejects.toThrow("closed");
  });

  test("re-authenticating as the same principal renews the session", async () => {
    const c = await broker.connect();
    await authenticate(c, "alice", "alice-secret");
    await Bun.sleep(250);
    expect((await authenticate(c, "alice", "alice-secret")).errorCode).toBe(ErrorCode.NONE);
    await Bun.sleep(250); // past the first session's end, within the renewed one
    expect((await metadata(c)).brokers.length).toBe(1);
  });

  test("re-authenticating as someone else fails and closes the connection", async () => {
    const c = await broker.connect();
    await authenticate(c, "alice", "alice-secret");
    const response = await authenticate(c, "bob", "bob-secret");
    expect(response.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
    expect(response.errorMessage).toContain("Cannot change principals");
    await expect(metadata(c)).rejects.toThrow("closed");
  });
});

describe("AlterUserScramCredentials and DescribeUserScramCredentials", () => {
  let broker: InProcessBroker;
  beforeAll(async () => {
    broker = await startInProcessBroker();
  });
  afterAll(() => broker.stop());

  const upsert = (name: string, iterations = 4096, mechanism: number = SCRAM["SCRAM-SHA-256"].code) => ({
    name,
    mechanism,
    iterations,
    salt: new Uint8Array([1, 2, 3]),
    saltedPassword: new Uint8Array(32),
  });

  test("Kafka's validation: iterations, mechanism, empty and repeated names, missing credentials", async () => {
    const c = await broker.connect();
    const altered = await c.request(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [{ name: "ghost", mechanism: 1 }, { name: "twice", mechanism: 1 }],
      upsertions: [upsert("ok"), upsert("few", 100), upsert("many", 20000), upsert("odd", 4096, 9), upsert(""), upsert("twice")],
    });
    const byUser = Object.fromEntries(altered.results.map((r) => [r.user, r.errorCode]));
    expect(byUser).toEqual({
      ok: ErrorCode.NONE,
      ghost: ErrorCode.RESOURCE_NOT_FOUND,
      few: ErrorCode.UNACCEPTABLE_CREDENTIAL,
      many: ErrorCode.UNACCEPTABLE_CREDENTIAL,
      odd: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
      "": ErrorCode.UNACCEPTABLE_CREDENTIAL,
      twice: ErrorCode.DUPLICATE_RESOURCE,
    });
    const described = await c.request(ApiKey.DescribeUserScramCredentials, 0, { users: [{ name: "ok" }, { name: "ghost" }, { name: "ok2" }, { name: "ok2" }] });
    expect(described.results.map((r) => [r.user, r.errorCode, r.credentialInfos])).toEqual([
      ["ok", ErrorCode.NONE, [{ mechanism: 1, iterations: 4096 }]],
      ["ghost", ErrorCode.RESOURCE_NOT_FOUND, []],
      ["ok2", ErrorCode.DUPLICATE_RESOURCE, []],
    ]);
    const all = await c.request(ApiKey.DescribeUserScramCredentials, 0, { users: null });
    expect(all.results.map((r) => r.user)).toEqual(["ok"]);
  });
});
