import { checkJson, type JsonObject } from '@switchboard/common';

/**
 * A tool call's arguments as runtimes and models send them — a JSON object, or a string holding
 * one (OpenAI-style function calls); absent, `null` or blank is `{}` — held to the same JSON
 * limits as request bodies (`checkJson`): JSON parsed here never passed the API's body check.
 * Returns the object, or a sentence saying why there is none (for the caller or the model).
 */
export function parseToolArguments(raw: unknown): JsonObject | string {
  let value = raw;
  if (value === undefined || value === null) return {};
  if (typeof value === 'string') {
    if (value.trim() === '') return {};
    try {
      value = JSON.parse(value);
    } catch {
      return 'the arguments are not valid JSON';
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'the arguments must be a JSON object';
  const [issue] = checkJson(value);
  if (issue) return `the arguments cannot be accepted: ${issue.pointer} ${issue.message}`;
  return value as JsonObject;
}
