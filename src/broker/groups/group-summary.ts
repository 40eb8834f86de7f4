// A stored group of either kind as of now (any deadline that passed since it was last touched
// applied), and its state name and protocol type as Kafka reports them.

import { tickClassic } from "./classic-group.ts";
import { consumerGroupState, tickConsumer } from "./consumer-group.ts";
import { DEFAULT_GROUP_SETTINGS } from "./group-settings.ts";
import type { GroupRecord } from "./group-store.ts";

/** Applies due deadlines to `group` (a copy); returns whether that changed it. */
export function applyDeadlines(group: GroupRecord, now: number): boolean {
  return group.type === "classic" ? tickClassic(group, now, DEFAULT_GROUP_SETTINGS) : tickConsumer(group, now);
}

export function groupState(group: GroupRecord): string {
  return group.type === "classic" ? group.state : consumerGroupState(group);
}

export function protocolTypeOf(group: GroupRecord): string {
  return group.type === "classic" ? (group.protocolType ?? "") : "consumer";
}
