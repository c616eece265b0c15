import { listEndedConversations, type Queryable } from '@switchboard/db';
import { DEFAULT_WATCH_POLL_MS, IdWatch } from './id-watch.js';

/**
 * Tells open event streams (WebSocket) that their conversation has ended: at once for an end
 * made through this process ({@link ended}), by polling the watched conversations' status for
 * one made elsewhere (see {@link IdWatch}). The conversation's status is the truth.
 */
export class ConversationEnds extends IdWatch {
  constructor(db: Queryable, pollMs: number = DEFAULT_WATCH_POLL_MS, onPollError?: (err: unknown) => void) {
    super((ids) => listEndedConversations(db, ids), pollMs, onPollError);
  }

  /** This process ended the conversation. */
  ended(conversationId: string): void {
    this.notify(conversationId);
  }
}
