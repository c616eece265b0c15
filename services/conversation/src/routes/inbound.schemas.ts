/** Request and response schemas of the inbound routes: they validate requests and make the OpenAPI document. */
import { Type } from '@fastify/type-provider-typebox';
import { errorResponses } from '../responses.js';

/** The content type of Twilio's webhooks. */
export const FORM = 'application/x-www-form-urlencoded';

/** The form fields Twilio sends (others too; a repeated name is a list), as the document shows them. */
export const twilioForm = (fields: Record<string, string>, required: readonly string[]) =>
  Type.Object(
    Object.fromEntries(
      Object.entries(fields).map(([name, description]) => {
        const value = Type.String({ description });
        return [name, required.includes(name) ? value : Type.Optional(value)];
      }),
    ),
    { additionalProperties: Type.Union([Type.String(), Type.Array(Type.String())]) },
  );

/**
 * What a webhook route documents beyond its own schema: its form body. Documented only: the
 * signature is checked before the fields, so an unsigned request is a 403 whatever it holds.
 */
export const documentForm = (form: ReturnType<typeof twilioForm>) => ({
  swaggerTransform: ({ schema, url }: { schema: object; url: string }) => ({
    schema: { ...schema, body: { content: { [FORM]: { schema: form } } } },
    url,
  }),
});

export const SmsForm = twilioForm(
  {
    AccountSid: "Must be the credential's accountSid",
    MessageSid: 'The message id (SmsSid is read when absent)',
    From: 'The sender, E.164',
    To: "The tenant's number",
    Body: 'The text',
  },
  ['AccountSid', 'MessageSid', 'From'],
);

export const CallStatusForm = twilioForm(
  {
    AccountSid: "Must be the credential's accountSid",
    CallSid: 'The call',
    CallStatus: 'queued, ringing, in-progress, completed, busy, failed, no-answer, canceled',
    From: 'The caller',
    To: 'The number called',
  },
  ['AccountSid', 'CallSid', 'CallStatus'],
);

/** The errors of a webhook route besides the app's: a bad signature (403), no keyring or bus (503). */
export const webhookErrors = errorResponses(403, 503);

export const Params = Type.Object({
  tenantId: Type.String({ minLength: 1, maxLength: 100 }),
  credential: Type.String({ minLength: 1, maxLength: 100 }),
});

/** `POST /v1/inbound/twilio/:tenantId/:credential/sms`. */
export const TwilioSmsSchema = {
  summary: 'Inbound SMS webhook (Twilio)',
  description: 'Form-encoded Twilio messaging webhook, authenticated by X-Twilio-Signature (no API key).',
  tags: ['inbound'],
  security: [],
  params: Params,
  response: {
    200: {
      description: 'Accepted: an empty TwiML response (no reply is sent)',
      content: { 'text/xml': { schema: Type.String() } },
    },
    ...webhookErrors,
  },
};

/** `POST /v1/inbound/twilio/:tenantId/:credential/call-status`. */
export const TwilioCallStatusSchema = {
  summary: 'Call status callback (Twilio)',
  description: 'Form-encoded Twilio status callback, authenticated by X-Twilio-Signature (no API key).',
  tags: ['inbound'],
  security: [],
  params: Params,
  response: { 204: Type.Null({ description: 'Accepted' }), ...webhookErrors },
};
