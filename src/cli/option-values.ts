/**
 * Every value of an option given several times (citty keeps only the last): `--name value`,
 * `--name=value`, and for one-letter options `-X value` and `-Xvalue`.
 */
export function optionValues(rawArgs: readonly string[], name: string): string[] {
  const flag = name.length === 1 ? `-${name}` : `--${name}`;
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === flag) {
      const value = rawArgs[++i];
      if (value === undefined) throw new Error(`${flag} needs a value`);
      values.push(value);
    } else if (arg.startsWith(name.length === 1 ? flag : `${flag}=`)) {
      values.push(arg.slice(name.length === 1 ? 2 : flag.length + 1));
    }
  }
  return values;
}
