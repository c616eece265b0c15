import { SwitchboardError } from '@switchboard/common/errors';
import { describe, expect, it } from 'vitest';
import { calcomFindBooking } from './calcom.js';
import { parseFindBookingInput } from './calcom-payloads.js';

const base = { credential: 'calcom_main', time_zone: 'Europe/Paris' };

describe('calcom.find_booking payload', () => {
  it("takes the LLM's e-mail and phone over the call's, member by member", () => {
    expect(
      parseFindBookingInput({
        ...base,
        attendee: { email: 'grace@example.com' },
        caller: { email: 'ada@example.com', phone: '+15559876543' },
        event_type_id: 1001,
      }),
    ).toEqual({
      credential: 'calcom_main',
      email: 'grace@example.com',
      phone: '+15559876543',
      eventTypeId: 1001,
      timeZone: 'Europe/Paris',
    });
    expect(parseFindBookingInput({ ...base, booking_uid: ' bk_1 ', attendee: {} })).toEqual({
      credential: 'calcom_main',
      bookingUid: 'bk_1',
      timeZone: 'Europe/Paris',
    });
  });

  it("ignores a call context that is not an e-mail or E.164 number, but refuses the LLM's", () => {
    expect(parseFindBookingInput({ ...base, caller: { email: 'n/a', phone: '555-1234' } })).toEqual({
      credential: 'calcom_main',
      timeZone: 'Europe/Paris',
    });
    let error: unknown;
    try {
      parseFindBookingInput({ credential: '', attendee: { email: 'ada at example', phone: '555' } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SwitchboardError);
    expect((error as SwitchboardError).code).toBe('provider_invalid_input');
    expect((error as SwitchboardError).details).toEqual({
      issues: [
        { pointer: '/credential', message: 'must not be empty' },
        { pointer: '/time_zone', message: 'is required' },
        { pointer: '/attendee/email', message: "must be an e-mail address, got 'ada at example'" },
        { pointer: '/attendee/phone', message: "must be in E.164 format such as +15551234567, got '555'" },
      ],
    });
  });

  it('only reads (a retry changes nothing)', () => {
    expect(calcomFindBooking.traits.exactlyOnce).toBe('none');
  });
});
