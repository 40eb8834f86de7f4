// SASL/PLAIN (RFC 4616) checked against the users' SCRAM credentials in the store: the password
// is run through the stored salt and iterations and compared with StoredKey, so no password is
// kept anywhere and PLAIN and SCRAM accept exactly the same users.
import type { UserCredentials } from "./credential-store.ts";
import { passwordMatches, SaslAuthenticationError, type ScramMechanism } from "./scram.ts";

const INVALID = "Authentication failed: Invalid username or password";

/** The user PLAIN's single message authenticates. @throws SaslAuthenticationError */
export async function authenticatePlain(message: Uint8Array, lookup: (user: string) => Promise<UserCredentials | null>): Promise<string> {
  let fields: string[];
  try {
    fields = new TextDecoder("utf-8", { fatal: true }).decode(message).split("\u0000");
  } catch {
    throw new SaslAuthenticationError("Invalid SASL/PLAIN message: not UTF-8");
  }
  if (fields.length !== 3) throw new SaslAuthenticationError("Invalid SASL/PLAIN message: expected authzid, username and password");
  const [authzid, user, password] = fields as [string, string, string];
  if (user === "") throw new SaslAuthenticationError("Authentication failed: username not specified");
  if (authzid !== "" && authzid !== user) {
    throw new SaslAuthenticationError("Authentication failed: Client requested an authorization id that is different from username");
  }
  if (await passwordProves(await lookup(user), password)) return user;
  throw new SaslAuthenticationError(INVALID);
}

/** Whether the user's stored credentials were made from `password`: any mechanism's proves it; the stronger one is checked when both exist. */
export async function passwordProves(credentials: UserCredentials | null, password: string): Promise<boolean> {
  for (const mechanism of ["SCRAM-SHA-512", "SCRAM-SHA-256"] as ScramMechanism[]) {
    const credential = credentials?.[mechanism];
    if (credential) return passwordMatches(mechanism, credential, password);
  }
  return false;
}
