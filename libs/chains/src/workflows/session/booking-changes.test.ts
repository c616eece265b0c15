import type { SessionIntent } from '@switchboard/contracts/temporal';
import { describe, expect, it } from 'vitest';
import { bookingChangeOf } from './booking-changes.js';
import { Bookings } from './state.js';

const intent = {
  intentId: 'int_1',
  tenantId: 'ten_1',
  conversationId: 'conv_1',
  sandbox: false,
} as unknown as SessionIntent;

const bookResult = { booking_uid: 'bk_a', start: '2030-03-11T10:00:00-04:00' };
const bookPayload = {
  credential: 'calcom_main',
  time_zone: 'America/New_York',
  attendee: { name: 'Ada', time_zone: 'America/New_York', phone_number: '+15551230000' },
};
const sms = { to: '+15551230000', credential: 'twilio_main', from: '+15557654321' };

describe('bookingChangeOf', () => {
  it('names every uid whose lifecycle may follow the booking: now, before the move, and its lineage', () => {
    const moved = bookingChangeOf(intent, 'rescheduled', {
      booking_uid: 'bk_c',
      start: '2030-03-12T15:00:00+01:00',
      previous_booking_uid: 'bk_b',
      booking_lineage: ['bk_b', 'bk_a'],
    });
    expect(moved).toEqual({
      change: {
        change: 'rescheduled',
        bookingUid: 'bk_c',
        start: '2030-03-12T15:00:00+01:00',
        conversationId: 'conv_1',
        intentId: 'int_1',
      },
      uids: ['bk_c', 'bk_b', 'bk_a'],
    });
    expect(
      bookingChangeOf(intent, 'cancelled', { booking_uid: 'bk_a', start: 'x', booking_lineage: [] })?.uids,
    ).toEqual(['bk_a']);
    expect(bookingChangeOf(intent, 'cancelled', { status: 'cancelled' })).toBeUndefined();
  });
});

describe('Bookings.changed', () => {
  it('drops a kept booking cancelled before its lifecycle started; moves a rescheduled one', () => {
    const cancelled = new Bookings();
    cancelled.booked(intent, bookPayload, bookResult);
    const change = bookingChangeOf(intent, 'cancelled', { ...bookResult, booking_lineage: [] });
    cancelled.changed(change!.change, change!.uids);
    expect(cancelled.takeForSms(sms)).toEqual([]);

    const moved = new Bookings();
    moved.booked(intent, bookPayload, bookResult);
    moved.booked(intent, bookPayload, { booking_uid: 'bk_other', start: '2030-03-13T10:00:00-04:00' });
    const move = bookingChangeOf(intent, 'rescheduled', {
      booking_uid: 'bk_new',
      start: '2030-03-14T09:00:00-04:00',
      previous_booking_uid: 'bk_a',
      booking_lineage: ['bk_a'],
    });
    moved.changed(move!.change, move!.uids);
    expect(moved.takeForSms(sms).map((b) => [b.bookingUid, b.start])).toEqual([
      ['bk_new', '2030-03-14T09:00:00-04:00'],
      ['bk_other', '2030-03-13T10:00:00-04:00'],
    ]);
  });
});
