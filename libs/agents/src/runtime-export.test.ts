import type { CanonicalAction } from '@switchboard/actions';
import { describe, expect, it } from 'vitest';
import { exportTools } from './export.js';
import {
  dropinUrl,
  spokenFailureMessage,
  spokenProgressMessage,
  toElevenLabsTool,
  toRetellTool,
  toVapiTool,
} from './runtime-export.js';

/** An action built directly in the canonical model. */
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

const URL_VAPI = 'https://sb.example.com/v1/dropin/vapi/booking';
const URL_RETELL = 'https://sb.example.com/v1/dropin/retell/booking';

/** Shaped like the booking agent's Book Consultation: a progress message, a failure message, typed parameters. */
const book = action('Book Consultation', {
  includeInProgressIndicator: true,
  progressMessage: 'One moment while I book that.',
  parameters: [
    { name: 'start', type: 'datetime', required: true, description: 'Start of the slot' },
    { name: 'name', type: 'string', required: true },
    { name: 'seats', type: 'integer', required: false, default: 1, enum: [1, 2] },
    { name: 'mode', type: 'string', required: false, enum: ['phone', 'video'] },
    { name: 'notes', type: 'array', required: false },
  ],
  onFailure: [{ type: 'respond', message: "I'm sorry, I couldn't book that time." }],
});

describe('Vapi function tools', () => {
  it('post to the drop-in endpoint and say the progress and failure messages', () => {
    expect(toVapiTool(book, 'book_consultation', URL_VAPI)).toEqual({
      type: 'function',
      function: {
        name: 'book_consultation',
        description: 'Does Book Consultation',
        parameters: {
          type: 'object',
          properties: {
            start: { type: 'string', description: 'Start of the slot.', format: 'date-time' },
            name: { type: 'string' },
            // Vapi's enums are strings and it has no `default`: both are said in the description.
            seats: { type: 'integer', description: 'One of: 1, 2. Defaults to 1.' },
            mode: { type: 'string', enum: ['phone', 'video'] },
            // One type per schema: the untyped array's items are taken as strings.
            notes: { type: 'array', items: { type: 'string' } },
          },
          required: ['start', 'name'],
        },
      },
      server: { url: URL_VAPI },
      messages: [
        { type: 'request-start', content: 'One moment while I book that.' },
        // The action says nothing of its own when slow: the default of the (English) locale.
        { type: 'request-response-delayed', content: 'One moment, still working on that.' },
        { type: 'request-failed', content: "I'm sorry, I couldn't book that time." },
      ],
    });
  });

  it('leaves out messages with placeholders the runtime cannot render', () => {
    const templated = action('Greet', {
      includeInProgressIndicator: true,
      progressMessage: 'Looking up {{params.name}}',
      onFailure: [{ type: 'respond', message: 'Could not find {{params.name}}' }],
    });
    expect(toVapiTool(templated, 'greet', URL_VAPI).messages).toEqual([
      { type: 'request-response-delayed', content: 'One moment, still working on that.' },
    ]);
    expect(spokenProgressMessage(templated)).toBeUndefined();
    expect(spokenFailureMessage(templated)).toBeUndefined();
  });

  it('says the label when the action shows progress without a message, nothing when it does not', () => {
    expect(spokenProgressMessage(action('Check Availability', { includeInProgressIndicator: true }))).toBe(
      'Check Availability',
    );
    expect(spokenProgressMessage(action('Check Availability'))).toBeUndefined();
  });

  it('takes only an unconditional respond of on_failure as the failure message', () => {
    const conditional = action('x', {
      onFailure: [
        // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property
        { type: 'conditional', condition: 'true', then: [{ type: 'respond', message: 'a' }], else: [] },
        { type: 'respond', message: 'b' },
      ],
    });
    expect(spokenFailureMessage(conditional)).toBe('b');
  });
});

describe('per-action messages in the runtime exports', () => {
  const own = action('Cancel Order', {
    onFailure: [{ type: 'respond', message: 'on_failure says this' }],
    messages: {
      delayed: { en: 'Still on it.', fr: 'Toujours en cours.' },
      failed: { en: 'Sorry, that did not work.', fr: 'Désolé, cela n’a pas marché.', de: 'Fehler: {{error.code}}' },
    },
  });

  it("fill Vapi's delayed and failed messages from the action, in the agent's locale", () => {
    expect(toVapiTool(own, 'cancel_order', URL_VAPI, { locale: 'fr-FR' }).messages).toEqual([
      { type: 'request-response-delayed', content: 'Toujours en cours.' },
      { type: 'request-failed', content: 'Désolé, cela n’a pas marché.' },
    ]);
    expect(toVapiTool(own, 'cancel_order', URL_VAPI).messages).toEqual([
      { type: 'request-response-delayed', content: 'Still on it.' },
      { type: 'request-failed', content: 'Sorry, that did not work.' },
    ]);
    // A failure message with a placeholder cannot be said by the runtime: on_failure's is.
    expect(spokenFailureMessage(own, { locale: 'de' })).toBe('on_failure says this');
    // Without messages of its own: the default still-working text of the locale.
    expect(toVapiTool(action('Quiet'), 'quiet', URL_VAPI, { locale: 'de-DE' }).messages).toEqual([
      { type: 'request-response-delayed', content: 'Einen Moment, ich bin noch dabei.' },
    ]);
  });

  it("give Retell's execution message the action's delayed message when it has no progress message", () => {
    expect(toRetellTool(own, 'cancel_order', URL_RETELL, { locale: 'fr' })).toMatchObject({
      speak_during_execution: true,
      execution_message_description: 'Toujours en cours.',
      execution_message_type: 'static_text',
    });
    expect(toRetellTool(book, 'book_consultation', URL_RETELL, { locale: 'fr' }).execution_message_description).toBe(
      'One moment while I book that.',
    );
  });
});

describe('Retell custom functions', () => {
  it('post { call, name, args } to the drop-in endpoint and speak the progress message during execution', () => {
    const tool = toRetellTool(book, 'book_consultation', URL_RETELL);
    expect(tool).toMatchObject({
      type: 'custom',
      name: 'book_consultation',
      url: URL_RETELL,
      method: 'POST',
      args_at_root: false,
      speak_during_execution: true,
      execution_message_description: 'One moment while I book that.',
      execution_message_type: 'static_text',
      speak_after_execution: true,
    });
    expect(tool.parameters.required).toEqual(['start', 'name']);
    expect(Object.keys(tool.parameters)).toEqual(['type', 'properties', 'required']);
  });

  it('stay silent during execution without a speakable progress message', () => {
    const tool = toRetellTool(action('Quiet'), 'quiet', URL_RETELL);
    expect(tool.speak_during_execution).toBe(false);
    expect(tool).not.toHaveProperty('execution_message_description');
  });
});

describe('ElevenLabs webhook tools', () => {
  it('post the arguments as the JSON body, every property described', () => {
    const tool = toElevenLabsTool(book, 'book_consultation', 'https://hooks.example.com/el');
    expect(tool.type).toBe('webhook');
    expect(tool.apiSchema.url).toBe('https://hooks.example.com/el');
    expect(tool.apiSchema.method).toBe('POST');
    expect(tool.apiSchema.requestBodySchema.required).toEqual(['start', 'name']);
    expect(tool.apiSchema.requestBodySchema.properties).toEqual({
      start: {
        type: 'string',
        description: 'Start of the slot. A date and time, ISO 8601 with its offset (e.g. 2026-12-09T15:00:00-05:00).',
      },
      name: { type: 'string', description: 'name' },
      seats: { type: 'integer', description: 'One of: 1, 2. Defaults to 1.' },
      mode: { type: 'string', description: 'mode', enum: ['phone', 'video'] },
      notes: { type: 'array', description: 'notes', items: { type: 'string', description: 'an item of notes' } },
    });
  });
});

describe('exportTools for the runtimes', () => {
  it('needs the URL the tools post to', () => {
    expect(() => exportTools([book], 'vapi')).toThrow(/the vapi format needs the URL/);
    expect(() => exportTools([book], 'elevenlabs', { url: '' })).toThrow(/the elevenlabs format needs the URL/);
  });

  it('names tools as the drop-in endpoints resolve them, deterministic actions included in the naming', () => {
    // The deterministic action takes the plain name in the drop-in's map (it comes first), so the
    // exported tool must be the `_2` one, or the runtime would call the wrong action.
    const actions = [action('check_hours', { run: 'every_turn' }), action('Check Hours')];
    const dropinMap = exportTools(actions, 'mcp', { includeDeterministic: true }).nameMap;
    const { tools, nameMap, omitted } = exportTools(actions, 'vapi', { url: URL_VAPI });
    expect(omitted).toEqual(['check_hours']);
    expect(tools.map((t) => t.function.name)).toEqual(['check_hours_2']);
    expect(dropinMap[tools[0]?.function.name ?? '']).toBe('Check Hours');
    expect(nameMap).toEqual({ check_hours_2: 'Check Hours' });
  });

  it('builds drop-in URLs from a base URL and the agent name', () => {
    expect(dropinUrl('https://sb.example.com/', 'vapi', 'booking')).toBe(URL_VAPI);
    expect(dropinUrl('https://sb.example.com/api', 'retell', 'front desk')).toBe(
      'https://sb.example.com/api/v1/dropin/retell/front%20desk',
    );
  });
});
