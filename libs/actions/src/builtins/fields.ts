/**
 * Settings of the built-in configuration forms.
 *
 * Each setting is a {@link FieldSpec}: its form label and help, whether it is required, its
 * default, the JSON Schema the dashboard renders the form from, and the validator that checks
 * and normalises a value. The schema and the validator are written side by side so they cannot
 * drift apart; the validator is the authority (it also checks what JSON Schema cannot say, such
 * as template placeholders, SIP grammar and inline secrets).
 */
import type { JsonObject, JsonValue, ValidationIssue } from '@switchboard/common';
import { parseDeclarativeTool, validateDeclarativeTool } from '../declarative.js';
import { cloneJson, describeFound, isPlainObject, ownGet, ownSet, pointerJoin } from '../json.js';
import type { ParameterSpec } from '../model.js';
import { parsePath, Scopes } from '../paths.js';
import { closestMatch } from '../suggest.js';
import { parseTemplate, templatePaths } from '../templates.js';
import { checkTemplateProperty, DefinitionLimits, IssueCollector } from '../validate.js';
import { checkPropertyValue, interpretStringValue, propertyValuePaths } from '../values.js';
import {
  e164Problem,
  isIanaTimeZone,
  parseTransferDestination,
  publicUrlProblem,
  suggestTimeZone,
} from './addresses.js';
import type { CredentialProvider } from './kinds.js';
import { secretValueKind } from './secrets.js';

/** Issues of a built-in document, remembering which ones are missing settings and secrets. */
export class BuiltinIssues extends IssueCollector {
  /** Issues that say a required setting is missing (status Incomplete rather than Error). */
  readonly missing = new Set<ValidationIssue>();
  /** Pointers already reported as inline secrets, so no second issue is raised there. */
  readonly secretPointers = new Set<string>();

  /** Records a missing required setting. */
  addMissing(pointer: string, message: string, extra: Omit<ValidationIssue, 'pointer' | 'message'> = {}): void {
    this.add(pointer, message, extra);
    const issue = this.issues[this.issues.length - 1];
    if (issue !== undefined) this.missing.add(issue);
  }

  /** Records an inline secret. */
  addSecret(pointer: string, message: string): void {
    if (this.secretPointers.has(pointer)) return;
    this.secretPointers.add(pointer);
    this.add(pointer, message, {
      expected: 'a credential reference such as { "credential": "my_credential" }',
      found: 'an inline secret',
      suggestion: '{ "credential": "<name of a stored credential>" }',
    });
  }
}

/** A `params.<name>` read found in a setting, for the declared-parameter check. */
export interface ParamRead {
  pointer: string;
  name: string;
  /** The path or placeholder as written. */
  source: string;
}

/** One setting of a configuration form. */
export interface FieldSpec {
  /** Form label. */
  title: string;
  /** Form help text. */
  description: string;
  /** Short description of an acceptable value, for issues. */
  expected: string;
  required?: boolean;
  /** Applied when the setting is absent (and, except for templates, when it is an empty string). */
  default?: JsonValue;
  /** For templates: an empty string is a deliberate "say nothing", not "use the default". */
  emptyIsValue?: boolean;
  /** JSON Schema of the value; the schema builder adds title, description and default. */
  schema: JsonObject;
  /** Checks a present value; returns the normalised value, or `undefined` when it is invalid. */
  check(value: unknown, pointer: string, out: BuiltinIssues): JsonValue | undefined;
  /** The `params.*` reads of a normalised value. */
  paramReads?(value: JsonValue, pointer: string): ParamRead[];
  /** Subtree holds names that are not secrets even when they look like it (mapping outputs). */
  noSecretNames?: boolean;
  /** The credentials and endpoints a normalised value references. */
  references?(value: JsonValue, pointer: string): FieldReference[];
}

/** A credential or endpoint a setting references by name. */
export interface FieldReference {
  type: 'credential' | 'endpoint';
  name: string;
  /** Where the reference is written. */
  pointer: string;
  /** For credentials: whose credential it must be. */
  provider?: CredentialProvider;
}

/** Names of stored credentials and tenant endpoints. */
export const REFERENCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
const REFERENCE_NAME_SOURCE = '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$';
/** E.164, for JSON Schema patterns and `validate` steps. */
export const E164_PATTERN = '^\\+[1-9][0-9]{7,14}$';
const SIP_PATTERN =
  "^[Ss][Ii][Pp][Ss]?:(?:[A-Za-z0-9\\-_.!~*'()&=+$,?/]|%[0-9A-Fa-f]{2})+@(?:[A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?(?:;[^;?\\s]+)*$";
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const HTTP_TOKEN_SOURCE = "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$";
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const IDENTIFIER_SOURCE = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';
const RESPONSE_PATH = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+){0,31}$/;
const RESPONSE_PATH_SOURCE = '^[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+){0,31}$';
const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Widget hints for the dashboard form (`x-switchboard-widget`). */
export const BuiltinFormWidgets = {
  Credential: 'credential',
  Endpoint: 'endpoint',
  Template: 'template',
  Phone: 'phone',
  PhoneOrSip: 'phone_or_sip',
  TimeZone: 'time_zone',
  Parameters: 'parameters',
  Json: 'json',
} as const;

function issuesAdded(out: IssueCollector, before: number): boolean {
  return out.issues.length > before;
}

function typeIssue(out: BuiltinIssues, pointer: string, expected: string, value: unknown, what = 'value'): undefined {
  out.add(pointer, `${what} must be ${expected}`, { expected, found: describeFound(value) });
  return undefined;
}

/** Reports own keys of `obj` that are not allowed, with near-miss suggestions; skips reported secrets. */
export function reportUnknownKeys(
  obj: Record<string, unknown>,
  pointer: string,
  allowed: readonly string[],
  out: BuiltinIssues,
  where: string,
): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    const at = pointerJoin(pointer, key);
    if (out.secretPointers.has(at)) continue;
    const suggestion = closestMatch(key, allowed);
    out.add(at, `unknown setting '${key}' in ${where}${suggestion ? ` — did you mean '${suggestion}'?` : ''}`, {
      expected: `one of ${allowed.join(', ')}`,
      found: `'${key}'`,
      ...(suggestion ? { suggestion } : {}),
    });
  }
}

function paramReadsOfTemplate(text: string, pointer: string): ParamRead[] {
  const reads: ParamRead[] = [];
  for (const source of templatePaths(text)) {
    const parsed = parsePath(source, 'read');
    if (parsed.ok && parsed.path.scope === Scopes.Params && parsed.path.segments[0] !== undefined) {
      reads.push({ pointer, name: parsed.path.segments[0], source: `{{${source}}}` });
    }
  }
  return reads;
}

function paramReadsOfValue(value: JsonValue, pointer: string): ParamRead[] {
  const reads: ParamRead[] = [];
  const visit = (v: JsonValue, at: string, depth: number): void => {
    if (depth > 32) return;
    if (typeof v === 'string') {
      const meaning = interpretStringValue(v);
      if (meaning.kind === 'path' && meaning.path.scope === Scopes.Params && meaning.path.segments[0] !== undefined) {
        reads.push({ pointer: at, name: meaning.path.segments[0], source: v });
      }
    } else if (Array.isArray(v)) {
      v.forEach((item, index) => {
        visit(item, pointerJoin(at, index), depth + 1);
      });
    } else if (v !== null && typeof v === 'object') {
      for (const key of Object.keys(v)) visit(v[key] as JsonValue, pointerJoin(at, key), depth + 1);
    }
  };
  visit(value, pointer, 0);
  return reads;
}

/** A `{{template}}` setting (messages, SMS bodies, CRM values). */
export function templateField(options: {
  title: string;
  description: string;
  default?: string;
  required?: boolean;
  maxLength?: number;
  /** Failure messages may read the `error` scope. */
  inFailure?: boolean;
  /** Rendered as a message the agent says (a `respond`), so it takes the spoken-value filters. */
  spoken?: boolean;
}): FieldSpec {
  const maxLength = options.maxLength ?? DefinitionLimits.maxTemplateLength;
  return {
    title: options.title,
    description: options.description,
    expected: `a message template of at most ${maxLength} characters`,
    ...(options.required ? { required: true } : {}),
    ...(options.default === undefined ? {} : { default: options.default }),
    emptyIsValue: !options.required,
    schema: { type: 'string', maxLength, 'x-switchboard-widget': BuiltinFormWidgets.Template },
    check(value, pointer, out) {
      if (typeof value !== 'string') return typeIssue(out, pointer, 'a string (a message template)', value);
      if ([...value].length > maxLength) {
        out.add(pointer, `the text is longer than ${maxLength} characters`, {
          expected: `at most ${maxLength} characters`,
          found: `${[...value].length} characters`,
        });
        return undefined;
      }
      const before = out.issues.length;
      checkTemplateProperty(
        value,
        pointer,
        out,
        { allowProvider: false, inFailure: options.inFailure === true },
        { filters: options.spoken === true },
      );
      return issuesAdded(out, before) ? undefined : value;
    },
    paramReads: (value, pointer) => (typeof value === 'string' ? paramReadsOfTemplate(value, pointer) : []),
  };
}

/** A whole number within bounds. */
export function integerField(options: {
  title: string;
  description: string;
  min: number;
  max: number;
  default?: number;
  required?: boolean;
}): FieldSpec {
  const expected = `a whole number from ${options.min} to ${options.max}`;
  return {
    title: options.title,
    description: options.description,
    expected,
    ...(options.required ? { required: true } : {}),
    ...(options.default === undefined ? {} : { default: options.default }),
    schema: { type: 'integer', minimum: options.min, maximum: options.max },
    check(value, pointer, out) {
      if (typeof value === 'string' && /^[0-9]+$/.test(value.trim())) {
        out.add(pointer, `must be a number, not a string — write ${value.trim()} without quotes`, {
          expected,
          found: describeFound(value),
          suggestion: value.trim(),
        });
        return undefined;
      }
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return typeIssue(out, pointer, expected, value);
      if (value < options.min || value > options.max) {
        out.add(pointer, `must be from ${options.min} to ${options.max}`, {
          expected,
          found: describeFound(value),
          suggestion: String(value < options.min ? options.min : options.max),
        });
        return undefined;
      }
      return value;
    },
  };
}

/** One of a fixed set of strings. */
export function enumField(options: {
  title: string;
  description: string;
  values: readonly string[];
  default?: string;
  required?: boolean;
}): FieldSpec {
  const expected = `one of ${options.values.join(', ')}`;
  return {
    title: options.title,
    description: options.description,
    expected,
    ...(options.required ? { required: true } : {}),
    ...(options.default === undefined ? {} : { default: options.default }),
    schema: { type: 'string', enum: [...options.values] },
    check(value, pointer, out) {
      if (typeof value === 'string' && options.values.includes(value)) return value;
      const suggestion = typeof value === 'string' ? closestMatch(value, options.values) : undefined;
      out.add(
        pointer,
        `${describeFound(value)} is not one of ${options.values.join(', ')}${suggestion ? ` — did you mean '${suggestion}'?` : ''}`,
        { expected, found: describeFound(value), ...(suggestion ? { suggestion } : {}) },
      );
      return undefined;
    },
  };
}

/** true or false. */
export function booleanField(options: { title: string; description: string; default: boolean }): FieldSpec {
  return {
    title: options.title,
    description: options.description,
    expected: 'true or false',
    default: options.default,
    schema: { type: 'boolean' },
    check(value, pointer, out) {
      if (typeof value === 'boolean') return value;
      return typeIssue(out, pointer, 'true or false', value);
    },
  };
}

/** A plain string matching a pattern. */
export function stringField(options: {
  title: string;
  description: string;
  pattern: RegExp;
  patternSource: string;
  expected: string;
  default?: string;
  required?: boolean;
}): FieldSpec {
  return {
    title: options.title,
    description: options.description,
    expected: options.expected,
    ...(options.required ? { required: true } : {}),
    ...(options.default === undefined ? {} : { default: options.default }),
    schema: { type: 'string', pattern: options.patternSource },
    check(value, pointer, out) {
      if (typeof value === 'number' && Number.isSafeInteger(value) && options.pattern.test(String(value))) {
        return String(value);
      }
      if (typeof value !== 'string' || !options.pattern.test(value)) {
        out.add(pointer, `must be ${options.expected}`, { expected: options.expected, found: describeFound(value) });
        return undefined;
      }
      return value;
    },
  };
}

/**
 * A token rather than a name: a known secret format, or 32+ characters of mixed letters and
 * digits without the separators people put in names (a Twilio auth token is 32 hex digits).
 */
function looksLikeRawSecret(value: string): boolean {
  return (
    secretValueKind(value) !== undefined ||
    (value.length >= 32 && /^[A-Za-z0-9+/=]+$/.test(value) && /[0-9]/.test(value) && /[A-Za-z]/.test(value))
  );
}

const CREDENTIAL_SCHEMA_NAME: JsonObject = { type: 'string', pattern: REFERENCE_NAME_SOURCE };

/** The JSON Schema of a credential reference (a name, or `{ "credential": name }`). */
export function credentialSchema(provider: CredentialProvider): JsonObject {
  return {
    anyOf: [
      CREDENTIAL_SCHEMA_NAME,
      {
        type: 'object',
        properties: { credential: CREDENTIAL_SCHEMA_NAME },
        required: ['credential'],
        additionalProperties: false,
      },
    ],
    'x-switchboard-widget': BuiltinFormWidgets.Credential,
    'x-credential-provider': provider,
  };
}

/** Checks a credential reference and returns the credential name. */
export function checkCredentialRef(value: unknown, pointer: string, out: BuiltinIssues): string | undefined {
  let name = value;
  let namePointer = pointer;
  if (isPlainObject(value)) {
    reportUnknownKeys(value, pointer, ['credential'], out, 'a credential reference');
    name = ownGet(value, 'credential');
    namePointer = pointerJoin(pointer, 'credential');
    if (name === undefined || name === '') {
      out.addMissing(namePointer, "a credential reference needs the credential's name", {
        expected: 'the name of a stored credential',
        found: 'nothing',
      });
      return undefined;
    }
  }
  if (typeof name !== 'string') {
    out.add(namePointer, 'a credential is referenced by name', {
      expected: 'a credential name such as "calcom_main", or { "credential": "calcom_main" }',
      found: describeFound(name),
    });
    return undefined;
  }
  if (looksLikeRawSecret(name)) {
    out.addSecret(
      namePointer,
      "this looks like the secret itself; 'credential' takes the NAME of a credential stored in Settings > Credentials, never the secret",
    );
    return undefined;
  }
  if (!REFERENCE_NAME.test(name)) {
    out.add(namePointer, 'a credential name has letters, digits and _ . : - (at most 100 characters)', {
      expected: 'a credential name such as calcom_main',
      found: describeFound(name),
    });
    return undefined;
  }
  return name;
}

/** A reference to a stored credential of one provider. */
export function credentialField(provider: CredentialProvider, description: string): FieldSpec {
  return {
    title: 'Credential',
    description,
    expected: `the name of a stored ${provider} credential`,
    required: true,
    schema: credentialSchema(provider),
    check: (value, pointer, out) => checkCredentialRef(value, pointer, out),
    references: (value, pointer) =>
      typeof value === 'string' ? [{ type: 'credential', name: value, pointer, provider }] : [],
  };
}

/** The name of a tenant webhook endpoint (Settings > Webhook Endpoints); never a URL. */
export function endpointField(): FieldSpec {
  return {
    title: 'Endpoint',
    description: 'Name of the endpoint (Settings > Webhook Endpoints) that holds the API’s base URL.',
    expected: 'an endpoint name such as crm_api',
    required: true,
    schema: { type: 'string', pattern: REFERENCE_NAME_SOURCE, 'x-switchboard-widget': BuiltinFormWidgets.Endpoint },
    check(value, pointer, out) {
      if (typeof value !== 'string') return typeIssue(out, pointer, 'an endpoint name', value);
      if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)) {
        const urlProblem = publicUrlProblem(value);
        const carriesSecret = urlProblem !== undefined && /credential/.test(urlProblem.message);
        if (carriesSecret) out.secretPointers.add(pointer);
        out.add(
          pointer,
          `custom APIs call a named endpoint, not a URL${
            carriesSecret ? ' (and this URL carries credentials, which must never appear in a URL)' : ''
          }: add the URL in Settings > Webhook Endpoints and put its name here`,
          { expected: 'an endpoint name such as crm_api', found: describeFound(value) },
        );
        return undefined;
      }
      if (!REFERENCE_NAME.test(value)) {
        out.add(pointer, 'an endpoint name has letters, digits and _ . : - (at most 100 characters)', {
          expected: 'an endpoint name such as crm_api',
          found: describeFound(value),
        });
        return undefined;
      }
      return value;
    },
    references: (value, pointer) => (typeof value === 'string' ? [{ type: 'endpoint', name: value, pointer }] : []),
  };
}

/** An E.164 phone number. */
export function e164Field(options: { title: string; description: string; required?: boolean }): FieldSpec {
  return {
    title: options.title,
    description: options.description,
    expected: 'an E.164 number such as +15551234567',
    ...(options.required ? { required: true } : {}),
    schema: { type: 'string', pattern: E164_PATTERN, 'x-switchboard-widget': BuiltinFormWidgets.Phone },
    check(value, pointer, out) {
      if (typeof value !== 'string') return typeIssue(out, pointer, 'an E.164 number such as +15551234567', value);
      const problem = e164Problem(value);
      if (problem === undefined) return value;
      out.add(pointer, `${JSON.stringify(value)} is not an E.164 number: ${problem.message}`, {
        expected: 'an E.164 number such as +15551234567',
        found: describeFound(value),
        ...(problem.suggestion === undefined ? {} : { suggestion: problem.suggestion }),
      });
      return undefined;
    },
  };
}

/** A transfer destination: E.164 number or SIP URI; normalised to `{ kind, address }`. */
export function destinationField(): FieldSpec {
  const expected = 'an E.164 number such as +15551234567 or a SIP URI such as sip:support@example.com';
  return {
    title: 'Destination',
    description: 'Phone number in E.164 format (+15551234567) or SIP address (sip:user@host).',
    expected,
    required: true,
    schema: {
      type: 'string',
      anyOf: [{ pattern: E164_PATTERN }, { pattern: SIP_PATTERN }],
      'x-switchboard-widget': BuiltinFormWidgets.PhoneOrSip,
    },
    check(value, pointer, out) {
      if (typeof value !== 'string') return typeIssue(out, pointer, expected, value);
      const parsed = parseTransferDestination(value);
      if (parsed.ok) return { kind: parsed.destination.kind, address: parsed.destination.address };
      const what = /^sips?:/i.test(value) ? 'SIP URI' : 'E.164 number';
      out.add(pointer, `${JSON.stringify(value)} is not a valid ${what}: ${parsed.message}`, {
        expected,
        found: describeFound(value),
        ...(parsed.suggestion === undefined ? {} : { suggestion: parsed.suggestion }),
      });
      return undefined;
    },
  };
}

/** An http(s) URL a provider fetches (hold music). */
export function urlField(options: { title: string; description: string }): FieldSpec {
  return {
    title: options.title,
    description: options.description,
    expected: 'an https:// URL',
    schema: { type: 'string', pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s@/?#]+(?:[/?#][^\\s]*)?$', maxLength: 2048 },
    check(value, pointer, out) {
      if (typeof value !== 'string') return typeIssue(out, pointer, 'an https:// URL', value);
      const problem = publicUrlProblem(value);
      if (problem === undefined) return value;
      if (/credential/.test(problem.message)) out.secretPointers.add(pointer);
      out.add(pointer, problem.message, { expected: 'an https:// URL', found: describeFound(value) });
      return undefined;
    },
  };
}

/** An IANA time zone. */
export function timeZoneField(options: { title: string; description: string; default?: string }): FieldSpec {
  return {
    title: options.title,
    description: options.description,
    expected: 'an IANA time zone such as America/New_York or UTC',
    ...(options.default === undefined ? {} : { default: options.default }),
    schema: {
      type: 'string',
      pattern: '^(?:UTC|[A-Z][A-Za-z]+(?:/[A-Za-z0-9_+-]+)+)$',
      'x-switchboard-widget': BuiltinFormWidgets.TimeZone,
    },
    check(value, pointer, out) {
      if (typeof value !== 'string')
        return typeIssue(out, pointer, 'an IANA time zone such as America/New_York', value);
      if (isIanaTimeZone(value)) return value;
      const suggestion = suggestTimeZone(value);
      out.add(
        pointer,
        `${JSON.stringify(value)} is not an IANA time zone${suggestion ? ` — did you mean '${suggestion}'?` : ''}`,
        {
          expected: 'an IANA time zone such as America/New_York or UTC',
          found: describeFound(value),
          ...(suggestion ? { suggestion } : {}),
        },
      );
      return undefined;
    },
  };
}

/** A dot path, read or written by the compiled chain. */
export function pathField(options: {
  title: string;
  description: string;
  mode: 'read' | 'write';
  default?: string;
}): FieldSpec {
  const expected =
    options.mode === 'write' ? 'a context key such as crm_contact' : 'a dot path such as crm_contact.contact_id';
  return {
    title: options.title,
    description: options.description,
    expected,
    ...(options.default === undefined ? {} : { default: options.default }),
    schema: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_-]*(?:\\.[A-Za-z0-9_-]+)*$', maxLength: 256 },
    check(value, pointer, out) {
      if (typeof value !== 'string') return typeIssue(out, pointer, expected, value);
      const parsed = parsePath(value, options.mode);
      if (!parsed.ok) {
        out.add(pointer, `invalid path '${value}': ${parsed.message}`, { expected, found: describeFound(value) });
        return undefined;
      }
      if (parsed.path.append) {
        out.add(pointer, "'[+]' (append) is not allowed here", {
          expected,
          found: describeFound(value),
          suggestion: value.slice(0, -3),
        });
        return undefined;
      }
      if (parsed.path.nearMissScope !== undefined) {
        out.add(
          pointer,
          `'${value}' reads context key '${value.split('.')[0] ?? ''}' — did you mean the '${parsed.path.nearMissScope}' scope?`,
          {
            expected,
            found: describeFound(value),
          },
        );
        return undefined;
      }
      const scope = parsed.path.scope;
      if (scope === Scopes.Error || scope === Scopes.Input || (options.mode === 'read' && scope === Scopes.Params)) {
        out.add(pointer, `'${value}' cannot be read here (the '${scope}' scope is not available)`, {
          expected,
          found: describeFound(value),
        });
        return undefined;
      }
      return value;
    },
  };
}

/** A list of distinct names. */
export function nameListField(options: {
  title: string;
  description: string;
  pattern: RegExp;
  patternSource: string;
  itemExpected: string;
  maxItems: number;
  default: string[];
}): FieldSpec {
  return {
    title: options.title,
    description: options.description,
    expected: `a list of 1 to ${options.maxItems} ${options.itemExpected}`,
    default: options.default,
    schema: {
      type: 'array',
      items: { type: 'string', pattern: options.patternSource },
      minItems: 1,
      maxItems: options.maxItems,
      uniqueItems: true,
    },
    check(value, pointer, out) {
      if (!Array.isArray(value)) return typeIssue(out, pointer, `a list of ${options.itemExpected}`, value);
      const before = out.issues.length;
      if (value.length === 0 || value.length > options.maxItems) {
        out.add(pointer, `must list 1 to ${options.maxItems} names`, {
          expected: `1 to ${options.maxItems} items`,
          found: `${value.length} items`,
        });
      }
      const seen = new Set<string>();
      value.forEach((item: unknown, index) => {
        const at = pointerJoin(pointer, index);
        if (typeof item !== 'string' || !options.pattern.test(item)) {
          out.add(at, `must be ${options.itemExpected}`, {
            expected: options.itemExpected,
            found: describeFound(item),
          });
        } else if (seen.has(item)) {
          out.add(at, `'${item}' is listed twice`, { found: `'${item}'` });
        } else {
          seen.add(item);
        }
      });
      return issuesAdded(out, before) ? undefined : (cloneJson(value) as JsonValue);
    },
  };
}

/** Cal.com booking metadata: static strings (≤ 49 keys of ≤ 40 chars, values ≤ 500 chars). */
export function metadataField(): FieldSpec {
  return {
    title: 'Metadata',
    description: 'Static key/value pairs stored with each booking (Cal.com metadata).',
    expected: 'an object of at most 49 string values',
    schema: {
      type: 'object',
      maxProperties: 49,
      propertyNames: { maxLength: 40, not: { const: 'switchboard_key' } },
      additionalProperties: { type: 'string', maxLength: 500 },
    },
    check(value, pointer, out) {
      if (!isPlainObject(value)) return typeIssue(out, pointer, 'an object of string values', value);
      const before = out.issues.length;
      const keys = Object.keys(value);
      if (keys.length > 49) {
        out.add(pointer, 'Cal.com accepts at most 50 metadata keys, and Switchboard uses one for its idempotency key', {
          expected: 'at most 49 keys',
          found: `${keys.length} keys`,
        });
      }
      for (const key of keys) {
        const at = pointerJoin(pointer, key);
        if (out.secretPointers.has(at)) continue;
        const item = value[key];
        if (key === 'switchboard_key') {
          out.add(at, "'switchboard_key' is reserved for Switchboard's idempotency key", { found: `'${key}'` });
        } else if (key.length > 40) {
          out.add(at, 'metadata keys are at most 40 characters (Cal.com)', {
            expected: 'at most 40 characters',
            found: `${key.length} characters`,
          });
        }
        if (typeof item !== 'string')
          out.add(at, 'metadata values are strings', { expected: 'a string', found: describeFound(item) });
        else if (item.length > 500)
          out.add(at, 'metadata values are at most 500 characters (Cal.com)', {
            expected: 'at most 500 characters',
            found: `${item.length} characters`,
          });
      }
      return issuesAdded(out, before) ? undefined : (cloneJson(value) as JsonValue);
    },
  };
}

/** CRM property name → `{{template}}` of its new value. */
export function templateMapField(options: { title: string; description: string; required?: boolean }): FieldSpec {
  const nameRule = /^[a-z][a-z0-9_]{0,99}$/;
  return {
    title: options.title,
    description: options.description,
    expected: 'an object mapping HubSpot property names to message templates',
    ...(options.required ? { required: true } : {}),
    schema: {
      type: 'object',
      minProperties: 1,
      maxProperties: 100,
      propertyNames: { pattern: '^[a-z][a-z0-9_]{0,99}$' },
      additionalProperties: { type: 'string', maxLength: 4000, 'x-switchboard-widget': BuiltinFormWidgets.Template },
    },
    check(value, pointer, out) {
      if (!isPlainObject(value)) return typeIssue(out, pointer, 'an object of property templates', value);
      const before = out.issues.length;
      const keys = Object.keys(value);
      if (keys.length === 0) {
        out.addMissing(pointer, 'map at least one CRM property to a value', {
          expected: 'e.g. { "hs_lead_status": "{{params.lead_status}}" }',
          found: 'an empty object',
        });
      } else if (keys.length > 100) {
        out.add(pointer, 'at most 100 properties', { expected: 'at most 100 properties', found: `${keys.length}` });
      }
      for (const key of keys) {
        const at = pointerJoin(pointer, key);
        if (out.secretPointers.has(at)) continue;
        if (!nameRule.test(key)) {
          out.add(at, `'${key}' is not a HubSpot property name (internal names are lower case: letters, digits, _)`, {
            expected: 'a property internal name such as hs_lead_status',
            found: `'${key}'`,
            ...(nameRule.test(key.toLowerCase().replace(/[^a-z0-9_]/g, '_'))
              ? { suggestion: key.toLowerCase().replace(/[^a-z0-9_]/g, '_') }
              : {}),
          });
        }
        const item = value[key];
        if (typeof item !== 'string') {
          out.add(at, 'a property value is a message template (text with {{placeholders}})', {
            expected: 'a string such as "{{params.lead_status}}"',
            found: describeFound(item),
          });
        } else {
          checkTemplateProperty(item, at, out, { allowProvider: false, inFailure: false }, { filters: false });
        }
      }
      return issuesAdded(out, before) ? undefined : (cloneJson(value) as JsonValue);
    },
    paramReads(value, pointer) {
      if (!isPlainObject(value)) return [];
      return Object.keys(value).flatMap((key) => {
        const item = value[key];
        return typeof item === 'string' ? paramReadsOfTemplate(item, pointerJoin(pointer, key)) : [];
      });
    },
  };
}

/** Parameter declarations, in the declarative tool format (`name`, `type`, `required`, ...). */
export function parametersField(options: { description: string; reserved?: readonly string[] }): FieldSpec {
  return {
    title: 'Parameters',
    description: options.description,
    expected: 'a list of parameters as in declarative tools ({ "name", "type", "required", "description" })',
    default: [],
    noSecretNames: true,
    schema: {
      type: 'array',
      maxItems: 30,
      items: {
        type: 'object',
        properties: {
          name: { type: 'string', pattern: IDENTIFIER_SOURCE },
          type: { type: 'string', enum: ['string', 'number', 'boolean', 'array', 'object'] },
          required: { type: 'boolean' },
          enum: { type: 'array', minItems: 1 },
          description: { type: 'string' },
          default: {},
        },
        required: ['name', 'type'],
        additionalProperties: false,
      },
      'x-switchboard-widget': BuiltinFormWidgets.Parameters,
    },
    check(value, pointer, out) {
      if (!Array.isArray(value)) return typeIssue(out, pointer, 'a list of parameters', value);
      if (value.length > 30) {
        out.add(pointer, 'at most 30 parameters', { expected: 'at most 30 parameters', found: `${value.length}` });
        return undefined;
      }
      // Same rules and messages as declarative tools: validate through that parser, re-rooted.
      const probe = { name: 'probe', description: 'probe', parameters: value };
      const issues = validateDeclarativeTool(probe);
      const before = out.issues.length;
      for (const issue of issues) {
        if (!issue.pointer.startsWith('/parameters')) continue;
        out.add(`${pointer}${issue.pointer.slice('/parameters'.length)}`, issue.message, {
          ...(issue.expected === undefined ? {} : { expected: issue.expected }),
          ...(issue.found === undefined ? {} : { found: issue.found }),
          ...(issue.suggestion === undefined ? {} : { suggestion: issue.suggestion }),
        });
      }
      value.forEach((param: unknown, index) => {
        const name = isPlainObject(param) ? ownGet(param, 'name') : undefined;
        if (typeof name === 'string' && options.reserved?.includes(name)) {
          out.add(pointerJoin(pointer, index, 'name'), `'${name}' is already a parameter of this action`, {
            found: `'${name}'`,
          });
        }
      });
      if (issuesAdded(out, before)) return undefined;
      return parseDeclarativeTool(probe).parameters as unknown as JsonValue;
    },
  };
}

/** Literal, non-secret request headers. */
export function headersField(): FieldSpec {
  const managed = [
    'host',
    'content-length',
    'transfer-encoding',
    'connection',
    'idempotency-key',
    'traceparent',
    'tracestate',
  ];
  return {
    title: 'Headers',
    description: 'Extra request headers with fixed, non-secret values. Authentication goes in Auth.',
    expected: 'an object of header names to fixed strings',
    default: {},
    schema: {
      type: 'object',
      maxProperties: 20,
      propertyNames: {
        pattern: HTTP_TOKEN_SOURCE,
        not: {
          pattern: caseInsensitive(
            '^(?:authorization|proxy-authorization|cookie|x-api-key|api-key|host|content-length|transfer-encoding|connection|idempotency-key|traceparent|tracestate)$',
          ),
        },
      },
      additionalProperties: { type: 'string', maxLength: 1000, pattern: '^[^\\r\\n]*$' },
    },
    check(value, pointer, out) {
      if (!isPlainObject(value)) return typeIssue(out, pointer, 'an object of header names to strings', value);
      const before = out.issues.length;
      const keys = Object.keys(value);
      if (keys.length > 20)
        out.add(pointer, 'at most 20 headers', { expected: 'at most 20 headers', found: `${keys.length}` });
      for (const key of keys) {
        const at = pointerJoin(pointer, key);
        if (out.secretPointers.has(at)) continue;
        const item = value[key];
        if (!HTTP_TOKEN.test(key)) {
          out.add(at, `'${key}' is not a valid header name`, {
            expected: 'a header name such as X-Tenant',
            found: `'${key}'`,
          });
        } else if (managed.includes(key.toLowerCase())) {
          out.add(at, `'${key}' is set by Switchboard's HTTP client and cannot be configured`, { found: `'${key}'` });
        }
        if (typeof item !== 'string' || /[\r\n]/.test(item) || item.length > 1000) {
          out.add(at, 'a header value is a fixed string of at most 1000 characters, on one line', {
            expected: 'a string',
            found: describeFound(item),
          });
        }
      }
      return issuesAdded(out, before) ? undefined : (cloneJson(value) as JsonValue);
    },
  };
}

/** Case-insensitive spelling of a regex source for JSON Schema (which has no `i` flag). */
export function caseInsensitive(source: string): string {
  return source.replace(/[a-z]/g, (ch) => `[${ch.toUpperCase()}${ch}]`);
}

/** Authentication of a custom API, always through a credential reference. */
export function authField(): FieldSpec {
  const types = ['none', 'bearer', 'basic', 'api_key', 'oauth2'];
  return {
    title: 'Authentication',
    description:
      'none; bearer (Authorization: Bearer <secret>); basic (user:password, HTTPS only); api_key (the secret in a header); oauth2 (client-credentials grant: the credential holds token_url, client_id, client_secret and optional scope, audience, client_auth; the access token is sent as a Bearer token, cached until shortly before it expires, renewed once on a 401). The secret is a stored credential.',
    expected:
      '{ "type": "none" | "bearer" | "basic" | "api_key" | "oauth2", "credential": "<name>", "header"?: "<header name>" }',
    default: { type: 'none' },
    schema: {
      type: 'object',
      oneOf: [
        { properties: { type: { const: 'none' } }, required: ['type'], additionalProperties: false },
        {
          properties: { type: { enum: ['bearer', 'basic', 'oauth2'] }, credential: credentialSchema('http') },
          required: ['type', 'credential'],
          additionalProperties: false,
        },
        {
          properties: {
            type: { const: 'api_key' },
            credential: credentialSchema('http'),
            header: { type: 'string', pattern: HTTP_TOKEN_SOURCE, default: 'X-API-Key' },
          },
          required: ['type', 'credential'],
          additionalProperties: false,
        },
      ],
    },
    check(value, pointer, out) {
      if (!isPlainObject(value)) return typeIssue(out, pointer, 'an object with a "type"', value);
      const before = out.issues.length;
      const type = ownGet(value, 'type');
      const typePointer = pointerJoin(pointer, 'type');
      let kind: string | undefined;
      if (type === undefined) {
        out.addMissing(typePointer, 'auth needs a "type"', { expected: types.join(', '), found: 'nothing' });
      } else if (typeof type !== 'string' || !types.includes(type)) {
        const suggestion =
          typeof type === 'string'
            ? /^(?:oauth|oauth_?2|client_credentials)$/i.test(type.replace(/[-\s]/g, '_'))
              ? 'oauth2'
              : /^(?:token|jwt)$/i.test(type)
                ? 'bearer'
                : closestMatch(type.replace(/[-\s]/g, '_'), types)
            : undefined;
        out.add(
          typePointer,
          `unknown auth type ${describeFound(type)}${suggestion ? ` — did you mean '${suggestion}'?` : ''}`,
          {
            expected: types.join(', '),
            found: describeFound(type),
            ...(suggestion ? { suggestion } : {}),
          },
        );
      } else {
        kind = type;
      }
      const location = ownGet(value, 'in');
      if (location !== undefined) {
        out.add(pointerJoin(pointer, 'in'), 'API keys are always sent in a header: never put credentials in URLs', {
          expected: 'no "in" (use "header" to name the header)',
          found: describeFound(location),
        });
      }
      const allowed =
        kind === 'none' ? ['type'] : kind === 'api_key' ? ['type', 'credential', 'header'] : ['type', 'credential'];
      reportUnknownKeys(
        Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'in')),
        pointer,
        kind === undefined ? ['type', 'credential', 'header'] : allowed,
        out,
        `${kind ?? 'the'} auth`,
      );
      let credential: string | undefined;
      if (kind !== undefined && kind !== 'none') {
        const ref = ownGet(value, 'credential');
        const at = pointerJoin(pointer, 'credential');
        if (ref === undefined || ref === '') {
          if (!out.secretPointers.has(at)) {
            out.addMissing(at, `${kind} auth needs a credential reference`, {
              expected: 'the name of a stored credential',
              found: 'nothing',
            });
          }
        } else {
          credential = checkCredentialRef(ref, at, out);
        }
      }
      let header = 'X-API-Key';
      if (kind === 'api_key') {
        const given = ownGet(value, 'header');
        if (given !== undefined) {
          if (typeof given !== 'string' || !HTTP_TOKEN.test(given)) {
            out.add(pointerJoin(pointer, 'header'), 'must be a header name such as X-API-Key', {
              expected: 'a header name',
              found: describeFound(given),
            });
          } else if (['host', 'content-length', 'cookie'].includes(given.toLowerCase())) {
            out.add(pointerJoin(pointer, 'header'), `'${given}' cannot carry an API key`, { found: `'${given}'` });
          } else {
            header = given;
          }
        }
      }
      if (issuesAdded(out, before) || kind === undefined) return undefined;
      const auth: JsonObject = { type: kind };
      if (kind !== 'none') auth.credential = credential ?? '';
      if (kind === 'api_key') auth.header = header;
      return auth;
    },
    references(value, pointer) {
      const credential = isPlainObject(value) ? ownGet(value, 'credential') : undefined;
      return typeof credential === 'string'
        ? [{ type: 'credential', name: credential, pointer: pointerJoin(pointer, 'credential'), provider: 'http' }]
        : [];
    },
  };
}

/** Converts `{{path}}` leaves to bare paths; reports leaves that mix text and placeholders. */
function normaliseValueLeaves(value: unknown, pointer: string, out: BuiltinIssues, depth = 0): JsonValue | undefined {
  if (depth > 32) {
    out.add(pointer, 'value is nested deeper than 32 levels');
    return undefined;
  }
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    const whole = /^\{\{\s*([^{}]+?)\s*\}\}$/.exec(value);
    if (whole?.[1] !== undefined) return whole[1];
    out.add(
      pointer,
      'a value is either one placeholder ("{{params.email}}"), a dot path (params.email) or a quoted literal (\'text\'); text mixed with placeholders is not supported here',
      {
        expected: 'a single {{path}}, a dot path or a quoted literal',
        found: describeFound(value),
      },
    );
    return undefined;
  }
  if (Array.isArray(value)) {
    const items: JsonValue[] = [];
    let ok = true;
    value.forEach((item: unknown, index) => {
      const normalised = normaliseValueLeaves(item, pointerJoin(pointer, index), out, depth + 1);
      if (normalised === undefined) ok = false;
      else items.push(normalised);
    });
    return ok ? items : undefined;
  }
  if (isPlainObject(value)) {
    const result: JsonObject = {};
    let ok = true;
    for (const key of Object.keys(value)) {
      const normalised = normaliseValueLeaves(value[key], pointerJoin(pointer, key), out, depth + 1);
      if (normalised === undefined) ok = false;
      else ownSet(result, key, normalised);
    }
    return ok ? result : undefined;
  }
  if (value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))
    return value;
  out.add(pointer, 'value is not JSON', { found: describeFound(value) });
  return undefined;
}

function checkValueProblems(value: JsonValue, pointer: string, out: BuiltinIssues): void {
  for (const problem of checkPropertyValue(value)) {
    out.add(pointerJoin(pointer, ...problem.at), problem.message, {
      ...(problem.expected === undefined ? {} : { expected: problem.expected }),
      ...(problem.found === undefined ? {} : { found: problem.found }),
      ...(problem.suggestion === undefined ? {} : { suggestion: problem.suggestion }),
    });
  }
  for (const path of propertyValuePaths(value)) {
    if (path.scope === Scopes.Error)
      out.add(pointer, "the value reads the 'error' scope, which exists only in on_failure");
  }
}

/** A request body: JSON whose string leaves are dot paths, quoted literals or one `{{path}}`. */
export function bodyField(): FieldSpec {
  return {
    title: 'Body',
    description:
      "JSON body. String values are dot paths (params.email), quoted literals ('text') or one placeholder ({{params.email}}). Defaults to all parameters.",
    expected: 'a JSON value whose strings are dot paths, quoted literals or {{path}}',
    schema: { 'x-switchboard-widget': BuiltinFormWidgets.Json },
    check(value, pointer, out) {
      const before = out.issues.length;
      const normalised = normaliseValueLeaves(value, pointer, out);
      if (normalised !== undefined) checkValueProblems(normalised, pointer, out);
      return issuesAdded(out, before) ? undefined : normalised;
    },
    paramReads: (value, pointer) => paramReadsOfValue(value, pointer),
  };
}

/** Query parameters: name → value (dot path, quoted literal, `{{path}}`, number or boolean). */
export function queryField(): FieldSpec {
  const nameRule = /^[A-Za-z0-9_.[\]-]{1,64}$/;
  return {
    title: 'Query parameters',
    description: 'Query string parameters: name → value (dot path, quoted literal or {{path}}). Never credentials.',
    expected: 'an object of query parameter names to values',
    default: {},
    schema: {
      type: 'object',
      maxProperties: 20,
      propertyNames: { pattern: '^[A-Za-z0-9_.\\[\\]-]{1,64}$' },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
    check(value, pointer, out) {
      if (!isPlainObject(value)) return typeIssue(out, pointer, 'an object of query parameters', value);
      const before = out.issues.length;
      const keys = Object.keys(value);
      if (keys.length > 20)
        out.add(pointer, 'at most 20 query parameters', { expected: 'at most 20', found: `${keys.length}` });
      const result: JsonObject = {};
      for (const key of keys) {
        const at = pointerJoin(pointer, key);
        if (out.secretPointers.has(at)) continue;
        if (!nameRule.test(key)) out.add(at, `'${key}' is not a valid query parameter name`, { found: `'${key}'` });
        const item = value[key];
        if (item !== null && typeof item === 'object') {
          out.add(at, 'a query value is a scalar: a dot path, a quoted literal, {{path}}, a number or a boolean', {
            expected: 'a scalar',
            found: describeFound(item),
          });
          continue;
        }
        const normalised = normaliseValueLeaves(item, at, out);
        if (normalised !== undefined) {
          checkValueProblems(normalised, at, out);
          ownSet(result, key, normalised);
        }
      }
      return issuesAdded(out, before) ? undefined : result;
    },
    paramReads: (value, pointer) => paramReadsOfValue(value, pointer),
  };
}

/** Output name → dot path in the parsed response. */
export function responseMappingField(): FieldSpec {
  return {
    title: 'Response mapping',
    description: 'Values the agent gets back: output name → dot path in the JSON response (data.customer.id).',
    expected: 'an object of output names to response paths',
    noSecretNames: true,
    schema: {
      type: 'object',
      maxProperties: 50,
      propertyNames: { pattern: IDENTIFIER_SOURCE },
      additionalProperties: { type: 'string', pattern: RESPONSE_PATH_SOURCE },
    },
    check(value, pointer, out) {
      if (!isPlainObject(value)) return typeIssue(out, pointer, 'an object of output names to response paths', value);
      const before = out.issues.length;
      const keys = Object.keys(value);
      if (keys.length > 50) out.add(pointer, 'at most 50 outputs', { expected: 'at most 50', found: `${keys.length}` });
      for (const key of keys) {
        const at = pointerJoin(pointer, key);
        if (!IDENTIFIER.test(key) || FORBIDDEN_SEGMENTS.has(key)) {
          out.add(at, `output name '${key}' must be an identifier (letters, digits, _)`, { found: `'${key}'` });
        }
        const path = value[key];
        if (
          typeof path !== 'string' ||
          !RESPONSE_PATH.test(path) ||
          path.split('.').some((s) => FORBIDDEN_SEGMENTS.has(s))
        ) {
          const fixed = typeof path === 'string' ? path.replace(/^\$?\.?/, '').replace(/\[(\d+)\]/g, '.$1') : '';
          out.add(
            at,
            'a response path is a dot path into the JSON response, such as data.customer.id or items.0.name',
            {
              expected: 'a dot path such as data.customer.id',
              found: describeFound(path),
              ...(fixed !== path && RESPONSE_PATH.test(fixed) ? { suggestion: fixed } : {}),
            },
          );
        }
      }
      return issuesAdded(out, before) ? undefined : (cloneJson(value) as JsonValue);
    },
  };
}

const PATH_TEXT = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;

/** A request path template appended to the endpoint URL (`/customers/{{params.id}}`). */
export function urlPathField(): FieldSpec {
  return {
    title: 'Path',
    description: 'Appended to the endpoint URL; placeholders are percent-encoded (/customers/{{params.customer_id}}).',
    expected: 'a path starting with / such as /customers/{{params.customer_id}}',
    schema: {
      type: 'string',
      pattern: '^/[^?#\\s]*$',
      maxLength: 1000,
      'x-switchboard-widget': BuiltinFormWidgets.Template,
    },
    check(value, pointer, out) {
      const expected = 'a path starting with / such as /customers/{{params.customer_id}}';
      if (typeof value !== 'string') return typeIssue(out, pointer, expected, value);
      const before = out.issues.length;
      if (!value.startsWith('/')) {
        out.add(pointer, "the path must start with '/'", {
          expected,
          found: describeFound(value),
          suggestion: `/${value}`,
        });
      } else if (value.length > 1000) {
        out.add(pointer, 'the path is longer than 1000 characters', { expected, found: `${value.length} characters` });
      } else {
        const { parts, problems } = parseTemplate(value);
        for (const problem of problems)
          out.add(pointer, `template: ${problem.message}`, { found: describeFound(value) });
        for (const part of parts) {
          if (part.kind === 'text') {
            if (/[?#]/.test(part.text)) {
              out.add(pointer, "the path must not contain '?' or '#': put query parameters in 'query'", {
                expected,
                found: describeFound(value),
              });
            } else if (!PATH_TEXT.test(part.text)) {
              out.add(pointer, `the path has characters that must be percent-encoded: ${JSON.stringify(part.text)}`, {
                expected,
                found: describeFound(value),
              });
            } else if (/(?:^|\/)\.\.?(?:\/|$)/.test(part.text)) {
              out.add(pointer, "the path must not contain '.' or '..' segments", {
                expected,
                found: describeFound(value),
              });
            }
          } else if (part.filter !== undefined) {
            out.add(pointer, `'{{${part.source} | ${part.filter.name}}}': filters work only in spoken messages`, {
              found: describeFound(value),
            });
          } else if (part.path.scope === Scopes.Error || part.path.scope === Scopes.Input) {
            out.add(pointer, `'{{${part.source}}}' reads the '${part.path.scope}' scope, which is not available here`, {
              found: describeFound(value),
            });
          }
        }
      }
      return issuesAdded(out, before) ? undefined : value;
    },
    paramReads: (value, pointer) => (typeof value === 'string' ? paramReadsOfTemplate(value, pointer) : []),
  };
}

/** Parameters declared by a normalised `parameters` setting. */
export function declaredParameters(value: JsonValue | undefined): ParameterSpec[] {
  return Array.isArray(value) ? (cloneJson(value) as unknown as ParameterSpec[]) : [];
}
