/**
 * A runtime check of Live Call Control request bodies against the official
 * `@vapi-ai/server-sdk` types (`Vapi.ClientInboundMessageMessage`). The SDK ships TypeScript
 * types only, no schemas, so the check is written here and tied to the types at compile time:
 * every message type, every member and every enum value the check knows is declared
 * `satisfies`/exhaustive against the SDK, so an SDK upgrade that adds or renames one fails the
 * build until the check follows.
 */
import type { Vapi } from '@vapi-ai/server-sdk';

type Body = Record<string, unknown>;

/** The members of `T`, each `true`: compile-time exhaustive (a missing or extra key fails). */
type Members<T> = { [K in keyof Required<T>]: true };

/** `never` unless `A` lists every member of the union `U`. */
type Exhaustive<U, A extends readonly U[]> = [Exclude<U, A[number]>] extends [never] ? A : never;

const ROLES = ['assistant', 'function', 'user', 'system', 'tool'] as const satisfies readonly Vapi.OpenAiMessageRole[];
const roles: Exhaustive<Vapi.OpenAiMessageRole, typeof ROLES> = ROLES;

const MODES = [
  'blind-transfer',
  'blind-transfer-add-summary-to-sip-header',
  'warm-transfer-say-message',
  'warm-transfer-say-summary',
  'warm-transfer-twiml',
  'warm-transfer-wait-for-operator-to-speak-first-and-then-say-message',
  'warm-transfer-wait-for-operator-to-speak-first-and-then-say-summary',
  'warm-transfer-experimental',
] as const satisfies readonly Vapi.TransferPlanMode[];
const modes: Exhaustive<Vapi.TransferPlanMode, typeof MODES> = MODES;

const CONTROLS = [
  'mute-assistant',
  'unmute-assistant',
  'mute-customer',
  'unmute-customer',
  'say-first-message',
] as const satisfies readonly Vapi.ClientInboundMessageControlControl[];
const controls: Exhaustive<Vapi.ClientInboundMessageControlControl, typeof CONTROLS> = CONTROLS;

const SAY: Members<Vapi.ClientInboundMessageSay> = {
  interruptAssistantEnabled: true,
  content: true,
  endCallAfterSpoken: true,
  interruptionsEnabled: true,
};
const ADD_MESSAGE: Members<Vapi.ClientInboundMessageAddMessage> = { message: true, triggerResponseEnabled: true };
const OPENAI_MESSAGE: Members<Vapi.OpenAiMessage> = { content: true, role: true };
const TRANSFER: Members<Vapi.ClientInboundMessageTransfer> = { destination: true, content: true };
const NUMBER: Members<Vapi.TransferDestinationNumber> = {
  message: true,
  numberE164CheckEnabled: true,
  number: true,
  extension: true,
  callerId: true,
  transferPlan: true,
  name: true,
  description: true,
};
const SIP: Members<Vapi.TransferDestinationSip> = {
  message: true,
  sipUri: true,
  callerId: true,
  transferPlan: true,
  sipHeaders: true,
  name: true,
  description: true,
};
const TRANSFER_PLAN: Members<Vapi.TransferPlan> = {
  mode: true,
  message: true,
  timeout: true,
  sipVerb: true,
  dialTimeout: true,
  holdAudioUrl: true,
  transferCompleteAudioUrl: true,
  contextEngineeringPlan: true,
  twiml: true,
  summaryPlan: true,
  sipHeadersInReferToEnabled: true,
  fallbackPlan: true,
};

const isObject = (v: unknown): v is Body => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Problems of `value` as an object with only `members` (plus `extra`), at `at`. */
function membersOf(value: unknown, members: Record<string, true>, at: string, extra: string[] = []): string[] {
  if (!isObject(value)) return [`${at} must be an object`];
  return Object.keys(value)
    .filter((k) => !Object.hasOwn(members, k) && !extra.includes(k))
    .map((k) => `${at}.${k} is not a member of the SDK type`);
}

function optional(value: Body, key: string, type: 'string' | 'boolean' | 'number', at: string): string[] {
  const v = value[key];
  return v === undefined || typeof v === type ? [] : [`${at}.${key} must be a ${type}`];
}

function required(value: Body, key: string, type: 'string', at: string): string[] {
  return typeof value[key] === type ? [] : [`${at}.${key} is required (${type})`];
}

function oneOf(value: unknown, allowed: readonly string[], at: string): string[] {
  return typeof value === 'string' && allowed.includes(value) ? [] : [`${at} must be one of ${allowed.join(', ')}`];
}

function transferPlan(plan: unknown, at: string): string[] {
  if (plan === undefined) return [];
  const problems = membersOf(plan, TRANSFER_PLAN, at);
  if (!isObject(plan)) return problems;
  return [...problems, ...oneOf(plan.mode, modes, `${at}.mode`)];
}

function destination(dest: unknown, at: string): string[] {
  if (dest === undefined) return [];
  if (!isObject(dest)) return [`${at} must be an object`];
  if (dest.type === 'number') {
    return [
      ...membersOf(dest, NUMBER, at, ['type']),
      ...required(dest, 'number', 'string', at),
      ...optional(dest, 'extension', 'string', at),
      ...optional(dest, 'callerId', 'string', at),
      ...transferPlan(dest.transferPlan, `${at}.transferPlan`),
    ];
  }
  if (dest.type === 'sip') {
    return [
      ...membersOf(dest, SIP, at, ['type']),
      ...required(dest, 'sipUri', 'string', at),
      ...optional(dest, 'callerId', 'string', at),
      ...transferPlan(dest.transferPlan, `${at}.transferPlan`),
    ];
  }
  return [`${at}.type must be 'number' or 'sip'`];
}

type MessageType = Vapi.ClientInboundMessageMessage['type'];

/** One check per message type of the SDK's union: exhaustive, so a new type fails the build. */
const CHECKS: { [T in MessageType]: (body: Body) => string[] } = {
  'add-message': (b) => {
    const problems = membersOf(b, ADD_MESSAGE, 'body', ['type']);
    const message = b.message;
    if (!isObject(message)) return [...problems, 'body.message is required (object)'];
    const content = message.content;
    return [
      ...problems,
      ...membersOf(message, OPENAI_MESSAGE, 'body.message'),
      ...oneOf(message.role, roles, 'body.message.role'),
      ...(typeof content === 'string' || content === null ? [] : ['body.message.content must be a string or null']),
      ...optional(b, 'triggerResponseEnabled', 'boolean', 'body'),
    ];
  },
  control: (b) => [...membersOf(b, { control: true }, 'body', ['type']), ...oneOf(b.control, controls, 'body.control')],
  say: (b) => [
    ...membersOf(b, SAY, 'body', ['type']),
    ...optional(b, 'content', 'string', 'body'),
    ...optional(b, 'endCallAfterSpoken', 'boolean', 'body'),
    ...optional(b, 'interruptionsEnabled', 'boolean', 'body'),
    ...optional(b, 'interruptAssistantEnabled', 'boolean', 'body'),
  ],
  'end-call': (b) => membersOf(b, {}, 'body', ['type']),
  transfer: (b) => [
    ...membersOf(b, TRANSFER, 'body', ['type']),
    ...optional(b, 'content', 'string', 'body'),
    ...destination(b.destination, 'body.destination'),
  ],
  'send-transport-message': (b) => {
    const problems = membersOf(b, { message: true }, 'body', ['type']);
    return isObject(b.message) ? problems : [...problems, 'body.message is required (object)'];
  },
};

/**
 * Why `body` is not a `Vapi.ClientInboundMessageMessage` (empty when it is one): unknown
 * message type, a member the SDK type does not have, a missing required member, a wrong type
 * or an enum value the SDK does not list.
 */
export function vapiControlBodyProblems(body: unknown): string[] {
  if (!isObject(body)) return ['body must be a JSON object'];
  const type = body.type;
  if (typeof type !== 'string' || !Object.hasOwn(CHECKS, type)) {
    return [`body.type must be one of ${Object.keys(CHECKS).join(', ')}`];
  }
  return CHECKS[type as MessageType](body);
}
