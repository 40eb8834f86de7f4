// The process-wide logger: consola (made on its first use) and the readiness line written without it,
// both honouring --log-level and --log-format as consola's lines do.
import { afterEach, expect, spyOn, test } from "bun:test";
import { LogLevels } from "consola/core";
import { consola, logReady, setLogFormat } from "../src/log.ts";

const out = spyOn(console, "log").mockImplementation(() => {});
const err = spyOn(console, "error").mockImplementation(() => {});

afterEach(() => {
  out.mockClear();
  err.mockClear();
  setLogFormat("text");
  consola.level = LogLevels.info;
});

test("the readiness line is written as consola.info writes a line, in either format", () => {
  logReady("tansu listening on 127.0.0.1:9092");
  consola.info("tansu listening on 127.0.0.1:9092");
  expect(out.mock.calls).toEqual([["ℹ tansu listening on 127.0.0.1:9092"], ["ℹ tansu listening on 127.0.0.1:9092"]]);

  setLogFormat("json");
  const before = Date.now();
  logReady("ready");
  consola.info("ready");
  const [ready, info] = out.mock.calls.slice(2).map(([line]) => JSON.parse(line as string));
  expect({ ...ready, time: undefined }).toEqual({ ...info, time: undefined });
  expect(ready).toMatchObject({ level: "info", msg: "ready" });
  expect(Date.parse(ready.time)).toBeGreaterThanOrEqual(before - 1000);
});

test("levels apply to the readiness line and to consola's lines", () => {
  consola.level = LogLevels.warn;
  logReady("not shown");
  consola.info("not shown either");
  consola.warn("shown");
  expect(out).not.toHaveBeenCalled();
  expect(err.mock.calls).toEqual([["⚠ shown"]]);

  consola.level = LogLevels.debug;
  consola.debug("details");
  expect(out.mock.calls).toEqual([["⚙ details"]]);
  expect(consola.level).toBe(LogLevels.debug);
});

test("the format chosen applies to consola's lines too", () => {
  setLogFormat("json");
  consola.error("failed:", new Error("boom"));
  const line = JSON.parse(err.mock.calls[0]![0] as string);
  expect(line).toMatchObject({ level: "error", msg: "failed:", error: { name: "Error", message: "boom" } });
});
