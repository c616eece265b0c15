/** `GET /v1/conversations/:id`: the schemas that validate it and make the OpenAPI document. */
import { Type } from '@fastify/type-provider-typebox';
import { errorResponses } from '../responses.js';
import { CallChannelSchema, ConversationParams } from './conversations.schemas.js';
import { UserContext } from './user-context.schemas.js';

export const GetConversationSchema = {
  summary: 'A conversation: its agents, user context, contact and call',
  params: ConversationParams,
  response: {
    200: Type.Object({
      id: Type.String(),
      status: Type.Union([Type.Literal('active'), Type.Literal('ended')]),
      agent: Type.String({ description: 'The agent the conversation started with' }),
      activeAgent: Type.String({
        description: 'The agent it is with now: after a `handoff`, the target (its actions run from then on)',
      }),
      topic: Type.Union([Type.String(), Type.Null()], {
        description: 'The topic a handoff moved it into (tool calls and turns without a topic use it), else null',
      }),
      sandbox: Type.Boolean(),
      channel: CallChannelSchema,
      user: UserContext,
      contact: Type.Record(Type.String(), Type.Unknown()),
      call: Type.Record(Type.String(), Type.Unknown()),
      createdAt: Type.String({ format: 'date-time' }),
    }),
    ...errorResponses(404),
  },
};
