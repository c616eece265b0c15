/** The user context's schema, as conversations take and show it (checked further by `user-context.ts`). */
import { Type } from '@fastify/type-provider-typebox';
import { UserContextLimits } from '../user-context.js';

export const UserContext = Type.Object(
  {
    id: Type.Optional(
      Type.String({ minLength: 1, maxLength: UserContextLimits.maxText, description: 'Your id of the user' }),
    ),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: UserContextLimits.maxText })),
    email: Type.Optional(Type.String({ maxLength: 254, description: 'An e-mail address' })),
    phone: Type.Optional(Type.String({ pattern: '^\\+[1-9][0-9]{7,14}$', description: 'E.164' })),
    locale: Type.Optional(Type.String({ maxLength: 35, description: 'BCP 47, e.g. `fr-FR`' })),
    time_zone: Type.Optional(Type.String({ maxLength: 64, description: 'IANA, e.g. `Europe/Paris`' })),
    attributes: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        maxProperties: UserContextLimits.maxAttributes,
        description: 'Free values, read as `user.attributes.<name>`; names are identifiers',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: `Who the conversation is with; chains read it as \`user.*\` (\`{{user.name}}\`). At most ${UserContextLimits.maxBytes} bytes as JSON`,
  },
);
