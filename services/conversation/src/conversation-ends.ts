import { listEndedConversations, type Queryable } from '@switchboard/db';

/** How often conversations being watched are checked for an end made by another replica. */
const DEFAULT_POLL_MS = 2_000;

/**
 * Tells open event streams (WebSocket) that their conversation has ended. An end made through
 * this process is told at once; one made elsewhere (another replica, the database) is found by
 * polling the watched conversations' status, one query for all of them, only while any are
 * watched. Nothing is published on the bus for an end: the conversation's status is the truth.
 */
export class ConversationEnds {
  private readonly watchers = new Map<string, Set<() => void>>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly db: Queryable,
    private readonly pollMs: number = DEFAULT_POLL_MS,
    private readonly onPollError: (err: unknown) => void = () => {},
  ) {}

  /** Calls `onEnd` once when the conversation ends; returns a function that stops watching. */
  watch(conversationId: string, onEnd: () => void): () => void {
    let fired = false;
    const once = () => {
      if (fired) return;
      fired = true;
      unwatch();
      onEnd();
    };
    const set = this.watchers.get(conversationId) ?? new Set();
    set.add(once);
    this.watchers.set(conversationId, set);
    this.schedule();
    const unwatch = () => {
      const current = this.watchers.get(conversationId);
      current?.delete(once);
      if (current?.size === 0) this.watchers.delete(conversationId);
      if (this.watchers.size === 0) this.stopTimer();
    };
    return unwatch;
  }

  /** This process ended the conversation. */
  ended(conversationId: string): void {
    for (const fire of [...(this.watchers.get(conversationId) ?? [])]) fire();
  }

  /** Stops polling and forgets every watcher (the app is closing). */
  close(): void {
    this.watchers.clear();
    this.stopTimer();
  }

  /** Number of conversations watched (for tests). */
  get size(): number {
    return this.watchers.size;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.watchers.size === 0) return;
    this.polling = true;
    try {
      for (const id of await listEndedConversations(this.db, [...this.watchers.keys()])) this.ended(id);
    } catch (err) {
      this.onPollError(err);
    } finally {
      this.polling = false;
    }
  }
}
