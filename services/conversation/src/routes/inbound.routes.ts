/**
 * Inbound Twilio webhooks: SMS sent to a tenant's number and call status callbacks.
 *
 * No API key: Twilio cannot send one. Authenticity comes from `X-Twilio-Signature`, an
 * HMAC-SHA1 keyed with the auth token of the tenant credential named in the path, over the
 * public URL Twilio called (`PUBLIC_BASE_URL` + path + query) and the form fields; the form's
 * `AccountSid` must also be the credential's account. A verified webhook is published as an
 * `InboundEvent` on `SB_INBOUND` with the provider's id as `Nats-Msg-Id`, so Twilio's retries
 * of the same webhook are dropped by JetStream; the orchestrator delivers it to Temporal.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { publishDurable } from '@switchboard/bus';
import { type JsonObject, SwitchboardError, ValidationError } from '@switchboard/common';
import {
  create,
  encodeInbound,
  InboundEventSchema,
  InboundKind,
  type InboundSubjectKind,
  Headers as SbHeaders,
  Streams,
  Subjects,
  timestampFromMs,
} from '@switchboard/contracts';
import { CredentialMissingError, readCredential } from '@switchboard/db';
import { currentTraceHeaders, SpanKind, withSpan } from '@switchboard/telemetry';
import { verifyTwilioSignature } from '@switchboard/webhook-signatures';
import type { FastifyRequest } from 'fastify';
import { inRequestContext } from '../request-context.js';
import {
  CallStatusForm,
  documentForm,
  FORM,
  SmsForm,
  TwilioCallStatusSchema,
  TwilioSmsSchema,
} from './inbound.schemas.js';

/** Options of {@link inboundRoutes}. */
export interface InboundRoutesOptions {
  /**
   * Scheme, host (and path prefix) Twilio calls, e.g. `https://switchboard.example.com`;
   * without it, `http://<Host header>` as the request arrived.
   */
  publicBaseUrl?: string | undefined;
}

/** 403 for every authentication failure, saying nothing about which check failed. */
class ForbiddenError extends SwitchboardError {
  constructor() {
    super('forbidden', 'the webhook signature is missing or invalid');
  }
}

/** 503: inbound webhooks need the credentials keyring (`CREDENTIALS_KEYS`). */
class InboundUnavailableError extends SwitchboardError {
  constructor() {
    super('unavailable', 'inbound webhooks are not configured (CREDENTIALS_KEYS)', { retryable: true });
  }
}

/** What a route puts into the published `InboundEvent` (id, trace and time are added). */
interface InboundInit {
  tenantId: string;
  credential: string;
  kind: InboundKind;
  from: string;
  to: string;
  body?: string;
  messageSid?: string;
  callSid?: string;
  callStatus?: string;
  fields: JsonObject;
}

/** Form fields as parsed: a repeated name is a list. */
type FormFields = Record<string, string | string[]>;

const TOKEN = /^[A-Za-z0-9_-]+$/;
const SID = /^[A-Za-z0-9]{1,64}$/;
const STATUS = /^[a-z-]{1,32}$/;

/** `POST /v1/inbound/twilio/:tenantId/:credential/{sms,call-status}` (registered outside the API-key scope). */
export const inboundRoutes: FastifyPluginAsyncTypebox<InboundRoutesOptions> = async (app, options) => {
  app.addContentTypeParser(FORM, { parseAs: 'string' }, (_req, body, done) => {
    const fields: FormFields = {};
    for (const [name, value] of new URLSearchParams(body as string)) {
      const previous = fields[name];
      if (previous === undefined) fields[name] = value;
      else if (typeof previous === 'string') fields[name] = [previous, value];
      else previous.push(value);
    }
    done(null, fields);
  });

  const base = options.publicBaseUrl?.replace(/\/+$/, '');
  const publicUrl = (req: FastifyRequest) => `${base ?? `http://${req.headers.host ?? ''}`}${req.url}`;
  // `X-Forwarded-*` never decide the URL (a client may send them when a hop does not overwrite
  // them, and they carry no path prefix), but they do tell why every webhook fails behind a
  // proxy: said once per process.
  let proxyHinted = false;
  const hintProxy = (req: FastifyRequest) => {
    if (base !== undefined || proxyHinted) return;
    if (req.headers['x-forwarded-proto'] === undefined && req.headers['x-forwarded-host'] === undefined) return;
    proxyHinted = true;
    req.log.warn(
      { checkedUrl: publicUrl(req) },
      'inbound webhook signature failed behind a proxy: set PUBLIC_BASE_URL to the public URL Twilio calls',
    );
  };

  /** Verifies the request against the named credential; returns the form fields. */
  const verify = async (req: FastifyRequest, params: { tenantId: string; credential: string }) => {
    const keyring = app.deps.keyring;
    if (!keyring) throw new InboundUnavailableError();
    const contentType = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim()
      .toLowerCase();
    const fields = req.body as FormFields | undefined;
    if (contentType !== FORM || fields === null || typeof fields !== 'object') throw new ForbiddenError();
    const signature = req.headers['x-twilio-signature'];
    if (typeof signature !== 'string' || signature === '') throw new ForbiddenError();
    const { tenantId, credential } = params;
    // A tenant id that cannot name a subject names no tenant.
    if (!TOKEN.test(tenantId)) throw new ForbiddenError();
    let secret: Record<string, string>;
    try {
      const found = await readCredential(app.deps.db, keyring, tenantId, credential);
      if (found.provider !== 'twilio') throw new ForbiddenError();
      secret = found.secret;
    } catch (err) {
      if (err instanceof CredentialMissingError) throw new ForbiddenError();
      throw err;
    }
    const authToken = secret.authToken ?? '';
    if (!verifyTwilioSignature(authToken, publicUrl(req), fields, signature)) {
      hintProxy(req);
      throw new ForbiddenError();
    }
    const accountSid = secret.accountSid ?? '';
    if (accountSid === '' || field(fields, 'AccountSid') !== accountSid) throw new ForbiddenError();
    return fields;
  };

  /**
   * Publishes a verified webhook under its lane (an SMS's sender, a call's sid: the subject
   * token the stream partitions by, so that one orchestrator replica at a time delivers it); a
   * duplicate message id is dropped by JetStream.
   */
  const publish = (req: FastifyRequest, kind: InboundSubjectKind, msgId: string, event: InboundInit) =>
    inRequestContext(req.otel.context, () =>
      withSpan(
        app.deps.tracer,
        `publish ${Streams.Inbound}`,
        { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'nats', 'switchboard.inbound_kind': kind } },
        async () => {
          const trace = currentTraceHeaders();
          const tenantId = event.tenantId;
          const message = create(InboundEventSchema, {
            ...event,
            id: msgId,
            trace,
            receivedAt: timestampFromMs(Date.now()),
          });
          const ack = await publishDurable(
            app.deps.bus.js,
            Subjects.inbound(tenantId, kind, (kind === 'sms' ? event.from : event.callSid) ?? ''),
            encodeInbound(message),
            msgId,
            trace,
            { [SbHeaders.Tenant]: tenantId },
          );
          if (ack.duplicate) req.log.info({ msgId }, 'inbound webhook retry dropped as duplicate');
        },
      ),
    );

  app.post(
    '/twilio/:tenantId/:credential/sms',
    {
      config: documentForm(SmsForm),
      schema: TwilioSmsSchema,
    },
    async (req, reply) => {
      const fields = await verify(req, req.params);
      const messageSid = field(fields, 'MessageSid') ?? field(fields, 'SmsSid') ?? '';
      const from = field(fields, 'From') ?? '';
      if (!SID.test(messageSid)) throw invalid('MessageSid', 'missing or malformed');
      if (from === '') throw invalid('From', 'missing');
      const { tenantId, credential } = req.params;
      await publish(req, 'sms', `${tenantId}:${messageSid}`, {
        tenantId,
        credential,
        kind: InboundKind.SMS,
        from,
        to: field(fields, 'To') ?? '',
        body: field(fields, 'Body') ?? '',
        messageSid,
        fields: fields as JsonObject,
      });
      return reply.status(200).type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    },
  );

  app.post(
    '/twilio/:tenantId/:credential/call-status',
    {
      config: documentForm(CallStatusForm),
      schema: TwilioCallStatusSchema,
    },
    async (req, reply) => {
      const fields = await verify(req, req.params);
      const callSid = field(fields, 'CallSid') ?? '';
      const callStatus = field(fields, 'CallStatus') ?? '';
      if (!SID.test(callSid)) throw invalid('CallSid', 'missing or malformed');
      if (!STATUS.test(callStatus)) throw invalid('CallStatus', 'missing or malformed');
      const { tenantId, credential } = req.params;
      await publish(req, 'call_status', `${tenantId}:${callSid}:${callStatus}`, {
        tenantId,
        credential,
        kind: InboundKind.CALL_STATUS,
        from: field(fields, 'From') ?? '',
        to: field(fields, 'To') ?? '',
        callSid,
        callStatus,
        fields: fields as JsonObject,
      });
      return reply.status(204).send(null);
    },
  );
};

/** A single-valued form field (the first value of a repeated one). */
function field(fields: FormFields, name: string): string | undefined {
  const value = fields[name];
  return typeof value === 'string' ? value : value?.[0];
}

/** 400 for a verified webhook without the fields its kind needs. */
function invalid(name: string, problem: string): ValidationError {
  return new ValidationError(`form field ${name} is ${problem}`, [{ pointer: `/${name}`, message: problem }]);
}
