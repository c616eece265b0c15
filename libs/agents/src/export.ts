/**
 * Exports canonical actions to the LLM tool formats people use: OpenAI chat-completions function
 * tools, Anthropic tools and MCP tools (spec 2025-06-18); and, through {@link exportTools} with a
 * URL, to the voice runtimes' tool formats (Vapi, Retell, ElevenLabs: see `runtime-export.ts`).
 *
 * The parameter schema is the JSON Schema (draft 2020-12) subset all three APIs accept:
 * `type`, `description`, `enum`, `default`, `items`, `format`, `properties`, `required`,
 * `additionalProperties`. Switchboard metadata (confirmation, hidden outputs) travels under
 * `x-switchboard`: in MCP's `_meta`, and for OpenAI/Anthropic in a non-enumerable `metadata`
 * property, because those APIs reject unknown fields — `JSON.stringify` (what every HTTP client
 * sends) leaves it out, while the caller can still read `tool.metadata`.
 */
import type { ActionSource, CanonicalAction, ItemType, ParameterSpec, RunMode, Step } from '@switchboard/actions';
import type { JsonValue } from '@switchboard/common';
import { type RuntimeToolsByFormat, toRuntimeTool } from './runtime-export.js';
import { assignToolNames, toolNameFor } from './tool-names.js';

/** JSON Schema type names. */
export type JsonSchemaType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';

/** The JSON Schema subset the exported tools use. */
export interface JsonSchema {
  type?: JsonSchemaType | JsonSchemaType[];
  description?: string;
  enum?: (string | number | boolean)[];
  default?: JsonValue;
  /** Only the formats of the date/time value types. */
  format?: 'date' | 'date-time' | 'time';
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
}

/** The schema of a tool's arguments: always a closed object. */
export interface ParametersSchema extends JsonSchema {
  type: 'object';
  properties: Record<string, JsonSchema>;
  required: string[];
  additionalProperties: false;
}

/** Key of Switchboard's metadata, in MCP `_meta` and in the `metadata` of other formats. */
export const METADATA_KEY = 'x-switchboard';

/** What the caller of an exported tool needs to know that the LLM payload does not carry. */
export interface SwitchboardToolMetadata {
  /** The exact action name the tool runs (the reverse of the tool-name derivation). */
  actionName: string;
  /** The tool name the model sees. */
  toolName: string;
  /** Display label. */
  label: string;
  source: ActionSource;
  /** The caller must get the user's explicit confirmation before running the action. */
  requireUserConfirmation: boolean;
  /** The caller shows a progress indicator while the action runs. */
  includeInProgressIndicator: boolean;
  /** Outputs kept out of the model's context (`filter_from_agent`); strip them from results. */
  hiddenOutputs: string[];
  /** When the action runs; absent means the model chooses (`tool`). */
  run?: RunMode;
}

/** `{ 'x-switchboard': ... }`: the shape of MCP `_meta` and of `metadata`. */
export interface ToolMetadata {
  [METADATA_KEY]: SwitchboardToolMetadata;
}

/** An OpenAI chat-completions function tool (the JSON sent in `tools`). */
export interface OpenAITool {
  type: 'function';
  function: {
    name: string;
    description: string;
    parameters: ParametersSchema;
    /** Always false: strict mode requires every property to be required, which optional parameters are not. */
    strict?: false;
  };
}

/** An Anthropic Messages API tool. */
export interface AnthropicTool {
  name: string;
  description: string;
  input_schema: ParametersSchema;
}

/** MCP tool annotations (spec 2025-06-18); hints only, never trusted for security. */
export interface McpToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** An MCP tool as listed by `tools/list` (spec 2025-06-18). */
export interface McpTool {
  name: string;
  title?: string;
  description: string;
  inputSchema: ParametersSchema;
  annotations?: McpToolAnnotations;
  _meta?: ToolMetadata;
}

/**
 * An exported OpenAI/Anthropic tool: the API payload, plus Switchboard metadata in a
 * non-enumerable `metadata` property (absent from `JSON.stringify`, spreads and structured clones).
 */
export type WithMetadata<T> = T & { readonly metadata: ToolMetadata };

/** The supported export formats. */
export const ToolFormats = {
  OpenAI: 'openai',
  Anthropic: 'anthropic',
  Mcp: 'mcp',
  Vapi: 'vapi',
  Retell: 'retell',
  ElevenLabs: 'elevenlabs',
} as const;
/** One of {@link ToolFormats}. */
export type ToolFormat = (typeof ToolFormats)[keyof typeof ToolFormats];

/** The formats of voice runtimes, whose tools post to a URL ({@link ExportToolsOptions.url}). */
export const RUNTIME_TOOL_FORMATS: readonly ToolFormat[] = ['vapi', 'retell', 'elevenlabs'];

/** The exported tool type of each format. */
export interface ToolsByFormat extends RuntimeToolsByFormat {
  openai: WithMetadata<OpenAITool>;
  anthropic: WithMetadata<AnthropicTool>;
  mcp: McpTool;
}

/** Options of the single-tool exporters. */
export interface ToolExportOptions {
  /** The tool name to use; defaults to {@link toolNameFor}(action.name). {@link exportTools} passes collision-free names. */
  toolName?: string;
}

/** Options of {@link exportTools}. */
export interface ExportToolsOptions {
  /**
   * Also export actions that run deterministically (`run: every_turn | after_turn`). They are
   * left out by default: the runtime runs them, and offering them to the model would let it run
   * them a second time.
   */
  includeDeterministic?: boolean;
  /**
   * The URL the runtime's tools post to; required for the runtime formats (`vapi`, `retell`,
   * `elevenlabs`), ignored by the others. For Vapi and Retell it is the agent's drop-in endpoint
   * (`dropinUrl`).
   */
  url?: string;
  /** The agent's locale, for the runtime formats' messages (`RuntimeToolOptions.locale`). */
  locale?: string;
}

/** Result of {@link exportTools}. */
export interface ExportedTools<T> {
  /** The tools, in the order of the given actions. */
  tools: T[];
  /** Tool name → exact action name, to route the model's tool calls back. */
  nameMap: Record<string, string>;
  /** Names of the actions left out (deterministic runs), in order. */
  omitted: string[];
}

/** Appended to the description of actions that require confirmation. */
export const CONFIRMATION_NOTE = "Requires the user's explicit confirmation before running.";

/** The JSON Schema of an action's parameters. */
export function parametersSchema(action: CanonicalAction): ParametersSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const param of action.parameters) {
    // defineProperty: a parameter named `__proto__` must stay a property.
    Object.defineProperty(properties, param.name, {
      value: parameterSchema(param),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    // A default is applied before the required check, so the model need not supply it.
    if (param.required && param.default === undefined) required.push(param.name);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

/** The description the model sees: the action's description (or label), plus the confirmation note. */
export function toolDescription(action: CanonicalAction): string {
  const base = action.description.trim() || action.label.trim() || action.name;
  return action.requireUserConfirmation ? joinSentences([base, CONFIRMATION_NOTE]) : base;
}

/** Joins non-empty texts with a space, ending each but the last with a full stop when it has no end punctuation. */
function joinSentences(parts: readonly string[]): string {
  const texts = parts.filter((part) => part.length > 0);
  return texts.map((text, i) => (i < texts.length - 1 && !/[.!?:]$/.test(text) ? `${text}.` : text)).join(' ');
}

/** Switchboard's metadata of an action exported under `toolName`. */
export function toolMetadata(action: CanonicalAction, toolName: string = toolNameFor(action.name)): ToolMetadata {
  const meta: SwitchboardToolMetadata = {
    actionName: action.name,
    toolName,
    label: action.label,
    source: action.source,
    requireUserConfirmation: action.requireUserConfirmation,
    includeInProgressIndicator: action.includeInProgressIndicator,
    hiddenOutputs: action.outputs.filter((output) => output.filterFromAgent).map((output) => output.name),
  };
  if (action.run !== undefined) meta.run = action.run;
  return { [METADATA_KEY]: meta };
}

/** An OpenAI chat-completions function tool for the action. */
export function toOpenAITool(action: CanonicalAction, options: ToolExportOptions = {}): WithMetadata<OpenAITool> {
  const name = options.toolName ?? toolNameFor(action.name);
  const tool: OpenAITool = {
    type: 'function',
    function: { name, description: toolDescription(action), parameters: parametersSchema(action), strict: false },
  };
  return attachMetadata(tool, toolMetadata(action, name));
}

/** An Anthropic tool for the action. */
export function toAnthropicTool(action: CanonicalAction, options: ToolExportOptions = {}): WithMetadata<AnthropicTool> {
  const name = options.toolName ?? toolNameFor(action.name);
  const tool: AnthropicTool = { name, description: toolDescription(action), input_schema: parametersSchema(action) };
  return attachMetadata(tool, toolMetadata(action, name));
}

/** An MCP tool for the action, with annotations derived from its steps and metadata in `_meta`. */
export function toMcpTool(action: CanonicalAction, options: ToolExportOptions = {}): McpTool {
  const name = options.toolName ?? toolNameFor(action.name);
  return {
    name,
    title: action.label,
    description: toolDescription(action),
    inputSchema: parametersSchema(action),
    annotations: mcpAnnotations(action),
    _meta: toolMetadata(action, name),
  };
}

/**
 * Exports actions in one format with collision-free tool names ({@link assignToolNames}) and the
 * map back to action names. Deterministic actions are omitted unless
 * {@link ExportToolsOptions.includeDeterministic}.
 */
export function exportTools<F extends ToolFormat>(
  actions: readonly CanonicalAction[],
  format: F,
  options: ExportToolsOptions = {},
): ExportedTools<ToolsByFormat[F]> {
  if (!(Object.values(ToolFormats) as string[]).includes(format)) {
    throw new TypeError(`unknown tool format '${String(format)}'; expected ${Object.values(ToolFormats).join(', ')}`);
  }
  const url = options.url;
  if (RUNTIME_TOOL_FORMATS.includes(format) && (url === undefined || url === '')) {
    throw new TypeError(`the ${format} format needs the URL its tools post to`);
  }
  // Names are assigned over every action, deterministic ones included, so that a tool name
  // means the same action in every export and in the drop-in endpoints' name map.
  const names = assignToolNames(actions.map((action) => action.name));
  const nameMap: Record<string, string> = {};
  const tools: ToolsByFormat[F][] = [];
  const omitted: string[] = [];
  actions.forEach((action, index) => {
    const deterministic = action.run === 'every_turn' || action.run === 'after_turn';
    if (deterministic && options.includeDeterministic !== true) {
      omitted.push(action.name);
      return;
    }
    const toolName = names[index] ?? toolNameFor(action.name);
    Object.defineProperty(nameMap, toolName, {
      value: action.name,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    tools.push(exportOne(action, format, toolName, url ?? '', options.locale));
  });
  return { tools, nameMap, omitted };
}

function exportOne<F extends ToolFormat>(
  action: CanonicalAction,
  format: F,
  toolName: string,
  url: string,
  locale: string | undefined,
): ToolsByFormat[F] {
  const options = { toolName };
  switch (format) {
    case 'openai':
      return toOpenAITool(action, options) as ToolsByFormat[F];
    case 'anthropic':
      return toAnthropicTool(action, options) as ToolsByFormat[F];
    case 'mcp':
      return toMcpTool(action, options) as ToolsByFormat[F];
    case 'vapi':
    case 'retell':
    case 'elevenlabs':
      return toRuntimeTool(action, format, toolName, url, locale === undefined ? {} : { locale }) as ToolsByFormat[F];
    default:
      throw new TypeError(`unknown tool format '${String(format)}'`);
  }
}

// ---------------------------------------------------------------------------------------------

function attachMetadata<T extends object>(tool: T, metadata: ToolMetadata): WithMetadata<T> {
  Object.defineProperty(tool, 'metadata', { value: metadata, enumerable: false, writable: false, configurable: true });
  return tool as WithMetadata<T>;
}

function parameterSchema(param: ParameterSpec): JsonSchema {
  const notes: string[] = [];
  let schema: JsonSchema;
  if (param.type === 'list') {
    schema = { type: 'array', items: itemSchema(param.items ?? 'string', param.complexDataTypeName) };
    if (param.enum !== undefined) schema.items = { ...schema.items, enum: [...param.enum] };
  } else if (param.type === 'array') {
    // OpenAI rejects arrays without `items` ("array schema missing items"); the declarative
    // `array` type is untyped, so its items may be any JSON scalar or object.
    schema = { type: 'array', items: { type: ['string', 'number', 'boolean', 'object'] } };
    if (param.enum !== undefined) schema.items = { enum: [...param.enum] };
  } else {
    const scalar = scalarSchema(param.type, param.complexDataTypeName);
    schema = scalar.schema;
    if (scalar.note) notes.push(scalar.note);
    if (param.enum !== undefined) schema.enum = [...param.enum];
  }
  const description = joinSentences([param.description?.trim() || param.label?.trim() || '', ...notes]);
  // Key order: type first, then description, so exported JSON reads naturally.
  const out: JsonSchema = { type: schema.type };
  if (description) out.description = description;
  if (schema.format) out.format = schema.format;
  if (schema.enum) out.enum = schema.enum;
  if (schema.items) out.items = schema.items;
  if (param.default !== undefined) out.default = structuredClone(param.default);
  return out;
}

function itemSchema(item: ItemType, complexDataTypeName: string | undefined): JsonSchema {
  const { schema, note } = scalarSchema(item, complexDataTypeName);
  return note ? { ...schema, description: note } : schema;
}

function scalarSchema(
  type: Exclude<ParameterSpec['type'], 'list' | 'array'>,
  complexDataTypeName: string | undefined,
): { schema: JsonSchema; note?: string } {
  switch (type) {
    case 'string':
    case 'id':
      return { schema: { type: 'string' } };
    case 'number':
      return { schema: { type: 'number' } };
    case 'integer':
    case 'long':
      return { schema: { type: 'integer' } };
    case 'boolean':
      return { schema: { type: 'boolean' } };
    case 'currency':
      return { schema: { type: 'number' }, note: 'A currency amount, as a number (e.g. 19.99).' };
    case 'date':
      return { schema: { type: 'string', format: 'date' } };
    case 'datetime':
      return { schema: { type: 'string', format: 'date-time' } };
    case 'time':
      return { schema: { type: 'string', format: 'time' } };
    case 'object':
      return complexDataTypeName
        ? { schema: { type: 'object' }, note: `An object of type ${complexDataTypeName}.` }
        : { schema: { type: 'object' } };
  }
}

/** Step types with effects outside the session (an activity talks to the world). */
const WORLD_STEPS: ReadonlySet<string> = new Set(['webhook', 'provider', 'handoff']);
/** Step types that change session state (context, flags) without leaving it. */
const STATE_STEPS: ReadonlySet<string> = new Set([
  'context.set',
  'context.delete',
  'flag.set',
  'flag.clear',
  'transform',
]);

/**
 * Hints from what the chain does. An action that only reads, validates, responds and logs is
 * read-only and closed-world. Anything else is not read-only; it is open-world when a step
 * (webhook, provider, handoff) or an unresolved target reaches outside; it is flagged
 * destructive exactly when its author asked for the user's confirmation (the only signal the
 * model carries); idempotence is never claimed, because a webhook may not be.
 */
function mcpAnnotations(action: CanonicalAction): McpToolAnnotations {
  const kinds = new Set<string>();
  const visit = (steps: readonly Step[]): void => {
    for (const step of steps) {
      kinds.add(step.type);
      if (step.type === 'conditional') {
        visit(step.then);
        if (step.else) visit(step.else);
      }
    }
  };
  visit(action.steps);
  visit(action.onSuccess);
  visit(action.onFailure);
  const unresolvedTarget = action.target !== undefined && action.steps.length === 0;
  const openWorld = unresolvedTarget || [...kinds].some((kind) => WORLD_STEPS.has(kind));
  const writes = openWorld || [...kinds].some((kind) => STATE_STEPS.has(kind));
  if (!writes) return { title: action.label, readOnlyHint: true, openWorldHint: false };
  return {
    title: action.label,
    readOnlyHint: false,
    destructiveHint: action.requireUserConfirmation,
    idempotentHint: false,
    openWorldHint: openWorld,
  };
}
