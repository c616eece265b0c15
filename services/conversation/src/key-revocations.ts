import { listInactiveApiKeys, type Queryable } from '@switchboard/db';
import { DEFAULT_WATCH_POLL_MS, IdWatch } from './id-watch.js';

/**
 * Tells open event streams (SSE, WebSocket) that the API key they were opened with is no longer
 * active, so they close within one poll interval of the revocation (about 2 s) rather than
 * stream on: at once for a key revoked through this process ({@link revoked}), by one query per
 * interval over the distinct keys of every open stream for one revoked through another replica
 * or in the database (see {@link IdWatch}). A key that no longer exists counts as revoked.
 */
export class KeyRevocations extends IdWatch {
  constructor(db: Queryable, pollMs: number = DEFAULT_WATCH_POLL_MS, onPollError?: (err: unknown) => void) {
    super((ids) => listInactiveApiKeys(db, ids), pollMs, onPollError);
  }

  /** This process revoked the key. */
  revoked(keyId: string): void {
    this.notify(keyId);
  }
}
