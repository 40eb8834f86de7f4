// SCRAM (RFC 5802, with RFC 7677's SHA-256 and Kafka's SHA-512): credentials derived from a
// password, and both ends of the exchange. The server keeps only the salt, the iteration count,
// StoredKey and ServerKey, never anything a client could log in with.
import { timingSafeEqual } from "node:crypto";

export const SCRAM = {
  "SCRAM-SHA-256": { hash: "SHA-256", bits: 256, code: 1 },
  "SCRAM-SHA-512": { hash: "SHA-512", bits: 512, code: 2 },
} as const;

export type ScramMechanism = keyof typeof SCRAM;

/** Kafka's bounds on the iteration count of stored credentials. */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;

/** What the store keeps of one user's password for one mechanism; byte fields in base64. */
export interface ScramCredential {
  salt: string;
  storedKey: string;
  serverKey: string;
  iterations: number;
}

/** An authentication failure to report to the client (SASL_AUTHENTICATION_FAILED) and close on. */
export class SaslAuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SaslAuthenticationError";
  }
}

export function isScramMechanism(name: string): name is ScramMechanism {
  return Object.hasOwn(SCRAM, name);
}

export function scramMechanismOf(code: number): ScramMechanism | null {
  for (const [name, m] of Object.entries(SCRAM)) if (m.code === code) return name as ScramMechanism;
  return null;
}

// WebCrypto takes ArrayBuffer-backed views only; ours never are shared, whatever their static type.
const buffer = (bytes: Uint8Array) => bytes as Uint8Array<ArrayBuffer>;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, "base64"));

/** Hi(password, salt, i) of RFC 5802: PBKDF2 with the mechanism's HMAC. */
export async function saltedPassword(mechanism: ScramMechanism, password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const { hash, bits } = SCRAM[mechanism];
  const key = await crypto.subtle.importKey("raw", utf8.encode(password), "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash, salt: buffer(salt), iterations }, key, bits));
}

async function hmac(mechanism: ScramMechanism, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", buffer(key), { name: "HMAC", hash: SCRAM[mechanism].hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, buffer(data)));
}

async function digest(mechanism: ScramMechanism, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(SCRAM[mechanism].hash, buffer(data)));
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((byte, i) => byte ^ b[i]!);
}

/** The stored form of a credential from the salted password (what AlterUserScramCredentials carries). */
export async function credentialFromSalted(mechanism: ScramMechanism, salt: Uint8Array, salted: Uint8Array, iterations: number): Promise<ScramCredential> {
  const clientKey = await hmac(mechanism, salted, utf8.encode("Client Key"));
  return {
    salt: b64(salt),
    storedKey: b64(await digest(mechanism, clientKey)),
    serverKey: b64(await hmac(mechanism, salted, utf8.encode("Server Key"))),
    iterations,
  };
}

export function randomSalt(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

/** Whether `password` is the one `credential` was made from (how PLAIN checks against SCRAM credentials). */
export async function passwordMatches(mechanism: ScramMechanism, credential: ScramCredential, password: string): Promise<boolean> {
  const salt = unb64(credential.salt);
  const derived = await credentialFromSalted(mechanism, salt, await saltedPassword(mechanism, password, salt, credential.iterations), credential.iterations);
  return sameBytes(unb64(derived.storedKey), unb64(credential.storedKey));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

/** Parses "k=v,k=v" SCRAM attributes (one-letter keys, and named extensions); values may contain "=". */
function attributes(message: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of message.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 1) throw new SaslAuthenticationError(`Invalid SCRAM message attribute "${part}"`);
    map.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return map;
}

/** RFC 5802's saslname: "," and "=" travel as "=2C" and "=3D". */
function decodeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new SaslAuthenticationError("Invalid SCRAM user name encoding");
  return name.replaceAll("=2C", ",").replaceAll("=3D", "=");
}

export function encodeSaslName(name: string): string {
  return name.replaceAll("=", "=3D").replaceAll(",", "=2C");
}

function nonce(): string {
  return b64(crypto.getRandomValues(new Uint8Array(24))).replace(/[=+/]/g, "");
}

function text(bytes: Uint8Array): string {
  try {
    return fromUtf8.decode(bytes);
  } catch {
    throw new SaslAuthenticationError("SCRAM message is not UTF-8");
  }
}

/**
 * The server's side of one SCRAM exchange: client-first -> server-first, client-final ->
 * server-final. `lookup` finds the user's credential in the store.
 */
export class ScramServer {
  #state: "first" | "final" | "done" = "first";
  #user = "";
  #gs2Header = "";
  #clientFirstBare = "";
  #serverFirst = "";
  #nonce = "";
  #credential: ScramCredential | null = null;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly lookup: (user: string) => Promise<ScramCredential | null>,
  ) {}

  /** The authenticated user name once the exchange completed. */
  get user(): string | null {
    return this.#state === "done" ? this.#user : null;
  }

  /** One client message in, the reply out. @throws SaslAuthenticationError */
  async step(message: Uint8Array): Promise<Uint8Array> {
    if (this.#state === "first") return this.#first(text(message));
    if (this.#state === "final") return this.#final(text(message));
    throw new SaslAuthenticationError("SCRAM exchange already complete");
  }

  async #first(message: string): Promise<Uint8Array> {
    // gs2-header: "n,," or "y,," with an optional authzid "a=name", then client-first-bare.
    const match = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(message);
    if (!match) throw new SaslAuthenticationError("Invalid SCRAM client-first message");
    this.#gs2Header = `${match[1]},${match[2] ?? ""},`;
    this.#clientFirstBare = match[3]!;
    const attrs = attributes(this.#clientFirstBare);
    const user = attrs.get("n");
    const clientNonce = attrs.get("r");
    if (user === undefined || !clientNonce) throw new SaslAuthenticationError("Invalid SCRAM client-first message");
    // Extensions: Kafka's only one is tokenauth, for delegation tokens, which tansu does not issue.
    if (attrs.get("tokenauth") === "true") {
      throw new SaslAuthenticationError("Delegation token authentication is not supported");
    }
    this.#user = decodeSaslName(user);
    const authzid = match[2]?.slice(2);
    if (authzid && decodeSaslName(authzid) !== this.#user) {
      throw new SaslAuthenticationError("Authentication failed: Client requested an authorization id that is different from username");
    }
    this.#credential = await this.lookup(this.#user);
    if (!this.#credential) throw new SaslAuthenticationError("Authentication failed: Invalid user credentials");
    this.#nonce = clientNonce + nonce();
    this.#serverFirst = `r=${this.#nonce},s=${this.#credential.salt},i=${this.#credential.iterations}`;
    this.#state = "final";
    return utf8.encode(this.#serverFirst);
  }

  async #final(message: string): Promise<Uint8Array> {
    const proofAt = message.lastIndexOf(",p=");
    if (proofAt < 0) throw new SaslAuthenticationError("Invalid SCRAM client-final message");
    const withoutProof = message.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    // Kafka checks only that the nonce ends with the server's: librdkafka 2.0 repeats the client's part.
    if (!(attrs.get("r") ?? "").endsWith(this.#nonce)) throw new SaslAuthenticationError("Invalid SCRAM nonce");
    if (attrs.get("c") !== b64(utf8.encode(this.#gs2Header))) throw new SaslAuthenticationError("Invalid SCRAM channel binding");
    const credential = this.#credential!;
    const authMessage = utf8.encode(`${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`);
    const storedKey = unb64(credential.storedKey);
    const clientSignature = await hmac(this.mechanism, storedKey, authMessage);
    const proof = unb64(message.slice(proofAt + 3));
    if (proof.byteLength !== clientSignature.byteLength) throw new SaslAuthenticationError("Authentication failed: Invalid user credentials");
    const clientKey = xor(proof, clientSignature);
    if (!sameBytes(await digest(this.mechanism, clientKey), storedKey)) {
      throw new SaslAuthenticationError("Authentication failed: Invalid user credentials");
    }
    this.#state = "done";
    const serverSignature = await hmac(this.mechanism, unb64(credential.serverKey), authMessage);
    return utf8.encode(`v=${b64(serverSignature)}`);
  }
}

/** The client's side, for tansu's own CLI. */
export class ScramClient {
  readonly #clientNonce = nonce();
  readonly #clientFirstBare: string;
  #expectedServerSignature: Uint8Array | null = null;

  constructor(
    readonly mechanism: ScramMechanism,
    user: string,
    private readonly password: string,
  ) {
    this.#clientFirstBare = `n=${encodeSaslName(user)},r=${this.#clientNonce}`;
  }

  first(): Uint8Array {
    return utf8.encode(`n,,${this.#clientFirstBare}`);
  }

  async final(serverFirst: Uint8Array): Promise<Uint8Array> {
    const serverFirstText = text(serverFirst);
    const attrs = attributes(serverFirstText);
    const serverNonce = attrs.get("r") ?? "";
    const salt = unb64(attrs.get("s") ?? "");
    const iterations = Number(attrs.get("i"));
    if (!serverNonce.startsWith(this.#clientNonce) || !Number.isInteger(iterations) || iterations <= 0) {
      throw new SaslAuthenticationError("Invalid SCRAM server-first message");
    }
    const withoutProof = `c=${b64(utf8.encode("n,,"))},r=${serverNonce}`;
    const authMessage = utf8.encode(`${this.#clientFirstBare},${serverFirstText},${withoutProof}`);
    const salted = await saltedPassword(this.mechanism, this.password, salt, iterations);
    const clientKey = await hmac(this.mechanism, salted, utf8.encode("Client Key"));
    const storedKey = await digest(this.mechanism, clientKey);
    const proof = xor(clientKey, await hmac(this.mechanism, storedKey, authMessage));
    this.#expectedServerSignature = await hmac(this.mechanism, await hmac(this.mechanism, salted, utf8.encode("Server Key")), authMessage);
    return utf8.encode(`${withoutProof},p=${b64(proof)}`);
  }

  /** Checks the server proved it knows the credential too. @throws SaslAuthenticationError */
  verify(serverFinal: Uint8Array): void {
    const attrs = attributes(text(serverFinal));
    const error = attrs.get("e");
    if (error !== undefined) throw new SaslAuthenticationError(`SCRAM server error: ${error}`);
    if (!this.#expectedServerSignature || !sameBytes(unb64(attrs.get("v") ?? ""), this.#expectedServerSignature)) {
      throw new SaslAuthenticationError("The server's SCRAM signature does not match");
    }
  }
}
