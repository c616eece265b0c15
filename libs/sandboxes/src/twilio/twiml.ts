/**
 * A small, strict TwiML reader for the Twilio sandbox.
 *
 * Real Twilio refuses a `Twiml` parameter that is not well-formed XML, so the sandbox parses
 * every document a client sends instead of pattern-matching it: a client that forgets to
 * escape `&` or `<` in a spoken message fails here exactly as it would against Twilio. Only the
 * XML that TwiML uses is supported (elements, attributes, text, the five predefined entities,
 * numeric character references, comments, CDATA and the XML declaration); DTDs are refused.
 */
import { isXmlChar } from '@switchboard/common';

/** An XML element: name, attributes and children (elements and text, in document order). */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: (XmlElement | string)[];
}

/** Thrown for a document that is not well-formed XML or not a TwiML `<Response>`. */
export class TwimlParseError extends Error {}

const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]*/y;

/** Parses one XML document into its root element (text kept verbatim, entities decoded). */
export function parseXml(source: string): XmlElement {
  let i = 0;
  const fail = (what: string): never => {
    throw new TwimlParseError(`${what} at offset ${i}`);
  };
  const skipMisc = () => {
    for (;;) {
      while (i < source.length && /\s/.test(source[i] ?? '')) i++;
      if (source.startsWith('<?', i)) {
        const end = source.indexOf('?>', i + 2);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else if (source.startsWith('<!--', i)) {
        const end = source.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (source.startsWith('<!', i)) {
        fail('document type declarations are not allowed');
      } else return;
    }
  };
  const readName = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(source);
    if (!m) return fail('expected a name');
    i += m[0].length;
    return m[0];
  };
  const element = (): XmlElement => {
    if (source[i] !== '<') fail("expected '<'");
    i++;
    const name = readName();
    const attrs: Record<string, string> = {};
    for (;;) {
      const before = i;
      while (/\s/.test(source[i] ?? '')) i++;
      if (source.startsWith('/>', i)) {
        i += 2;
        return { name, attrs, children: [] };
      }
      if (source[i] === '>') {
        i++;
        break;
      }
      if (i === before) fail('expected whitespace between attributes');
      const attr = readName();
      while (/\s/.test(source[i] ?? '')) i++;
      if (source[i] !== '=') fail(`expected '=' after attribute ${attr}`);
      i++;
      while (/\s/.test(source[i] ?? '')) i++;
      const quote = source[i];
      if (quote !== '"' && quote !== "'") return fail('expected a quoted attribute value');
      const end = source.indexOf(quote, i + 1);
      if (end < 0) fail('unterminated attribute value');
      const raw = source.slice(i + 1, end);
      if (raw.includes('<')) fail("'<' is not allowed in an attribute value");
      if (Object.hasOwn(attrs, attr)) fail(`duplicate attribute ${attr}`);
      attrs[attr] = decodeEntities(raw, fail);
      i = end + 1;
    }
    const children: (XmlElement | string)[] = [];
    let text = '';
    const flush = () => {
      if (text !== '') children.push(text);
      text = '';
    };
    for (;;) {
      if (i >= source.length) fail(`unclosed element <${name}>`);
      if (source.startsWith('</', i)) {
        i += 2;
        const closing = readName();
        if (closing !== name) fail(`</${closing}> does not close <${name}>`);
        while (/\s/.test(source[i] ?? '')) i++;
        if (source[i] !== '>') fail("expected '>'");
        i++;
        flush();
        return { name, attrs, children };
      }
      if (source.startsWith('<!--', i)) {
        const end = source.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
        continue;
      }
      if (source.startsWith('<![CDATA[', i)) {
        const end = source.indexOf(']]>', i + 9);
        if (end < 0) fail('unterminated CDATA section');
        text += source.slice(i + 9, end);
        i = end + 3;
        continue;
      }
      if (source[i] === '<') {
        flush();
        children.push(element());
        continue;
      }
      const next = source.indexOf('<', i);
      const chunk = next < 0 ? source.slice(i) : source.slice(i, next);
      if (chunk.includes(']]>')) fail("']]>' is not allowed in text");
      text += decodeEntities(chunk, fail);
      i = next < 0 ? source.length : next;
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i !== source.length) fail('content after the root element');
  return root;
}

function decodeEntities(raw: string, fail: (what: string) => never): string {
  return raw.replace(/&([^;&\s]*);?/g, (match, body: string) => {
    if (!match.endsWith(';')) return fail("'&' must start an entity such as &amp;");
    switch (body) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
    }
    const numeric = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(body);
    if (numeric) {
      const code = numeric[1] !== undefined ? Number.parseInt(numeric[1], 16) : Number(numeric[2]);
      if (code > 0x10ffff || !isXmlChar(code)) return fail(`&${body}; is not a legal XML character`);
      return String.fromCodePoint(code);
    }
    return fail(`unknown entity &${body};`);
  });
}

/** The text content of an element (its text children and those of nested elements). */
function textOf(el: XmlElement): string {
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

/** Where a `<Dial>` rings: a number, a SIP URI or a Twilio Client identity. */
export interface DialTarget {
  kind: 'number' | 'sip' | 'client';
  address: string;
}

/** One TwiML verb, as the sandbox executes it. */
export type TwimlVerb =
  | { verb: 'Say'; text: string; voice?: string; language?: string }
  | { verb: 'Play'; url: string }
  | { verb: 'Pause'; seconds: number }
  | { verb: 'Hangup' }
  | { verb: 'Reject'; reason?: string }
  | { verb: 'Redirect'; url: string; method: string }
  | {
      verb: 'Dial';
      /** Seconds to ring (`timeout`, default 30). */
      timeout: number;
      callerId?: string;
      action?: string;
      targets: DialTarget[];
      /** `<Conference>` instead of targets. */
      conference?: { name: string; attrs: Record<string, string> };
    };

const VERBS = new Set(['Say', 'Play', 'Pause', 'Hangup', 'Reject', 'Redirect', 'Dial']);
const NOUNS = new Set(['Number', 'Sip', 'Client', 'Conference']);

/**
 * Parses a TwiML `<Response>` into the verbs the sandbox understands. Throws a
 * {@link TwimlParseError} for malformed XML, another root element, an unknown verb or noun,
 * or a `<Dial>` without a destination.
 */
export function parseTwiml(source: string): TwimlVerb[] {
  const root = parseXml(source);
  if (root.name !== 'Response') throw new TwimlParseError(`the root element must be <Response>, not <${root.name}>`);
  const verbs: TwimlVerb[] = [];
  for (const child of root.children) {
    if (typeof child === 'string' && child.trim() === '') continue;
    if (typeof child === 'string') throw new TwimlParseError('text is not allowed directly inside <Response>');
    if (!VERBS.has(child.name)) throw new TwimlParseError(`<${child.name}> is not a supported TwiML verb`);
    verbs.push(toVerb(child));
  }
  return verbs;
}

function toVerb(el: XmlElement): TwimlVerb {
  const a = el.attrs;
  switch (el.name) {
    case 'Say':
      return {
        verb: 'Say',
        text: textOf(el),
        ...(a.voice !== undefined ? { voice: a.voice } : {}),
        ...(a.language !== undefined ? { language: a.language } : {}),
      };
    case 'Play':
      return { verb: 'Play', url: textOf(el).trim() };
    case 'Pause':
      return { verb: 'Pause', seconds: Number(a.length ?? '1') };
    case 'Hangup':
      return { verb: 'Hangup' };
    case 'Reject':
      return { verb: 'Reject', ...(a.reason !== undefined ? { reason: a.reason } : {}) };
    case 'Redirect':
      return { verb: 'Redirect', url: textOf(el).trim(), method: (a.method ?? 'POST').toUpperCase() };
    default:
      return toDial(el);
  }
}

function toDial(el: XmlElement): TwimlVerb {
  const a = el.attrs;
  const timeout = a.timeout === undefined ? 30 : Number(a.timeout);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 600) {
    throw new TwimlParseError(`<Dial timeout="${a.timeout}"> must be an integer from 1 to 600`);
  }
  const targets: DialTarget[] = [];
  let conference: { name: string; attrs: Record<string, string> } | undefined;
  for (const child of el.children) {
    if (typeof child === 'string') {
      if (child.trim() === '') continue;
      // `<Dial>+15551234567</Dial>` is the short form of a single `<Number>`.
      targets.push({ kind: 'number', address: child.trim() });
      continue;
    }
    if (!NOUNS.has(child.name)) throw new TwimlParseError(`<${child.name}> is not allowed inside <Dial>`);
    const text = textOf(child).trim();
    if (child.name === 'Conference') conference = { name: text, attrs: child.attrs };
    else
      targets.push({
        kind: child.name === 'Sip' ? 'sip' : child.name === 'Client' ? 'client' : 'number',
        address: text,
      });
  }
  if (conference !== undefined && targets.length > 0) {
    throw new TwimlParseError('<Dial> cannot mix <Conference> with other nouns');
  }
  if (conference === undefined && targets.length === 0) throw new TwimlParseError('<Dial> needs a destination');
  if (conference !== undefined && conference.name === '') throw new TwimlParseError('<Conference> needs a name');
  return {
    verb: 'Dial',
    timeout,
    ...(a.callerId !== undefined ? { callerId: a.callerId } : {}),
    ...(a.action !== undefined ? { action: a.action } : {}),
    targets,
    ...(conference !== undefined ? { conference } : {}),
  };
}
