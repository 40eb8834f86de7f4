/**
 * The name of a code from a `{ NAME: code }` table, as a function; `unknown(code)` for codes the table lacks.
 * The reverse table is built on the first call: the tables' modules are on every broker's start-up path, and few
 * brokers ever name a code.
 */
export function codeNames(table: Record<string, number>, unknown: (code: number) => string): (code: number) => string {
  let names: Map<number, string> | undefined;
  return (code) => {
    if (!names) {
      names = new Map();
      for (const name in table) names.set(table[name]!, name);
    }
    return names.get(code) ?? unknown(code);
  };
}
