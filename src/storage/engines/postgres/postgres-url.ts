// What a postgres:// (or postgresql://) storage URL asks for, as client settings for the
// `postgres` library. The URL is libpq's: user, password, host, port and database, plus the
// query parameters below. Unknown parameters are refused (libpq refuses them too) rather than
// passed to the server as settings, which would fail later with a less helpful message.

import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";

export type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";

export interface PostgresSettings {
  /** For messages: the URL without its password. */
  display: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** false, a mode the library understands, or TLS options for verify-ca / verify-full with a root certificate. */
  ssl: false | "prefer" | "require" | "verify-full" | ConnectionOptions;
  applicationName: string;
  /** Connections in the broker's pool (LISTEN uses one more). */
  poolSize: number;
  connectTimeoutSeconds: number;
}

const SSL_MODES: readonly SslMode[] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];
const PARAMETERS = ["sslmode", "sslrootcert", "application_name", "pool_max_conns", "connect_timeout"];

export const DEFAULT_POOL_SIZE = 10;
const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;

/**
 * Parses postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=…&sslrootcert=…&application_name=…&pool_max_conns=…&connect_timeout=…
 * Defaults as libpq's: localhost:5432, database named after the user, sslmode=prefer.
 * @throws Error naming what is wrong with the URL
 */
export function postgresSettings(url: string): PostgresSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new Error(`postgres storage URL is malformed: ${redact(url)}`, { cause: error });
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new Error(`not a postgres:// URL: ${redact(url)}`);
  }
  const params = parsed.searchParams;
  const unknown = [...params.keys()].filter((key) => !PARAMETERS.includes(key));
  if (unknown.length > 0) {
    throw new Error(`postgres storage URL: unknown parameter ${unknown.join(", ")}; supported: ${PARAMETERS.join(", ")}`);
  }
  const user = decodeURIComponent(parsed.username) || process.env.USER || "postgres";
  const path = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  const settings: PostgresSettings = {
    display: redact(url),
    host: parsed.hostname.replace(/^\[(.*)\]$/, "$1") || "localhost",
    port: parsed.port === "" ? 5432 : Number(parsed.port),
    database: path || user,
    user,
    password: decodeURIComponent(parsed.password),
    ssl: sslOption(params.get("sslmode") ?? "prefer", params.get("sslrootcert")),
    applicationName: params.get("application_name") ?? "tansu",
    poolSize: positiveInteger(params.get("pool_max_conns"), "pool_max_conns", DEFAULT_POOL_SIZE),
    connectTimeoutSeconds: positiveInteger(params.get("connect_timeout"), "connect_timeout", DEFAULT_CONNECT_TIMEOUT_SECONDS),
  };
  return settings;
}

function sslOption(mode: string, rootCertPath: string | null): PostgresSettings["ssl"] {
  if (!SSL_MODES.includes(mode as SslMode)) {
    throw new Error(`postgres storage URL: sslmode=${mode} is not one of ${SSL_MODES.join(", ")}`);
  }
  const ca = rootCertPath === null ? undefined : readRootCert(rootCertPath);
  switch (mode as SslMode) {
    case "disable":
      return false;
    case "allow":
    case "prefer":
      // Either way a server without TLS is accepted; the library only knows how to try TLS first.
      return "prefer";
    case "require":
      // As libpq: without verify-*, the server's certificate is not checked.
      return "require";
    case "verify-ca":
      // The chain must lead to a trusted root, but the host name is not compared.
      return { rejectUnauthorized: true, ca, checkServerIdentity: () => undefined };
    case "verify-full":
      return ca === undefined ? "verify-full" : { rejectUnauthorized: true, ca };
  }
}

function readRootCert(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`postgres storage URL: cannot read sslrootcert ${path}: ${(error as Error).message}`, { cause: error });
  }
}

function positiveInteger(text: string | null, name: string, fallback: number): number {
  if (text === null) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`postgres storage URL: ${name}=${text} must be a positive integer`);
  return value;
}

/** The URL with its password replaced, for logs and errors. */
function redact(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}
