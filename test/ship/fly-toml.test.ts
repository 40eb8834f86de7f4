// fly.toml's comments send readers to the deployment steps: every file and README section they name exists.
import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const comments = readFileSync(resolve(ROOT, "fly.toml"), "utf8")
  .split("\n")
  .filter((line) => line.trimStart().startsWith("#"))
  .join("\n");

test("fly.toml names the README section with the deployment steps, and it exists", () => {
  const section = /README\.md, section "([^"]+)"/.exec(comments)?.[1];
  expect(section).toBeDefined();
  expect(readFileSync(resolve(ROOT, "README.md"), "utf8").split("\n")).toContain(`## ${section}`);
});

test("every file fly.toml's comments name exists", () => {
  const files = [...comments.matchAll(/\b((?:docs\/)?[\w./-]+\.(?:md|toml|scratch))\b/g)].map((m) => m[1]!);
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) expect({ file, exists: existsSync(resolve(ROOT, file)) }).toEqual({ file, exists: true });
});
