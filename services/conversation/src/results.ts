import type { JsonObject, JsonValue } from '@switchboard/common';
import {
  type ActionEvent,
  ActionEventKind,
  type ActionResult,
  ActionStatus,
  timestampDate,
} from '@switchboard/contracts';

/** A tool call's outcome as the HTTP API returns it. */
export interface ToolCallResponse {
  id: string;
  status: 'accepted' | 'running' | 'awaiting_confirmation' | 'succeeded' | 'failed' | 'cancelled';
  messages: string[];
  events: { seq: number; kind: string; data: JsonObject; at: string }[];
  outputs: JsonObject;
  error?: { code: string; message: string; retryable: boolean; step?: string };
}

const STATUS: Record<ActionStatus, ToolCallResponse['status']> = {
  [ActionStatus.UNSPECIFIED]: 'failed',
  [ActionStatus.SUCCEEDED]: 'succeeded',
  [ActionStatus.FAILED]: 'failed',
  [ActionStatus.CANCELLED]: 'cancelled',
};

/** `ACTION_EVENT_KIND_RESPOND` → `respond`. */
export function eventKindName(kind: ActionEventKind): string {
  return (ActionEventKind[kind] ?? 'UNSPECIFIED').toLowerCase();
}

/** Maps a bus event to the API shape. */
export function fromBusEvent(e: ActionEvent): ToolCallResponse['events'][number] {
  return {
    seq: e.seq,
    kind: eventKindName(e.kind),
    data: e.data ?? {},
    at: e.at ? timestampDate(e.at).toISOString() : '',
  };
}

/** Maps a bus result to the API shape. */
export function fromBusResult(r: ActionResult): ToolCallResponse {
  return {
    id: r.intentId,
    status: STATUS[r.status],
    messages: r.messages,
    events: r.events.map(fromBusEvent),
    outputs: r.outputs ?? {},
    ...(r.error
      ? {
          error: {
            code: r.error.code,
            message: r.error.message,
            retryable: r.error.retryable,
            ...(r.error.step ? { step: r.error.step } : {}),
          },
        }
      : {}),
  };
}

/** Maps the `result` column of a finished audit row to the API shape. */
export function fromStoredResult(
  id: string,
  status: ToolCallResponse['status'],
  stored: JsonValue | null,
): ToolCallResponse {
  const r = (stored ?? {}) as {
    messages?: string[];
    outputs?: JsonObject;
    events?: { seq: number; kind: string; data: JsonObject; atMs: number }[];
    error?: ToolCallResponse['error'];
  };
  return {
    id,
    status,
    messages: r.messages ?? [],
    events: (r.events ?? []).map((e) => ({
      seq: e.seq,
      kind: e.kind,
      data: e.data,
      at: new Date(e.atMs).toISOString(),
    })),
    outputs: r.outputs ?? {},
    ...(r.error ? { error: r.error } : {}),
  };
}
