import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Streams } from '@switchboard/contracts';
import { type ServiceName, ServiceNames } from '@switchboard/devstack';
import { histogramCount, MetricNames, type PromFamily, parsePrometheusText } from '@switchboard/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextMonday } from '../support/dates.js';
import { eventually, startTestStack, type TestStack } from '../support/stack.js';

// Every service's GET /metrics as Prometheus scrapes it, against the calls the test made, and
// the services' JSON log lines joined to the traces of the requests that wrote them.
let stack: TestStack;
let logDir: string;
/** The conversation the booking test made its bookings in. */
let bookedIn: string;

beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-metrics-'));
  stack = await startTestStack(logDir, {
    // Request lines are logged at info; metrics are pushed every second as well as served.
    serviceEnv: { LOG_LEVEL: 'info', OTEL_METRIC_EXPORT_INTERVAL: '1000' },
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

async function scrape(name: ServiceName): Promise<Map<string, PromFamily>> {
  const res = await fetch(stack.services.metricsUrl(name));
  expect(res.status, name).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parsePrometheusText(await res.text());
}

const tool = (conv: string, name: string, args: Record<string, unknown>, headers: Record<string, string> = {}) =>
  stack.api('POST', `/v1/conversations/${conv}/tool-calls`, { name, arguments: args }, headers);

describe('metrics', () => {
  it('counts N booking calls as N in every histogram that sees them, on scrapes that parse', async () => {
    const N = 3;
    const before = {
      conversation: await scrape('conversation'),
      orchestrator: await scrape('orchestrator'),
      calcom: await scrape('calcom-worker'),
    };
    const conv = (
      await stack.api('POST', '/v1/conversations', {
        agent: 'receptionist',
        contact: { first_name: 'Ada', email: 'ada@example.com' },
        call: { sid: `CA${'2'.repeat(32)}`, from: '+15551113333', to: '+15557654321' },
      })
    ).body.id as string;
    bookedIn = conv;
    const availability = await tool(conv, 'Check Availability', { start_date: nextMonday() });
    expect(availability.body.status).toBe('succeeded');
    const slots = availability.body.outputs.slots as { start: string }[];
    expect(slots.length).toBeGreaterThanOrEqual(N);
    let spoke = 0;
    for (const slot of slots.slice(0, N)) {
      const booked = await tool(conv, 'Book Consultation', {
        start: slot.start,
        name: 'Ada Lovelace',
        email: 'ada@example.com',
      });
      expect(booked.body.status, JSON.stringify(booked.body)).toBe('succeeded');
      const kinds = (booked.body.events as { kind: string }[]).map((e) => e.kind);
      if (kinds.includes('progress') || kinds.includes('respond')) spoke++;
    }

    const delta = (
      after: Map<string, PromFamily>,
      earlier: Map<string, PromFamily>,
      name: string,
      match: Record<string, string>,
    ) => histogramCount(after, name, match) - histogramCount(earlier, name, match);

    // The conversation service: one HTTP server observation per request, by route template.
    const conversation = await scrape('conversation');
    const toolRoute = [...(conversation.get(MetricNames.httpServerRequestDuration)?.samples ?? [])].find((s) =>
      s.labels.http_route?.endsWith('/tool-calls'),
    )?.labels.http_route;
    expect(toolRoute).toBe('/v1/conversations/:id/tool-calls');
    expect(
      delta(conversation, before.conversation, MetricNames.httpServerRequestDuration, {
        http_route: toolRoute ?? '',
        http_request_method: 'POST',
        http_response_status_code: '200',
      }),
    ).toBe(N + 1);

    // The orchestrator: one action observation per run that ended, by agent, action, outcome.
    const booking = { agent: 'receptionist', action: 'Book Consultation', outcome: 'succeeded', error_code: '' };
    const orchestrator = await eventually(async () => {
      const now = await scrape('orchestrator');
      return delta(now, before.orchestrator, MetricNames.actionDuration, booking) >= N ? now : undefined;
    });
    expect(delta(orchestrator, before.orchestrator, MetricNames.actionDuration, booking)).toBe(N);
    expect(delta(orchestrator, before.orchestrator, MetricNames.actionDuration, { action: 'Check Availability' })).toBe(
      1,
    );
    // Accepted → first speakable event: once for each run that said something while it ran
    // (the bookings say nothing before their result; the demo's meal log answers with `respond`).
    expect(
      delta(orchestrator, before.orchestrator, MetricNames.actionFirstEvent, {
        agent: 'receptionist',
        action: 'Book Consultation',
      }),
    ).toBe(spoke);
    const demo = (await stack.api('POST', '/v1/conversations', { agent: 'demo' })).body.id as string;
    const meal = await tool(demo, 'save_meal', { meal_type: 'lunch', dishes: ['soup'] });
    expect(meal.body.status, JSON.stringify(meal.body)).toBe('succeeded');
    expect((meal.body.events as { kind: string }[]).map((e) => e.kind)).toContain('respond');
    const spoken = { agent: 'demo', action: 'save_meal' };
    const afterMeal = await eventually(async () => {
      const now = await scrape('orchestrator');
      return delta(now, before.orchestrator, MetricNames.actionFirstEvent, spoken) >= 1 ? now : undefined;
    });
    expect(delta(afterMeal, before.orchestrator, MetricNames.actionFirstEvent, spoken)).toBe(1);

    // The Cal.com worker: one provider request observation per booking created in the sandbox.
    const calcom = await scrape('calcom-worker');
    const created = { provider: 'calcom', operation: 'calcom.bookings.create' };
    expect(delta(calcom, before.calcom, MetricNames.providerRequestDuration, created)).toBe(N);
    const createdStatus = calcom
      .get(MetricNames.providerRequestDuration)
      ?.samples.find((s) => s.labels.operation === created.operation)?.labels;
    expect(createdStatus?.status_code).toMatch(/^2\d\d$/);
    expect(delta(calcom, before.calcom, MetricNames.providerRequestDuration, { operation: 'calcom.slots' })).toBe(1);
    expect(
      stack.sandboxes.calcom.state().bookings.filter((b) => JSON.stringify(b).includes('Ada Lovelace')),
    ).toHaveLength(N);
  });

  it("shows a failing provider: its status codes, the retry, and the run's failure with its code", async () => {
    const before = { orchestrator: await scrape('orchestrator'), calcom: await scrape('calcom-worker') };
    const availability = await tool(bookedIn, 'Check Availability', { start_date: nextMonday() });
    const slot = (availability.body.outputs.slots as { start: string }[]).at(-1);
    const args = { start: slot?.start, name: 'Grace Hopper', email: 'grace@example.com' };
    // One 503 from Cal.com: the activity fails retryably and its retry books.
    stack.sandboxes.calcom.faults.add({ status: 503, count: 1, method: 'POST', pathPrefix: '/v2/bookings' });
    const first = await tool(bookedIn, 'Book Consultation', args);
    expect(first.body.status, JSON.stringify(first.body)).toBe('succeeded');
    // The same slot again: taken, a failure that is no provider outage.
    const taken = await tool(bookedIn, 'Book Consultation', { ...args, email: 'someone@example.com' });
    expect(taken.body.status).toBe('failed');
    const code = taken.body.error.code as string;

    const calcom = await scrape('calcom-worker');
    const created = (labels: Record<string, string>) =>
      histogramCount(calcom, MetricNames.providerRequestDuration, { operation: 'calcom.bookings.create', ...labels }) -
      histogramCount(before.calcom, MetricNames.providerRequestDuration, {
        operation: 'calcom.bookings.create',
        ...labels,
      });
    expect(created({ status_code: '503' })).toBe(1);
    const retries = (families: Map<string, PromFamily>) =>
      (families.get(MetricNames.providerRetries)?.samples ?? [])
        .filter((s) => s.labels.provider === 'calcom')
        .reduce((sum, s) => sum + s.value, 0);
    expect(retries(calcom) - retries(before.calcom)).toBe(1);

    const failed = { agent: 'receptionist', action: 'Book Consultation', outcome: 'failed', error_code: code };
    const orchestrator = await eventually(async () => {
      const now = await scrape('orchestrator');
      const n = histogramCount(now, MetricNames.actionDuration, failed);
      return n > histogramCount(before.orchestrator, MetricNames.actionDuration, failed) ? now : undefined;
    });
    expect(
      histogramCount(orchestrator, MetricNames.actionDuration, failed) -
        histogramCount(before.orchestrator, MetricNames.actionDuration, failed),
    ).toBe(1);
  });

  it('serves the gauges and the Temporal SDK worker metrics, with bounded labels only', async () => {
    const orchestrator = await scrape('orchestrator');
    const pending = orchestrator.get(MetricNames.intentsPending)?.samples ?? [];
    expect(pending.map((s) => `${s.labels.stream}/${s.labels.state}`).sort()).toEqual(
      [Streams.Inbound, Streams.Intents].flatMap((s) => [`${s}/ack_pending`, `${s}/backlog`]).sort(),
    );
    expect(orchestrator.get(MetricNames.runsStuck)?.samples[0]?.value).toBe(0);
    expect(orchestrator.get(MetricNames.confirmationsWaiting)?.samples[0]?.value).toBe(0);
    const credentials = orchestrator.get(MetricNames.credentialStatus)?.samples ?? [];
    expect(credentials.some((s) => s.labels.provider === 'calcom')).toBe(true);
    // A confirmation SMS hands the call's bookings to their lifecycles (Temporal visibility counts them).
    const lifecycles = async () =>
      (await scrape('orchestrator')).get(MetricNames.bookingLifecyclesActive)?.samples[0]?.value;
    expect(await lifecycles()).toBe(0);
    const sms = await tool(bookedIn, 'Send SMS Confirmation', {});
    expect(sms.body.status, JSON.stringify(sms.body)).toBe('succeeded');
    const started = (sms.body.events as { data: { message?: string } }[]).filter(
      (e) => e.data.message === 'booking lifecycle starting',
    );
    // The three bookings of the first test and the one of the failing-provider test.
    expect(started).toHaveLength(4);
    await eventually(async () => ((await lifecycles()) === started.length ? true : undefined));

    for (const name of ServiceNames) {
      const families = await scrape(name);
      // Nothing unbounded: no conversation, intent, phone or tenant labels anywhere.
      for (const family of families.values()) {
        for (const sample of family.samples) {
          for (const label of Object.keys(sample.labels)) {
            expect(
              ['conversation', 'intent', 'phone', 'tenant', 'conversation_id', 'intent_id'],
              `${sample.name}`,
            ).not.toContain(label);
          }
        }
      }
      if (name !== 'conversation') {
        // The SDK's own worker metrics (slots, task latency) on the same endpoint.
        expect(
          [...families.keys()].some((f) => f.startsWith('temporal_')),
          name,
        ).toBe(true);
      }
    }
    const calcom = await scrape('calcom-worker');
    expect([...calcom.keys()]).toContain('temporal_activity_execution_latency_seconds');
  });

  it('pushes the same instruments over OTLP', async () => {
    const pushed = await eventually(() => {
      const names = stack.otlp
        .metrics()
        .filter((m) => m.service === 'orchestrator')
        .map((m) => m.name);
      return names.includes('switchboard_action_duration_seconds') ? names : undefined;
    });
    expect(pushed).toContain('switchboard_runs_stuck');
  });
});

describe('logs', () => {
  it("writes one JSON line per event, a request's lines carrying its trace id and tenant", async () => {
    const traceId = randomBytes(16).toString('hex');
    const res = await stack.api('GET', '/v1/runs?limit=1', undefined, {
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    });
    expect(res.status).toBe(200);
    const lines = await eventually(() => {
      const found = readJsonLines('conversation').filter((l) => l.trace_id === traceId);
      return found.some((l) => l.msg === 'request completed') ? found : undefined;
    });
    const completed = lines.find((l) => l.msg === 'request completed');
    expect(completed?.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(completed?.tenant).toBe(stack.seed.tenantId);

    // Every service's log is JSON lines only, the Temporal SDK's own entries included.
    for (const name of ServiceNames) expect(readJsonLines(name).length, name).toBeGreaterThan(0);
  });
});

/**
 * The JSON lines of a service's log (every line must be one JSON object). Only whole lines: the
 * service may be writing while the test reads, and a long line reaches the file in pieces, so
 * the text after the last newline is a line still being written, not a line.
 */
function readJsonLines(name: ServiceName): Record<string, unknown>[] {
  const text = readFileSync(join(logDir, `${name}.log`), 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`${name}.log: not a JSON line: ${line}`);
      }
    });
}
