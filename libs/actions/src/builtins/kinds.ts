/**
 * The catalog of built-in actions: their kinds, dashboard categories and the provider family
 * each one needs a credential for.
 */
import { type BuiltinOperation, BuiltinOperations } from './operations.js';

/** Kinds of built-in actions (the `type` of a built-in action document). */
export const BuiltinKinds = {
  TransferCall: 'transfer_call',
  EndCall: 'end_call',
  PauseInactivityTimer: 'pause_inactivity_timer',
  ResumeInactivityTimer: 'resume_inactivity_timer',
  CalcomCheckAvailability: 'calcom_check_availability',
  CalcomBook: 'calcom_book',
  CancelBooking: 'cancel_booking',
  RescheduleBooking: 'reschedule_booking',
  SendSms: 'send_sms',
  CrmLookup: 'crm_lookup',
  CrmUpdate: 'crm_update',
  CrmCreateTicket: 'crm_create_ticket',
  CustomApi: 'custom_api',
} as const;
/** One of {@link BuiltinKinds}. */
export type BuiltinKind = (typeof BuiltinKinds)[keyof typeof BuiltinKinds];

/** Every built-in kind, Call Control first, in dashboard order. */
export const BUILTIN_KINDS: readonly BuiltinKind[] = Object.values(BuiltinKinds);

/** The dashboard's two categories of actions. */
export const BuiltinCategories = { CallControl: 'call_control', Integration: 'integration' } as const;
/** One of {@link BuiltinCategories}. */
export type BuiltinCategory = (typeof BuiltinCategories)[keyof typeof BuiltinCategories];

/** Provider families whose credentials built-ins reference. */
export const CredentialProviders = {
  Calcom: 'calcom',
  Twilio: 'twilio',
  Hubspot: 'hubspot',
  /** A custom API's own secret (bearer token, basic user:password, API key). */
  Http: 'http',
} as const;
/** One of {@link CredentialProviders}. */
export type CredentialProvider = (typeof CredentialProviders)[keyof typeof CredentialProviders];

/** What the dashboard shows about a kind before it is configured. */
export interface BuiltinKindInfo {
  kind: BuiltinKind;
  category: BuiltinCategory;
  /** Title of the catalog card, e.g. "Transfer Call". */
  title: string;
  /** One sentence on what the action does. */
  summary: string;
  /** The provider operation the compiled action performs. */
  operation: BuiltinOperation;
  /** Which provider's credential the configuration references, when it needs one. */
  credentialProvider?: CredentialProvider;
}

/** Catalog entries, by kind. */
export const BUILTIN_CATALOG: Readonly<Record<BuiltinKind, BuiltinKindInfo>> = {
  transfer_call: {
    kind: 'transfer_call',
    category: 'call_control',
    title: 'Transfer Call',
    summary: 'Transfers the caller to a phone number or SIP address, cold or warm.',
    operation: BuiltinOperations.TelephonyTransfer,
  },
  end_call: {
    kind: 'end_call',
    category: 'call_control',
    title: 'End Call',
    summary: 'Says a final message and hangs up.',
    operation: BuiltinOperations.TelephonyEndCall,
  },
  pause_inactivity_timer: {
    kind: 'pause_inactivity_timer',
    category: 'call_control',
    title: 'Pause Inactivity Timer',
    summary: 'Gives the caller time (to look something up) before the inactivity handling resumes.',
    operation: BuiltinOperations.SessionPauseInactivity,
  },
  resume_inactivity_timer: {
    kind: 'resume_inactivity_timer',
    category: 'call_control',
    title: 'Resume Inactivity Timer',
    summary: 'Ends an explicit pause once the caller is back, so the inactivity handling applies again.',
    operation: BuiltinOperations.SessionResumeInactivity,
  },
  calcom_check_availability: {
    kind: 'calcom_check_availability',
    category: 'integration',
    title: 'Check Availability (Cal.com)',
    summary: 'Finds free slots of a Cal.com event type.',
    operation: BuiltinOperations.CalcomSlots,
    credentialProvider: 'calcom',
  },
  calcom_book: {
    kind: 'calcom_book',
    category: 'integration',
    title: 'Book Appointment (Cal.com)',
    summary: 'Books a Cal.com event type for the caller.',
    operation: BuiltinOperations.CalcomBook,
    credentialProvider: 'calcom',
  },
  cancel_booking: {
    kind: 'cancel_booking',
    category: 'integration',
    title: 'Cancel Booking (Cal.com)',
    summary: 'Cancels a Cal.com booking of the caller, by uid or found among their upcoming bookings.',
    operation: BuiltinOperations.CalcomCancel,
    credentialProvider: 'calcom',
  },
  reschedule_booking: {
    kind: 'reschedule_booking',
    category: 'integration',
    title: 'Reschedule Booking (Cal.com)',
    summary: 'Moves a Cal.com booking of the caller to a new time, by uid or found among their upcoming bookings.',
    operation: BuiltinOperations.CalcomReschedule,
    credentialProvider: 'calcom',
  },
  send_sms: {
    kind: 'send_sms',
    category: 'integration',
    title: 'Send SMS',
    summary: 'Texts the caller (or a given number) through Twilio.',
    operation: BuiltinOperations.SmsSend,
    credentialProvider: 'twilio',
  },
  crm_lookup: {
    kind: 'crm_lookup',
    category: 'integration',
    title: 'CRM Lookup (HubSpot)',
    summary: 'Finds the caller’s contact record by phone number or e-mail.',
    operation: BuiltinOperations.CrmLookup,
    credentialProvider: 'hubspot',
  },
  crm_update: {
    kind: 'crm_update',
    category: 'integration',
    title: 'Update CRM Contact (HubSpot)',
    summary: 'Writes properties of the caller’s contact record.',
    operation: BuiltinOperations.CrmUpdate,
    credentialProvider: 'hubspot',
  },
  crm_create_ticket: {
    kind: 'crm_create_ticket',
    category: 'integration',
    title: 'Create Support Ticket (HubSpot)',
    summary: 'Creates a ticket, associated with the caller’s contact when known.',
    operation: BuiltinOperations.CrmTicket,
    credentialProvider: 'hubspot',
  },
  custom_api: {
    kind: 'custom_api',
    category: 'integration',
    title: 'Custom API',
    summary: 'Calls an HTTP API behind one of the tenant’s named endpoints.',
    operation: BuiltinOperations.HttpRequest,
    credentialProvider: 'http',
  },
};
