/**
 * How long a tool call may hold its caller: the `async` and `respond_within_ms` fields, the
 * same in every surface format (declarative tools, typed actions, built-in actions, at the top
 * level of the document), `async` and `respondWithinMs` in the canonical model.
 *
 * - `async: true`: the tool call answers at once with the action's progress message (status
 *   `running`, with the run id); the final result is delivered when the chain ends.
 * - `respond_within_ms: N`: the tool call waits at most N ms for the result; a chain still
 *   running then is answered like an async one, and its result is delivered when it ends.
 */
import { describeFound, ownGet } from './json.js';
import type { CanonicalAction } from './model.js';
import type { IssueCollector } from './validate.js';

/** The surface properties of {@link readAsyncFields}. */
export const ASYNC_PROPERTIES = ['async', 'respond_within_ms'] as const;

/** Bounds of `respond_within_ms`: 0 is as `async`; above 5 minutes no runtime still waits. */
export const RespondWithinLimits = { min: 0, max: 300_000 } as const;

/** The canonical fields these properties become. */
export type AsyncFields = Pick<CanonicalAction, 'async' | 'respondWithinMs'>;

/** Checks `async` (a boolean) and `respond_within_ms` (an integer within {@link RespondWithinLimits}). */
export function checkAsyncFields(doc: Record<string, unknown>, pointer: string, out: IssueCollector): void {
  const async = ownGet(doc, 'async');
  if (async !== undefined && typeof async !== 'boolean') {
    out.add(`${pointer}/async`, "'async' must be true or false", {
      expected: 'a boolean',
      found: describeFound(async),
    });
  }
  const within = ownGet(doc, 'respond_within_ms');
  if (within !== undefined && !isWithin(within)) {
    out.add(
      `${pointer}/respond_within_ms`,
      `'respond_within_ms' must be an integer from ${RespondWithinLimits.min} to ${RespondWithinLimits.max}`,
      {
        expected: `an integer from ${RespondWithinLimits.min} to ${RespondWithinLimits.max}`,
        found: describeFound(within),
      },
    );
  }
}

/** The canonical fields of a valid document (absent when not set). */
export function readAsyncFields(doc: Record<string, unknown>): AsyncFields {
  const async = ownGet(doc, 'async');
  const within = ownGet(doc, 'respond_within_ms');
  return {
    ...(async === true ? { async: true } : {}),
    ...(typeof within === 'number' && isWithin(within) ? { respondWithinMs: within } : {}),
  };
}

/** Checks the canonical `async` and `respondWithinMs` fields. */
export function checkCanonicalAsyncFields(value: Record<string, unknown>, out: IssueCollector): void {
  const async = ownGet(value, 'async');
  if (async !== undefined && typeof async !== 'boolean') {
    out.add('/async', "'async' must be a boolean", { found: describeFound(async) });
  }
  const within = ownGet(value, 'respondWithinMs');
  if (within !== undefined && !isWithin(within)) {
    out.add('/respondWithinMs', `'respondWithinMs' must be an integer from 0 to ${RespondWithinLimits.max}`, {
      found: describeFound(within),
    });
  }
}

/**
 * How long a tool call of the action waits for its result before answering `running`:
 * 0 for an async action, else the lesser of `respondWithinMs` and the caller's own bound.
 */
export function toolCallWaitMs(action: AsyncFields, callerBoundMs: number): number {
  if (action.async === true) return 0;
  return action.respondWithinMs === undefined ? callerBoundMs : Math.min(action.respondWithinMs, callerBoundMs);
}

/** True when a tool call of the action may be answered before its result: its result is then delivered later. */
export function deliversLater(action: AsyncFields): boolean {
  return action.async === true || action.respondWithinMs !== undefined;
}

function isWithin(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= RespondWithinLimits.min &&
    value <= RespondWithinLimits.max
  );
}

/** The JSON Schema of the two surface properties (the same text is in the typed and declarative schema files). */
export const ASYNC_SCHEMA_PROPERTIES = {
  async: {
    description:
      'Answer a tool call at once with the progress message (status running, with the run id); the final result is delivered when the chain ends.',
    type: 'boolean',
  },
  respond_within_ms: {
    description:
      'Wait at most this long for the result; a chain still running then is answered as an async one and its result delivered when it ends.',
    type: 'integer',
    minimum: RespondWithinLimits.min,
    maximum: RespondWithinLimits.max,
  },
} as const;
