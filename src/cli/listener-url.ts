/** Parses `tcp://host:port` listener URLs as the broker options take them. */
export function parseListenerUrl(url: string, option: string): { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new Error(`${option}: "${url}" is not a URL (expected tcp://host:port)`, { cause: error });
  }
  if (parsed.protocol !== "tcp:") throw new Error(`${option}: "${url}" must use the tcp:// scheme`);
  const port = Number(parsed.port || "9092");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${option}: bad port in "${url}"`);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ""), port };
}

/** Parses the `http://host:port` URL of the HTTP listener (--http-listener-url). */
export function parseHttpListenerUrl(url: string): { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new Error(`--http-listener-url: "${url}" is not a URL (expected http://host:port)`, { cause: error });
  }
  if (parsed.protocol !== "http:") throw new Error(`--http-listener-url: "${url}" must use the http:// scheme`);
  const port = Number(parsed.port || "80");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--http-listener-url: bad port in "${url}"`);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ""), port };
}
