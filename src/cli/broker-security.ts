// The broker's security options: TLS listeners, SASL, the ACL authorizer and quotas. The
// security modules are imported only when an option asks for them, so a plain broker starts
// as fast and as small as before.
import type { ListenerSpec } from "../broker/server.ts";
import { QUOTA_EXEMPT_APIS, type BrokerSecurity, type QuotaEnforcer } from "../broker/security-hooks.ts";
import type { Storage } from "../storage/storage.ts";
import type { ListenerUrl } from "./listener-url.ts";
import { listOption } from "./list-option.ts";

const env = process.env;

export const securityArgs = {
  "tls-cert-file": { type: "string", description: "PEM certificate (chain) of tls:// listeners; reloaded when it changes (TLS_CERT_FILE)", default: env.TLS_CERT_FILE },
  "tls-key-file": { type: "string", description: "PEM private key of tls:// listeners (TLS_KEY_FILE)", default: env.TLS_KEY_FILE },
  "tls-ca-file": {
    type: "string",
    description: "PEM CA bundle: tls:// listeners require client certificates signed by it (mTLS) (TLS_CA_FILE)",
    default: env.TLS_CA_FILE,
  },
  "sasl-mechanisms": {
    type: "string",
    description: "Turn on SASL on every listener: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, comma-separated (SASL_MECHANISMS)",
    default: env.SASL_MECHANISMS,
  },
  "connections-max-reauth-ms": {
    type: "string",
    description: "SASL sessions must re-authenticate (KIP-368) within this; 0: never (CONNECTIONS_MAX_REAUTH_MS)",
    default: env.CONNECTIONS_MAX_REAUTH_MS ?? "0",
  },
  "oauth-jwks-url": {
    type: "string",
    description: "OAUTHBEARER: the JWKS verifying tokens, https://, http:// or a file path (OAUTH_JWKS_URL)",
    default: env.OAUTH_JWKS_URL,
  },
  "oauth-issuer": { type: "string", description: "OAUTHBEARER: the iss tokens must carry (OAUTH_ISSUER)", default: env.OAUTH_ISSUER },
  "oauth-audience": { type: "string", description: "OAUTHBEARER: accepted aud values, comma-separated (OAUTH_AUDIENCE)", default: env.OAUTH_AUDIENCE },
  "oauth-principal-claim": {
    type: "string",
    description: "OAUTHBEARER: the claim naming the principal (OAUTH_PRINCIPAL_CLAIM)",
    default: env.OAUTH_PRINCIPAL_CLAIM ?? "sub",
  },
  authorizer: { type: "string", description: "none, or acl for Kafka's ACLs kept in the store (AUTHORIZER)", default: env.AUTHORIZER ?? "none" },
  "super-users": { type: "string", description: "Principals allowed everything, e.g. User:admin;User:ops (SUPER_USERS)", default: env.SUPER_USERS },
  "allow-everyone-if-no-acl-found": {
    type: "boolean",
    description: "Allow access to resources no ACL names (ALLOW_EVERYONE_IF_NO_ACL_FOUND)",
    default: (env.ALLOW_EVERYONE_IF_NO_ACL_FOUND ?? "false") === "true",
  },
} as const;

type SecurityArgs = { [K in keyof typeof securityArgs]: (typeof securityArgs)[K]["type"] extends "boolean" ? boolean : string | undefined };

/** Environment-only tuning: how often TLS files are re-read, and how long ACLs and quotas are cached. */
const TLS_RELOAD_INTERVAL_MS = Number(env.TLS_RELOAD_INTERVAL_MS ?? 10_000);
/**
 * How long ACLs and quotas are reused. Every request reads them, so on an engine whose reads are billed (s3://) the
 * default is the engine's poll interval, the delay it accepts for other brokers' changes anyway: at 1 s a broker
 * serving any client GETs the quota object sixty times a minute.
 */
function securityCacheMs(storage: Storage): number {
  return Number(env.SECURITY_CACHE_MS ?? storage.intervals?.pollIntervalMs ?? 1_000);
}
/**
 * Quotas may be reused longer than ACLs where the engine asks (s3://): a client long-polling every 30 s would
 * otherwise cost a GET of the quota object per fetch, and a quota set through another broker only changes
 * throttling, while a revoked ACL must stop access soon.
 */
function quotaCacheMs(storage: Storage): number {
  return Number(env.SECURITY_CACHE_MS ?? storage.intervals?.quotaCacheMs ?? securityCacheMs(storage));
}
/** Kafka's quota.window.num and quota.window.size.seconds: the span client rates are measured over. */
function quotaWindows(): { samples: number; windowMs: number } {
  const samples = Number(env.QUOTA_WINDOW_NUM ?? 11);
  const seconds = Number(env.QUOTA_WINDOW_SIZE_SECONDS ?? 1);
  if (!Number.isInteger(samples) || samples < 1) throw new Error("QUOTA_WINDOW_NUM must be a positive integer");
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error("QUOTA_WINDOW_SIZE_SECONDS must be a positive integer");
  return { samples, windowMs: seconds * 1000 };
}

function nonNegative(value: string | undefined, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${option} must be a non-negative integer`);
  return n;
}

/** Listeners with their TLS settings and advertised addresses. */
export async function listenerSpecs(args: SecurityArgs, listeners: ListenerUrl[], advertised: ListenerUrl[]): Promise<ListenerSpec[]> {
  if (listeners.length > 1 && advertised.length !== listeners.length) {
    throw new Error(`--advertised-listener-url must list one URL per listener (${listeners.length} listeners, ${advertised.length} advertised)`);
  }
  let tls: ListenerSpec["tls"];
  let anyTls = false;
  for (const l of listeners) anyTls ||= l.tls;
  if (anyTls) {
    const certFile = args["tls-cert-file"];
    const keyFile = args["tls-key-file"];
    if (!certFile || !keyFile) throw new Error("tls:// listeners need --tls-cert-file and --tls-key-file");
    const { tlsFromFiles } = await import("../security/tls.ts");
    tls = tlsFromFiles({ certFile, keyFile, caFile: args["tls-ca-file"] }, TLS_RELOAD_INTERVAL_MS);
  }
  // A loop, not map(): this runs on every broker's start-up path (list-option.ts says why).
  const specs: ListenerSpec[] = [];
  for (let i = 0; i < listeners.length; i++) {
    const l = listeners[i]!;
    specs.push({
      hostname: l.host,
      port: l.port,
      ...(l.tls ? { tls } : {}),
      // One advertised URL for one listener keeps the context's own (the common case).
      ...(listeners.length > 1 ? { advertised: { host: advertised[i]!.host, port: advertised[i]!.port } } : {}),
    });
  }
  return specs;
}

/** SASL, the authorizer and quotas, as the options ask. */
export async function brokerSecurity(args: SecurityArgs, storage: Storage): Promise<BrokerSecurity> {
  const mechanisms = listOption(args["sasl-mechanisms"]?.toUpperCase());
  const authorizer = args.authorizer ?? "none";
  if (authorizer !== "none" && authorizer !== "acl") throw new Error(`--authorizer: unknown authorizer ${authorizer} (none or acl)`);
  const reauthMs = nonNegative(args["connections-max-reauth-ms"], "--connections-max-reauth-ms");
  const quotas = lazyQuotas(storage);
  if (mechanisms.length === 0 && authorizer === "none") return { saslMechanisms: [], saslSession: noSasl, authenticatePassword: noSasl, authorizer: null, quotas };
  const { securityFor } = await import("../security/index.ts");
  return securityFor(storage, {
    mechanisms,
    reauthMs,
    oauth: {
      jwksUrl: args["oauth-jwks-url"],
      issuer: args["oauth-issuer"],
      audience: listOption(args["oauth-audience"]),
      principalClaim: args["oauth-principal-claim"] ?? "sub",
    },
    acl:
      authorizer === "acl"
        ? {
            superUsers: listOption(args["super-users"], ";"),
            allowEveryoneIfNoAclFound: args["allow-everyone-if-no-acl-found"],
          }
        : null,
    cacheMs: securityCacheMs(storage),
    quotas,
  });
}

/**
 * Quotas apply on every broker (another broker may set them), but their code is imported on the
 * first request one can apply to, so a broker starts without it.
 */
function lazyQuotas(storage: Storage): QuotaEnforcer {
  const windows = quotaWindows();
  let loaded: Promise<QuotaEnforcer> | null = null;
  const load = () =>
    (loaded ??= import("../security/quota-enforcer.ts").then(({ ClientQuotas }) => new ClientQuotas(storage, quotaCacheMs(storage), windows)));
  return {
    async record(usage) {
      if (QUOTA_EXEMPT_APIS.has(usage.apiKey)) return 0;
      return (await load()).record(usage);
    },
    async mayThrottle(request) {
      if (QUOTA_EXEMPT_APIS.has(request.apiKey)) return false;
      return (await load()).mayThrottle(request);
    },
    async fetchBytesCap(request) {
      return (await load()).fetchBytesCap(request);
    },
    invalidate() {
      // Nothing is cached before the module is loaded.
      void loaded?.then((quotas) => quotas.invalidate());
    },
  };
}

function noSasl(): never {
  throw new Error("SASL is not enabled");
}
