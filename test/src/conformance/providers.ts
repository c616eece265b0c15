/**
 * The providers' published descriptions and their quirks. The descriptions are not part of the
 * project (licences): the suite reads them from `PROVIDER_SPECS_DIR` and is skipped without it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpec, type OpenApiSpec, type Schema, type SpecQuirks } from './openapi.js';

/** File names of the descriptions inside `PROVIDER_SPECS_DIR`. */
export const SpecFiles = {
  calcom: 'calcom-api-v2.openapi.json',
  twilio: 'twilio_api_v2010.json',
} as const;
export type SpecName = keyof typeof SpecFiles;

/** The environment variable naming the folder of the descriptions. */
export const SPECS_DIR_ENV = 'PROVIDER_SPECS_DIR';

let warned = false;

/**
 * The folder of the descriptions, or `undefined` (with one message per process) when the
 * variable is unset or the folder lacks them: the conformance tests are then skipped.
 */
export function specsDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env[SPECS_DIR_ENV];
  const usable = dir !== undefined && dir !== '' && Object.values(SpecFiles).every((f) => existsSync(join(dir, f)));
  if (!usable && !warned) {
    warned = true;
    console.warn(
      `provider conformance tests skipped: set ${SPECS_DIR_ENV} to a folder holding ${Object.values(SpecFiles).join(
        ' and ',
      )} (.ci/run sets it to ../shared/specs when that folder exists)${dir ? `; '${dir}' lacks them` : ''}`,
    );
  }
  return usable ? dir : undefined;
}

/** A time instant in UTC (`Z` or a zero offset) or a plain date, as Cal.com's slots take. */
const UTC_INSTANT_OR_DATE: Schema = {
  type: 'string',
  anyOf: [{ format: 'date' }, { format: 'date-time', pattern: '(?:Z|[+-]00:?00)$' }],
};

/**
 * Cal.com API v2. Request unions are `oneOf` with overlapping members (validated as `anyOf`);
 * the `/v2/slots` query parameters have empty schemas, so their documented types (from the
 * descriptions) are given here; auth is described in prose (`Authorization: Bearer <token>`),
 * not declared; and some constraints are only in descriptions (metadata limits, UTC start,
 * E.164 phone numbers), added to the document by `patchDocument`.
 */
export const CALCOM_QUIRKS: SpecQuirks = {
  oneOfAsAnyOf: true,
  bearerAuthorization: true,
  parameterSchemas: {
    SlotsController_2024_09_04_getAvailableSlots: {
      start: UTC_INSTANT_OR_DATE,
      end: UTC_INSTANT_OR_DATE,
      eventTypeId: { type: 'integer', minimum: 1 },
      duration: { type: 'integer', minimum: 1 },
      format: { type: 'string', enum: ['range', 'time'] },
      timeZone: { type: 'string', format: 'iana-time-zone' },
      usernames: { type: 'string', pattern: '^[^,]+(?:,[^,]+)+$' },
      bookingUidToReschedule: { type: 'string' },
      organizationSlug: { type: 'string' },
      teamSlug: { type: 'string' },
      username: { type: 'string' },
      eventTypeSlug: { type: 'string' },
    },
  },
  patchDocument(document) {
    const schemas = ((document.components as Schema | undefined)?.schemas ?? {}) as Record<string, Schema>;
    for (const [name, schema] of Object.entries(schemas)) {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const start = properties.start;
      if (start && start.type === 'string' && /ISO 8601/.test(String(start.description ?? ''))) {
        start.format = 'date-time';
        if (/UTC/.test(String(start.description))) start.pattern = '(?:Z|[+-]00:?00)$';
      }
      const metadata = properties.metadata;
      if (metadata && /at most 50 keys/.test(String(metadata.description ?? ''))) {
        Object.assign(metadata, {
          maxProperties: 50,
          propertyNames: { maxLength: 40 },
          additionalProperties: { maxLength: 500 },
        });
      }
      if (name === 'CreateBookingAttendee') {
        if (properties.phoneNumber) properties.phoneNumber.pattern = '^\\+[1-9]\\d{1,14}$';
        if (properties.timeZone) properties.timeZone.format = 'iana-time-zone';
        if (properties.email) properties.email.format = 'email';
      }
    }
  },
};

/**
 * Twilio 2010-04-01. Bodies are form-encoded (decoded and coerced by the validator) and the
 * `x-twilio.conditional` groups are checked by the validator; nothing else to adjust.
 */
export const TWILIO_QUIRKS: SpecQuirks = {};

/** Loads one provider's description with its quirks. */
export function loadProviderSpec(dir: string, name: SpecName): OpenApiSpec {
  return loadSpec(join(dir, SpecFiles[name]), { quirks: name === 'calcom' ? CALCOM_QUIRKS : TWILIO_QUIRKS });
}
