import { describe, expect, it } from 'vitest';
import {
  e164Problem,
  isE164,
  isIanaTimeZone,
  isSipUri,
  parseSipUri,
  parseTransferDestination,
  publicUrlProblem,
  sipUriProblem,
  suggestTimeZone,
} from './addresses.js';

describe('E.164', () => {
  it.each([
    '+15551234567',
    '+442071838750',
    '+4915112345678',
    '+61291234567',
    '+8613800138000',
    '+6591234567', // Singapore mobile: 8 national digits
  ])('accepts %s', (number) => {
    expect(isE164(number)).toBe(true);
    expect(e164Problem(number)).toBeUndefined();
  });

  it.each([
    ['5551234567', "an E.164 number starts with '+' and the country code", '+15551234567'],
    ['+0123456789', 'an E.164 country code cannot start with 0', undefined],
    ['+1 (555) 123-4567', 'an E.164 number has no spaces, dots, dashes or parentheses', '+15551234567'],
    ['+1.555.123.4567', 'an E.164 number has no spaces, dots, dashes or parentheses', '+15551234567'],
    ['0044207183875', "an E.164 number starts with '+', not the international prefix 00", '+44207183875'],
    ['+1234567', "an E.164 number has 8 to 15 digits after the '+', this one has 7", undefined],
    // Structurally fine, but impossible per the numbering metadata (libphonenumber-js).
    ['+12345678', "'+12345678' has the wrong number of digits for country code +1", undefined],
    ['+123456789012345', "'+123456789012345' has the wrong number of digits for country code +1", undefined],
    ['+99912345678', "'+99912345678' does not start with a known country calling code", undefined],
    ['+1234567890123456', "an E.164 number has 8 to 15 digits after the '+', this one has 16", undefined],
    ['tel:+15551234567', "write the number without the 'tel:' prefix", '+15551234567'],
    ['+1555CALLNOW', "an E.164 number is '+' followed by digits only", undefined],
    ['', 'a phone number must not be empty', undefined],
    ['0123456789', "an E.164 number starts with '+' and the country code", undefined],
    ['++15551234567', "an E.164 number is '+' followed by digits only", undefined],
    ['+15551234567 ', 'an E.164 number has no spaces, dots, dashes or parentheses', '+15551234567'],
  ])('rejects %j: %s', (number, message, suggestion) => {
    expect(isE164(number)).toBe(false);
    const problem = e164Problem(number);
    expect(problem?.message).toBe(message);
    expect(problem?.suggestion).toBe(suggestion);
  });
});

describe('SIP URIs', () => {
  it.each([
    'sip:support@example.com',
    'sips:support@example.com',
    'SIP:alice@pbx.example.com',
    'sip:100@pbx',
    'sip:alice@192.0.2.10',
    'sip:alice@192.0.2.10:5060',
    'sip:alice@[2001:db8::1]',
    'sip:alice@[2001:db8::1]:5061',
    'sip:alice@[::1]',
    'sip:alice@[::ffff:192.0.2.1]',
    'sip:alice@[2001:db8:0:0:0:0:0:1]',
    'sip:alice@example.com;transport=tls',
    'sip:alice@example.com:5080;transport=tcp;lr',
    'sip:+15551234567@trunk.example.com',
    'sip:a%20b@example.com',
    "sip:o'brien@example.com",
  ])('accepts %s', (uri) => {
    expect(isSipUri(uri)).toBe(true);
  });

  it.each([
    ['sip:@x', "a SIP URI needs a user before '@' (sip:user@host)"],
    ['sip:support', 'a SIP URI needs a user and a host (sip:user@host)'],
    ['sip:support@', "a SIP URI needs a host after '@' (sip:user@host)"],
    ['support@example.com', "a SIP URI starts with 'sip:' or 'sips:'"],
    ['sip://support@example.com', "a SIP URI has no '//' after the scheme"],
    [
      'sip:alice:secret@example.com',
      'a SIP URI must not carry a password (user:password@host); never put credentials in an address',
    ],
    ['sip:alice@example.com:0', "'0' is not a valid port (1–65535)"],
    ['sip:alice@example.com:70000', "'70000' is not a valid port (1–65535)"],
    ['sip:alice@ex ample.com', 'a SIP URI must not contain spaces'],
    ['sip:alice@-bad-.com', "'-bad-.com' is not a valid host name or IPv4 address"],
    ['sip:alice@999.1.1.1', "'999.1.1.1' is not a valid host name or IPv4 address"],
    ['sip:alice@[2001:db8::1', "an IPv6 host must be closed with ']'"],
    ['sip:alice@[2001:db8:::1]', "'[2001:db8:::1]' is not a valid IPv6 address"],
    ['sip:alice@[1::2::3]', "'[1::2::3]' is not a valid IPv6 address"],
    ['sip:alice@[1:2:3:4:5:6:7]', "'[1:2:3:4:5:6:7]' is not a valid IPv6 address"],
    ['sip:alice@example.com?subject=x', 'SIP URI headers (?name=value) are not supported in a destination'],
    ['sip:al<ice@example.com', "'al<ice' is not a valid SIP user part"],
    ['sip:alice@example.com;a"b', "';a\"b' is not a valid SIP URI parameter"],
    [`sip:alice@${'a'.repeat(250)}.com`, 'a SIP URI is at most 255 characters'],
  ])('rejects %j: %s', (uri, message) => {
    expect(isSipUri(uri)).toBe(false);
    expect(sipUriProblem(uri)?.message).toBe(message);
  });

  it('parses the parts and suggests a fix for a password or a //', () => {
    expect(parseSipUri('SIPS:bob@pbx.example.com:5061;transport=tls;lr')).toEqual({
      scheme: 'sips',
      user: 'bob',
      host: 'pbx.example.com',
      port: 5061,
      params: [
        ['transport', 'tls'],
        ['lr', ''],
      ],
    });
    expect(parseSipUri('sip:@x')).toBeUndefined();
    expect(sipUriProblem('sip:alice:secret@example.com')?.suggestion).toBe('sip:alice@example.com');
    expect(sipUriProblem('sip://alice@example.com')?.suggestion).toBe('sip:alice@example.com');
  });
});

describe('transfer destinations', () => {
  it('classifies numbers and SIP addresses, normalising the scheme', () => {
    expect(parseTransferDestination('+15551234567')).toEqual({
      ok: true,
      destination: { kind: 'phone', address: '+15551234567' },
    });
    expect(parseTransferDestination('SIP:support@example.com')).toEqual({
      ok: true,
      destination: { kind: 'sip', address: 'sip:support@example.com' },
    });
  });

  it('suggests the sip: scheme for a bare user@host', () => {
    expect(parseTransferDestination('support@example.com')).toEqual({
      ok: false,
      message: "a SIP destination needs the 'sip:' scheme",
      suggestion: 'sip:support@example.com',
    });
  });
});

describe('time zones', () => {
  it.each([
    'UTC',
    'America/New_York',
    'Europe/London',
    'Asia/Kolkata',
    'Asia/Calcutta',
    'Europe/Kyiv',
    'America/Argentina/Buenos_Aires',
    'Etc/GMT+5',
  ])('accepts %s', (zone) => {
    expect(isIanaTimeZone(zone)).toBe(true);
  });

  it.each([
    ['EST', 'America/New_York'],
    ['US/Eastern', 'America/New_York'],
    ['america/new_york', 'America/New_York'],
    ['PST', 'America/Los_Angeles'],
    ['New York', 'America/New_York'],
    ['Mars/Olympus_Mons', undefined],
    ['', undefined],
  ])('rejects %j (suggesting %s)', (zone, suggestion) => {
    expect(isIanaTimeZone(zone)).toBe(false);
    expect(suggestTimeZone(zone)).toBe(suggestion);
  });
});

describe('public URLs', () => {
  it.each([
    'https://cdn.example.com/hold.mp3',
    'http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3',
  ])('accepts %s', (url) => {
    expect(publicUrlProblem(url)).toBeUndefined();
  });

  it.each([
    ['ftp://example.com/a.mp3', 'the URL must use https:// (or http://)'],
    ['example.com/a.mp3', 'not an absolute URL (expected https://...)'],
    [
      'https://user:pass@example.com/a.mp3',
      'the URL must not contain a user name or password; never put credentials in URLs',
    ],
    [
      'https://example.com/a.mp3?api_key=123',
      "the URL has a credential-looking query parameter 'api_key'; never put credentials in URLs",
    ],
    ['https:///a.mp3', 'the URL needs a host (https://host/path)'],
  ])('rejects %s', (url, message) => {
    expect(publicUrlProblem(url)?.message).toBe(message);
  });
});
