import { zonedTimeToUtc } from '@switchboard/common/time-zones';
import { describe, expect, it } from 'vitest';
import { BookingTexts, exampleTime, formatWhen } from './booking-texts.js';
import { classifyReply, parseWallTime } from './sms-replies.js';

// The booking lifecycle workflow runs against a real Temporal server in
// test/src/integration/booking-lifecycle.test.ts; these are its pure parts: the reply grammar
// and the customer texts.

describe('classifyReply', () => {
  it.each([
    ['YES', 'confirm'],
    ['  yes ', 'confirm'],
    ['Yes!', 'confirm'],
    ['y', 'confirm'],
    ['Confirm', 'confirm'],
    ['no', 'cancel'],
    ['CANCEL.', 'cancel'],
    ['stop', 'cancel'],
    ['reschedule', 'reschedule'],
    ['yes please, but can we do 4pm?', 'other'],
    ['no problem, see you then', 'other'],
    ['', 'other'],
  ])('%j is %s', (body, kind) => {
    expect(classifyReply(body).kind).toBe(kind);
  });

  it('tells Twilio opt-out words apart (no text can follow them)', () => {
    expect(classifyReply('STOP')).toEqual({ kind: 'cancel', optOut: true });
    expect(classifyReply('unsubscribe')).toEqual({ kind: 'cancel', optOut: true });
    expect(classifyReply('NO')).toEqual({ kind: 'cancel', optOut: false });
  });

  it('reads the time of a RESCHEDULE request', () => {
    expect(classifyReply('RESCHEDULE 2030-03-12 15:00')).toMatchObject({
      kind: 'reschedule',
      time: { wall: '2030-03-12T15:00:00', text: '2030-03-12 15:00' },
    });
    expect(classifyReply('reschedule: 2030-3-5 3:30 pm')).toMatchObject({
      kind: 'reschedule',
      time: { wall: '2030-03-05T15:30:00' },
    });
    expect(classifyReply('Reschedule 2030-03-12T09:05')).toMatchObject({ time: { wall: '2030-03-12T09:05:00' } });
    expect(classifyReply('RESCHEDULE 2030-03-12 12am')).toMatchObject({ time: { wall: '2030-03-12T00:00:00' } });
    expect(classifyReply('RESCHEDULE next tuesday')).toEqual({ kind: 'reschedule' });
  });
});

describe('parseWallTime', () => {
  it('refuses impossible dates and times', () => {
    expect(parseWallTime('2030-02-29 10:00')).toBeUndefined();
    expect(parseWallTime('2028-02-29 10:00')?.wall).toBe('2028-02-29T10:00:00');
    expect(parseWallTime('2030-13-01 10:00')).toBeUndefined();
    expect(parseWallTime('2030-01-01 24:00')).toBeUndefined();
    expect(parseWallTime('2030-01-01 13pm')).toBeUndefined();
    expect(parseWallTime('2030-01-01 10:60')).toBeUndefined();
    expect(parseWallTime('2030-01-01')).toBeUndefined();
  });
});

describe('a requested time in the booking zone (zonedTimeToUtc, as the lifecycle converts it)', () => {
  const at = (text: string, zone: string) => zonedTimeToUtc({ ...parseWallTime(text)!, second: 0 }, zone);

  it('converts wall times in the booking zone, across offsets and DST', () => {
    expect(at('2030-03-12 15:00', 'America/New_York')).toBe(Date.parse('2030-03-12T19:00:00Z'));
    expect(at('2030-01-12 15:00', 'America/New_York')).toBe(Date.parse('2030-01-12T20:00:00Z'));
    expect(at('2030-03-12 15:00', 'Asia/Kolkata')).toBe(Date.parse('2030-03-12T09:30:00Z'));
    expect(at('2030-03-12 15:00', 'UTC')).toBe(Date.parse('2030-03-12T15:00:00Z'));
    // The day DST starts in New York (2030-03-10): 01:59 is EST, 03:00 EDT.
    expect(at('2030-03-10 01:30', 'America/New_York')).toBe(Date.parse('2030-03-10T06:30:00Z'));
    expect(at('2030-03-10 03:30', 'America/New_York')).toBe(Date.parse('2030-03-10T07:30:00Z'));
  });
});

describe('formatWhen', () => {
  it('renders the instant in the booking zone', () => {
    const ms = Date.parse('2030-03-12T19:00:00Z');
    expect(formatWhen(ms, 'America/New_York')).toBe('Tue, Mar 12, 3:00 PM EDT');
    expect(formatWhen(ms, 'Europe/Berlin')).toMatch(/^Tue, Mar 12, 8:00 PM (GMT\+1|CET)$/);
  });
});

describe('customer texts', () => {
  it('suggest a RESCHEDULE time the grammar reads: the next day, same wall time, in the zone', () => {
    const ms = Date.parse('2030-03-09T15:00:00Z'); // 10:00 EST, the day before DST starts
    expect(exampleTime(ms, 'America/New_York')).toBe('2030-03-10 11:00');
    expect(classifyReply(`RESCHEDULE ${exampleTime(ms, 'Asia/Kolkata')}`)).toMatchObject({
      kind: 'reschedule',
      time: { wall: '2030-03-10T20:30:00' },
    });
  });

  it('ask for a YES only while the booking awaits confirmation', () => {
    expect(BookingTexts.reminder('Tue, Mar 12, 3:00 PM EDT', true)).toBe(
      'Reminder: your appointment is on Tue, Mar 12, 3:00 PM EDT. Reply YES to confirm or NO to cancel.',
    );
    expect(BookingTexts.reminder('Tue, Mar 12, 3:00 PM EDT', false)).toBe(
      'Reminder: your appointment is on Tue, Mar 12, 3:00 PM EDT.',
    );
    expect(BookingTexts.help('X', false, '2030-03-13 15:00')).toBe(
      'About your appointment on X: reply NO to cancel, or RESCHEDULE with a new date and time (e.g. RESCHEDULE 2030-03-13 15:00).',
    );
    expect(BookingTexts.confirmRequest('Ada', 'X', undefined, 'E')).toBe(
      'Hi Ada, your appointment is booked for X. Please reply YES to confirm, NO to cancel, or RESCHEDULE with a new date and time (e.g. RESCHEDULE E).',
    );
    expect(BookingTexts.confirmRequest('Ada', 'X', 'Y', 'E')).toContain('reply YES to confirm by Y, NO to cancel');
  });
});
