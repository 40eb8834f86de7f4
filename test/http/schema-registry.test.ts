// The Schema Registry REST API in process (listener, routes, registry over a memory store): Confluent's
// status codes, error codes and bodies for each endpoint.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { listenHttp, type RunningHttp } from "../../src/http/server.ts";
import { schemaRegistryRoutes } from "../../src/http/schema-registry.ts";
import { SchemaRegistry } from "../../src/schema/registry/registry.ts";
import { MemoryStorage } from "../../src/storage/engines/memory/memory-storage.ts";

let http: RunningHttp;
let base: string;

beforeAll(() => {
  http = listenHttp("127.0.0.1", 0, [schemaRegistryRoutes(async () => new SchemaRegistry(new MemoryStorage()))]);
  base = `http://127.0.0.1:${http.port}`;
});
afterAll(() => http.stop());

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // raw schema endpoints
  }
  return { status: response.status, body: parsed };
}

const avro = (fields: unknown[]) => JSON.stringify({ type: "record", name: "Order", fields });
const V1 = avro([{ name: "id", type: "long" }]);
const V2 = avro([
  { name: "id", type: "long" },
  { name: "note", type: ["null", "string"], default: null },
]);
const BREAKING = avro([{ name: "id", type: "string" }]);

describe("subjects and versions", () => {
  test("register, the same schema twice, versions, latest, by id, lookup", async () => {
    const first = await call("POST", "/subjects/orders-value/versions", { schema: V1 });
    expect(first).toEqual({ status: 200, body: { id: expect.any(Number) } });
    expect((await call("POST", "/subjects/orders-value/versions", { schema: V1 })).body.id).toBe(first.body.id);
    // The same schema under another subject gets the same id.
    expect((await call("POST", "/subjects/other-value/versions", { schema: V1 })).body.id).toBe(first.body.id);
    const second = await call("POST", "/subjects/orders-value/versions", { schema: V2 });
    expect(second.body.id).not.toBe(first.body.id);

    expect((await call("GET", "/subjects")).body).toEqual(["orders-value", "other-value"]);
    expect((await call("GET", "/subjects/orders-value/versions")).body).toEqual([1, 2]);
    expect((await call("GET", "/subjects/orders-value/versions/latest")).body).toEqual({ subject: "orders-value", version: 2, id: second.body.id, schema: V2 });
    expect((await call("GET", "/subjects/orders-value/versions/1")).body.schema).toBe(V1);
    expect((await call("GET", "/subjects/orders-value/versions/1/schema")).body).toEqual(JSON.parse(V1));
    expect((await call("GET", `/schemas/ids/${first.body.id}`)).body).toEqual({ schema: V1 });
    expect((await call("GET", `/schemas/ids/${first.body.id}?subject=orders-value`)).body).toEqual({ schema: V1 });
    expect((await call("GET", `/schemas/ids/${first.body.id}/versions`)).body).toEqual([
      { subject: "orders-value", version: 1 },
      { subject: "other-value", version: 1 },
    ]);
    expect((await call("POST", "/subjects/orders-value", { schema: V2 })).body).toMatchObject({ subject: "orders-value", version: 2, id: second.body.id });
    expect((await call("GET", "/schemas/types")).body).toEqual(["JSON", "PROTOBUF", "AVRO"]);
  });

  test("not found and invalid answers carry Confluent's error codes", async () => {
    expect(await call("GET", "/subjects/nope/versions")).toEqual({ status: 404, body: { error_code: 40401, message: "Subject 'nope' not found." } });
    expect((await call("GET", "/subjects/orders-value/versions/99")).body.error_code).toBe(40402);
    expect((await call("GET", "/subjects/orders-value/versions/zero")).body.error_code).toBe(42202);
    expect((await call("GET", "/schemas/ids/9999")).body).toEqual({ error_code: 40403, message: "Schema 9999 not found" });
    expect((await call("POST", "/subjects/orders-value", { schema: avro([{ name: "x", type: "int" }]) })).body.error_code).toBe(40403);
    expect((await call("POST", "/subjects/nope", { schema: V1 })).body.error_code).toBe(40401);
    const invalid = await call("POST", "/subjects/bad-value/versions", { schema: '{"type": "record"' });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error_code).toBe(42201);
    expect((await call("POST", "/subjects/bad-value/versions", { schema: "{}", schemaType: "XML" })).body.error_code).toBe(42201);
    expect((await call("DELETE", "/schemas/types")).status).toBe(405);
  });

  test("an incompatible schema is refused with 409 and the reasons", async () => {
    const refused = await call("POST", "/subjects/orders-value/versions", { schema: BREAKING });
    expect(refused.status).toBe(409);
    expect(refused.body.error_code).toBe(409);
    expect(refused.body.message).toContain("incompatible");
    const check = await call("POST", "/compatibility/subjects/orders-value/versions/latest?verbose=true", { schema: BREAKING });
    expect(check.body.is_compatible).toBe(false);
    expect(check.body.messages.length).toBeGreaterThan(0);
    expect((await call("POST", "/compatibility/subjects/orders-value/versions/latest", { schema: V2 })).body).toEqual({ is_compatible: true });
    expect((await call("POST", "/compatibility/subjects/nope/versions/latest", { schema: V2 })).body.error_code).toBe(40401);
  });
});

describe("config", () => {
  test("global and subject compatibility levels", async () => {
    expect((await call("GET", "/config")).body).toEqual({ compatibilityLevel: "BACKWARD" });
    expect((await call("GET", "/config/orders-value")).body.error_code).toBe(40408);
    expect((await call("GET", "/config/orders-value?defaultToGlobal=true")).body).toEqual({ compatibilityLevel: "BACKWARD" });
    expect((await call("PUT", "/config/orders-value", { compatibility: "none" })).body).toEqual({ compatibility: "NONE" });
    expect((await call("GET", "/config/orders-value")).body).toEqual({ compatibilityLevel: "NONE" });
    // NONE lets the breaking change in.
    expect((await call("POST", "/subjects/orders-value/versions", { schema: BREAKING })).status).toBe(200);
    expect((await call("PUT", "/config", { compatibility: "SIDEWAYS" })).body.error_code).toBe(42203);
    expect((await call("DELETE", "/config/orders-value")).body).toEqual({ compatibilityLevel: "NONE" });
    expect((await call("DELETE", "/config/orders-value")).body.error_code).toBe(40408);
  });

  test("FORWARD and FULL, transitive or not", async () => {
    await call("PUT", "/config/fwd-value", { compatibility: "FORWARD" });
    await call("POST", "/subjects/fwd-value/versions", { schema: V2 });
    // Dropping a field with a default is FORWARD compatible (old readers fill it in); adding one without is too.
    expect((await call("POST", "/subjects/fwd-value/versions", { schema: V1 })).status).toBe(200);
    await call("PUT", "/config/full-value", { compatibility: "FULL_TRANSITIVE" });
    await call("POST", "/subjects/full-value/versions", { schema: V1 });
    expect((await call("POST", "/subjects/full-value/versions", { schema: V2 })).status).toBe(200);
    expect((await call("POST", "/subjects/full-value/versions", { schema: avro([{ name: "id", type: "long" }, { name: "n", type: "int" }]) })).status).toBe(409);
  });
});

describe("deletes", () => {
  test("soft then permanent, for versions and subjects", async () => {
    await call("PUT", "/config/del-value", { compatibility: "NONE" });
    await call("POST", "/subjects/del-value/versions", { schema: V1 });
    await call("POST", "/subjects/del-value/versions", { schema: BREAKING });
    expect((await call("DELETE", "/subjects/del-value/versions/1?permanent=true")).body.error_code).toBe(40407);
    expect((await call("DELETE", "/subjects/del-value/versions/1")).body).toBe(1);
    expect((await call("DELETE", "/subjects/del-value/versions/1")).body.error_code).toBe(40406);
    expect((await call("GET", "/subjects/del-value/versions")).body).toEqual([2]);
    expect((await call("GET", "/subjects/del-value/versions?deleted=true")).body).toEqual([1, 2]);
    expect((await call("DELETE", "/subjects/del-value/versions/1?permanent=true")).body).toBe(1);
    expect((await call("DELETE", "/subjects/del-value?permanent=true")).body.error_code).toBe(40405);
    expect((await call("DELETE", "/subjects/del-value")).body).toEqual([2]);
    expect((await call("DELETE", "/subjects/del-value")).body.error_code).toBe(40404);
    expect((await call("GET", "/subjects")).body).not.toContain("del-value");
    expect((await call("GET", "/subjects?deleted=true")).body).toContain("del-value");
    expect((await call("DELETE", "/subjects/del-value?permanent=true")).body).toEqual([2]);
    expect((await call("GET", "/subjects/del-value/versions?deleted=true")).body.error_code).toBe(40401);
  });
});

describe("references", () => {
  test("Avro, JSON Schema and Protobuf schemas that reference other subjects", async () => {
    const address = JSON.stringify({ type: "record", name: "Address", namespace: "shop", fields: [{ name: "city", type: "string" }] });
    await call("POST", "/subjects/address/versions", { schema: address });
    const customer = JSON.stringify({ type: "record", name: "Customer", namespace: "shop", fields: [{ name: "home", type: "shop.Address" }] });
    const references = [{ name: "shop.Address", subject: "address", version: 1 }];
    expect((await call("POST", "/subjects/customer-value/versions", { schema: customer })).body.error_code).toBe(42201);
    const registered = await call("POST", "/subjects/customer-value/versions", { schema: customer, references });
    expect(registered.status).toBe(200);
    expect((await call("GET", "/subjects/customer-value/versions/1")).body.references).toEqual(references);
    expect((await call("GET", "/subjects/address/versions/1/referencedby")).body).toEqual([registered.body.id]);
    expect((await call("DELETE", "/subjects/address")).body.error_code).toBe(42206);

    const point = JSON.stringify({ type: "object", properties: { x: { type: "number" } }, required: ["x"] });
    await call("POST", "/subjects/point/versions", { schema: point, schemaType: "JSON" });
    const shape = JSON.stringify({ type: "object", properties: { at: { $ref: "point.json" } } });
    expect((await call("POST", "/subjects/shape-value/versions", { schema: shape, schemaType: "JSON", references: [{ name: "point.json", subject: "point", version: 1 }] })).status).toBe(200);

    await call("POST", "/subjects/common.proto/versions", { schema: 'syntax = "proto3"; package shop; message Money { int64 cents = 1; }', schemaType: "PROTOBUF" });
    const order = 'syntax = "proto3"; package shop; import "common.proto"; message Order { Money total = 1; }';
    expect((await call("POST", "/subjects/order-value/versions", { schema: order, schemaType: "PROTOBUF", references: [{ name: "common.proto", subject: "common.proto", version: 1 }] })).status).toBe(200);
    expect((await call("POST", "/subjects/order2-value/versions", { schema: order, schemaType: "PROTOBUF" })).body.error_code).toBe(42201);
  });
});
