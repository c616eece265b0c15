/** How often watched ids are checked for a change made by another replica. */
export const DEFAULT_WATCH_POLL_MS = 2_000;

/**
 * Tells open streams that something they depend on has changed for good: their conversation
 * ended, their API key was revoked. A change made through this process is told at once
 * ({@link notify}); one made elsewhere (another replica, the database) is found by polling the
 * watched ids, one query for all of them however many streams watch each, only while any are
 * watched. The database is the truth; nothing is published on the bus.
 */
export class IdWatch {
  private readonly watchers = new Map<string, Set<() => void>>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  /**
   * @param changed answers which of the ids have changed (one query for the batch).
   * @param pollMs how often to ask while anything is watched.
   * @param onPollError told about a failed poll; the next one tries again.
   */
  constructor(
    private readonly changed: (ids: string[]) => Promise<string[]>,
    private readonly pollMs: number = DEFAULT_WATCH_POLL_MS,
    private readonly onPollError: (err: unknown) => void = () => {},
  ) {}

  /** Calls `onChange` once when `id` changes; returns a function that stops watching. */
  watch(id: string, onChange: () => void): () => void {
    let fired = false;
    const once = () => {
      if (fired) return;
      fired = true;
      unwatch();
      onChange();
    };
    const set = this.watchers.get(id) ?? new Set();
    set.add(once);
    this.watchers.set(id, set);
    this.schedule();
    const unwatch = () => {
      const current = this.watchers.get(id);
      current?.delete(once);
      if (current?.size === 0) this.watchers.delete(id);
      if (this.watchers.size === 0) this.stopTimer();
    };
    return unwatch;
  }

  /** This process made the change: tell every watcher of `id` now. */
  notify(id: string): void {
    for (const fire of [...(this.watchers.get(id) ?? [])]) fire();
  }

  /** Stops polling and forgets every watcher (the app is closing). */
  close(): void {
    this.watchers.clear();
    this.stopTimer();
  }

  /** Number of ids watched. */
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
      for (const id of await this.changed([...this.watchers.keys()])) this.notify(id);
    } catch (err) {
      this.onPollError(err);
    } finally {
      this.polling = false;
    }
  }
}
