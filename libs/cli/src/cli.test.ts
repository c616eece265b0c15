import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectKind, main } from './index.js';

const here = fileURLToPath(new URL('..', import.meta.url));
const examples = fileURLToPath(new URL('../../actions/schemas/', import.meta.url));

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (s) => out.push(s), stderr: (s) => err.push(s), cwd: here });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('switchboard validate', () => {
  it('accepts every shipped example of the three formats', async () => {
    const files = [
      `${examples}examples/save_meal.tool.json`,
      `${examples}examples/save_email.tool.json`,
      `${examples}examples/log_meal.action.json`,
      `${examples}builtin-examples/transfer_to_support.builtin.json`,
      `${examples}builtin-examples/book_consultation.builtin.json`,
    ];
    const r = await run('validate', ...files);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });

  it('prints one FILE#/pointer line per problem and exits 1', async () => {
    const r = await run('validate', 'fixtures/broken-tool.json');
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) expect(l).toMatch(/^fixtures\/broken-tool\.json#\/\S*: .+/);
    expect(r.stdout).toContain('fixtures/broken-tool.json#/actions/0/type:');
    expect(r.stdout).toContain("'context.set'");
    expect(r.stdout).toContain('fixtures/broken-tool.json#/actions/1');
    expect(r.stdout).toContain("'endpoint'");
    expect(r.stdout).toContain('fixtures/broken-tool.json#/parameters/0/type:');
  });

  it('reports unreadable and malformed files', async () => {
    const missing = await run('validate', 'fixtures/nope.json');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^fixtures\/nope\.json#: cannot read the file: ENOENT/);
  });

  it('detects formats by $schema or shape', () => {
    expect(detectKind({ type: 'end_call', config: {} })).toBe('builtin');
    expect(detectKind({ name: 'x', target: 'webhook://x' })).toBe('typed');
    expect(detectKind({ name: 'x', actions: [] })).toBe('tool');
    expect(detectKind({ name: 'x', instructions: '', actions: [] })).toBe('agent');
  });
});

describe('switchboard lint-instructions', () => {
  it('passes the seed support workflow with its four actions configured', async () => {
    const r = await run('lint-instructions', 'fixtures/support-agent.json');
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });

  it('reads names in lists and bullets: reports the unknown one at its position and exits 1', async () => {
    const r = await run('lint-instructions', 'fixtures/meal-agent.json');
    expect(r.stdout).toBe(
      "fixtures/meal-agent.json#/instructions: error unknown_action at 3:95: unknown action 'slow_one': no configured action has this name; configured actions: 'log_typed', 'confirm_me'\n",
    );
    expect(r.code).toBe(1);
  });
});

describe('switchboard export', () => {
  it('prints OpenAI tools with safe names mapped back to the exact action names', async () => {
    const r = await run(
      'export',
      '--format',
      'openai',
      `${examples}examples/save_meal.tool.json`,
      'fixtures/support-agent.json',
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const names = out.tools.map((t: { function: { name: string } }) => t.function.name);
    expect(names).toContain('save_meal');
    expect(names).toContain('transfer_to_support');
    expect(out.nameMap.transfer_to_support).toBe('Transfer to Support');
  });

  it('prints MCP and Anthropic shapes', async () => {
    const mcp = JSON.parse((await run('export', '--format', 'mcp', `${examples}examples/save_meal.tool.json`)).stdout);
    expect(mcp.tools[0].inputSchema.required).toEqual(['dishes']);
    const anthropic = JSON.parse(
      (await run('export', '--format', 'anthropic', `${examples}examples/save_meal.tool.json`)).stdout,
    );
    expect(anthropic.tools[0].input_schema.properties.meal_type.enum).toEqual(['breakfast', 'lunch', 'dinner']);
  });

  it('refuses an unknown format', async () => {
    const r = await run('export', '--format', 'gemini', 'x.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format must be one of openai, anthropic, mcp');
  });
});

describe('switchboard expr', () => {
  it('evaluates the seed transform', async () => {
    const r = await run('expr', "input.map(item => item.toUpperCase()).join(', ')", '--scope', '{"input":["a","b"]}');
    expect(r).toMatchObject({ code: 0, stdout: '"A, B"\n' });
  });

  it('exits 1 with a typed error for an escape attempt', async () => {
    const r = await run('expr', "''.constructor.constructor('return process')()");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^expr_forbidden/);
  });

  it('rejects a scope that is not a JSON object', async () => {
    expect((await run('expr', '1', '--scope', '[1]')).code).toBe(2);
    expect((await run('expr', '1', '--scope', '{oops')).code).toBe(2);
  });
});
