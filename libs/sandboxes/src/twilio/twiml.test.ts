import { describe, expect, it } from 'vitest';
import { decodeForm, twilioSignature } from './form.js';
import { parseTwiml, parseXml, TwimlParseError } from './twiml.js';

describe('TwiML reader', () => {
  it('reads the verbs the telephony worker sends', () => {
    const verbs = parseTwiml(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="Polly.Joanna">Tom &amp; Jerry &lt;3 &quot;hi&quot; &#x263A;</Say>' +
        '<Dial timeout="25" callerId="+15550001111"><Number>+15551234567</Number></Dial><Hangup/></Response>',
    );
    expect(verbs).toEqual([
      { verb: 'Say', text: 'Tom & Jerry <3 "hi" ☺', voice: 'Polly.Joanna' },
      {
        verb: 'Dial',
        timeout: 25,
        callerId: '+15550001111',
        targets: [{ kind: 'number', address: '+15551234567' }],
      },
      { verb: 'Hangup' },
    ]);
  });

  it('reads <Sip>, <Conference> and the short <Dial> form', () => {
    expect(parseTwiml('<Response><Dial><Sip>sip:desk@pbx.example.com;transport=tls</Sip></Dial></Response>')).toEqual([
      { verb: 'Dial', timeout: 30, targets: [{ kind: 'sip', address: 'sip:desk@pbx.example.com;transport=tls' }] },
    ]);
    expect(parseTwiml('<Response><Dial>+15551234567</Dial></Response>')[0]).toMatchObject({
      targets: [{ kind: 'number', address: '+15551234567' }],
    });
    expect(
      parseTwiml(
        '<Response>\n  <Dial>\n    <Conference beep="false" endConferenceOnExit="true">room-1</Conference>\n  </Dial>\n</Response>',
      ),
    ).toEqual([
      {
        verb: 'Dial',
        timeout: 30,
        targets: [],
        conference: { name: 'room-1', attrs: { beep: 'false', endConferenceOnExit: 'true' } },
      },
    ]);
  });

  it('refuses what Twilio refuses: bad XML, raw & or <, unknown verbs, empty <Dial>', () => {
    for (const bad of [
      '<Response><Say>Tom & Jerry</Say></Response>',
      '<Response><Say>a < b</Say></Response>',
      '<Response><Say>unclosed</Response>',
      '<Response><Sya>typo</Sya></Response>',
      '<Response><Dial></Dial></Response>',
      '<Speak/>',
      '<!DOCTYPE x [<!ENTITY a "b">]><Response/>',
      '<Response><Say a="1" a="2">x</Say></Response>',
      '<Response/><Response/>',
      '<Response><Say>&#0;</Say></Response>',
    ]) {
      expect(() => parseTwiml(bad), bad).toThrow(TwimlParseError);
    }
  });

  it('keeps text verbatim, including whitespace and CDATA', () => {
    expect(parseXml('<a> x <![CDATA[<&>]]> </a>').children).toEqual([' x <&> ']);
  });
});

describe('form fields and signatures', () => {
  it('decodes repeated keys as arrays', () => {
    const { fields, lists } = decodeForm('To=%2B15551234567&MediaUrl=a&MediaUrl=b&Body=caf%C3%A9+%26+co');
    expect(fields).toEqual({ To: '+15551234567', MediaUrl: ['a', 'b'], Body: 'café & co' });
    expect(lists.To).toEqual(['+15551234567']);
  });

  it("signs like Twilio (the documented example of Twilio's helper libraries)", () => {
    const params = {
      CallSid: ['CA1234567890ABCDE'],
      Caller: ['+14158675309'],
      Digits: ['1234'],
      From: ['+14158675309'],
      To: ['+18005551212'],
    };
    expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params)).toBe(
      'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
    );
  });
});
