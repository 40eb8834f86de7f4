// The two librdkafka builds the client tests run: Debian's (2.0, what kcat and python3-confluent-kafka load
// by default) and a current one that scripts/build-librdkafka.sh builds into node_modules/.cache (loaded
// through LD_LIBRARY_PATH: same soname, stable ABI). They speak different protocol versions (2.15 sends
// Metadata v12, Produce v9+, KIP-848 heartbeats), so client tests run against both and put `name` in their
// test names: a failure says which library it ran.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { kcat } from "./kcat.ts";
import { python } from "./python.ts";
import type { Engine } from "./stores.ts";

export interface Librdkafka {
  /** "librdkafka 2.0.2", as the library reports itself. */
  name: string;
  version: string;
  /** What to add to a kcat or python process's environment to make it load this build. */
  env: Record<string, string>;
  /** builtin.features (codecs among them). */
  features: string[];
}

export const CURRENT_LIBRDKAFKA_DIR = resolve(import.meta.dir, "../../node_modules/.cache/tansu-librdkafka/install/lib");

async function load(env: Record<string, string>, expectedMajorMinor: string | null): Promise<Librdkafka> {
  const info = await kcat(["-V"], { env });
  const match = /librdkafka (\S+) builtin\.features=(\S+)/.exec(info.stdout);
  if (info.exitCode !== 0 || !match) throw new Error(`kcat -V with ${JSON.stringify(env)} failed: ${info.stdout}${info.stderr}`);
  const [, version, features] = match as unknown as [string, string, string];
  if (expectedMajorMinor && !version.startsWith(expectedMajorMinor)) {
    throw new Error(`expected librdkafka ${expectedMajorMinor}.x with ${JSON.stringify(env)}, kcat loaded ${version}`);
  }
  // python confluent-kafka must load the same build kcat did, or test names would lie.
  const fromPython = await python("import confluent_kafka; print(confluent_kafka.libversion()[0])", [], { env });
  if (fromPython.stdout.trim() !== version) {
    throw new Error(`kcat loaded librdkafka ${version} but python confluent-kafka ${fromPython.stdout.trim() || fromPython.stderr}`);
  }
  return { name: `librdkafka ${version}`, version, env, features: features.split(",") };
}

if (!existsSync(join(CURRENT_LIBRDKAFKA_DIR, "librdkafka.so.1"))) {
  throw new Error(`no current librdkafka in ${CURRENT_LIBRDKAFKA_DIR}: run scripts/build-librdkafka.sh (npm test does)`);
}

/** Debian 12's librdkafka, loaded by default. */
export const DEBIAN_LIBRDKAFKA = await load({}, "2.0.");
/** The build of scripts/build-librdkafka.sh. */
export const CURRENT_LIBRDKAFKA = await load({ LD_LIBRARY_PATH: CURRENT_LIBRDKAFKA_DIR }, null);
export const LIBRDKAFKAS: readonly Librdkafka[] = [DEBIAN_LIBRDKAFKA, CURRENT_LIBRDKAFKA];

/**
 * The builds a client test runs on a store: both on sqlite:// (the default), the current one on
 * postgres://. The engine sits behind the broker's protocol handling, so what the older build
 * exercises differently is covered on sqlite://; running it on postgres:// too would only add time.
 */
export function librdkafkasFor(engine: Engine): readonly Librdkafka[] {
  return engine === "sqlite" ? LIBRDKAFKAS : [CURRENT_LIBRDKAFKA];
}
