// `tansu schema list|show|register|check|validate`: the registry's subjects (or the schema files), a topic's
// schema, registering a file under a subject and checking its compatibility through the REST API, and
// validating JSON lines against a topic's schema without producing them.
import { defineCommand } from "citty";
import { extname } from "node:path";
import { openSchemaFiles, readTopicFile, topicsWithFiles } from "../schema/schema-files.ts";
import type { SchemaType } from "../schema/types.ts";
import { schemaRegistryArg, encodeLine, readLines } from "./cat-command.ts";
import { CommandError } from "./broker-client.ts";
import { RegistryClient, TopicSchemaClient } from "./topic-schema-client.ts";

const TYPE_BY_EXTENSION: Record<string, SchemaType> = { ".avsc": "AVRO", ".json": "JSON", ".proto": "PROTOBUF" };

function registryUrl(url: string | undefined): string {
  if (!url) throw new CommandError("--schema-registry (or SCHEMA_REGISTRY) is needed: the broker's HTTP URL, or file://DIR / s3://BUCKET/PREFIX/");
  return url;
}

/** The REST client; commands that change the registry need the HTTP API, not files. */
function restClient(url: string | undefined, what: string): RegistryClient {
  const client = new TopicSchemaClient(registryUrl(url)).registry;
  if (!client) throw new CommandError(`${what} needs --schema-registry http://HOST:PORT (the broker's HTTP listener), not ${url}`);
  return client;
}

/** The REST client and the request body of a schema file, for the commands that send one. */
async function clientAndFile(args: { "schema-registry"?: string; file: string; type?: string }, what: string) {
  return { client: restClient(args["schema-registry"], what), body: await schemaFile(args.file, args.type) };
}

async function schemaFile(path: string, type: string | undefined): Promise<{ schema: string; schemaType: SchemaType }> {
  const schemaType = (type?.toUpperCase() ?? TYPE_BY_EXTENSION[extname(path)]) as SchemaType | undefined;
  if (!schemaType || !["AVRO", "JSON", "PROTOBUF"].includes(schemaType)) {
    throw new CommandError(`${path}: cannot tell the schema type; name it .avsc, .json or .proto, or pass --type avro|json|protobuf`);
  }
  const file = Bun.file(path);
  if (!(await file.exists())) throw new CommandError(`${path}: no such file`);
  return { schema: await file.text(), schemaType };
}

const fileArgs = {
  subject: { type: "positional", description: "Subject, e.g. TOPIC-value", required: true },
  file: { type: "positional", description: "Schema file (.avsc, .json, .proto)", required: true },
  type: { type: "string", description: "avro, json or protobuf (default: from the file extension)" },
} as const;

const list = defineCommand({
  meta: { name: "list", description: "List subjects (or, for schema files, the topics that have one)" },
  args: schemaRegistryArg,
  async run({ args }) {
    const url = registryUrl(args["schema-registry"]);
    const client = new TopicSchemaClient(url).registry;
    const names = client ? ((await client.call<string[]>("GET", "/subjects")) ?? []) : await topicsWithFiles(openSchemaFiles(url));
    for (const name of names.sort()) console.log(name);
  },
});

const show = defineCommand({
  meta: { name: "show", description: "Show the schema of a topic's key and value" },
  args: { ...schemaRegistryArg, topic: { type: "positional", description: "Topic name", required: true } },
  async run({ args }) {
    const url = registryUrl(args["schema-registry"]);
    const client = new TopicSchemaClient(url).registry;
    if (!client) {
      const file = await readTopicFile(openSchemaFiles(url), args.topic);
      if (!file) throw new CommandError(`topic ${args.topic} has no schema in ${url}`);
      console.log(`# ${file.name} (${file.format})`);
      console.log(file.text.trimEnd());
      return;
    }
    let found = false;
    for (const subject of [`${args.topic}-key`, `${args.topic}-value`]) {
      const version = await client.call<{ version: number; id: number; schemaType?: string; schema: string }>("GET", `/subjects/${encodeURIComponent(subject)}/versions/latest`, undefined, true);
      if (!version) continue;
      found = true;
      console.log(`# ${subject} version ${version.version}, id ${version.id} (${version.schemaType ?? "AVRO"})`);
      console.log(version.schema);
    }
    if (!found) throw new CommandError(`topic ${args.topic} has no subject ${args.topic}-key or ${args.topic}-value in ${url}`);
  },
});

const register = defineCommand({
  meta: { name: "register", description: "Register a schema file under a subject" },
  args: { ...schemaRegistryArg, ...fileArgs },
  async run({ args }) {
    const { client, body } = await clientAndFile(args, "schema register");
    const subject = encodeURIComponent(args.subject);
    const { id } = (await client.call<{ id: number }>("POST", `/subjects/${subject}/versions`, body))!;
    const { version } = (await client.call<{ version: number }>("POST", `/subjects/${subject}`, body))!;
    console.log(`${args.subject} version ${version}, schema id ${id}`);
  },
});

const checkCommand = defineCommand({
  meta: { name: "check", description: "Check a schema file's compatibility with the subject's latest version" },
  args: { ...schemaRegistryArg, ...fileArgs },
  async run({ args }) {
    const { client, body } = await clientAndFile(args, "schema check");
    const result = (await client.call<{ is_compatible: boolean; messages?: string[] }>(
      "POST",
      `/compatibility/subjects/${encodeURIComponent(args.subject)}/versions/latest?verbose=true`,
      body,
    ))!;
    if (!result.is_compatible) throw new CommandError(`${args.file} is incompatible with ${args.subject}: ${(result.messages ?? []).join("; ")}`);
    console.log(`${args.file} is compatible with the latest version of ${args.subject}`);
  },
});

const validate = defineCommand({
  meta: { name: "validate", description: "Validate a file of JSON lines {key, value} against a topic's schema, producing nothing" },
  args: {
    ...schemaRegistryArg,
    topic: { type: "positional", description: "Topic name", required: true },
    file: { type: "positional", description: "File of JSON lines, or - for stdin (the default)", required: false },
  },
  async run({ args }) {
    const client = new TopicSchemaClient(registryUrl(args["schema-registry"]));
    const schema = await client.topicSchema(args.topic);
    if (!schema) throw new CommandError(`topic ${args.topic} has no schema in ${args["schema-registry"]}`);
    let lineNumber = 0;
    let valid = 0;
    const invalid: string[] = [];
    for await (const line of readLines(args.file)) {
      lineNumber++;
      if (line.trim() === "") continue;
      try {
        encodeLine(client, schema, line);
        valid++;
      } catch (error) {
        invalid.push(`line ${lineNumber}: ${(error as Error).message}`);
      }
    }
    for (const message of invalid) console.error(message);
    if (invalid.length > 0) throw new CommandError(`${invalid.length} of ${valid + invalid.length} lines do not match the schema of ${args.topic}`);
    console.log(`${valid} lines match the schema of ${args.topic}`);
  },
});

export const schemaCommand = defineCommand({
  meta: { name: "schema", description: "List, show, register, check and validate schemas" },
  subCommands: { list, show, register, check: checkCommand, validate },
});
