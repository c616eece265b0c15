/** What the user's answer to a confirmation question says. */
export type ConfirmationAnswer = 'yes' | 'no' | 'unclear';

const YES = new Set([
  'yes',
  'yeah',
  'yep',
  'yup',
  'sure',
  'ok',
  'okay',
  'correct',
  'confirm',
  'confirmed',
  'please',
  'absolutely',
  'definitely',
  'fine',
  'go',
]);
const NO = new Set(['no', 'nope', 'nah', 'not', "don't", 'dont', 'cancel', 'stop', 'wait', 'never', 'negative']);
const YES_PHRASES = [/\bgo ahead\b/, /\bdo it\b/, /\bthat'?s right\b/, /\bsounds good\b/];
const NO_PHRASES = [/\bno thanks?\b/, /\bnot now\b/, /\bhold on\b/, /\bchanged? my mind\b/];

/**
 * Classifies a reply to "Shall I …?" by its words: any no-word wins (explicit consent must be
 * unambiguous: "yes, but wait" is not a yes), a yes-word without a no-word is a yes, anything
 * else is unclear. Deliberately small: voice runtimes with their own understanding pass the
 * answer explicitly (`confirmation` in the turn request) instead.
 */
export function classifyConfirmation(text: string): ConfirmationAnswer {
  const lower = text.toLowerCase().replaceAll('’', "'");
  const words = lower.split(/[^a-z']+/).filter((w) => w !== '');
  if (words.some((w) => NO.has(w) || w.endsWith("n't")) || NO_PHRASES.some((p) => p.test(lower))) return 'no';
  if (words.some((w) => YES.has(w)) || YES_PHRASES.some((p) => p.test(lower))) return 'yes';
  return 'unclear';
}
