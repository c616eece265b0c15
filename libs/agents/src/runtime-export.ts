/**
 * Exports canonical actions as the tools the voice runtimes import: Vapi function tools
 * (`POST /tool`, `type: "function"`), Retell custom functions (a Retell LLM's `general_tools`
 * entry, `type: "custom"`) and ElevenLabs webhook (server) tools (the `toolConfig` of the
 * official SDK's `conversationalAi.tools.create`, `type: "webhook"`, camelCase as the SDK takes it).
 *
 * Every tool posts to one URL given by the caller, by default the agent's drop-in endpoint
 * ({@link dropinUrl}). An ElevenLabs tool names itself in a constant `?tool=` query parameter
 * and sends the call's identity in headers filled from system dynamic variables
 * ({@link ElevenLabsCallHeaders}), as the ElevenLabs drop-in endpoint reads them. What the runtime says around the call is
 * taken from the action: its progress message (spoken when the call starts) and its failure
 * message (the unconditional `respond` of `on_failure`). A message with `{{placeholders}}` is left
 * out: the runtime cannot render Switchboard's templates and would read the braces aloud.
 *
 * Each runtime accepts a narrower JSON Schema than the LLM APIs (Vapi: one type per schema and
 * string enums only; ElevenLabs: a description on every property; neither takes `default` or
 * `additionalProperties`), so the parameter schema of {@link parametersSchema} is narrowed here,
 * and what a keyword would have said (a default, a non-string enum) moves into the description.
 */
import { type CanonicalAction, defaultDelayedMessage, pickLocale, type Step } from '@switchboard/actions';
import type { JsonSchema, JsonSchemaType } from './export.js';
import { parametersSchema, toolDescription } from './export.js';

/** The runtimes whose tool formats are exported. */
export const RuntimeFormats = { Vapi: 'vapi', Retell: 'retell', ElevenLabs: 'elevenlabs' } as const;
/** One of {@link RuntimeFormats}. */
export type RuntimeFormat = (typeof RuntimeFormats)[keyof typeof RuntimeFormats];

/** A property schema as Vapi takes it (`JsonSchema` of `@vapi-ai/server-sdk`). */
export interface VapiJsonSchema {
  type: Exclude<JsonSchemaType, 'null'>;
  description?: string;
  format?: 'date' | 'date-time' | 'time';
  enum?: string[];
  items?: VapiJsonSchema;
  properties?: Record<string, VapiJsonSchema>;
  required?: string[];
}

/** One of Vapi's tool `messages`: spoken when the request starts, is slow, or fails. */
export interface VapiToolMessage {
  type: 'request-start' | 'request-response-delayed' | 'request-failed';
  content: string;
}

/** A Vapi function tool (`CreateToolsRequest.Function` of `@vapi-ai/server-sdk`). */
export interface VapiTool {
  type: 'function';
  function: {
    name: string;
    description: string;
    parameters: { type: 'object'; properties: Record<string, VapiJsonSchema>; required: string[] };
  };
  /** Where Vapi posts the `tool-calls` message: the agent's Vapi drop-in endpoint. */
  server: { url: string };
  messages: VapiToolMessage[];
}

/** A Retell custom function (`general_tools` entry of `retell-sdk`'s `LlmCreateParams`). */
export interface RetellTool {
  type: 'custom';
  name: string;
  description: string;
  /** Where Retell posts `{ call, name, args }`: the agent's Retell drop-in endpoint. */
  url: string;
  method: 'POST';
  /** Arguments under `args`, as the drop-in endpoint reads them. */
  args_at_root: false;
  parameters: { type: 'object'; properties: Record<string, JsonSchema>; required: string[] };
  /** True when the action has a progress message to say while the chain runs. */
  speak_during_execution: boolean;
  execution_message_description?: string;
  execution_message_type?: 'static_text';
  /** The model speaks the result (the chain's messages) once it is back. */
  speak_after_execution: true;
}

/** An ElevenLabs property schema (`LiteralJsonSchemaProperty`, `ArrayJsonSchemaPropertyInput`, `ObjectJsonSchemaPropertyInput`). */
export type ElevenLabsProperty =
  | { type: 'string' | 'number' | 'integer' | 'boolean'; description: string; enum?: string[] }
  | { type: 'array'; description: string; items: ElevenLabsProperty }
  | { type: 'object'; description: string; properties: Record<string, ElevenLabsProperty>; required: string[] };

/**
 * The headers an ElevenLabs tool sends for the drop-in endpoint, each filled from a system
 * dynamic variable: the conversation (its key), the Twilio CallSid, the caller, the number called.
 */
export const ElevenLabsCallHeaders = {
  'X-ElevenLabs-Conversation-Id': 'system__conversation_id',
  'X-ElevenLabs-Call-Sid': 'system__call_sid',
  'X-ElevenLabs-Caller-Id': 'system__caller_id',
  'X-ElevenLabs-Called-Number': 'system__called_number',
} as const;

/** An ElevenLabs webhook tool config (`ToolRequestModelToolConfig.Webhook` of `@elevenlabs/elevenlabs-js`). */
export interface ElevenLabsTool {
  type: 'webhook';
  name: string;
  description: string;
  apiSchema: {
    url: string;
    method: 'POST';
    /** `?tool=<name>`: a constant, so one URL serves every tool of the agent. */
    queryParamsSchema: { properties: { tool: { type: 'string'; constantValue: string } }; required: ['tool'] };
    /** The call's identity from system dynamic variables (`ConvAiDynamicVariable`). */
    requestHeaders: Record<keyof typeof ElevenLabsCallHeaders, { variableName: string }>;
    requestBodySchema: {
      type: 'object';
      description: string;
      properties: Record<string, ElevenLabsProperty>;
      required: string[];
    };
  };
}

/** The exported tool type of each runtime format. */
export interface RuntimeToolsByFormat {
  vapi: VapiTool;
  retell: RetellTool;
  elevenlabs: ElevenLabsTool;
}

/** The drop-in endpoint a runtime's tools post to: `{base}/v1/dropin/{runtime}/{agent}`. */
export function dropinUrl(baseUrl: string, runtime: RuntimeFormat, agent: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/v1/dropin/${runtime}/${encodeURIComponent(agent)}`;
}

/** What the runtime says when the call starts: the progress message (or label) of an action that shows progress. */
export function spokenProgressMessage(action: CanonicalAction): string | undefined {
  if (!action.includeInProgressIndicator) return undefined;
  return speakable(action.progressMessage ?? action.label);
}

/** Options of the runtime exporters. */
export interface RuntimeToolOptions {
  /** The agent's locale: which text of a per-locale message the tool carries (default English). */
  locale?: string;
}

/**
 * What the runtime says when the call fails: the action's own failure message (in the locale),
 * else the unconditional `respond` message of `on_failure`; never one with a placeholder.
 */
export function spokenFailureMessage(action: CanonicalAction, options: RuntimeToolOptions = {}): string | undefined {
  const own = pickLocale(action.messages?.failed, options.locale);
  const spokenOwn = own === undefined ? undefined : speakable(own);
  if (spokenOwn !== undefined) return spokenOwn;
  const respond = action.onFailure.find(
    (step): step is Extract<Step, { type: 'respond'; message: string }> => step.type === 'respond' && 'message' in step,
  );
  return respond ? speakable(respond.message) : undefined;
}

/**
 * What the runtime says when the call is slow: the action's own delayed message (in the locale),
 * else the default "still working" text of the locale — what the REST answer's `progress` event says.
 */
export function spokenDelayedMessage(action: CanonicalAction, options: RuntimeToolOptions = {}): string {
  return pickLocale(action.messages?.delayed, options.locale) ?? defaultDelayedMessage(options.locale);
}

/** A Vapi function tool posting to `url`. */
export function toVapiTool(
  action: CanonicalAction,
  toolName: string,
  url: string,
  options: RuntimeToolOptions = {},
): VapiTool {
  const schema = parametersSchema(action);
  const messages: VapiToolMessage[] = [];
  const progress = spokenProgressMessage(action);
  if (progress) messages.push({ type: 'request-start', content: progress });
  messages.push({ type: 'request-response-delayed', content: spokenDelayedMessage(action, options) });
  const failure = spokenFailureMessage(action, options);
  if (failure) messages.push({ type: 'request-failed', content: failure });
  const properties: Record<string, VapiJsonSchema> = {};
  for (const [name, property] of Object.entries(schema.properties)) define(properties, name, toVapiSchema(property));
  return {
    type: 'function',
    function: {
      name: toolName,
      description: toolDescription(action),
      parameters: { type: 'object', properties, required: schema.required },
    },
    server: { url },
    messages,
  };
}

/** A Retell custom function posting to `url`. */
export function toRetellTool(
  action: CanonicalAction,
  toolName: string,
  url: string,
  options: RuntimeToolOptions = {},
): RetellTool {
  const { properties, required } = parametersSchema(action);
  // Retell has one message, said as the call starts: the progress message, else the action's
  // own delayed message (not the default: an action that says nothing stays quiet).
  const own = pickLocale(action.messages?.delayed, options.locale);
  const progress = spokenProgressMessage(action) ?? (own === undefined ? undefined : speakable(own));
  return {
    type: 'custom',
    name: toolName,
    description: toolDescription(action),
    url,
    method: 'POST',
    args_at_root: false,
    parameters: { type: 'object', properties, required },
    speak_during_execution: progress !== undefined,
    ...(progress ? { execution_message_description: progress, execution_message_type: 'static_text' as const } : {}),
    speak_after_execution: true,
  };
}

/** An ElevenLabs webhook tool posting the arguments as its JSON body to `url?tool=<name>`. */
export function toElevenLabsTool(action: CanonicalAction, toolName: string, url: string): ElevenLabsTool {
  const schema = parametersSchema(action);
  const properties: Record<string, ElevenLabsProperty> = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    define(properties, name, toElevenLabsProperty(property, name));
  }
  return {
    type: 'webhook',
    name: toolName,
    description: toolDescription(action),
    apiSchema: {
      url,
      method: 'POST',
      queryParamsSchema: { properties: { tool: { type: 'string', constantValue: toolName } }, required: ['tool'] },
      requestHeaders: {
        'X-ElevenLabs-Conversation-Id': { variableName: ElevenLabsCallHeaders['X-ElevenLabs-Conversation-Id'] },
        'X-ElevenLabs-Call-Sid': { variableName: ElevenLabsCallHeaders['X-ElevenLabs-Call-Sid'] },
        'X-ElevenLabs-Caller-Id': { variableName: ElevenLabsCallHeaders['X-ElevenLabs-Caller-Id'] },
        'X-ElevenLabs-Called-Number': { variableName: ElevenLabsCallHeaders['X-ElevenLabs-Called-Number'] },
      },
      requestBodySchema: {
        type: 'object',
        description: `Arguments of ${action.label}`,
        properties,
        required: schema.required,
      },
    },
  };
}

/** The runtime tool of `format` for the action. */
export function toRuntimeTool<F extends RuntimeFormat>(
  action: CanonicalAction,
  format: F,
  toolName: string,
  url: string,
  options: RuntimeToolOptions = {},
): RuntimeToolsByFormat[F] {
  switch (format) {
    case 'vapi':
      return toVapiTool(action, toolName, url, options) as RuntimeToolsByFormat[F];
    case 'retell':
      return toRetellTool(action, toolName, url, options) as RuntimeToolsByFormat[F];
    case 'elevenlabs':
      return toElevenLabsTool(action, toolName, url) as RuntimeToolsByFormat[F];
    default:
      throw new TypeError(`unknown runtime format '${String(format)}'`);
  }
}

// ---------------------------------------------------------------------------------------------

/** The text, when it holds no `{{placeholder}}` the runtime would read aloud; trimmed, never empty. */
function speakable(text: string): string | undefined {
  const trimmed = text.trim();
  return trimmed === '' || trimmed.includes('{{') ? undefined : trimmed;
}

function define<T>(target: Record<string, T>, key: string, value: T): void {
  // defineProperty: a parameter named `__proto__` must stay a property.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The description plus what `default` and a non-string `enum` would have said. */
function describe(schema: JsonSchema, fallback: string | undefined): string | undefined {
  const notes: string[] = [];
  const base = schema.description ?? fallback;
  if (base) notes.push(/[.!?:]$/.test(base) ? base : `${base}.`);
  if (schema.enum !== undefined && !schema.enum.every((v) => typeof v === 'string')) {
    notes.push(`One of: ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}.`);
  }
  if (schema.default !== undefined) notes.push(`Defaults to ${JSON.stringify(schema.default)}.`);
  return notes.length > 0 ? notes.join(' ') : undefined;
}

/** One type for a schema: the untyped `array` items (several types) are taken as strings. */
function singleType(schema: JsonSchema): Exclude<JsonSchemaType, 'null'> {
  const type = Array.isArray(schema.type) ? 'string' : schema.type;
  return type === undefined || type === 'null' ? 'string' : type;
}

function stringEnum(schema: JsonSchema): string[] | undefined {
  return schema.enum?.every((v) => typeof v === 'string') ? (schema.enum as string[]) : undefined;
}

function toVapiSchema(schema: JsonSchema): VapiJsonSchema {
  const out: VapiJsonSchema = { type: singleType(schema) };
  const description = describe(schema, undefined);
  if (description) out.description = description;
  if (schema.format) out.format = schema.format;
  const values = stringEnum(schema);
  if (values) out.enum = [...values];
  if (schema.items) out.items = toVapiSchema(schema.items);
  else if (out.type === 'array') out.items = { type: 'string' };
  return out;
}

const FORMAT_NOTES: Record<NonNullable<JsonSchema['format']>, string> = {
  date: 'A date, YYYY-MM-DD.',
  'date-time': 'A date and time, ISO 8601 with its offset (e.g. 2026-12-09T15:00:00-05:00).',
  time: 'A time of day, HH:MM:SS.',
};

function toElevenLabsProperty(schema: JsonSchema, name: string): ElevenLabsProperty {
  // ElevenLabs refuses a property with neither a description nor a value source, and has no
  // `format`: the format is said in words.
  const format = schema.format ? FORMAT_NOTES[schema.format] : undefined;
  const described = describe(schema, undefined);
  const description = [described ?? (format ? undefined : name), format].filter(Boolean).join(' ');
  const type = singleType(schema);
  if (type === 'array') {
    return {
      type: 'array',
      description,
      items: schema.items ? toElevenLabsProperty(schema.items, `an item of ${name}`) : { type: 'string', description },
    };
  }
  if (type === 'object') return { type: 'object', description, properties: {}, required: [] };
  const values = stringEnum(schema);
  return values ? { type, description, enum: [...values] } : { type, description };
}
