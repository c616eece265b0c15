/**
 * `cancel_booking` and `reschedule_booking`: configured like `calcom_book` (credential from the
 * configuration, never from the LLM), they find the booking (by uid, else among the caller's
 * upcoming bookings) in one read step and change it in a second step that names it by uid.
 */
import { readFileSync } from 'node:fs';
import type { JsonValue } from '@switchboard/common';
import { SwitchboardError } from '@switchboard/common/errors';
import { describe, expect, it } from 'vitest';
import { type ChainState, type EffectExecutor, type EffectRequest, emptyState, interpret } from '../interpreter.js';
import type { CanonicalAction } from '../model.js';
import { parseBuiltinAction, validateBuiltinAction } from './catalog.js';
import { FOUND_BOOKING_KEY } from './definitions.js';
import { BUILTIN_CATALOG } from './kinds.js';

const examplesDir = new URL('../../schemas/builtin-examples/', import.meta.url);
const example = (file: string) =>
  JSON.parse(readFileSync(new URL(file, examplesDir), 'utf8')) as Record<string, unknown>;

class Recorder implements EffectExecutor {
  readonly requests: EffectRequest[] = [];
  constructor(private readonly answers: Record<string, JsonValue | Error>) {}
  async execute(request: EffectRequest): Promise<JsonValue> {
    this.requests.push(structuredClone(request));
    const answer = this.answers[request.operation ?? ''];
    if (answer instanceof Error) throw answer;
    return answer ?? null;
  }
}

const state = (): ChainState => ({
  ...emptyState(),
  context: {
    call: { sid: 'CA0123456789abcdef0123456789abcdef', from: '+15559876543' },
    contact: { first_name: 'Ada', email: 'ada@example.com' },
  },
});

const found = {
  booking_id: 7,
  booking_uid: 'bk_old',
  status: 'accepted',
  start: '2026-12-14T09:00:00-05:00',
  end: '2026-12-14T09:30:00-05:00',
  time_zone: 'America/New_York',
};

const run = (action: CanonicalAction, params: Record<string, JsonValue>, executor: Recorder) =>
  interpret({ action, params, state: state() }, executor);

describe('cancel_booking', () => {
  const action = parseBuiltinAction(example('cancel_appointment.builtin.json'));

  it("finds the caller's booking from the call context, then cancels it by uid with the configured credential", async () => {
    const cancelled = { ...found, status: 'cancelled' };
    const executor = new Recorder({ 'calcom.find_booking': found, 'calcom.cancel': cancelled });
    const result = await run(action, { reason: 'sick' }, executor);
    expect(result.status).toBe('succeeded');
    expect(executor.requests.map((r) => [r.operation, r.payload])).toEqual([
      [
        'calcom.find_booking',
        {
          credential: 'calcom_main',
          attendee: {},
          caller: { email: 'ada@example.com', phone: '+15559876543' },
          time_zone: 'America/New_York',
          event_type_id: 123456,
        },
      ],
      [
        'calcom.cancel',
        { credential: 'calcom_main', booking_uid: 'bk_old', reason: 'sick', time_zone: 'America/New_York' },
      ],
    ]);
    expect(result.outputs).toEqual({
      booking_uid: 'bk_old',
      status: 'cancelled',
      start: found.start,
      end: found.end,
    });
    expect(result.state.context[FOUND_BOOKING_KEY]).toEqual(found);
  });

  it('passes the uid and the e-mail the LLM gave; a bad e-mail or phone stops before any provider call', async () => {
    const executor = new Recorder({ 'calcom.find_booking': found, 'calcom.cancel': found });
    await run(action, { booking_uid: 'bk_x', email: 'grace@example.com', phone: '+15550001111' }, executor);
    expect(executor.requests[0]?.payload).toMatchObject({
      booking_uid: 'bk_x',
      attendee: { email: 'grace@example.com', phone: '+15550001111' },
    });
    const checked = new Recorder({});
    const badEmail = await run(action, { email: 'grace at example' }, checked);
    expect(badEmail.error).toMatchObject({ code: 'validation_failed' });
    const badPhone = await run(action, { phone: '555-1111' }, checked);
    expect(badPhone.error).toMatchObject({ code: 'validation_failed' });
    expect(checked.requests).toEqual([]);
  });

  it("says the failure message with the finder's error (e.g. several upcoming bookings) and cancels nothing", async () => {
    const ambiguous = new SwitchboardError(
      'booking_ambiguous',
      'the caller has 2 upcoming bookings: Monday, December 14 at 9 AM (uid bk_1), Monday, December 14 at 10 AM (uid bk_2)',
      { retryable: false },
    );
    const executor = new Recorder({ 'calcom.find_booking': ambiguous });
    const result = await run(action, {}, executor);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'booking_ambiguous' });
    const said = result.events.flatMap((e) => (e.type === 'respond' ? [e.message] : []));
    expect(said).toEqual([`I couldn't cancel that appointment. ${ambiguous.message}`]);
    expect(executor.requests.map((r) => r.operation)).toEqual(['calcom.find_booking']);
  });
});

describe('reschedule_booking', () => {
  const action = parseBuiltinAction(example('reschedule_appointment.builtin.json'));

  it('moves the found booking to the local start in the caller zone; the moved booking is stored where booking stores it', async () => {
    const moved = {
      ...found,
      booking_uid: 'bk_new',
      start: '2026-12-14T16:00:00+01:00',
      end: '2026-12-14T16:30:00+01:00',
      time_zone: 'Europe/Paris',
      previous_booking_uid: 'bk_old',
    };
    const executor = new Recorder({ 'calcom.find_booking': found, 'calcom.reschedule': moved });
    const result = await run(action, { start: '2026-12-14T16:00:00', time_zone: 'Europe/Paris' }, executor);
    expect(result.status).toBe('succeeded');
    expect(executor.requests[1]).toMatchObject({
      operation: 'calcom.reschedule',
      payload: {
        credential: 'calcom_main',
        booking_uid: 'bk_old',
        start: '2026-12-14T16:00:00',
        time_zone: 'Europe/Paris',
      },
    });
    expect(result.outputs).toEqual({
      booking_uid: 'bk_new',
      previous_booking_uid: 'bk_old',
      status: 'accepted',
      start: moved.start,
      end: moved.end,
    });
    expect(result.state.context.calcom_booking).toEqual(moved);
    const said = result.events.flatMap((e) => (e.type === 'respond' ? [e.message] : []));
    expect(said).toEqual(['Done: your appointment is now on Monday, December 14 at 4 PM.']);
  });

  it('needs a start', () => {
    expect(action.parameters.find((p) => p.name === 'start')).toMatchObject({ required: true, type: 'datetime' });
  });
});

describe('configuration', () => {
  it('takes the credential from the configuration only; incomplete until one is set, with the form pointer', () => {
    for (const type of ['cancel_booking', 'reschedule_booking'] as const) {
      expect(BUILTIN_CATALOG[type]).toMatchObject({ category: 'integration', credentialProvider: 'calcom' });
      const doc = { type, name: 'Change Booking', description: 'Changes a booking.', config: {} };
      const issues = validateBuiltinAction(doc);
      expect(issues.map((i) => i.pointer)).toContain('/config/credential');
      const action = parseBuiltinAction({ ...doc, config: { credential: 'calcom_main' } });
      expect(action.parameters.map((p) => p.name)).not.toContain('credential');
    }
  });
});
