import type { JsonObject } from '@switchboard/common';
import { describe, expect, it } from 'vitest';
import { compileAgentDefinition } from './definition.js';
import { materializeImport } from './topics.js';

const notify = {
  name: 'notify',
  description: 'Tells the back office about the request',
  parameters: [{ name: 'order_number', type: 'string', required: true }],
  actions: [{ type: 'webhook', endpoint: 'office', payload: { number: 'params.order_number' } }],
  on_success: [{ type: 'respond', message: 'Noted {{params.order_number}}.' }],
};

const book = {
  type: 'calcom_book',
  name: 'Book Consultation',
  description: 'Books a consultation in Cal.com for the caller.',
  config: { credential: 'calcom_main', event_type_id: 1001, time_zone: 'America/New_York' },
};

const callApi = {
  type: 'custom_api',
  name: 'call_api',
  description: 'Calls the office API',
  config: { endpoint: 'office', method: 'POST', body: { a: 'params.x' }, parameters: [{ name: 'x', type: 'string' }] },
};

const lookup = {
  name: 'lookup_order',
  description: 'Looks up an order by number',
  parameters: [{ name: 'order_number', type: 'string', required: true }],
  actions: [{ type: 'webhook', endpoint: 'orders', payload: { number: 'params.order_number' }, result_key: 'order' }],
};

const pointers = (issues: readonly { pointer: string }[]) => issues.map((i) => i.pointer);

describe('compileAgentDefinition with topics', () => {
  it('compiles an agent without topics exactly as before (no library, no topics)', () => {
    const compiled = compileAgentDefinition({ instructions: "Use the 'lookup_order' action.", actions: [lookup] });
    expect(compiled.issues).toEqual([]);
    expect(compiled.topics).toEqual([]);
    expect(compiled.library).toEqual([]);
    expect(compiled.actions.map((a) => a.name)).toEqual(['lookup_order']);
  });

  it('gives each importing topic its own copy, with its own overrides, leaving the library untouched', () => {
    const library = [structuredClone(notify), structuredClone(book)];
    const snapshot = structuredClone(library);
    const compiled = compileAgentDefinition({
      instructions: '',
      actions: [lookup],
      library,
      topics: [
        {
          name: 'billing',
          description: 'Invoices and refunds',
          actions: [
            {
              import: 'notify',
              actions: [{ type: 'webhook', endpoint: 'office', payload: { team: "'billing'" } }],
              on_success: [{ type: 'respond', message: 'Billing was told.' }],
            },
            { import: 'Book Consultation', config: { time_zone: 'Europe/Berlin' } },
          ],
        },
        {
          name: 'shipping',
          description: 'Where is my parcel',
          instructions: "Use the 'notify' action, then 'lookup_order'.",
          actions: [{ import: 'notify' }, { import: 'notify', name: 'notify_twice' }],
        },
      ],
    });
    expect(compiled.issues).toEqual([]);
    expect(library).toEqual(snapshot);
    const [billing, shipping] = compiled.topics;
    expect(billing?.actions.map((a) => [a.name, a.format, a.imported])).toEqual([
      ['notify', 'tool', 'notify'],
      ['Book Consultation', 'builtin', 'Book Consultation'],
    ]);
    expect(billing?.actions[0]?.source.on_success).toEqual([{ type: 'respond', message: 'Billing was told.' }]);
    expect(shipping?.actions[0]?.source).toEqual(notify);
    expect(shipping?.actions[1]?.name).toBe('notify_twice');
    // Config overrides are merged setting by setting.
    expect(billing?.actions[1]?.source.config).toEqual({ ...book.config, time_zone: 'Europe/Berlin' });
    // The copies are independent documents: changing one changes neither the other nor the library.
    const shippingCopy = shipping?.actions[0]?.source as { actions: { payload: JsonObject }[] };
    (shippingCopy.actions[0] as { payload: JsonObject }).payload.number = "'changed'";
    expect(shipping?.actions[1]?.source.actions).toEqual(notify.actions);
    expect(library[0]).toEqual(notify);
    // The topic's instructions are linted against its actions and the top-level ones.
    expect(shipping?.lint.filter((l) => l.severity === 'error')).toEqual([]);
    expect(shipping?.lint.map((l) => l.name)).toEqual(['notify_twice']);
    expect(shipping?.declaration).toMatchObject({
      name: 'shipping',
      actions: [{ import: 'notify' }, { import: 'notify' }],
    });
  });

  it('reports an unknown import at its pointer, with the near miss', () => {
    const compiled = compileAgentDefinition({
      instructions: '',
      actions: [],
      library: [notify],
      topics: [
        { name: 'a', description: 'A', actions: [{ import: 'notify' }] },
        { name: 'b', description: 'B', actions: [{ import: 'notfy' }, { import: 'nothing_like_it' }] },
      ],
    });
    expect(pointers(compiled.issues)).toEqual(['/topics/1/actions/0/import', '/topics/1/actions/1/import']);
    expect(compiled.issues[0]?.suggestion).toBe("did you mean 'notify'?");
    expect(compiled.issues[1]?.suggestion).toBeUndefined();
    expect(compiled.issues[1]?.message).toContain("no action named 'nothing_like_it'");
  });

  it('reports duplicate action names within a topic, and duplicate or invalid topic names', () => {
    const compiled = compileAgentDefinition({
      instructions: '',
      actions: [lookup],
      library: [notify],
      topics: [
        { name: 'orders', description: 'Orders', actions: [lookup, { import: 'notify', name: 'lookup_order' }] },
        { name: 'Orders', description: 'Again', actions: [{ import: 'notify' }, { import: 'notify' }] },
        { name: '1st_topic', description: 'Bad name', actions: [] },
        { name: 'x'.repeat(81), description: 'Too long', actions: [] },
      ],
    });
    expect(pointers(compiled.issues)).toEqual([
      '/topics/0/actions/1/name',
      '/topics/1/name',
      '/topics/1/actions/1/import',
      '/topics/2/name',
      '/topics/3/name',
    ]);
    // The same name at top level and in a topic is allowed: the topic owns its copy.
    expect(compiled.issues.some((i) => i.pointer.startsWith('/actions'))).toBe(false);
  });

  it('locates problems of an import: a bad override at the override, the rest at the import', () => {
    const compiled = compileAgentDefinition({
      instructions: '',
      actions: [],
      library: [notify, book, callApi],
      topics: [
        {
          name: 't',
          description: 'T',
          actions: [
            { import: 'notify', actions: [{ type: 'webhok', endpoint: 'office' }] },
            { import: 'notify', name: 'n2', config: { x: 1 } },
            { import: 'Book Consultation', name: 'b2', config: { time_zone: 'EST' }, $schema: 'x' },
            { import: 'Book Consultation', name: 'b3', config: { time_zone: 'EST' } },
            { import: 'call_api', config: { method: 'GET' } },
          ],
        },
      ],
    });
    const found = pointers(compiled.issues);
    expect(found).toContain('/topics/0/actions/0/actions/0/type');
    expect(found).toContain('/topics/0/actions/1/config');
    expect(found).toContain('/topics/0/actions/2/$schema');
    expect(found.some((p) => p.startsWith('/topics/0/actions/3/config/time_zone'))).toBe(true);
    // A GET has no body, but the body is the library's: reported at the import, naming the
    // place in the library action.
    const api = compiled.issues.filter((i) => i.pointer.startsWith('/topics/0/actions/4'));
    expect(api).toHaveLength(1);
    expect(api[0]?.pointer).toBe('/topics/0/actions/4/import');
    expect(api[0]?.message).toContain('(at /library/2/config/body)');
  });

  it('validates the library itself and the shape of topics, with pointers', () => {
    const compiled = compileAgentDefinition({
      instructions: '',
      actions: [],
      library: [{ ...notify, actions: [{ type: 'webhook' }] }, notify, { ...notify }, { import: 'notify' }],
      topics: [
        { name: 'ok', description: '', actions: [{ import: 'notify' }], instrutions: 'x' },
        'not a topic',
        { name: 'liquid', description: 'L', instructions: '{% if contact.vip %}', actions: 'none' },
      ],
    });
    const found = pointers(compiled.issues);
    expect(found.some((p) => p.startsWith('/library/0/actions/0'))).toBe(true);
    expect(found).toContain('/library/2/name');
    expect(found).toContain('/library/3/import');
    expect(found).toContain('/topics/0/description');
    expect(found).toContain('/topics/0/instrutions');
    expect(compiled.issues.find((i) => i.pointer === '/topics/0/instrutions')?.suggestion).toBe(
      "did you mean 'instructions'?",
    );
    expect(found).toContain('/topics/1');
    expect(found).toContain('/topics/2/instructions');
    expect(found).toContain('/topics/2/actions');
  });

  it("does not call a reference to a topic's action from the agent's instructions unknown", () => {
    const compiled = compileAgentDefinition({
      instructions: "For refunds use the 'refund_order' action; never use the 'refnud_ordr' action.",
      actions: [],
      library: [],
      topics: [{ name: 'billing', description: 'B', actions: [{ ...notify, name: 'refund_order' }] }],
    });
    expect(compiled.issues).toEqual([]);
    expect(compiled.lint.map((l) => [l.code, l.name])).toEqual([['unknown_action', 'refnud_ordr']]);
  });
});

describe('materializeImport', () => {
  it('merges config setting by setting and replaces other properties, keeping __proto__ as data', () => {
    const entry = JSON.parse('{"import":"b","config":{"time_zone":"UTC"},"description":"d2","__proto__":{"x":1}}');
    const copy = materializeImport(book as unknown as JsonObject, entry);
    expect(copy.config).toEqual({ ...book.config, time_zone: 'UTC' });
    expect(copy.description).toBe('d2');
    expect(Object.hasOwn(copy, 'import')).toBe(false);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as Record<string, unknown>).x).toBeUndefined();
  });
});
