// Dynamic group configs (the GROUP config resource of KIP-848/KIP-932): the share.* keys of Kafka's
// GroupConfig with their defaults and bounds, set by IncrementalAlterConfigs and read by
// DescribeConfigs and the share-group APIs. They are kept in the store as one compare-and-set record
// per group id, and exist independently of the group itself, as in Kafka: a config may be set
// before the first member joins. Loaded on first use (configs.ts and the share APIs import it).

import type { BrokerContext } from "../context.ts";

const NAMESPACE = "group-config";

const ConfigType = { STRING: 2, INT: 3 } as const;

/** Broker-level bounds of the group configs (Kafka's group.share.* broker configs). */
interface Bounds {
  min: number;
  max: number;
  boundNames: [string, string];
}

interface GroupConfigDef {
  defaultValue: string;
  type: number;
  /** Kafka's ConfigDef check: the problem, or null. */
  validate(value: string): string | null;
  bounds?: Bounds;
}

const intAtLeast = (min: number) => (v: string) => {
  if (!/^-?\d+$/.test(v) || Number(v) > 2147483647 || Number(v) < -2147483648) return "Not a number of type INT";
  return Number(v) < min ? `Value must be at least ${min}` : null;
};

const ISOLATION_LEVELS = ["read_committed", "read_uncommitted"];

/** ISO-8601 durations as Java's Duration.parse reads them: PnDTnHnMn.nS, no negative ones. */
const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,9})?)S)?)?$/i;

export type AutoOffsetReset = { kind: "earliest" } | { kind: "latest" } | { kind: "by_duration"; durationMs: number };

export function parseAutoOffsetReset(value: string): AutoOffsetReset | null {
  const lower = value.toLowerCase();
  if (lower === "earliest" || lower === "latest") return { kind: lower };
  if (!lower.startsWith("by_duration:")) return null;
  const m = DURATION.exec(value.slice("by_duration:".length).trim());
  if (!m || m.slice(1).every((part) => part === undefined)) return null;
  const [days, hours, minutes, seconds] = m.slice(1).map((part) => Number(part ?? 0));
  return { kind: "by_duration", durationMs: Math.round((((days! * 24 + hours!) * 60 + minutes!) * 60 + seconds!) * 1000) };
}

function definitions(minRecordLockDurationMs: number): Record<string, GroupConfigDef> {
  return {
    "share.auto.offset.reset": {
      defaultValue: "latest",
      type: ConfigType.STRING,
      validate: (v) => (parseAutoOffsetReset(v) ? null : "Must be one of earliest, latest or by_duration:<ISO-8601 duration>"),
    },
    "share.delivery.count.limit": {
      defaultValue: "5",
      type: ConfigType.INT,
      validate: intAtLeast(2),
      bounds: { min: 2, max: 10, boundNames: ["group.share.min.delivery.count.limit", "group.share.max.delivery.count.limit"] },
    },
    "share.heartbeat.interval.ms": {
      defaultValue: "5000",
      type: ConfigType.INT,
      validate: intAtLeast(1),
      bounds: { min: 5_000, max: 15_000, boundNames: ["group.share.min.heartbeat.interval.ms", "group.share.max.heartbeat.interval.ms"] },
    },
    "share.isolation.level": {
      defaultValue: "read_uncommitted",
      type: ConfigType.STRING,
      validate: (v) => (ISOLATION_LEVELS.includes(v) ? null : `String must be one of: ${ISOLATION_LEVELS.join(", ")}`),
    },
    "share.record.lock.duration.ms": {
      defaultValue: "30000",
      type: ConfigType.INT,
      validate: intAtLeast(1000),
      bounds: {
        min: minRecordLockDurationMs,
        max: 60_000,
        boundNames: ["group.share.min.record.lock.duration.ms", "group.share.max.record.lock.duration.ms"],
      },
    },
    "share.session.timeout.ms": {
      defaultValue: "45000",
      type: ConfigType.INT,
      validate: intAtLeast(1),
      bounds: { min: 45_000, max: 60_000, boundNames: ["group.share.min.session.timeout.ms", "group.share.max.session.timeout.ms"] },
    },
  };
}

/** group.share.min.record.lock.duration.ms: Kafka's default, unless the broker was started with another. */
const KAFKA_MIN_RECORD_LOCK_DURATION_MS = 15_000;

function definitionsFor(ctx: BrokerContext): Record<string, GroupConfigDef> {
  return definitions(ctx.config.shareMinRecordLockDurationMs ?? KAFKA_MIN_RECORD_LOCK_DURATION_MS);
}

export class InvalidGroupConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidGroupConfigError";
  }
}

/** The configs set explicitly on the group. */
export async function readGroupConfigs(ctx: BrokerContext, groupId: string): Promise<Record<string, string>> {
  return (await ctx.storage.getRecord<Record<string, string>>(NAMESPACE, groupId))?.value ?? {};
}

/** The configs a share group runs with: its own, else the broker's defaults. */
export interface ShareGroupConfig {
  autoOffsetReset: AutoOffsetReset;
  deliveryCountLimit: number;
  heartbeatIntervalMs: number;
  isolation: "read_committed" | "read_uncommitted";
  recordLockDurationMs: number;
  sessionTimeoutMs: number;
}

export async function shareGroupConfig(ctx: BrokerContext, groupId: string): Promise<ShareGroupConfig> {
  const explicit = await readGroupConfigs(ctx, groupId);
  const defs = definitionsFor(ctx);
  const value = (name: string) => explicit[name] ?? defs[name]!.defaultValue;
  return {
    autoOffsetReset: parseAutoOffsetReset(value("share.auto.offset.reset")) ?? { kind: "latest" },
    deliveryCountLimit: Number(value("share.delivery.count.limit")),
    heartbeatIntervalMs: Number(value("share.heartbeat.interval.ms")),
    isolation: value("share.isolation.level") === "read_committed" ? "read_committed" : "read_uncommitted",
    recordLockDurationMs: Number(value("share.record.lock.duration.ms")),
    sessionTimeoutMs: Number(value("share.session.timeout.ms")),
  };
}

/** Kafka's GroupConfig.validate: names, each value, the broker's bounds, and the session/heartbeat relation. */
function validate(configs: Record<string, string>, defs: Record<string, GroupConfigDef>): void {
  for (const [name, value] of Object.entries(configs)) {
    const def = defs[name];
    if (!def) throw new InvalidGroupConfigError(`Unknown group config name: ${name}`);
    const problem = def.validate(value);
    if (problem) throw new InvalidGroupConfigError(`Invalid value ${value} for configuration ${name}: ${problem}`);
    if (def.bounds) {
      const n = Number(value);
      if (n < def.bounds.min) throw new InvalidGroupConfigError(`${name} must be greater than or equal to ${def.bounds.boundNames[0]}`);
      if (n > def.bounds.max) throw new InvalidGroupConfigError(`${name} must be less than or equal to ${def.bounds.boundNames[1]}`);
    }
  }
  const effective = (name: string) => Number(configs[name] ?? defs[name]!.defaultValue);
  if (effective("share.session.timeout.ms") <= effective("share.heartbeat.interval.ms")) {
    throw new InvalidGroupConfigError("share.session.timeout.ms must be greater than share.heartbeat.interval.ms");
  }
}

const AlterOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface GroupConfigAlteration {
  name: string;
  op: number;
  value: string | null;
}

/**
 * IncrementalAlterConfigs (or, with `replaceAll`, the legacy AlterConfigs) on a GROUP resource.
 * @throws InvalidGroupConfigError
 */
export async function alterGroupConfigs(
  ctx: BrokerContext,
  groupId: string,
  alterations: GroupConfigAlteration[],
  replaceAll: boolean,
  validateOnly: boolean,
): Promise<void> {
  const defs = definitionsFor(ctx);
  for (let attempt = 0; ; attempt++) {
    const current = await ctx.storage.getRecord<Record<string, string>>(NAMESPACE, groupId);
    const next: Record<string, string> = replaceAll ? {} : { ...current?.value };
    for (const { name, op, value } of alterations) {
      if (!(name in defs)) throw new InvalidGroupConfigError(`Unknown group config name: ${name}`);
      if (op === AlterOp.SET) {
        if (value === null) throw new InvalidGroupConfigError(`Null value not supported for group config ${name}`);
        next[name] = value;
      } else if (op === AlterOp.DELETE) {
        delete next[name];
      } else {
        // Every group config is a single value: there is no list to append to or subtract from.
        throw new InvalidGroupConfigError(`Config value append/subtract is not allowed for config key ${name}`);
      }
    }
    validate(next, defs);
    if (validateOnly) return;
    const written =
      Object.keys(next).length === 0
        ? current === null || (await ctx.storage.deleteRecord(NAMESPACE, groupId, current.version))
        : (await ctx.storage.putRecord(NAMESPACE, groupId, next, current?.version ?? null)) !== null;
    if (written) return;
    if (attempt >= 100) throw new Error(`group configs of ${groupId} changed concurrently ${attempt} times in a row`);
  }
}

export interface DescribedGroupConfig {
  name: string;
  value: string;
  isDefault: boolean;
  configType: number;
}

/** DescribeConfigs on a GROUP resource: every group config, its own value or the default. */
export async function describeGroupConfigs(ctx: BrokerContext, groupId: string, keys: string[] | null): Promise<DescribedGroupConfig[]> {
  const explicit = await readGroupConfigs(ctx, groupId);
  const defs = definitionsFor(ctx);
  return Object.entries(defs)
    .filter(([name]) => keys === null || keys.includes(name))
    .map(([name, def]) => ({ name, value: explicit[name] ?? def.defaultValue, isDefault: explicit[name] === undefined, configType: def.type }));
}
