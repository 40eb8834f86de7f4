// The web console in headless Chromium (Debian's, driven by playwright-core): it lists a topic
// kcat created, shows a consumer group's lag, and displays a produced record's decoded value.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { BROKER_BINARY, freePort, startBroker, tempDir, type RunningBroker } from "../harness/broker.ts";
import { kcat } from "../harness/kcat.ts";
import { python } from "../harness/python.ts";
import { runCommand } from "../harness/run.ts";

let broker: RunningBroker;
let http: string;
let browser: BrowserContext;
let page: Page;
let schemaFiles: string;

const TOPIC = "console-orders";
const GROUP = "console-group";
const AVRO_TOPIC = "console-payments";
// Tansu's schema file convention: an Avro record whose `value` field is the value's schema.
const AVRO_SCHEMA = {
  type: "record",
  name: "ConsolePayments",
  fields: [{ name: "value", type: { type: "record", name: "Payment", fields: [{ name: "id", type: "long" }, { name: "currency", type: "string" }] } }],
};

beforeAll(async () => {
  http = `http://127.0.0.1:${freePort()}`;
  schemaFiles = tempDir("tansu-console-schemas-");
  mkdirSync(schemaFiles, { recursive: true });
  writeFileSync(join(schemaFiles, `${AVRO_TOPIC}.avsc`), JSON.stringify(AVRO_SCHEMA));
  broker = await startBroker({ args: ["--http-listener-url", http, "--schema-registry", `file://${schemaFiles}`] });
  // A fresh profile each run (Playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(tempDir("tansu-chromium-"), {
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await broker?.stop();
});

/** Resolves once the page shows `text` (Playwright waits for it; a missing text fails after 15 s). */
async function shows(text: string | RegExp): Promise<void> {
  await page.getByText(text).first().waitFor({ state: "visible", timeout: 15_000 });
}

test("kcat's topic is listed, its record's JSON value is shown decoded, and a group's lag is shown", async () => {
  const produced = await kcat(["-b", broker.url, "-t", TOPIC, "-P", "-K", "|", "-H", "source=kcat"], {
    input: 'order-1|{"order":1,"item":"tea"}\norder-2|plain text value\norder-3|{"order":3,"item":"cake"}\n',
  });
  expect(produced.exitCode).toBe(0);
  // A group that consumed one record of three and committed: lag 2.
  const consumed = await python(
    String.raw`
import sys
from confluent_kafka import Consumer
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[3], "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.subscribe([sys.argv[2]])
while True:
    m = c.poll(10)
    if m is None: sys.exit("no record within 10 s")
    if not m.error(): break
c.commit(message=m, asynchronous=False)
c.close()
`,
    [broker.url, TOPIC, GROUP],
    { timeoutMs: 60_000 },
  );
  expect(consumed.stderr).not.toContain("Traceback");
  expect(consumed.exitCode).toBe(0);

  await page.goto(`${http}/ui/`);
  await shows(/storage sqlite/);
  await page.getByRole("link", { name: TOPIC }).click();
  await shows(`Topic ${TOPIC}`);
  await shows("cleanup.policy");
  await page.getByRole("link", { name: "browse" }).click();
  // The JSON value is pretty-printed, the text value shown as text, the header decoded.
  await shows('"item": "tea"');
  await shows("plain text value");
  await shows("order-3");
  const cells = await page.locator("tbody tr").first().locator("td").allTextContents();
  expect(cells[0]).toBe("0");
  expect(cells[2]).toBe("textorder-1");
  expect(cells[3]).toBe('json{\n  "order": 1,\n  "item": "tea"\n}');
  expect(cells[4]).toBe("source: textkcat");

  await page.goto(`${http}/ui/#/`);
  await page.getByRole("link", { name: GROUP }).click();
  await shows(`Consumer group ${GROUP}`);
  const offsets = page.locator("table").first().locator("tbody tr");
  await offsets.first().waitFor();
  expect(await offsets.first().locator("td").allTextContents()).toEqual([TOPIC, "0", "1", "3", "2", "—"]);
}, 120_000);

test("a record of a topic with an Avro schema is shown decoded with that schema, and the schema is shown", async () => {
  const produced = await runCommand([BROKER_BINARY, "cat", "produce", AVRO_TOPIC, "--broker", broker.url, "--schema-registry", `file://${schemaFiles}`], {
    input: '{"value":{"id":7,"currency":"EUR"}}\n',
  });
  expect(produced.exitCode).toBe(0);
  // The stored value is Avro binary (zigzag 7 = 0x0e, then the string), not JSON text.
  const raw = await kcat(["-b", broker.url, "-t", AVRO_TOPIC, "-C", "-e", "-o", "beginning", "-f", "%s"]);
  expect(raw.stdout).not.toContain("currency");

  await page.goto(`${http}/ui/#/topics/${AVRO_TOPIC}`);
  await shows(`Topic ${AVRO_TOPIC}`);
  await shows(/"name":\s*"Payment"/);
  await page.getByRole("link", { name: "browse" }).click();
  await shows('"currency": "EUR"');
  const cells = await page.locator("tbody tr").first().locator("td").allTextContents();
  expect(cells[3]).toBe('schema{\n  "id": 7,\n  "currency": "EUR"\n}');
}, 120_000);

test("the console's pages and API are served by the broker binary; unknown endpoints are 404", async () => {
  for (const path of ["/ui/", "/ui/console-app.js", "/ui/console.css"]) expect((await fetch(`${http}${path}`)).status).toBe(200);
  expect((await fetch(`${http}/ui`, { redirect: "manual" })).headers.get("location")).toBe(`${http}/ui/`);
  expect((await fetch(`${http}/ui/api/topics/no-such-topic`)).status).toBe(404);
  expect((await fetch(`${http}/ui/api/groups/no-such-group`)).status).toBe(404);
  expect((await fetch(`${http}/ui/api/nothing`)).status).toBe(404);
  expect((await fetch(`${http}/ui/api/topics`, { method: "POST" })).status).toBe(405);
});
