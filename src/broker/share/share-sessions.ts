// Share sessions (KIP-932): a member's session is with the broker it fetches from, as in Kafka,
// so each broker keeps its own, in memory. A session only names the partitions a member fetches
// and the epoch its next request must carry; the records a member holds are in the store. When a
// session ends (epoch -1, or the client's connection closes), whatever the member holds through it
// is released. A broker that dies takes its sessions along; their clients get SHARE_SESSION_NOT_FOUND
// on the next broker and start a new one, and the locks they held lapse at their stored deadlines.

import type { BrokerContext } from "../context.ts";

export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

/** group.share.max.share.sessions */
const MAX_SESSIONS = 2000;

export interface TopicIdPartition {
  topicId: string;
  partition: number;
}

export function partitionId(tp: TopicIdPartition): string {
  return `${tp.topicId}:${tp.partition}`;
}

export interface ShareSession {
  readonly groupId: string;
  readonly memberId: string;
  /** The epoch the member's next request must carry. */
  epoch: number;
  /** The partitions each ShareFetch of the session reads. */
  readonly partitions: Map<string, TopicIdPartition>;
  /** Every partition the member may hold records of through this session; released when it ends. */
  readonly held: Map<string, TopicIdPartition>;
  /** The client connection the session lives on. */
  readonly connection: AbortSignal;
}

export function nextEpoch(epoch: number): number {
  return epoch === 0x7fffffff ? 1 : epoch + 1;
}

function sessionKey(groupId: string, memberId: string): string {
  return `${groupId}\u0000${memberId}`;
}

export class ShareSessions {
  readonly #sessions = new Map<string, ShareSession>();
  /** Each session's listener on its connection, removed when a new session replaces it. */
  readonly #listeners = new WeakMap<ShareSession, () => void>();

  constructor(private readonly onEnd: (session: ShareSession) => Promise<void>) {}

  get(groupId: string, memberId: string): ShareSession | undefined {
    return this.#sessions.get(sessionKey(groupId, memberId));
  }

  /**
   * Opens a session (epoch 0), replacing the member's previous one on this broker, whose held
   * partitions it inherits: the member is the same, and so are its records. Null when the broker
   * has as many sessions as it allows.
   */
  open(groupId: string, memberId: string, connection: AbortSignal): ShareSession | null {
    const key = sessionKey(groupId, memberId);
    const previous = this.#sessions.get(key);
    if (!previous && this.#sessions.size >= MAX_SESSIONS) return null;
    const session: ShareSession = {
      groupId,
      memberId,
      epoch: nextEpoch(INITIAL_EPOCH),
      partitions: new Map(),
      held: new Map(previous?.held),
      connection,
    };
    if (previous) previous.connection.removeEventListener("abort", this.#listeners.get(previous)!);
    this.#sessions.set(key, session);
    const closed = () => void this.close(session);
    this.#listeners.set(session, closed);
    if (connection.aborted) queueMicrotask(closed);
    else connection.addEventListener("abort", closed, { once: true });
    return session;
  }

  /** Ends the session if it is still the member's current one; resolves once what it held is given back. */
  async close(session: ShareSession): Promise<void> {
    const key = sessionKey(session.groupId, session.memberId);
    if (this.#sessions.get(key) !== session) return;
    this.#sessions.delete(key);
    session.connection.removeEventListener("abort", this.#listeners.get(session)!);
    await this.onEnd(session);
  }
}

const caches = new WeakMap<BrokerContext, ShareSessions>();

export function shareSessionsOf(ctx: BrokerContext, onEnd: (session: ShareSession) => Promise<void>): ShareSessions {
  let cache = caches.get(ctx);
  if (!cache) caches.set(ctx, (cache = new ShareSessions(onEnd)));
  return cache;
}
