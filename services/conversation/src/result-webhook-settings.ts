import { type Static, Type } from '@fastify/type-provider-typebox';
import type { ResultWebhookSettings } from '@switchboard/db';

/**
 * `result_webhook` of `PUT /v1/agents/:name`: where the final results of async tool calls are
 * POSTed, signed (`X-Switchboard-Signature`) with the `secret` of an `http` credential.
 */
export const ResultWebhookBody = Type.Object(
  {
    url: Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048, description: 'Receiver of the results' }),
    credential: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$',
      description: "Name of a tenant credential with provider 'http' holding { secret }: each POST is signed with it",
    }),
    allow_private: Type.Optional(
      Type.Boolean({ default: false, description: 'Allow a loopback/private address (an on-premise receiver)' }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Where async results are POSTed (HMAC-SHA256 signed, retried); see the README',
  },
);
export type ResultWebhookBody = Static<typeof ResultWebhookBody>;

/** The stored settings for an API body. */
export function resultWebhookFromBody(body: ResultWebhookBody): ResultWebhookSettings {
  return { url: body.url, credential: body.credential, allowPrivate: body.allow_private ?? false };
}

/** The API shape of stored settings. */
export function resultWebhookToBody(settings: ResultWebhookSettings): Required<ResultWebhookBody> {
  return { url: settings.url, credential: settings.credential, allow_private: settings.allowPrivate };
}
