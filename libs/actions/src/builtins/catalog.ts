/**
 * The built-in action format of the voice platform: the document the dashboard's configuration
 * form produces, its validator, and its compilation into the canonical model.
 *
 * ```json
 * { "type": "transfer_call", "name": "Transfer to Support",
 *   "description": "Transfers the caller to the support team.",
 *   "config": { "destination": "+15551234567", "mode": "warm" } }
 * ```
 *
 * - `type` is one of {@link BUILTIN_KINDS}; `name` follows the display-name rule of declarative
 *   tools (instructions quote it: "use the 'Transfer to Support' action"); `description` is
 *   required because the LLM chooses tools by it; `config` holds the kind's settings, whose
 *   form schema is {@link builtinConfigSchema}.
 * - Secrets are never inline: credentials are referenced by name (`"credential": "calcom_main"`
 *   or `{ "credential": "calcom_main" }`), and secret-looking fields or values are rejected.
 * - An empty string in a form field counts as not set (the default applies, or the setting is
 *   reported missing), except in message templates, where `""` deliberately says nothing.
 */
import type { JsonValue, ValidationIssue } from '@switchboard/common';
import { ValidationError } from '@switchboard/common/errors';
import { ASYNC_PROPERTIES, checkAsyncFields, readAsyncFields } from '../async-fields.js';
import { cloneJson, describeFound, isPlainObject, ownGet, pointerJoin } from '../json.js';
import { type CanonicalAction, isValidToolName, labelFromName } from '../model.js';
import { closestMatch } from '../suggest.js';
import { checkOptionalString, summarizeIssues } from '../validate.js';
import { type BuiltinConfig, KIND_DEFINITIONS } from './definitions.js';
import { BuiltinIssues, type FieldReference } from './fields.js';
import { BUILTIN_KINDS, type BuiltinKind } from './kinds.js';
import { isSecretName, secretValueKind } from './secrets.js';

/** Top-level members of a built-in action document (`$schema` lets editors find the schema). */
const TOP_KEYS = ['$schema', 'type', 'name', 'description', 'config', ...ASYNC_PROPERTIES] as const;

/** Names people use for the built-ins, mapped to the kind (for "did you mean" suggestions). */
const KIND_ALIASES: Readonly<Record<string, BuiltinKind>> = {
  transfer: 'transfer_call',
  call_transfer: 'transfer_call',
  forward_call: 'transfer_call',
  transfer_to_support: 'transfer_call',
  hangup: 'end_call',
  hang_up: 'end_call',
  end_conversation: 'end_call',
  end: 'end_call',
  pause: 'pause_inactivity_timer',
  pause_timer: 'pause_inactivity_timer',
  inactivity_timer: 'pause_inactivity_timer',
  resume: 'resume_inactivity_timer',
  resume_timer: 'resume_inactivity_timer',
  resume_inactivity: 'resume_inactivity_timer',
  check_availability: 'calcom_check_availability',
  availability: 'calcom_check_availability',
  calcom_slots: 'calcom_check_availability',
  book: 'calcom_book',
  booking: 'calcom_book',
  book_appointment: 'calcom_book',
  calcom_booking: 'calcom_book',
  cancel: 'cancel_booking',
  cancel_appointment: 'cancel_booking',
  calcom_cancel: 'cancel_booking',
  reschedule: 'reschedule_booking',
  reschedule_appointment: 'reschedule_booking',
  calcom_reschedule: 'reschedule_booking',
  move_booking: 'reschedule_booking',
  sms: 'send_sms',
  text_message: 'send_sms',
  twilio_sms: 'send_sms',
  lookup: 'crm_lookup',
  contact_lookup: 'crm_lookup',
  hubspot_lookup: 'crm_lookup',
  update_crm: 'crm_update',
  crm_update_contact: 'crm_update',
  create_ticket: 'crm_create_ticket',
  ticket: 'crm_create_ticket',
  support_ticket: 'crm_create_ticket',
  webhook: 'custom_api',
  api: 'custom_api',
  api_call: 'custom_api',
  http: 'custom_api',
  http_request: 'custom_api',
};

/** A credential or endpoint a built-in references, with where it is referenced. */
export type BuiltinReference = FieldReference;

/** Everything the validator learnt about a document. */
interface Analysis {
  out: BuiltinIssues;
  kind?: BuiltinKind;
  name?: string;
  description?: string;
  /** Valid settings, defaults applied. */
  config: BuiltinConfig;
  references: BuiltinReference[];
}

function isKind(value: unknown): value is BuiltinKind {
  return typeof value === 'string' && (BUILTIN_KINDS as readonly string[]).includes(value);
}

function suggestKind(input: string): BuiltinKind | undefined {
  const normalised = input
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if (isKind(normalised)) return normalised;
  const alias = KIND_ALIASES[normalised];
  if (alias !== undefined) return alias;
  const near = closestMatch(normalised, BUILTIN_KINDS);
  return near === undefined ? undefined : (near as BuiltinKind);
}

type SecretMode = 'plain' | 'body' | 'query' | 'headers';

const SECRET_MESSAGE =
  'store it in Settings > Credentials and reference it by name ("credential": "<name>"); action definitions never hold secrets';

function secretNameMessage(key: string, mode: SecretMode): string {
  if (mode === 'query') {
    return `query parameter '${key}' would put a credential in the URL; never expose credentials in URLs — use 'auth' (api_key sends the key in a header) with a credential reference`;
  }
  if (mode === 'headers') {
    return `header '${key}' holds a secret inline; use 'auth' (bearer, basic or api_key) with a credential reference instead`;
  }
  return `'${key}' holds a secret inline; ${SECRET_MESSAGE}`;
}

/** Whether a value under a secret-looking name is a literal secret (not a reference or a path). */
function isLiteralSecret(value: unknown, mode: SecretMode): boolean {
  if (mode === 'query' || mode === 'headers') return !isPlainObject(value) && !Array.isArray(value) && value !== null;
  if (mode === 'body') return (typeof value === 'string' && value.startsWith("'")) || typeof value === 'number';
  return (typeof value === 'string' && value.length > 0) || typeof value === 'number';
}

function scanSecrets(
  value: unknown,
  pointer: string,
  mode: SecretMode,
  names: boolean,
  out: BuiltinIssues,
  depth: number,
): void {
  if (depth > 34) return;
  if (typeof value === 'string') {
    const kind = secretValueKind(value);
    if (kind !== undefined) out.addSecret(pointer, `this value looks like ${kind}; ${SECRET_MESSAGE}`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      scanSecrets(item, pointerJoin(pointer, index), mode, names, out, depth + 1);
    });
    return;
  }
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(value)) {
    const at = pointerJoin(pointer, key);
    const member = value[key];
    if (names && key !== 'credential' && isSecretName(key) && isLiteralSecret(member, mode)) {
      out.addSecret(at, secretNameMessage(key, mode));
      continue;
    }
    scanSecrets(member, at, mode, names, out, depth + 1);
  }
}

function modeOf(key: string): SecretMode {
  return key === 'body' ? 'body' : key === 'query' ? 'query' : key === 'headers' ? 'headers' : 'plain';
}

function analyse(json: unknown): Analysis {
  const out = new BuiltinIssues();
  const analysis: Analysis = { out, config: {}, references: [] };
  if (!isPlainObject(json)) {
    out.add('', 'a built-in action must be a JSON object', {
      expected: 'an object with type, name, description and config',
      found: describeFound(json),
    });
    return analysis;
  }
  checkOptionalString(json, '$schema', '', out);
  checkAsyncFields(json, '', out);

  const type = ownGet(json, 'type');
  const kinds = `one of ${BUILTIN_KINDS.join(', ')}`;
  if (type === undefined) {
    out.add('/type', "a built-in action needs a 'type' (which built-in it is)", { expected: kinds, found: 'nothing' });
  } else if (!isKind(type)) {
    const suggestion = typeof type === 'string' ? suggestKind(type) : undefined;
    out.add('/type', `unknown built-in ${describeFound(type)}${suggestion ? ` — did you mean '${suggestion}'?` : ''}`, {
      expected: kinds,
      found: describeFound(type),
      ...(suggestion ? { suggestion } : {}),
    });
  } else {
    analysis.kind = type;
  }

  const name = ownGet(json, 'name');
  if (name === undefined || name === '') {
    out.addMissing('/name', "a built-in action needs a 'name' (instructions refer to the action by this exact name)", {
      expected: 'a name such as Transfer to Support',
      found: 'nothing',
    });
  } else if (typeof name !== 'string' || !isValidToolName(name)) {
    const trimmed = typeof name === 'string' ? name.trim() : '';
    out.add(
      '/name',
      "'name' must be non-empty, at most 80 characters, without leading/trailing whitespace or control characters",
      {
        expected: 'a name such as Transfer to Support',
        found: describeFound(name),
        ...(trimmed !== name && isValidToolName(trimmed) ? { suggestion: trimmed } : {}),
      },
    );
  } else {
    analysis.name = name;
  }

  const description = ownGet(json, 'description');
  if (description === undefined || (typeof description === 'string' && description.trim() === '')) {
    out.addMissing('/description', "a built-in action needs a 'description' (the LLM uses it to decide when to act)", {
      expected: 'a sentence on what the action does',
      found: description === undefined ? 'nothing' : 'an empty string',
    });
  } else if (typeof description !== 'string') {
    out.add('/description', "'description' must be a string", {
      expected: 'a string',
      found: describeFound(description),
    });
  } else {
    analysis.description = description;
  }

  const definition = analysis.kind === undefined ? undefined : KIND_DEFINITIONS[analysis.kind];
  for (const key of Object.keys(json)) {
    if ((TOP_KEYS as readonly string[]).includes(key)) continue;
    const at = pointerJoin('', key);
    const member = json[key];
    if (isSecretName(key) && isLiteralSecret(member, 'plain')) {
      out.addSecret(at, secretNameMessage(key, 'plain'));
    } else if (definition !== undefined && Object.hasOwn(definition.fields, key)) {
      out.add(at, `'${key}' is a setting of ${analysis.kind}: put it inside 'config'`, {
        expected: `config.${key}`,
        found: `'${key}' at the top level`,
        suggestion: `/config/${key}`,
      });
    } else {
      const suggestion = closestMatch(key, TOP_KEYS);
      out.add(
        at,
        `unknown property '${key}' in a built-in action${suggestion ? ` — did you mean '${suggestion}'?` : ''}`,
        {
          expected: `one of ${TOP_KEYS.join(', ')}`,
          found: `'${key}'`,
          ...(suggestion ? { suggestion } : {}),
        },
      );
    }
  }

  const rawConfig = ownGet(json, 'config') ?? {};
  if (!isPlainObject(rawConfig)) {
    out.add('/config', "'config' must be an object with the action's settings", {
      expected: 'an object',
      found: describeFound(rawConfig),
    });
    return analysis;
  }
  for (const key of Object.keys(rawConfig)) {
    const spec = definition?.fields[key];
    const member = rawConfig[key];
    const at = pointerJoin('/config', key);
    if (key !== 'credential' && isSecretName(key) && spec === undefined && isLiteralSecret(member, 'plain')) {
      out.addSecret(at, secretNameMessage(key, 'plain'));
      continue;
    }
    scanSecrets(member, at, modeOf(key), spec?.noSecretNames !== true, out, 0);
  }
  if (definition === undefined || analysis.kind === undefined) return analysis;
  const kind = analysis.kind;

  const config: BuiltinConfig = {};
  for (const key of Object.keys(definition.fields)) {
    const spec = definition.fields[key];
    if (spec === undefined) continue;
    const at = pointerJoin('/config', key);
    if (out.secretPointers.has(at)) continue;
    const value = ownGet(rawConfig, key);
    const absent =
      value === undefined ||
      value === null ||
      (typeof value === 'string' && value.trim() === '' && spec.emptyIsValue !== true);
    if (absent) {
      if (spec.required) {
        out.addMissing(at, `missing required setting '${key}' (${spec.title})`, {
          expected: spec.expected,
          found: 'nothing',
        });
      } else if (spec.default !== undefined) {
        config[key] = cloneJson(spec.default);
      }
      continue;
    }
    const normalised = spec.check(value, at, out);
    if (normalised === undefined) continue;
    config[key] = normalised;
    if (spec.references) analysis.references.push(...spec.references(normalised, at));
  }
  analysis.config = config;

  const allowed = Object.keys(definition.fields);
  for (const key of Object.keys(rawConfig)) {
    const at = pointerJoin('/config', key);
    if (allowed.includes(key) || out.secretPointers.has(at)) continue;
    const suggestion = isSecretName(key) && allowed.includes('credential') ? 'credential' : closestMatch(key, allowed);
    const owner =
      suggestion === undefined ? BUILTIN_KINDS.find((k) => Object.hasOwn(KIND_DEFINITIONS[k].fields, key)) : undefined;
    const where =
      key === 'name' || key === 'description'
        ? ` ('${key}' goes at the top level, next to 'type')`
        : owner !== undefined
          ? ` ('${key}' is a setting of ${owner})`
          : '';
    out.add(at, `unknown setting '${key}' for ${kind}${where}${suggestion ? ` — did you mean '${suggestion}'?` : ''}`, {
      expected: `one of ${allowed.join(', ')}`,
      found: `'${key}'`,
      ...(suggestion ? { suggestion } : {}),
    });
  }

  definition.refine?.(config, rawConfig, out);

  // Reads of undeclared parameters would silently render as nothing at run time.
  const parametersBroken = rawConfig.parameters !== undefined && config.parameters === undefined;
  if (!parametersBroken) {
    const declared = definition.parameters(config).map((p) => p.name);
    const declaresOwn = Object.hasOwn(definition.fields, 'parameters');
    const reported = new Set(out.issues.map((issue) => issue.pointer));
    for (const key of allowed) {
      const spec = definition.fields[key];
      const raw = ownGet(rawConfig, key);
      // A setting rejected as a whole says enough; one with a bad member still gets its reads checked.
      if (reported.has(pointerJoin('/config', key))) continue;
      // An invalid setting is still worth checking: report every mistake in one pass.
      const value = config[key] ?? (raw as JsonValue | undefined);
      if (spec?.paramReads === undefined || value === undefined || raw === undefined) continue;
      for (const read of spec.paramReads(value, pointerJoin('/config', key))) {
        if (declared.includes(read.name)) continue;
        const suggestion = closestMatch(read.name, declared);
        out.add(
          read.pointer,
          `${read.source} reads parameter '${read.name}', which this action does not declare (${
            declared.length === 0 ? 'it declares none' : `declared: ${declared.join(', ')}`
          })${declaresOwn ? "; declare it in 'parameters'" : ''}${suggestion ? ` — did you mean '${suggestion}'?` : ''}`,
          {
            expected: declared.length === 0 ? 'no params reads' : `one of ${declared.join(', ')}`,
            found: `'${read.name}'`,
            ...(suggestion ? { suggestion } : {}),
          },
        );
      }
    }
  }
  return analysis;
}

/**
 * Validates a built-in action document without throwing. Returns every issue, each located
 * by a JSON pointer into `json` (`/config/destination`); an empty array means
 * {@link parseBuiltinAction} will succeed.
 */
export function validateBuiltinAction(json: unknown): ValidationIssue[] {
  return analyse(json).out.issues;
}

/**
 * Parses a built-in action into the canonical model (`source: 'builtin'`), applying the
 * kind's defaults. Throws a {@link ValidationError} listing every issue when it is invalid.
 */
export function parseBuiltinAction(json: unknown): CanonicalAction {
  const analysis = analyse(json);
  const { out, kind, name, description } = analysis;
  if (out.issues.length > 0 || kind === undefined || name === undefined || description === undefined) {
    const what = name === undefined ? 'built-in action' : `built-in action '${name}'`;
    throw new ValidationError(summarizeIssues(what, out.issues), out.issues);
  }
  const definition = KIND_DEFINITIONS[kind];
  const chain = definition.compile(analysis.config, name);
  // Every kind's own "still working" text (a failure message is the kind's failure_message).
  const delayed = analysis.config.delayed_message;
  return {
    name,
    label: /\s/.test(name) ? name : labelFromName(name),
    description,
    source: 'builtin',
    parameters: definition.parameters(analysis.config),
    outputs: chain.outputs,
    steps: chain.steps,
    onSuccess: chain.onSuccess,
    onFailure: chain.onFailure,
    requireUserConfirmation: false,
    includeInProgressIndicator: false,
    ...readAsyncFields(json as Record<string, unknown>),
    ...(typeof delayed === 'string' && delayed !== '' ? { messages: { delayed } } : {}),
  };
}

/**
 * The configuration of a built-in with the kind's defaults applied, as the compiler sees it
 * (credential references reduced to their names). `undefined` when the document is invalid.
 */
export function resolveBuiltinConfig(
  json: unknown,
): { kind: BuiltinKind; config: Record<string, JsonValue> } | undefined {
  const analysis = analyse(json);
  if (analysis.out.issues.length > 0 || analysis.kind === undefined) return undefined;
  return { kind: analysis.kind, config: analysis.config };
}

/**
 * The credentials and endpoints a built-in references (the valid references, even when other
 * settings are invalid), for status checks and for "where is this credential used" screens.
 */
export function builtinReferences(json: unknown): BuiltinReference[] {
  return analyse(json).references;
}

/** @internal Issues with their missing/secret classification, for `actionStatus`. */
export function analyseBuiltinForStatus(json: unknown): {
  issues: readonly ValidationIssue[];
  missing: ReadonlySet<ValidationIssue>;
  references: BuiltinReference[];
} {
  const analysis = analyse(json);
  return { issues: analysis.out.issues, missing: analysis.out.missing, references: analysis.references };
}
