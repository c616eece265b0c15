import { readFileSync } from 'node:fs';
import { type CanonicalAction, parseDeclarativeTool, parseTypedAction } from '@switchboard/actions';
import { describe, expect, it } from 'vitest';
import {
  exportTools,
  type JsonSchema,
  parametersSchema,
  toAnthropicTool,
  toMcpTool,
  toOpenAITool,
  toolDescription,
} from './export.js';
import { TOOL_NAME_PATTERN } from './tool-names.js';

const saveMeal = parseDeclarativeTool(
  JSON.parse(readFileSync(new URL('../../devstack/demo/save_meal.tool.json', import.meta.url), 'utf8')),
);

/** A typed action using every value type, a hidden output and confirmation. */
const updateCustomer = parseTypedAction({
  name: 'update_customer_record',
  description: 'Update the customer record in the CRM',
  target: 'webhook://crm_update',
  require_user_confirmation: true,
  include_in_progress_indicator: true,
  inputs: {
    note: { type: 'string', description: 'Free-text note', is_required: true },
    score: { type: 'number' },
    visits: { type: 'integer' },
    lifetime_value: { type: 'long' },
    vip: { type: 'boolean', description: 'Whether the customer is a VIP' },
    address: { type: 'object', complex_data_type_name: 'lightning__addressType' },
    settings: { type: 'object' },
    birthday: { type: 'date' },
    callback_at: { type: 'datetime', description: 'When to call back', is_required: true },
    quiet_from: { type: 'time' },
    balance: { type: 'currency', description: 'Outstanding balance' },
    account_id: { type: 'id', is_required: true },
    tags: { type: 'list[string]' },
    payments: { type: 'list[currency]' },
    contacts: { type: 'list[object]', complex_data_type_name: 'lightning__recordInfoType' },
    visit_days: { type: 'list[date]' },
  },
  outputs: {
    record_id: { type: 'id', description: 'Updated record' },
    raw_response: { type: 'object', complex_data_type_name: 'crm__response', filter_from_agent: true },
    audit_token: { type: 'string', filter_from_agent: true },
  },
});

const SAVE_MEAL_PARAMETERS = {
  type: 'object',
  properties: {
    meal_type: { type: 'string', enum: ['breakfast', 'lunch', 'dinner'] },
    dishes: { type: 'array', items: { type: ['string', 'number', 'boolean', 'object'] } },
  },
  required: ['dishes'],
  additionalProperties: false,
};

const SAVE_MEAL_METADATA = {
  'x-switchboard': {
    actionName: 'save_meal',
    toolName: 'save_meal',
    label: 'Save Meal',
    source: 'tool',
    requireUserConfirmation: false,
    includeInProgressIndicator: false,
    hiddenOutputs: [],
  },
};

const UPDATE_CUSTOMER_PARAMETERS = {
  type: 'object',
  properties: {
    note: { type: 'string', description: 'Free-text note' },
    score: { type: 'number' },
    visits: { type: 'integer' },
    lifetime_value: { type: 'integer' },
    vip: { type: 'boolean', description: 'Whether the customer is a VIP' },
    address: { type: 'object', description: 'An object of type lightning__addressType.' },
    settings: { type: 'object' },
    birthday: { type: 'string', format: 'date' },
    callback_at: { type: 'string', description: 'When to call back', format: 'date-time' },
    quiet_from: { type: 'string', format: 'time' },
    balance: { type: 'number', description: 'Outstanding balance. A currency amount, as a number (e.g. 19.99).' },
    account_id: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    payments: { type: 'array', items: { type: 'number', description: 'A currency amount, as a number (e.g. 19.99).' } },
    contacts: { type: 'array', items: { type: 'object', description: 'An object of type lightning__recordInfoType.' } },
    visit_days: { type: 'array', items: { type: 'string', format: 'date' } },
  },
  required: ['note', 'callback_at', 'account_id'],
  additionalProperties: false,
};

const UPDATE_CUSTOMER_DESCRIPTION =
  "Update the customer record in the CRM. Requires the user's explicit confirmation before running.";

const UPDATE_CUSTOMER_METADATA = {
  'x-switchboard': {
    actionName: 'update_customer_record',
    toolName: 'update_customer_record',
    label: 'Update Customer Record',
    source: 'typed',
    requireUserConfirmation: true,
    includeInProgressIndicator: true,
    hiddenOutputs: ['raw_response', 'audit_token'],
  },
};

/** Round trip through JSON: exactly what an HTTP client would send. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('golden: declarative tool save_meal', () => {
  it('exports to OpenAI', () => {
    const tool = toOpenAITool(saveMeal);
    expect(wire(tool)).toEqual({
      type: 'function',
      function: {
        name: 'save_meal',
        description: 'Log a meal the user consumed',
        parameters: SAVE_MEAL_PARAMETERS,
        strict: false,
      },
    });
    expect(tool.metadata).toEqual(SAVE_MEAL_METADATA);
  });

  it('exports to Anthropic', () => {
    const tool = toAnthropicTool(saveMeal);
    expect(wire(tool)).toEqual({
      name: 'save_meal',
      description: 'Log a meal the user consumed',
      input_schema: SAVE_MEAL_PARAMETERS,
    });
    expect(tool.metadata).toEqual(SAVE_MEAL_METADATA);
  });

  it('exports to MCP, metadata in _meta', () => {
    expect(wire(toMcpTool(saveMeal))).toEqual({
      name: 'save_meal',
      title: 'Save Meal',
      description: 'Log a meal the user consumed',
      inputSchema: SAVE_MEAL_PARAMETERS,
      // context.set + webhook: writes, and reaches outside through the webhook.
      annotations: {
        title: 'Save Meal',
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
      _meta: SAVE_MEAL_METADATA,
    });
  });
});

describe('golden: typed action with every type', () => {
  it('exports to OpenAI', () => {
    const tool = toOpenAITool(updateCustomer);
    expect(wire(tool)).toEqual({
      type: 'function',
      function: {
        name: 'update_customer_record',
        description: UPDATE_CUSTOMER_DESCRIPTION,
        parameters: UPDATE_CUSTOMER_PARAMETERS,
        strict: false,
      },
    });
    expect(tool.metadata).toEqual(UPDATE_CUSTOMER_METADATA);
  });

  it('exports to Anthropic', () => {
    const tool = toAnthropicTool(updateCustomer);
    expect(wire(tool)).toEqual({
      name: 'update_customer_record',
      description: UPDATE_CUSTOMER_DESCRIPTION,
      input_schema: UPDATE_CUSTOMER_PARAMETERS,
    });
    expect(tool.metadata).toEqual(UPDATE_CUSTOMER_METADATA);
  });

  it('exports to MCP', () => {
    expect(wire(toMcpTool(updateCustomer))).toEqual({
      name: 'update_customer_record',
      title: 'Update Customer Record',
      description: UPDATE_CUSTOMER_DESCRIPTION,
      inputSchema: UPDATE_CUSTOMER_PARAMETERS,
      annotations: {
        title: 'Update Customer Record',
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: true,
      },
      _meta: UPDATE_CUSTOMER_METADATA,
    });
  });

  it('keeps the key order stable (type, description, format, enum, items)', () => {
    expect(JSON.stringify(parametersSchema(updateCustomer).properties.callback_at)).toBe(
      '{"type":"string","description":"When to call back","format":"date-time"}',
    );
  });
});

describe('metadata stays out of the API payload', () => {
  it('is non-enumerable on OpenAI and Anthropic tools', () => {
    for (const tool of [toOpenAITool(updateCustomer), toAnthropicTool(updateCustomer)]) {
      expect(Object.keys(tool)).not.toContain('metadata');
      expect(JSON.stringify(tool)).not.toContain('x-switchboard');
      expect({ ...tool }).not.toHaveProperty('metadata');
      expect(tool.metadata['x-switchboard'].requireUserConfirmation).toBe(true);
    }
  });
});

/** A declarative-style action built directly in the canonical model. */
function action(name: string, overrides: Partial<CanonicalAction> = {}): CanonicalAction {
  return {
    name,
    label: name,
    description: `Does ${name}`,
    source: 'builtin',
    parameters: [],
    outputs: [],
    steps: [],
    onSuccess: [],
    onFailure: [],
    requireUserConfirmation: false,
    includeInProgressIndicator: false,
    ...overrides,
  };
}

describe('parametersSchema', () => {
  it('leaves parameters with a default out of required, and copies defaults and enums', () => {
    const schema = parametersSchema(
      action('x', {
        parameters: [
          { name: 'size', type: 'string', required: true, default: 'small', enum: ['small', 'large'] },
          { name: 'count', type: 'integer', required: true, label: 'How many' },
          { name: 'kinds', type: 'list', items: 'string', required: false, enum: ['a', 'b'] },
          { name: 'legacy', type: 'array', required: false, enum: [1, 2] },
        ],
      }),
    );
    expect(schema).toEqual({
      type: 'object',
      properties: {
        size: { type: 'string', enum: ['small', 'large'], default: 'small' },
        count: { type: 'integer', description: 'How many' },
        kinds: { type: 'array', items: { type: 'string', enum: ['a', 'b'] } },
        legacy: { type: 'array', items: { enum: [1, 2] } },
      },
      required: ['count'],
      additionalProperties: false,
    });
  });

  it('is an empty closed object for actions without parameters', () => {
    expect(parametersSchema(action('End Call Politely'))).toEqual({
      type: 'object',
      properties: {},
      required: [],
      additionalProperties: false,
    });
  });

  it('uses only the JSON Schema keywords the LLM APIs accept', () => {
    const allowed = new Set([
      'type',
      'description',
      'enum',
      'default',
      'format',
      'items',
      'properties',
      'required',
      'additionalProperties',
    ]);
    const check = (schema: JsonSchema): void => {
      for (const key of Object.keys(schema)) expect(allowed).toContain(key);
      if (schema.items) check(schema.items);
      for (const property of Object.values(schema.properties ?? {})) check(property);
      // OpenAI rejects arrays without items ("array schema missing items").
      if (schema.type === 'array') expect(schema.items).toBeDefined();
    };
    check(parametersSchema(updateCustomer));
    check(parametersSchema(saveMeal));
  });
});

describe('toolDescription', () => {
  it('falls back to the label and appends the confirmation note after a full stop', () => {
    expect(toolDescription(action('Transfer to Support', { description: '' }))).toBe('Transfer to Support');
    expect(toolDescription(action('t', { description: 'Transfers the call.', requireUserConfirmation: true }))).toBe(
      "Transfers the call. Requires the user's explicit confirmation before running.",
    );
  });
});

describe('MCP annotations', () => {
  it('marks chains that only read and respond as read-only and closed-world', () => {
    const readOnly = action('Greeting', {
      steps: [{ type: 'context.get', key: 'user.name' }],
      onSuccess: [{ type: 'respond', message: 'Hello {{context.user.name}}' }],
    });
    expect(toMcpTool(readOnly).annotations).toEqual({ title: 'Greeting', readOnlyHint: true, openWorldHint: false });
  });

  it('finds effects nested in conditionals and unresolved targets', () => {
    const nested = action('Maybe Transfer', {
      steps: [
        {
          type: 'conditional',
          condition: 'params.x',
          // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the seed format
          then: [],
          else: [{ type: 'handoff', target: 'billing' }],
        },
      ],
    });
    expect(toMcpTool(nested).annotations?.openWorldHint).toBe(true);
    const workflow = action('Run Workflow', { target: 'workflow://onboarding' });
    expect(toMcpTool(workflow).annotations?.openWorldHint).toBe(true);
  });
});

describe('exportTools', () => {
  const actions = [
    action('Transfer to Support', { requireUserConfirmation: true }),
    action('transfer_to_support'),
    action('Book 30-Minute Consultation'),
    saveMeal,
    action('check_business_hours', { run: 'every_turn' }),
  ];

  it('derives collision-free tool names and maps them back to exact action names', () => {
    for (const format of ['openai', 'anthropic', 'mcp'] as const) {
      const { nameMap, omitted } = exportTools(actions, format);
      expect(nameMap).toEqual({
        transfer_to_support_2: 'Transfer to Support',
        transfer_to_support: 'transfer_to_support',
        book_30_minute_consultation: 'Book 30-Minute Consultation',
        save_meal: 'save_meal',
      });
      expect(omitted).toEqual(['check_business_hours']);
      for (const toolName of Object.keys(nameMap)) expect(toolName).toMatch(TOOL_NAME_PATTERN);
    }
  });

  it('returns each format with its tool names and metadata', () => {
    const openai = exportTools(actions, 'openai');
    expect(openai.tools.map((tool) => tool.function.name)).toEqual([
      'transfer_to_support_2',
      'transfer_to_support',
      'book_30_minute_consultation',
      'save_meal',
    ]);
    expect(openai.tools[0]?.function.description).toBe(
      "Does Transfer to Support. Requires the user's explicit confirmation before running.",
    );
    expect(openai.tools[0]?.metadata['x-switchboard']).toMatchObject({
      actionName: 'Transfer to Support',
      toolName: 'transfer_to_support_2',
    });
    const anthropic = exportTools(actions, 'anthropic');
    expect(anthropic.tools.map((tool) => tool.name)).toEqual(Object.keys(openai.nameMap));
    const mcp = exportTools(actions, 'mcp');
    expect(mcp.tools[0]?._meta?.['x-switchboard'].actionName).toBe('Transfer to Support');
    expect(mcp.tools[0]?.title).toBe('Transfer to Support');
  });

  it('includes deterministic actions on request', () => {
    const { tools, omitted } = exportTools(actions, 'mcp', { includeDeterministic: true });
    expect(omitted).toEqual([]);
    expect(tools.at(-1)?._meta?.['x-switchboard']).toMatchObject({
      actionName: 'check_business_hours',
      run: 'every_turn',
    });
  });

  it('maps a tool named __proto__ as data', () => {
    const { nameMap } = exportTools([action('__proto__')], 'openai');
    expect(Object.keys(nameMap)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(nameMap)).toBe(Object.prototype);
  });

  it('refuses an unknown format', () => {
    expect(() => exportTools(actions, 'gemini' as never)).toThrow(/unknown tool format 'gemini'/);
    expect(() => exportTools([], 'gemini' as never)).toThrow(/unknown tool format 'gemini'/);
  });
});
