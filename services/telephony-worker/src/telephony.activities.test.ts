/**
 * The telephony activities through real Temporal (the provider harness: Temporal dev server,
 * Postgres, encrypted credentials) against the Twilio sandbox.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonValue } from '@switchboard/common';
import { listSandboxEffects } from '@switchboard/db';
import { type ProviderTestEnv, type RunOperation, resultOf, startProviderTestEnv } from '@switchboard/provider-testing';
import type { ProviderWorkerContext } from '@switchboard/providers';
import { type RecordedRequest, startTwilioSandbox, type TwilioSandbox } from '@switchboard/sandboxes/twilio';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TelephonyConfig } from './config.js';
import { createTelephonyActivities } from './telephony.activities.js';

const ACCOUNT = { sid: `AC${'c'.repeat(32)}`, authToken: 'tw-activities-token-9f8e7d6c5b4a3210' };
const WRONG_TOKEN = 'tw-wrong-token-0000000000000000';
const TWILIO_NUMBER = '+15550002222';
const CALLER = '+15550001111';
const AGENT = '+15553334444';

let env: ProviderTestEnv;
let sb: TwilioSandbox;
const logged: string[] = [];
const allRequests: RecordedRequest[] = [];

const captureLog = () => {
  const write = (...args: unknown[]) => {
    logged.push(JSON.stringify(args, (_k, v) => (v instanceof Error ? { message: v.message, stack: v.stack } : v)));
  };
  const log: Record<string, unknown> = {
    info: write,
    warn: write,
    error: write,
    debug: write,
    fatal: write,
    trace: write,
  };
  log.child = () => log;
  return log as unknown as ProviderWorkerContext['log'];
};

/** A worker that serves the tests until stopped (one per configuration: workers take time to start). */
interface SharedWorker {
  run: RunOperation;
  stop(): Promise<void>;
}
let main: SharedWorker;
let resume: SharedWorker;

function startShared(overrides: Partial<TelephonyConfig> = {}): Promise<SharedWorker> {
  return new Promise((resolve, reject) => {
    let release = () => {};
    const done = withTelephony((run) => {
      const stopped = new Promise<void>((r) => {
        release = r;
      });
      resolve({
        run,
        stop: async () => {
          release();
          await done;
        },
      });
      return stopped;
    }, overrides);
    done.catch(reject);
  });
}

/** Runs `fn` on the shared worker (`resume`: the one with `TWILIO_RESUME_URL` set). */
const inWorker = <T>(fn: (run: RunOperation) => Promise<T>, which: 'main' | 'resume' = 'main'): Promise<T> =>
  fn(which === 'main' ? main.run : resume.run);

beforeAll(async () => {
  [env, sb] = await Promise.all([
    startProviderTestEnv(),
    startTwilioSandbox({ accounts: [ACCOUNT], timing: { ringMs: 60, messageStepMs: 20 } }),
  ]);
  await env.putCredential('twilio_main', 'twilio', { accountSid: ACCOUNT.sid, authToken: ACCOUNT.authToken });
  [main, resume] = await Promise.all([
    startShared(),
    // A short wait for the caller to reach the conference: the sandbox puts a redirected caller
    // there at once, unless the test slows their message down (`setTiming`).
    startShared({ resumeUrl: 'https://agent.example.com/resume', joinGraceMs: 1_000 }),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all([main?.stop(), resume?.stop()]);
  await sb?.close();
  await env?.stop();
});
beforeEach(() => sb.reset());
afterEach(() => {
  allRequests.push(...sb.requests());
});

/** Runs `fn` with the telephony activities on a fresh worker, pointed at the sandbox. */
function withTelephony<T>(
  fn: (run: RunOperation) => Promise<T>,
  overrides: Partial<TelephonyConfig> = {},
  extraEnv: Record<string, string> = {},
): Promise<T> {
  return env.withWorker(
    (ctx) =>
      createTelephonyActivities(
        {
          ...ctx,
          env: {
            ...ctx.env,
            TWILIO_API_URL: sb.url,
            TWILIO_CALL_CREDENTIAL: 'twilio_main',
            TELEPHONY_SPEECH_MS_PER_CHAR: '1',
            TELEPHONY_POLL_MAX_MS: '100',
            TELEPHONY_CLOCK_SLACK_MS: '5000',
            ...extraEnv,
          },
          log: captureLog(),
        },
        overrides,
      ),
    fn,
  );
}

let seq = 0;
const ids = () => ({ intentId: `int_tel${Date.now().toString(36)}${++seq}`, stepPointer: '/actions/0' });

async function credentialStatus(name: string): Promise<{ status: string; status_reason: string | null }> {
  const { rows } = await env.db.query(
    'SELECT status, status_reason FROM credentials WHERE tenant_id = $1 AND name = $2',
    [env.tenantId, name],
  );
  return rows[0] as { status: string; status_reason: string | null };
}

async function effectRows(intentId: string): Promise<{ state: string; provider_ref: string | null }[]> {
  const { rows } = await env.db.query(
    'SELECT state, provider_ref FROM effect_records WHERE tenant_id = $1 AND idempotency_key LIKE $2',
    [env.tenantId, `${intentId}:%`],
  );
  return rows as { state: string; provider_ref: string | null }[];
}

const posts = (suffix: string) => sb.requests().filter((r) => r.method === 'POST' && r.path.endsWith(suffix));
const messagesPath = `/2010-04-01/Accounts/${ACCOUNT.sid}/Messages.json`;
const sms = (over: Record<string, JsonValue> = {}): JsonValue => ({
  credential: 'twilio_main',
  to: '+15551230000',
  from: '+15557654321',
  body: ['Hi ', 'Ann', ', your code is ', 42, null, '.'],
  ...over,
});

describe('sms.send', () => {
  it('sends the joined text and reports the message; the credential becomes ok', async () => {
    await inWorker(async (run) => {
      const out = await run('sms.send', sms(), ids());
      expect(out).toMatchObject({ ok: true, result: { status: 'queued' } });
      const sid = resultOf<{ message_sid: string }>(out).message_sid;
      expect(sid).toMatch(/^SM[0-9a-f]{32}$/);
      expect(sb.state().messages).toEqual([
        expect.objectContaining({ sid, body: 'Hi Ann, your code is 42.', to: '+15551230000', from: '+15557654321' }),
      ]);
      expect(await credentialStatus('twilio_main')).toMatchObject({ status: 'ok' });
    });
  });

  it('sends through a Messaging Service', async () => {
    await inWorker(async (run) => {
      const mg = `MG${'2'.repeat(32)}`;
      const out = await run('sms.send', sms({ from: null, messaging_service_sid: mg }), ids());
      expect(out).toMatchObject({ ok: true, result: { status: 'accepted' } });
      expect(posts('Messages.json')[0]?.form).toEqual({
        To: '+15551230000',
        MessagingServiceSid: mg,
        Body: 'Hi Ann, your code is 42.',
      });
    });
  });

  it('retries 5xx answers', async () => {
    sb.faults.add({ status: 503, count: 2, method: 'POST', pathPrefix: messagesPath });
    await inWorker(async (run) => {
      const out = await run('sms.send', sms(), ids());
      expect(out.ok).toBe(true);
      expect(posts('Messages.json').map((r) => r.status)).toEqual([503, 503, 201]);
      expect(sb.state().messages).toHaveLength(1);
    });
  });

  it('waits as long as Retry-After says on 429', async () => {
    sb.faults.add({ status: 429, retryAfterSeconds: 1, pathPrefix: messagesPath });
    await inWorker(async (run) => {
      const out = await run('sms.send', sms(), ids());
      expect(out.ok).toBe(true);
      const [first, second] = posts('Messages.json');
      expect(first?.status).toBe(429);
      expect(Date.parse(second?.at ?? '') - Date.parse(first?.at ?? '')).toBeGreaterThanOrEqual(950);
    });
  });

  it('fails non-retryably on 401 and marks the credential auth_failed', async () => {
    await env.putCredential('twilio_wrong', 'twilio', { accountSid: ACCOUNT.sid, authToken: WRONG_TOKEN });
    await inWorker(async (run) => {
      const out = await run('sms.send', sms({ credential: 'twilio_wrong' }), ids());
      expect(out).toMatchObject({ ok: false, error: { code: 'provider_auth_failed', retryable: false } });
      expect(posts('Messages.json')).toHaveLength(1);
      expect(await credentialStatus('twilio_wrong')).toMatchObject({
        status: 'auth_failed',
        status_reason: expect.stringContaining('Authenticate'),
      });
    });
  });

  it('is rejected (not retried) when Twilio refuses the number (21211), and releases its claim', async () => {
    await inWorker(async (run) => {
      const id = ids();
      const out = await run('sms.send', sms({ to: '+15005550001' }), id);
      expect(out).toMatchObject({ ok: false, error: { code: 'provider_rejected', retryable: false } });
      expect((out as { error: { message: string } }).error.message).toContain('21211');
      expect(posts('Messages.json')).toHaveLength(1);
      expect(await effectRows(id.intentId)).toEqual([]);
    });
  });

  it('refuses bad input with precise, non-retryable errors before calling Twilio', async () => {
    await inWorker(async (run) => {
      const bad = await run('sms.send', sms({ to: '(555) 123-4567' }), ids());
      expect(bad).toMatchObject({ ok: false, error: { code: 'provider_invalid_input', retryable: false } });
      expect((bad as { error: { message: string } }).error.message).toBe(
        "sms.send: the recipient '(555) 123-4567' is not an E.164 number: an E.164 number starts with '+' and the country code (did you mean +15551234567?)",
      );
      const both = await run('sms.send', sms({ messaging_service_sid: `MG${'2'.repeat(32)}` }), ids());
      expect((both as { error: { message: string } }).error.message).toContain(
        "either 'from' or 'messaging_service_sid'",
      );
      const empty = await run('sms.send', sms({ body: ['', null] }), ids());
      expect((empty as { error: { message: string } }).error.message).toContain('body is empty');
      expect(sb.requests()).toHaveLength(0);
    });
  });

  it('sends exactly one message when the answer is lost after Twilio committed it', async () => {
    sb.faults.add({ dropAfterCommit: true, method: 'POST', pathPrefix: messagesPath });
    await inWorker(async (run) => {
      const id = ids();
      const out = await run('sms.send', sms(), id);
      expect(out.ok).toBe(true);
      const messages = sb.state().messages;
      expect(messages).toHaveLength(1);
      expect(resultOf<{ message_sid: string }>(out).message_sid).toBe(messages[0]?.sid);
      // The retry looked before sending again.
      expect(posts('Messages.json')).toHaveLength(1);
      expect(sb.requests().some((r) => r.method === 'GET' && r.path === messagesPath)).toBe(true);
      expect(await effectRows(id.intentId)).toEqual([{ state: 'done', provider_ref: messages[0]?.sid }]);
    });
  });

  it('does not adopt an identical message that belongs to another effect', async () => {
    await inWorker(async (run) => {
      expect((await run('sms.send', sms(), ids())).ok).toBe(true);
      sb.faults.add({ dropAfterCommit: true, method: 'POST', pathPrefix: messagesPath });
      const out = await run('sms.send', sms(), ids());
      expect(out.ok).toBe(true);
      // Two intents, two messages: the lost answer's message was found, the other one left alone.
      expect(sb.state().messages).toHaveLength(2);
      expect(posts('Messages.json')).toHaveLength(2);
    });
  });

  it('sends once for the same intent and step, however often it runs', async () => {
    await inWorker(async (run) => {
      const id = ids();
      const first = await run('sms.send', sms(), id);
      const second = await run('sms.send', sms(), id);
      expect(second).toEqual(first);
      expect(sb.state().messages).toHaveLength(1);
    });
  });

  it('records a test call’s SMS once, as irreversible; an ordinary call records nothing', async () => {
    await inWorker(async (run) => {
      const id = ids();
      const first = await run('sms.send', sms(), { ...id, sandbox: true, conversationId: 'conv_telsandbox' });
      await run('sms.send', sms(), { ...id, sandbox: true, conversationId: 'conv_telsandbox' });
      await run('sms.send', sms(), { ...ids(), conversationId: 'conv_telsandbox' });
      const sid = resultOf<{ message_sid: string }>(first).message_sid;
      expect(await listSandboxEffects(env.db, env.tenantId, 'conv_telsandbox')).toEqual([
        expect.objectContaining({
          intentId: id.intentId,
          operation: 'sms.send',
          provider: 'twilio',
          providerRef: sid,
          state: 'irreversible',
          reason: 'a sent SMS cannot be recalled',
          undo: null,
        }),
      ]);
    });
  });
});

describe('telephony.transfer (cold)', () => {
  const transfer = (
    callSid: string,
    destination: { kind: string; address: string },
    over: Record<string, JsonValue> = {},
  ) =>
    ({
      call_sid: callSid,
      destination,
      mode: 'cold',
      message: ['Please hold while I transfer you to ', 'Sales & Support', '.'],
      ring_timeout_seconds: 25,
      reason: 'wants a human',
      ...over,
    }) as JsonValue;

  it('redirects the call to <Say> then <Dial><Number>, and reports connected once answered', async () => {
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    await inWorker(async (run) => {
      const out = await run('telephony.transfer', transfer(String(call.sid), { kind: 'phone', address: AGENT }), ids());
      const legs = sb.state().calls.filter((c) => c.parent_call_sid === call.sid);
      expect(legs).toEqual([expect.objectContaining({ to: AGENT, from: CALLER, status: 'in-progress' })]);
      expect(out).toEqual({
        ok: true,
        result: {
          status: 'connected',
          mode: 'cold',
          call_sid: call.sid,
          destination: AGENT,
          destination_kind: 'phone',
          destination_call_sid: legs[0]?.sid,
          caller: 'bridged',
        },
      });
      const state = sb.state().calls.find((c) => c.sid === call.sid) as { twiml: string[] };
      expect(state.twiml).toEqual([
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Please hold while I transfer you to Sales &amp; Support.</Say>' +
          '<Dial timeout="25"><Number>+15553334444</Number></Dial></Response>',
      ]);
    });
  });

  for (const [behaviour, status, detail] of [
    ['busy', 'busy', 'the destination is busy'],
    ['no-answer', 'no-answer', 'the destination did not answer'],
    ['failed', 'failed', 'the destination could not be reached'],
  ] as const) {
    it(`reports ${status} when the destination is ${behaviour}, and the caller is back with the agent`, async () => {
      const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
      sb.setDestination(AGENT, behaviour === 'no-answer' ? { behaviour, afterMs: 300 } : behaviour);
      await inWorker(async (run) => {
        const out = await run(
          'telephony.transfer',
          transfer(String(call.sid), { kind: 'phone', address: AGENT }, { message: null }),
          ids(),
        );
        const leg = sb.state().calls.find((c) => c.parent_call_sid === call.sid);
        expect(leg).toMatchObject({ status });
        expect(out).toEqual({
          ok: true,
          result: {
            status,
            mode: 'cold',
            call_sid: call.sid,
            destination: AGENT,
            destination_kind: 'phone',
            destination_call_sid: leg?.sid,
            caller: 'resumed',
            detail,
          },
        });
        const caller = sb.state().calls.find((c) => c.sid === call.sid) as { twiml: string[] };
        expect(caller).toMatchObject({
          status: 'in-progress',
          doing: { kind: 'url', url: 'https://agent.example.com/resume' },
        });
        expect(caller.twiml).toEqual([
          '<?xml version="1.0" encoding="UTF-8"?><Response><Dial timeout="25"><Number>+15553334444</Number></Dial>' +
            '<Redirect method="POST">https://agent.example.com/resume</Redirect></Response>',
        ]);
      }, 'resume');
    });
  }

  it('watches only its own leg: an earlier transfer’s busy leg on the same call does not count', async () => {
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    sb.setDestination(AGENT, 'busy');
    await inWorker(async (run) => {
      const dest = { kind: 'phone', address: AGENT };
      const first = await run('telephony.transfer', transfer(String(call.sid), dest, { message: null }), ids());
      expect(first).toMatchObject({ ok: true, result: { status: 'busy', caller: 'resumed' } });
      sb.setDestination(AGENT, 'answer');
      const second = await run('telephony.transfer', transfer(String(call.sid), dest, { message: null }), ids());
      expect(second).toMatchObject({ ok: true, result: { status: 'connected', caller: 'bridged' } });
    }, 'resume');
  });

  it('keeps watching in the next attempt when ringing outlasts one attempt (one redirect only)', async () => {
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    // One attempt may run 6 s (it stops itself well before, to be continued); the ringing does not fit.
    sb.setDestination(AGENT, { behaviour: 'busy', afterMs: 8_000 });
    await inWorker(async (run) => {
      const out = await run(
        'telephony.transfer',
        transfer(String(call.sid), { kind: 'phone', address: AGENT }, { message: null }),
        { ...ids(), startToCloseTimeoutMs: 6_000 },
      );
      expect(out).toMatchObject({ ok: true, result: { status: 'busy', caller: 'resumed' } });
      expect(posts(`/Calls/${call.sid}.json`)).toHaveLength(1);
      expect(sb.state().calls.filter((c) => c.parent_call_sid === call.sid)).toHaveLength(1);
    }, 'resume');
  });

  it('without a resume URL, says that the caller is gone after an unanswered dial', async () => {
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    sb.setDestination(AGENT, 'busy');
    await inWorker(async (run) => {
      const out = await run(
        'telephony.transfer',
        transfer(String(call.sid), { kind: 'phone', address: AGENT }, { message: null }),
        ids(),
      );
      expect(out).toMatchObject({ ok: true, result: { status: 'busy', caller: 'gone' } });
    });
  });

  it('redirects to <Dial><Sip> without a message', async () => {
    const call = sb.createCall();
    const sip = 'sip:support@pbx.example.com;transport=tls';
    await inWorker(async (run) => {
      const out = await run(
        'telephony.transfer',
        transfer(String(call.sid), { kind: 'sip', address: sip }, { message: null }),
        ids(),
      );
      expect(out).toMatchObject({ ok: true, result: { status: 'connected', destination_kind: 'sip' } });
      const state = sb.state().calls.find((c) => c.sid === call.sid) as { twiml: string[] };
      expect(state.twiml).toEqual([
        `<?xml version="1.0" encoding="UTF-8"?><Response><Dial timeout="25"><Sip>${sip}</Sip></Dial></Response>`,
      ]);
    });
  });

  it('redirects once when the answer is lost after Twilio applied it', async () => {
    const call = sb.createCall();
    sb.faults.add({ dropAfterCommit: true, method: 'POST', pathPrefix: `/2010-04-01/Accounts/${ACCOUNT.sid}/Calls/` });
    await inWorker(async (run) => {
      const out = await run('telephony.transfer', transfer(String(call.sid), { kind: 'phone', address: AGENT }), ids());
      expect(out).toMatchObject({ ok: true, result: { status: 'connected' } });
      expect(posts(`${call.sid}.json`)).toHaveLength(1);
      expect(sb.state().calls.filter((c) => c.parent_call_sid === call.sid)).toHaveLength(1);
    });
  });

  it('fails for good when the call is over, and for bad input with a precise message', async () => {
    const call = sb.createCall();
    await inWorker(async (run) => {
      await run('telephony.end_call', { call_sid: String(call.sid) }, ids());
      const out = await run('telephony.transfer', transfer(String(call.sid), { kind: 'phone', address: AGENT }), ids());
      expect(out).toMatchObject({ ok: false, error: { code: 'provider_conflict', retryable: false } });
      // No call sid and no conversation the worker knows: there is no call to control.
      const noCall = await run('telephony.transfer', transfer('', { kind: 'phone', address: AGENT }), ids());
      expect(noCall).toMatchObject({ ok: false, error: { code: 'no_call_control', retryable: false } });
      expect((noCall as { error: { message: string } }).error.message).toContain('has no call');
      const badSip = await run(
        'telephony.transfer',
        transfer(String(call.sid), { kind: 'sip', address: 'sip:user:pw@pbx.example.com' }),
        ids(),
      );
      expect((badSip as { error: { message: string } }).error.message).toContain('must not carry a password');
      const kind = await run(
        'telephony.transfer',
        transfer(String(call.sid), { kind: 'phone', address: 'sip:a@b.example.com' }),
        ids(),
      );
      expect((kind as { error: { message: string } }).error.message).toContain(
        "is a SIP address, but its kind is 'phone'",
      );
    });
  });
});

describe('telephony.transfer (warm)', () => {
  const HOLD = 'https://cdn.example.com/hold.mp3';
  const warm = (callSid: string, address = AGENT, over: Record<string, JsonValue> = {}) =>
    ({
      call_sid: callSid,
      destination: { kind: address.startsWith('sip:') ? 'sip' : 'phone', address },
      mode: 'warm',
      message: ['One moment, I am connecting you.'],
      hold_music_url: HOLD,
      whisper: ['Incoming transfer. ', 'Caller wants a refund & a callback.'],
      ring_timeout_seconds: 10,
      summary: 'Caller wants a refund & a callback.',
      ...over,
    }) as JsonValue;

  type Conf = {
    sid: string;
    status: string;
    participants: Record<string, unknown>[];
    left: Record<string, unknown>[];
  };
  const conference = () => sb.state().conferences[0] as Conf;

  it('holds the caller with music, rings, whispers, then bridges (connected)', async () => {
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    await inWorker(async (run) => {
      const out = await run('telephony.transfer', warm(String(call.sid)), ids());
      expect(out).toMatchObject({
        ok: true,
        result: { status: 'connected', mode: 'warm', caller: 'bridged', call_sid: call.sid, destination: AGENT },
      });
      const result = resultOf<{ destination_call_sid: string; conference_sid: string }>(out);
      const conf = conference();
      expect(conf.sid).toBe(result.conference_sid);
      expect(conf.status).toBe('in-progress');
      const caller = conf.participants.find((p) => p.call_sid === call.sid);
      const agent = conf.participants.find((p) => p.call_sid === result.destination_call_sid);
      expect(caller).toMatchObject({ hold: false, hold_url: HOLD, status: 'connected' });
      expect(agent).toMatchObject({
        label: 'switchboard-transfer',
        status: 'connected',
        to: AGENT,
        from: TWILIO_NUMBER,
        beep: 'false',
        timeout: 10,
        end_conference_on_exit: true,
      });
      expect((agent?.announcements as { text: string }[])[0]?.text).toBe(
        'Incoming transfer. Caller wants a refund & a callback.',
      );
      const twiml = (sb.state().calls.find((c) => c.sid === call.sid) as { twiml: string[] }).twiml[0];
      expect(twiml).toMatch(
        /^<\?xml version="1.0" encoding="UTF-8"\?><Response><Say>One moment, I am connecting you.<\/Say><Dial><Conference beep="false" startConferenceOnEnter="true" endConferenceOnExit="true">switchboard-[0-9a-f]{32}<\/Conference><\/Dial><\/Response>$/,
      );
      // The order that keeps the caller from hearing the ringing or the whisper.
      const updates = sb
        .requests()
        .filter((r) => r.method === 'POST')
        .map((r) => Object.keys(r.form).sort().join(','));
      expect(updates).toEqual([
        'Twiml',
        'Hold,HoldMethod,HoldUrl',
        'Beep,EarlyMedia,EndConferenceOnExit,From,Label,StartConferenceOnEnter,Timeout,To',
        'AnnounceMethod,AnnounceUrl',
        'Hold',
        'EndConferenceOnExit',
      ]);
    });
  });

  it('reports busy and brings the caller back to the agent (TWILIO_RESUME_URL)', async () => {
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    sb.setDestination(AGENT, 'busy');
    await inWorker(async (run) => {
      const out = await run('telephony.transfer', warm(String(call.sid)), ids());
      expect(out).toMatchObject({
        ok: true,
        result: { status: 'busy', caller: 'resumed', detail: 'the destination is busy' },
      });
      const caller = sb.state().calls.find((c) => c.sid === call.sid);
      expect(caller).toMatchObject({
        status: 'in-progress',
        doing: { kind: 'url', url: 'https://agent.example.com/resume' },
      });
      expect(conference().status).toBe('completed');
    }, 'resume');
  });

  it('reports no-answer and takes the caller off hold without a resume URL', async () => {
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    sb.setDestination(AGENT, { behaviour: 'no-answer', afterMs: 300 });
    await inWorker(async (run) => {
      const out = await run('telephony.transfer', warm(String(call.sid)), ids());
      expect(out).toMatchObject({ ok: true, result: { status: 'no-answer', caller: 'in_conference' } });
      const conf = conference();
      expect(conf.participants).toEqual([expect.objectContaining({ call_sid: call.sid, hold: false })]);
    });
  });

  it('reports failed for an unreachable SIP destination', async () => {
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    const sip = 'sip:desk@pbx.example.com';
    sb.setDestination(sip, 'failed');
    await inWorker(async (run) => {
      const out = await run('telephony.transfer', warm(String(call.sid), sip), ids());
      expect(out).toMatchObject({
        ok: true,
        result: { status: 'failed', destination_kind: 'sip', caller: 'resumed' },
      });
    }, 'resume');
  });

  it('does not strand the caller when Twilio refuses a step after the caller was parked', async () => {
    // An inbound SIP call has no E.164 number to show the destination: Twilio refuses the leg.
    const call = sb.createCall({ from: 'sip:alice@client.example.com', to: 'sip:agent@tenant.example.com' });
    await inWorker(async (run) => {
      const out = await run('telephony.transfer', warm(String(call.sid)), ids());
      expect(out).toMatchObject({ ok: true, result: { status: 'failed', caller: 'resumed' } });
      expect(resultOf<{ detail: string }>(out).detail).toContain('21212');
      expect(sb.state().calls.find((c) => c.sid === call.sid)).toMatchObject({
        status: 'in-progress',
        doing: { kind: 'url', url: 'https://agent.example.com/resume' },
      });
    }, 'resume');
  });

  it('continues in the next attempt when ringing outlasts one attempt (one participant only)', async () => {
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    // One attempt may run 6 s (it stops itself well before, to be continued): the steps before
    // the ringing fit in it however loaded the machine, the ringing does not.
    sb.setDestination(AGENT, { behaviour: 'answer', afterMs: 8_000 });
    await inWorker(async (run) => {
      const out = await run('telephony.transfer', warm(String(call.sid)), { ...ids(), startToCloseTimeoutMs: 6_000 });
      expect(out).toMatchObject({ ok: true, result: { status: 'connected', caller: 'bridged' } });
      expect(posts('/Participants.json')).toHaveLength(1);
      expect(posts(`/Calls/${call.sid}.json`)).toHaveLength(1);
    });
  });
});

describe('telephony.transfer (warm): when people hang up or never arrive', () => {
  const RESUME = 'https://agent.example.com/resume';
  const warm = (callSid: string) =>
    ({
      call_sid: callSid,
      destination: { kind: 'phone', address: AGENT },
      mode: 'warm',
      message: ['One moment, I am connecting you.'],
      whisper: ['Incoming transfer. ', 'Caller wants a refund.'],
      ring_timeout_seconds: 10,
    }) as JsonValue;
  type Sandboxed = { sid: string; status: string; to: string; twiml: string[]; doing: { kind: string; url?: string } };
  const callOf = (sid: string) => sb.state().calls.find((c) => c.sid === sid) as Sandboxed | undefined;
  const legsTo = (to: string) => (sb.state().calls as Sandboxed[]).filter((c) => c.to === to);
  /** Polls the sandbox (in this process) until `check` holds; bounded generously. */
  const until = async (what: string, check: () => boolean) => {
    const end = Date.now() + 30_000;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const result = (out: unknown) => (out as { ok: true; result: Record<string, unknown> }).result;

  it('the call is already over: failed, caller gone, nobody rung', async () => {
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    sb.hangUp(String(call.sid));
    await inWorker(async (run) => {
      const id = ids();
      const out = await run('telephony.transfer', warm(String(call.sid)), id);
      expect(out).toMatchObject({
        ok: true,
        result: { status: 'failed', caller: 'gone', detail: 'the caller hung up before the transfer' },
      });
      expect(posts('/Participants.json')).toHaveLength(0);
      expect(await effectRows(id.intentId)).toEqual([expect.objectContaining({ state: 'done' })]);
      // The same intent again answers from the record.
      expect(await run('telephony.transfer', warm(String(call.sid)), id)).toEqual(out);
    });
  });

  it('the caller hangs up while hearing the message, before reaching the conference: failed, caller gone', async () => {
    sb.setTiming({ sayMsPerChar: 1_000 });
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    const sid = String(call.sid);
    await inWorker(async (run) => {
      const running = run('telephony.transfer', warm(sid), ids());
      await until('the caller hears the message', () => callOf(sid)?.doing.kind === 'say');
      sb.hangUp(sid);
      expect(await running).toMatchObject({
        ok: true,
        result: { status: 'failed', caller: 'gone', detail: 'the caller hung up before the transfer' },
      });
      expect(posts('/Participants.json')).toHaveLength(0);
      expect(legsTo(AGENT)).toEqual([]);
    });
  });

  it('the caller hangs up while the destination rings: failed and caller gone, not no-answer', async () => {
    sb.setDestination(AGENT, { behaviour: 'answer', afterMs: 60_000 });
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    const sid = String(call.sid);
    await inWorker(async (run) => {
      const running = run('telephony.transfer', warm(sid), ids());
      await until('the destination rings', () => legsTo(AGENT)[0]?.status === 'ringing');
      // Ends the conference (the caller joined it with endConferenceOnExit): the ringing leg is cancelled.
      sb.hangUp(sid);
      const out = await running;
      expect(out).toMatchObject({
        ok: true,
        result: { status: 'failed', caller: 'gone', detail: 'the caller hung up while the destination was ringing' },
      });
      expect(result(out).destination_call_sid).toBe(legsTo(AGENT)[0]?.sid);
      expect(legsTo(AGENT).map((c) => c.status)).toEqual(['canceled']);
    });
  });

  it('cold: the caller hangs up while the destination rings: failed and caller gone, not no-answer', async () => {
    sb.setDestination(AGENT, { behaviour: 'answer', afterMs: 60_000 });
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    const sid = String(call.sid);
    const cold = {
      call_sid: sid,
      destination: { kind: 'phone', address: AGENT },
      mode: 'cold',
      ring_timeout_seconds: 25,
    };
    await inWorker(async (run) => {
      const running = run('telephony.transfer', cold, ids());
      await until('the destination rings', () => legsTo(AGENT)[0]?.status === 'ringing');
      // Hanging up drops the <Dial> leg still ringing (canceled): not the destination's no-answer.
      sb.hangUp(sid);
      const out = await running;
      expect(out).toMatchObject({
        ok: true,
        result: {
          status: 'failed',
          mode: 'cold',
          caller: 'gone',
          detail: 'the caller hung up while the destination was ringing',
        },
      });
      expect(result(out).destination_call_sid).toBe(legsTo(AGENT)[0]?.sid);
      expect(legsTo(AGENT).map((c) => c.status)).toEqual(['canceled']);
    }, 'resume');
  });

  it('the caller never reaches the conference: failed, and brought back to the agent', async () => {
    // The message takes far longer than the worker waits for the caller (1 s beyond the message).
    sb.setTiming({ sayMsPerChar: 1_000 });
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    const sid = String(call.sid);
    await inWorker(async (run) => {
      const out = await run('telephony.transfer', warm(sid), ids());
      expect(out).toMatchObject({
        ok: true,
        result: { status: 'failed', caller: 'resumed', detail: 'the caller did not reach the transfer conference' },
      });
      expect(callOf(sid)).toMatchObject({ status: 'in-progress', doing: { kind: 'url', url: RESUME } });
      expect(posts('/Participants.json')).toHaveLength(0);
    }, 'resume');
  });

  it('the caller never reaches the conference and there is no resume URL: the result says where they are', async () => {
    sb.setTiming({ sayMsPerChar: 1_000 });
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    const sid = String(call.sid);
    await withTelephony(
      async (run) => {
        const out = await run('telephony.transfer', warm(sid), ids());
        // Still on the line (not 'gone'), and not in a conference anyone could take them out of.
        expect(out).toMatchObject({
          ok: true,
          result: { status: 'failed', caller: 'elsewhere', detail: 'the caller did not reach the transfer conference' },
        });
        expect(callOf(sid)?.status).toBe('in-progress');
      },
      { joinGraceMs: 1_000 },
    );
  });

  it('the destination hangs up during the whisper: failed, and the caller back with the agent', async () => {
    sb.setDestination(AGENT, { behaviour: 'answer', hangUpAfterAnnouncementMs: 0 });
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    const sid = String(call.sid);
    await inWorker(async (run) => {
      const out = await run('telephony.transfer', warm(sid), ids());
      expect(out).toMatchObject({
        ok: true,
        result: {
          status: 'failed',
          caller: 'resumed',
          detail: 'the destination hung up before the caller was connected',
        },
      });
      const [leg] = legsTo(AGENT);
      expect(result(out).destination_call_sid).toBe(leg?.sid);
      expect(leg?.status).toBe('completed');
      // The whisper did start; the caller was never taken off hold into an empty line.
      const conf = sb.state().conferences[0] as { left: { call_sid: string; announcements: unknown[] }[] };
      expect(conf.left.find((p) => p.call_sid === leg?.sid)?.announcements).toHaveLength(1);
      expect(
        posts('/Participants/' + sid + '.json').map((r) => r.form.Hold),
        'hold, never unhold',
      ).toEqual(['true']);
      expect(callOf(sid)).toMatchObject({ status: 'in-progress', doing: { kind: 'url', url: RESUME } });
    }, 'resume');
  });

  it('retries after the answer to the move was lost: one redirect, then connected', async () => {
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    const sid = String(call.sid);
    sb.faults.add({
      dropAfterCommit: true,
      method: 'POST',
      pathPrefix: `/2010-04-01/Accounts/${ACCOUNT.sid}/Calls/${sid}.json`,
    });
    await inWorker(async (run) => {
      const id = ids();
      const out = await run('telephony.transfer', warm(sid), id);
      expect(out).toMatchObject({ ok: true, result: { status: 'connected', caller: 'bridged' } });
      // The retry found the conference the lost redirect had put the caller in, and went on from there.
      expect(posts(`/Calls/${sid}.json`).map((r) => r.status)).toEqual([null]);
      expect(callOf(sid)?.twiml).toHaveLength(1);
      expect(sb.state().conferences).toHaveLength(1);
      expect(legsTo(AGENT)).toHaveLength(1);
      expect(await effectRows(id.intentId)).toEqual([expect.objectContaining({ state: 'done' })]);
    });
  });

  it('retries after the answer to the move was lost, the caller hung up meanwhile: failed, caller gone', async () => {
    // The lost redirect landed, but the caller is still hearing the message (no conference yet) when they hang up.
    sb.setTiming({ sayMsPerChar: 1_000 });
    const call = sb.createCall({ from: CALLER, to: TWILIO_NUMBER });
    const sid = String(call.sid);
    sb.faults.add({
      dropAfterCommit: true,
      method: 'POST',
      pathPrefix: `/2010-04-01/Accounts/${ACCOUNT.sid}/Calls/${sid}.json`,
    });
    await inWorker(async (run) => {
      const running = run('telephony.transfer', warm(sid), ids());
      await until('the redirect landed', () => callOf(sid)?.doing.kind === 'say');
      sb.hangUp(sid);
      expect(await running).toMatchObject({
        ok: true,
        result: { status: 'failed', caller: 'gone', detail: 'the caller hung up before the transfer' },
      });
      expect(posts('/Participants.json')).toHaveLength(0);
    });
  });
});

describe('telephony.end_call', () => {
  it('says the final message, then hangs up', async () => {
    const call = sb.createCall();
    await inWorker(async (run) => {
      const out = await run(
        'telephony.end_call',
        { call_sid: String(call.sid), message: ['Thanks for calling, ', 'Ann', '!'] },
        ids(),
      );
      expect(out).toEqual({
        ok: true,
        result: { status: 'ended', call_sid: call.sid, said: true, already_ended: false },
      });
      const state = sb.state().calls.find((c) => c.sid === call.sid) as {
        status: string;
        history: unknown[];
        twiml: string[];
      };
      expect(state.twiml).toEqual([
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Thanks for calling, Ann!</Say><Hangup/></Response>',
      ]);
      expect(state.status).toBe('completed');
      expect(state.history).toContainEqual({ kind: 'say', text: 'Thanks for calling, Ann!' });
    });
  });

  it('hangs up with Status=completed without a message; an ended call counts as ended', async () => {
    const call = sb.createCall();
    await inWorker(async (run) => {
      const out = await run('telephony.end_call', { call_sid: String(call.sid), message: [''] }, ids());
      expect(out).toMatchObject({ ok: true, result: { status: 'ended', said: false } });
      expect(posts(`${call.sid}.json`)[0]?.form).toEqual({ Status: 'completed' });
      const again = await run('telephony.end_call', { call_sid: String(call.sid), message: ['Bye'] }, ids());
      expect(again).toMatchObject({ ok: true, result: { status: 'ended', already_ended: true } });
    });
  });
});

describe('credentials for call control', () => {
  it("uses the payload's credential, else the tenant's only Twilio credential, else says what to set", async () => {
    await env.putCredential('twilio_wrong', 'twilio', { accountSid: ACCOUNT.sid, authToken: WRONG_TOKEN });
    const call = sb.createCall();
    await withTelephony(
      async (run) => {
        const ambiguous = await run('telephony.end_call', { call_sid: String(call.sid) }, ids());
        expect(ambiguous).toMatchObject({ ok: false, error: { code: 'credential_missing', retryable: false } });
        expect((ambiguous as { error: { message: string } }).error.message).toContain('set TWILIO_CALL_CREDENTIAL');
        const named = await run('telephony.end_call', { call_sid: String(call.sid), credential: 'twilio_main' }, ids());
        expect(named).toMatchObject({ ok: true, result: { status: 'ended' } });
      },
      {},
      { TWILIO_CALL_CREDENTIAL: '' },
    );
  });
});

describe('secrets', () => {
  it('never logs the auth token', () => {
    expect(logged.length).toBeGreaterThan(0);
    const text = logged.join('\n');
    for (const secret of [
      ACCOUNT.authToken,
      WRONG_TOKEN,
      Buffer.from(`${ACCOUNT.sid}:${ACCOUNT.authToken}`).toString('base64'),
      Buffer.from(`${ACCOUNT.sid}:${WRONG_TOKEN}`).toString('base64'),
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(JSON.stringify(allRequests)).not.toContain(ACCOUNT.authToken);
  });
});

// ------------------------------------------------------------------------------------
// Every request sent in this file, checked against the official Twilio description when
// PROVIDER_SPECS_DIR points at it (the spec is not part of the project).

const specsDir = process.env.PROVIDER_SPECS_DIR;

describe.skipIf(specsDir === undefined)('Twilio API conformance (PROVIDER_SPECS_DIR)', () => {
  const loadSpec = () => JSON.parse(readFileSync(join(specsDir as string, 'twilio_api_v2010.json'), 'utf8')) as Spec;

  it('the check notices bad requests', () => {
    const bad: RecordedRequest = {
      at: new Date().toISOString(),
      method: 'POST',
      path: `/2010-04-01/Accounts/${ACCOUNT.sid}/Messages.json`,
      query: {},
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      user: ACCOUNT.sid,
      body: 'Body=x&Foo=1&Attempt=one',
      form: { Body: 'x', Foo: '1', Attempt: 'one' },
      formLists: { Body: ['x'], Foo: ['1'], Attempt: ['one'] },
      status: 400,
    };
    expect(checkRequest(loadSpec(), bad)).toEqual([
      'required field To is missing',
      'field Foo is not in the spec',
      "Attempt='one' is not an integer",
      'one of From, MessagingServiceSid is required',
    ]);
  });

  it('every recorded request matches an operation, its parameters and its conditional groups', () => {
    const spec = loadSpec();
    expect(allRequests.length).toBeGreaterThan(20);
    const problems = allRequests.flatMap((r) => checkRequest(spec, r).map((p) => `${r.method} ${r.path}: ${p}`));
    expect(problems).toEqual([]);
  });
});
if (specsDir === undefined) {
  it.skip('Twilio API conformance: set PROVIDER_SPECS_DIR to the folder of twilio_api_v2010.json to run it', () => {});
}

interface Schema {
  type?: string;
  enum?: string[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  $ref?: string;
}
interface Operation {
  parameters?: { in: string; name: string; required?: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: { properties: Record<string, Schema>; required?: string[] } }> };
  'x-twilio'?: { conditional?: string[][] };
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

function checkRequest(spec: Spec, r: RecordedRequest): string[] {
  const entry = Object.entries(spec.paths).find(([template]) =>
    new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+').replace(/\./g, '\\.')}$`).test(r.path),
  );
  if (!entry) return ['no operation has this path'];
  const [template, item] = entry;
  const op = item[r.method.toLowerCase()];
  if (!op) return [`the path has no ${r.method} operation`];
  const problems: string[] = [];
  const resolve = (s: Schema): Schema =>
    s.$ref ? (spec.components.schemas[s.$ref.split('/').pop() as string] ?? {}) : s;
  const checkValue = (name: string, value: string, schema: Schema) => {
    const s = resolve(schema);
    if (s.type === 'integer' && !/^-?\d+$/.test(value)) problems.push(`${name}='${value}' is not an integer`);
    if (s.type === 'integer' && s.minimum !== undefined && Number(value) < s.minimum)
      problems.push(`${name} < ${s.minimum}`);
    if (s.type === 'integer' && s.maximum !== undefined && Number(value) > s.maximum)
      problems.push(`${name} > ${s.maximum}`);
    if (s.type === 'boolean' && value !== 'true' && value !== 'false')
      problems.push(`${name}='${value}' is not a boolean`);
    if (s.enum && !s.enum.includes(value)) problems.push(`${name}='${value}' is not one of ${s.enum.join('|')}`);
    if (s.pattern && !new RegExp(s.pattern).test(value))
      problems.push(`${name}='${value}' does not match ${s.pattern}`);
    if (s.minLength !== undefined && value.length < s.minLength)
      problems.push(`${name} is shorter than ${s.minLength}`);
    if (s.maxLength !== undefined && value.length > s.maxLength) problems.push(`${name} is longer than ${s.maxLength}`);
  };
  const pathNames = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
  const pathValues =
    new RegExp(`^${template.replace(/\{[^}]+\}/g, '([^/]+)').replace(/\./g, '\\.')}$`).exec(r.path)?.slice(1) ?? [];
  pathNames.forEach((name, i) => {
    const param = op.parameters?.find((p) => p.in === 'path' && p.name === name);
    if (param) checkValue(name, decodeURIComponent(pathValues[i] ?? ''), param.schema);
  });
  for (const [name, value] of Object.entries(r.query)) {
    const param = op.parameters?.find((p) => p.in === 'query' && p.name === name);
    if (!param) problems.push(`query parameter ${name} is not in the spec`);
    else for (const v of Array.isArray(value) ? value : [value]) checkValue(name, v, param.schema);
  }
  const body = op.requestBody?.content['application/x-www-form-urlencoded']?.schema;
  if (body === undefined) {
    if (r.body !== '') problems.push('the operation has no request body');
    return problems;
  }
  if (r.headers['content-type'] !== 'application/x-www-form-urlencoded') problems.push('the body is not form-encoded');
  for (const name of body.required ?? [])
    if (!(name in r.formLists)) problems.push(`required field ${name} is missing`);
  for (const [name, values] of Object.entries(r.formLists)) {
    const schema = body.properties[name];
    if (!schema) {
      problems.push(`field ${name} is not in the spec`);
      continue;
    }
    const s = resolve(schema);
    if (s.type !== 'array' && values.length > 1) problems.push(`field ${name} is repeated but not a list`);
    for (const v of values) checkValue(name, v, s.type === 'array' ? (s.items ?? {}) : s);
  }
  const pascal = (snake: string) =>
    snake
      .split('_')
      .map((w) => (w[0] ?? '').toUpperCase() + w.slice(1))
      .join('');
  for (const group of op['x-twilio']?.conditional ?? []) {
    const present = group.map(pascal).filter((name) => name in r.formLists);
    if (present.length === 0) problems.push(`one of ${group.map(pascal).join(', ')} is required`);
  }
  return problems;
}
