// `tansu acl add|remove|list`: Kafka's kafka-acls tool against a running broker, with its flags
// (--allow-principal, --deny-principal, --operation, --topic, --group, --cluster,
// --transactional-id, --resource-pattern-type, --producer, --consumer, ...).
import { defineCommand } from "citty";
import { consola } from "../log.ts";
import type { KafkaConnection } from "../client/kafka-connection.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import { ErrorCode, errorName } from "../protocol/error-codes.ts";
import {
  AclOperation,
  AclPermissionType,
  CLUSTER_NAME,
  operationName,
  PatternType,
  patternTypeName,
  permissionName,
  ResourceType,
  resourceTypeName,
  SUPPORTED_OPERATIONS,
  WILDCARD,
} from "../protocol/acl-codes.ts";
import type { AclBinding, AclFilter } from "../security/acl.ts";
import { brokerArgs, withBroker } from "./broker-client.ts";
import { optionValues } from "./option-values.ts";

class AclCommandError extends Error {}

const repeatable = (description: string) => ({ type: "string", description: `${description} (repeatable)` }) as const;

const resourceArgs = {
  topic: repeatable("Topic name, or * for all topics"),
  group: repeatable("Consumer group, or * for all groups"),
  cluster: { type: "boolean", description: "The cluster" },
  "transactional-id": repeatable("Transactional id, or * for all"),
  "delegation-token": repeatable("Delegation token id, or * for all"),
  "resource-pattern-type": {
    type: "string",
    description: "literal or prefixed; list and remove also take any and match",
    default: "literal",
  },
} as const;

const bindingArgs = {
  ...brokerArgs,
  ...resourceArgs,
  "allow-principal": repeatable("Principal allowed, e.g. User:alice, or User:* for everyone"),
  "deny-principal": repeatable("Principal denied"),
  "allow-host": repeatable("Host the allowed principals may connect from (default *)"),
  "deny-host": repeatable("Host the denied principals are denied from (default *)"),
  operation: repeatable("Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All (default All)"),
  producer: { type: "boolean", description: "Convenience: WRITE, DESCRIBE and CREATE on the topics (and WRITE, DESCRIBE on --transactional-id)" },
  consumer: { type: "boolean", description: "Convenience: READ and DESCRIBE on the topics, READ on the --group" },
  idempotent: { type: "boolean", description: "With --producer: IDEMPOTENT_WRITE on the cluster" },
  force: { type: "boolean", description: "Accepted for kafka-acls compatibility; tansu never prompts" },
} as const;

/** ACL enum codes from kafka-acls' spellings: Read, DescribeConfigs, DESCRIBE_CONFIGS, describe-configs. */
function code(table: Record<string, number>, text: string, what: string): number {
  const wanted = text.replace(/[-_]/g, "").toLowerCase();
  for (const [name, value] of Object.entries(table)) if (name.replace(/_/g, "").toLowerCase() === wanted) return value;
  throw new AclCommandError(`unknown ${what} ${text}`);
}

interface Resource {
  resourceType: number;
  resourceName: string;
  patternType: number;
}

function resourcesOf(args: { cluster?: boolean; "resource-pattern-type"?: string }, rawArgs: readonly string[], patterns: readonly number[]): Resource[] {
  const patternType = code(PatternType, args["resource-pattern-type"] ?? "literal", "resource pattern type");
  if (!patterns.includes(patternType)) throw new AclCommandError(`--resource-pattern-type ${args["resource-pattern-type"]} is not allowed here`);
  const resources: Resource[] = [];
  const add = (resourceType: number, option: string) => {
    for (const resourceName of optionValues(rawArgs, option)) resources.push({ resourceType, resourceName, patternType });
  };
  add(ResourceType.TOPIC, "topic");
  add(ResourceType.GROUP, "group");
  add(ResourceType.TRANSACTIONAL_ID, "transactional-id");
  add(ResourceType.DELEGATION_TOKEN, "delegation-token");
  if (args.cluster) resources.push({ resourceType: ResourceType.CLUSTER, resourceName: CLUSTER_NAME, patternType });
  return resources;
}

interface BindingArgs {
  producer?: boolean;
  consumer?: boolean;
  idempotent?: boolean;
  cluster?: boolean;
  "resource-pattern-type"?: string;
}

/** What kafka-acls --add (and --remove with principals) means: principals x hosts x operations x resources. */
function bindingsOf(args: BindingArgs, rawArgs: readonly string[]): AclBinding[] {
  const entries: Array<{ principal: string; host: string; permissionType: number }> = [];
  for (const [permission, principals, hosts] of [
    [AclPermissionType.ALLOW, "allow-principal", "allow-host"],
    [AclPermissionType.DENY, "deny-principal", "deny-host"],
  ] as const) {
    const hostList = optionValues(rawArgs, hosts);
    for (const principal of optionValues(rawArgs, principals)) {
      if (!/^[^:]+:.+$/.test(principal)) throw new AclCommandError(`--${principals} ${principal}: expected Type:name, e.g. User:alice`);
      for (const host of hostList.length > 0 ? hostList : [WILDCARD]) entries.push({ principal, host, permissionType: permission });
    }
  }
  if (entries.length === 0) throw new AclCommandError("give --allow-principal or --deny-principal");
  const resources = resourcesOf(args, rawArgs, [PatternType.LITERAL, PatternType.PREFIXED]);
  const operations = optionValues(rawArgs, "operation").map((op) => code(AclOperation, op, "operation"));
  const wanted: Array<[Resource, number[]]> = [];
  if (args.producer || args.consumer) {
    for (const r of resources) {
      if (r.resourceType === ResourceType.TOPIC) {
        if (args.producer) wanted.push([r, [AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE]]);
        if (args.consumer) wanted.push([r, [AclOperation.READ, AclOperation.DESCRIBE]]);
      } else if (r.resourceType === ResourceType.GROUP && args.consumer) {
        wanted.push([r, [AclOperation.READ]]);
      } else if (r.resourceType === ResourceType.TRANSACTIONAL_ID && args.producer) {
        wanted.push([r, [AclOperation.WRITE, AclOperation.DESCRIBE]]);
      }
    }
    if (args.producer && args.idempotent) wanted.push([{ resourceType: ResourceType.CLUSTER, resourceName: CLUSTER_NAME, patternType: PatternType.LITERAL }, [AclOperation.IDEMPOTENT_WRITE]]);
    if (args.consumer && !resources.some((r) => r.resourceType === ResourceType.GROUP)) throw new AclCommandError("--consumer needs --group");
  } else {
    for (const r of resources) {
      const ops = operations.length > 0 ? operations : [AclOperation.ALL];
      for (const op of ops) {
        if (op !== AclOperation.ALL && !(SUPPORTED_OPERATIONS[r.resourceType] ?? []).includes(op)) {
          throw new AclCommandError(`${resourceTypeName(r.resourceType)} resources do not support operation ${operationName(op)}`);
        }
      }
      wanted.push([r, ops]);
    }
  }
  if (wanted.length === 0) throw new AclCommandError("give a resource: --topic, --group, --cluster, --transactional-id or --delegation-token");
  return wanted.flatMap(([r, ops]) => ops.flatMap((operation) => entries.map((e) => ({ ...r, ...e, operation }))));
}

function check(errorCode: number, errorMessage: string | null, what: string): void {
  if (errorCode !== ErrorCode.NONE) throw new AclCommandError(`${what}: ${errorName(errorCode)}${errorMessage ? `: ${errorMessage}` : ""}`);
}

const show = (b: Pick<AclBinding, "principal" | "host" | "operation" | "permissionType">) =>
  `(principal=${b.principal}, host=${b.host}, operation=${operationName(b.operation)}, permissionType=${permissionName(b.permissionType)})`;
const showResource = (r: Resource) => `ResourcePattern(resourceType=${resourceTypeName(r.resourceType)}, name=${r.resourceName}, patternType=${patternTypeName(r.patternType)})`;

async function describe(c: KafkaConnection, filter: AclFilter): Promise<Array<Resource & { acls: AclBinding[] }>> {
  const response = await c.request(ApiKey.DescribeAcls, 3, {
    resourceTypeFilter: filter.resourceType,
    resourceNameFilter: filter.resourceName,
    patternTypeFilter: filter.patternType,
    principalFilter: filter.principal,
    hostFilter: filter.host,
    operation: filter.operation,
    permissionType: filter.permissionType,
  });
  check(response.errorCode, response.errorMessage, "list ACLs");
  return response.resources.map((r) => {
    const resource = { resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType ?? PatternType.LITERAL };
    return { ...resource, acls: r.acls.map((a) => ({ ...resource, ...a })) };
  });
}

const anyEntry = { principal: null, host: null, operation: AclOperation.ANY, permissionType: AclPermissionType.ANY };

const add = defineCommand({
  meta: { name: "add", description: "Add ACLs (kafka-acls --add)" },
  args: bindingArgs,
  async run({ args, rawArgs }) {
    const bindings = bindingsOf(args, rawArgs);
    await withBroker(args, rawArgs, async (c) => {
      const response = await c.request(ApiKey.CreateAcls, 3, {
        creations: bindings.map((b) => ({ ...b, resourcePatternType: b.patternType })),
      });
      response.results.forEach((r, i) => check(r.errorCode, r.errorMessage, `add ACL ${show(bindings[i]!)}`));
      for (const [resource, acls] of Map.groupBy(bindings, (b) => showResource(b))) {
        console.log(`Adding ACLs for resource \`${resource}\`: \n${acls.map((a) => ` \t${show(a)}`).join("\n")}\n`);
      }
    });
  },
});

const remove = defineCommand({
  meta: { name: "remove", description: "Remove ACLs (kafka-acls --remove): the given ones, or every ACL of the resources when no principal is given" },
  args: bindingArgs,
  async run({ args, rawArgs }) {
    const principals = [...optionValues(rawArgs, "allow-principal"), ...optionValues(rawArgs, "deny-principal")];
    const filters: AclFilter[] =
      principals.length > 0
        ? bindingsOf(args, rawArgs)
        : resourcesOf(args, rawArgs, [PatternType.LITERAL, PatternType.PREFIXED, PatternType.ANY, PatternType.MATCH]).map((r) => ({ ...r, ...anyEntry }));
    if (filters.length === 0) throw new AclCommandError("give a resource: --topic, --group, --cluster, --transactional-id or --delegation-token");
    await withBroker(args, rawArgs, async (c) => {
      const response = await c.request(ApiKey.DeleteAcls, 3, {
        filters: filters.map((f) => ({
          resourceTypeFilter: f.resourceType,
          resourceNameFilter: f.resourceName,
          patternTypeFilter: f.patternType,
          principalFilter: f.principal,
          hostFilter: f.host,
          operation: f.operation,
          permissionType: f.permissionType,
        })),
      });
      let removed = 0;
      for (const result of response.filterResults) {
        check(result.errorCode, result.errorMessage, "remove ACLs");
        for (const m of result.matchingAcls) {
          check(m.errorCode, m.errorMessage, "remove ACL");
          console.log(`Removed ACL for resource \`${showResource({ ...m, patternType: m.patternType ?? PatternType.LITERAL })}\`: ${show(m)}`);
          removed++;
        }
      }
      if (removed === 0) consola.warn("No ACL matched");
    });
  },
});

const list = defineCommand({
  meta: { name: "list", description: "List ACLs (kafka-acls --list), of the given resources or all" },
  args: { ...brokerArgs, ...resourceArgs, principal: repeatable("Only ACLs of this principal") },
  async run({ args, rawArgs }) {
    const resources = resourcesOf(args, rawArgs, [PatternType.LITERAL, PatternType.PREFIXED, PatternType.ANY, PatternType.MATCH]);
    const principals = optionValues(rawArgs, "principal");
    const filters: AclFilter[] = (
      resources.length > 0 ? resources : [{ resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY }]
    ).flatMap((r) => (principals.length > 0 ? principals : [null]).map((principal) => ({ ...r, ...anyEntry, principal })));
    await withBroker(args, rawArgs, async (c) => {
      for (const filter of filters) {
        for (const r of await describe(c, filter)) {
          console.log(`Current ACLs for resource \`${showResource(r)}\`: \n${r.acls.map((a) => ` \t${show(a)}`).join("\n")}\n`);
        }
      }
    });
  },
});

export const aclCommand = defineCommand({
  meta: { name: "acl", description: "Add, remove and list ACLs on a running broker, with the options of Kafka's kafka-acls" },
  subCommands: { add, remove, list },
});
