/**
 * Detects the seed's failure mode "the agent says it is transferring the caller, but the
 * transfer only happens next turn": a reply that commits to doing something an action does
 * ("I'll transfer you now", "Let me book that", "I'm ending the call") without calling the
 * action in the same response.
 *
 * A heuristic on purpose, and only a backstop: the loop's turn policy already tells the model to
 * call the tool in the same response as the words, and a hit only earns the model one more
 * round to do so (it may still decline). So it favours recall of plain first-person
 * commitments over cleverness, and never runs anything itself.
 */
import type { CanonicalAction, Step } from '@switchboard/actions';

/** Verbs a caller hears when an action of this kind is about to happen, by provider operation. */
const OPERATION_VERBS: Readonly<Record<string, readonly string[]>> = {
  'telephony.transfer': ['transfer', 'connect', 'put', 'forward', 'patch'],
  'telephony.end_call': ['end', 'hang', 'disconnect', 'close'],
  'session.pause_inactivity': ['pause', 'wait', 'give'],
  'calcom.book': ['book', 'schedule', 'reserve'],
  'sms.send': ['send', 'text'],
  'crm.ticket': ['create', 'open', 'file', 'log', 'raise'],
  'crm.update': ['update', 'record', 'note', 'save'],
};

/**
 * First-person commitments to act now or next: "I'll", "I will", "I'm going to", "let me",
 * "I'm (now) <verb>ing", "I am about to". Captures the verb that follows (after fillers).
 */
const COMMITMENT =
  /\b(?:i'll|i will|i'm going to|i am going to|i'm about to|i am about to|let me|allow me to|i'm now|i am now|i'm|i am)\s+(?:(?:now|just|go ahead and|quickly|right away)\s+)*([a-z]+)/g;

/** The words a verb is recognised by: a crude stem (`transferring` → `transfer`, `booking` → `book`). */
export function stem(word: string): string {
  let w = word.toLowerCase();
  for (const suffix of ['ing', 'ed', 'es', 's', 'e']) {
    if (w.length > suffix.length + 2 && w.endsWith(suffix)) {
      w = w.slice(0, -suffix.length);
      break;
    }
  }
  // `transferr` → `transfer`, `putt` → `put`, `schedul` stays.
  if (w.length > 3 && w.at(-1) === w.at(-2) && !/[aeiou]/.test(w.at(-1) ?? '')) w = w.slice(0, -1);
  return w;
}

/** The operations of an action's provider steps, in every branch. */
function operationsOf(action: CanonicalAction): string[] {
  const found: string[] = [];
  const visit = (steps: readonly Step[]): void => {
    for (const step of steps) {
      if (step.type === 'provider') found.push(step.operation);
      if (step.type === 'conditional') {
        visit(step.then);
        if (step.else) visit(step.else);
      }
    }
  };
  visit(action.steps);
  return found;
}

/** The verb stems that announce an action: its name's first word, plus those of its operations. */
export function announcingVerbs(action: CanonicalAction): Set<string> {
  const verbs = new Set<string>();
  const first = (action.label || action.name).split(/[\s_]+/)[0];
  if (first) verbs.add(stem(first));
  for (const operation of operationsOf(action)) {
    for (const verb of OPERATION_VERBS[operation] ?? []) verbs.add(stem(verb));
  }
  return verbs;
}

/** One announcement found in a reply. */
export interface Announcement {
  /** The action the reply commits to. */
  action: string;
  /** The words that commit to it ("I'll transfer"). */
  phrase: string;
}

/**
 * The actions `text` commits to doing, among `actions` (the ones the model may call and has
 * not run yet this turn), in the order the text names them. Empty when it commits to nothing.
 */
export function findAnnouncements(text: string, actions: readonly CanonicalAction[]): Announcement[] {
  const lower = text.toLowerCase().replaceAll('’', "'");
  const verbs = actions.map((action) => ({ action: action.name, verbs: announcingVerbs(action) }));
  const found: Announcement[] = [];
  for (const match of lower.matchAll(COMMITMENT)) {
    const verb = stem(match[1] ?? '');
    for (const candidate of verbs) {
      if (candidate.verbs.has(verb) && !found.some((f) => f.action === candidate.action)) {
        found.push({ action: candidate.action, phrase: match[0] });
      }
    }
  }
  return found;
}
