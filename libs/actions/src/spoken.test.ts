import { wallTimeAt } from '@switchboard/common/time-zones';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateBuiltinAction } from './builtins/catalog.js';
import type { ScopeView } from './paths.js';
import { isLocale, spokenValue } from './spoken.js';
import { checkTemplate, parseTemplate, renderTemplate, templatePaths } from './templates.js';

describe('spokenValue', () => {
  it('says a UTC instant in the caller’s zone, minutes only when not zero', () => {
    expect(spokenValue('spoken_datetime', '2026-12-09T20:00:00.000Z', 'America/New_York')).toBe(
      'Wednesday, December 9 at 3 PM',
    );
    expect(spokenValue('spoken_datetime', '2026-12-09T20:30:00Z', 'America/Los_Angeles')).toBe(
      'Wednesday, December 9 at 12:30 PM',
    );
    expect(spokenValue('spoken_time', '2026-12-09T20:05:00Z', 'America/New_York')).toBe('3:05 PM');
    expect(spokenValue('spoken_date', '2026-12-09T03:00:00Z', 'America/New_York')).toBe('Tuesday, December 8');
  });

  it('takes a zone-less time as wall time in the zone, and an offset as absolute', () => {
    expect(spokenValue('spoken_datetime', '2026-12-09T15:00:00', 'Europe/Paris')).toBe('Wednesday, December 9 at 3 PM');
    expect(spokenValue('spoken_datetime', '2026-12-09T15:00:00-05:00', 'Europe/Paris')).toBe(
      'Wednesday, December 9 at 9 PM',
    );
  });

  it('follows the locale', () => {
    expect(spokenValue('spoken_datetime', '2026-12-09T14:00:00Z', 'Europe/Paris', 'fr-FR')).toBe(
      'mercredi 9 décembre à 15 h',
    );
    expect(spokenValue('spoken_datetime', '2026-12-09T14:30:00Z', 'Europe/Berlin', 'de-DE')).toBe(
      'Mittwoch, 9. Dezember um 15:30',
    );
    // An unusable locale falls back to en-US.
    expect(spokenValue('spoken_time', '2026-12-09T14:00:00Z', 'UTC', 'not a locale!')).toBe('2 PM');
  });

  it('says a calendar date as written, whatever the zone', () => {
    expect(spokenValue('spoken_date', '2026-12-09', 'Pacific/Kiritimati')).toBe('Wednesday, December 9');
    expect(spokenValue('spoken_date', '2026-12-09', undefined)).toBe('Wednesday, December 9');
  });

  it('declines what it cannot say truthfully: not a date, no zone, an unknown zone', () => {
    expect(spokenValue('spoken_datetime', 'tomorrow', 'UTC')).toBeUndefined();
    expect(spokenValue('spoken_datetime', 42, 'UTC')).toBeUndefined();
    expect(spokenValue('spoken_datetime', '2026-12-09T20:00:00Z', undefined)).toBeUndefined();
    expect(spokenValue('spoken_datetime', '2026-12-09T20:00:00Z', 'Mars/Olympus')).toBeUndefined();
    expect(spokenValue('spoken_datetime', '2026-02-30T20:00:00Z', 'UTC')).toBeUndefined();
  });

  it('knows locales', () => {
    expect(isLocale('en-US')).toBe(true);
    expect(isLocale('')).toBe(false);
    expect(isLocale('en_US!')).toBe(false);
  });
});

const ZONES = ['UTC', 'America/New_York', 'America/Los_Angeles', 'Europe/Paris', 'Asia/Kolkata', 'Australia/Sydney'];
const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2090, 0, 1) });
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

describe('spokenValue properties', () => {
  it('says the wall-clock day, month, hour and minute of the instant in the zone', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom(...ZONES), (ms, zone) => {
        const wall = wallTimeAt(ms, zone);
        const said = spokenValue('spoken_datetime', new Date(ms).toISOString(), zone);
        const hour12 = wall.hour % 12 === 0 ? 12 : wall.hour % 12;
        const minutes = wall.minute === 0 ? '' : `:${String(wall.minute).padStart(2, '0')}`;
        const suffix = wall.hour < 12 ? 'AM' : 'PM';
        expect(said).toMatch(/^[A-Z][a-z]+day, /);
        expect(said?.endsWith(` ${MONTHS[wall.month - 1]} ${wall.day} at ${hour12}${minutes} ${suffix}`)).toBe(true);
      }),
    );
  });

  it('never throws and never says a value it could not parse', () => {
    fc.assert(
      fc.property(fc.string(), fc.option(fc.string()), fc.option(fc.string()), (value, zone, locale) => {
        const said = spokenValue('spoken_datetime', value, zone ?? undefined, locale ?? undefined);
        if (said !== undefined) expect(Number.isNaN(Date.parse(value.trim().slice(0, 10)))).toBe(false);
      }),
    );
  });
});

function view(params: Record<string, string>, context: Record<string, unknown> = {}): ScopeView {
  return { params, context, flags: {}, workflow: {}, agents: {}, outputs: {} } as ScopeView;
}

describe('template filters', () => {
  const booked = view({ time_zone: 'America/New_York' }, { calcom_booking: { start: '2026-12-09T20:00:00.000Z' } });

  it('render a stored time for speech with path and literal arguments', () => {
    expect(renderTemplate('Booked for {{ calcom_booking.start | spoken_datetime: params.time_zone }}.', booked)).toBe(
      'Booked for Wednesday, December 9 at 3 PM.',
    );
    expect(renderTemplate("{{calcom_booking.start | spoken_time: 'Europe/Paris', 'fr-FR'}}", booked)).toBe('21 h');
  });

  it('insert the raw value when it cannot be said (missing zone at run time, not a date)', () => {
    expect(renderTemplate('{{calcom_booking.start | spoken_datetime: params.nope}}', booked)).toBe(
      '2026-12-09T20:00:00.000Z',
    );
    expect(renderTemplate('{{params.time_zone | spoken_date: params.time_zone}}', booked)).toBe('America/New_York');
  });

  it('list filter arguments among the paths a template reads', () => {
    expect(templatePaths('{{ calcom_booking.start | spoken_datetime: params.time_zone, "en-GB" }}')).toEqual([
      'calcom_booking.start',
      'params.time_zone',
    ]);
    const [part] = parseTemplate('{{a | spoken_date: params.tz}}').parts;
    expect(part).toMatchObject({ kind: 'path', source: 'a', filter: { name: 'spoken_date' } });
  });

  it('reject unknown filters, wrong arguments and bad literals, keeping the placeholder literal', () => {
    expect(checkTemplate('{{a | upcase}}')[0]?.message).toMatch(/unknown filter 'upcase'/);
    expect(checkTemplate('{{a | spoken_datetime}}')[0]?.message).toMatch(/takes the caller's time zone/);
    expect(checkTemplate("{{a | spoken_datetime: 'Mars/Base'}}")[0]?.message).toMatch(/not an IANA time zone/);
    expect(checkTemplate("{{a | spoken_datetime: 'UTC', 'x!'}}")[0]?.message).toMatch(/not a locale/);
    expect(checkTemplate('{{a | spoken_datetime: params.}}')[0]?.message).toMatch(/argument 'params.'/);
    expect(renderTemplate('{{a | upcase}}', booked)).toBe('{{a | upcase}}');
    expect(checkTemplate('{{ calcom_booking.start | spoken_datetime: params.time_zone }}')).toEqual([]);
  });
});

describe('filters in builtin settings', () => {
  const sms = (config: Record<string, unknown>) => ({
    type: 'send_sms',
    name: 'Send SMS Confirmation',
    description: 'Texts the caller.',
    config: { credential: 'twilio_main', from: '+15557654321', body: 'Booked.', ...config },
  });

  it('are taken by spoken messages (success and failure messages)', () => {
    expect(
      validateBuiltinAction(
        sms({ success_message: "Texted about {{calcom_booking.start | spoken_date: 'America/New_York'}}." }),
      ),
    ).toEqual([]);
  });

  it('are refused where the template becomes request parts (an SMS body), with a pointer', () => {
    const issues = validateBuiltinAction(sms({ body: "Booked for {{calcom_booking.start | spoken_datetime: 'UTC'}}" }));
    expect(issues).toEqual([
      expect.objectContaining({
        pointer: '/config/body',
        message: "'{{calcom_booking.start | spoken_datetime}}': filters work only in spoken messages",
      }),
    ]);
  });
});
