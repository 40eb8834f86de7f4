// `tansu user`: SCRAM users, through a running broker (AlterUserScramCredentials and
// DescribeUserScramCredentials, as an authenticated super user) or straight in the store
// (--storage-engine), which is how the first administrator is created.
import { readFileSync } from "node:fs";
import { defineCommand } from "citty";
import { consola } from "../log.ts";
import type { KafkaConnection } from "../client/kafka-connection.ts";
import { ApiKey, type RequestTypes } from "../protocol/generated/apis.ts";
import { ErrorCode, errorName } from "../protocol/error-codes.ts";
import { openStorage } from "../storage/open.ts";
import type { Storage } from "../storage/storage.ts";
import { allUsers, deleteCredential, putCredential, userCredentials, type UserCredentials } from "../security/credential-store.ts";
import {
  credentialFromSalted,
  isScramMechanism,
  MAX_ITERATIONS,
  MIN_ITERATIONS,
  randomSalt,
  saltedPassword,
  SCRAM,
  scramMechanismOf,
  type ScramMechanism,
} from "../security/scram.ts";
import { brokerArgs, withBroker } from "./broker-client.ts";

class UserCommandError extends Error {}

const targetArgs = {
  ...brokerArgs,
  "storage-engine": { type: "string", description: "Work on this store directly instead of through a broker (memory://, sqlite://FILE, s3://...)" },
} as const;

type Target = { broker: string; "command-config"?: string; "storage-engine"?: string };

/** Where the users are: the store itself, or a broker speaking for it. */
interface Users {
  list(): Promise<Array<{ user: string; credentials: Array<{ mechanism: ScramMechanism; iterations: number }> }>>;
  mechanismsOf(user: string): Promise<ScramMechanism[]>;
  put(user: string, mechanism: ScramMechanism, iterations: number, salt: Uint8Array, salted: Uint8Array): Promise<void>;
  delete(user: string, mechanism: ScramMechanism): Promise<void>;
}

function describeStored(credentials: UserCredentials) {
  return Object.entries(credentials).flatMap(([name, c]) => (isScramMechanism(name) && c ? [{ mechanism: name, iterations: c.iterations }] : []));
}

function storeUsers(storage: Storage): Users {
  return {
    async list() {
      return (await allUsers(storage)).map(({ user, credentials }) => ({ user, credentials: describeStored(credentials) }));
    },
    async mechanismsOf(user) {
      return describeStored((await userCredentials(storage, user)) ?? {}).map((c) => c.mechanism);
    },
    async put(user, mechanism, iterations, salt, salted) {
      await putCredential(storage, user, mechanism, await credentialFromSalted(mechanism, salt, salted, iterations));
    },
    async delete(user, mechanism) {
      if (!(await deleteCredential(storage, user, mechanism))) throw new UserCommandError(`user ${user} has no ${mechanism} credential`);
    },
  };
}

function brokerUsers(c: KafkaConnection): Users {
  const check = (errorCode: number, errorMessage: string | null, what: string) => {
    if (errorCode !== ErrorCode.NONE) throw new UserCommandError(`${what}: ${errorName(errorCode)}${errorMessage ? `: ${errorMessage}` : ""}`);
  };
  const describe = async (users: string[] | null) => {
    const response = await c.request(ApiKey.DescribeUserScramCredentials, 0, { users: users?.map((name) => ({ name })) ?? null });
    check(response.errorCode, response.errorMessage, "describe users");
    return response.results;
  };
  const alter = async (user: string, body: RequestTypes[typeof ApiKey.AlterUserScramCredentials], what: string) => {
    const response = await c.request(ApiKey.AlterUserScramCredentials, 0, body);
    for (const r of response.results) check(r.errorCode, r.errorMessage, `${what} ${user}`);
  };
  const credentialsOf = (infos: Array<{ mechanism: number; iterations: number }>) =>
    infos.flatMap((i) => {
      const mechanism = scramMechanismOf(i.mechanism);
      return mechanism ? [{ mechanism, iterations: i.iterations }] : [];
    });
  return {
    async list() {
      return (await describe(null)).map((r) => ({ user: r.user, credentials: credentialsOf(r.credentialInfos) }));
    },
    async mechanismsOf(user) {
      const [result] = await describe([user]);
      if (!result || result.errorCode === ErrorCode.RESOURCE_NOT_FOUND) return [];
      check(result.errorCode, result.errorMessage, `describe user ${user}`);
      return credentialsOf(result.credentialInfos).map((c) => c.mechanism);
    },
    put: (user, mechanism, iterations, salt, salted) =>
      alter(user, { deletions: [], upsertions: [{ name: user, mechanism: SCRAM[mechanism].code, iterations, salt, saltedPassword: salted }] }, "create user"),
    delete: (user, mechanism) => alter(user, { deletions: [{ name: user, mechanism: SCRAM[mechanism].code }], upsertions: [] }, "delete user"),
  };
}

async function withUsers(args: Target, rawArgs: readonly string[], work: (users: Users) => Promise<void>): Promise<void> {
  const url = args["storage-engine"];
  if (!url) return withBroker(args, rawArgs, (c) => work(brokerUsers(c)));
  const storage = await openStorage(url);
  try {
    await work(storeUsers(storage));
  } finally {
    await storage.close();
  }
}

function mechanismArg(value: string | undefined): ScramMechanism | null {
  if (value === undefined) return null;
  const upper = value.toUpperCase();
  if (!isScramMechanism(upper)) throw new UserCommandError(`--mechanism ${value}: expected ${Object.keys(SCRAM).join(" or ")}`);
  return upper;
}

function passwordArg(args: { password?: string; "password-file"?: string }): string {
  if (args.password !== undefined) return args.password;
  const file = args["password-file"];
  if (file === undefined) throw new UserCommandError("give the password with --password or --password-file");
  try {
    return readFileSync(file, "utf8").split(/\r?\n/)[0]!;
  } catch (error) {
    throw new UserCommandError(`--password-file ${file}: ${(error as Error).message}`);
  }
}

const nameArg = { name: { type: "positional", description: "User name", required: true } } as const;

const create = defineCommand({
  meta: { name: "create", description: "Create a user, or set a new password for one mechanism" },
  args: {
    ...targetArgs,
    ...nameArg,
    password: { type: "string", description: "The password" },
    "password-file": { type: "string", description: "A file whose first line is the password" },
    mechanism: { type: "string", description: "SCRAM-SHA-256 or SCRAM-SHA-512", default: "SCRAM-SHA-256" },
    iterations: { type: "string", description: `PBKDF2 iterations (${MIN_ITERATIONS}-${MAX_ITERATIONS})`, default: String(MIN_ITERATIONS) },
  },
  async run({ args, rawArgs }) {
    const mechanism = mechanismArg(args.mechanism)!;
    const iterations = Number(args.iterations);
    if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new UserCommandError(`--iterations must be an integer from ${MIN_ITERATIONS} to ${MAX_ITERATIONS}`);
    }
    const password = passwordArg(args);
    const salt = randomSalt();
    const salted = await saltedPassword(mechanism, password, salt, iterations);
    await withUsers(args, rawArgs, (users) => users.put(args.name, mechanism, iterations, salt, salted));
    consola.success(`Created ${mechanism} credentials for user ${args.name}`);
  },
});

const del = defineCommand({
  meta: { name: "delete", description: "Delete a user's credentials (every mechanism unless --mechanism)" },
  args: { ...targetArgs, ...nameArg, mechanism: { type: "string", description: "Only this mechanism's credential" } },
  run: ({ args, rawArgs }) =>
    withUsers(args, rawArgs, async (users) => {
      const only = mechanismArg(args.mechanism);
      const mechanisms = only ? [only] : await users.mechanismsOf(args.name);
      if (mechanisms.length === 0) throw new UserCommandError(`user ${args.name} does not exist`);
      for (const mechanism of mechanisms) await users.delete(args.name, mechanism);
      consola.success(`Deleted ${mechanisms.join(", ")} credentials of user ${args.name}`);
    }),
});

const list = defineCommand({
  meta: { name: "list", description: "List users and their SCRAM mechanisms" },
  args: targetArgs,
  run: ({ args, rawArgs }) =>
    withUsers(args, rawArgs, async (users) => {
      for (const { user, credentials } of (await users.list()).sort((a, b) => (a.user < b.user ? -1 : 1))) {
        console.log(`${user}\t${credentials.map((c) => `${c.mechanism}=iterations=${c.iterations}`).join(",")}`);
      }
    }),
});

export const userCommand = defineCommand({
  meta: { name: "user", description: "Create, delete and list SCRAM users, through a broker or directly in the store" },
  subCommands: { create, delete: del, list },
});
