import { type Static, Type } from '@fastify/type-provider-typebox';

/** The provider sandboxes the console can inject faults into. */
export const SandboxProviders = ['calcom', 'twilio', 'hubspot'] as const;
/** One of {@link SandboxProviders}. */
export type SandboxProvider = (typeof SandboxProviders)[number];

/** A sandbox fault (`libs/sandboxes/src/faults.ts`), or Twilio's and HubSpot's `{latencyMs}`. */
export const FaultBody = Type.Object(
  {
    status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
    retryAfterSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
    delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    dropAfterCommit: Type.Optional(Type.Boolean()),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    method: Type.Optional(Type.Union(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => Type.Literal(m)))),
    pathPrefix: Type.Optional(Type.String({ pattern: '^/', maxLength: 500 })),
    latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type FaultBody = Static<typeof FaultBody>;

export const ProviderParams = Type.Object({ provider: Type.Union(SandboxProviders.map((p) => Type.Literal(p))) });
