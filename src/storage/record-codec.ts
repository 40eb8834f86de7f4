// JSON text for compare-and-set record values, which may hold bigint and Uint8Array
// besides plain JSON. Those two become single-key tag objects ({"$bigint": "12"},
// {"$bytes": "<base64>"}); a user object that has any "$"-prefixed key is wrapped as
// {"$object": {...}} so that no user data can be mistaken for a tag.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function encodeValue(value: unknown): string {
  return JSON.stringify(toJson(value, "value"));
}

export function decodeValue<T>(text: string): T {
  return fromJson(JSON.parse(text) as Json) as T;
}

function toJson(value: unknown, path: string): Json {
  if (value === null || typeof value === "boolean" || typeof value === "number" || typeof value === "string") {
    return value;
  }
  if (typeof value === "bigint") return { $bigint: value.toString() };
  if (value instanceof Uint8Array) return { $bytes: value.toBase64() };
  if (Array.isArray(value)) {
    // As JSON.stringify does: holes and undefined in arrays become null.
    return Array.from(value, (item, i) => (item === undefined ? null : toJson(item, `${path}[${i}]`)));
  }
  if (typeof value === "object") {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      throw new TypeError(`${path} is a ${value.constructor?.name ?? "non-plain object"}, not a plain object`);
    }
    // Object.fromEntries defines own properties, so a "__proto__" key stays a plain key.
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    const object = Object.fromEntries(entries.map(([key, item]) => [key, toJson(item, `${path}.${key}`)]));
    return entries.some(([key]) => key.startsWith("$")) ? { $object: object } : object;
  }
  throw new TypeError(`${path} is a ${typeof value}, which cannot be stored`);
}

function fromJson(json: Json): unknown {
  if (json === null || typeof json !== "object") return json;
  if (Array.isArray(json)) return json.map(fromJson);
  const keys = Object.keys(json);
  if (keys.length === 1) {
    const tagged = json[keys[0]];
    switch (keys[0]) {
      case "$bigint":
        return BigInt(tagged as string);
      case "$bytes":
        return Uint8Array.fromBase64(tagged as string);
      case "$object":
        return decodeEntries(tagged as { [key: string]: Json });
    }
  }
  return decodeEntries(json);
}

function decodeEntries(json: { [key: string]: Json }): Record<string, unknown> {
  return Object.fromEntries(Object.entries(json).map(([key, item]) => [key, fromJson(item)]));
}
