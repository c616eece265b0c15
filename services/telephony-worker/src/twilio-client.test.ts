import { ProviderError, type ProviderHttp, type ProviderRequest } from '@switchboard/providers';
import { decodeForm, startTwilioSandbox, type TwilioSandbox } from '@switchboard/sandboxes/twilio';
import { verifyTwilioSignature } from '@switchboard/webhook-signatures';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTwilioClient, encodeForm, type TwilioClient, twilioErrorCode, twilioFailure } from './twilio-client.js';

const ACCOUNT = { sid: `AC${'d'.repeat(32)}`, authToken: 'client-test-token-0123456789abcd' };

/** ProviderHttp over fetch, recording what it was asked to send. */
function recordingHttp(): ProviderHttp & { sent: ProviderRequest[] } {
  const sent: ProviderRequest[] = [];
  return {
    sent,
    async send(req) {
      sent.push(req);
      const res = await fetch(req.url, {
        method: req.method,
        headers: req.headers ?? {},
        ...(req.body !== undefined ? { body: req.body } : {}),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
    },
  };
}

describe('form encoding', () => {
  it('repeats keys for lists, writes booleans and numbers, skips undefined', () => {
    const body = encodeForm({
      To: '+15551234567',
      MediaUrl: ['https://a/1.png', 'https://a/2.png'],
      Hold: true,
      Muted: false,
      Timeout: 25,
      Label: undefined,
      Body: 'café & co + 100%',
    });
    expect(body).toBe(
      'To=%2B15551234567&MediaUrl=https%3A%2F%2Fa%2F1.png&MediaUrl=https%3A%2F%2Fa%2F2.png&Hold=true&Muted=false&Timeout=25&Body=caf%C3%A9+%26+co+%2B+100%25',
    );
  });

  it("round-trips through the sandbox's decoder (property)", () => {
    const key = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });
    const value = fc.string({ unit: 'grapheme', maxLength: 40 });
    fc.assert(
      fc.property(fc.dictionary(key, fc.oneof(value, fc.array(value, { minLength: 2, maxLength: 4 }))), (params) => {
        const { fields } = decodeForm(encodeForm(params));
        expect(fields).toEqual(params);
      }),
      { numRuns: 300 },
    );
  });
});

describe('Twilio client against the sandbox', () => {
  let sb: TwilioSandbox;
  let http: ReturnType<typeof recordingHttp>;
  let client: TwilioClient;
  beforeAll(async () => {
    sb = await startTwilioSandbox({ accounts: [ACCOUNT], timing: { ringMs: 10, messageStepMs: 10 } });
  });
  afterAll(async () => {
    await sb?.close();
  });
  beforeEach(() => {
    sb.reset();
    http = recordingHttp();
    client = createTwilioClient({ http, baseUrl: `${sb.url}/`, accountSid: ACCOUNT.sid, authToken: ACCOUNT.authToken });
  });

  it('sends form-encoded requests with Basic auth to the documented paths', async () => {
    const msg = await client.sendMessage({ to: '+15551230000', from: '+15557654321', body: 'Hi & bye' });
    expect(msg).toMatchObject({ status: 'queued', body: 'Hi & bye' });
    const [req] = sb.requests();
    expect(req).toMatchObject({
      method: 'POST',
      path: `/2010-04-01/Accounts/${ACCOUNT.sid}/Messages.json`,
      user: ACCOUNT.sid,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      form: { To: '+15551230000', From: '+15557654321', Body: 'Hi & bye' },
    });
    expect(http.sent[0]?.headers?.authorization).toBe(
      `Basic ${Buffer.from(`${ACCOUNT.sid}:${ACCOUNT.authToken}`).toString('base64')}`,
    );
    const listed = await client.listMessages({ to: '+15551230000' });
    expect(listed.map((m) => m.sid)).toEqual([msg.sid]);
    expect(sb.requests()[1]?.query).toEqual({ To: '+15551230000', PageSize: '50' });
  });

  it('maps Twilio errors: message and code, retryability from the status', async () => {
    const err = await client.sendMessage({ to: '+15005550001', from: '+15557654321', body: 'x' }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'provider_rejected', retryable: false, httpStatus: 400 });
    expect(err.message).toContain('(Twilio error 21211)');
    expect(twilioErrorCode(err)).toBe(21211);

    const wrong = createTwilioClient({ http, baseUrl: sb.url, accountSid: ACCOUNT.sid, authToken: 'nope' });
    await expect(wrong.fetchCall(`CA${'0'.repeat(32)}`)).rejects.toMatchObject({ code: 'provider_auth_failed' });
    await expect(client.fetchCall(`CA${'0'.repeat(32)}`)).rejects.toMatchObject({ code: 'provider_not_found' });

    const busy = twilioFailure(503, '<html>down</html>', new Headers({ 'retry-after': '3' }));
    expect(busy).toMatchObject({ code: 'provider_unavailable', retryable: true, retryAfterMs: 3000 });
  });

  it('refuses requests the spec forbids before sending them', async () => {
    const call = `CA${'1'.repeat(32)}`;
    await expect(client.updateCall(call, { twiml: '<Response/>', url: 'https://x' })).rejects.toMatchObject({
      code: 'provider_invalid_input',
    });
    await expect(client.sendMessage({ to: '+15551230000', body: 'x' })).rejects.toMatchObject({
      code: 'provider_invalid_input',
    });
    await expect(
      client.sendMessage({
        to: '+15551230000',
        from: '+15557654321',
        messagingServiceSid: `MG${'1'.repeat(32)}`,
        body: 'x',
      }),
    ).rejects.toMatchObject({ code: 'provider_invalid_input' });
    await expect(client.sendMessage({ to: '+15551230000', from: '+15557654321' })).rejects.toMatchObject({
      code: 'provider_invalid_input',
    });
    await expect(
      client.updateCall(call, { twiml: `<Response><Say>${'a'.repeat(4000)}</Say></Response>` }),
    ).rejects.toMatchObject({
      code: 'provider_invalid_input',
    });
    await expect(client.fetchCall('not-a-sid')).rejects.toMatchObject({ code: 'provider_invalid_input' });
    expect(http.sent).toHaveLength(0);
  });

  it('runs the conference operations', async () => {
    const seeded = sb.createCall({ to: '+15550002222' });
    const sid = String(seeded.sid);
    await client.updateCall(sid, {
      twiml: '<Response><Dial><Conference endConferenceOnExit="true">room-x</Conference></Dial></Response>',
    });
    const [conf] = await client.listConferences({ friendlyName: 'room-x', status: 'in-progress' });
    expect(conf?.sid).toMatch(/^CF/);
    const confSid = conf?.sid as string;
    expect((await client.fetchConference(confSid)).friendly_name).toBe('room-x');
    await client.updateParticipant(confSid, sid, {
      hold: true,
      holdUrl: 'https://example.com/hold.mp3',
      holdMethod: 'GET',
    });
    const created = await client.createParticipant(confSid, {
      from: '+15550002222',
      to: 'sip:desk@pbx.example.com',
      label: 'agent',
      timeout: 15,
      beep: 'false',
      earlyMedia: false,
    });
    expect(created).toMatchObject({ conference_sid: confSid, label: 'agent', status: 'queued' });
    expect(sb.requests().at(-1)?.form).toMatchObject({
      Label: 'agent',
      Timeout: '15',
      Beep: 'false',
      EarlyMedia: 'false',
    });
    const fetched = await client.fetchParticipant(confSid, 'agent');
    expect(fetched.call_sid).toBe(created.call_sid);
    const calls = await client.listCalls({ to: 'sip:desk@pbx.example.com' });
    expect(calls.map((c) => c.sid)).toContain(created.call_sid);
    expect((await client.updateConference(confSid, { status: 'completed' })).status).toBe('completed');
  });
});

describe('X-Twilio-Signature', () => {
  it('verifies the status callbacks the sandbox signs', async () => {
    const { createServer } = await import('node:http');
    const got: { url: string; sig: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        got.push({ url: req.url ?? '', sig: String(req.headers['x-twilio-signature']), body });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const sb = await startTwilioSandbox({ accounts: [ACCOUNT], timing: { messageStepMs: 5 } });
    try {
      const client = createTwilioClient({
        http: recordingHttp(),
        baseUrl: sb.url,
        accountSid: ACCOUNT.sid,
        authToken: ACCOUNT.authToken,
      });
      const hook = `http://127.0.0.1:${port}/twilio/status?tenant=t1`;
      await client.sendMessage({ to: '+15551230000', from: '+15557654321', body: 'x', statusCallback: hook });
      // Both status callbacks (sent, delivered) arrive; bounded generously.
      for (const end = Date.now() + 30_000; got.length < 2 && Date.now() < end; ) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(got.length).toBe(2);
      for (const g of got) {
        const params = decodeForm(g.body).fields as Record<string, string>;
        expect(verifyTwilioSignature(ACCOUNT.authToken, hook, params, g.sig)).toBe(true);
        expect(verifyTwilioSignature('other-token', hook, params, g.sig)).toBe(false);
      }
    } finally {
      await sb.close();
      server.close();
    }
  });
});
