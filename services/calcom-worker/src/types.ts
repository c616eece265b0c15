/**
 * Operations of the Cal.com worker and their contracts: declared once in
 * `@switchboard/operations` (names, payload and result types), re-exported here for the worker.
 */
export type { CalcomBookInput, CalcomBookResult, CalcomSlotsInput, CalcomSlotsResult } from '@switchboard/actions';
export type {
  CalcomBookingState,
  CalcomCancelInput,
  CalcomCancelResult,
  CalcomFindBookingInput,
  CalcomFindBookingResult,
  CalcomGetInput,
  CalcomGetResult,
  CalcomOperation,
  CalcomRescheduleInput,
  CalcomRescheduleResult,
} from '@switchboard/operations';
export { CalcomOperations, IDEMPOTENCY_METADATA_KEY } from '@switchboard/operations';
