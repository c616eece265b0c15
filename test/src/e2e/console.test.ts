import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nextMonday } from '../support/dates.js';
import { type FakeLlm, startFakeLlm } from '../support/fake-llm.js';
import { eventually, startTestStack, type TestStack } from '../support/stack.js';

// The web test console (/console) driven like a person would, in headless Chromium: API key,
// agent, a sandbox test call, actions run through the forms generated from their parameter
// schemas, live events, a provider fault, the runs table, the transcript and the clean-up.
const CHROMIUM = '/usr/bin/chromium';
const TRACE_URL_TEMPLATE = 'http://localhost:16686/trace/{traceId}';
const SCREENSHOTS = fileURLToPath(new URL('../../../test-results/screenshots/', import.meta.url));
const hasChromium = existsSync(CHROMIUM);

let stack: TestStack;
let llm: FakeLlm;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `console-${name}.png`), fullPage: true });

/** Fills an action's generated form, runs it, and waits for its final outcome in the result box. */
async function runAction(action: string, fields: Record<string, string>) {
  const form = page.locator(`form[data-action="${action}"]`);
  for (const [name, value] of Object.entries(fields)) await form.locator(`[name="${name}"]`).fill(value);
  await form.locator('button[type="submit"]').click();
  const box = page.locator('#call-result');
  // Final: the box names this action, and its status (none yet is `sending`) is not a pending one.
  await expect
    .poll(
      async () => ({
        name: await box
          .locator('strong')
          .first()
          .textContent({ timeout: 1_000 })
          .catch(() => null),
        status: (await box.getAttribute('data-status')) ?? 'sending',
      }),
      { timeout: 30_000, interval: 100 },
    )
    .toSatisfy(({ name, status }) => name === action && !['sending', 'running', 'accepted'].includes(status));
  const outputs = box.locator('pre.outputs');
  return {
    status: await box.getAttribute('data-status'),
    text: (await box.textContent()) ?? '',
    outputs: (await outputs.count()) > 0 ? JSON.parse((await outputs.textContent()) ?? '{}') : {},
  };
}

const title = hasChromium
  ? 'web test console (headless Chromium)'
  : `web test console — SKIPPED: ${CHROMIUM} is missing (apt-get install chromium)`;

describe.skipIf(!hasChromium)(title, () => {
  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // The dev stack's sandboxes hand the service SANDBOX_URLS themselves (`sandboxes.env`).
    stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-e2e-console-')), {
      serviceEnv: { TRACE_URL_TEMPLATE },
    });
    // An agent whose forms need every kind of field, and an action that asks for confirmation;
    // it has an LLM too (a scripted stand-in), so the console offers a chat.
    llm = await startFakeLlm();
    await stack.api('PUT', '/v1/endpoints/orders', { url: `${stack.sink.url}/orders`, allow_private: true });
    const credential = await stack.api('PUT', '/v1/credentials/llm_main', {
      provider: 'openai',
      secret: { apiKey: 'sk-fake-console' },
    });
    expect(credential.status).toBe(200);
    const saved = await stack.api('PUT', '/v1/agents/console-shop', {
      instructions: "Use 'place_order' to order and 'save_meal' to log a meal.",
      actions: [
        {
          name: 'place_order',
          description: 'Places an order for the caller.',
          target: 'webhook://orders',
          inputs: {
            item: { type: 'string', description: 'What to order', is_required: true },
            quantity: { type: 'integer', description: 'How many' },
            gift: { type: 'boolean', description: 'Gift-wrapped' },
          },
          outputs: { ok: { type: 'boolean', description: 'Whether the order went through' } },
          require_user_confirmation: true,
        },
        {
          name: 'save_meal',
          description: 'Log a meal the user consumed',
          parameters: [
            { name: 'meal_type', type: 'string', enum: ['breakfast', 'lunch', 'dinner'] },
            { name: 'dishes', type: 'array', required: true },
          ],
          actions: [{ type: 'webhook', endpoint: 'orders', payload: { meal: 'params' } }],
          on_success: [{ type: 'respond', message: 'Logged your {{params.meal_type}}.' }],
        },
      ],
      llm: { base_url: llm.url, model: 'fake-model', credential: 'llm_main', allow_private: true },
    });
    expect(saved.status).toBe(200);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    page.on('response', (res) => {
      if (res.status() >= 400) pageErrors.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    });
  }, 180_000);

  // A step that waited in vain says only what it waited for: print what the page showed.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !page) return;
    const status = await page.textContent('#status').catch(() => null);
    console.log(
      `console page at the failure: status ${JSON.stringify(status)}, page errors ${JSON.stringify(pageErrors)}`,
    );
    await shot('failure').catch(() => {});
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await llm?.close();
  }, 60_000);

  it('runs a test call of the receptionist: forms, events, a provider fault, runs, transcript, clean-up', async () => {
    const calcom = stack.sandboxes.calcom;

    // Key and agent.
    await page.goto(`${stack.services.apiUrl}/console`);
    expect(page.url()).toBe(`${stack.services.apiUrl}/console/`);
    await page.fill('#api-key', stack.seed.apiKey);
    await page.click('#key-form button[type="submit"]');
    await page.locator('#status', { hasText: 'Connected' }).waitFor();
    await page.selectOption('#agent', 'receptionist');
    await page.locator('form[data-action="Check Availability"] [name="start_date"]').waitFor();
    // The form follows the parameter schema: a date input, required; the time zone optional, with its default.
    const startDate = page.locator('form[data-action="Check Availability"] [name="start_date"]');
    expect(await startDate.getAttribute('type')).toBe('date');
    expect(await startDate.getAttribute('required')).not.toBeNull();
    expect(await page.inputValue('form[data-action="Check Availability"] [name="time_zone"]')).toBe('America/New_York');

    // A sandbox test call with contact variables; its event stream goes live.
    await page.click('#call-panel details summary');
    await page.fill('#contact', JSON.stringify({ first_name: 'Ada', email: 'ada@example.com' }));
    await page.click('#start-call');
    await page.locator('#events-state', { hasText: 'live' }).waitFor();
    const conversationId = (await page.textContent('#conversation')) ?? '';
    expect(conversationId).toMatch(/^conv_[0-9a-f]{24}$/);
    const effects = await stack.api('GET', `/v1/conversations/${conversationId}/sandbox-effects`);
    expect(effects.body.sandbox).toBe(true);
    expect(await page.isVisible('#faults-panel')).toBe(true);
    await shot('1-test-call');

    // Check Availability through its form: the result and the live events.
    const availability = await runAction('Check Availability', { start_date: nextMonday() });
    expect(availability.status).toBe('succeeded');
    expect(availability.outputs.available).toBe(true);
    const slots: { start: string }[] = availability.outputs.slots;
    expect(slots.length).toBeGreaterThanOrEqual(3);
    await page.locator('#events li[data-kind="result"]', { hasText: 'Check Availability' }).waitFor();
    await page.locator('#events li[data-kind="accepted"]', { hasText: 'Check Availability' }).waitFor();
    await shot('2-availability');

    // A booking.
    const attendee = { name: 'Ada Lovelace', email: 'ada@example.com' };
    const booked = await runAction('Book Consultation', { start: slots[0]!.start, ...attendee });
    expect(booked.status).toBe('succeeded');
    const firstUid: string = booked.outputs.booking_uid;
    expect(calcom.state().bookings.find((b) => b.uid === firstUid)?.status).toBe('accepted');

    // Simulate failure: Cal.com refuses the next booking (422, not retried): the agent's failure message.
    await page.selectOption('#fault-provider', 'calcom');
    await page.selectOption('#fault-kind', '422');
    await page.fill('#fault-count', '1');
    await page.selectOption('#fault-method', 'POST');
    await page.fill('#fault-path', '/v2/bookings');
    await page.click('#fault-form button[type="submit"]');
    await page.locator('#fault-status', { hasText: 'calcom: the next 1 POST request(s)' }).waitFor();
    const bookingsBefore = calcom.state().bookings.length;
    const refused = await runAction('Book Consultation', { start: slots[1]!.start, ...attendee });
    expect(refused.status).toBe('failed');
    expect(refused.text).toContain("I couldn't book that");
    expect(calcom.state().bookings.length).toBe(bookingsBefore);
    await page.locator('#events li[data-kind="failed"]', { hasText: 'Book Consultation' }).waitFor();
    await shot('3-fault');

    // An outage once (503): retried, and the booking is made.
    await page.selectOption('#fault-kind', '503');
    await page.click('#fault-form button[type="submit"]');
    await page.locator('#fault-status', { hasText: 'fail with 503' }).waitFor();
    const retried = await runAction('Book Consultation', { start: slots[2]!.start, ...attendee });
    expect(retried.status).toBe('succeeded');
    const secondUid: string = retried.outputs.booking_uid;
    const bookingPosts = calcom.requests().filter((r) => r.method === 'POST' && r.path === '/v2/bookings');
    const [outage, retry] = bookingPosts.slice(-2);
    expect(outage?.status).toBe(503);
    expect(retry?.status).toBeGreaterThanOrEqual(200);
    expect(retry?.status).toBeLessThan(300);

    // The runs table: one row per run, as the API lists them, with errors and trace links.
    const { body } = await stack.api('GET', `/v1/conversations/${conversationId}/runs`);
    expect(body.runs).toHaveLength(4);
    await eventually(async () => ((await page.locator('#runs tbody tr').count()) === 4 ? true : undefined));
    for (const run of body.runs) {
      const row = page.locator(`#runs tbody tr[data-run="${run.id}"]`);
      // The table refreshes by itself until every run has finished.
      await eventually(async () => ((await row.getAttribute('data-status')) === run.status ? true : undefined));
      expect(await row.locator('td').first().textContent()).toBe(run.action);
      if (run.traceId) {
        expect(await row.locator('a').getAttribute('href')).toBe(TRACE_URL_TEMPLATE.replace('{traceId}', run.traceId));
      }
    }
    expect(body.runs.filter((r: { traceId: string | null }) => r.traceId).length).toBeGreaterThan(0);
    const failedRun = body.runs.find((r: { status: string }) => r.status === 'failed');
    expect(await page.textContent(`#runs tbody tr[data-run="${failedRun.id}"] td.error`)).toContain(
      failedRun.error.code,
    );

    // The transcript: every tool call and its result.
    await page.click('#refresh-transcript');
    await eventually(async () => ((await page.locator('#transcript li.tool_result').count()) === 4 ? true : undefined));
    expect(await page.locator('#transcript li.tool_call', { hasText: 'Book Consultation' }).count()).toBe(3);
    await shot('4-runs-transcript');

    // Clean up: both bookings cancelled in the Cal.com sandbox, and the report says so.
    await page.click('#clean-up');
    await page.locator('#cleanup-report .summary[data-done="true"]').waitFor({ timeout: 45_000 });
    expect(await page.textContent('#cleanup-report .summary')).toContain('2 undone, 0 pending, 0 failed');
    for (const uid of [firstUid, secondUid]) {
      expect(await page.getAttribute(`#effects tr:has(td:text-is("${uid}"))`, 'data-state')).toBe('undone');
      expect(calcom.state().bookings.find((b) => b.uid === uid)?.status).toBe('cancelled');
    }
    await shot('5-clean-up');

    expect(pageErrors).toEqual([]);
  });

  it('reads typed arguments from the generated fields, and asks before an action that needs confirmation', async () => {
    const orders = () => stack.sink.requests().filter((r) => r.path === '/orders');
    await page.selectOption('#agent', 'console-shop');
    await page.locator('form[data-action="place_order"] [name="item"]').waitFor();
    // A new agent ends the page's test call: the Run buttons wait for a new one.
    expect(await page.isDisabled('form[data-action="place_order"] button[type="submit"]')).toBe(true);
    expect(await page.isVisible('#cleanup-panel')).toBe(false);
    await page.click('#start-call');
    await page.locator('#events-state', { hasText: 'live' }).waitFor();

    // An enum is a select, an array a JSON box.
    await page.selectOption('form[data-action="save_meal"] [name="meal_type"]', 'lunch');
    const meal = await runAction('save_meal', { dishes: '["soup", "bread"]' });
    expect(meal.status).toBe('succeeded');
    expect(meal.text).toContain('Logged your lunch.');
    expect(orders().at(-1)?.body).toEqual({ meal: { meal_type: 'lunch', dishes: ['soup', 'bread'] } });

    // Confirmation: nothing runs until Confirm; the integer and the boolean arrive typed.
    const before = orders().length;
    await page.selectOption('form[data-action="place_order"] [name="gift"]', 'true');
    const asked = await runAction('place_order', { item: 'tea', quantity: '3' });
    expect(asked.status).toBe('awaiting_confirmation');
    expect(asked.text).toContain('Confirm "place_order"?');
    await page.locator('#events li[data-kind="confirmation_required"]').waitFor();
    expect(orders()).toHaveLength(before);
    await page.click('#call-result button.confirm');
    await page.locator('#call-result[data-status="succeeded"]').waitFor();
    expect(orders()).toHaveLength(before + 1);
    expect(orders().at(-1)?.body).toEqual({ item: 'tea', quantity: 3, gift: true });

    // Decline, and Cancel while it waits: both end cancelled, and nothing is ordered.
    expect((await runAction('place_order', { item: 'cake' })).status).toBe('awaiting_confirmation');
    await page.click('#call-result button.decline');
    await page.locator('#call-result[data-status="cancelled"]').waitFor();
    expect(await page.textContent('#call-result')).toContain('user_declined');
    expect((await runAction('place_order', { item: 'pie' })).status).toBe('awaiting_confirmation');
    await page.click('#call-result button.cancel');
    await page.locator('#call-result[data-status="cancelled"]').waitFor();
    expect(orders()).toHaveLength(before + 1);
    // The runs table keeps up with a quick succession of calls.
    await eventually(async () =>
      (await page.locator('#runs tbody tr[data-status="cancelled"]').count()) === 2 ? true : undefined,
    );
    expect(await page.locator('#runs tbody tr[data-status="succeeded"]').count()).toBe(2);
    await shot('6-confirmation');
    expect(pageErrors).toEqual([]);
  });

  it("chats with an agent that has an LLM: the agent's words, the actions it ran, the transcript", async () => {
    // The page still shows the console-shop test call of the previous test; a new one is cleaner.
    await page.click('#start-call');
    await page.locator('#events-state', { hasText: 'live' }).waitFor();
    expect(await page.isVisible('#chat-panel')).toBe(true);
    llm.script(
      { tool_calls: [{ name: 'save_meal', arguments: { meal_type: 'dinner', dishes: ['pasta'] } }] },
      { content: 'Your dinner is logged.' },
    );
    await page.fill('#chat-text', 'I had pasta for dinner');
    await page.click('#chat-form button[type="submit"]');
    await page.locator('#chat-reply .agent-says', { hasText: 'Your dinner is logged.' }).waitFor();
    expect(await page.textContent('#chat-reply')).toContain('save_meal (tool): succeeded');
    expect(llm.requests()).toHaveLength(2);
    await page.locator('#events li[data-kind="result"]', { hasText: 'save_meal' }).waitFor();
    await page.click('#refresh-transcript');
    await page.locator('#transcript li.role-assistant', { hasText: 'Your dinner is logged.' }).waitFor();
    expect(await page.textContent('#transcript li.role-user')).toContain('I had pasta for dinner');
    await shot('7-chat');
    expect(pageErrors).toEqual([]);
  });
});
