import { createHash, randomBytes } from 'node:crypto';

/** Id prefixes, so an id says what it names (and ids are safe NATS subject tokens). */
export const IdPrefixes = {
  Tenant: 'ten',
  ApiKey: 'key',
  Agent: 'agt',
  Action: 'act',
  Conversation: 'conv',
  Intent: 'int',
} as const;
export type IdPrefix = (typeof IdPrefixes)[keyof typeof IdPrefixes];

/** A new random id: `<prefix>_<24 hex chars>` (96 bits). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/**
 * The intent id for a client's Idempotency-Key: the same (tenant, conversation, key) always
 * gives the same id, so a retried HTTP call becomes the same JetStream message id and the same
 * audit row, and runs once.
 */
export function intentIdForKey(tenantId: string, conversationId: string, idempotencyKey: string): string {
  const digest = createHash('sha256').update(`${tenantId}\u0000${conversationId}\u0000${idempotencyKey}`).digest('hex');
  return `${IdPrefixes.Intent}_${digest.slice(0, 32)}`;
}
