/**
 * JSON Schemas of the built-in configuration forms, generated from the same field
 * definitions the validator uses. The dashboard renders each form from
 * {@link builtinConfigSchema}; `schemas/builtin-action.schema.json` is
 * {@link builtinActionSchema} written to disk (a test keeps the file in sync).
 *
 * Annotations for the form renderer: `title`, `description`, `default`, and
 * `x-switchboard-widget` (credential, endpoint, template, phone, phone_or_sip, time_zone,
 * parameters, json), `x-credential-provider` (calcom, twilio, hubspot, http) and
 * `x-switchboard-category` (call_control, integration). The validator remains the authority:
 * template placeholders, SIP grammar, declared-parameter reads and inline-secret detection are
 * beyond JSON Schema.
 */

import type { JsonObject } from '@switchboard/common';
import { ASYNC_SCHEMA_PROPERTIES } from '../async-fields.js';
import { cloneJson } from '../json.js';
import { MAX_ACTION_NAME_LENGTH } from '../model.js';
import { KIND_DEFINITIONS } from './definitions.js';
import { BUILTIN_CATALOG, BUILTIN_KINDS, type BuiltinKind } from './kinds.js';

const DRAFT = 'https://json-schema.org/draft/2020-12/schema';
/** `$id` of the published built-in action schema. */
export const BUILTIN_SCHEMA_ID = 'https://switchboard.dev/schemas/builtin-action.schema.json';

function kindSchema(kind: BuiltinKind): JsonObject {
  const definition = KIND_DEFINITIONS[kind];
  const info = BUILTIN_CATALOG[kind];
  const properties: JsonObject = {};
  const required: string[] = [];
  for (const key of Object.keys(definition.fields)) {
    const spec = definition.fields[key];
    if (spec === undefined) continue;
    properties[key] = {
      title: spec.title,
      description: spec.description,
      ...(spec.default === undefined ? {} : { default: cloneJson(spec.default) }),
      ...cloneJson(spec.schema),
    };
    if (spec.required) required.push(key);
  }
  const config: JsonObject = {
    title: 'Settings',
    description: `Settings of ${info.title}.`,
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
    ...(definition.schemaRules === undefined ? {} : { allOf: cloneJson(definition.schemaRules) }),
  };
  return {
    title: info.title,
    description: info.summary,
    'x-switchboard-category': info.category,
    type: 'object',
    properties: {
      $schema: { type: 'string' },
      type: { const: kind },
      name: {
        title: 'Name',
        description:
          "Clear, descriptive name (e.g. 'Transfer to Billing Department'); instructions refer to the action by this exact, case-sensitive name.",
        type: 'string',
        minLength: 1,
        maxLength: MAX_ACTION_NAME_LENGTH,
        pattern: '^[^\\u0000-\\u001f\\u007f\\s](?:[^\\u0000-\\u001f\\u007f]*[^\\u0000-\\u001f\\u007f\\s])?$',
      },
      description: {
        title: 'Description',
        description: 'What the action does and what it returns; the LLM decides when to use it from this.',
        type: 'string',
        minLength: 1,
        pattern: '\\S',
      },
      config,
      ...cloneJson(ASYNC_SCHEMA_PROPERTIES),
    },
    required: required.length > 0 ? ['type', 'name', 'description', 'config'] : ['type', 'name', 'description'],
    additionalProperties: false,
  };
}

/**
 * The JSON Schema of one kind's configuration form: the whole document (`type`, `name`,
 * `description`, `config`), with the kind's settings under `properties.config`. Standalone
 * (no `$ref`s), so a form renderer can use it as is.
 */
export function builtinConfigSchema(kind: BuiltinKind): JsonObject {
  return {
    $schema: DRAFT,
    $id: `https://switchboard.dev/schemas/builtin/${kind}.schema.json`,
    ...kindSchema(kind),
  };
}

/** The JSON Schema of any built-in action document (`schemas/builtin-action.schema.json`). */
export function builtinActionSchema(): JsonObject {
  const defs: JsonObject = {};
  for (const kind of BUILTIN_KINDS) defs[kind] = kindSchema(kind);
  return {
    $schema: DRAFT,
    $id: BUILTIN_SCHEMA_ID,
    title: 'Switchboard built-in action',
    description:
      'A built-in action of the voice platform (Call Control or Integration): type, name, description and the kind-specific config. Credentials are referenced by name, never inline.',
    type: 'object',
    properties: { type: { enum: [...BUILTIN_KINDS] } },
    required: ['type'],
    allOf: BUILTIN_KINDS.map((kind) => ({
      if: { properties: { type: { const: kind } }, required: ['type'] },
      // biome-ignore lint/suspicious/noThenProperty: 'then' is a JSON Schema keyword
      then: { $ref: `#/$defs/${kind}` },
    })),
    $defs: defs,
  };
}
