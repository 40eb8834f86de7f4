// Client quotas as Kafka configures them (AlterClientQuotas, DescribeClientQuotas): values per
// entity, an entity being a user, a client id, both, or an IP, each named or the default. All of
// them live in one compare-and-set record in the store, read by every broker.
import type { Storage } from "../storage/storage.ts";
import { changeRecord } from "./cas-record.ts";

const NAMESPACE = "security";
const KEY = "client-quotas";

export const USER = "user";
export const CLIENT_ID = "client-id";
export const IP = "ip";

/** Entity type -> name; a null name is the type's default entity. */
export type QuotaEntity = Record<string, string | null>;

export interface QuotaEntry {
  entity: QuotaEntity;
  values: Record<string, number>;
}

/** The keys Kafka accepts for each kind of entity, and whether the value must be whole. */
const USER_AND_CLIENT_KEYS: Record<string, "long" | "double"> = {
  producer_byte_rate: "long",
  consumer_byte_rate: "long",
  request_percentage: "double",
  controller_mutation_rate: "double",
};
const IP_KEYS: Record<string, "long" | "double"> = { connection_creation_rate: "long" };

export class QuotaConfigError extends Error {}

function sameEntity(a: QuotaEntity, b: QuotaEntity): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** The entity of a request's entity list, validated as Kafka's controller does. @throws QuotaConfigError */
export function entityOf(components: Array<{ entityType: string; entityName: string | null }>): QuotaEntity {
  if (components.length === 0) throw new QuotaConfigError("Invalid empty client quota entity");
  const entity: QuotaEntity = {};
  for (const { entityType, entityName } of components) {
    if (Object.hasOwn(entity, entityType)) throw new QuotaConfigError(`Invalid client quota entity, duplicate entity entry ${entityType}`);
    if (entityType !== USER && entityType !== CLIENT_ID && entityType !== IP) throw new QuotaConfigError(`Unhandled client quota entity type: ${entityType}`);
    if (entityName === "") throw new QuotaConfigError(`Empty ${entityType} not supported`);
    entity[entityType] = entityName;
  }
  if (IP in entity && Object.keys(entity).length > 1) throw new QuotaConfigError("Invalid quota entity combination, IP entity should not be combined with User or ClientId");
  return entity;
}

/** Checks one key and value for the entity. @throws QuotaConfigError */
export function checkQuota(entity: QuotaEntity, key: string, value: number): void {
  const keys = IP in entity ? IP_KEYS : USER_AND_CLIENT_KEYS;
  const type = keys[key];
  if (type === undefined) throw new QuotaConfigError(`Invalid configuration key ${key}`);
  if (!Number.isFinite(value) || value < 0) throw new QuotaConfigError(`Invalid value ${value} for configuration key ${key}`);
  if (type === "long" && !Number.isInteger(value)) throw new QuotaConfigError(`Configuration ${key} must be a Long value`);
}

export async function loadQuotas(storage: Storage): Promise<QuotaEntry[]> {
  return (await storage.getRecord<QuotaEntry[]>(NAMESPACE, KEY))?.value ?? [];
}

/** Applies each entity's changes (a null value removes the key); entities left without values go. */
export function alterQuotas(storage: Storage, changes: Array<{ entity: QuotaEntity; ops: Array<{ key: string; value: number | null }> }>): Promise<void> {
  return changeRecord<QuotaEntry[], void>(storage, NAMESPACE, KEY, (current) => {
    const next = (current ?? []).map((e) => ({ entity: e.entity, values: { ...e.values } }));
    for (const { entity, ops } of changes) {
      let entry = next.find((e) => sameEntity(e.entity, entity));
      if (!entry) next.push((entry = { entity, values: {} }));
      for (const { key, value } of ops) {
        if (value === null) delete entry.values[key];
        else entry.values[key] = value;
      }
    }
    const kept = next.filter((e) => Object.keys(e.values).length > 0);
    return { next: kept.length === 0 ? null : kept, result: undefined };
  });
}

export interface QuotaFilterComponent {
  entityType: string;
  /** 0: exactly `match`; 1: the default entity; 2: any named entity of the type. */
  matchType: number;
  match: string | null;
}

/** The entries a DescribeClientQuotas filter selects, as Kafka's ClientQuotasImage.describe. @throws QuotaConfigError */
export function describeQuotas(all: QuotaEntry[], components: QuotaFilterComponent[], strict: boolean): QuotaEntry[] {
  const exact = new Map<string, string | null>();
  const typed = new Set<string>();
  for (const c of components) {
    if (c.entityType === "") throw new QuotaConfigError("Invalid empty entity type.");
    if (exact.has(c.entityType) || typed.has(c.entityType)) throw new QuotaConfigError(`Entity type ${c.entityType} cannot appear more than once in the filter.`);
    if (c.entityType !== USER && c.entityType !== CLIENT_ID && c.entityType !== IP) throw new QuotaConfigError(`Unsupported entity type ${c.entityType}`);
    if (c.matchType === 0) {
      if (c.match === null) throw new QuotaConfigError("Request specified MATCH_TYPE_EXACT, but set match string to null.");
      exact.set(c.entityType, c.match);
    } else if (c.matchType === 1 || c.matchType === 2) {
      if (c.match !== null) throw new QuotaConfigError(`Request specified ${c.matchType === 1 ? "MATCH_TYPE_DEFAULT" : "MATCH_TYPE_SPECIFIED"}, but also specified a match string.`);
      if (c.matchType === 1) exact.set(c.entityType, null);
      else typed.add(c.entityType);
    } else {
      throw new QuotaConfigError(`Unknown match type ${c.matchType}`);
    }
  }
  const mentions = (type: string) => exact.has(type) || typed.has(type);
  if (mentions(IP) && (mentions(USER) || mentions(CLIENT_ID))) {
    throw new QuotaConfigError("Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.");
  }
  return all.filter(({ entity }) => {
    if (strict && Object.keys(entity).length !== exact.size + typed.size) return false;
    for (const [type, name] of exact) if (!Object.hasOwn(entity, type) || entity[type] !== name) return false;
    for (const type of typed) if (!Object.hasOwn(entity, type)) return false;
    return true;
  });
}

/**
 * The quota of `key` that applies to a user and client id, in Kafka's order of precedence
 * (/config/users/<user>/clients/<client-id> first, /config/clients/<default> last), with the
 * metric tags that decide which clients share one rate: those of the entity it came from.
 */
export function applicableQuota(all: QuotaEntry[], key: string, user: string, clientId: string): { bound: number; tags: [string, string] } | null {
  const find = (entity: QuotaEntity) => all.find((e) => sameEntity(e.entity, entity) && key in e.values)?.values[key];
  const candidates: Array<[QuotaEntity, [string, string]]> = [
    [{ [USER]: user, [CLIENT_ID]: clientId }, [user, clientId]],
    [{ [USER]: user, [CLIENT_ID]: null }, [user, clientId]],
    [{ [USER]: user }, [user, ""]],
    [{ [USER]: null, [CLIENT_ID]: clientId }, [user, clientId]],
    [{ [USER]: null, [CLIENT_ID]: null }, [user, clientId]],
    [{ [USER]: null }, [user, ""]],
    [{ [CLIENT_ID]: clientId }, ["", clientId]],
    [{ [CLIENT_ID]: null }, ["", clientId]],
  ];
  for (const [entity, tags] of candidates) {
    const bound = find(entity);
    if (bound !== undefined) return { bound, tags };
  }
  return null;
}
