// The start-up benchmarks' client: the first request a program under test answers.
import { requestApiVersions } from "../../test/harness/api-versions.ts";

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
