// Forms generated from the parameter schemas of the actions.

import { guarded, h, state } from './shared.js';
import { runAction } from './tool-calls.js';

export const typeOf = (schema) => {
  const t = Array.isArray(schema?.type) ? schema.type.find((x) => x !== 'null') : schema?.type;
  return t ?? 'string';
};

/** One input for one parameter; `data-kind` tells {@link readArguments} how to read it. */
export function field(name, schema, required) {
  const id = `f-${Math.random().toString(36).slice(2)}`;
  const type = typeOf(schema);
  const common = { id, name, required, title: schema.description ?? '' };
  let input;
  if (Array.isArray(schema.enum)) {
    input = h(
      'select',
      { ...common, dataset: { kind: type === 'string' ? 'enum' : 'json' } },
      required ? '' : h('option', { value: '' }, '(not set)'),
      schema.enum.map((v) => h('option', { value: type === 'string' ? v : JSON.stringify(v) }, String(v))),
    );
  } else if (type === 'boolean') {
    input = required
      ? h('input', { ...common, type: 'checkbox', required: false, dataset: { kind: 'checkbox' } })
      : h(
          'select',
          { ...common, dataset: { kind: 'json' } },
          h('option', { value: '' }, '(not set)'),
          h('option', { value: 'true' }, 'true'),
          h('option', { value: 'false' }, 'false'),
        );
  } else if (type === 'number' || type === 'integer') {
    input = h('input', {
      ...common,
      type: 'number',
      step: type === 'integer' ? '1' : 'any',
      dataset: { kind: 'number' },
    });
  } else if (type === 'array' || type === 'object') {
    input = h('textarea', {
      ...common,
      rows: 2,
      spellcheck: false,
      placeholder: type === 'array' ? '["…"]' : '{"…": …}',
      dataset: { kind: 'json' },
    });
  } else {
    const html = { date: 'date', time: 'time' }[schema.format] ?? 'text';
    input = h('input', {
      ...common,
      type: html,
      placeholder: schema.format === 'date-time' ? '2025-03-14T15:00:00' : '',
      dataset: { kind: 'string' },
    });
  }
  if (schema.default !== undefined) {
    if (input.dataset.kind === 'checkbox') input.checked = schema.default === true;
    else input.value = typeof schema.default === 'string' ? schema.default : JSON.stringify(schema.default);
  }
  return h(
    'div',
    { className: 'field' },
    h('label', { htmlFor: id }, name, required ? h('span', { className: 'req' }, ' *') : '', ` (${type})`),
    input,
    schema.description ? h('small', {}, schema.description) : '',
  );
}

export function actionForm(name, schema) {
  const props = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  const fields = schema
    ? Object.entries(props).map(([p, s]) => field(p, s, required.has(p)))
    : [field('__raw', { type: 'object', description: 'Arguments as a JSON object' }, false)];
  const form = h(
    'form',
    { className: 'action', dataset: { action: name }, noValidate: false },
    h('h3', {}, name),
    fields.length ? fields : h('p', { className: 'hint' }, 'No parameters.'),
    h('button', { type: 'submit', className: 'run', disabled: state.conversationId === null }, `Run ${name}`),
  );
  form.addEventListener(
    'submit',
    guarded(async (e) => {
      e.preventDefault();
      await runAction(name, readArguments(form));
    }),
  );
  return h('details', { className: 'action-details', open: true }, h('summary', {}, name), form);
}

/** The form's values as tool-call arguments; empty optional fields are left out. */
export function readArguments(form) {
  const args = {};
  for (const el of form.querySelectorAll('[data-kind]')) {
    const { kind } = el.dataset;
    const raw = kind === 'checkbox' ? el.checked : el.value.trim();
    if (raw === '') continue;
    let value = raw;
    if (kind === 'number') value = Number(raw);
    if (kind === 'json') {
      try {
        value = JSON.parse(raw);
      } catch {
        throw new Error(`'${el.name}' is not valid JSON`);
      }
    }
    if (el.name === '__raw') Object.assign(args, value);
    else args[el.name] = value;
  }
  return args;
}
