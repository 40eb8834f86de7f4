// Compiles a start-up baseline (bare-listen.ts, bare-sqlite.ts) the way `npm run build` compiles the broker,
// for the start-up benchmarks to measure beside it.
import { join, resolve } from "node:path";
import { COMPILE_FLAGS } from "../../build.ts";

/** Compiles scripts/bench/baseline/NAME.ts into DIR/NAME and returns that path. */
export function compileBaseline(name: string, dir: string): string {
  const outfile = join(dir, name);
  const source = resolve(import.meta.dir, `${name}.ts`);
  const compiled = Bun.spawnSync([process.execPath, "build", ...COMPILE_FLAGS, source, "--outfile", outfile]);
  if (!compiled.success) throw new Error(`compiling ${name} failed:\n${compiled.stderr.toString()}`);
  return outfile;
}
