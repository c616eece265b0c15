/**
 * Liquid markup hidden from the instruction linter, offsets kept: what the model reads is the
 * text of the template, including the text inside control blocks (`{% if %}…{% endif %}`),
 * but not the tags themselves, not comments, and not what `{{ … }}` outputs (a name only known
 * when the template renders cannot be checked).
 */

/**
 * What `{{ … }}` output is replaced with: neither a letter nor a space, so a name or a list
 * that runs into an output stops there, and a quote right after one (`{{ name }}'s`) stays an
 * apostrophe.
 */
export const OUTPUT_MASK = '\u0001';

/** Comments, raw blocks, outputs and tags, in the order Liquid reads them. */
const MARKUP =
  /\{%-?\s*comment\s*-?%\}[\s\S]*?\{%-?\s*endcomment\s*-?%\}|(\{%-?\s*raw\s*-?%\})([\s\S]*?)(\{%-?\s*endraw\s*-?%\})|\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;

/** `text` with every character but line breaks replaced by `ch`. */
function blank(text: string, ch: string): string {
  return text.replace(/[^\n\r]/g, ch);
}

/**
 * The template with Liquid markup masked, same length and line breaks as the input: comments
 * and tags become spaces, outputs {@link OUTPUT_MASK}, and the content of `{% raw %}` blocks
 * (literal text for the model) is kept. Unclosed markup is left as it is (the syntax check
 * reports it).
 */
export function maskLiquid(template: string): string {
  return template.replace(MARKUP, (match: string, rawOpen?: string, rawBody?: string, rawClose?: string) => {
    if (rawOpen !== undefined && rawBody !== undefined && rawClose !== undefined) {
      return blank(rawOpen, ' ') + rawBody + blank(rawClose, ' ');
    }
    return blank(match, match.startsWith('{{') ? OUTPUT_MASK : ' ');
  });
}
