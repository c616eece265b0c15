import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { isoMs, servicePoints, signalledIntents } from './hop-timeline.js';
import { type CallTimeline, chainHops, HopPoints, hopTable } from './hops.js';

// A booking chain's session as release 11 recorded it (libs/chains/histories): three intents,
// each a first local activity, one effect activity and the outcome's local activity.
const recorded = fileURLToPath(
  new URL('../../../libs/chains/histories/11-0ff28c4/conversationSession-1.json.gz', import.meta.url),
);
const history = proto.temporal.api.history.v1.History.fromObject(
  JSON.parse(gunzipSync(readFileSync(recorded)).toString('utf8')),
);
const ms = (seconds: number, nanos: number) => seconds * 1000 + nanos / 1e6;

describe('signalledIntents', () => {
  const intents = signalledIntents(history, 'intent');

  it('finds every intent with the points of its path, from the event times and the markers', () => {
    expect([...intents.keys()]).toEqual([
      'int_685a8b00bedbcb60987ceea8',
      'int_5295af98d4f899600e4e619d',
      'int_bdd34875425882ff715f5421',
    ]);
    const first = intents.get('int_685a8b00bedbcb60987ceea8');
    expect(first?.createdAtMs).toBe(1796600577525);
    const t = first?.timeline ?? {};
    expect(t.signaled).toBeCloseTo(ms(1796600577, 557942486), 6);
    expect(t.taskScheduled).toBeCloseTo(ms(1796600577, 558038259), 6);
    expect(t.taskStarted).toBeCloseTo(ms(1796600577, 566334408), 6);
    // The marker: scheduled at its original_schedule_time; done after the runtime it measured
    // (complete_time − the task's start: 593516005 − 566334408 ns).
    expect(t.firstLocalScheduled).toBeCloseTo(ms(1796600577, 979865649), 6);
    expect(t.firstLocalDone).toBeCloseTo(ms(1796600577, 979865649) + 27.181597, 6);
    expect(t.effectScheduled).toBeCloseTo(ms(1796600578, 22199904), 6);
    expect(t.effectStarted).toBeCloseTo(ms(1796600578, 26773045), 6);
    expect(t.effectCompleted).toBeCloseTo(ms(1796600578, 145831997), 6);
    expect(t.outcomeTaskStarted).toBeCloseTo(ms(1796600578, 148419411), 6);
    expect(t.outcomeLocalScheduled).toBeCloseTo(ms(1796600578, 170169105), 6);
  });

  it('gives every intent of the chain all its history points, in path order', () => {
    const historyPoints = HopPoints.slice(HopPoints.indexOf('signaled'), HopPoints.indexOf('resultStored'));
    for (const { timeline } of intents.values()) {
      const times = historyPoints.map((p) => timeline[p]);
      expect(times.every((v) => v !== undefined)).toBe(true);
      expect([...(times as number[])].sort((a, b) => a - b)).toEqual(times);
    }
  });
});

describe('servicePoints', () => {
  it('places the Server-Timing stages around the intent’s createdAt', () => {
    const header =
      'request;dur=3.00, conversation;dur=1.00, run;dur=1.00, agent;dur=0.50, action;dur=1.00, status;dur=1.50, ' +
      'encode;dur=0.80, insert;dur=1.20, intent-ack;dur=1.50, accepted-ack;dur=1.30, loop-p50;dur=0.10, loop-p99;dur=2.00';
    const p = servicePoints(header, 1000);
    expect(p.created).toBe(1000.5);
    expect(p.service).toBeCloseTo(1000.5 - 8, 9);
    expect(p.stored).toBeCloseTo(1000.5 + 3.5, 9);
    expect(servicePoints('request;dur=3.00', 1000)).toEqual({});
  });

  it('reads JetStream’s nanosecond times', () => {
    expect(isoMs('2026-12-07T01:02:03.123456789Z')).toBeCloseTo(Date.UTC(2026, 11, 7, 1, 2, 3) + 123.456789, 6);
    expect(isoMs('2026-12-07T01:02:03Z')).toBe(Date.UTC(2026, 11, 7, 1, 2, 3));
  });
});

/** A call whose every point is `step` ms after the one before, from `start`. */
const call = (start: number, step: number, skip: string[] = []): CallTimeline =>
  Object.fromEntries(HopPoints.filter((p) => !skip.includes(p)).map((p, i) => [p, start + i * step]));

describe('chainHops and hopTable', () => {
  it('adds up to the chain, the gaps between calls included', () => {
    const calls = [call(0, 1), call(20, 2), call(60, 1)];
    const hops = chainHops(calls);
    expect(hops).toBeDefined();
    const top = ['to-signal', 'task-wait', 'task-dispatch', 'activation-1', 'local-1', 'task-complete'];
    top.push('effect-dispatch', 'effect', 'outcome-task', 'activation-2', 'to-client', 'client-gap');
    const sum = top.reduce((s, k) => s + (hops?.[k] ?? Number.NaN), 0);
    expect(sum).toBeCloseTo((calls[2]?.answered as number) - 0, 9);
    // 15 points after `sent`: the first call answers at 15, the second is sent at 20.
    expect(hops?.['client-gap']).toBe(5 + (60 - 50));
    // A part is its parent's share: HTTP is sent → service, one step per call.
    expect(hops?.http).toBe(1 + 2 + 1);
  });

  it('leaves out a chain that lacks a point of a top-level hop, and only the part that lacks one of its own', () => {
    expect(chainHops([call(0, 1), call(20, 1, ['effectStarted'])])).toBeUndefined();
    const ceiling = chainHops([call(0, 1, ['service', 'created', 'stored', 'resultStored'])]);
    // The ceiling's call: sent, then straight to the signal (the next point).
    expect(ceiling?.['to-signal']).toBe(1);
    expect(ceiling?.http).toBeUndefined();
    expect(ceiling?.outcome).toBeUndefined();
    const table = hopTable([[call(0, 1)], [call(0, 1, ['effectStarted'])], [call(0, 3)]]);
    expect(table.chains).toBe(2);
    expect(table.skipped).toBe(1);
    expect(table.sumOfMeans).toBeCloseTo(table.chain.mean as number, 9);
  });
});
