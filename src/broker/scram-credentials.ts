import { ApiKey } from "../protocol/generated/apis.ts";
import type { AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse } from "../protocol/generated/alter-user-scram-credentials.ts";
import type {
  DescribeUserScramCredentialsRequest,
  DescribeUserScramCredentialsResponse,
} from "../protocol/generated/describe-user-scram-credentials.ts";
import { AclOperation, CLUSTER_NAME, ResourceType } from "../protocol/acl-codes.ts";
import { ErrorCode } from "../protocol/error-codes.ts";
import { errorCodeOf, messageOf } from "./error-mapping.ts";
import { defineApi } from "./handler.ts";

// SCRAM users live in the store (src/security/credential-store.ts). The security modules load
// on first use, so a broker that never manages users never loads them.
const security = () => Promise.all([import("../security/credential-store.ts"), import("../security/scram.ts")]);

type AlterResult = AlterUserScramCredentialsResponse["results"][number];
type Change = { kind: "delete"; mechanism: number } | { kind: "upsert"; mechanism: number; iterations: number; salt: Uint8Array; salted: Uint8Array };

export const alterUserScramCredentialsApi = defineApi<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>({
  apiKey: ApiKey.AlterUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request, rc) {
    const users = [...new Set([...request.deletions, ...request.upsertions].map((c) => c.name))];
    if (!rc.authz.allows(AclOperation.ALTER, ResourceType.CLUSTER, CLUSTER_NAME)) {
      return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null })) };
    }
    const [store, scram] = await security();
    const results: AlterResult[] = [];
    // As Kafka's controller: one change per user and request; a second one fails the user.
    const changes = new Map<string, Change>();
    const duplicates = new Set<string>();
    const requested: Array<[string, Change]> = [
      ...request.deletions.map((d): [string, Change] => [d.name, { kind: "delete", mechanism: d.mechanism }]),
      ...request.upsertions.map((u): [string, Change] => [
        u.name,
        { kind: "upsert", mechanism: u.mechanism, iterations: u.iterations, salt: u.salt.slice(), salted: u.saltedPassword.slice() },
      ]),
    ];
    for (const [user, change] of requested) {
      if (changes.has(user)) duplicates.add(user);
      changes.set(user, change);
    }
    for (const [user, change] of changes) {
      const fail = (errorCode: number, errorMessage: string) => results.push({ user, errorCode, errorMessage });
      if (duplicates.has(user)) {
        fail(ErrorCode.DUPLICATE_RESOURCE, "A user credential cannot be altered twice in the same request");
        continue;
      }
      if (user === "") {
        fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, "Username must not be empty");
        continue;
      }
      const mechanism = scram.scramMechanismOf(change.mechanism);
      if (!mechanism) {
        fail(ErrorCode.UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism");
        continue;
      }
      try {
        if (change.kind === "delete") {
          if (!(await store.deleteCredential(ctx.storage, user, mechanism))) {
            fail(ErrorCode.RESOURCE_NOT_FOUND, "Attempt to delete a user credential that does not exist");
            continue;
          }
        } else {
          if (change.iterations < scram.MIN_ITERATIONS) {
            fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, "Too few iterations");
            continue;
          }
          if (change.iterations > scram.MAX_ITERATIONS) {
            fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, "Too many iterations");
            continue;
          }
          const credential = await scram.credentialFromSalted(mechanism, change.salt, change.salted, change.iterations);
          await store.putCredential(ctx.storage, user, mechanism, credential);
        }
        results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (error) {
        fail(errorCodeOf(error, `alter SCRAM credentials of ${user}`), messageOf(error));
      }
    }
    return { throttleTimeMs: 0, results };
  },
});

export const describeUserScramCredentialsApi = defineApi<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse>({
  apiKey: ApiKey.DescribeUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request, rc) {
    const failed = (errorCode: number, errorMessage: string | null): DescribeUserScramCredentialsResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, results: [] });
    if (!rc.authz.allows(AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    const [store, scram] = await security();
    const describe = (credentials: Record<string, { iterations: number }>) =>
      Object.entries(credentials).map(([name, c]) => ({ mechanism: scram.isScramMechanism(name) ? scram.SCRAM[name].code : 0, iterations: c.iterations }));
    try {
      if (!request.users || request.users.length === 0) {
        const all = await store.allUsers(ctx.storage);
        return {
          ...failed(ErrorCode.NONE, null),
          results: all.map(({ user, credentials }) => ({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: describe(credentials) })),
        };
      }
      const names = request.users.map((u) => u.name);
      const results: DescribeUserScramCredentialsResponse["results"] = [];
      for (const [i, user] of names.entries()) {
        if (names.indexOf(user) !== i) continue;
        if (names.lastIndexOf(user) !== i) {
          results.push({ user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: "Cannot describe SCRAM credentials for the same user twice in a single request", credentialInfos: [] });
          continue;
        }
        const credentials = await store.userCredentials(ctx.storage, user);
        results.push(
          credentials
            ? { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: describe(credentials) }
            : { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] },
        );
      }
      return { ...failed(ErrorCode.NONE, null), results };
    } catch (error) {
      return failed(errorCodeOf(error, "describe SCRAM credentials"), messageOf(error));
    }
  },
});
