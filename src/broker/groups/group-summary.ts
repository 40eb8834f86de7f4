// A stored group of either kind as of now (any deadline that passed since it was last touched
// applied), and its state name and protocol type as Kafka reports them.

import { tickClassic } from "./classic-group.ts";
import { consumerGroupState, tickConsumer } from "./consumer-group.ts";
import { DEFAULT_GROUP_SETTINGS } from "./group-settings.ts";
import type { GroupRecord } from "./group-store.ts";
import { shareGroupState, tickShare } from "./share-group.ts";

/** Applies due deadlines to `group` (a copy); returns whether that changed it. */
export function applyDeadlines(group: GroupRecord, now: number): boolean {
  switch (group.type) {
    case "classic":
      return tickClassic(group, now, DEFAULT_GROUP_SETTINGS);
    case "consumer":
      return tickConsumer(group, now);
    case "share":
      return tickShare(group, now);
  }
}

export function groupState(group: GroupRecord): string {
  switch (group.type) {
    case "classic":
      return group.state;
    case "consumer":
      return consumerGroupState(group);
    case "share":
      return shareGroupState(group);
  }
}

export function protocolTypeOf(group: GroupRecord): string {
  return group.type === "classic" ? (group.protocolType ?? "") : group.type;
}
