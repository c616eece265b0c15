/**
 * `@switchboard/telephony-worker`: Twilio SMS and live-call control for Switchboard's provider
 * steps, plus the Twilio client other services reuse (Twilio's webhook signatures are in
 * `@switchboard/webhook-signatures`). (`main.ts` runs the worker and is not exported.)
 */
export { DEFAULT_ANNOUNCE_URL, readTelephonyConfig, type TelephonyConfig } from './config.js';
export type { EndCallOutcome } from './end-call.js';
export type { SmsSendOutcome } from './sms.js';
export { createTelephonyActivities, TelephonyOperations } from './telephony.activities.js';
export {
  type CallerState,
  CallerStates,
  TRANSFER_LABEL,
  type TransferOutcome,
  type TransferStatus,
  TransferStatuses,
} from './transfer.js';
export {
  type CreateParticipantParams,
  createTwilioClient,
  encodeForm,
  FINAL_CALL_STATUSES,
  type FormParams,
  type FormValue,
  type ListCallsParams,
  type ListMessagesParams,
  type SendMessageParams,
  TWILIO,
  type TwilioCall,
  type TwilioCallStatus,
  type TwilioClient,
  type TwilioClientOptions,
  type TwilioConference,
  type TwilioErrorBody,
  type TwilioMessage,
  type TwilioParticipant,
  twilioErrorCode,
  twilioFailure,
  type UpdateCallParams,
  type UpdateConferenceParams,
  type UpdateParticipantParams,
} from './twilio-client.js';
export {
  type DialDestination,
  escapeXml,
  escapeXmlAttr,
  MAX_TWIML_LENGTH,
  Twiml,
  type TwimlAttrs,
  type TwimlVerb,
  xmlSafe,
} from './twiml.js';
