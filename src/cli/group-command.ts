// `tansu group list|describe|delete|seek`: consumer groups on a running broker, as Kafka's
// kafka-consumer-groups and Redpanda's rpk group show and change them.
import { defineCommand } from "citty";
import { consola } from "../log.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import { ErrorCode, errorName } from "../protocol/error-codes.ts";
import { commitReset, describeGroup, GroupCommandError, planReset, type ResetRow, type ResetTarget } from "./group-client.ts";
import { brokerArgs, withBroker } from "./broker-client.ts";
import { optionValues } from "./option-values.ts";

const formatArg = {
  format: { type: "string", description: "text (a table) or json", default: "text" },
} as const;

function outputFormat(format: string): "text" | "json" {
  if (format !== "text" && format !== "json") throw new GroupCommandError(`--format ${format}: expected text or json`);
  return format;
}

/** Prints rows as aligned columns under a header, as Kafka's and rpk's tools do. */
function printTable(header: string[], rows: Array<Array<string | number | bigint | null>>): void {
  const cells = [header, ...rows.map((r) => r.map((v) => (v === null ? "-" : String(v))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  for (const r of cells) console.log(r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!))).join("  "));
}

function printJson(value: unknown): void {
  console.log(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? Number(v) : v), 2));
}

const list = defineCommand({
  meta: { name: "list", description: "List consumer groups with their type and state" },
  args: {
    ...brokerArgs,
    ...formatArg,
    state: { type: "string", description: "Only groups in this state (e.g. Stable, Empty), comma-separated" },
    type: { type: "string", description: "Only groups of this type: classic or consumer" },
  },
  async run({ args, rawArgs }) {
    const format = outputFormat(args.format);
    const split = (v: string | undefined) => (v ? v.split(",").map((s) => s.trim()).filter(Boolean) : []);
    await withBroker(args, rawArgs, async (c) => {
      const response = await c.request(ApiKey.ListGroups, 5, { statesFilter: split(args.state), typesFilter: split(args.type) });
      if (response.errorCode !== ErrorCode.NONE) throw new GroupCommandError(`list groups: ${errorName(response.errorCode)}`);
      const groups = response.groups
        .map((g) => ({ group: g.groupId, type: g.groupType ?? "classic", state: g.groupState ?? "", protocolType: g.protocolType }))
        .sort((a, b) => (a.group < b.group ? -1 : 1));
      if (format === "json") printJson(groups);
      else printTable(["GROUP", "TYPE", "STATE"], groups.map((g) => [g.group, g.type, g.state]));
    });
  },
});

const describe = defineCommand({
  meta: { name: "describe", description: "Describe a group: state, members, and per partition the committed offset, log end offset and lag" },
  args: { ...brokerArgs, ...formatArg, group: { type: "positional", description: "Group id", required: true } },
  async run({ args, rawArgs }) {
    const format = outputFormat(args.format);
    await withBroker(args, rawArgs, async (c) => {
      const d = await describeGroup(c, args.group);
      if (format === "json") {
        printJson(d);
        return;
      }
      const totalLag = d.partitions.reduce((sum, p) => sum + (p.lag ?? 0n), 0n);
      printTable(
        ["GROUP", "TYPE", "STATE", "ASSIGNOR", "MEMBERS", "TOTAL-LAG"],
        [[d.group, d.type, d.state, d.assignor || null, d.members.length, totalLag]],
      );
      console.log("");
      if (d.members.length === 0) console.log(`Group ${d.group} has no active members.\n`);
      printTable(
        ["TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-START-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"],
        d.partitions.map((p) => [p.topic, p.partition, p.currentOffset, p.logStartOffset, p.logEndOffset, p.lag, p.memberId, p.host, p.clientId]),
      );
    });
  },
});

const del = defineCommand({
  meta: { name: "delete", description: "Delete an inactive group and its committed offsets" },
  args: { ...brokerArgs, group: { type: "positional", description: "Group id", required: true } },
  run: ({ args, rawArgs }) =>
    withBroker(args, rawArgs, async (c) => {
      const result = (await c.request(ApiKey.DeleteGroups, 2, { groupsNames: [args.group] })).results[0]!;
      if (result.errorCode === ErrorCode.NON_EMPTY_GROUP) throw new GroupCommandError(`delete group ${args.group}: NON_EMPTY_GROUP: the group has active members`);
      if (result.errorCode !== ErrorCode.NONE) throw new GroupCommandError(`delete group ${args.group}: ${errorName(result.errorCode)}`);
      consola.success(`Deleted group ${args.group}`);
    }),
});

function integerOption(name: string, text: string, allowNegative: boolean): bigint {
  if (!(allowNegative ? /^-?\d+$/ : /^\d+$/).test(text.trim())) throw new GroupCommandError(`--${name} ${text}: expected ${allowNegative ? "an" : "a non-negative"} integer`);
  return BigInt(text.trim());
}

/** Kafka's --to-datetime format (YYYY-MM-DDTHH:mm:SS.sss, with an optional zone; local time without), or epoch milliseconds. */
function parseDatetime(text: string): bigint {
  if (/^\d+$/.test(text)) return BigInt(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new GroupCommandError(`--to-datetime ${text}: expected YYYY-MM-DDTHH:mm:SS[.sss][zone] or epoch milliseconds`);
  return BigInt(ms);
}

function resetTarget(args: Record<string, unknown>): ResetTarget {
  const given: ResetTarget[] = [];
  if (args["to-earliest"]) given.push({ kind: "earliest" });
  if (args["to-latest"]) given.push({ kind: "latest" });
  if (typeof args["to-offset"] === "string") given.push({ kind: "offset", offset: integerOption("to-offset", args["to-offset"], false) });
  if (typeof args["to-datetime"] === "string") given.push({ kind: "datetime", timestampMs: parseDatetime(args["to-datetime"]) });
  if (typeof args["shift-by"] === "string") given.push({ kind: "shift", by: integerOption("shift-by", args["shift-by"], true) });
  if (given.length !== 1) throw new GroupCommandError("seek: give exactly one of --to-earliest, --to-latest, --to-offset N, --to-datetime T, --shift-by N");
  return given[0]!;
}

const seek = defineCommand({
  meta: { name: "seek", description: "Reset an inactive group's committed offsets (all its committed partitions, or those named with --topic)" },
  args: {
    ...brokerArgs,
    ...formatArg,
    group: { type: "positional", description: "Group id", required: true },
    "to-earliest": { type: "boolean", description: "To the start of each log" },
    "to-latest": { type: "boolean", description: "To the end of each log" },
    "to-offset": { type: "string", description: "To this offset (clamped to the log)" },
    "to-datetime": { type: "string", description: "To the first record at or after this time: YYYY-MM-DDTHH:mm:SS[.sss][zone], or epoch ms" },
    "shift-by": { type: "string", description: "Move each committed offset by N (negative: back)" },
    topic: { type: "string", description: "TOPIC or TOPIC:P,P,... to reset (repeatable); default every partition the group has committed" },
    "dry-run": { type: "boolean", description: "Show the new offsets without committing them" },
  },
  async run({ args, rawArgs }) {
    const format = outputFormat(args.format);
    const target = resetTarget(args);
    await withBroker(args, rawArgs, async (c) => {
      const rows: ResetRow[] = await planReset(c, args.group, optionValues(rawArgs, "topic"), target);
      if (!args["dry-run"]) await commitReset(c, args.group, rows);
      if (format === "json") printJson({ group: args.group, dryRun: Boolean(args["dry-run"]), partitions: rows });
      else {
        printTable(["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET"], rows.map((r) => [args.group, r.topic, r.partition, r.currentOffset, r.newOffset]));
        if (args["dry-run"]) console.log("\nDry run: nothing was committed.");
      }
    });
  },
});

export const groupCommand = defineCommand({
  meta: { name: "group", description: "List, describe, delete consumer groups and reset their offsets on a running broker" },
  subCommands: { list, describe, delete: del, seek },
});
