export {
  type ActionDefinitionRow,
  findLatestAction,
  listActionNames,
  saveActionVersion,
} from './action-definitions.js';
export {
  type ActionRun,
  type FinishedRun,
  findRun,
  findRunStatus,
  finishRun,
  insertAcceptedRun,
  listRuns,
  markRunStarted,
  type RunStatus,
  TERMINAL_RUN_STATUSES,
  withdrawAcceptedRun,
} from './action-runs.js';
export { findAgentLocale, setAgentLocale } from './agent-locale.js';
export { findAgentRuntimes, setAgentRuntimes } from './agent-runtimes.js';
export {
  beginIdempotentTurn,
  findIdempotentTurn,
  findTurnConfirmation,
  finishIdempotentTurn,
  type IdempotentTurn,
  keepIdempotentTurnUserSeq,
  setTurnConfirmation,
  type TurnConfirmation,
  withConversationTurnLock,
} from './agent-turns.js';
export {
  type AgentActionInput,
  type AgentLlmSettings,
  type AgentTopic,
  type AgentTopicInput,
  findAgentLlmSettings,
  findAgentTopics,
  findAgentVersionInstructions,
  findPublishedAction,
  listAgentActions,
  listAgentTopicActions,
  listAgentVersions,
  publishAgentVersion,
  type SavedAgentVersion,
  saveAgentVersion,
  stableJson,
  type TopicActionRow,
} from './agent-versions.js';
export {
  type Agent,
  type AgentWithSettings,
  findAgentById,
  findAgentByName,
  findAgentWithSettings,
  listAgents,
  upsertAgent,
} from './agents.js';
export {
  type ApiKeyRecord,
  findApiKey,
  listApiKeys,
  type RevokeApiKeyOutcome,
  revokeApiKey,
} from './api-key-records.js';
export {
  type ApiKeyCheck,
  type ApiKeyPrincipal,
  checkApiKey,
  createApiKey,
  listInactiveApiKeys,
  parseApiKey,
  verifyApiKey,
} from './api-keys.js';
export {
  type DeliveryOutcome,
  type DeliveryTarget,
  findAgentResultWebhook,
  findRunForDelivery,
  markRunAnsweredEarly,
  type ResultWebhookSettings,
  type RunForDelivery,
  recordRunDelivery,
} from './async-results.js';
export {
  type Conversation,
  createConversation,
  findConversation,
  findConversationByCallSid,
  findConversationWithAgent,
} from './conversations.js';
export {
  CredentialMissingError,
  type CredentialProvider,
  CredentialProviders,
  type CredentialSecret,
  countCredentialsByStatus,
  generateKeyringSpec,
  type Keyring,
  listCredentials,
  parseKeyring,
  putCredential,
  readCredential,
  rotateCredentials,
  setCredentialStatus,
} from './credentials.js';
export {
  claimEffect,
  completeEffect,
  type EffectRecord,
  findEffectClaimedAt,
  isEffectRefTakenElsewhere,
  noteEffectRef,
  releaseEffect,
} from './effects.js';
export { type Endpoint, findEndpoint, listEndpoints, upsertEndpoint } from './endpoints.js';
export {
  type ExternalConversation,
  type ExternalConversationInput,
  findConversationByExternalId,
  findOrCreateExternalConversation,
} from './external-conversations.js';
export { applyHandoff, type HandoffRecord, handoffOf, type RunEvents, type RunHandoff } from './handoffs.js';
export { type IdPrefix, IdPrefixes, intentIdForKey, newId } from './ids.js';
export { migrate, migrationsDir } from './migrate.js';
export {
  createPool,
  type Pool,
  pingDatabase,
  type Queryable,
  withAdvisoryLockOrSkip,
  withTransaction,
} from './pool.js';
export { type ProviderCallRecord, pruneProviderCalls, recordProviderCalls } from './provider-calls.js';
export { addRateCounts, pruneRateCounts, type RateCount } from './rate-counters.js';
export { listReferenceTargets, type ReferenceTargets } from './reference-targets.js';
export {
  countStuckRuns,
  listOverdueRuns,
  listRunsPage,
  type OverdueRun,
  RUN_LIST_STATUSES,
  type RunCursor,
  type RunFilter,
  type RunListStatus,
  type RunPage,
  type RunSummary,
} from './runs.js';
export {
  listSandboxEffects,
  markSandboxEffect,
  recordSandboxEffect,
  type SandboxEffect,
  type SandboxEffectInput,
  type SandboxEffectState,
  SandboxEffectStates,
  type SandboxUndo,
} from './sandbox-effects.js';
export {
  type ActionStats,
  type ErrorCount,
  type OutcomeBucket,
  outcomeSeries,
  type ProviderStats,
  type TenantStats,
  TOP_ERRORS,
  tenantStats,
} from './stats.js';
export {
  type CreateTenantOutcome,
  createTenant,
  createTenantWithAdminKey,
  disableTenant,
  findTenantByName,
  listTenants,
  type Tenant,
  type TenantRecord,
} from './tenants.js';
export {
  findAgentKeepEffects,
  findTestCallCleanup,
  findTestCallEndPolicy,
  recordTestCallCleanup,
  setAgentKeepEffects,
  setConversationKeepEffects,
  type TestCallEndPolicy,
} from './test-call-cleanup.js';
export {
  type AppendTranscriptOutcome,
  appendTranscriptMessage,
  type EndConversationOutcome,
  endConversation,
  listEndedConversations,
  listTranscript,
  type TranscriptEntry,
  type TranscriptMessage,
  type TranscriptRole,
  type TranscriptToolCall,
} from './transcripts.js';
