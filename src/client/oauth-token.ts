// An OAUTHBEARER access token from an OpenID Connect provider's token endpoint, with the OAuth 2.0
// client credentials grant (RFC 6749 §4.4): what librdkafka does for sasl.oauthbearer.method=oidc.
// The client authenticates with HTTP Basic, its id and secret form-encoded first (§2.3.1).

export interface ClientCredentials {
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes to ask for, if any. */
  scope?: string;
}

export class OAuthTokenError extends Error {
  override name = "OAuthTokenError";
}

/** @throws OAuthTokenError naming the endpoint and, when it said, the provider's error and description. */
export async function fetchAccessToken(credentials: ClientCredentials): Promise<string> {
  const form = new URLSearchParams({ grant_type: "client_credentials" });
  if (credentials.scope) form.set("scope", credentials.scope);
  const basic = btoa(`${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`);
  const where = `token endpoint ${credentials.tokenEndpoint}`;
  let response: Response;
  try {
    response = await fetch(credentials.tokenEndpoint, {
      method: "POST",
      headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: form,
    });
  } catch (error) {
    throw new OAuthTokenError(`${where}: ${(error as Error).message}`, { cause: error });
  }
  const text = await response.text();
  let body: { access_token?: unknown; error?: unknown; error_description?: unknown } = {};
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: reported below with the status.
  }
  if (!response.ok) {
    const reason = [body.error, body.error_description].filter((part) => typeof part === "string").join(": ");
    throw new OAuthTokenError(`${where} answered ${response.status}${reason ? `: ${reason}` : ""}`);
  }
  if (typeof body.access_token !== "string" || body.access_token === "") {
    throw new OAuthTokenError(`${where} answered without an access_token`);
  }
  return body.access_token;
}
