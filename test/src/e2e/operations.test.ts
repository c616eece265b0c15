import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sessionWorkflowId } from '@switchboard/contracts';
import { IdPrefixes, insertAcceptedRun, newId } from '@switchboard/db';
import { findJaeger } from '@switchboard/devstack';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextMonday } from '../support/dates.js';
import { type FakeLlm, startFakeLlm } from '../support/fake-llm.js';
import { expectChain, type Hop, rootsOf, traceWith } from '../support/jaeger-traces.js';
import { eventually, startTestStack, type TestStack } from '../support/stack.js';

// The console's Operations page as an operator uses it when Cal.com fails: a fault injected into
// the Cal.com sandbox (through the console's own fault route), booking calls that fail on it,
// then the page in headless Chromium — calcom's failing operation with its error code, the
// failed runs with links to their trace (a real Jaeger, read back by its query API) and to their
// workflow in the Temporal UI, and a stuck run. CI installs Chromium and Jaeger: there this runs, never skips.
const CHROMIUM = '/usr/bin/chromium';
const TEMPORAL_UI_URL = 'http://localhost:8233';
const SCREENSHOTS = fileURLToPath(new URL('../../../test-results/screenshots/', import.meta.url));
const jaegerFound = findJaeger();
const missing = [
  ...(existsSync(CHROMIUM) ? [] : [`${CHROMIUM} is missing (apt-get install chromium)`]),
  ...('missing' in jaegerFound ? [jaegerFound.missing] : []),
];
const run = missing.length === 0 || process.env.CI === 'true';
const title = run ? 'the Operations page (headless Chromium, Jaeger)' : `the Operations page — SKIPPED: ${missing}`;

let stack: TestStack;
let llm: FakeLlm;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

describe.runIf(run)(title, () => {
  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    llm = await startFakeLlm();
    // With `jaeger`, the stack hands the service TRACE_URL_TEMPLATE for its Jaeger.
    stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-operations-')), {
      jaeger: true,
      serviceEnv: { TEMPORAL_UI_URL },
    });
    const put = async (path: string, body: unknown) => {
      const res = await stack.api('PUT', path, body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    };
    await put('/v1/endpoints/bookings_log', { url: `${stack.sink.url}/bookings`, allow_private: true });
    await put('/v1/credentials/llm_main', { provider: 'openai', secret: { apiKey: 'sk-fake-ops' } });
    const calcom = { credential: 'calcom_main', event_type_id: 1001, time_zone: 'America/New_York' };
    await put('/v1/agents/front_desk', {
      instructions: "You are Acme's receptionist. Book consultations.",
      actions: [
        {
          type: 'crm_lookup',
          name: 'Look Up Caller',
          description: 'Finds the caller in the CRM.',
          config: { credential: 'hubspot_main' },
        },
        {
          type: 'calcom_check_availability',
          name: 'Check Availability',
          description: 'Finds free slots.',
          config: calcom,
        },
        { type: 'calcom_book', name: 'Book Consultation', description: 'Books a consultation.', config: calcom },
        {
          name: 'log_booking',
          description: 'Tells the back office about a booking attempt.',
          parameters: [{ name: 'start', type: 'string', required: true, description: 'Start of the booking.' }],
          actions: [{ type: 'webhook', endpoint: 'bookings_log', payload: { start: 'params.start' } }],
        },
      ],
      llm: { base_url: llm.url, model: 'fake-model', credential: 'llm_main', allow_private: true },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    page.on('response', (res) => {
      if (res.status() >= 400) pageErrors.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await llm?.close();
  }, 60_000);

  it("lists calcom's failing operation with its error code, and links each failure to its whole trace in Jaeger and its workflow", async () => {
    // Cal.com refuses the next three bookings (422: not retried).
    const fault = await stack.api('POST', '/console/sandboxes/calcom/faults', {
      status: 422,
      count: 3,
      method: 'POST',
      pathPrefix: '/v2/bookings',
    });
    expect(fault.status, JSON.stringify(fault.body)).toBe(200);

    const created = await stack.api('POST', '/v1/conversations', {
      agent: 'front_desk',
      contact: { first_name: 'Ada', email: 'ada@example.com' },
      call: { sid: `CA${'3'.repeat(32)}`, from: '+15551113333', to: '+15557654321' },
    });
    expect(created.status).toBe(201);
    const conv: string = created.body.id;
    const start = (hour: number) => `${nextMonday()}T${String(hour).padStart(2, '0')}:00:00`;
    const attendee = { name: 'Ada Lovelace', email: 'ada@example.com' };

    // Two booking tool calls, both refused.
    for (const hour of [10, 11]) {
      const booked = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
        name: 'Book Consultation',
        arguments: { start: start(hour), ...attendee },
      });
      expect(booked.body.status, JSON.stringify(booked.body)).toBe('failed');
    }
    // And an agent turn that looks the caller up, checks availability, tries to book (refused
    // too) and tells the back office: one trace across five services.
    llm.script(
      {
        tool_calls: [
          { name: 'look_up_caller', arguments: {} },
          { name: 'check_availability', arguments: { start_date: nextMonday() } },
        ],
      },
      { tool_calls: [{ name: 'book_consultation', arguments: { start: start(12), ...attendee } }] },
      { tool_calls: [{ name: 'log_booking', arguments: { start: start(12) } }] },
      { content: "I couldn't book that; someone from the office will call you." },
    );
    const turn = await stack.api('POST', `/v1/conversations/${conv}/turns`, { text: 'Book me in on Monday at noon.' });
    expect(turn.status, JSON.stringify(turn.body)).toBe(200);
    const actions = turn.body.actions as { name: string; call_id: string; status: string }[];
    expect(actions.map((a) => [a.name, a.status])).toEqual([
      ['Look Up Caller', 'succeeded'],
      ['Check Availability', 'succeeded'],
      ['Book Consultation', 'failed'],
      ['log_booking', 'succeeded'],
    ]);
    const turnBooking = actions[2]?.call_id ?? '';
    const calcomPosts = stack.sandboxes.calcom
      .requests()
      .filter((r) => r.method === 'POST' && r.path === '/v2/bookings');
    expect(calcomPosts.map((r) => r.status)).toEqual([422, 422, 422]);

    // What the API says, once the attempt log has been flushed (the workers write it every second).
    const failedRuns = await eventually(async () => {
      const res = await stack.api('GET', '/v1/runs?status=failed');
      return res.body.runs.length === 3
        ? (res.body.runs as { id: string; errorCode: string; traceId: string }[])
        : undefined;
    });
    const code = failedRuns[0]?.errorCode ?? '';
    expect(code).not.toBe('');
    const calcomBook = await eventually(async () => {
      const { body } = await stack.api('GET', '/v1/stats?window=1h');
      const entry = body.providers.find((p: { operation: string }) => p.operation === 'calcom.book');
      return entry?.failures === 3 ? entry : undefined;
    });
    expect(calcomBook.provider).toBe('calcom');
    const providerCode: string = calcomBook.topErrors[0].code;

    // A stuck run: accepted and never published (a conversation service that died in between),
    // its deadline already past. The sweeper gives up on it only 10 minutes later (the default).
    const stuckId = newId(IdPrefixes.Intent);
    await insertAcceptedRun(stack.db, {
      intentId: stuckId,
      tenantId: stack.seed.tenantId,
      conversationId: conv,
      actionName: 'Check Availability',
      arguments: { start_date: nextMonday() },
      traceId: randomBytes(16).toString('hex'),
      agentName: 'front_desk',
      providers: ['calcom'],
      deadlineAfterMs: 0,
    });
    await eventually(async () => {
      const res = await stack.api('GET', '/v1/runs?status=stuck');
      return res.body.runs.some((r: { id: string }) => r.id === stuckId) ? true : undefined;
    });

    // The page: key, then Operations.
    await page.goto(`${stack.services.apiUrl}/console/`);
    await page.fill('#api-key', stack.seed.apiKey);
    await page.click('#key-form button[type="submit"]');
    await page.locator('#status', { hasText: 'Connected' }).waitFor();
    await page.click('#views a[data-view="operations"]');
    expect(page.url()).toBe(`${stack.services.apiUrl}/console/#operations`);
    expect(await page.isVisible('#main')).toBe(false);

    // Providers, highest failure rate first: calcom's booking, every attempt failed, with its code.
    const calcomRow = page.locator('#ops-providers tbody tr[data-provider="calcom"][data-operation="calcom.book"]');
    await calcomRow.waitFor();
    expect(await page.locator('#ops-providers tbody tr').first().getAttribute('data-operation')).toBe('calcom.book');
    const cells = await calcomRow.locator('td').allTextContents();
    expect(cells.slice(0, 5)).toEqual(['calcom', 'calcom.book', '3', '3', '100 %']);
    expect(cells[8]).toContain(`${providerCode} ×3`);
    // The action too, and the outcomes over time count the three failures.
    const bookRow = page.locator('#ops-actions tbody tr[data-action="Book Consultation"]');
    expect((await bookRow.locator('td').allTextContents()).slice(2, 5)).toEqual(['3', '3', '100 %']);
    expect(await bookRow.locator('td.codes').textContent()).toContain(`${code} ×3`);
    const slices = await page.locator('#ops-outcomes .slice').all();
    const failedPerSlice = await Promise.all(slices.map(async (s) => Number(await s.getAttribute('data-failed'))));
    expect(failedPerSlice).toHaveLength(12);
    expect(failedPerSlice.reduce((a, b) => a + b, 0)).toBe(3);
    // Seven runs in the hour (the stuck one too), one stuck now, listed with its workflow link.
    const totals = await Promise.all(slices.map(async (s) => Number(await s.getAttribute('data-total'))));
    expect(totals.reduce((a, b) => a + b, 0)).toBe(7);
    expect(await page.textContent('#ops-totals .tile.warn')).toBe('1Stuck now');
    const stuckRow = page.locator(`#ops-stuck tbody tr[data-run="${stuckId}"]`);
    expect(await page.locator('#ops-stuck tbody tr').count()).toBe(1);
    expect(await stuckRow.textContent()).toContain('Check Availability');
    expect(await stuckRow.locator('.badge').textContent()).toBe('stuck');
    expect(await stuckRow.locator('a[data-link="workflow"]').getAttribute('href')).toBe(
      `${TEMPORAL_UI_URL}/namespaces/default/workflows/${encodeURIComponent(sessionWorkflowId(stack.seed.tenantId, conv))}`,
    );

    // Recent failures: the turn's booking with its code, its trace and its workflow.
    const failure = page.locator(`#ops-failures tbody tr[data-run="${turnBooking}"]`);
    await failure.waitFor();
    expect(await page.locator('#ops-failures tbody tr').count()).toBe(3);
    expect(await failure.textContent()).toContain(code);
    const traceHref = (await failure.locator('a[data-link="trace"]').getAttribute('href')) ?? '';
    const workflowHref = (await failure.locator('a[data-link="workflow"]').getAttribute('href')) ?? '';
    const run = await stack.api('GET', `/v1/runs?status=failed&action=${encodeURIComponent('Book Consultation')}`);
    const listed = run.body.runs.find((r: { id: string }) => r.id === turnBooking);
    expect(traceHref).toBe(stack.jaeger?.traceUrlTemplate.replace('{traceId}', listed.traceId));
    expect(workflowHref).toBe(
      `${TEMPORAL_UI_URL}/namespaces/default/workflows/${encodeURIComponent(listed.workflowId)}`,
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'operations.png'), fullPage: true });

    // The linked trace, from Jaeger's query API by the id in the link: one tree from the turn's
    // request, through the refused Cal.com request, with spans of five services.
    const traceId = /[0-9a-f]{32}/.exec(traceHref)?.[0] ?? '';
    expect(traceId).toBe(listed.traceId);
    const root: Hop = { service: 'conversation', name: /^POST \/v1\/conversations\/:id\/turns$/ };
    const chain = (action: string, worker: string, activity: string, request: string): Hop[] => [
      root,
      { service: 'conversation', name: /^publish SB_INTENTS$/ },
      { service: 'orchestrator', name: /^consume SB_INTENTS$/ },
      { service: 'orchestrator', name: new RegExp(`^chain ${action}$`) },
      { service: 'orchestrator', name: new RegExp(`^StartActivity:${activity}$`) },
      { service: worker, name: new RegExp(`^RunActivity:${activity}$`) },
      { service: worker, name: new RegExp(`^${request}$`) },
    ];
    const booking = chain('Book Consultation', 'calcom-worker', 'calcom\\.book', 'POST calcom\\.bookings\\.create');
    const lookup = chain('Look Up Caller', 'crm-worker', 'crm\\.lookup', 'POST hubspot\\.contacts\\.search');
    const log = chain('log_booking', 'webhook-worker', 'callWebhook', 'POST bookings_log');
    const spans = await traceWith(stack.jaeger?.url ?? '', traceId, [...booking, ...lookup, ...log]);
    for (const hops of [booking, lookup, log]) expectChain(spans, hops);
    expect(rootsOf(spans).map((s) => `${s.service}: ${s.name}`)).toEqual([
      'conversation: POST /v1/conversations/:id/turns',
    ]);
    expect([...new Set(spans.map((s) => s.service))].sort()).toEqual([
      'calcom-worker',
      'conversation',
      'crm-worker',
      'orchestrator',
      'webhook-worker',
    ]);
    expect(pageErrors).toEqual([]);
  });
});
