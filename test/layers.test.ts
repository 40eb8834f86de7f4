// The dependency rules of docs/ARCHITECTURE.md, checked on every import in src/ (static, dynamic and
// re-exports, types included): a layer that reaches past its rule fails here naming the file.
import { describe, expect, test } from "bun:test";
import { Glob } from "bun";
import { dirname, join, relative, resolve } from "node:path";

const SRC = join(import.meta.dir, "..", "src");
const SPECIFIER =
  /\b(?:import|export)\s[^'";]*?\bfrom\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)|\bimport\s+["']([^"']+)["']/g;

interface Import {
  /** The importing file, relative to src/. */
  from: string;
  /** A relative import resolved against src/ ("broker/context.ts"), or the bare specifier ("node:net"). */
  to: string;
  /** Whether `to` is one of our files. */
  ours: boolean;
}

const imports: Import[] = [];
for (const file of new Glob("**/*.ts").scanSync(SRC)) {
  const text = await Bun.file(join(SRC, file)).text();
  for (const match of text.matchAll(SPECIFIER)) {
    const spec = match[1] ?? match[2] ?? match[3];
    const ours = spec.startsWith(".");
    const to = ours ? relative(SRC, resolve(dirname(join(SRC, file)), spec)) : spec;
    imports.push({ from: file, to, ours });
  }
}

const under = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);
const engineOf = (path: string) => /^storage\/engines\/([^/]+)\//.exec(path)?.[1];

function violations(rule: (i: Import) => boolean): string[] {
  return imports.filter(rule).map((i) => `${i.from} imports ${i.to}`);
}

describe("dependency rules", () => {
  test("the scan sees the imports it checks", () => {
    // A regular expression that stopped matching would pass every rule below.
    expect(imports.some((i) => i.from === "cli/main.ts")).toBe(true);
    expect(imports.some((i) => under(i.from, "broker") && under(i.to, "protocol"))).toBe(true);
    expect(imports.some((i) => under(i.from, "storage/engines") && under(i.to, "protocol"))).toBe(true);
  });

  test("protocol imports nothing of ours", () => {
    expect(violations((i) => under(i.from, "protocol") && i.ours && !under(i.to, "protocol"))).toEqual([]);
  });

  test("engines never import the broker or each other", () => {
    expect(
      violations((i) => {
        const engine = engineOf(i.from);
        if (engine === undefined) return false;
        const other = engineOf(i.to);
        return under(i.to, "broker") || under(i.to, "cli") || (other !== undefined && other !== engine);
      }),
    ).toEqual([]);
  });

  test("the broker reaches engines only through the storage contract", () => {
    expect(violations((i) => under(i.from, "broker") && under(i.to, "storage/engines"))).toEqual([]);
  });

  test("the proxy never imports storage or the broker", () => {
    expect(violations((i) => under(i.from, "proxy") && (under(i.to, "storage") || under(i.to, "broker")))).toEqual([]);
  });

  test("schema and lake see records and schemas, not sockets", () => {
    const outside = ["broker", "proxy", "http", "cli", "security", "node:net", "node:tls"];
    expect(
      violations(
        (i) => (under(i.from, "schema") || under(i.from, "lake")) && outside.some((layer) => under(i.to, layer)),
      ),
    ).toEqual([]);
  });

  test("only src/cli wires everything together", () => {
    expect(violations((i) => !under(i.from, "cli") && (under(i.to, "cli") || i.to === "storage/open.ts"))).toEqual([]);
  });
});
