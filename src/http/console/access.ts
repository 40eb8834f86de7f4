// Who may see what through the console: the broker's own authorization. A broker running with
// SASL or an authorizer asks for HTTP Basic credentials, checked against the users' credentials
// in the store as SASL/PLAIN checks them; the principal (User:<name>) then sees through the console
// what its ACLs let the Kafka APIs show it, super users everything. A broker with neither serves
// the console to anyone, as its Kafka listeners serve everyone.
import { consola } from "../../log.ts";
import type { BrokerContext } from "../../broker/context.ts";
import { ALLOW_ALL, type RequestAuthorizer } from "../../broker/security-hooks.ts";
import type { HttpClient } from "../server.ts";

const CHALLENGE = 'Basic realm="tansu console", charset="UTF-8"';

function unauthorized(error: string): Response {
  return Response.json({ error }, { status: 401, headers: { "www-authenticate": CHALLENGE, "cache-control": "no-store" } });
}

/** The user and password of an `Authorization: Basic` header (RFC 7617, UTF-8), or null. */
function basicCredentials(header: string | null): { user: string; password: string } | null {
  const match = header?.match(/^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i);
  if (!match) return null;
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(match[1]!, "base64"));
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  if (colon <= 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** What the request's principal may do, or the response refusing it: 401 without valid credentials. */
export async function consoleAuthorizer(ctx: BrokerContext, request: Request, client: HttpClient): Promise<RequestAuthorizer | Response> {
  const security = ctx.security;
  if (!security || (security.authorizer === null && security.saslMechanisms.length === 0)) return ALLOW_ALL;
  const credentials = basicCredentials(request.headers.get("authorization"));
  if (!credentials) return unauthorized("authentication required");
  let principal: string | null;
  try {
    principal = await security.authenticatePassword(credentials.user, credentials.password);
  } catch (error) {
    consola.warn(`console authentication from ${client.address} could not complete:`, error);
    return Response.json({ error: "the broker could not check the credentials" }, { status: 503 });
  }
  if (principal === null) {
    consola.info(`console authentication of ${credentials.user} from ${client.address} failed`);
    return unauthorized("invalid username or password");
  }
  return security.authorizer ? security.authorizer.forRequest(principal, client.address) : ALLOW_ALL;
}
