/**
 * What a tool call's Idempotency-Key stands for. A key names one request: sent again with the
 * same request it answers with that run (a retry), sent with another it is refused — never
 * answered with the first run's result while the new arguments silently never run.
 */
import { createHash } from 'node:crypto';
import type { JsonObject } from '@switchboard/common';
import { type ActionRun, stableJson } from '@switchboard/db';

/** The parts of a tool call its key is bound to. */
export interface ToolCallIdentity {
  /** Exact action name. */
  name: string;
  arguments: JsonObject;
  /** The topic whose copy of the action runs, when one was named. */
  topic?: string;
}

/** A part of a tool call that can differ from what its key was first used for. */
export type RequestPart = 'action' | 'arguments' | 'topic';

/**
 * SHA-256 (hex) of the canonical request: action name, arguments with object keys sorted at
 * every depth (so `{"a":1,"b":2}` and `{"b":2,"a":1}` are one request), and topic.
 */
export function toolCallRequestHash(req: ToolCallIdentity): string {
  return createHash('sha256')
    .update(stableJson([req.name, req.arguments, req.topic ?? null]))
    .digest('hex');
}

/**
 * Which parts of `request` (whose hash is `requestHash`) differ from the run stored under its
 * key; empty when it is the same request.
 *
 * A row with a hash decides by it; its stored name and arguments only say which part differed
 * (a hash that differs while both match means the topic did). A row without one (written before
 * migration 014, or recreated by the orchestrator after its accepted row was withdrawn) is
 * compared by what it stores: the action name, and the arguments when any were stored (a
 * recreated row has `{}`, which says nothing about them); the topic is unknown there, so it is
 * accepted.
 */
export function requestDifferences(
  stored: Pick<ActionRun, 'actionName' | 'arguments' | 'requestHash'>,
  request: ToolCallIdentity,
  requestHash: string,
): RequestPart[] {
  if (stored.requestHash !== null && stored.requestHash === requestHash) return [];
  const parts: RequestPart[] = [];
  if (stored.actionName !== request.name) parts.push('action');
  const storedArgs = stored.arguments ?? {};
  const comparable = stored.requestHash !== null || Object.keys(storedArgs).length > 0;
  if (comparable && stableJson(storedArgs) !== stableJson(request.arguments)) parts.push('arguments');
  if (parts.length === 0 && stored.requestHash !== null) parts.push('topic');
  return parts;
}
