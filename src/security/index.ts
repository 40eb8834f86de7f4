// The security layer's entry point, imported by the CLI only when a broker is started with
// SASL or an authorizer: it builds what the broker's connections and handlers ask for.
import { userPrincipal, type BrokerSecurity, type PeerInfo, type QuotaEnforcer } from "../broker/security-hooks.ts";
import type { Storage } from "../storage/storage.ts";
import { AclAuthorizer } from "./authorizer.ts";
import { userCredentials } from "./credential-store.ts";
import { JwtValidator } from "./jwt.ts";
import { oauthBearerExchange } from "./oauthbearer.ts";
import { authenticatePlain, passwordProves } from "./plain.ts";
import { ConnectionSasl, type ExchangeFactory, type SaslExchange } from "./sasl-session.ts";
import { isScramMechanism, ScramServer, type ScramMechanism } from "./scram.ts";

export interface SecurityOptions {
  mechanisms: string[];
  reauthMs: number;
  oauth: { jwksUrl: string | undefined; issuer: string | undefined; audience: string[]; principalClaim: string };
  acl: { superUsers: string[]; allowEveryoneIfNoAclFound: boolean } | null;
  /** How long ACLs are cached before they are read from the store again. */
  cacheMs: number;
  quotas: QuotaEnforcer | null;
}

function scramExchange(storage: Storage, mechanism: ScramMechanism): ExchangeFactory {
  return () => {
    const server = new ScramServer(mechanism, async (user) => (await userCredentials(storage, user))?.[mechanism] ?? null);
    return {
      async step(message) {
        const reply = await server.step(message);
        return { reply, done: server.user === null ? null : { user: server.user, expiresAt: null } };
      },
    };
  };
}

function plainExchange(storage: Storage): ExchangeFactory {
  return (): SaslExchange => ({
    async step(message) {
      const user = await authenticatePlain(message, (name) => userCredentials(storage, name));
      return { reply: new Uint8Array(0), done: { user, expiresAt: null } };
    },
  });
}

function exchanges(storage: Storage, options: SecurityOptions): Map<string, ExchangeFactory> {
  const factories = new Map<string, ExchangeFactory>();
  for (const mechanism of options.mechanisms) {
    if (mechanism === "PLAIN") factories.set(mechanism, plainExchange(storage));
    else if (isScramMechanism(mechanism)) factories.set(mechanism, scramExchange(storage, mechanism));
    else if (mechanism === "OAUTHBEARER") {
      const { jwksUrl, ...rest } = options.oauth;
      if (!jwksUrl) throw new Error("--sasl-mechanisms OAUTHBEARER needs --oauth-jwks-url (the keys that sign the tokens)");
      const validator = new JwtValidator({ jwksUrl, ...rest });
      factories.set(mechanism, () => oauthBearerExchange(validator));
    }
    else throw new Error(`--sasl-mechanisms: unsupported mechanism ${mechanism} (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER)`);
  }
  return factories;
}

export async function securityFor(storage: Storage, options: SecurityOptions): Promise<BrokerSecurity> {
  const mechanisms = exchanges(storage, options);
  return {
    saslMechanisms: [...mechanisms.keys()],
    saslSession: (peer: PeerInfo) => new ConnectionSasl(mechanisms, options.reauthMs, peer),
    authenticatePassword: async (user, password) => ((await passwordProves(await userCredentials(storage, user), password)) ? userPrincipal(user) : null),
    authorizer: options.acl ? new AclAuthorizer(storage, options.acl, options.cacheMs) : null,
    quotas: options.quotas,
  };
}

