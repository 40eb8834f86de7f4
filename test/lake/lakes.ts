// Lakes a test opens are closed after it, committing what they buffered.

import { afterEach } from "bun:test";
import { Lake, tableSchema, type LakeOptions } from "../../src/lake/lake.ts";
import { event, EVENT_V1, EVENT_V2 } from "./topics.ts";

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

/**
 * Six events to table "events" in three commits: two with EVENT_V1, two with EVENT_V2 (which
 * adds the optional coupon: "SAVE10" and ""), and two more with EVENT_V1, as a producer still
 * on the old schema version would send after the change.
 */
export async function writeEvolvingEvents(lake: Lake): Promise<void> {
  const configs = { "tansu.lake.commit.records": "2" };
  const v1 = tableSchema({ value: { format: "avro", schema: EVENT_V1 } });
  const v2 = tableSchema({ value: { format: "avro", schema: EVENT_V2 } });
  await lake.write("events", v1, [event(0), event(1)], configs);
  await lake.write("events", v2, [event(2, "SAVE10"), event(3, "")], configs);
  await lake.write("events", v1, [event(4), event(5)], configs);
}
