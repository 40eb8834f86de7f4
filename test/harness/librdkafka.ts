import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

// Debian's librdkafka (2.0) is old; scripts/build-librdkafka.sh (run by `npm test` through
// scripts/install-test-deps.sh) builds a current one (2.15) that Debian's python3-confluent-kafka
// loads through LD_LIBRARY_PATH. Client tests run against both.
export const LIBRDKAFKA_LIB = resolve(import.meta.dir, "../../node_modules/.cache/tansu-librdkafka/install/lib");

/** The environment that makes python3-confluent-kafka load the current librdkafka. */
export function currentLibrdkafka(): Record<string, string> {
  if (!existsSync(join(LIBRDKAFKA_LIB, "librdkafka.so.1"))) {
    throw new Error(`no current librdkafka in ${LIBRDKAFKA_LIB}: run scripts/build-librdkafka.sh`);
  }
  return { LD_LIBRARY_PATH: LIBRDKAFKA_LIB };
}

/** Debian's librdkafka and the current one, as environments for python. */
export const LIBRDKAFKAS: Array<{ name: string; env: () => Record<string, string> }> = [
  { name: "librdkafka 2.0", env: () => ({}) },
  { name: "librdkafka 2.15", env: currentLibrdkafka },
];
