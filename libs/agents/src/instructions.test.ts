import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkInstructionsSyntax, InstructionsError, renderInstructions } from './instructions.js';

/** The conditional trigger of the voice platform's Actions guide, verbatim. */
const VIP_EXAMPLE = `If the customer reports a billing issue:
1. Use the 'Lookup Account' action to retrieve their information
2. If balance is overdue, transfer to billing department
3. If balance is current, troubleshoot the issue

{% if contact.contact_status == "vip" %}
Always offer to transfer VIP customers to dedicated support immediately.
{% endif %}`;

const VIP_LINE = 'Always offer to transfer VIP customers to dedicated support immediately.';

function renderError(template: string, vars: Record<string, unknown> = {}, options = {}): InstructionsError {
  try {
    renderInstructions(template, vars, options);
  } catch (err) {
    expect(err).toBeInstanceOf(InstructionsError);
    return err as InstructionsError;
  }
  throw new Error(`expected ${JSON.stringify(template)} to fail`);
}

describe('renderInstructions', () => {
  it('renders the VIP example for a VIP contact', () => {
    const out = renderInstructions(VIP_EXAMPLE, { contact: { contact_status: 'vip' } });
    expect(out).toContain(VIP_LINE);
    expect(out).toContain("1. Use the 'Lookup Account' action to retrieve their information");
  });

  it('leaves the VIP line out for other contacts, for a contact without status and without a contact', () => {
    for (const vars of [{ contact: { contact_status: 'standard' } }, { contact: {} }, {}]) {
      const out = renderInstructions(VIP_EXAMPLE, vars);
      expect(out).not.toContain(VIP_LINE);
      expect(out).toContain('3. If balance is current, troubleshoot the issue');
    }
  });

  it('renders missing variables as empty and reads context and extra variables', () => {
    expect(renderInstructions('Hi {{ contact.first_name }}!', {})).toBe('Hi !');
    expect(
      renderInstructions('{{ context.channel }}/{{ agent.name }}', {
        context: { channel: 'voice' },
        agent: { name: 'Ava' },
      }),
    ).toBe('voice/Ava');
  });

  it('treats unknown filters as errors, with a position', () => {
    const error = renderError('Hello\n  {{ contact.name | upcasee }}');
    expect(error.code).toBe('instructions_invalid');
    expect(error.retryable).toBe(false);
    expect(error.reason).toBe('syntax');
    expect(error.message).toBe('undefined filter: upcasee');
    expect([error.line, error.column]).toEqual([2, 3]);
    expect(error.toJSON().details).toEqual({ line: 2, column: 3, reason: 'syntax' });
  });

  it('reports unclosed and unknown tags with their position', () => {
    const unclosed = renderError('one\ntwo {% if contact.vip %} three');
    expect([unclosed.line, unclosed.column, unclosed.message]).toEqual([2, 5, 'tag {% if contact.vip %} not closed']);
    const unknown = renderError('{% teleport %}');
    expect(unknown.message).toBe('tag "teleport" not found');
  });

  it('has no file system: include, render and layout are parse errors', () => {
    for (const tag of ['include', 'render', 'layout']) {
      const error = renderError(`x\n{% ${tag} "/etc/passwd" %}`);
      expect(error.reason).toBe('syntax');
      expect(error.message).toContain(`tag "${tag}" is not available`);
      expect(error.line).toBe(2);
    }
  });

  it('copies data to plain JSON: no methods, no prototypes, no cycles', () => {
    let called = false;
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const contact = {
      first_name: 'Ann',
      greet: () => {
        called = true;
        return 'CALLED';
      },
      toLiquid: () => 'HIJACKED',
      since: new Date(Date.UTC(2024, 0, 2)),
      points: 10n,
      tags: ['a', undefined, 'b'],
    };
    const out = renderInstructions(
      '{{ contact.first_name }}|{{ contact.greet }}|{{ contact.since }}|{{ contact.points }}|{{ contact.tags | join: "," }}|{{ contact.constructor }}|{{ c.a }}{{ c.self.a }}',
      { contact, c: cyclic },
    );
    expect(out).toBe('Ann||2024-01-02T00:00:00.000Z|10|a,,b||1');
    expect(called).toBe(false);
  });

  it('makes dates deterministic: now is an input, time zone and locale are fixed', () => {
    const now = Date.UTC(2025, 2, 4, 5, 6, 7);
    const template = '{{ "now" | date: "%Y-%m-%d %H:%M" }} {{ "today" | date: "%A" }}';
    expect(renderInstructions(template, {}, { now })).toBe('2025-03-04 05:06 Tuesday');
    expect(renderInstructions(template, {}, { now: new Date(now), timezone: 'Asia/Tokyo' })).toBe(
      '2025-03-04 14:06 Tuesday',
    );
    expect(
      renderInstructions('{{ d | date: "%H:%M" }}', { d: '2025-03-04T05:06:07Z' }, { timezone: 'Europe/Paris' }),
    ).toBe('06:06');
  });

  it('bounds template size, output size, allocations and render time', () => {
    expect(renderError('x'.repeat(101), {}, { maxTemplateLength: 100 }).reason).toBe('limit');
    expect(renderError('{{ "abc" }}', {}, { maxOutputLength: 2 }).reason).toBe('limit');
    const loop = '{% for i in (1..200000) %}{{ i }}{% endfor %}';
    const memory = renderError(loop, {}, { memoryLimit: 1000 });
    expect([memory.reason, memory.message]).toEqual(['limit', 'memory alloc limit exceeded']);
    const time = renderError(loop, {}, { renderTimeoutMs: 1 });
    expect([time.reason, time.message]).toEqual(['limit', 'template render limit exceeded']);
  });

  it('reports a render deadline that passed before the first template as a limit too', () => {
    // A budget already spent when rendering starts: liquidjs's first deadline check, outside its
    // per-template error wrapping (what a loaded machine hit with a 1 ms budget).
    const late = renderError('{{ "abc" }}', {}, { renderTimeoutMs: -1 });
    expect([late.reason, late.message]).toEqual(['limit', 'template render limit exceeded']);
  });

  it('reports a bad time zone as a typed render error', () => {
    const error = renderError('{{ "now" | date: "%H" }}', {}, { timezone: 'Not/AZone', now: 0 });
    expect(error.reason).toBe('render');
    expect(error.message).toMatch(/time zone/i);
  });

  it('turns absurd nesting into a typed limit error', () => {
    const depth = 9000;
    const error = renderError(`${'{% if a %}'.repeat(depth)}x${'{% endif %}'.repeat(depth)}`, { a: true });
    expect(error.reason).toBe('limit');
    expect(error.message).toMatch(/nested too deeply/);
  });
});

describe('checkInstructionsSyntax', () => {
  it('is empty for valid templates, including the VIP example', () => {
    expect(checkInstructionsSyntax(VIP_EXAMPLE)).toEqual([]);
    expect(checkInstructionsSyntax('plain text, {!@actions.check_hours} and no Liquid at all')).toEqual([]);
  });

  it('reports every problem, not only the first, with positions', () => {
    const template = 'a {% if x %}\n{{ y | nope }}\n{% endfor %}';
    expect(checkInstructionsSyntax(template)).toEqual([
      { line: 2, column: 1, message: 'undefined filter: nope' },
      { line: 3, column: 1, message: 'tag "endfor" not found' },
      { line: 1, column: 3, message: 'tag {% if x %} not closed' },
    ]);
  });

  it('reports an over-long template as one problem', () => {
    expect(checkInstructionsSyntax('abc', { maxTemplateLength: 2 })).toEqual([
      { line: 1, column: 1, message: 'instructions are longer than 2 characters' },
    ]);
  });
});

describe('renderInstructions properties', () => {
  const fragment = fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.constantFrom(
      '{{',
      '}}',
      '{%',
      '%}',
      ' if ',
      ' endif ',
      ' else ',
      ' for i in (1..3) ',
      ' endfor ',
      ' unless ',
      ' case ',
      ' when ',
      ' assign x = ',
      ' capture ',
      ' comment ',
      ' raw ',
      ' include "a" ',
      ' | ',
      'upcase',
      'nope',
      'date: "%Y"',
      '"now"',
      'append: ',
      'contact.contact_status',
      'contact.name',
      ' == "vip" ',
      'context.x.y',
      '(',
      ')',
      '-',
      '\n',
      "'",
      '"',
    ),
  );
  const template = fc.array(fragment, { maxLength: 24 }).map((parts) => parts.join(''));
  const vars = { contact: { contact_status: 'vip', name: 'Ann' }, context: { x: { y: [1, 2] } } };
  const options = { now: Date.UTC(2025, 0, 1), renderTimeoutMs: 10_000 };

  function outcome(text: string): string {
    try {
      return `ok:${renderInstructions(text, vars, options)}`;
    } catch (err) {
      // Anything but an InstructionsError fails the property.
      if (!(err instanceof InstructionsError)) throw err;
      expect(err.code).toBe('instructions_invalid');
      expect(err.line).toBeGreaterThanOrEqual(1);
      expect(err.column).toBeGreaterThanOrEqual(1);
      return `error:${err.line}:${err.column}:${err.reason}:${err.message}`;
    }
  }

  it('never throws anything but an InstructionsError, and is deterministic', () => {
    fc.assert(
      fc.property(template, (text) => {
        expect(outcome(text)).toBe(outcome(text));
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with checkInstructionsSyntax about syntax errors', () => {
    fc.assert(
      fc.property(template, (text) => {
        const problems = checkInstructionsSyntax(text);
        const result = outcome(text);
        if (problems.length > 0) expect(result.startsWith('error:')).toBe(true);
        if (result.startsWith('ok:')) expect(problems).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
