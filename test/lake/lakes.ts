// Lakes a test opens are closed after it, committing what they buffered.

import { afterEach } from "bun:test";
import { Lake, type LakeOptions } from "../../src/lake/lake.ts";

/** A function opening lakes at file://DIR with `defaults`; each is closed after the test. */
export function lakeOpener(defaults: Omit<LakeOptions, "location">): (dir: string) => Promise<Lake> {
  const lakes: Lake[] = [];
  afterEach(async () => {
    for (const lake of lakes.splice(0)) await lake.close();
  });
  return async (dir) => {
    const lake = await Lake.open({ ...defaults, location: `file://${dir}` });
    lakes.push(lake);
    return lake;
  };
}
