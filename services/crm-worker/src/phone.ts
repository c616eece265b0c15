/**
 * Phone numbers as the CRM worker searches for them.
 *
 * Callers' numbers arrive as E.164 from the telephony provider (`+15551234567`), but numbers an
 * agent heard and numbers people typed into HubSpot come in every format. The worker therefore
 * normalises what it is given to E.164 and searches several forms of it at once (one HubSpot
 * search, OR-ed filter groups): the E.164 form, the form it was given, and the national form
 * (`5551234567` for NANP, `020…` with the trunk prefix elsewhere), on `phone` and `mobilephone`.
 * No library guesses countries here: a number without a country code gets the configured
 * default country (NANP `1` unless `CRM_DEFAULT_COUNTRY_CODE` says otherwise).
 */

/** Characters people put between digits; anything else (letters) makes a value not a phone number. */
const FORMATTING = /[\s\-.()/\u00a0\u2010-\u2015]/g;
/** `+44 (0)…`: a trunk prefix written after the country code. */
const TRUNK_IN_BRACKETS = /^(\s*\+\d{1,3})\s*\(0\)/;
/** A trailing extension (`ext. 12`, `x12`, `#12`) is not part of the number. */
const EXTENSION = /\s*(?:ext\.?|extension|x|#)\s*\d{1,6}\s*$/i;

/**
 * The E.164 form of a phone number, or undefined when it cannot be one: formatting characters
 * a trailing extension and a bracketed trunk prefix (`+44 (0)20…`) are dropped, an `00` international prefix becomes `+`, and a number
 * without a country code gets `defaultCountryCode` (NANP: ten digits, or eleven starting with
 * `1`; elsewhere a leading trunk `0` is replaced by the country code). The result matches
 * `^\+[1-9]\d{7,14}$`.
 */
export function toE164(raw: string, defaultCountryCode = '1'): string | undefined {
  // `+44 (0)20 …`: the bracketed trunk prefix is dialled only nationally.
  const compact = raw.replace(EXTENSION, '').replace(TRUNK_IN_BRACKETS, '$1').replace(FORMATTING, '');
  let digits: string;
  if (/^\+\d+$/.test(compact)) digits = compact.slice(1);
  else if (/^00\d+$/.test(compact)) digits = compact.slice(2);
  else if (/^\d+$/.test(compact)) {
    if (defaultCountryCode === '1') {
      if (/^[2-9]\d{9}$/.test(compact)) digits = `1${compact}`;
      else if (/^1[2-9]\d{9}$/.test(compact)) digits = compact;
      else return undefined;
    } else if (compact.startsWith('0')) digits = defaultCountryCode + compact.slice(1);
    else return undefined;
  } else return undefined;
  return /^[1-9]\d{7,14}$/.test(digits) ? `+${digits}` : undefined;
}

/**
 * The national form of an E.164 number of the default country (`+15551234567` → `5551234567`,
 * `+442079460018` → `02079460018` for country `44`); undefined for other countries.
 */
export function nationalForm(e164: string, defaultCountryCode = '1'): string | undefined {
  const prefix = `+${defaultCountryCode}`;
  if (!e164.startsWith(prefix)) return undefined;
  const rest = e164.slice(prefix.length);
  return defaultCountryCode === '1' ? rest : `0${rest}`;
}

/**
 * The values to search a phone number by, best first (at most three, so that two phone
 * properties fit HubSpot's six filter groups): E.164, the value as given (trimmed) when it is
 * written differently, and the national form. Empty when the value has no digits at all.
 */
export function phoneSearchValues(raw: string, defaultCountryCode = '1'): string[] {
  const given = raw.trim();
  if (!/\d/.test(given)) return [];
  const e164 = toE164(given, defaultCountryCode);
  const values = [e164, given, e164 === undefined ? undefined : nationalForm(e164, defaultCountryCode)];
  return [...new Set(values.filter((v): v is string => v !== undefined && v !== ''))];
}

/** Digits of a phone value with an `00` prefix dropped: formatting-insensitive comparison. */
export function phoneDigits(value: string): string {
  const compact = value.replace(/[^\d+]/g, '');
  const digits = compact.replace(/\D/g, '');
  return compact.startsWith('00') ? digits.slice(2) : digits;
}
