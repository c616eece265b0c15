/**
 * `@switchboard/agents`: agent instructions (Liquid templates over contact and call context),
 * the instruction linter (action references against configured actions), and the export of
 * actions to LLM tool formats (OpenAI, Anthropic, MCP).
 *
 * Pure code — no I/O — except that rendering reads the clock when no `now` is given.
 */

export {
  type AgentDefinitionInput,
  type CompiledAction,
  type CompiledAgent,
  compileAgentDefinition,
  type LocatedLintIssue,
  lintErrors,
} from './definition.js';
export {
  type AnthropicTool,
  CONFIRMATION_NOTE,
  type ExportedTools,
  type ExportToolsOptions,
  exportTools,
  type JsonSchema,
  type JsonSchemaType,
  type McpTool,
  type McpToolAnnotations,
  METADATA_KEY,
  type OpenAITool,
  type ParametersSchema,
  parametersSchema,
  RUNTIME_TOOL_FORMATS,
  type SwitchboardToolMetadata,
  type ToolExportOptions,
  type ToolFormat,
  ToolFormats,
  type ToolMetadata,
  type ToolsByFormat,
  toAnthropicTool,
  toMcpTool,
  toOpenAITool,
  toolDescription,
  toolMetadata,
  type WithMetadata,
} from './export.js';
export { type HandoffReference, handoffReferences } from './handoffs.js';
export {
  checkInstructionsSyntax,
  DEFAULT_INSTRUCTIONS_LIMITS,
  InstructionsError,
  type InstructionsErrorReason,
  InstructionsErrorReasons,
  type InstructionsSyntaxProblem,
  type InstructionsVariables,
  type RenderInstructionsOptions,
  renderInstructions,
} from './instructions.js';
export {
  type LintCode,
  LintCodes,
  type LintIssue,
  LintSeverities,
  type LintSeverity,
  lintInstructions,
} from './lint.js';
export { type ActionReference, findActionReferences, type ReferenceForm, ReferenceForms } from './references.js';
export type { LintAction } from './resolve.js';
export {
  dropinUrl,
  ElevenLabsCallHeaders,
  type ElevenLabsProperty,
  type ElevenLabsTool,
  type RetellTool,
  type RuntimeFormat,
  RuntimeFormats,
  type RuntimeToolOptions,
  type RuntimeToolsByFormat,
  spokenDelayedMessage,
  spokenFailureMessage,
  spokenProgressMessage,
  toElevenLabsTool,
  toRetellTool,
  toRuntimeTool,
  toVapiTool,
  type VapiJsonSchema,
  type VapiTool,
  type VapiToolMessage,
} from './runtime-export.js';
export { assignToolNames, MAX_TOOL_NAME_LENGTH, TOOL_NAME_PATTERN, toolNameFor } from './tool-names.js';
export {
  type CompiledTopic,
  type CompiledTopicAction,
  lintAgentInstructions,
  lintTopicInstructions,
  materializeImport,
  TOPIC_LIMITS,
  TOPIC_NAME_PATTERN,
} from './topics.js';
