// The start-up benchmarks' client: the first request a program under test answers.
import { requestApiVersions } from "../../test/harness/api-versions.ts";
import { rawSocket } from "../../test/harness/raw-socket.ts";

/**
 * Waits for the program's "listening" line on its stdout (the broker and both baselines log one), then sends
 * ApiVersions. Polling the port instead would add up to a retry interval of noise to every sample. Not the test
 * harness's spawnListening: its line splitting and stderr draining would be client work inside every timed sample.
 */
export async function firstAnswer(port: number, stdout: ReadableStream<Uint8Array>): Promise<void> {
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of stdout) {
    text += decoder.decode(chunk, { stream: true });
    if (text.includes("listening")) break;
  }
  if (!text.includes("listening")) throw new Error(`the program exited before listening; it wrote: ${text.trim()}`);
  // Every program logs the line once its port is bound, so the first connection is taken.
  const response = await requestApiVersions(port);
  if (response.errorCode !== 0) throw new Error(`ApiVersions v0 answered with error ${response.errorCode}`);
}

const METADATA = 3;

/**
 * A Metadata v0 request for every topic on a new connection, answered: what a client asks next, and the first
 * request that reads the store (on a sqlite:// store opened by its first operation, the open is in it).
 */
export async function firstMetadata(port: number): Promise<void> {
  const frame = new Uint8Array(18);
  const view = new DataView(frame.buffer);
  view.setInt32(0, 14); // api_key, api_version, correlation_id, null client_id, an empty topic array
  view.setInt16(4, METADATA);
  view.setInt16(6, 0);
  view.setInt32(8, 2);
  view.setInt16(12, -1);
  view.setInt32(14, 0);
  const raw = await rawSocket(port);
  try {
    raw.socket.write(frame);
    const [answer] = await raw.frames(1);
    if (new DataView(answer!.buffer, answer!.byteOffset).getInt32(0) !== 2) throw new Error("Metadata v0 answered with another correlation id");
  } finally {
    raw.socket.end();
  }
}
