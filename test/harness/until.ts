/**
 * Waits for a condition that some other party makes true (a server's counter, a file appearing), checking
 * it between turns of the event loop; fails with `what` if it is still false after `timeoutMs`.
 */
export async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(1);
  }
}
