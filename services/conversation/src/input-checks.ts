import { checkJson, JSON_MAX_DEPTH, ValidationError, type ValidationIssue } from '@switchboard/common';
import type { FastifyInstance } from 'fastify';

/**
 * Holds every request to the JSON limits of `@switchboard/common` ({@link checkJson}: at most
 * {@link JSON_MAX_DEPTH} levels, no U+0000, no unpaired surrogates, no overflowed numbers) before
 * any route sees it: the path parameters and the query string when the request arrives (before
 * the API key is looked up), the parsed body before schema validation. Registered once on the
 * root instance, so every route has it — the drop-ins' own JSON parser (Retell keeps the raw
 * text for its signature) included, since the check runs on what any parser produced.
 *
 * A refusal is a 400 `validation_failed` whose issues point at the place (a JSON pointer into the
 * body, or the parameter's name), so nothing that could never be stored, carried on the bus or
 * decoded by the orchestrator gets as far as an accepted run.
 */
export function registerInputChecks(app: FastifyInstance): void {
  app.addHook('onRequest', async (req) => {
    const issues = [
      ...checkJson(req.params, { label: (p) => `path parameter '${nameOf(p)}'` }),
      ...checkJson(req.query, { label: (p) => `query parameter '${nameOf(p)}'` }),
    ];
    if (issues.length > 0) throw refusal('the URL', issues);
  });
  app.addHook('preValidation', async (req) => {
    const issues = checkJson(req.body);
    if (issues.length > 0) throw refusal('the request body', issues);
  });
}

/** The error for `issues`; its message repeats the first one (the body's with its pointer). */
function refusal(what: 'the URL' | 'the request body', issues: ValidationIssue[]): ValidationError {
  const [first] = issues as [ValidationIssue];
  const where = what === 'the request body' ? `${first.pointer === '' ? '(the whole body)' : first.pointer} ` : '';
  return new ValidationError(`${what} cannot be accepted: ${where}${first.message}`, issues);
}

/** `/name` → `name`; `/tags/1` (a repeated query parameter) → `tags`. */
function nameOf(pointer: string): string {
  return (pointer.split('/')[1] ?? '').replaceAll('~1', '/').replaceAll('~0', '~');
}
