import { listOption } from "./list-option.ts";

export interface ListenerUrl {
  host: string;
  port: number;
  /** tls:// (Kafka's SSL, or SASL_SSL with SASL on); tcp:// is plaintext. */
  tls: boolean;
}

/**
 * An IPv6 host without the brackets a URL writes around it. Not with a regular expression: the broker's
 * start-up path has none, as the first one costs about 1 MiB of runtime code (docs/BENCHMARKS.md, Startup).
 */
function unbracketed(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

/** Parses a `tcp://host:port` or `tls://host:port` listener URL as the broker options take them. */
export function parseListenerUrl(url: string, option: string): ListenerUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new Error(`${option}: "${url}" is not a URL (expected tcp://host:port or tls://host:port)`, { cause: error });
  }
  if (parsed.protocol !== "tcp:" && parsed.protocol !== "tls:") throw new Error(`${option}: "${url}" must use the tcp:// or tls:// scheme`);
  const port = Number(parsed.port || "9092");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${option}: bad port in "${url}"`);
  return { host: unbracketed(parsed.hostname), port, tls: parsed.protocol === "tls:" };
}

/** A comma-separated list of listener URLs. */
export function parseListenerUrls(list: string, option: string): ListenerUrl[] {
  const urls = listOption(list);
  if (urls.length === 0) throw new Error(`${option}: no listener given`);
  const parsed: ListenerUrl[] = [];
  for (const url of urls) parsed.push(parseListenerUrl(url, option));
  return parsed;
}

/** `host:port, host:port`, with tls:// before those that are; `ports` in place of the URLs' own when given. */
export function describeListeners(listeners: readonly ListenerUrl[], ports?: readonly number[]): string {
  let text = "";
  for (let i = 0; i < listeners.length; i++) {
    const l = listeners[i]!;
    text += `${i > 0 ? ", " : ""}${l.tls ? "tls://" : ""}${l.host}:${ports?.[i] ?? l.port}`;
  }
  return text;
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
  return { host: unbracketed(parsed.hostname), port };
}
