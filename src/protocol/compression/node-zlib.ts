// node:zlib, loaded on first use: initialising it costs Bun about 5 ms, a large share of a
// broker's start-up, and many brokers never see a gzip, zstd or legacy (CRC-32) batch.
import type * as NodeZlib from "node:zlib";

let loaded: typeof NodeZlib | undefined;

export function nodeZlib(): typeof NodeZlib {
  return (loaded ??= require("node:zlib") as typeof NodeZlib);
}
