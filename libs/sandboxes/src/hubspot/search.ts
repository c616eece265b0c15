/**
 * Search semantics of the HubSpot sandbox: how one filter matches one stored value.
 *
 * Phone matching (`phone`, `mobilephone`) is deliberately format-tolerant but not clever:
 * two phone values are equal when their digit strings are equal, so spaces, dashes, dots,
 * parentheses, `/` and a leading `+` (or the `00` international prefix) are ignored —
 * `+1 (555) 123-4567` equals `+15551234567` — while a national number never equals an
 * international one (`5551234567` ≠ `+15551234567`): the sandbox does not guess countries.
 * That is the contract a client can rely on without relying on luck, and it is why the CRM
 * worker searches the E.164 form, the form it was given, and the national form.
 */

/** Operators HubSpot's search accepts (all of them are understood by the sandbox). */
export const HubspotSearchOperators = [
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
] as const;
/** One of {@link HubspotSearchOperators}. */
export type HubspotSearchOperator = (typeof HubspotSearchOperators)[number];

/** A validated search filter. */
export interface SearchFilter {
  propertyName: string;
  operator: HubspotSearchOperator;
  value?: string;
  values?: string[];
  highValue?: string;
}

/** Properties whose values are compared as phone numbers. */
export const PHONE_PROPERTIES: ReadonlySet<string> = new Set(['phone', 'mobilephone']);

/**
 * The comparison key of a phone value: its digits, after dropping an `00` international
 * prefix (so `0044…` and `+44…` agree). Empty when the value has no digits.
 */
export function phoneKey(value: string): string {
  const compact = value.replace(/[^\d+]/g, '');
  const digits = compact.replace(/\D/g, '');
  return compact.startsWith('00') ? digits.slice(2) : digits;
}

/** Whether two phone values denote the same number under the sandbox's rule (see module doc). */
export function phonesMatch(a: string, b: string): boolean {
  const ka = phoneKey(a);
  return ka !== '' && ka === phoneKey(b);
}

/** The tokens CONTAINS_TOKEN looks at: the whole value, its alphanumeric runs, and for phones the digit key. */
function tokensOf(property: string, value: string): string[] {
  const lower = value.toLowerCase();
  const tokens = [lower, ...lower.split(/[^\p{L}\p{N}]+/u).filter((t) => t !== '')];
  if (PHONE_PROPERTIES.has(property)) tokens.push(phoneKey(value));
  if (property === 'email') {
    const at = lower.indexOf('@');
    if (at > 0) tokens.push(lower.slice(0, at), lower.slice(at + 1));
  }
  return tokens;
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern
    .toLowerCase()
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`, 'u');
}

function equal(property: string, stored: string, wanted: string): boolean {
  if (PHONE_PROPERTIES.has(property)) return phonesMatch(stored, wanted);
  // HubSpot compares string values case-insensitively (e-mail addresses in particular).
  return stored.toLowerCase() === wanted.toLowerCase();
}

function compare(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a.localeCompare(b);
}

/**
 * Whether a stored value (undefined or '' when the object has none) passes a filter. Like
 * HubSpot, an object without the property fails every positive comparison and passes the
 * negative ones (`NEQ`, `NOT_IN`, `NOT_CONTAINS_TOKEN`).
 */
export function matchesFilter(filter: SearchFilter, stored: string | undefined): boolean {
  const has = stored !== undefined && stored !== '';
  const value = filter.value ?? '';
  switch (filter.operator) {
    case 'HAS_PROPERTY':
      return has;
    case 'NOT_HAS_PROPERTY':
      return !has;
    case 'EQ':
      return has && equal(filter.propertyName, stored, value);
    case 'NEQ':
      return !has || !equal(filter.propertyName, stored, value);
    case 'IN':
      return has && (filter.values ?? []).some((v) => equal(filter.propertyName, stored, v));
    case 'NOT_IN':
      return !has || !(filter.values ?? []).some((v) => equal(filter.propertyName, stored, v));
    case 'LT':
      return has && compare(stored, value) < 0;
    case 'LTE':
      return has && compare(stored, value) <= 0;
    case 'GT':
      return has && compare(stored, value) > 0;
    case 'GTE':
      return has && compare(stored, value) >= 0;
    case 'BETWEEN':
      return has && compare(stored, value) >= 0 && compare(stored, filter.highValue ?? '') <= 0;
    case 'CONTAINS_TOKEN': {
      if (!has) return false;
      const digits = phoneKey(value);
      const asPhone = PHONE_PROPERTIES.has(filter.propertyName) && !value.includes('*') && digits !== '';
      const re = wildcard(asPhone ? digits : value);
      return tokensOf(filter.propertyName, stored).some((t) => re.test(t));
    }
    case 'NOT_CONTAINS_TOKEN':
      return !matchesFilter({ ...filter, operator: 'CONTAINS_TOKEN' }, stored);
  }
}

/** Whether an object passes a search: any group (OR) whose filters all pass (AND); no groups match everything. */
export function matchesGroups(
  groups: readonly SearchFilter[][],
  properties: Readonly<Record<string, string>>,
): boolean {
  if (groups.length === 0) return true;
  return groups.some((filters) => filters.every((f) => matchesFilter(f, properties[f.propertyName])));
}
