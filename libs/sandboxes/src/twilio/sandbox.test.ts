import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readBody } from '../faults.js';
import { decodeForm, startTwilioSandbox, type TwilioSandbox, twilioSignature } from './index.js';

const SID = `AC${'a'.repeat(32)}`;
const TOKEN = 'secret-token-0123456789abcdef0123';
const OTHER = `AC${'b'.repeat(32)}`;
let sb: TwilioSandbox;

beforeAll(async () => {
  sb = await startTwilioSandbox({
    accounts: [
      { sid: SID, authToken: TOKEN },
      { sid: OTHER, authToken: 'other-token' },
    ],
    timing: { ringMs: 20, messageStepMs: 10 },
  });
});
afterAll(async () => {
  await sb?.close();
});
beforeEach(() => sb.reset());

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

async function api(
  method: string,
  path: string,
  form?: Record<string, string | string[]>,
  auth = basic(SID, TOKEN),
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form ?? {})) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  const res = await fetch(`${sb.url}/2010-04-01/Accounts/${SID}${path}`, {
    method,
    headers: { authorization: auth, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    ...(form ? { body: body.toString() } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    headers: res.headers,
  };
}

const until = async (check: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('authentication', () => {
  it("answers 401 with Twilio's error JSON for missing or wrong credentials", async () => {
    for (const auth of ['', basic(SID, 'wrong'), basic(OTHER, TOKEN)]) {
      const res = await api('GET', '/Messages.json', undefined, auth);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        code: 20003,
        message: 'Authenticate',
        more_info: 'https://www.twilio.com/docs/errors/20003',
        status: 401,
      });
      expect(res.headers.get('www-authenticate')).toContain('Basic');
    }
  });

  it("does not show another account's resources", async () => {
    const res = await fetch(`${sb.url}/2010-04-01/Accounts/${OTHER}/Messages.json`, {
      headers: { authorization: basic(SID, TOKEN) },
    });
    expect(res.status).toBe(404);
  });
});

describe('messages', () => {
  it('creates a message (201) that goes queued → sent → delivered, with signed status callbacks', async () => {
    const received: { signature: string; params: Record<string, string | string[]> }[] = [];
    const sink = createServer(async (req, res) => {
      const body = await readBody(req);
      received.push({ signature: String(req.headers['x-twilio-signature']), params: decodeForm(body).fields });
      res.end();
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const callback = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/sms/status?k=1`;
    try {
      const res = await api('POST', '/Messages.json', {
        To: '+15551230000',
        From: '+15557654321',
        Body: 'Hello & welcome',
        StatusCallback: callback,
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        status: 'queued',
        to: '+15551230000',
        body: 'Hello & welcome',
        direction: 'outbound-api',
      });
      const sid = String(res.body.sid);
      expect(sid).toMatch(/^SM[0-9a-f]{32}$/);
      await until(() => received.length === 2);
      expect(received.map((r) => r.params.MessageStatus)).toEqual(['sent', 'delivered']);
      for (const r of received) {
        const lists = Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
        expect(r.signature).toBe(twilioSignature(TOKEN, callback, lists));
      }
      const fetched = await api('GET', `/Messages/${sid}.json`);
      expect(fetched.body).toMatchObject({ sid, status: 'delivered' });
      expect(fetched.body.date_sent).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    } finally {
      sink.close();
    }
  });

  it('answers the documented errors', async () => {
    const cases: [Record<string, string>, number][] = [
      [{ From: '+15557654321', Body: 'x' }, 21604],
      [{ To: '+15551230000', Body: 'x' }, 21603],
      [{ To: '+15551230000', From: '+15557654321' }, 21602],
      [{ To: '555-1234', From: '+15557654321', Body: 'x' }, 21211],
      [{ To: '+15005550001', From: '+15557654321', Body: 'x' }, 21211],
      [{ To: '+15551230000', From: '+15557654321', Body: 'x'.repeat(1601) }, 21617],
    ];
    for (const [form, code] of cases) {
      const res = await api('POST', '/Messages.json', form);
      expect(res.status, JSON.stringify(form)).toBe(400);
      expect(res.body).toMatchObject({ code, status: 400, more_info: `https://www.twilio.com/docs/errors/${code}` });
    }
    const missing = await api('GET', `/Messages/SM${'0'.repeat(32)}.json`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe(20404);
    expect(sb.state().messages).toHaveLength(0);
  });

  it('ignores parameters of a body that is not form-encoded, like Twilio', async () => {
    const res = await fetch(`${sb.url}/2010-04-01/Accounts/${SID}/Messages.json`, {
      method: 'POST',
      headers: { authorization: basic(SID, TOKEN), 'content-type': 'application/json' },
      body: JSON.stringify({ To: '+15551230000', From: '+15557654321', Body: 'x' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: number }).code).toBe(21604);
  });

  it('lists messages newest first, filtered by To, with paging', async () => {
    for (const to of ['+15551230001', '+15551230002', '+15551230001']) {
      await api('POST', '/Messages.json', { To: to, MessagingServiceSid: `MG${'1'.repeat(32)}`, Body: to });
    }
    const res = await api('GET', '/Messages.json?To=%2B15551230001&PageSize=1');
    const messages = res.body.messages as { to: string; status: string; from: string | null }[];
    expect(messages).toHaveLength(1);
    expect(messages[0]?.to).toBe('+15551230001');
    expect(res.body.next_page_uri).toContain('Page=1');
    const all = await api('GET', '/Messages.json?To=%2B15551230001');
    expect((all.body.messages as unknown[]).length).toBe(2);
  });
});

describe('calls', () => {
  it('seeds a live call over HTTP and redirects it with TwiML (<Say> then <Dial><Number>)', async () => {
    const seeded = await fetch(`${sb.url}/_sandbox/calls`, {
      method: 'POST',
      body: JSON.stringify({ from: '+15550001111', to: '+15550002222' }),
    });
    expect(seeded.status).toBe(201);
    const call = (await seeded.json()) as { sid: string; status: string };
    expect(call).toMatchObject({ status: 'in-progress' });
    expect(call.sid).toMatch(/^CA[0-9a-f]{32}$/);

    const twiml =
      '<Response><Say>One moment &amp; thanks</Say><Dial timeout="20"><Number>+15553334444</Number></Dial></Response>';
    const res = await api('POST', `/Calls/${call.sid}.json`, { Twiml: twiml });
    expect(res.status).toBe(200);
    const children = await api('GET', `/Calls.json?ParentCallSid=${call.sid}`);
    const child = (children.body.calls as { sid: string; to: string; status: string }[])[0];
    // Ringing, or already answered (it rings for 20 ms; a loaded machine may take longer to ask).
    expect(child).toMatchObject({ to: '+15553334444' });
    expect(['ringing', 'in-progress']).toContain(child?.status);
    await until(() => (sb.state().calls.find((c) => c.sid === child?.sid)?.status as string) === 'in-progress');
    const leg = sb.state().calls.find((c) => c.sid === child?.sid) as { history: { kind: string }[] };
    expect(leg.history.map((h) => h.kind)).toEqual(['ringing', 'answered']);
    const state = sb.state().calls.find((c) => c.sid === call.sid) as Record<string, unknown>;
    expect(state.twiml).toEqual([twiml]);
    expect(state.history).toEqual([
      { kind: 'agent' },
      { kind: 'say', text: 'One moment & thanks' },
      expect.objectContaining({
        kind: 'dial',
        target: { kind: 'number', address: '+15553334444' },
        outcome: 'bridged',
      }),
    ]);
  });

  it('lets a busy destination end the <Dial>; the caller then runs the rest of its TwiML', async () => {
    const call = sb.createCall();
    sb.setDestination('sip:Desk@PBX.example.com', 'busy');
    await api('POST', `/Calls/${call.sid}.json`, {
      Twiml: '<Response><Dial><Sip>sip:desk@pbx.example.com</Sip></Dial><Say>Sorry</Say></Response>',
    });
    await until(() => sb.state().calls.find((c) => c.sid === call.sid)?.status === 'completed');
    const state = sb.state().calls.find((c) => c.sid === call.sid) as { history: { kind: string; outcome?: string }[] };
    expect(state.history.map((h) => h.kind)).toEqual(['agent', 'dial', 'say', 'ended']);
    expect(state.history[1]?.outcome).toBe('busy');
  });

  it('ends a call with Status=completed and refuses to redirect an ended call (21220)', async () => {
    const call = sb.createCall();
    const ended = await api('POST', `/Calls/${call.sid}.json`, { Status: 'completed' });
    expect(ended.body).toMatchObject({ status: 'completed' });
    const again = await api('POST', `/Calls/${call.sid}.json`, { Status: 'completed' });
    expect(again.status).toBe(200);
    const redirect = await api('POST', `/Calls/${call.sid}.json`, { Twiml: '<Response><Say>hi</Say></Response>' });
    expect(redirect.status).toBe(400);
    expect(redirect.body.code).toBe(21220);
  });

  it('refuses Twiml with Url, malformed TwiML and unknown calls', async () => {
    const call = sb.createCall();
    const both = await api('POST', `/Calls/${call.sid}.json`, {
      Twiml: '<Response><Hangup/></Response>',
      Url: 'https://example.com/x',
    });
    expect(both.status).toBe(400);
    const bad = await api('POST', `/Calls/${call.sid}.json`, { Twiml: '<Response><Say>Tom & Jerry</Say></Response>' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe(12100);
    const unknown = await api('GET', `/Calls/CA${'9'.repeat(32)}.json`);
    expect(unknown.status).toBe(404);
    expect(sb.state().calls.find((c) => c.sid === call.sid)?.status).toBe('in-progress');
  });

  it('says and hangs up', async () => {
    const call = sb.createCall();
    await api('POST', `/Calls/${call.sid}.json`, { Twiml: '<Response><Say>Goodbye</Say><Hangup/></Response>' });
    const state = sb.state().calls.find((c) => c.sid === call.sid) as { status: string; history: unknown[] };
    expect(state.status).toBe('completed');
    expect(state.history).toEqual([
      { kind: 'agent' },
      { kind: 'say', text: 'Goodbye' },
      { kind: 'hangup' },
      { kind: 'ended', status: 'completed' },
    ]);
  });
});

describe('people on calls', () => {
  it('says at the pace set: the conference is joined only once the message was said', async () => {
    sb.setTiming({ sayMsPerChar: 10 });
    const call = sb.createCall();
    const twiml = '<Response><Say>Please hold</Say><Dial><Conference>room-s</Conference></Dial></Response>';
    await api('POST', `/Calls/${call.sid}.json`, { Twiml: twiml });
    const doing = () => (sb.state().calls.find((c) => c.sid === call.sid) as { doing: { kind: string } }).doing.kind;
    expect(doing()).toBe('say');
    expect(sb.state().conferences).toEqual([]);
    await until(() => doing() === 'conference');
    expect(sb.state().conferences).toEqual([expect.objectContaining({ friendly_name: 'room-s' })]);
    sb.reset();
    // reset() restores the start timing: said at once again.
    const next = sb.createCall();
    await api('POST', `/Calls/${next.sid}.json`, { Twiml: twiml });
    expect(sb.state().conferences).toHaveLength(1);
  });

  it('hangs up while the message is said: what came after it never runs', async () => {
    sb.setTiming({ sayMsPerChar: 1_000 });
    const call = sb.createCall();
    await api('POST', `/Calls/${call.sid}.json`, {
      Twiml: '<Response><Say>Please hold</Say><Dial><Conference>room-t</Conference></Dial></Response>',
    });
    const hungUp = await fetch(`${sb.url}/_sandbox/calls/${call.sid}/hangup`, { method: 'POST' });
    expect(hungUp.status).toBe(200);
    expect(await hungUp.json()).toMatchObject({ sid: call.sid, status: 'completed' });
    const state = sb.state().calls.find((c) => c.sid === call.sid) as { history: { kind: string }[] };
    expect(state.history.map((h) => h.kind)).toEqual(['agent', 'say', 'ended']);
    expect(sb.state().conferences).toEqual([]);
    expect((await fetch(`${sb.url}/_sandbox/calls/CA${'0'.repeat(32)}/hangup`, { method: 'POST' })).status).toBe(404);
  });

  it("a caller's hang-up ends the conference and cancels the leg still ringing", async () => {
    const call = sb.createCall();
    await api('POST', `/Calls/${call.sid}.json`, {
      Twiml: '<Response><Dial><Conference endConferenceOnExit="true">room-u</Conference></Dial></Response>',
    });
    sb.setDestination('+15553334444', { behaviour: 'answer', afterMs: 60_000 });
    const conf = sb.state().conferences[0] as { sid: string };
    const created = await api('POST', `/Conferences/${conf.sid}/Participants.json`, {
      From: '+15550002222',
      To: '+15553334444',
    });
    const leg = String(created.body.call_sid);
    await until(() => sb.state().calls.find((c) => c.sid === leg)?.status === 'ringing');
    sb.hangUp(String(call.sid));
    expect(sb.state().calls.find((c) => c.sid === call.sid)?.status).toBe('completed');
    expect(sb.state().calls.find((c) => c.sid === leg)?.status).toBe('canceled');
    expect(sb.state().conferences[0]).toMatchObject({ status: 'completed' });
  });

  it('a destination that declines hangs up once the announcement to it started', async () => {
    const call = sb.createCall();
    await api('POST', `/Calls/${call.sid}.json`, {
      Twiml: '<Response><Dial><Conference endConferenceOnExit="true">room-v</Conference></Dial></Response>',
    });
    sb.setDestination('+15553334444', { behaviour: 'answer', hangUpAfterAnnouncementMs: 0 });
    const conf = sb.state().conferences[0] as { sid: string };
    const created = await api('POST', `/Conferences/${conf.sid}/Participants.json`, {
      From: '+15550002222',
      To: '+15553334444',
    });
    const leg = String(created.body.call_sid);
    await until(() => sb.state().calls.find((c) => c.sid === leg)?.status === 'in-progress');
    const announced = await api('POST', `/Conferences/${conf.sid}/Participants/${leg}.json`, {
      AnnounceUrl: 'https://twimlets.com/message?Message%5B0%5D=Transfer',
    });
    // The answer comes first; the person hangs up right after.
    expect(announced.body).toMatchObject({ status: 'connected' });
    await until(() => sb.state().calls.find((c) => c.sid === leg)?.status === 'completed');
    // The caller stays: the leg did not end the conference.
    expect(sb.state().conferences[0]).toMatchObject({ status: 'in-progress' });
    expect(sb.state().calls.find((c) => c.sid === call.sid)?.status).toBe('in-progress');
  });
});

describe('conferences', () => {
  async function parkCaller(room: string) {
    const call = sb.createCall({ from: '+15550001111', to: '+15550002222' });
    await api('POST', `/Calls/${call.sid}.json`, {
      Twiml: `<Response><Dial><Conference beep="false" endConferenceOnExit="true">${room}</Conference></Dial></Response>`,
    });
    const list = await api('GET', `/Conferences.json?FriendlyName=${room}&Status=in-progress`);
    const conf = (list.body.conferences as { sid: string }[])[0] as { sid: string };
    return { callSid: String(call.sid), confSid: conf.sid };
  }

  it('holds the caller, rings a participant, announces to it and bridges', async () => {
    const { callSid, confSid } = await parkCaller('room-a');
    const hold = await api('POST', `/Conferences/${confSid}/Participants/${callSid}.json`, {
      Hold: 'true',
      HoldUrl: 'https://example.com/music.mp3',
    });
    expect(hold.body).toMatchObject({ hold: true, call_sid: callSid, status: 'connected' });
    const created = await api('POST', `/Conferences/${confSid}/Participants.json`, {
      From: '+15550002222',
      To: '+15553334444',
      Label: 'agent',
      Timeout: '20',
      Beep: 'false',
      EarlyMedia: 'false',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'queued', label: 'agent', conference_sid: confSid });
    await until(() => {
      const conf = sb.state().conferences[0] as { participants: { label: string | null; status: string }[] };
      return conf.participants.some((p) => p.label === 'agent' && p.status === 'connected');
    });
    const byLabel = await api('GET', `/Conferences/${confSid}/Participants/agent.json`);
    expect(byLabel.body.status).toBe('connected');
    const announceUrl = 'https://twimlets.com/message?Message%5B0%5D=Caller+needs+help';
    await api('POST', `/Conferences/${confSid}/Participants/${String(created.body.call_sid)}.json`, {
      AnnounceUrl: announceUrl,
      AnnounceMethod: 'GET',
    });
    await api('POST', `/Conferences/${confSid}/Participants/${callSid}.json`, { Hold: 'false' });
    const conf = sb.state().conferences[0] as {
      participants: {
        label: string | null;
        hold: boolean;
        hold_url: string | null;
        announcements: { text: string | null }[];
      }[];
    };
    const caller = conf.participants.find((p) => p.label === null);
    const agent = conf.participants.find((p) => p.label === 'agent');
    expect(caller).toMatchObject({ hold: false, hold_url: 'https://example.com/music.mp3' });
    expect(agent?.announcements[0]).toMatchObject({ text: 'Caller needs help', method: 'GET' });
  });

  it('removes a busy participant (404 afterwards) and keeps the call status', async () => {
    const { confSid } = await parkCaller('room-b');
    sb.setDestination('+15553334444', { behaviour: 'busy', afterMs: 10 });
    const created = await api('POST', `/Conferences/${confSid}/Participants.json`, {
      From: '+15550002222',
      To: '+15553334444',
    });
    const leg = String(created.body.call_sid);
    await until(() => sb.state().calls.find((c) => c.sid === leg)?.status === 'busy');
    expect((await api('GET', `/Conferences/${confSid}/Participants/${leg}.json`)).status).toBe(404);
    expect((await api('GET', `/Calls/${leg}.json`)).body.status).toBe('busy');
  });

  it('gives up on no-answer after the participant Timeout', async () => {
    const { confSid } = await parkCaller('room-c');
    sb.setDestination('+15553334444', { behaviour: 'no-answer', afterMs: 30 });
    const created = await api('POST', `/Conferences/${confSid}/Participants.json`, {
      From: '+15550002222',
      To: '+15553334444',
      Timeout: '5',
    });
    await until(() => sb.state().calls.find((c) => c.sid === created.body.call_sid)?.status === 'no-answer');
  });

  it('creates a conference from a friendly name and ends it when a redirected caller leaves', async () => {
    const { callSid, confSid } = await parkCaller('room-d');
    const byName = await api('POST', '/Conferences/room-d/Participants.json', {
      From: '+15550002222',
      To: '+15553334444',
    });
    expect(byName.body.conference_sid).toBe(confSid);
    await api('POST', `/Calls/${callSid}.json`, { Url: 'https://agent.example.com/resume', Method: 'POST' });
    const conf = await api('GET', `/Conferences/${confSid}.json`);
    expect(conf.body).toMatchObject({
      status: 'completed',
      reason_conference_ended: 'participant-with-end-conference-on-exit-left',
    });
    const caller = sb.state().calls.find((c) => c.sid === callSid) as { status: string; doing: unknown };
    expect(caller).toMatchObject({
      status: 'in-progress',
      doing: { kind: 'url', url: 'https://agent.example.com/resume' },
    });
    const leg = sb.state().calls.find((c) => c.sid === byName.body.call_sid);
    expect(['canceled', 'completed']).toContain(leg?.status);
  });

  it('ends a conference through the API; a TwiML caller carries on after <Dial>', async () => {
    const call = sb.createCall();
    await api('POST', `/Calls/${call.sid}.json`, {
      Twiml:
        '<Response><Dial><Conference>room-e</Conference></Dial><Say>Back with the agent</Say><Redirect>https://agent.example.com/</Redirect></Response>',
    });
    const conf = sb.state().conferences[0] as { sid: string };
    const ended = await api('POST', `/Conferences/${conf.sid}.json`, { Status: 'completed' });
    expect(ended.body).toMatchObject({ status: 'completed', reason_conference_ended: 'conference-ended-via-api' });
    const state = sb.state().calls.find((c) => c.sid === call.sid) as { doing: unknown; status: string };
    expect(state).toMatchObject({ status: 'in-progress', doing: { kind: 'url', url: 'https://agent.example.com/' } });
  });
});

describe('faults, recordings and control endpoints', () => {
  it('injects status faults with Retry-After, then serves normally', async () => {
    sb.faults.add({ status: 429, retryAfterSeconds: 2, pathPrefix: `/2010-04-01/Accounts/${SID}/Messages` });
    const limited = await api('POST', '/Messages.json', { To: '+15551230000', From: '+15557654321', Body: 'x' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.body).toMatchObject({ code: 20429, status: 429 });
    const ok = await api('POST', '/Messages.json', { To: '+15551230000', From: '+15557654321', Body: 'x' });
    expect(ok.status).toBe(201);
  });

  it('drops the connection after committing (the message exists, the client saw an error)', async () => {
    sb.faults.add({ dropAfterCommit: true, method: 'POST' });
    await expect(
      api('POST', '/Messages.json', { To: '+15551230000', From: '+15557654321', Body: 'x' }),
    ).rejects.toThrow();
    expect(sb.state().messages).toHaveLength(1);
    expect(sb.requests().at(-1)?.status).toBeNull();
  });

  it('records every API request without the auth token', async () => {
    await api('POST', '/Messages.json', {
      To: '+15551230000',
      From: '+15557654321',
      Body: 'a',
      MediaUrl: ['https://x/1', 'https://x/2'],
    });
    await api('GET', '/Messages.json?To=%2B15551230000');
    const [post, get] = sb.requests();
    expect(post).toMatchObject({
      method: 'POST',
      path: `/2010-04-01/Accounts/${SID}/Messages.json`,
      user: SID,
      status: 201,
      form: { To: '+15551230000', From: '+15557654321', Body: 'a', MediaUrl: ['https://x/1', 'https://x/2'] },
    });
    expect(post?.formLists.To).toEqual(['+15551230000']);
    expect(post?.headers.authorization).toBe(`Basic ${SID}:<redacted>`);
    expect(get?.query).toEqual({ To: '+15551230000' });
    expect(JSON.stringify(sb.requests())).not.toContain(TOKEN);
    expect(JSON.stringify(sb.requests())).not.toContain(Buffer.from(`${SID}:${TOKEN}`).toString('base64'));
  });

  it('exposes state, requests, faults, destinations and reset over HTTP', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${sb.url}${path}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.status);
    expect(await post('/_sandbox/faults', { status: 503, count: 1 })).toBe(201);
    expect((await api('GET', '/Messages.json')).status).toBe(503);
    expect(await post('/_sandbox/destinations', { address: '+15553334444', behaviour: 'failed' })).toBe(201);
    expect(await post('/_sandbox/destinations', { address: '+15553334444', behaviour: 'maybe' })).toBe(400);
    expect(
      await post('/_sandbox/destinations', {
        address: '+15553334445',
        behaviour: 'answer',
        hangUpAfterAnnouncementMs: 5,
      }),
    ).toBe(201);
    const state = (await (await fetch(`${sb.url}/_sandbox/state`)).json()) as { destinations: Record<string, unknown> };
    expect(state.destinations['+15553334444']).toEqual({ behaviour: 'failed' });
    expect(state.destinations['+15553334445']).toEqual({ behaviour: 'answer', hangUpAfterAnnouncementMs: 5 });
    const requests = (await (await fetch(`${sb.url}/_sandbox/requests`)).json()) as unknown[];
    expect(requests).toHaveLength(1);
    expect(await post('/_sandbox/reset', {})).toBe(200);
    expect(sb.requests()).toHaveLength(0);
    expect(sb.state().destinations).toEqual({});
  });
});
