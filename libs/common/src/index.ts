export {
  asSwitchboardError,
  NotFoundError,
  SwitchboardError,
  UnavailableError,
  ValidationError,
  type ValidationIssue,
} from './errors.js';
export type { JsonObject, JsonValue } from './json.js';
