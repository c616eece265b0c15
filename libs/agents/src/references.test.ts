/**
 * References written the ways people write them: lists, every kind of quote, markdown
 * emphasis, bullets under a heading about actions, and Liquid blocks — and what is not a
 * reference (Liquid output, prose, quoted speech). The properties insert generated names into
 * each supported syntax, inside unrelated text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LintIssue, lintInstructions } from './lint.js';
import { maskLiquid, OUTPUT_MASK } from './liquid-mask.js';
import { findActionReferences } from './references.js';

const configured = (...names: string[]) => names.map((name) => ({ name }));
const found = (text: string, names: string[]) =>
  findActionReferences(text, names).map(({ name, line, column }) => [name, line, column]);
const brief = (issues: LintIssue[]) => issues.map((i) => [i.code, i.name, i.line, i.column]);
/** 1-based line and column of the last occurrence of `needle` (the test's own computation). */
function last(text: string, needle: string): [number, number] {
  const offset = text.lastIndexOf(needle);
  const lines = text.slice(0, offset).split('\n');
  return [lines.length, (lines.at(-1) as string).length + 1];
}

describe('lists', () => {
  it('finds every name of a list, as the issue reported: confirm_me mentioned, slow_one unknown', () => {
    const text = "Use 'log_typed' and 'confirm_me'. When it is slow, use 'log_typed', 'confirm_me' or 'slow_one'.";
    expect(brief(lintInstructions(text, configured('log_typed', 'confirm_me')))).toEqual([
      ['unknown_action', 'slow_one', ...last(text, 'slow_one')],
    ]);
  });

  it.each([
    ["Use 'a_b', 'c_d' and 'e_f'.", 3],
    ["Use 'a_b', 'c_d', and 'e_f'.", 3],
    ["Use either 'a_b' or 'c_d'.", 2],
    ["Use 'a_b' and/or 'c_d', then 'e_f'.", 3],
    ["Use 'a_b', and then 'c_d'.", 2],
    ["Run 'a_b' & 'c_d' / 'e_f'.", 3],
    ["Use 'a_b' or the 'c_d' action.", 2],
    ["'a_b', 'c_d' and 'e_f' are the actions to use.", 0],
    ["The 'a_b', 'c_d' and 'e_f' actions log meals.", 3],
    ['Use one of the following actions: `a_b`, `c_d` or `e_f`.', 3],
  ])('%s → %i references', (text, count) => {
    expect(findActionReferences(text, []).map((r) => r.name)).toEqual(['a_b', 'c_d', 'e_f'].slice(0, count));
  });

  it('ends a list at the first thing that is not a name', () => {
    expect(found("Use 'Lookup Account' and ask about 'their issue'.", [])).toEqual([['Lookup Account', 1, 6]]);
  });

  it('reads bare names in lists when they are configured or identifiers', () => {
    const names = ['Transfer to Support', 'End Call Politely', 'log_typed'];
    expect(found('Use Transfer to Support or End Call Politely, then log_typed.', names)).toEqual([
      ['Transfer to Support', 1, 5],
      ['End Call Politely', 1, 28],
      ['log_typed', 1, 52],
    ]);
    expect(brief(lintInstructions('Use log_typed and lgo_typed actions.', configured('log_typed')))).toEqual([
      ['near_miss', 'lgo_typed', 1, 19],
    ]);
  });
});

describe('quotes and emphasis', () => {
  it('reads every kind of quote, in lists too', () => {
    const text = 'Use \'a_b\', "c_d", \u2018e_f\u2019, \u201Cg_h\u201D and `i_j`.';
    expect(findActionReferences(text).map((r) => [r.name, r.form])).toEqual(
      ['a_b', 'c_d', 'e_f', 'g_h', 'i_j'].map((name) => [name, 'quoted']),
    );
  });

  it('reads markdown emphasis, around quotes too, at the name', () => {
    const text = "Use **log_typed**, *confirm_me*, __slow_one__, _fast_one_ and **'Transfer to Support'**.";
    expect(found(text, ['Transfer to Support'])).toEqual([
      ['log_typed', 1, 7],
      ['confirm_me', 1, 21],
      ['slow_one', 1, 36],
      ['fast_one', 1, 49],
      ['Transfer to Support', 1, 66],
    ]);
  });

  it('takes emphasised prose for stress, not a reference, unless it names an action', () => {
    const names = ['Transfer to Support'];
    expect(found('Use *only* what the caller said; **never** guess.', names)).toEqual([]);
    expect(brief(lintInstructions('Use **Transfer to Suport** now.', configured(...names)))).toEqual([
      ['near_miss', 'Transfer to Suport', 1, 7],
    ]);
    expect(brief(lintInstructions('The **Escalate Now** action pages a manager.', configured(...names)))).toEqual([
      ['unknown_action', 'Escalate Now', 1, 7],
      ['unused_action', 'Transfer to Support', 1, 1],
    ]);
  });

  it('counts an exactly quoted or emphasised name anywhere as a mention, and reports a case slip in quotes', () => {
    const text = "Log meals with 'confirm_me'. **log_typed** is for snacks.";
    expect(lintInstructions(text, configured('confirm_me', 'log_typed'))).toEqual([]);
    expect(
      brief(lintInstructions("Ask for 'transfer to support' only then.", configured('Transfer to Support'))),
    ).toEqual([['case_mismatch', 'transfer to support', 1, 10]]);
  });

  it('leaves quoted speech and unknown quoted words alone when nothing anchors them', () => {
    const text = 'Ask "Would you like me to transfer you now?" and say \'goodbye\'; the `meal_type` is required.';
    expect(found(text, ['Transfer to Support'])).toEqual([]);
  });
});

describe('bullets', () => {
  const names = ['log_typed', 'confirm_me', 'Transfer to Support'];

  it('reads the bullets under a heading about actions, reporting unknown names', () => {
    const text = [
      'Available actions:',
      '- log_typed: logs what the user ate',
      '* **confirm_me** \u2014 asks before logging',
      '',
      '1. `slow_one` (deprecated)',
      '2) Transfer to Suport (for complex issues)',
      '- Ask the caller politely',
      'Be brief.',
      '- unknown_after_the_list',
    ].join('\n');
    expect(brief(lintInstructions(text, configured(...names)))).toEqual([
      ['unknown_action', 'slow_one', 5, 5],
      ['near_miss', 'Transfer to Suport', 6, 4],
    ]);
  });

  it.each(['## Tools', 'You can use these actions:', 'Tools:'])('takes "%s" for a heading', (heading) => {
    expect(found(`${heading}\n- \`zz_unknown\``, names)).toEqual([['zz_unknown', 2, 4]]);
  });

  it('does not take a condition for a heading, nor bullets without one for names', () => {
    const text = "If the 'log_typed' action fails:\n1. 'Sorry about that'\n2. Apologize sincerely";
    expect(found(text, names)).toEqual([['log_typed', 1, 9]]);
    // The seed's configuration lists: exact names are mentions.
    expect(found('Agent Configuration:\n- Transfer to Support (for complex issues)\n- Something else', names)).toEqual([
      ['Transfer to Support', 2, 3],
    ]);
  });
});

describe('Liquid', () => {
  it('reads the text inside control blocks, not the tags', () => {
    const text = `{% if contact.vip == "log_typed" %}
Use 'confirm_me' and 'log_typed'.
{% elsif contact.tier %}{% assign x = 'slow_one' %}Use 'slow_one'.
{% else %}Use *Transfer to Support*.{% endif %}`;
    expect(brief(lintInstructions(text, configured(...['log_typed', 'confirm_me', 'Transfer to Support'])))).toEqual([
      ['unknown_action', 'slow_one', ...last(text, 'slow_one')],
    ]);
  });

  it('never takes {{ }} output for a reference, nor checks a name built from one', () => {
    const text = `Use {{ 'slow_one' }} and the '{{ contact.tool }}' action, or 'Transfer to {{ dept }}'.
{{ contact.first_name }}'s account: use {{ 'log_typed' | append: '_x' }} and 'log_typed'.`;
    expect(found(text, ['log_typed'])).toEqual([['log_typed', ...last(text, 'log_typed')]]);
  });

  it('skips comments and keeps raw blocks as text', () => {
    const text = "{% comment %}use 'gone_one'{% endcomment %}{% raw %}Use 'log_typed' with {{ braces }}.{% endraw %}";
    expect(found(text, ['log_typed'])).toEqual([['log_typed', 1, 58]]);
  });

  it('masks without moving anything', () => {
    const text = 'a{{ x }}b\n{% if y %}c{% endif %}{% raw %}{{ d }}{% endraw %}';
    const masked = maskLiquid(text);
    expect(masked).toHaveLength(text.length);
    expect(masked.split('\n').map((l) => l.length)).toEqual(text.split('\n').map((l) => l.length));
    expect(masked.replaceAll(OUTPUT_MASK, '').replaceAll(' ', '')).toBe('ab\nc{{d}}');
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

/** Words that are part of the syntax around names, so never a generated name's words. */
const SYNTAX_WORDS = new Set(
  'the a an and or nor then else also either both only one any all of these those following use run execute invoke trigger action actions tool tools called named'.split(
    ' ',
  ),
);
const word = fc.stringMatching(/^[A-Za-y][a-z0-9]{1,7}$/).filter((w) => !SYNTAX_WORDS.has(w.toLowerCase()));
const identifierName = fc
  .tuple(
    fc.stringMatching(/^[a-y][a-z0-9]{1,7}$/),
    fc.array(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: 1, maxLength: 3 }),
  )
  .map(([head, rest]) => [head, ...rest].join('_'));
const displayName = fc.array(word, { minLength: 1, maxLength: 4 }).map((words) => words.join(' '));
const actionName = fc.oneof(identifierName, displayName);

/** Text around a reference that holds no reference of its own. */
const PROSE = [
  'Greet the caller warmly.',
  "If the customer's issue is complex, apologise; don't ramble.",
  'Say "Thank you for calling" at the end.',
  '{{ contact.first_name }} may be empty, so ask.',
  '{% if contact.vip %}Be extra polite.{% endif %}',
  'Ask for their e-mail (name@example.com) and use it.',
  '- Keep answers short',
  '',
];
const prose = fc.array(fc.constantFrom(...PROSE), { maxLength: 3 }).map((lines) => lines.join('\n'));

/** A syntax: the text it writes around a name. */
type Syntax = (name: string) => [before: string, after: string];
const SYNTAXES: Record<string, Syntax> = {
  'single quotes + action': () => ["Use the '", "' action."],
  'double quotes after a verb': () => ['When asked, use "', '" right away.'],
  'curly single quotes': () => ['Then run \u2018', '\u2019.'],
  'curly double quotes': () => ['Invoke \u201C', '\u201D when needed.'],
  'back quotes': () => ['Use `', '` to help.'],
  'bold after a verb': () => ['Use **', '** to help.'],
  'italic after a verb': () => ['Use *', '* to help.'],
  'underscore emphasis': () => ['Use __', '__ now.'],
  'bold quotes': () => ["Use **'", "'** now."],
  'bare words + action': () => ['Use the ', ' action.'],
  'last of a list': () => ["Use 'other_thing', 'more_things' and '", "'."],
  'middle of an or-list': () => ['Use either `other_thing`, `', '` or `more_things` tools.'],
  'bullet under a heading': () => ['Available actions:\n- ', ': does its job'],
  'quoted bullet': () => ['## Tools\n1. `', '` (primary)'],
  'inside {% if %}': () => ["{% if contact.vip %}\nUse '", "' first.\n{% endif %}"],
  'inside {% else %}': () => ['{% if call.sid %}Say hi.{% else %}Run "', '".{% endif %}'],
  'the tool named': () => ['Call the tool named "', '".'],
};

const OTHERS = ['other_thing', 'more_things'];

describe('properties', () => {
  it('finds any configured name written in any supported syntax, at its position, lint-clean', () => {
    fc.assert(
      fc.property(actionName, fc.constantFrom(...Object.keys(SYNTAXES)), prose, prose, (name, syntax, head, tail) => {
        const [before, after] = (SYNTAXES[syntax] as Syntax)(name);
        const prefix = head === '' ? '' : `${head}\n`;
        const text = `${prefix}${before}${name}${after}${tail === '' ? '' : `\n${tail}`}`;
        const offset = prefix.length + before.length;
        const names = [name, ...OTHERS];
        expect(findActionReferences(text, names)).toContainEqual(expect.objectContaining({ name, offset }));
        const issues = lintInstructions(text, configured(...names));
        expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
        expect(issues.filter((i) => i.name === name)).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('finds every name of any list, whatever its connectors and quotes', () => {
    const quote = fc.constantFrom(["'", "'"], ['"', '"'], ['`', '`'], ['\u2018', '\u2019'], ['**', '**']);
    const connector = fc.constantFrom(', ', ' and ', ' or ', ', and ', ', or ', ' and/or ', ' / ', ', then ');
    fc.assert(
      fc.property(
        fc.uniqueArray(identifierName, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(quote, connector), { minLength: 5, maxLength: 5 }),
        prose,
        (names, styles, head) => {
          let text = `${head}\nUse `;
          const offsets: number[] = [];
          names.forEach((name, i) => {
            const [[open, close], joint] = styles[i] as [[string, string], string];
            if (i > 0) text += joint;
            text += open;
            offsets.push(text.length);
            text += name + close;
          });
          text += ' when the caller asks.';
          const refs = findActionReferences(text, names.slice(1));
          for (const [i, name] of names.entries()) {
            expect(refs).toContainEqual(expect.objectContaining({ name, offset: offsets[i] }));
          }
          // The first name is not configured: unknown, at its position.
          const unknown = lintInstructions(text, configured(...names.slice(1))).filter(
            (issue) => issue.code === 'unknown_action',
          );
          expect(unknown.map((issue) => issue.name)).toEqual([names[0]]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reports a case slip of any configured name in an anchored syntax, suggesting the name', () => {
    const anchored = Object.keys(SYNTAXES).filter((s) => !['bullet under a heading'].includes(s));
    fc.assert(
      fc.property(
        actionName.filter((n) => n.toUpperCase() !== n),
        fc.constantFrom(...anchored),
        prose,
        (name, syntax, head) => {
          const written = name.toUpperCase();
          const [before, after] = (SYNTAXES[syntax] as Syntax)(written);
          const text = `${head}\n${before}${written}${after}`;
          const issues = lintInstructions(text, configured(name, ...OTHERS));
          expect(issues).toContainEqual(
            expect.objectContaining({ code: 'case_mismatch', name: written, suggestion: name }),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never takes Liquid output for a reference, whatever it holds', () => {
    fc.assert(
      fc.property(actionName, prose, (name, head) => {
        const text = `${head}\nUse {{ '${name}' }} or {{ ${name.replace(/ /g, '_')} }}, then '{{ x }}${name}'.`;
        expect(findActionReferences(text, [name])).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
