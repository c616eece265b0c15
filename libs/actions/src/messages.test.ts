import { readFileSync } from 'node:fs';
import { type JsonValue, SwitchboardError } from '@switchboard/common';
import { describe, expect, it } from 'vitest';
import { parseBuiltinAction, validateBuiltinAction } from './builtins/catalog.js';
import { validateCanonicalAction } from './canonical.js';
import { parseDeclarativeTool, validateDeclarativeTool } from './declarative.js';
import { type EffectExecutor, type EffectRequest, emptyState, interpret } from './interpreter.js';
import { defaultDelayedMessage, localizeMessages, pickLocale } from './messages.js';
import { parseTypedAction, validateTypedAction } from './typed.js';

const example = (file: string): unknown =>
  JSON.parse(readFileSync(new URL(`../schemas/examples/${file}`, import.meta.url), 'utf8'));

class Failing implements EffectExecutor {
  async execute(_request: EffectRequest): Promise<JsonValue> {
    throw new SwitchboardError('webhook_http_503', 'the order system is down', { retryable: false });
  }
}

describe('pickLocale', () => {
  const text = { en: 'Hello', 'fr-FR': 'Bonjour', fr: 'Salut', default: 'Hi' };
  it('takes the exact tag, then the language, then default, then English, then the first', () => {
    expect(pickLocale(text, 'fr-FR')).toBe('Bonjour');
    expect(pickLocale(text, 'FR-fr')).toBe('Bonjour');
    expect(pickLocale(text, 'fr-CA')).toBe('Salut');
    expect(pickLocale(text, 'de-DE')).toBe('Hi');
    expect(pickLocale({ en: 'Hello', es: 'Hola' }, 'de')).toBe('Hello');
    expect(pickLocale({ 'en-GB': 'Hello', es: 'Hola' }, 'de')).toBe('Hello');
    expect(pickLocale({ es: 'Hola', it: 'Ciao' }, 'de')).toBe('Hola');
    expect(pickLocale({ es: 'Hola' }, undefined)).toBe('Hola');
    expect(pickLocale('Plain', 'fr')).toBe('Plain');
    expect(pickLocale(undefined, 'fr')).toBeUndefined();
  });

  it('falls back to the default still-working text of the locale language', () => {
    expect(defaultDelayedMessage(undefined)).toBe('One moment, still working on that.');
    expect(defaultDelayedMessage('de-AT')).toBe('Einen Moment, ich bin noch dabei.');
    expect(defaultDelayedMessage('ja-JP')).toBe('One moment, still working on that.');
    expect(localizeMessages(undefined, 'fr-FR')).toEqual({ delayed: 'Un instant, je m’en occupe toujours.' });
    expect(localizeMessages({ delayed: { fr: 'Patience…' }, failed: { en: 'No.', fr: 'Non.' } }, 'fr-FR')).toEqual({
      delayed: 'Patience…',
      failed: 'Non.',
    });
  });
});

describe('per-action messages in every format', () => {
  it('typed actions: delayed_message and failure_message, one text or by locale', () => {
    const action = parseTypedAction(example('cancel_order.action.json'));
    expect(action.messages).toEqual({
      delayed: {
        en: 'Still talking to the order system, one moment.',
        fr: 'Je suis toujours en contact avec le système de commandes, un instant.',
      },
      failed: {
        en: "Sorry, I couldn't cancel that order ({{error.code}}).",
        fr: "Désolé, je n'ai pas pu annuler cette commande ({{error.code}}).",
      },
    });
    expect(validateCanonicalAction(JSON.parse(JSON.stringify(action)))).toEqual([]);
  });

  it('declarative tools: the same two properties', () => {
    const action = parseDeclarativeTool(example('reorder.tool.json'));
    expect(action.messages).toEqual({
      delayed: 'Still placing the order, bear with me.',
      failed: "I couldn't place the order again: {{error.message}}",
    });
  });

  it('built-ins: delayed_message in every kind (failure_message was already theirs)', () => {
    const doc = {
      type: 'end_call',
      name: 'Bye',
      description: 'd',
      config: { delayed_message: 'Hanging up in a moment.' },
    };
    expect(parseBuiltinAction(doc).messages).toEqual({ delayed: 'Hanging up in a moment.' });
    expect(parseBuiltinAction({ ...doc, config: {} }).messages).toBeUndefined();
    expect(validateBuiltinAction({ ...doc, config: { delayed_message: 'Hi {{params.name}}' } })).toMatchObject([
      { pointer: '/config/delayed_message' },
    ]);
  });

  it('refuses what cannot be said, each problem with its pointer', () => {
    const base = { name: 'x_action', target: 'webhook://orders_api' };
    expect(
      validateTypedAction({
        ...base,
        delayed_message: 'Still on {{params.order_id}}',
        failure_message: { english: 'No', fr: 3 },
      }).map((i) => i.pointer),
    ).toEqual(['/delayed_message', '/failure_message/english', '/failure_message/fr']);
    expect(validateTypedAction({ ...base, failure_message: [] }).map((i) => i.pointer)).toEqual(['/failure_message']);
    expect(validateTypedAction({ ...base, failure_message: {} }).map((i) => i.pointer)).toEqual(['/failure_message']);
    // The failure message may read the error scope; a malformed template is refused.
    expect(validateTypedAction({ ...base, failure_message: 'Failed: {{error.message}}' })).toEqual([]);
    expect(
      validateDeclarativeTool({ name: 't', description: 'd', failure_message: 'Failed {{error.' }).map(
        (i) => i.pointer,
      ),
    ).toEqual(['/failure_message']);
  });
});

describe('the failure message when a run fails', () => {
  it('is said after on_failure, rendered with the error scope, in the locale asked for', async () => {
    const action = parseTypedAction(example('cancel_order.action.json'));
    for (const [locale, said] of [
      [undefined, "Sorry, I couldn't cancel that order (webhook_http_503)."],
      ['fr-FR', "Désolé, je n'ai pas pu annuler cette commande (webhook_http_503)."],
    ] as const) {
      const result = await interpret(
        { action, params: { order_id: 'o-1' }, state: emptyState(), ...(locale ? { locale } : {}) },
        new Failing(),
      );
      expect(result.status).toBe('failed');
      expect(result.events.filter((e) => e.type === 'respond')).toEqual([{ type: 'respond', message: said }]);
    }
  });

  it("comes after on_failure's own messages, and is not said when the run succeeds", async () => {
    const action = parseDeclarativeTool({
      name: 't',
      description: 'd',
      actions: [{ type: 'webhook', endpoint: 'orders_api' }],
      on_failure: [{ type: 'respond', message: 'First this.' }],
      failure_message: 'Then this: {{error.message}}',
    });
    const failed = await interpret({ action, params: {}, state: emptyState() }, new Failing());
    expect(failed.events.flatMap((e) => (e.type === 'respond' ? [e.message] : []))).toEqual([
      'First this.',
      'Then this: the order system is down',
    ]);
    const ok = await interpret({ action, params: {}, state: emptyState() }, { execute: async () => ({ ok: true }) });
    expect(ok.events.filter((e) => e.type === 'respond')).toEqual([]);
  });
});
