/**
 * TwiML the telephony worker sends in `Calls/{Sid}.json` `Twiml` parameters.
 *
 * Every value placed in a document — spoken text, E.164 numbers, SIP URIs, conference names,
 * URLs in attributes — goes through {@link escapeXml}: a message such as `Tom & Jerry <3`
 * would otherwise make the whole redirect fail (Twilio refuses malformed TwiML) or, worse,
 * let text written by an LLM inject verbs into the call.
 */

import { isXmlChar } from '@switchboard/common';

/** Longest `Twiml` parameter Twilio accepts, in characters. */
export const MAX_TWIML_LENGTH = 4000;

/**
 * Removes what XML 1.0 cannot carry at all, even escaped: control characters other than tab,
 * newline and carriage return, unpaired surrogates, U+FFFE and U+FFFF. (Text from an LLM or a
 * CRM field occasionally contains them; dropping them is better than failing the call.)
 */
export function xmlSafe(text: string): string {
  let out = '';
  for (const ch of text) {
    if (isXmlChar(ch.codePointAt(0) as number)) out += ch;
  }
  return out;
}

/**
 * Escapes text for XML element content: the five markup characters become entities, and a
 * carriage return becomes `&#13;` (an XML parser would otherwise turn `\r\n` into `\n`).
 */
export function escapeXml(text: string): string {
  return xmlSafe(text).replace(/[&<>"'\r]/g, (c) => ENTITIES[c] as string);
}

/**
 * Escapes an attribute value: like {@link escapeXml}, and tabs and newlines as character
 * references too, because XML parsers replace literal ones in attributes with spaces.
 */
export function escapeXmlAttr(text: string): string {
  return xmlSafe(text).replace(/[&<>"'\r\n\t]/g, (c) => ENTITIES[c] as string);
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#13;',
  '\n': '&#10;',
  '\t': '&#9;',
};

/** Attribute values; `undefined` leaves the attribute out. */
export type TwimlAttrs = Record<string, string | number | boolean | undefined>;

function attrs(a: TwimlAttrs = {}): string {
  let out = '';
  for (const [name, value] of Object.entries(a)) {
    if (value === undefined) continue;
    out += ` ${name}="${escapeXmlAttr(String(value))}"`;
  }
  return out;
}

function element(name: string, a: TwimlAttrs | undefined, text: string | undefined): string {
  return text === undefined ? `<${name}${attrs(a)}/>` : `<${name}${attrs(a)}>${escapeXml(text)}</${name}>`;
}

/** A rendered TwiML verb (already escaped). */
export type TwimlVerb = string & { readonly __twimlVerb: true };

const verb = (xml: string) => xml as TwimlVerb;

/** Where a `<Dial>` goes. */
export type DialDestination = { kind: 'phone' | 'sip'; address: string };

/** Builders of the TwiML verbs the worker uses. */
export const Twiml = {
  /** `<Say>`: text-to-speech. */
  say(text: string, a?: { voice?: string; language?: string }): TwimlVerb {
    return verb(element('Say', a, text));
  },
  /** `<Play>`: an audio URL. */
  play(url: string): TwimlVerb {
    return verb(element('Play', undefined, url));
  },
  /** `<Dial>` with one `<Number>` (E.164) or `<Sip>` (URI). */
  dial(to: DialDestination, a?: { timeout?: number; callerId?: string; answerOnBridge?: boolean }): TwimlVerb {
    const noun = element(to.kind === 'sip' ? 'Sip' : 'Number', undefined, to.address);
    return verb(`<Dial${attrs(a)}>${noun}</Dial>`);
  },
  /** `<Dial><Conference>`: joins the call to a named conference. */
  conference(
    name: string,
    a?: {
      beep?: boolean | 'onEnter' | 'onExit';
      startConferenceOnEnter?: boolean;
      endConferenceOnExit?: boolean;
      waitUrl?: string;
    },
  ): TwimlVerb {
    return verb(`<Dial>${element('Conference', a, name)}</Dial>`);
  },
  /** `<Redirect method="POST">`: fetch the next TwiML from `url`. */
  redirect(url: string): TwimlVerb {
    return verb(element('Redirect', { method: 'POST' }, url));
  },
  /** `<Hangup/>`. */
  hangup(): TwimlVerb {
    return verb('<Hangup/>');
  },
  /** A complete document; `undefined` verbs are skipped (optional messages). */
  response(...verbs: (TwimlVerb | undefined)[]): string {
    return `<?xml version="1.0" encoding="UTF-8"?><Response>${verbs.filter((v) => v !== undefined).join('')}</Response>`;
  },
} as const;
