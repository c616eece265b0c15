export { firstNonPublicAddress, isNonPublicAddress } from './addresses.js';
export {
  CALL_CHANNELS,
  type CallChannel,
  CallChannels,
  defaultCallChannel,
  isCallChannel,
} from './call-channels.js';
export { ConfigError, EnvReader } from './config.js';
export {
  asSwitchboardError,
  NotFoundError,
  SwitchboardError,
  UnavailableError,
  ValidationError,
  type ValidationIssue,
} from './errors.js';
export { type HealthServerRoutes, startHealthServer } from './health.js';
export type { JsonObject, JsonValue } from './json.js';
export { checkJson, JSON_MAX_DEPTH, type JsonCheckOptions, toStorableText, unstorableChar } from './json-limits.js';
export { createLogger, exitOnUncaught, type Logger, traceFields } from './logger.js';
export {
  isPlatformKeyShaped,
  matchesPlatformKey,
  newPlatformKey,
  PLATFORM_KEY_PREFIX,
  parsePlatformKeyHashes,
  platformKeyHash,
} from './platform-keys.js';
