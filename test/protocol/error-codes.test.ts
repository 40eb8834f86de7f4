import { expect, test } from "bun:test";
import { ErrorCode, errorName } from "../../src/protocol/error-codes.ts";

test("every error code is named as Kafka names it (the names table matches the enum), and unknown codes say so", () => {
  const members = Object.entries(ErrorCode).filter((entry): entry is [string, number] => typeof entry[1] === "number");
  expect(members.length).toBeGreaterThan(130);
  for (const [name, code] of members) expect(errorName(code)).toBe(name);
  expect(errorName(-2)).toBe("UNKNOWN_ERROR_CODE(-2)");
  expect(errorName(members.length - 1)).toBe(`UNKNOWN_ERROR_CODE(${members.length - 1})`);
});
