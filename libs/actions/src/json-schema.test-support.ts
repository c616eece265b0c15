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
