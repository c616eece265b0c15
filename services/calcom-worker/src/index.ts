/**
 * The Cal.com provider worker: a Cal.com API v2 client and the activities serving
 * `calcom.slots`, `calcom.book`, `calcom.get`, `calcom.cancel` and `calcom.reschedule`.
 * The process entry point is `main.ts` (not exported).
 */

export { type InputIssue, MAX_SLOT_WINDOW_DAYS } from '@switchboard/operations';
export {
  type CalcomWorkerConfig,
  createCalcomActivities,
  findBookingByKey,
  idempotencyKey,
  readCalcomConfig,
} from './calcom.activities.js';
export {
  type BookingListStatus,
  type BookingPage,
  CALCOM_DEFAULT_BASE_URL,
  CALCOM_PROVIDER,
  CalcomApiVersions,
  type CalcomAttendee,
  type CalcomBooking,
  type CalcomClient,
  type CalcomClientOptions,
  type CalcomSlot,
  type CreateBookingRequest,
  createCalcomClient,
  type GetSlotsRequest,
  type ListBookingsQuery,
  type RescheduleBookingRequest,
  startToUtc,
} from './calcom-client.js';
export {
  type CalcomBookInput,
  type CalcomBookingState,
  type CalcomBookResult,
  type CalcomCancelInput,
  type CalcomCancelResult,
  type CalcomGetInput,
  type CalcomGetResult,
  type CalcomOperation,
  CalcomOperations,
  type CalcomRescheduleInput,
  type CalcomRescheduleResult,
  type CalcomSlotsInput,
  type CalcomSlotsResult,
  IDEMPOTENCY_METADATA_KEY,
} from './types.js';
