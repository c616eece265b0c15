/**
 * The `validate` step's rules, as pure predicates.
 *
 * - `required`: present, not `null`, not a blank string, not an empty array.
 * - `email`: a pragmatic address check (`local@domain.tld`, at most 254 characters); it does
 *   not try to implement RFC 5322 comments or quoted local parts, which no caller dictates.
 * - `phone`: E.164-ish and deliberately a little looser than E.164, because people dictate
 *   numbers with separators: after removing spaces, dots, dashes and parentheses, an optional
 *   `+` then 8–15 digits, the first not 0.
 * - `number`: a finite JSON number, or a string that is a decimal number (`"42"`, `"-3.5e2"`).
 * - `min_length` / `max_length`: length of a string (in code points) or an array; a missing
 *   value counts as empty. Other values fail.
 * - `pattern`: the value (a string or number) matches the regex (unanchored, like
 *   `RegExp.test`; write `^…$` to match the whole value). Values over 10 000 characters fail.
 *
 * Format rules (`email`, `phone`, `number`, `pattern`) fail on a missing value: a chain that
 * validates `params.email` should not carry on with no email. Wrap the step in a
 * `conditional` when the field is optional.
 */
import type { JsonValue } from '@switchboard/common';
import type { ValidateRule } from './model.js';

const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const PHONE = /^\+?[1-9][0-9]{7,14}$/;
const DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
/** Longest value a `pattern` rule tests, so a regex never runs on unbounded input. */
const MAX_PATTERN_INPUT = 10_000;

/** Applies a rule; `argument` is the step's `value` (length or regex). */
export function checkRule(
  rule: ValidateRule,
  value: JsonValue | undefined,
  argument: RegExp | number | undefined,
): boolean {
  const missing = value === undefined || value === null;
  switch (rule) {
    case 'required':
      return (
        !missing &&
        !(typeof value === 'string' && value.trim().length === 0) &&
        !(Array.isArray(value) && value.length === 0)
      );
    case 'email':
      return typeof value === 'string' && value.length <= 254 && EMAIL.test(value);
    case 'phone': {
      if (typeof value !== 'string' && typeof value !== 'number') return false;
      return PHONE.test(String(value).replace(/[\s().-]/g, ''));
    }
    case 'number':
      return (
        (typeof value === 'number' && Number.isFinite(value)) ||
        (typeof value === 'string' && DECIMAL.test(value.trim()))
      );
    case 'min_length':
    case 'max_length': {
      const length = missing
        ? 0
        : typeof value === 'string'
          ? [...value].length
          : Array.isArray(value)
            ? value.length
            : undefined;
      if (length === undefined || typeof argument !== 'number') return false;
      return rule === 'min_length' ? length >= argument : length <= argument;
    }
    case 'pattern': {
      if ((typeof value !== 'string' && typeof value !== 'number') || !(argument instanceof RegExp)) return false;
      const text = String(value);
      if (text.length > MAX_PATTERN_INPUT) return false;
      argument.lastIndex = 0;
      return argument.test(text);
    }
    default:
      return false;
  }
}

/** The default failure message of a rule, used when the step has no `error_message`. */
export function defaultRuleMessage(rule: ValidateRule, field: string, argument: string | number | undefined): string {
  switch (rule) {
    case 'required':
      return `${field} is required`;
    case 'email':
      return `${field} must be a valid email address`;
    case 'phone':
      return `${field} must be a valid phone number`;
    case 'number':
      return `${field} must be a number`;
    case 'min_length':
      return `${field} must be at least ${String(argument)} long`;
    case 'max_length':
      return `${field} must be at most ${String(argument)} long`;
    case 'pattern':
      return `${field} has an invalid format`;
    default:
      return `${field} is invalid`;
  }
}
