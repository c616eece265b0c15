import { readdirSync, readFileSync } from 'node:fs';
import { ValidationError } from '@switchboard/common';
import { describe, expect, it } from 'vitest';
import { parseTarget, parseTypedAction, validateTypedAction } from './typed.js';

const examplesDir = new URL('../schemas/examples/', import.meta.url);
const typedExamples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.action.json'))
  .map((f) => [f, JSON.parse(readFileSync(new URL(f, examplesDir), 'utf8')) as unknown] as const);

const base = { name: 'log_meal', description: 'Log a meal', target: 'webhook://meal_log' };

describe('typed action examples', () => {
  it.each(typedExamples)('%s is valid', (_file, doc) => {
    expect(validateTypedAction(doc)).toEqual([]);
    expect(() => parseTypedAction(doc)).not.toThrow();
  });

  it('compiles a webhook target into one webhook step, with typed parameters and output defaults', () => {
    const doc = typedExamples.find(([f]) => f === 'log_meal.action.json')?.[1];
    const action = parseTypedAction(doc);
    expect(action).toEqual({
      name: 'log_meal',
      label: 'Log Meal',
      description: 'Log a meal the user consumed and return its id',
      source: 'typed',
      parameters: [
        { name: 'meal_type', type: 'string', required: true, description: 'breakfast, lunch or dinner' },
        { name: 'dishes', type: 'list', items: 'string', required: true, description: 'What the user ate' },
        { name: 'calories', type: 'list', items: 'number', required: false, description: 'Calories per dish' },
      ],
      outputs: [
        {
          name: 'meal_id',
          developerName: 'id',
          type: 'id',
          label: 'Meal Id',
          description: 'Identifier of the stored meal',
          filterFromAgent: false,
        },
        {
          name: 'total_calories',
          developerName: 'total_calories',
          type: 'number',
          label: 'Total Calories',
          description: 'Total Calories',
          filterFromAgent: false,
        },
        {
          name: 'audit_token',
          developerName: 'audit_token',
          type: 'string',
          label: 'Audit Token',
          description: 'Audit Token',
          filterFromAgent: true,
        },
      ],
      steps: [{ type: 'webhook', endpoint: 'meal_log', payload: 'params' }],
      onSuccess: [],
      onFailure: [],
      requireUserConfirmation: false,
      includeInProgressIndicator: true,
      progressMessage: 'Saving your {{params.meal_type}}...',
      target: 'webhook://meal_log',
      run: 'tool',
    });
  });

  it('compiles a provider target into one provider step mapping every input', () => {
    const doc = typedExamples.find(([f]) => f === 'book_consultation.action.json')?.[1];
    const action = parseTypedAction(doc);
    expect(action.steps).toEqual([
      {
        type: 'provider',
        operation: 'calcom.book',
        input: { email: 'params.email', start: 'params.start', attendee: 'params.attendee' },
      },
    ]);
    expect(action.label).toBe('Book 30-Minute Consultation');
    expect(action.requireUserConfirmation).toBe(true);
    expect(action.outputs[0]).toMatchObject({
      name: 'booking',
      type: 'object',
      complexDataTypeName: 'calcom__booking',
    });
    expect(action.parameters[2]).toMatchObject({
      name: 'attendee',
      type: 'object',
      complexDataTypeName: 'calcom__attendee',
    });
  });

  it('keeps tool:// and workflow:// targets for a later resolver', () => {
    const workflow = parseTypedAction(typedExamples.find(([f]) => f === 'check_business_hours.action.json')?.[1]);
    expect(workflow).toMatchObject({
      steps: [],
      target: 'workflow://business_hours',
      run: 'every_turn',
      parameters: [],
    });
    expect(workflow.outputs.map((o) => o.label)).toEqual(['Is Business Hours', 'Next Open Time', 'Error Code']);
    expect(workflow.outputs[2]).toMatchObject({ description: 'Error Code', filterFromAgent: true });
    const tool = parseTypedAction(typedExamples.find(([f]) => f === 'get_customer_info.action.json')?.[1]);
    expect(tool).toMatchObject({ steps: [], target: 'tool://lookup_customer', run: 'after_turn' });
  });
});

describe('types', () => {
  const withInput = (type: unknown) => validateTypedAction({ ...base, inputs: { value: { type } } });
  it.each([
    'string',
    'number',
    'integer',
    'long',
    'boolean',
    'object',
    'date',
    'datetime',
    'time',
    'currency',
    'id',
    'list[string]',
    'list[number]',
    'list[integer]',
    'list[boolean]',
    'list[object]',
    'list[date]',
    'list[id]',
  ])('accepts %s', (type) => {
    expect(withInput(type)).toEqual([]);
  });

  it.each([
    ['strin', 'string'],
    ['list[strng]', 'list[string]'],
    ['array', 'list[string]'],
    ['list', 'list[string]'],
    ['datetme', 'datetime'],
    ['list [number]', 'list[number]'],
  ])('rejects %s and suggests %s', (type, suggestion) => {
    const [issue] = withInput(type);
    expect(issue).toMatchObject({ pointer: '/inputs/value/type', suggestion });
  });

  it('rejects nested lists and non-strings', () => {
    expect(withInput('list[list[string]]')[0]?.pointer).toBe('/inputs/value/type');
    expect(withInput(3)[0]?.found).toBe('number 3');
    expect(validateTypedAction({ ...base, inputs: { value: {} } })[0]?.message).toContain("'type' is required");
  });
});

describe('naming rules (Agentforce)', () => {
  it.each(['log_meal', 'a', 'Check2', 'x'.repeat(80)])('accepts action name %s', (name) => {
    expect(validateTypedAction({ ...base, name })).toEqual([]);
  });

  it.each([
    ['_log_meal', 'must begin with a letter', 'log_meal'],
    ['1meal', 'must begin with a letter', 'meal'],
    ['log-meal', 'only letters, digits and underscores', 'log_meal'],
    ['Log Meal', 'only letters, digits and underscores', 'Log_Meal'],
    ['log_meal_', 'must not end with an underscore', 'log_meal'],
    ['log__meal', 'must not contain consecutive underscores', 'log_meal'],
    ['x'.repeat(81), 'at most 80 characters', 'x'.repeat(80)],
  ])('rejects %j: %s', (name, problem, suggestion) => {
    const [issue] = validateTypedAction({ ...base, name });
    expect(issue?.pointer).toBe('/name');
    expect(issue?.message).toContain(problem);
    expect(issue?.suggestion).toBe(suggestion);
  });

  it('applies the rule to input and output names too', () => {
    const issues = validateTypedAction({
      ...base,
      inputs: { 'meal-type': { type: 'string' } },
      outputs: { meal__id: { type: 'id' }, constructor: { type: 'id' } },
    });
    expect(issues.map((i) => i.pointer)).toEqual(['/inputs/meal-type', '/outputs/meal__id', '/outputs/constructor']);
  });
});

describe('targets and outputs', () => {
  it('parses targets', () => {
    expect(parseTarget('webhook://meal_log')).toEqual({ scheme: 'webhook', name: 'meal_log' });
    expect(parseTarget('provider://calcom.book')).toEqual({ scheme: 'provider', name: 'calcom.book' });
    expect(parseTarget('tool://Transfer to Support')).toEqual({ scheme: 'tool', name: 'Transfer to Support' });
    expect(parseTarget('flow://x')).toBeUndefined();
    expect(parseTarget('provider://Calcom')).toBeUndefined();
  });
  it('reports bad targets with suggestions', () => {
    const target = (value: unknown) => validateTypedAction({ ...base, target: value });
    expect(target('webhok://meal_log')[0]).toMatchObject({ pointer: '/target', suggestion: 'webhook://meal_log' });
    expect(target('flow://Route_Call')[0]?.message).toContain('Agentforce');
    expect(target('meal_log')[0]?.message).toContain('scheme://NAME');
    expect(target('provider://book')[0]?.message).toContain("not valid for 'provider://'");
    expect(validateTypedAction({ name: 'x' }).map((i) => i.pointer)).toEqual(['/target']);
  });
  it('requires complex_data_type_name on object outputs only', () => {
    const issues = validateTypedAction({
      ...base,
      inputs: { customer: { type: 'object' }, tags: { type: 'list[string]', complex_data_type_name: 'x' } },
      outputs: { customer_info: { type: 'object' }, records: { type: 'list[object]' } },
    });
    expect(issues.map((i) => i.pointer)).toEqual([
      '/inputs/tags/complex_data_type_name',
      '/outputs/customer_info/complex_data_type_name',
    ]);
  });
  it('reports several mistakes at once with suggestions', () => {
    const doc = {
      name: 'book__meeting',
      target: 'webhook://meal_log',
      descripion: 'x',
      inputs: { email: { type: 'strng', is_requird: true } },
      outputs: { id: { type: 'id', filter_from_agnet: true, developer_name: '' } },
      run: 'every-turn',
      require_user_confirmation: 'yes',
      progress_indicator_message: 'Booking {{params.email',
    };
    const issues = validateTypedAction(doc);
    const byPointer = Object.fromEntries(issues.map((i) => [i.pointer, i]));
    expect(byPointer['/descripion']?.suggestion).toBe('description');
    expect(byPointer['/name']?.suggestion).toBe('book_meeting');
    expect(byPointer['/inputs/email/type']?.suggestion).toBe('string');
    expect(byPointer['/inputs/email/is_requird']?.suggestion).toBe('is_required');
    expect(byPointer['/outputs/id/filter_from_agnet']?.suggestion).toBe('filter_from_agent');
    expect(byPointer['/outputs/id/developer_name']?.message).toContain('non-empty');
    expect(byPointer['/run']?.suggestion).toBe('every_turn');
    expect(byPointer['/require_user_confirmation']?.expected).toBe('a boolean');
    expect(byPointer['/progress_indicator_message']?.message).toContain("unclosed '{{'");
    expect(() => parseTypedAction(doc)).toThrow(ValidationError);
  });
});
