/**
 * User context: who a conversation is with, as the caller says when it creates the conversation
 * (`POST /v1/conversations` `user`) or as a voice runtime's call metadata says (drop-ins).
 * Chains read it as `user.*` (`{{user.name}}`, `user.locale === 'fr-FR'`, `context.user.id`):
 * it travels in every intent's call context as `user`. Checked here, once, with a JSON pointer
 * per problem, and bounded in size.
 */
import { checkRule, isLocale } from '@switchboard/actions';
import type { JsonObject, JsonValue, ValidationIssue } from '@switchboard/common';
import { isTimeZone } from '@switchboard/common/time-zones';

/** The fields of a user context; all optional. */
export const UserFields = {
  Id: 'id',
  Name: 'name',
  Email: 'email',
  Phone: 'phone',
  Locale: 'locale',
  TimeZone: 'time_zone',
  Attributes: 'attributes',
} as const;
export type UserField = (typeof UserFields)[keyof typeof UserFields];

const FIELDS: readonly string[] = Object.values(UserFields);

/** Bounds of a user context. */
export const UserContextLimits = {
  /** Longest `id` / `name` (characters). */
  maxText: 200,
  /** Most `attributes`. */
  maxAttributes: 64,
  /** Largest user context as JSON text (bytes). */
  maxBytes: 8_192,
} as const;

/** An attribute name: read as `user.attributes.<name>`, so a path segment. */
export const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const E164 = /^\+[1-9][0-9]{7,14}$/;

/** Where each field of a user context was written, for the pointers of its problems. */
export type FieldPointer = (field: string) => string;

/** The pointer of a field of a user context object at `base` (e.g. `/user` → `/user/email`). */
export function pointerUnder(base: string): FieldPointer {
  return (field) => `${base}/${field.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/**
 * The problems of a user context (empty when it is valid): not an object, an unknown field, a
 * field of the wrong type or form (email, E.164 phone, BCP 47 locale, IANA time zone), too many
 * or badly named attributes, or larger than {@link UserContextLimits.maxBytes}.
 */
export function userContextIssues(
  value: unknown,
  base: string,
  at: FieldPointer = pointerUnder(base),
): ValidationIssue[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [{ pointer: base, message: 'the user context must be an object', expected: 'an object' }];
  }
  const issues: ValidationIssue[] = [];
  const user = value as Record<string, unknown>;
  for (const [field, v] of Object.entries(user)) {
    if (!FIELDS.includes(field)) {
      issues.push({
        pointer: at(field),
        message: `unknown user field '${field}'; free values go under 'attributes'`,
        expected: FIELDS.join(', '),
      });
      continue;
    }
    const problem = fieldProblem(field as UserField, v);
    if (problem !== undefined) issues.push({ pointer: at(field), message: `user ${field} ${problem}` });
  }
  const attributes = user.attributes;
  if (attributes !== null && typeof attributes === 'object' && !Array.isArray(attributes)) {
    const names = Object.keys(attributes);
    if (names.length > UserContextLimits.maxAttributes) {
      issues.push({
        pointer: at('attributes'),
        message: `at most ${UserContextLimits.maxAttributes} attributes (found ${names.length})`,
      });
    }
    for (const name of names) {
      if (!ATTRIBUTE_NAME.test(name)) {
        issues.push({
          pointer: `${at('attributes')}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`,
          message: `attribute name '${name}' must be an identifier (a letter or '_', then letters, digits or '_'; at most 64)`,
        });
      }
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(user), 'utf8');
  if (bytes > UserContextLimits.maxBytes) {
    issues.push({
      pointer: base,
      message: `the user context is ${bytes} bytes as JSON, at most ${UserContextLimits.maxBytes}`,
    });
  }
  return issues;
}

function fieldProblem(field: UserField, value: unknown): string | undefined {
  switch (field) {
    case 'id':
    case 'name':
      if (typeof value !== 'string' || value.trim() === '') return 'must be a non-empty string';
      return value.length > UserContextLimits.maxText
        ? `must be at most ${UserContextLimits.maxText} characters`
        : undefined;
    case 'email':
      return typeof value === 'string' && checkRule('email', value, undefined)
        ? undefined
        : 'must be an e-mail address (local@domain.tld)';
    case 'phone':
      return typeof value === 'string' && E164.test(value) ? undefined : 'must be an E.164 number (+14155550123)';
    case 'locale':
      return typeof value === 'string' && value.length <= 35 && isLocale(value)
        ? undefined
        : 'must be a BCP 47 locale (en-US, fr-FR)';
    case 'time_zone':
      return typeof value === 'string' && value.length <= 64 && isTimeZone(value)
        ? undefined
        : 'must be an IANA time zone (Europe/Paris)';
    case 'attributes':
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? undefined : 'must be an object';
  }
}

/** Prefix of the flat runtime variables that carry user fields (`user_email`, `user_time_zone`). */
const VARIABLE_PREFIX = 'user_';

/**
 * A user context from a voice runtime's call: the flat variables `user_id`, `user_name`,
 * `user_email`, `user_phone`, `user_locale`, `user_time_zone` (Vapi
 * `assistantOverrides.variableValues`, Retell `retell_llm_dynamic_variables`), overlaid by a
 * whole `user` object in the call's metadata (`metadata.user`), field by field. Either is
 * checked where it was written; nothing there is an empty object.
 */
export function userFromCall(sources: {
  variables?: JsonObject;
  variablesPointer: string;
  metadataUser?: JsonValue;
  metadataPointer: string;
}): { user: JsonObject; issues: ValidationIssue[] } {
  const fromVariables: JsonObject = {};
  for (const [key, value] of Object.entries(sources.variables ?? {})) {
    if (!key.startsWith(VARIABLE_PREFIX)) continue;
    const field = key.slice(VARIABLE_PREFIX.length);
    // Attributes are an object: only the metadata can carry them.
    if (!FIELDS.includes(field) || field === UserFields.Attributes) continue;
    // Runtime variables are often numbers where an id is meant.
    fromVariables[field] = field === UserFields.Id && typeof value === 'number' ? String(value) : value;
  }
  const issues = userContextIssues(
    fromVariables,
    sources.variablesPointer,
    (field) => `${sources.variablesPointer}/${VARIABLE_PREFIX}${field}`,
  );
  const metadataUser = sources.metadataUser;
  if (metadataUser === undefined || metadataUser === null) return { user: fromVariables, issues };
  issues.push(...userContextIssues(metadataUser, sources.metadataPointer));
  const user = { ...fromVariables, ...(typeof metadataUser === 'object' ? (metadataUser as JsonObject) : {}) };
  if (issues.length === 0) issues.push(...userContextIssues(user, sources.metadataPointer));
  return { user, issues };
}
