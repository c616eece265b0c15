/**
 * The booking chains both chaos tests drive (single mode: booking-chaos.test.ts; cluster mode:
 * booking-chaos-cluster.test.ts): the agent, the chains (book a Cal.com slot, then text the
 * caller a confirmation), and small helpers to run them. What a run left behind is judged in
 * judge.ts.
 */
import { expect } from 'vitest';
import type { TestStack } from '../support/stack.js';
import type { ToolCallOutcome } from './client.js';

export const AGENT = 'chaos-booker';
export const BOOK = 'Book Appointment';
export const SMS = 'Text Confirmation';
/** How our confirmation text starts (other texts, e.g. a booking lifecycle's, are told apart by it). */
export const SMS_PREFIX = 'Booked:';
const TIME_ZONE = 'America/New_York';
/** Event type 1001 of the Cal.com sandbox: 30-minute slots, weekdays 09:00–17:00 in the host zone. */
const SLOTS_PER_DAY = 16;

/** An integer from the environment, or `fallback`; throws on a value outside [min, max]. */
export function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer in [${min}, ${max}]`);
  return n;
}

/**
 * Saves the chaos agent: a Cal.com booking and an SMS confirmation. The text names the booking
 * (start and uid) and ends with the chain it belongs to (the call's `message` argument,
 * {@link smsArguments}), so a text is traced to its call even when a conversation has several.
 */
export async function saveBookingAgent(stack: TestStack): Promise<void> {
  const saved = await stack.api('PUT', `/v1/agents/${AGENT}`, {
    instructions: `Book with '${BOOK}', then confirm with '${SMS}'.`,
    actions: [
      {
        type: 'calcom_book',
        name: BOOK,
        description: 'Books a 30-minute consultation for the caller.',
        config: { credential: 'calcom_main', event_type_id: 1001, time_zone: TIME_ZONE, metadata: { source: 'chaos' } },
      },
      {
        type: 'send_sms',
        name: SMS,
        description: 'Texts the caller the booking confirmation.',
        config: {
          credential: 'twilio_main',
          from: '+15557654321',
          body: `${SMS_PREFIX} {{calcom_booking.start}} (ref {{calcom_booking.booking_uid}}), {{params.message}}`,
        },
      },
    ],
  });
  expect(saved.status, JSON.stringify(saved.body)).toBe(200);
}

/** What one chain is: its caller, its slot. */
export interface Chain {
  index: number;
  email: string;
  /** The caller's number (the conversation's): where the confirmation goes. */
  phone: string;
  start: string;
}

/** The tool calls' arguments. */
export const bookArguments = (chain: Chain) => ({
  start: chain.start,
  name: `Chaos Caller ${chain.index}`,
  email: chain.email,
});
export const smsArguments = (chain: Chain) => ({ message: `chain ${chain.index}` });
/** The chain a confirmation text belongs to (see {@link smsArguments}), if it is one of ours. */
export function chainOfText(body: string): number | undefined {
  const m = body.startsWith(SMS_PREFIX) ? /, chain (\d+)$/.exec(body) : null;
  return m ? Number(m[1]) : undefined;
}

/** Weekdays from a week ahead on, `YYYY-MM-DD` (UTC dates; availability is in the host zone). */
function weekdays(count: number): string[] {
  const days: string[] = [];
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 7);
  while (days.length < count) {
    const dow = d.getUTCDay();
    if (dow !== 0 && dow !== 6) days.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return days;
}

/**
 * `count` chains, each with its own attendee and slot; the caller's number is the chain's own
 * unless `phoneOf` says otherwise (several chains of one conversation share its caller).
 */
export function chainsToRun(count: number, phoneOf: (index: number) => number = (i) => i): Chain[] {
  const days = weekdays(Math.ceil(count / SLOTS_PER_DAY));
  return Array.from({ length: count }, (_, index) => {
    const minutes = 9 * 60 + 30 * (index % SLOTS_PER_DAY);
    const time = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}:00`;
    return {
      index,
      email: `chaos-${index}@example.com`,
      phone: `+1555${String(2_000_000 + phoneOf(index)).padStart(7, '0')}`,
      start: `${days[Math.floor(index / SLOTS_PER_DAY)]}T${time}`,
    };
  });
}

/** The conversation a chain runs in: its caller, and a Twilio call sid of its own. */
export const conversationBody = (chain: Chain, n: number) => ({
  agent: AGENT,
  contact: { first_name: `Caller${n}`, email: chain.email },
  call: { sid: `CA${n.toString(16).padStart(32, '0')}`, from: chain.phone, to: '+15557654321' },
});

/** How one chain ended, as the client saw it. */
export interface ChainRun {
  chain: Chain;
  conversationId?: string;
  book?: ToolCallOutcome;
  sms?: ToolCallOutcome;
  /** Intent ids the chain submitted (derived from its keys, as the API derives them). */
  intentIds: string[];
  latencyMs?: number;
  clientError?: string;
  /** The budget ran out before the chain's turn came. */
  notStarted?: boolean;
  /** When the chain started and ended, ms since the run started (for the report file). */
  startedAt?: number;
  endedAt?: number;
}

/** Runs `work` over `items` with at most `limit` at once. */
export async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  });
  await Promise.all(lanes);
  return results;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}
