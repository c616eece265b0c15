/**
 * The twelve built-in kinds: their settings, cross-setting rules, the parameters the LLM fills,
 * and how a configuration compiles into canonical steps.
 *
 * Compiled chains use only the existing step types. Every side effect is one `provider` step
 * (see `operations.ts` for the payload contracts); call-context defaults ("text the caller")
 * are `conditional` steps choosing between two provider steps, because parameter defaults are
 * literals and property values cannot express "this, else that".
 */
import type { JsonObject, JsonValue } from '@switchboard/common';
import { isPlainObject } from '../json.js';
import { labelFromName, type OutputSpec, type ParameterSpec, type Step, type ValueType } from '../model.js';
import { parsePath } from '../paths.js';
import { parseTemplate, templatePaths } from '../templates.js';
import { quoteLiteral } from '../values.js';
import type { BuiltinIssues } from './fields.js';
import {
  authField,
  bodyField,
  booleanField,
  credentialField,
  declaredParameters,
  destinationField,
  E164_PATTERN,
  e164Field,
  endpointField,
  enumField,
  type FieldSpec,
  headersField,
  integerField,
  metadataField,
  nameListField,
  parametersField,
  pathField,
  queryField,
  responseMappingField,
  stringField,
  templateField,
  templateMapField,
  timeZoneField,
  urlField,
  urlPathField,
} from './fields.js';
import type { BuiltinKind } from './kinds.js';
import { BuiltinContextPaths, BuiltinOperations } from './operations.js';

/** A configuration after validation: every valid setting, with defaults applied. */
export type BuiltinConfig = Record<string, JsonValue>;

/** What a kind contributes to the canonical action. */
export interface CompiledChain {
  steps: Step[];
  onSuccess: Step[];
  onFailure: Step[];
  outputs: OutputSpec[];
}

/** Everything the validator and compiler know about one kind. */
export interface KindDefinition {
  /** Settings of the configuration form, in form order. */
  fields: Readonly<Record<string, FieldSpec>>;
  /**
   * Rules across settings. `config` holds the valid settings (defaults applied), `raw` the
   * configuration as written (to tell an explicit setting from a default); a rule may drop
   * defaults that do not apply (warm-only settings of a cold transfer).
   */
  refine?(config: BuiltinConfig, raw: Record<string, unknown>, out: BuiltinIssues): void;
  /** JSON Schema rules across settings, mirroring `refine` (added to the form schema's `allOf`). */
  schemaRules?: JsonObject[];
  /** The parameters the LLM fills. */
  parameters(config: BuiltinConfig): ParameterSpec[];
  /** The canonical chain; `config` is complete and valid. */
  compile(config: BuiltinConfig, name: string): CompiledChain;
}

/** The `pattern` of `validate` steps that check E.164 before a provider sees the number. */
const E164_RULE = E164_PATTERN;
const HAS_STRING = (path: string): string => `typeof ${path} === 'string'`;

const failureMessage = templateField({
  title: 'Failure message',
  description:
    'Said when the action fails (e.g. "Sorry, I couldn\'t do that right now."); {{error.message}} is available. Leave empty to let the agent handle failures as its instructions say.',
  inFailure: true,
  spoken: true,
});
const successMessage = templateField({
  title: 'Success message',
  description:
    'Said after the action succeeds; may use the stored result, e.g. {{calcom_booking.start}}. Usually empty: the agent speaks from the returned outputs.',
  spoken: true,
});
const resultKey = (defaultKey: string | undefined, description: string): FieldSpec =>
  pathField({
    title: 'Result key',
    description,
    mode: 'write',
    ...(defaultKey === undefined ? {} : { default: defaultKey }),
  });
const contactIdPath = pathField({
  title: 'Contact id from',
  description: `Where the contact's CRM id is read (by default what a CRM Lookup stored: ${BuiltinContextPaths.CrmContactId}). Without an id the contact is found by e-mail, then by the caller's number.`,
  mode: 'read',
  default: BuiltinContextPaths.CrmContactId,
});

function str(config: BuiltinConfig, key: string): string | undefined {
  const value = config[key];
  return typeof value === 'string' ? value : undefined;
}
function num(config: BuiltinConfig, key: string): number | undefined {
  const value = config[key];
  return typeof value === 'number' ? value : undefined;
}

/** Template → parts the interpreter resolves one by one (literal text quoted, placeholders as paths). */
export function templateParts(template: string): JsonValue[] {
  return parseTemplate(template).parts.map((part) => (part.kind === 'text' ? quoteLiteral(part.text) : part.source));
}

/** Path template → `[{ text }, { value }]` parts (see `buildRequestPath`). */
function pathParts(template: string): JsonValue[] {
  return parseTemplate(template).parts.map(
    (part): JsonObject => (part.kind === 'text' ? { text: quoteLiteral(part.text) } : { value: part.source }),
  );
}

function respondIf(message: string | undefined): Step[] {
  return message === undefined || message === '' ? [] : [{ type: 'respond', message }];
}

/** `{ [member]: parts }` for a non-empty template, `{}` otherwise (the payload member is then absent). */
function textMember(member: string, template: string | undefined): Record<string, JsonValue> {
  return template === undefined || template === '' ? {} : { [member]: templateParts(template) };
}

function output(name: string, type: ValueType, description: string, items?: 'string'): OutputSpec {
  return {
    name,
    developerName: name,
    type,
    ...(items === undefined ? {} : { items }),
    label: labelFromName(name),
    description,
    filterFromAgent: false,
  };
}

function param(
  name: string,
  type: ValueType,
  required: boolean,
  description: string,
  extra: Partial<ParameterSpec> = {},
): ParameterSpec {
  return { name, type, required, description, ...extra };
}

function readsParam(config: BuiltinConfig, keys: readonly string[], name: string): boolean {
  return keys.some((key) => {
    const template = str(config, key);
    return (
      template !== undefined &&
      templatePaths(template).some((source) => {
        const parsed = parsePath(source, 'read');
        return parsed.ok && parsed.path.scope === 'params' && parsed.path.segments[0] === name;
      })
    );
  });
}

/** Time an `http.request` attempt gets beyond the configured HTTP timeout (worker overhead). */
const HTTP_ATTEMPT_MARGIN_MS = 5_000;

function provider(operation: string, input: Record<string, JsonValue>, resultKeyValue?: string): Step {
  return {
    type: 'provider',
    operation,
    input,
    ...(resultKeyValue === undefined ? {} : { result_key: resultKeyValue }),
  };
}

/** A `conditional` step, built in one place because `then` is its property name in the step format. */
function conditional(condition: string, thenSteps: Step[], elseSteps?: Step[]): Step {
  return {
    type: 'conditional',
    condition,
    // biome-ignore lint/suspicious/noThenProperty: 'then' is the conditional step's property in the canonical format
    then: thenSteps,
    ...(elseSteps === undefined ? {} : { else: elseSteps }),
  };
}

function e164Check(field: string, message: string): Step {
  return { type: 'validate', field, rule: 'pattern', value: E164_RULE, error_message: message };
}

function contactRef(config: BuiltinConfig): JsonObject {
  return {
    id: str(config, 'contact_id_path') ?? BuiltinContextPaths.CrmContactId,
    email: BuiltinContextPaths.ContactEmail,
    phone: BuiltinContextPaths.CallerNumber,
  };
}

/**
 * Turns a display name into a context key (`Lookup Customer Account` → `lookup_customer_account`),
 * prefixed with `api_` when it would start with a digit or name (or nearly name) a scope.
 */
export function resultKeyFromName(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 60)
    .replace(/_+$/, '');
  if (slug === '') return 'api_result';
  const key = /^[a-z]/.test(slug) ? slug : `api_${slug}`;
  const parsed = parsePath(key, 'write');
  return parsed.ok && !parsed.path.explicitScope && parsed.path.nearMissScope === undefined ? key : `api_${key}`;
}

const warmOnly = ['whisper_message', 'hold_music'] as const;

const transferCall: KindDefinition = {
  fields: {
    destination: destinationField(),
    mode: enumField({
      title: 'Transfer mode',
      description:
        'cold: connect the caller directly. warm: hold the caller, brief the person who answers, then connect.',
      values: ['cold', 'warm'],
      default: 'cold',
    }),
    transfer_message: templateField({
      title: 'Transfer message',
      description: 'Said to the caller before the transfer. Empty: say nothing.',
      default: 'Please hold while I transfer your call.',
    }),
    hold_music: urlField({
      title: 'Hold music',
      description: 'Warm transfers: audio URL played while the caller waits.',
    }),
    whisper_message: templateField({
      title: 'Whisper message',
      description: 'Warm transfers: said to the person who answers before the caller is connected.',
      default: 'Incoming transfer from the virtual agent. {{params.summary}}',
    }),
    ring_timeout_seconds: integerField({
      title: 'Ring timeout (seconds)',
      description: 'How long to ring the destination before the transfer fails.',
      min: 5,
      max: 120,
      default: 30,
    }),
    failure_message: failureMessage,
  },
  refine(config, raw, out) {
    // An invalid mode is already reported; only a (possibly defaulted) cold mode forbids these.
    if (config.mode !== 'cold') return;
    for (const key of warmOnly) {
      // Defaults of warm-only settings mean nothing on a cold transfer.
      delete config[key];
      if (raw[key] !== undefined && raw[key] !== null && raw[key] !== '') {
        out.add(`/config/${key}`, `'${key}' applies only to warm transfers (mode is 'cold')`, {
          expected: `mode 'warm', or no ${key}`,
          found: "mode 'cold'",
          suggestion: 'warm',
        });
      }
    }
  },
  schemaRules: [
    {
      if: { properties: { mode: { const: 'warm' } }, required: ['mode'] },
      else: { not: { anyOf: [{ required: ['whisper_message'] }, { required: ['hold_music'] }] } },
    },
  ],
  parameters(config) {
    const params = [param('reason', 'string', false, 'Why the caller is being transferred, in a few words.')];
    if (config.mode === 'warm') {
      params.push(
        param('summary', 'string', false, 'A short summary of the conversation for the person who takes the call.'),
      );
    }
    return params;
  },
  compile(config) {
    const warm = config.mode === 'warm';
    const input: Record<string, JsonValue> = {
      call_sid: BuiltinContextPaths.CallSid,
      destination: isPlainObject(config.destination)
        ? {
            kind: quoteLiteral(String(config.destination.kind)),
            address: quoteLiteral(String(config.destination.address)),
          }
        : null,
      mode: quoteLiteral(warm ? 'warm' : 'cold'),
      ...textMember('message', str(config, 'transfer_message')),
      ring_timeout_seconds: num(config, 'ring_timeout_seconds') ?? 30,
      reason: 'params.reason',
    };
    if (warm) {
      const hold = str(config, 'hold_music');
      if (hold !== undefined) input.hold_music_url = quoteLiteral(hold);
      const whisper = str(config, 'whisper_message');
      if (whisper !== undefined && whisper !== '') input.whisper = templateParts(whisper);
      input.summary = 'params.summary';
    }
    return {
      steps: [provider(BuiltinOperations.TelephonyTransfer, input)],
      onSuccess: respondIf(str(config, 'transfer_message')),
      onFailure: respondIf(str(config, 'failure_message')),
      outputs: [],
    };
  },
};

const endCall: KindDefinition = {
  fields: {
    final_message: templateField({
      title: 'Final message',
      description: 'Said before hanging up. Empty: hang up without a word.',
      default: 'Thank you for calling. Goodbye!',
    }),
    failure_message: failureMessage,
  },
  parameters: () => [],
  compile(config) {
    return {
      steps: [
        provider(BuiltinOperations.TelephonyEndCall, {
          call_sid: BuiltinContextPaths.CallSid,
          ...textMember('message', str(config, 'final_message')),
        }),
      ],
      onSuccess: respondIf(str(config, 'final_message')),
      onFailure: respondIf(str(config, 'failure_message')),
      outputs: [],
    };
  },
};

const pauseInactivityTimer: KindDefinition = {
  fields: {
    duration_seconds: integerField({
      title: 'Pause (seconds)',
      description: 'How long the agent waits silently before its inactivity handling resumes (10 s to 10 min).',
      min: 10,
      max: 600,
      default: 60,
    }),
    message: templateField({
      title: 'Message',
      description: 'Said when the pause starts. Empty: say nothing.',
      default: "Take your time — I'll be right here.",
    }),
    failure_message: failureMessage,
  },
  parameters: () => [],
  compile(config) {
    return {
      steps: [
        provider(BuiltinOperations.SessionPauseInactivity, { duration_seconds: num(config, 'duration_seconds') ?? 60 }),
      ],
      onSuccess: respondIf(str(config, 'message')),
      onFailure: respondIf(str(config, 'failure_message')),
      outputs: [],
    };
  },
};

const resumeInactivityTimer: KindDefinition = {
  fields: {
    message: templateField({
      title: 'Message',
      description: 'Said when the pause ends (e.g. "Welcome back."). Empty: say nothing.',
    }),
    failure_message: failureMessage,
  },
  parameters: () => [],
  compile(config) {
    return {
      steps: [provider(BuiltinOperations.SessionResumeInactivity, {})],
      onSuccess: respondIf(str(config, 'message')),
      onFailure: respondIf(str(config, 'failure_message')),
      outputs: [],
    };
  },
};

const eventTypeId = integerField({
  title: 'Event type id',
  description: 'The Cal.com event type (its numeric id, shown in the event type URL).',
  min: 1,
  max: 2_147_483_647,
  required: true,
});
const calTimeZone = timeZoneField({
  title: 'Time zone',
  description: 'IANA time zone used when the caller does not say theirs.',
  default: 'UTC',
});
const timeZoneParam = (config: BuiltinConfig): ParameterSpec =>
  param('time_zone', 'string', false, "The caller's IANA time zone, e.g. America/New_York.", {
    default: str(config, 'time_zone') ?? 'UTC',
  });

const calcomCheckAvailability: KindDefinition = {
  fields: {
    credential: credentialField('calcom', 'The Cal.com API key, stored in Settings > Credentials.'),
    event_type_id: eventTypeId,
    time_zone: calTimeZone,
    days_ahead: integerField({
      title: 'Days to search',
      description: 'Search window when the caller gives no end date.',
      min: 1,
      max: 60,
      default: 7,
    }),
    duration_minutes: integerField({
      title: 'Duration (minutes)',
      description: 'Slot length, for event types that offer several durations.',
      min: 5,
      max: 1440,
    }),
    max_slots: integerField({
      title: 'Slots to offer',
      description: 'At most this many slots are returned (earliest first): a caller cannot listen to fifty.',
      min: 1,
      max: 50,
      default: 10,
    }),
    success_message: successMessage,
    failure_message: failureMessage,
    result_key: resultKey('calcom_slots', 'Context key where the slots are stored for later steps.'),
  },
  parameters: (config) => [
    param('start_date', 'date', true, 'First day to look for free slots, YYYY-MM-DD.'),
    param('end_date', 'date', false, 'Last day to look, YYYY-MM-DD; defaults to the configured window.'),
    timeZoneParam(config),
  ],
  compile(config) {
    const input: Record<string, JsonValue> = {
      credential: quoteLiteral(str(config, 'credential') ?? ''),
      event_type_id: num(config, 'event_type_id') ?? 0,
      start: 'params.start_date',
      end: 'params.end_date',
      days_ahead: num(config, 'days_ahead') ?? 7,
      time_zone: 'params.time_zone',
      max_slots: num(config, 'max_slots') ?? 10,
    };
    const duration = num(config, 'duration_minutes');
    if (duration !== undefined) input.duration_minutes = duration;
    return {
      steps: [provider(BuiltinOperations.CalcomSlots, input, str(config, 'result_key'))],
      onSuccess: respondIf(str(config, 'success_message')),
      onFailure: respondIf(str(config, 'failure_message')),
      outputs: [
        output('available', 'boolean', 'Whether any slot is free in the window.'),
        output('slots', 'array', 'Free slots, earliest first: [{ start, end }] in the time zone.'),
        output('time_zone', 'string', 'Time zone of the slot times.'),
      ],
    };
  },
};

const calcomBook: KindDefinition = {
  fields: {
    credential: credentialField('calcom', 'The Cal.com API key, stored in Settings > Credentials.'),
    event_type_id: eventTypeId,
    time_zone: calTimeZone,
    metadata: metadataField(),
    success_message: successMessage,
    failure_message: failureMessage,
    result_key: resultKey('calcom_booking', 'Context key where the booking is stored for later steps.'),
  },
  parameters: (config) => [
    param(
      'start',
      'datetime',
      true,
      'Start of the appointment, ISO 8601 (e.g. 2025-03-14T15:00:00-04:00); without an offset it is in time_zone.',
    ),
    param('name', 'string', true, "The attendee's full name."),
    param('email', 'string', true, "The attendee's e-mail address."),
    param('phone', 'string', false, "The attendee's phone number in E.164 format, e.g. +15551234567."),
    timeZoneParam(config),
    param('notes', 'string', false, 'Anything the host should know before the meeting.'),
  ],
  compile(config) {
    const input: Record<string, JsonValue> = {
      credential: quoteLiteral(str(config, 'credential') ?? ''),
      event_type_id: num(config, 'event_type_id') ?? 0,
      start: 'params.start',
      time_zone: 'params.time_zone',
      attendee: {
        name: 'params.name',
        email: 'params.email',
        phone_number: 'params.phone',
        time_zone: 'params.time_zone',
      },
      notes: 'params.notes',
    };
    const metadata = config.metadata;
    if (isPlainObject(metadata) && Object.keys(metadata).length > 0) {
      const quoted: JsonObject = {};
      for (const key of Object.keys(metadata)) quoted[key] = quoteLiteral(String(metadata[key]));
      input.metadata = quoted;
    }
    return {
      steps: [
        {
          type: 'validate',
          field: 'params.email',
          rule: 'email',
          error_message: "'{{params.email}}' is not a valid e-mail address; ask the caller to spell it.",
        },
        conditional(HAS_STRING('params.phone'), [
          e164Check(
            'params.phone',
            "The phone number must be in E.164 format, like +15551234567 (got '{{params.phone}}').",
          ),
        ]),
        provider(BuiltinOperations.CalcomBook, input, str(config, 'result_key')),
      ],
      onSuccess: respondIf(str(config, 'success_message')),
      onFailure: respondIf(str(config, 'failure_message')),
      outputs: [
        output('booking_id', 'integer', 'Cal.com booking id.'),
        output('booking_uid', 'string', 'Cal.com booking uid (for cancelling or rescheduling).'),
        output('status', 'string', 'Booking status, e.g. accepted.'),
        output('start', 'string', 'Start of the booking, ISO 8601.'),
        output('end', 'string', 'End of the booking, ISO 8601.'),
      ],
    };
  },
};

/**
 * Context key where `cancel_booking` / `reschedule_booking` keep the booking they found (by uid
 * or among the caller's upcoming bookings) for their second step, the change itself.
 */
export const FOUND_BOOKING_KEY = 'calcom_booking_found';

const bookingEventTypeFilter = integerField({
  title: 'Event type id',
  description:
    "Only this Cal.com event type's bookings are looked at when the caller's booking is found by e-mail or phone. Empty: any event type.",
  min: 1,
  max: 2_147_483_647,
});

/** What the LLM may say about which booking: its uid, or who the caller is. */
const bookingChoiceParams = (): ParameterSpec[] => [
  param(
    'booking_uid',
    'string',
    false,
    "Uid of the booking (as booking returned it, or as a list of the caller's bookings named it). Without it the caller's one upcoming booking is used.",
  ),
  param(
    'email',
    'string',
    false,
    "The e-mail address the caller booked with, when it is not in the contact record; finds the caller's upcoming bookings.",
  ),
  param(
    'phone',
    'string',
    false,
    "The attendee's phone number in E.164 format, when it is not the number they are calling from.",
  ),
];

/** Checks of the LLM's e-mail and phone before any provider sees them (as booking checks them). */
function bookingChoiceChecks(): Step[] {
  return [
    conditional(HAS_STRING('params.email'), [
      {
        type: 'validate',
        field: 'params.email',
        rule: 'email',
        error_message: "'{{params.email}}' is not a valid e-mail address; ask the caller to spell it.",
      },
    ]),
    conditional(HAS_STRING('params.phone'), [
      e164Check(
        'params.phone',
        "The phone number must be in E.164 format, like +15551234567 (got '{{params.phone}}').",
      ),
    ]),
  ];
}

/**
 * The `calcom.find_booking` step: the booking by uid, else the caller's one upcoming booking —
 * found by the e-mail and phone the LLM gave, else the contact's e-mail and the caller's number.
 */
function findBookingStep(config: BuiltinConfig): Step {
  const input: Record<string, JsonValue> = {
    credential: quoteLiteral(str(config, 'credential') ?? ''),
    booking_uid: 'params.booking_uid',
    attendee: { email: 'params.email', phone: 'params.phone' },
    caller: { email: BuiltinContextPaths.ContactEmail, phone: BuiltinContextPaths.CallerNumber },
    time_zone: 'params.time_zone',
  };
  const eventType = num(config, 'event_type_id');
  if (eventType !== undefined) input.event_type_id = eventType;
  return provider(BuiltinOperations.CalcomFindBooking, input, FOUND_BOOKING_KEY);
}

const FOUND_UID = `${FOUND_BOOKING_KEY}.booking_uid`;

const cancelBooking: KindDefinition = {
  fields: {
    credential: credentialField('calcom', 'The Cal.com API key, stored in Settings > Credentials.'),
    event_type_id: bookingEventTypeFilter,
    time_zone: calTimeZone,
    success_message: successMessage,
    failure_message: failureMessage,
    result_key: resultKey('calcom_cancellation', 'Context key where the cancelled booking is stored.'),
  },
  parameters: (config) => [
    ...bookingChoiceParams(),
    param('reason', 'string', false, 'Why the caller cancels, in a few words (Cal.com shows it to the host).'),
    timeZoneParam(config),
  ],
  compile(config) {
    return {
      steps: [
        ...bookingChoiceChecks(),
        findBookingStep(config),
        provider(
          BuiltinOperations.CalcomCancel,
          {
            credential: quoteLiteral(str(config, 'credential') ?? ''),
            booking_uid: FOUND_UID,
            reason: 'params.reason',
            time_zone: 'params.time_zone',
          },
          str(config, 'result_key'),
        ),
      ],
      onSuccess: respondIf(str(config, 'success_message')),
      onFailure: respondIf(str(config, 'failure_message')),
      outputs: [
        output('booking_uid', 'string', 'Uid of the cancelled booking.'),
        output('status', 'string', 'Booking status, cancelled.'),
        output('start', 'string', 'Start the cancelled booking had, ISO 8601 in time_zone.'),
        output('end', 'string', 'End the cancelled booking had, ISO 8601 in time_zone.'),
      ],
    };
  },
};

const rescheduleBooking: KindDefinition = {
  fields: {
    credential: credentialField('calcom', 'The Cal.com API key, stored in Settings > Credentials.'),
    event_type_id: bookingEventTypeFilter,
    time_zone: calTimeZone,
    success_message: successMessage,
    failure_message: failureMessage,
    result_key: resultKey('calcom_booking', 'Context key where the moved booking is stored (where booking stores it).'),
  },
  parameters: (config) => [
    param(
      'start',
      'datetime',
      true,
      'New start of the appointment, ISO 8601 (e.g. 2025-03-14T15:00:00-04:00); without an offset it is in time_zone.',
    ),
    ...bookingChoiceParams(),
    param('reason', 'string', false, 'Why the caller moves the appointment, in a few words.'),
    timeZoneParam(config),
  ],
  compile(config) {
    return {
      steps: [
        ...bookingChoiceChecks(),
        findBookingStep(config),
        provider(
          BuiltinOperations.CalcomReschedule,
          {
            credential: quoteLiteral(str(config, 'credential') ?? ''),
            booking_uid: FOUND_UID,
            start: 'params.start',
            time_zone: 'params.time_zone',
            reason: 'params.reason',
          },
          str(config, 'result_key'),
        ),
      ],
      onSuccess: respondIf(str(config, 'success_message')),
      onFailure: respondIf(str(config, 'failure_message')),
      outputs: [
        output(
          'booking_uid',
          'string',
          'Uid of the booking at the new time (Cal.com gives a moved booking a new uid).',
        ),
        output('previous_booking_uid', 'string', 'Uid the booking had before it moved.'),
        output('status', 'string', 'Booking status, e.g. accepted.'),
        output('start', 'string', 'New start, ISO 8601 in time_zone.'),
        output('end', 'string', 'New end, ISO 8601 in time_zone.'),
      ],
    };
  },
};

const sendSms: KindDefinition = {
  fields: {
    credential: credentialField('twilio', 'The Twilio account (SID and auth token), stored in Settings > Credentials.'),
    from: e164Field({
      title: 'From number',
      description: 'Your Twilio number, E.164 (or set a Messaging Service SID instead).',
    }),
    messaging_service_sid: stringField({
      title: 'Messaging Service SID',
      description: 'A Twilio Messaging Service (MG…) to send from instead of a single number.',
      pattern: /^MG[0-9a-fA-F]{32}$/,
      patternSource: '^MG[0-9a-fA-F]{32}$',
      expected: "a Messaging Service SID: 'MG' and 32 hexadecimal digits",
    }),
    body: templateField({
      title: 'Message',
      description: 'The text; {{params.message}} is what the agent writes. At most 1600 characters.',
      default: '{{params.message}}',
      maxLength: 1600,
    }),
    success_message: successMessage,
    failure_message: failureMessage,
    result_key: resultKey('sms_message', 'Context key where the sent message is stored.'),
  },
  refine(config, raw, out) {
    const hasFrom = raw.from !== undefined && raw.from !== '';
    const hasService = raw.messaging_service_sid !== undefined && raw.messaging_service_sid !== '';
    if (!hasFrom && !hasService) {
      out.addMissing('/config/from', "send_sms needs a sender: 'from' (an E.164 number) or 'messaging_service_sid'", {
        expected: 'an E.164 number such as +15551234567',
        found: 'nothing',
      });
    } else if (hasFrom && hasService) {
      out.add(
        '/config/messaging_service_sid',
        "set either 'from' or 'messaging_service_sid', not both (Twilio accepts one)",
        {
          expected: 'only one sender',
          found: 'both',
        },
      );
    }
    if (str(config, 'body') === '') {
      out.addMissing('/config/body', 'the message must not be empty', {
        expected: 'a message template',
        found: 'an empty string',
      });
    }
  },
  schemaRules: [
    { anyOf: [{ required: ['from'] }, { required: ['messaging_service_sid'] }] },
    { not: { required: ['from', 'messaging_service_sid'] } },
  ],
  parameters(config) {
    const params = [
      param(
        'to',
        'string',
        false,
        "Recipient's number in E.164 format (e.g. +15551234567). Leave empty to text the caller.",
      ),
    ];
    if (readsParam(config, ['body'], 'message')) {
      // Required only when the message is the whole text; an optional addition otherwise.
      const body = parseTemplate(str(config, 'body') ?? '').parts;
      const whole = body.every((part) =>
        part.kind === 'text' ? part.text.trim() === '' : part.source === 'params.message',
      );
      params.push(
        param(
          'message',
          'string',
          whole,
          whole ? 'The text to send.' : 'Optional text added to the configured message.',
        ),
      );
    }
    return params;
  },
  compile(config) {
    const send = (to: string): Step => {
      const input: Record<string, JsonValue> = { credential: quoteLiteral(str(config, 'credential') ?? ''), to };
      const from = str(config, 'from');
      const service = str(config, 'messaging_service_sid');
      if (from !== undefined) input.from = quoteLiteral(from);
      if (service !== undefined) input.messaging_service_sid = quoteLiteral(service);
      input.body = templateParts(str(config, 'body') ?? '');
      return provider(BuiltinOperations.SmsSend, input, str(config, 'result_key'));
    };
    return {
      steps: [
        conditional(
          HAS_STRING('params.to'),
          [
            e164Check(
              'params.to',
              "The number to text must be in E.164 format, like +15551234567 (got '{{params.to}}').",
            ),
            send('params.to'),
          ],
          [
            e164Check(
              BuiltinContextPaths.CallerNumber,
              "I don't have the caller's number in E.164 format; ask which number to text.",
            ),
            send(BuiltinContextPaths.CallerNumber),
          ],
        ),
      ],
      onSuccess: respondIf(str(config, 'success_message')),
      onFailure: respondIf(str(config, 'failure_message')),
      outputs: [
        output('message_sid', 'string', 'Twilio message SID.'),
        output('status', 'string', 'Twilio message status, e.g. queued.'),
      ],
    };
  },
};

const LOOKUP_BY = ['phone', 'email', 'phone_or_email'] as const;

const crmLookup: KindDefinition = {
  fields: {
    credential: credentialField('hubspot', 'The HubSpot private app token, stored in Settings > Credentials.'),
    lookup_by: enumField({
      title: 'Look up by',
      description:
        "Which identifier finds the contact; without one from the agent, the caller's number or the contact's e-mail is used.",
      values: LOOKUP_BY,
      default: 'phone_or_email',
    }),
    properties: nameListField({
      title: 'Properties',
      description: 'HubSpot contact properties to return.',
      pattern: /^[a-z][a-z0-9_]{0,99}$/,
      patternSource: '^[a-z][a-z0-9_]{0,99}$',
      itemExpected: 'HubSpot property names (lower case, letters, digits, _)',
      maxItems: 100,
      default: ['firstname', 'lastname', 'email', 'phone'],
    }),
    success_message: successMessage,
    failure_message: failureMessage,
    result_key: resultKey(
      'crm_contact',
      'Context key where the contact is stored (CRM Update and tickets read its contact_id).',
    ),
  },
  parameters(config) {
    const by = str(config, 'lookup_by') ?? 'phone_or_email';
    const params: ParameterSpec[] = [];
    if (by !== 'email')
      params.push(param('phone', 'string', false, "Phone number to look up (E.164); defaults to the caller's number."));
    if (by !== 'phone') params.push(param('email', 'string', false, 'E-mail address to look up.'));
    return params;
  },
  compile(config) {
    const by = str(config, 'lookup_by') ?? 'phone_or_email';
    const lookup = (phone: string | undefined, email: string | undefined): Step => {
      const input: Record<string, JsonValue> = { credential: quoteLiteral(str(config, 'credential') ?? '') };
      if (phone !== undefined) input.phone = phone;
      if (email !== undefined) input.email = email;
      input.properties = (Array.isArray(config.properties) ? config.properties : []).map((p) =>
        quoteLiteral(String(p)),
      );
      return provider(BuiltinOperations.CrmLookup, input, str(config, 'result_key'));
    };
    const usePhone = by !== 'email';
    const useEmail = by !== 'phone';
    const condition = [usePhone ? HAS_STRING('params.phone') : '', useEmail ? HAS_STRING('params.email') : '']
      .filter((c) => c !== '')
      .join(' || ');
    return {
      steps: [
        conditional(
          condition,
          [lookup(usePhone ? 'params.phone' : undefined, useEmail ? 'params.email' : undefined)],
          [
            lookup(
              usePhone ? BuiltinContextPaths.CallerNumber : undefined,
              useEmail ? BuiltinContextPaths.ContactEmail : undefined,
            ),
          ],
        ),
      ],
      onSuccess: respondIf(str(config, 'success_message')),
      onFailure: respondIf(str(config, 'failure_message')),
      outputs: [
        output('found', 'boolean', 'Whether a contact matched.'),
        output('contact_id', 'id', 'HubSpot contact id of the match.'),
        output('properties', 'object', 'The requested properties of the contact.'),
      ],
    };
  },
};

const crmUpdate: KindDefinition = {
  fields: {
    credential: credentialField('hubspot', 'The HubSpot private app token, stored in Settings > Credentials.'),
    properties: templateMapField({
      title: 'Properties',
      description:
        'HubSpot property → value template, e.g. { "hs_lead_status": "{{params.lead_status}}" }. Empty values are not written.',
      required: true,
    }),
    parameters: parametersField({
      description: 'What the agent provides (read in the templates as {{params.<name>}}).',
    }),
    contact_id_path: contactIdPath,
    success_message: successMessage,
    failure_message: failureMessage,
    result_key: resultKey('crm_update', 'Context key where the update result is stored.'),
  },
  parameters: (config) => declaredParameters(config.parameters),
  compile(config) {
    const properties: JsonObject = {};
    const mapping = config.properties;
    if (isPlainObject(mapping)) {
      for (const key of Object.keys(mapping)) properties[key] = templateParts(String(mapping[key]));
    }
    return {
      steps: [
        provider(
          BuiltinOperations.CrmUpdate,
          { credential: quoteLiteral(str(config, 'credential') ?? ''), contact: contactRef(config), properties },
          str(config, 'result_key'),
        ),
      ],
      onSuccess: respondIf(str(config, 'success_message')),
      onFailure: respondIf(str(config, 'failure_message')),
      outputs: [
        output('contact_id', 'id', 'HubSpot id of the updated contact.'),
        output('updated_properties', 'list', 'Names of the properties written.', 'string'),
      ],
    };
  },
};

const crmCreateTicket: KindDefinition = {
  fields: {
    credential: credentialField('hubspot', 'The HubSpot private app token, stored in Settings > Credentials.'),
    subject: templateField({
      title: 'Subject',
      description: 'Ticket subject; {{params.subject}} is what the agent writes.',
      default: '{{params.subject}}',
      maxLength: 1000,
    }),
    content: templateField({
      title: 'Description',
      description: 'Ticket description; {{params.description}} is what the agent writes.',
      default: '{{params.description}}',
    }),
    pipeline: stringField({
      title: 'Pipeline',
      description: 'HubSpot ticket pipeline id (hs_pipeline); 0 is the default Support Pipeline.',
      pattern: /^[A-Za-z0-9_-]{1,64}$/,
      patternSource: '^[A-Za-z0-9_-]{1,64}$',
      expected: 'a pipeline id such as 0',
      default: '0',
    }),
    stage: stringField({
      title: 'Stage',
      description: 'Pipeline stage id (hs_pipeline_stage); 1 is "New" in the default pipeline.',
      pattern: /^[A-Za-z0-9_-]{1,64}$/,
      patternSource: '^[A-Za-z0-9_-]{1,64}$',
      expected: 'a stage id such as 1',
      default: '1',
    }),
    priority: enumField({ title: 'Priority', description: 'hs_ticket_priority.', values: ['LOW', 'MEDIUM', 'HIGH'] }),
    associate_contact: booleanField({
      title: 'Associate with the contact',
      description: "Link the ticket to the caller's contact when it can be found.",
      default: true,
    }),
    contact_id_path: contactIdPath,
    success_message: successMessage,
    failure_message: failureMessage,
    result_key: resultKey('crm_ticket', 'Context key where the ticket is stored.'),
  },
  refine(config, _raw, out) {
    for (const key of ['subject', 'content'] as const) {
      if (str(config, key) === '') {
        out.addMissing(`/config/${key}`, `the ticket ${key === 'content' ? 'description' : key} must not be empty`, {
          expected: 'a message template',
          found: 'an empty string',
        });
      }
    }
  },
  parameters(config) {
    const params: ParameterSpec[] = [];
    if (readsParam(config, ['subject', 'content'], 'subject'))
      params.push(param('subject', 'string', true, 'A short summary of the issue.'));
    if (readsParam(config, ['subject', 'content'], 'description')) {
      params.push(param('description', 'string', true, 'What the caller needs, with the details they gave.'));
    }
    return params;
  },
  compile(config) {
    const input: Record<string, JsonValue> = {
      credential: quoteLiteral(str(config, 'credential') ?? ''),
      subject: templateParts(str(config, 'subject') ?? ''),
      content: templateParts(str(config, 'content') ?? ''),
      pipeline: quoteLiteral(str(config, 'pipeline') ?? '0'),
      stage: quoteLiteral(str(config, 'stage') ?? '1'),
    };
    const priority = str(config, 'priority');
    if (priority !== undefined) input.priority = quoteLiteral(priority);
    if (config.associate_contact !== false) input.contact = contactRef(config);
    return {
      steps: [provider(BuiltinOperations.CrmTicket, input, str(config, 'result_key'))],
      onSuccess: respondIf(str(config, 'success_message')),
      onFailure: respondIf(str(config, 'failure_message')),
      outputs: [output('ticket_id', 'id', 'HubSpot ticket id (the ticket number to give the caller).')],
    };
  },
};

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const BODYLESS = ['GET', 'DELETE'];

const customApi: KindDefinition = {
  fields: {
    endpoint: endpointField(),
    method: enumField({ title: 'Method', description: 'HTTP method.', values: METHODS, default: 'POST' }),
    path: urlPathField(),
    query: queryField(),
    headers: headersField(),
    auth: authField(),
    body: bodyField(),
    response_mapping: responseMappingField(),
    timeout_ms: integerField({
      title: 'Timeout (ms)',
      description: 'The call fails when the API has not answered by then; callers are waiting on the line.',
      min: 1000,
      max: 30_000,
      default: 10_000,
    }),
    parameters: parametersField({
      description: 'What the agent provides (read as params.<name> in path, query and body).',
    }),
    success_message: successMessage,
    failure_message: failureMessage,
    result_key: resultKey(
      undefined,
      'Context key where the (mapped) response is stored; defaults to the action name in snake_case.',
    ),
  },
  refine(config, raw, out) {
    const method = str(config, 'method') ?? 'POST';
    if (raw.body !== undefined && BODYLESS.includes(method)) {
      out.add('/config/body', `a ${method} request has no body: send values in 'query' or 'path'`, {
        expected: 'no body, or method POST, PUT or PATCH',
        found: `method ${method}`,
      });
    }
  },
  schemaRules: [
    {
      if: { properties: { method: { enum: BODYLESS } }, required: ['method'] },
      // biome-ignore lint/suspicious/noThenProperty: 'then' is a JSON Schema keyword
      then: { not: { required: ['body'] } },
    },
  ],
  parameters: (config) => declaredParameters(config.parameters),
  compile(config, name) {
    const method = str(config, 'method') ?? 'POST';
    const key = str(config, 'result_key') ?? resultKeyFromName(name);
    const input: Record<string, JsonValue> = {
      endpoint: quoteLiteral(str(config, 'endpoint') ?? ''),
      method: quoteLiteral(method),
    };
    const path = str(config, 'path');
    if (path !== undefined) input.path = pathParts(path);
    if (isPlainObject(config.query) && Object.keys(config.query).length > 0) input.query = config.query;
    const headers: JsonObject = {};
    if (isPlainObject(config.headers)) {
      for (const header of Object.keys(config.headers)) headers[header] = quoteLiteral(String(config.headers[header]));
    }
    input.headers = headers;
    const auth = isPlainObject(config.auth) ? config.auth : { type: 'none' };
    const quotedAuth: JsonObject = {};
    for (const member of Object.keys(auth)) quotedAuth[member] = quoteLiteral(String(auth[member]));
    input.auth = quotedAuth;
    if (config.body !== undefined) input.body = config.body;
    else if (!BODYLESS.includes(method)) input.body = 'params';
    const httpTimeoutMs = num(config, 'timeout_ms') ?? 10_000;
    input.timeout_ms = httpTimeoutMs;
    if (isPlainObject(config.response_mapping)) {
      const mapping: JsonObject = {};
      for (const output of Object.keys(config.response_mapping)) {
        mapping[output] = quoteLiteral(String(config.response_mapping[output]));
      }
      input.response_mapping = mapping;
    }
    return {
      steps: [
        // The attempt must outlive the API's own timeout (up to 30 s), whatever the executor's
        // default, or the worker's clean timeout error would never be the one reported.
        { ...provider(BuiltinOperations.HttpRequest, input, key), timeout_ms: httpTimeoutMs + HTTP_ATTEMPT_MARGIN_MS },
        { type: 'context.get', key },
      ],
      onSuccess: respondIf(str(config, 'success_message')),
      onFailure: respondIf(str(config, 'failure_message')),
      outputs: [],
    };
  },
};

/**
 * Every kind's "still working" message (`messages.delayed`): plain text, said once while the
 * action's effect is still running after the session's delay. Empty: the agent's default.
 */
const delayedMessage = stringField({
  title: 'Delayed message',
  description:
    'Said once when the action is still running after a few seconds (e.g. "Still checking the calendar…"). Plain text. Empty: the default in the agent\'s locale.',
  pattern: /^[^{}]{0,1000}$/u,
  patternSource: '^[^{}]{0,1000}$',
  expected: 'plain text of at most 1000 characters, without {{ }} placeholders',
});

function withDelayedMessage(definition: KindDefinition): KindDefinition {
  return { ...definition, fields: { ...definition.fields, delayed_message: delayedMessage } };
}

/** Every kind's definition. */
export const KIND_DEFINITIONS: Readonly<Record<BuiltinKind, KindDefinition>> = Object.fromEntries(
  Object.entries({
    transfer_call: transferCall,
    end_call: endCall,
    pause_inactivity_timer: pauseInactivityTimer,
    resume_inactivity_timer: resumeInactivityTimer,
    calcom_check_availability: calcomCheckAvailability,
    calcom_book: calcomBook,
    cancel_booking: cancelBooking,
    reschedule_booking: rescheduleBooking,
    send_sms: sendSms,
    crm_lookup: crmLookup,
    crm_update: crmUpdate,
    crm_create_ticket: crmCreateTicket,
    custom_api: customApi,
  }).map(([kind, definition]) => [kind, withDelayedMessage(definition)]),
) as Record<BuiltinKind, KindDefinition>;
