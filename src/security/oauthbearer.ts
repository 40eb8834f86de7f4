// SASL/OAUTHBEARER (RFC 7628) as Kafka's OAuthBearerSaslServer speaks it: the client's one
// message carries "auth=Bearer <JWT>"; a refused token is answered with an error document, the
// client acknowledges it with a lone %x01, and the authentication then fails.
import type { SaslExchange } from "./sasl-session.ts";
import { SaslAuthenticationError } from "./scram.ts";
import type { JwtValidator } from "./jwt.ts";

const SEPARATOR = "\u0001";

/** gs2-header (with an optional a=authzid) then key=value pairs, each ended by %x01, and a final %x01. */
function bearerToken(message: string): { token: string; authzid: string | null } {
  const match = /^n,(?:a=([^,]*))?,\u0001((?:[A-Za-z]+=[\x21-\x7e \t\r\n]*\u0001)*)\u0001$/.exec(message);
  if (!match) throw new SaslAuthenticationError("Invalid OAUTHBEARER client first message");
  const pairs = new Map(
    match[2]!
      .split(SEPARATOR)
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)] as const),
  );
  const auth = /^bearer +(\S+)$/i.exec(pairs.get("auth") ?? "");
  if (!auth) throw new SaslAuthenticationError("Invalid OAUTHBEARER client first message: no auth=Bearer token");
  return { token: auth[1]!, authzid: match[1] ?? null };
}

export function oauthBearerExchange(validator: JwtValidator): SaslExchange {
  let refused: string | null = null;
  return {
    async step(message) {
      const text = new TextDecoder().decode(message);
      if (refused !== null) {
        if (text !== SEPARATOR) throw new SaslAuthenticationError("Invalid OAUTHBEARER message after a refused token");
        throw new SaslAuthenticationError(refused);
      }
      const { token, authzid } = bearerToken(text);
      try {
        const { user, expiresAt } = await validator.validate(token);
        if (authzid !== null && authzid !== user) {
          throw new SaslAuthenticationError(`Authentication failed: the authorization id ${authzid} is not the token's principal ${user}`);
        }
        return { reply: new Uint8Array(0), done: { user, expiresAt } };
      } catch (error) {
        if (!(error instanceof SaslAuthenticationError)) throw error;
        refused = error.message;
        return { reply: new TextEncoder().encode(JSON.stringify({ status: "invalid_token" })), done: null };
      }
    },
  };
}
