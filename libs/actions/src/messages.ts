/**
 * Per-action messages (seed 002 `progress_indicator_message`, seed 000 "delayed" and "failed"
 * messages): what the agent says while an action's side effect is slow (`delayed`) and when the
 * action fails (`failed`), each one text or one text per locale (`{"en": …, "fr-FR": …}`), chosen
 * by the agent's locale. Written `delayed_message` / `failure_message` in the typed and
 * declarative formats (and the built-ins' configuration), `messages` in the canonical model.
 *
 * - `delayed` is plain text: it is said while the effect runs, before anything is known.
 * - `failed` is a template that may read the `error` scope (`{{error.message}}`), said after
 *   `on_failure`.
 *
 * Workflow-safe: no Node built-ins.
 */
import type { JsonValue } from '@switchboard/common';
import { describeFound, isPlainObject, ownGet } from './json.js';
import { parseTemplate } from './templates.js';
import { checkTemplateProperty, DefinitionLimits, type IssueCollector } from './validate.js';

/** One text, or one text per locale (BCP 47 tag, or `default`). */
export type LocalizedText = string | { [locale: string]: string };

/** The per-action messages of the canonical model. */
export interface ActionMessages {
  /** Said once while a side effect is still running after the session's still-working delay. */
  delayed?: LocalizedText;
  /** Said (rendered, with the `error` scope) when the action fails, after `on_failure`. */
  failed?: LocalizedText;
}

/** The document property of each message in the typed and declarative formats. */
export const MESSAGE_PROPERTIES = { delayed: 'delayed_message', failed: 'failure_message' } as const;

/** A locale key: a BCP 47 language tag (`en`, `fr-FR`, `pt-BR`, `zh-Hant-TW`) or `default`. */
const LOCALE = /^(?:default|[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)$/;
/** Locales per message: more is a mistake, not a translation table. */
const MAX_LOCALES = 50;

/** "Still working" when the action says nothing: by language, English when the language has none. */
const DEFAULT_DELAYED: Readonly<Record<string, string>> = {
  en: 'One moment, still working on that.',
  fr: 'Un instant, je m’en occupe toujours.',
  de: 'Einen Moment, ich bin noch dabei.',
  es: 'Un momento, sigo trabajando en ello.',
  it: 'Un attimo, ci sto ancora lavorando.',
  pt: 'Um momento, ainda estou a tratar disso.',
  nl: 'Een ogenblik, ik ben er nog mee bezig.',
};

/**
 * The text of `text` for `locale`: the exact tag (case-insensitive), else its language (`fr`
 * for `fr-CA`), else `default`, else English, else the first one given.
 */
export function pickLocale(text: LocalizedText | undefined, locale: string | undefined): string | undefined {
  if (text === undefined || typeof text === 'string') return text;
  const entries = Object.entries(text);
  const find = (tag: string) => entries.find(([key]) => key.toLowerCase() === tag.toLowerCase())?.[1];
  const wanted = locale ?? 'en';
  return (
    find(wanted) ??
    find(wanted.split('-')[0] ?? wanted) ??
    find('default') ??
    find('en') ??
    entries.find(([key]) => key.toLowerCase().startsWith('en-'))?.[1] ??
    entries[0]?.[1]
  );
}

/** The default "still working" text in `locale`'s language (English when there is none). */
export function defaultDelayedMessage(locale: string | undefined): string {
  const language = (locale ?? 'en').split('-')[0]?.toLowerCase() ?? 'en';
  return DEFAULT_DELAYED[language] ?? (DEFAULT_DELAYED.en as string);
}

/**
 * The messages with one text each, for `locale`: what a run of the action says. The delayed
 * message falls back to the default of the locale's language.
 */
export function localizeMessages(
  messages: ActionMessages | undefined,
  locale: string | undefined,
): { delayed: string; failed?: string } {
  const failed = pickLocale(messages?.failed, locale);
  return {
    delayed: pickLocale(messages?.delayed, locale) ?? defaultDelayedMessage(locale),
    ...(failed !== undefined && failed !== '' ? { failed } : {}),
  };
}

/**
 * Checks `delayed_message` / `failure_message` of a typed action or declarative tool document
 * (pointers under `base`); also the canonical `messages` (with `keys` `delayed` / `failed`).
 */
export function checkActionMessages(
  doc: Record<string, unknown>,
  base: string,
  out: IssueCollector,
  keys: { delayed: string; failed: string } = MESSAGE_PROPERTIES,
): void {
  for (const kind of ['delayed', 'failed'] as const) {
    const value = ownGet(doc, keys[kind]);
    if (value === undefined) continue;
    const pointer = `${base}/${keys[kind]}`;
    if (typeof value === 'string') {
      checkOne(kind, value, pointer, out);
      continue;
    }
    if (!isPlainObject(value) || Object.keys(value).length === 0) {
      out.add(pointer, 'expected a message, or an object of messages by locale', {
        expected: 'a string, or an object such as {"en": "…", "fr": "…"}',
        found: describeFound(value),
      });
      continue;
    }
    const locales = Object.keys(value);
    if (locales.length > MAX_LOCALES) out.add(pointer, `at most ${MAX_LOCALES} locales`);
    for (const locale of locales) {
      const at = `${pointer}/${locale.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!LOCALE.test(locale)) {
        out.add(at, `'${locale}' is not a locale`, {
          expected: "a BCP 47 language tag such as 'en' or 'fr-FR', or 'default'",
        });
        continue;
      }
      checkOne(kind, (value as Record<string, unknown>)[locale], at, out);
    }
  }
}

function checkOne(kind: 'delayed' | 'failed', value: unknown, pointer: string, out: IssueCollector): void {
  if (kind === 'failed') {
    checkTemplateProperty(value, pointer, out, { allowProvider: false, inFailure: true });
    return;
  }
  if (typeof value !== 'string') {
    out.add(pointer, 'expected a message string', { expected: 'a string', found: describeFound(value) });
    return;
  }
  if (value.length > DefinitionLimits.maxTemplateLength) {
    out.add(pointer, `message is longer than ${DefinitionLimits.maxTemplateLength} characters`);
    return;
  }
  if (parseTemplate(value).parts.some((part) => part.kind !== 'text')) {
    out.add(pointer, 'the delayed message is plain text: it is said while the action runs, before anything is known', {
      found: JSON.stringify(value),
    });
  }
}

/** The messages of a checked document (`delayed_message` / `failure_message`), if any. */
export function readActionMessages(doc: Record<string, unknown>): ActionMessages | undefined {
  const messages: ActionMessages = {};
  for (const kind of ['delayed', 'failed'] as const) {
    const value = ownGet(doc, MESSAGE_PROPERTIES[kind]) as JsonValue | undefined;
    if (typeof value === 'string' || isPlainObject(value)) messages[kind] = value as LocalizedText;
  }
  return Object.keys(messages).length > 0 ? messages : undefined;
}
