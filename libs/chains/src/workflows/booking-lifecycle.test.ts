import { describe, expect, it } from 'vitest';
import { classifyReply, formatWhen, parseWallTime, wallTimeToMs } from './booking-lifecycle.workflow.js';

// The workflow itself runs against a real Temporal server in
// test/src/integration/booking-lifecycle.test.ts; these are its pure helpers.

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

describe('wallTimeToMs', () => {
  const at = (text: string, zone: string) => wallTimeToMs(parseWallTime(text)!, zone);

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
