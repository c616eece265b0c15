import type { Bus } from '@switchboard/bus';
import { decodeInbound, Headers, InboundKind, laneToken } from '@switchboard/contracts';
import { generateKeyringSpec, parseKeyring, putCredential, type Queryable } from '@switchboard/db';
import { trace } from '@switchboard/telemetry';
import { computeTwilioSignature } from '@switchboard/webhook-signatures';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';

const TENANT = 'ten_test';
const OTHER_TENANT = 'ten_other';
const ACCOUNT = `AC${'1'.repeat(32)}`;
const TOKEN = 'inbound-test-auth-token';
const HOST = 'inbound.test';
const SMS_PATH = `/v1/inbound/twilio/${TENANT}/twilio_main/sms`;
const STATUS_PATH = `/v1/inbound/twilio/${TENANT}/twilio_main/call-status`;

/** An in-memory credentials table: enough of Postgres for `putCredential` / `readCredential`. */
function fakeDb(): Queryable {
  const rows = new Map<string, Record<string, unknown>>();
  const query = async (text: string, params: unknown[] = []) => {
    if (text.includes('INSERT INTO credentials')) {
      const [tenantId, name, provider, keyId, nonce, ciphertext, authTag] = params;
      rows.set(`${tenantId}/${name}`, { provider, key_id: keyId, nonce, ciphertext, auth_tag: authTag });
      return { rows: [], rowCount: 1 };
    }
    if (text.includes('FROM credentials')) {
      const row = rows.get(`${params[0]}/${params[1]}`);
      return { rows: row ? [row] : [], rowCount: row ? 1 : 0 };
    }
    throw new Error(`unexpected query: ${text}`);
  };
  return { query } as unknown as Queryable;
}

interface Published {
  subject: string;
  data: Uint8Array;
  msgId: string;
  headers: Record<string, string>;
}

/** A JetStream stand-in that de-duplicates by message id like the server does. */
function fakeBus(published: Published[]): Bus {
  const seen = new Set<string>();
  const js = {
    publish: async (
      subject: string,
      data: Uint8Array,
      opts: { msgID: string; headers: { get(k: string): string } },
    ) => {
      const duplicate = seen.has(opts.msgID);
      if (!duplicate) {
        seen.add(opts.msgID);
        published.push({
          subject,
          data,
          msgId: opts.msgID,
          headers: { [Headers.Tenant]: opts.headers.get(Headers.Tenant) },
        });
      }
      return { stream: 'SB_INBOUND', seq: published.length, duplicate };
    },
  };
  return { js } as unknown as Bus;
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

function sign(path: string, fields: Record<string, string>, token = TOKEN, base = `http://${HOST}`): string {
  return computeTwilioSignature(token, `${base}${path}`, fields);
}

const smsFields = (sid = `SM${'a'.repeat(32)}`) => ({
  MessageSid: sid,
  SmsSid: sid,
  AccountSid: ACCOUNT,
  From: '+15551230001',
  To: '+15559870000',
  Body: 'YES',
  NumMedia: '0',
});

let app: FastifyInstance;
const published: Published[] = [];
const db = fakeDb();
const keyring = parseKeyring(generateKeyringSpec('t'));

async function post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: path,
    headers: { host: HOST, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: form(fields),
  });
}

beforeAll(async () => {
  await putCredential(db, keyring, {
    tenantId: TENANT,
    name: 'twilio_main',
    provider: 'twilio',
    secret: { accountSid: ACCOUNT, authToken: TOKEN },
  });
  await putCredential(db, keyring, {
    tenantId: TENANT,
    name: 'calcom_main',
    provider: 'calcom',
    secret: { apiKey: TOKEN },
  });
  app = await buildApp({
    db,
    bus: fakeBus(published),
    tracer: trace.getTracer('test'),
    toolCallTimeoutMs: 1000,
    keyring,
  });
});

afterAll(async () => {
  await app?.close();
});

beforeEach(() => {
  published.length = 0;
});

describe('POST /v1/inbound/twilio/:tenantId/:credential/sms', () => {
  it('accepts a correctly signed SMS without an API key and publishes it', async () => {
    const fields = smsFields();
    const res = await post(SMS_PATH, fields, { 'x-twilio-signature': sign(SMS_PATH, fields) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.body).toContain('<Response/>');
    expect(published).toHaveLength(1);
    const [p] = published;
    expect(p?.subject).toBe(`sb.inbound.${TENANT}.sms.${laneToken('+15551230001')}`);
    expect(p?.msgId).toBe(`${TENANT}:${fields.MessageSid}`);
    expect(p?.headers[Headers.Tenant]).toBe(TENANT);
    const event = decodeInbound(p?.data as Uint8Array);
    expect(event).toMatchObject({
      tenantId: TENANT,
      kind: InboundKind.SMS,
      from: '+15551230001',
      to: '+15559870000',
      body: 'YES',
      messageSid: fields.MessageSid,
      credential: 'twilio_main',
    });
    expect(event.fields).toMatchObject({ NumMedia: '0', AccountSid: ACCOUNT });
    expect(event.receivedAt).toBeDefined();
  });

  it('publishes a Twilio retry (same MessageSid) only once and still answers 200', async () => {
    const fields = smsFields(`SM${'b'.repeat(32)}`);
    const headers = { 'x-twilio-signature': sign(SMS_PATH, fields) };
    const first = await post(SMS_PATH, fields, headers);
    const second = await post(SMS_PATH, fields, headers);
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(published).toHaveLength(1);
  });

  it('verifies over the URL with its query string', async () => {
    const path = `${SMS_PATH}?source=number-1`;
    const fields = smsFields(`SM${'c'.repeat(32)}`);
    expect((await post(path, fields, { 'x-twilio-signature': sign(SMS_PATH, fields) })).statusCode).toBe(403);
    expect((await post(path, fields, { 'x-twilio-signature': sign(path, fields) })).statusCode).toBe(200);
  });

  it('rejects a missing, wrong or tampered signature with 403 and publishes nothing', async () => {
    const fields = smsFields();
    const missing = await post(SMS_PATH, fields);
    const wrongToken = await post(SMS_PATH, fields, { 'x-twilio-signature': sign(SMS_PATH, fields, 'other-token') });
    const tampered = await post(SMS_PATH, { ...fields, Body: 'NO' }, { 'x-twilio-signature': sign(SMS_PATH, fields) });
    for (const res of [missing, wrongToken, tampered]) {
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ error: { code: 'forbidden', message: expect.any(String), retryable: false } });
    }
    expect(published).toHaveLength(0);
  });

  it('rejects a signature over another host than the public one', async () => {
    const fields = smsFields();
    const res = await post(SMS_PATH, fields, {
      'x-twilio-signature': sign(SMS_PATH, fields, TOKEN, 'https://switchboard.example.com'),
    });
    expect(res.statusCode).toBe(403);
  });

  it("rejects a valid signature when AccountSid is not the credential's account", async () => {
    const fields = { ...smsFields(), AccountSid: `AC${'2'.repeat(32)}` };
    const res = await post(SMS_PATH, fields, { 'x-twilio-signature': sign(SMS_PATH, fields) });
    expect(res.statusCode).toBe(403);
    expect(published).toHaveLength(0);
  });

  it('answers 403 alike for an unknown tenant, unknown credential or a non-Twilio credential', async () => {
    const fields = smsFields();
    for (const path of [
      `/v1/inbound/twilio/${OTHER_TENANT}/twilio_main/sms`,
      `/v1/inbound/twilio/${TENANT}/twilio_other/sms`,
      `/v1/inbound/twilio/${TENANT}/calcom_main/sms`,
      `/v1/inbound/twilio/bad.tenant/twilio_main/sms`,
    ]) {
      const res = await post(path, fields, { 'x-twilio-signature': sign(path, fields) });
      expect(res.statusCode, path).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
    }
    expect(published).toHaveLength(0);
  });

  it('does not take an API key instead of a signature', async () => {
    const fields = smsFields();
    const res = await post(SMS_PATH, fields, { authorization: 'Bearer sb_key_whatever' });
    expect(res.statusCode).toBe(403);
  });

  it('answers 400 for a signed SMS without MessageSid', async () => {
    const { MessageSid: _m, SmsSid: _s, ...fields } = smsFields();
    const res = await post(SMS_PATH, fields, { 'x-twilio-signature': sign(SMS_PATH, fields) });
    expect(res.statusCode).toBe(400);
    expect(published).toHaveLength(0);
  });
});

describe('POST /v1/inbound/twilio/:tenantId/:credential/call-status', () => {
  const statusFields = (status: string) => ({
    CallSid: `CA${'d'.repeat(32)}`,
    CallStatus: status,
    AccountSid: ACCOUNT,
    From: '+15551230001',
    To: '+15559870000',
    Direction: 'inbound',
  });

  it('publishes each status of a call once and answers 204', async () => {
    for (const status of ['ringing', 'in-progress', 'in-progress', 'completed']) {
      const fields = statusFields(status);
      const res = await post(STATUS_PATH, fields, { 'x-twilio-signature': sign(STATUS_PATH, fields) });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
    }
    expect(published.map((p) => p.msgId)).toEqual([
      `${TENANT}:CA${'d'.repeat(32)}:ringing`,
      `${TENANT}:CA${'d'.repeat(32)}:in-progress`,
      `${TENANT}:CA${'d'.repeat(32)}:completed`,
    ]);
    const event = decodeInbound(published[2]?.data as Uint8Array);
    expect(event).toMatchObject({
      kind: InboundKind.CALL_STATUS,
      callSid: `CA${'d'.repeat(32)}`,
      callStatus: 'completed',
      tenantId: TENANT,
    });
    // Every status of one call under one subject: its lane token, the call sid's.
    expect(new Set(published.map((p) => p.subject))).toEqual(
      new Set([`sb.inbound.${TENANT}.call_status.${laneToken(`CA${'d'.repeat(32)}`)}`]),
    );
  });

  it('rejects an unsigned status callback', async () => {
    const res = await post(STATUS_PATH, statusFields('completed'), { 'x-twilio-signature': 'bm9wZQ==' });
    expect(res.statusCode).toBe(403);
    expect(published).toHaveLength(0);
  });
});

describe('inbound webhooks configuration', () => {
  it('answers 503 without a keyring', async () => {
    const bare = await buildApp({ db, bus: fakeBus([]), tracer: trace.getTracer('test'), toolCallTimeoutMs: 1000 });
    try {
      const fields = smsFields();
      const res = await bare.inject({
        method: 'POST',
        url: SMS_PATH,
        headers: {
          host: HOST,
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': sign(SMS_PATH, fields),
        },
        payload: form(fields),
      });
      expect(res.statusCode).toBe(503);
    } finally {
      await bare.close();
    }
  });

  it('verifies against PUBLIC_BASE_URL when configured', async () => {
    const published2: Published[] = [];
    const behindProxy = await buildApp({
      db,
      bus: fakeBus(published2),
      tracer: trace.getTracer('test'),
      toolCallTimeoutMs: 1000,
      keyring,
      publicBaseUrl: 'https://switchboard.example.com/',
    });
    try {
      const fields = smsFields();
      const inject = (signature: string) =>
        behindProxy.inject({
          method: 'POST',
          url: SMS_PATH,
          headers: { host: HOST, 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
          payload: form(fields),
        });
      expect((await inject(sign(SMS_PATH, fields))).statusCode).toBe(403);
      expect((await inject(sign(SMS_PATH, fields, TOKEN, 'https://switchboard.example.com'))).statusCode).toBe(200);
      expect(published2).toHaveLength(1);
    } finally {
      await behindProxy.close();
    }
  });

  it('never takes the URL from X-Forwarded-* headers, and says to set PUBLIC_BASE_URL when they are there', async () => {
    const lines: string[] = [];
    const proxied = await buildApp({
      db,
      bus: fakeBus([]),
      tracer: trace.getTracer('test'),
      toolCallTimeoutMs: 1000,
      keyring,
      logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }),
    });
    try {
      const fields = smsFields();
      // Signed for the https origin the proxy serves, as Twilio signs it.
      const signature = sign(SMS_PATH, fields, TOKEN, 'https://switchboard.example.com');
      const inject = () =>
        proxied.inject({
          method: 'POST',
          url: SMS_PATH,
          headers: {
            host: HOST,
            'x-forwarded-proto': 'https',
            'x-forwarded-host': 'switchboard.example.com',
            'content-type': 'application/x-www-form-urlencoded',
            'x-twilio-signature': signature,
          },
          payload: form(fields),
        });
      expect((await inject()).statusCode).toBe(403);
      expect((await inject()).statusCode).toBe(403);
      const hints = lines.filter((l) => l.includes('PUBLIC_BASE_URL'));
      expect(hints).toHaveLength(1);
      expect(JSON.parse(hints[0] as string).checkedUrl).toBe(`http://${HOST}${SMS_PATH}`);
    } finally {
      await proxied.close();
    }
  });
});
