// Config values as Kafka's ConfigDef reads them: a string is trimmed and parsed into its type, checked by
// the key's validator, and stored and reported in Kafka's canonical form (ConfigDef.convertToString), with
// Kafka's error messages ("Invalid value X for configuration NAME: ...").

export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 } as const;
export type ValueType = typeof ConfigType.BOOLEAN | typeof ConfigType.STRING | typeof ConfigType.INT | typeof ConfigType.LONG | typeof ConfigType.DOUBLE | typeof ConfigType.LIST;

export type ConfigValue = boolean | string | number | bigint | string[];

export class InvalidConfigError extends Error {
  override name = "InvalidConfigError";
}

/** Kafka's ConfigException(name, value, message). */
export function invalidValue(name: string, shown: string, message: string): InvalidConfigError {
  return new InvalidConfigError(`Invalid value ${shown} for configuration ${name}: ${message}`);
}

/** Throws InvalidConfigError (invalidValue) for a parsed value it refuses; `formatted` is its canonical string. */
export type Validator = (name: string, value: ConfigValue, formatted: string) => void;

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const INTEGER = /^[+-]?\d+$/;
// What Java's Double.parseDouble accepts, hexadecimal forms aside.
const DOUBLE = /^[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?)$/;

const TYPE_NAMES: Record<ValueType, string> = { 1: "BOOLEAN", 2: "STRING", 3: "INT", 5: "LONG", 6: "DOUBLE", 7: "LIST" };

/** ConfigDef.parseType for a string value. @throws InvalidConfigError */
export function parseConfigValue(name: string, type: ValueType, raw: string): ConfigValue {
  const trimmed = raw.trim();
  const notA = () => invalidValue(name, raw, `Not a number of type ${TYPE_NAMES[type]}`);
  switch (type) {
    case ConfigType.BOOLEAN:
      if (/^(true|false)$/i.test(trimmed)) return trimmed.toLowerCase() === "true";
      throw invalidValue(name, raw, "Expected value to be either true or false");
    case ConfigType.STRING:
      return trimmed;
    case ConfigType.INT: {
      if (!INTEGER.test(trimmed)) throw notA();
      const n = Number(trimmed);
      if (n < INT_MIN || n > INT_MAX) throw notA();
      return n;
    }
    case ConfigType.LONG: {
      if (!INTEGER.test(trimmed)) throw notA();
      const n = BigInt(trimmed);
      if (n < LONG_MIN || n > LONG_MAX) throw notA();
      return n;
    }
    case ConfigType.DOUBLE:
      if (!DOUBLE.test(trimmed)) throw notA();
      return Number(trimmed.replace(/[fFdD]$/, ""));
    case ConfigType.LIST:
      return trimmed === "" ? [] : trimmed.split(/\s*,\s*/);
  }
}

/** ConfigDef.convertToString: what Kafka stores and reports for a parsed value. */
export function formatConfigValue(type: ValueType, value: ConfigValue): string {
  if (Array.isArray(value)) return value.join(",");
  if (type === ConfigType.DOUBLE) return javaDouble(value as number);
  return String(value);
}

/** Java's Double.toString: "0.5", "1.0", "1.0E-4". */
function javaDouble(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) {
    const [mantissa, exponent] = n.toExponential().split("e");
    return `${mantissa!.includes(".") ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
  }
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

/** ConfigDef.Range: inclusive bounds, either optional. */
export function range(min: number | bigint | null, max: number | bigint | null = null): Validator {
  return (name, value, formatted) => {
    const n = value as number | bigint;
    if (min !== null && n < min) throw invalidValue(name, formatted, `Value must be at least ${min}`);
    if (max !== null && n > max) throw invalidValue(name, formatted, `Value must be no more than ${max}`);
  };
}

/** ConfigDef.ValidString: one of `allowed`, case-sensitive. */
export function oneOf(...allowed: string[]): Validator {
  return (name, value) => {
    if (!allowed.includes(value as string)) throw invalidValue(name, value as string, `String must be one of: ${allowed.join(", ")}`);
  };
}

/** ConfigDef.ValidList: every element one of `allowed`; the empty list passes. */
export function listOf(...allowed: string[]): Validator {
  const element = oneOf(...allowed);
  return (name, value) => {
    for (const item of value as string[]) element(name, item, item);
  };
}
