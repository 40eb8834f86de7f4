import { expect, test } from "bun:test";
import { LogNotifier } from "../../src/broker/log-notifier.ts";

test("a wait says whether an append ended it, rather than its timeout or an abort", async () => {
  const notifier = new LogNotifier();
  const key = LogNotifier.key("t", 0);
  const never = new AbortController().signal;
  const woken = notifier.wait([key], 60_000, never);
  notifier.notify("t", 1); // another partition: no effect
  notifier.notify("t", 0);
  expect(await woken).toBe(true);
  expect(await notifier.wait([key], 1, never)).toBe(false);
  const abort = new AbortController();
  const aborted = notifier.wait([key], 60_000, abort.signal);
  abort.abort();
  expect(await aborted).toBe(false);
  // Ended waits leave nothing behind: a later append wakes only the waits of its time.
  const later = notifier.wait([key], 60_000, never);
  notifier.notify("t", 0);
  expect(await later).toBe(true);
});
