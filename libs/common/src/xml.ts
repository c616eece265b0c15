/**
 * XML 1.0's character rule, shared by the TwiML the telephony worker writes and the Twilio
 * sandbox that parses it: both must agree on what a document may carry.
 */

/** True for a code point an XML 1.0 document may contain (the `Char` production). */
export function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}
