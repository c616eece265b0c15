/**
 * Test support (not built into dist): validates documents against our published JSON Schemas
 * with a real draft 2020-12 validator, so the schemas and the hand-written validators are
 * checked against each other by an independent implementation.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';

const compiled = new WeakMap<object, ReturnType<Ajv2020['compile']>>();

/** Every problem ajv finds (`/pointer message`), or an empty list when the document is valid. */
export function schemaErrors(schema: object, doc: unknown): string[] {
  let validate = compiled.get(schema);
  if (!validate) {
    // `x-…` annotations (form widgets, credential providers) are ours; strict mode would refuse them.
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    (ajvFormats as unknown as (a: Ajv2020) => void)(ajv);
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`.trim());
}

/** A JSON Schema (or boolean schema), loosely typed for walking. */
export type Schema = boolean | { [keyword: string]: unknown };

const SCHEMA_VALUED = new Set(['additionalProperties', 'propertyNames', 'items', 'not', 'if', 'then', 'else']);
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf']);
const SCHEMA_MAPS = new Set(['properties', '$defs']);

/** Every keyword used anywhere in a schema (to keep published schemas to a known keyword set). */
export function keywordsOf(schema: Schema, out = new Set<string>()): Set<string> {
  if (typeof schema === 'boolean') return out;
  for (const [key, value] of Object.entries(schema)) {
    out.add(key);
    if (SCHEMA_VALUED.has(key)) keywordsOf(value as Schema, out);
    if (SCHEMA_LISTS.has(key)) for (const s of value as Schema[]) keywordsOf(s, out);
    if (SCHEMA_MAPS.has(key)) for (const s of Object.values(value as Record<string, Schema>)) keywordsOf(s, out);
  }
  return out;
}
