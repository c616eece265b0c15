/**
 * `@switchboard/actions`: the canonical action model, the parsers/validators of the surface
 * formats (declarative tools, typed actions), and the deterministic chain interpreter.
 *
 * Pure code — no I/O, clock or randomness — so it also runs inside Temporal workflows.
 * JSON Schemas of the surface formats are in `schemas/` of this package.
 */

export {
  ASYNC_SCHEMA_PROPERTIES,
  type AsyncFields,
  deliversLater,
  RespondWithinLimits,
  toolCallWaitMs,
} from './async-fields.js';
export { validateCanonicalAction } from './canonical.js';
export {
  DECLARATIVE_PARAMETER_TYPES,
  type DeclarativeParameterType,
  parseDeclarativeTool,
  validateDeclarativeTool,
} from './declarative.js';
export type { ExpressionLimits } from './expressions.js';
export {
  type ChainError,
  type ChainEvent,
  type ChainState,
  DEFAULT_INTERPRET_LIMITS,
  type EffectExecutor,
  type EffectRequest,
  emptyState,
  type InterpretInput,
  type InterpretLimits,
  type InterpretOptions,
  type InterpretResult,
  interpret,
  type OutputChecks,
  rememberedOutput,
  spokenMessages,
  visibleOutputs,
} from './interpreter.js';
export {
  type ActionMessages,
  checkActionMessages,
  defaultDelayedMessage,
  type LocalizedText,
  localizeMessages,
  MESSAGE_PROPERTIES,
  pickLocale,
} from './messages.js';
export {
  type ActionSource,
  ActionSources,
  actionNameProblems,
  type CanonicalAction,
  type ConditionalStep,
  type ContextDeleteStep,
  type ContextGetStep,
  type ContextSetStep,
  DECLARATIVE_STEP_TYPES,
  type EffectPolicy,
  EffectPolicyLimits,
  type EffectPolicySpec,
  type EffectRetryPolicy,
  type FlagClearStep,
  type FlagSetStep,
  formatValueType,
  type HandoffStep,
  type ItemType,
  isValidActionName,
  isValidToolName,
  type LogLevel,
  LogLevels,
  type LogStep,
  labelFromName,
  MAX_ACTION_NAME_LENGTH,
  type OutputSpec,
  type ParameterSpec,
  type PropertyValue,
  type ProviderStep,
  type RespondMessageKeyStep,
  type RespondMessageStep,
  type RespondStep,
  type RetryPolicySpec,
  type RunMode,
  RunModes,
  type Step,
  type StepType,
  StepTypes,
  type TargetScheme,
  TargetSchemes,
  type TransformStep,
  type ValidateRule,
  ValidateRules,
  type ValidateStep,
  type ValueType,
  ValueTypes,
  type WebhookStep,
} from './model.js';
export {
  deleteAtPath,
  getAtPath,
  MAX_PATH_DEPTH,
  MAX_PATH_LENGTH,
  type ParsedPath,
  type PathMode,
  type PathParseResult,
  parsePath,
  resolvePath,
  type ScopeName,
  Scopes,
  type ScopeView,
  setAtPath,
} from './paths.js';
export {
  mergeEffectPolicies,
  type PolicyNaming,
  type PolicyProblem,
  readEffectPolicy,
  retryIntervalProblem,
} from './policy.js';
export { checkRule } from './rules.js';
export {
  type ActionEffect,
  actionEffects,
  type EffectDefaults,
  effectBudgetMs,
  effectivePolicy,
  PROVIDER_EFFECT_DEFAULTS,
  type RunBudgetSettings,
  runBudgetMs,
  WEBHOOK_EFFECT_DEFAULTS,
} from './run-budget.js';
export { isLocale } from './spoken.js';
export { closestMatch, editDistance } from './suggest.js';
export {
  checkTemplate,
  parseTemplate,
  renderTemplate,
  stringifyForTemplate,
  type TemplatePart,
  type TemplateProblem,
  templatePaths,
} from './templates.js';
export { type ParsedTarget, parseTarget, parseTypedAction, validateTypedAction } from './typed.js';
export { DefinitionLimits, patternProblem, TOPIC_NAME_PATTERN } from './validate.js';
export { parseTypedTypeName, type TypeCheckOptions, type TypeSpec, typeMismatch } from './value-types.js';
export {
  checkPropertyValue,
  interpretStringValue,
  propertyValuePaths,
  quoteLiteral,
  resolvePropertyValue,
  type StringValueMeaning,
  type ValueProblem,
} from './values.js';

// Built-in actions of the voice platform, their provider-operation contracts, and action status.
// (A detached comment: the import sorter keeps this appended block as its own chunk.)

export {
  type AddressProblem,
  e164Problem,
  isE164,
  isIanaTimeZone,
  isSipUri,
  MAX_SIP_URI_LENGTH,
  parseSipUri,
  parseTransferDestination,
  publicUrlProblem,
  type SipUri,
  sipUriProblem,
  suggestTimeZone,
  type TransferDestination,
} from './builtins/addresses.js';
export {
  type BuiltinReference,
  builtinReferences,
  parseBuiltinAction,
  resolveBuiltinConfig,
  validateBuiltinAction,
} from './builtins/catalog.js';
export { BuiltinFormWidgets } from './builtins/fields.js';
export {
  BUILTIN_CATALOG,
  BUILTIN_KINDS,
  BuiltinCategories,
  type BuiltinCategory,
  type BuiltinKind,
  type BuiltinKindInfo,
  BuiltinKinds,
  type CredentialProvider,
  CredentialProviders,
} from './builtins/kinds.js';
export {
  isOAuth2Credential,
  type OAuth2ClientAuthMethod,
  OAuth2ClientAuthMethods,
  type OAuth2ClientCredentials,
  OAuth2CredentialFields,
  parseOAuth2Credential,
} from './builtins/oauth2.js';
export {
  applyResponseMapping,
  BuiltinContextPaths,
  type BuiltinOperation,
  BuiltinOperations,
  buildRequestPath,
  type CalcomBookInput,
  type CalcomBookResult,
  type CalcomSlotsInput,
  type CalcomSlotsResult,
  type CrmContactRef,
  type CrmLookupInput,
  type CrmLookupResult,
  type CrmTicketInput,
  type CrmTicketResult,
  type CrmUpdateInput,
  type CrmUpdateResult,
  type HttpAuth,
  type HttpRequestInput,
  joinTextParts,
  type PathPart,
  readResponsePath,
  type SessionPauseInactivityInput,
  type SessionPauseInactivityResult,
  type SessionResumeInactivityInput,
  type SessionResumeInactivityResult,
  type SmsSendInput,
  type SmsSendResult,
  type TelephonyEndCallInput,
  type TelephonyEndCallResult,
  type TelephonyTransferInput,
  type TelephonyTransferResult,
  type TextParts,
} from './builtins/operations.js';
export { BUILTIN_SCHEMA_ID, builtinActionSchema, builtinConfigSchema } from './builtins/schema.js';
export { isSecretName, secretValueKind } from './builtins/secrets.js';
export {
  type ActionReference,
  type ActionStatus,
  type ActionStatusContext,
  ActionStatuses,
  type ActionStatusReport,
  actionStatus,
  type ReferenceCheckResult,
  type StatusProblem,
  type StatusSubject,
} from './builtins/status.js';

// Format detection across the three surface formats.
export {
  type ActionFormat,
  ActionFormats,
  detectActionFormat,
  parseAnyAction,
  validateAnyAction,
} from './formats.js';
export { DEFAULT_SPOKEN_LOCALE, type SpokenFilter, SpokenFilters, spokenValue } from './spoken.js';
