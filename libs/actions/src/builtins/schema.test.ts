/**
 * The published built-in schema is generated from the field definitions and agrees with the
 * validator on the examples and on typical mistakes. A small structural checker covers
 * exactly the keywords the schema uses (a test makes sure no other keyword sneaks in, so the
 * agreement can never hold vacuously).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keywordsOf, type Schema, schemaErrors } from '../json-schema.test-support.js';
import { validateBuiltinAction } from './catalog.js';
import { KIND_DEFINITIONS } from './definitions.js';
import { BUILTIN_KINDS } from './kinds.js';
import { BUILTIN_SCHEMA_ID, builtinActionSchema, builtinConfigSchema } from './schema.js';

const schemasDir = new URL('../../schemas/', import.meta.url);
const fileSchema = JSON.parse(readFileSync(new URL('builtin-action.schema.json', schemasDir), 'utf8')) as Record<
  string,
  unknown
>;
const examples = readdirSync(new URL('builtin-examples/', schemasDir)).map(
  (file) =>
    [
      file,
      JSON.parse(readFileSync(new URL(`builtin-examples/${file}`, schemasDir), 'utf8')) as Record<string, unknown>,
    ] as const,
);

const ASSERTIONS = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'uniqueItems',
  'items',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'minProperties',
  'maxProperties',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
]);
const ANNOTATIONS = new Set(['$schema', '$id', '$defs', 'title', 'description', 'default']);

describe('builtin-action.schema.json', () => {
  it('is exactly what builtinActionSchema() generates (regenerate the file after changing a field)', () => {
    expect(fileSchema).toEqual(JSON.parse(JSON.stringify(builtinActionSchema())));
  });

  it('is a draft 2020-12 schema with a switchboard.dev $id, using only checked keywords and valid patterns', () => {
    expect(fileSchema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(fileSchema.$id).toBe(BUILTIN_SCHEMA_ID);
    const unknown = [...keywordsOf(fileSchema as Schema)].filter(
      (k) => !ASSERTIONS.has(k) && !ANNOTATIONS.has(k) && !k.startsWith('x-'),
    );
    expect(unknown).toEqual([]);
    for (const pattern of JSON.stringify(fileSchema).match(/"pattern":"(?:[^"\\]|\\.)*"/g) ?? []) {
      expect(() => new RegExp(JSON.parse(`{${pattern}}`).pattern, 'u')).not.toThrow();
    }
  });

  it.each(examples)('example %s validates against the schema, its kind form and the validator', (_file, doc) => {
    expect(schemaErrors(fileSchema, doc)).toEqual([]);
    const form = builtinConfigSchema(doc.type as (typeof BUILTIN_KINDS)[number]);
    expect(schemaErrors(form as object, doc)).toEqual([]);
    expect(validateBuiltinAction(doc)).toEqual([]);
  });

  it('rejects the same mistakes as the validator', () => {
    const cases: unknown[] = [
      { type: 'transfer', name: 'T', description: 'd' },
      { type: 'transfer_call', name: 'T', description: 'd', config: {} },
      { type: 'transfer_call', name: 'T', description: 'd', config: { destination: '5551234567' } },
      { type: 'transfer_call', name: 'T', description: 'd', config: { destination: '+0123456789' } },
      { type: 'transfer_call', name: 'T', description: 'd', config: { destination: 'sip:@x' } },
      { type: 'transfer_call', name: 'T', description: 'd', config: { destination: '+15551234567', mode: 'hot' } },
      {
        type: 'transfer_call',
        name: 'T',
        description: 'd',
        config: { destination: '+15551234567', whisper_message: 'x' },
      },
      { type: 'transfer_call', name: ' T', description: 'd', config: { destination: '+15551234567' } },
      { type: 'transfer_call', name: 'T', description: '', config: { destination: '+15551234567' } },
      { type: 'end_call', name: 'E', description: 'd', config: { final_mesage: 'bye' } },
      { type: 'end_call', name: 'E', description: 'd', destination: '+15551234567' },
      { type: 'pause_inactivity_timer', name: 'P', description: 'd', config: { duration_seconds: 3600 } },
      { type: 'calcom_book', name: 'B', description: 'd', config: { credential: 'c', event_type_id: 0 } },
      { type: 'calcom_book', name: 'B', description: 'd', config: { credential: 'c', event_type_id: 1, api_key: 'x' } },
      { type: 'calcom_book', name: 'B', description: 'd', config: { credential: { name: 'c' }, event_type_id: 1 } },
      {
        type: 'calcom_check_availability',
        name: 'C',
        description: 'd',
        config: { credential: 'c', event_type_id: 1, time_zone: 'EST' },
      },
      { type: 'send_sms', name: 'S', description: 'd', config: { credential: 't' } },
      {
        type: 'send_sms',
        name: 'S',
        description: 'd',
        config: { credential: 't', from: '+15551234567', messaging_service_sid: 'MG0123456789abcdef0123456789abcdef' },
      },
      { type: 'crm_lookup', name: 'L', description: 'd', config: { credential: 'h', properties: [] } },
      { type: 'crm_update', name: 'U', description: 'd', config: { credential: 'h', properties: {} } },
      { type: 'crm_create_ticket', name: 'T', description: 'd', config: { credential: 'h', priority: 'URGENT' } },
      { type: 'custom_api', name: 'C', description: 'd', config: {} },
      { type: 'custom_api', name: 'C', description: 'd', config: { endpoint: 'https://api.example.com' } },
      { type: 'custom_api', name: 'C', description: 'd', config: { endpoint: 'a', method: 'GET', body: {} } },
      {
        type: 'custom_api',
        name: 'C',
        description: 'd',
        config: { endpoint: 'a', headers: { Authorization: 'Bearer abcdefghijkl' } },
      },
      { type: 'custom_api', name: 'C', description: 'd', config: { endpoint: 'a', auth: { type: 'bearer' } } },
      {
        type: 'custom_api',
        name: 'C',
        description: 'd',
        config: { endpoint: 'a', auth: { type: 'bearer', token: 'x', credential: 'c' } },
      },
      { type: 'custom_api', name: 'C', description: 'd', config: { endpoint: 'a', timeout_ms: 60000 } },
      { type: 'custom_api', name: 'C', description: 'd', config: { endpoint: 'a', path: 'no-slash' } },
      { type: 'custom_api', name: 'C', description: 'd', config: { endpoint: 'a', response_mapping: { id: '$.id' } } },
    ];
    for (const doc of cases) {
      expect(validateBuiltinAction(doc).length, JSON.stringify(doc)).toBeGreaterThan(0);
      expect(schemaErrors(fileSchema, doc).length, JSON.stringify(doc)).toBeGreaterThan(0);
    }
  });
});

describe('builtinConfigSchema', () => {
  it.each(
    BUILTIN_KINDS,
  )('%s: a standalone form schema whose settings are the validator’s, with valid defaults', (kind) => {
    const form = builtinConfigSchema(kind);
    expect(form.$id).toBe(`https://switchboard.dev/schemas/builtin/${kind}.schema.json`);
    expect(JSON.stringify(form)).not.toContain('$ref');
    const properties = form.properties as Record<string, Record<string, unknown>>;
    expect(properties.type).toEqual({ const: kind });
    expect(properties.name?.title).toBe('Name');
    expect(properties.description?.title).toBe('Description');
    const config = properties.config as { properties: Record<string, Record<string, unknown>>; required?: string[] };
    expect(Object.keys(config.properties)).toEqual(Object.keys(KIND_DEFINITIONS[kind].fields));
    for (const [key, setting] of Object.entries(config.properties)) {
      expect(typeof setting.title, key).toBe('string');
      expect(typeof setting.description, key).toBe('string');
      if (setting.default !== undefined) expect(schemaErrors(setting as object, setting.default), key).toEqual([]);
    }
    const required = Object.entries(KIND_DEFINITIONS[kind].fields)
      .filter(([, spec]) => spec.required === true)
      .map(([key]) => key);
    expect(config.required ?? []).toEqual(required);
  });

  it('marks credential and template settings for the form renderer', () => {
    const form = builtinConfigSchema('calcom_book') as {
      properties: { config: { properties: Record<string, Record<string, unknown>> } };
    };
    expect(form.properties.config.properties.credential).toMatchObject({
      'x-switchboard-widget': 'credential',
      'x-credential-provider': 'calcom',
    });
    expect(form.properties.config.properties.success_message).toMatchObject({ 'x-switchboard-widget': 'template' });
  });
});
