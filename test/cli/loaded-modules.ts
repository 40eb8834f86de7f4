// Preloaded (bun --preload) into a broker run from source by startup-path.test.ts: when the
// process exits it writes every module it evaluated to the file TANSU_LOADED_MODULES names.
import { writeFileSync } from "node:fs";

const file = process.env.TANSU_LOADED_MODULES;
if (!file) throw new Error("loaded-modules.ts needs TANSU_LOADED_MODULES");
process.on("exit", () => writeFileSync(file, JSON.stringify(Object.keys(require.cache))));
