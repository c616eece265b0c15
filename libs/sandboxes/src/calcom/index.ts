/**
 * Cal.com API v2 sandbox: a local HTTP server with the paths, headers, bodies, status codes and
 * error envelope of the real API for slots and bookings, plus state inspection, request
 * recording and fault injection. See {@link startCalcomSandbox}.
 */

export type { Fault } from '../faults.js';
export { type CalcomErrorBody, ExceptionNames } from './errors.js';
export {
  type AvailabilityRule,
  type BookingOutput,
  type BookingStatus,
  BookingStatuses,
  defaultEventTypes,
  type SandboxAttendee,
  type SandboxEventType,
  SandboxHost,
  type Weekday,
  Weekdays,
} from './model.js';
export {
  CalcomApiVersions,
  type CalcomOperationId,
  CalcomOperationIds,
  type CalcomSandbox,
  type CalcomSandboxOptions,
  type CalcomSandboxState,
  DEFAULT_CALCOM_SANDBOX_KEY,
  type RecordedRequest,
  startCalcomSandbox,
} from './server.js';
