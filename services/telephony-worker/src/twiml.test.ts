import { parseTwiml, parseXml } from '@switchboard/sandboxes/twilio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeXml, Twiml, xmlSafe } from './twiml.js';

describe('TwiML building', () => {
  it('escapes <, &, quotes and apostrophes in spoken text', () => {
    const doc = Twiml.response(Twiml.say(`Tom & Jerry <3 "quotes" it's > fine`), Twiml.hangup());
    expect(doc).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Tom &amp; Jerry &lt;3 &quot;quotes&quot; it&apos;s &gt; fine</Say><Hangup/></Response>',
    );
    expect(parseTwiml(doc)).toEqual([{ verb: 'Say', text: `Tom & Jerry <3 "quotes" it's > fine` }, { verb: 'Hangup' }]);
  });

  it('cannot be broken out of: markup in text stays text', () => {
    const attack = '</Say><Dial><Number>+19005550000</Number></Dial><Say>';
    const verbs = parseTwiml(Twiml.response(Twiml.say(attack)));
    expect(verbs).toEqual([{ verb: 'Say', text: attack }]);
  });

  it('renders <Dial> with <Number> or <Sip> and escapes addresses and attributes', () => {
    expect(Twiml.dial({ kind: 'phone', address: '+15551234567' }, { timeout: 20 })).toBe(
      '<Dial timeout="20"><Number>+15551234567</Number></Dial>',
    );
    const sip = Twiml.dial({ kind: 'sip', address: 'sip:a&b@pbx.example.com;transport=tls' });
    expect(sip).toBe('<Dial><Sip>sip:a&amp;b@pbx.example.com;transport=tls</Sip></Dial>');
    expect(parseTwiml(Twiml.response(sip))[0]).toMatchObject({
      targets: [{ kind: 'sip', address: 'sip:a&b@pbx.example.com;transport=tls' }],
    });
    const conf = Twiml.conference('room "1"', {
      beep: false,
      endConferenceOnExit: true,
      waitUrl: 'https://x/?a=1&b=2',
    });
    expect(conf).toBe(
      '<Dial><Conference beep="false" endConferenceOnExit="true" waitUrl="https://x/?a=1&amp;b=2">room &quot;1&quot;</Conference></Dial>',
    );
    expect(parseTwiml(Twiml.response(conf))[0]).toMatchObject({
      conference: {
        name: 'room "1"',
        attrs: { beep: 'false', endConferenceOnExit: 'true', waitUrl: 'https://x/?a=1&b=2' },
      },
    });
  });

  it('drops characters XML cannot carry', () => {
    expect(xmlSafe('a\u0000b\u0007c\td\ue000\ud800e\uffff')).toBe('abc\td\ue000e');
    expect(escapeXml('😀 ok')).toBe('😀 ok');
  });

  it('round-trips any text through <Say> (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const verbs = parseTwiml(Twiml.response(Twiml.say(text)));
        const expected = xmlSafe(text);
        // A <Say> with no text at all parses as an empty Say.
        expect(verbs).toEqual([{ verb: 'Say', text: expected }]);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips any attribute value (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 80 }),
        fc.string({ unit: 'binary', maxLength: 80 }),
        (name, url) => {
          const root = parseXml(Twiml.response(Twiml.conference(name, { waitUrl: url })));
          const dial = root.children[0] as { children: { attrs: Record<string, string>; children: string[] }[] };
          const conference = dial.children[0];
          expect(conference?.attrs.waitUrl).toBe(xmlSafe(url));
          expect((conference?.children ?? []).join('')).toBe(xmlSafe(name));
        },
      ),
      { numRuns: 300 },
    );
  });
});
