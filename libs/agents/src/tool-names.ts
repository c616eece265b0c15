/**
 * LLM tool names. OpenAI and Anthropic accept only `^[a-zA-Z0-9_-]{1,64}$`, while action names
 * are often display names that instructions quote verbatim ('Transfer to Support'). A tool name
 * is derived from each action name and mapped back after the model calls it.
 */

/** What OpenAI function names and Anthropic tool names must match (MCP tools follow it too). */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/** Longest tool name the LLM APIs accept. */
export const MAX_TOOL_NAME_LENGTH = 64;

/**
 * The tool name for one action name, without collision handling (see {@link assignToolNames}):
 *
 * - a name that is already a valid tool name is kept verbatim (`send_verification_code`,
 *   `getCustomer`), so the model sees the same name the instructions use (`@actions.x`);
 * - otherwise it is lower-cased, accents are dropped and every run of other characters becomes
 *   one `_` (`Transfer to Support` → `transfer_to_support`, `Book 30-Minute Consultation` →
 *   `book_30_minute_consultation`), cut to 64 characters;
 * - a name with no ASCII letter or digit at all becomes `action_<hash>` (FNV-1a of the name), so
 *   the result is never empty and still deterministic.
 */
export function toolNameFor(actionName: string): string {
  if (TOOL_NAME_PATTERN.test(actionName)) return actionName;
  const slug = actionName
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_TOOL_NAME_LENGTH)
    .replace(/_+$/, '');
  return slug.length > 0 ? slug : `action_${fnv1a(actionName)}`;
}

/**
 * Tool names for a list of action names, index for index: pairwise distinct (ignoring case,
 * because names that differ only by case confuse models and some gateways fold case) and each
 * matching {@link TOOL_NAME_PATTERN}.
 *
 * Names that are valid tool names verbatim claim themselves first, so an action literally named
 * `transfer_to_support` keeps its name even when listed after 'Transfer to Support'; the others
 * take their derived name, or the first free `<name>_2`, `<name>_3`... Deterministic for a given
 * list.
 */
export function assignToolNames(actionNames: readonly string[]): string[] {
  const taken = new Set<string>();
  const result: (string | undefined)[] = new Array<string | undefined>(actionNames.length).fill(undefined);
  actionNames.forEach((name, index) => {
    if (TOOL_NAME_PATTERN.test(name) && !taken.has(name.toLowerCase())) {
      taken.add(name.toLowerCase());
      result[index] = name;
    }
  });
  actionNames.forEach((name, index) => {
    if (result[index] !== undefined) return;
    const base = toolNameFor(name);
    let candidate = base;
    for (let n = 2; taken.has(candidate.toLowerCase()); n++) {
      const suffix = `_${n}`;
      candidate = base.slice(0, MAX_TOOL_NAME_LENGTH - suffix.length) + suffix;
    }
    taken.add(candidate.toLowerCase());
    result[index] = candidate;
  });
  return result as string[];
}

/** 32-bit FNV-1a over UTF-16 code units, as 8 hex digits: tiny, stable, good enough for a suffix. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
