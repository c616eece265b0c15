import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { detectKind, findTooDeep, MAX_JSON_DEPTH, main } from './index.js';

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

  it('prints Vapi tools posting to the drop-in endpoint of the agent under --base-url', async () => {
    const r = await run(
      'export',
      '--format',
      'vapi',
      '--base-url',
      'https://sb.example.com/',
      '--agent',
      'front desk',
      'fixtures/support-agent.json',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.tools.length).toBeGreaterThan(0);
    for (const tool of out.tools) {
      expect(tool.type).toBe('function');
      expect(tool.server).toEqual({ url: 'https://sb.example.com/v1/dropin/vapi/front%20desk' });
    }
  });

  it('prints Retell and ElevenLabs tools posting to --url', async () => {
    const file = `${examples}examples/save_meal.tool.json`;
    const retell = JSON.parse((await run('export', '--format', 'retell', '--url', 'https://x.example/r', file)).stdout);
    expect(retell.tools[0]).toMatchObject({ type: 'custom', name: 'save_meal', url: 'https://x.example/r' });
    const eleven = JSON.parse(
      (await run('export', '--url', 'https://x.example/e', '--format', 'elevenlabs', file)).stdout,
    );
    expect(eleven.tools[0]).toMatchObject({ type: 'webhook', apiSchema: { url: 'https://x.example/e' } });
  });

  it('refuses a runtime format without the URL its tools post to', async () => {
    const file = `${examples}examples/save_meal.tool.json`;
    const eleven = await run('export', '--format', 'elevenlabs', '--base-url', 'https://x.example', file);
    expect(eleven.code).toBe(2);
    expect(eleven.stderr).toContain('--format elevenlabs needs --base-url and --agent (or --url)');
    const dropin = await run(
      'export',
      '--format',
      'elevenlabs',
      '--base-url',
      'https://x.example',
      '--agent',
      'a',
      file,
    );
    expect(dropin.code).toBe(0);
    expect(JSON.parse(dropin.stdout).tools[0].apiSchema.url).toBe('https://x.example/v1/dropin/elevenlabs/a');
    const vapi = await run('export', '--format', 'vapi', '--base-url', 'https://x.example', file);
    expect(vapi.code).toBe(2);
    expect(vapi.stderr).toContain('--format vapi needs --base-url and --agent (or --url)');
    const bad = await run('export', '--format', 'retell', '--url', 'ftp://x', file);
    expect(bad.stderr).toContain('--url must be an http(s) URL');
    const dangling = await run('export', '--format', 'retell', file, '--url');
    expect(dangling.stderr).toContain('--url needs a value');
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

/** `n` arrays nested in one another, as JSON text. */
const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
/** The pointer of the array at `levels` below the value at `at`. */
const zeros = (at: string, levels: number) => `${at}${'/0'.repeat(levels)}`;

describe('bounded JSON: nothing the CLI reads or prints can overflow the stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const tool = readFileSync(`${examples}examples/save_meal.tool.json`, 'utf8');
  /** save_meal with a parameter default of `n` nested arrays (the file is n + 3 levels deep). */
  const toolWithDefault = (n: number) =>
    tool.replace('"required": true }', `"required": true, "default": ${nested(n)} }`);

  it(`refuses a --scope of 30,000 nested arrays with where and why, exit 2 (the limit is ${MAX_JSON_DEPTH})`, async () => {
    const r = await run('expr', 'a', '--scope', `{"a":${nested(30_000)}}`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `switchboard: --scope is nested deeper than 64 levels at ${zeros('/a', 63)}, the evaluator's nesting limit\n`,
    );
  });

  it('evaluates a --scope at the limit and refuses one level more', async () => {
    // The scope object is level 1.
    const atLimit = await run('expr', 'a', '--scope', `{"a":${nested(MAX_JSON_DEPTH - 1)}}`);
    expect(atLimit).toMatchObject({ code: 0, stdout: `${nested(MAX_JSON_DEPTH - 1)}\n` });
    const over = await run('expr', 'a', '--scope', `{"a":${nested(MAX_JSON_DEPTH)}}`);
    expect(over.code).toBe(2);
    expect(over.stderr).toContain(`at ${zeros('/a', 63)},`);
  });

  it('refuses to print a result deeper than the limit, as the evaluator refuses to serialise it', async () => {
    const scope = `{"a":${nested(MAX_JSON_DEPTH - 1)}}`;
    expect((await run('expr', '[a]', '--scope', scope)).code).toBe(0);
    const r = await run('expr', '{x: [1, [[a]]]}', '--scope', scope);
    expect(r).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `expr_limit: the result is nested deeper than 64 levels at ${zeros('/x/1/0', 61)}\n`,
    });
    const stringified = await run('expr', 'JSON.stringify([[a]])', '--scope', scope);
    expect(stringified.code).toBe(1);
    expect(stringified.stderr).toMatch(/^expr_limit at \d+: JSON.stringify: value nested deeper than the limit of 64/);
  });

  it('reports a definition file nested too deeply, for validate, lint-instructions and export, exit 1', async () => {
    const deepTool = file('deep.tool.json', toolWithDefault(30_000));
    const where = `${deepTool}#${zeros('/parameters/1/default', 61)}: the JSON is nested deeper than 64 levels`;
    const validate = await run('validate', deepTool);
    expect(validate.code).toBe(1);
    expect(validate.stdout).toBe(`${where}, the limit for definition files\n`);
    const exported = await run('export', '--format', 'mcp', deepTool);
    expect(exported).toMatchObject({ code: 1, stdout: '' });
    expect(exported.stderr).toContain(where);

    const deepAgent = file('deep.agent.json', `{"name":"a","instructions":"","actions":[],"x":${nested(30_000)}}`);
    const lint = await run('lint-instructions', deepAgent);
    expect(lint.code).toBe(1);
    expect(lint.stdout).toContain(`${deepAgent}#${zeros('/x', 63)}: the JSON is nested deeper than 64 levels`);
    // An agent referring to a deep action file reports it under that file's own path.
    const referring = file('refers.agent.json', `{"name":"a","instructions":"","actions":["deep.tool.json"]}`);
    expect((await run('validate', referring)).stdout).toBe(`${where}, the limit for definition files\n`);
  });

  it('refuses to print exported tools deeper than the limit', async () => {
    // Within the limit as a file (64 levels), but the export wraps the default 4 levels deeper.
    const path = file('wide-default.tool.json', toolWithDefault(MAX_JSON_DEPTH - 3));
    expect(await run('validate', path)).toMatchObject({ code: 0, stdout: '' });
    const r = await run('export', '--format', 'openai', path);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe(
      `switchboard: the exported tools are nested deeper than 64 levels at ${zeros('/tools/0/function/parameters/properties/dishes/default', 57)}\n`,
    );
  });

  it('reports an agent file that refers to an agent (itself, here) instead of recursing', async () => {
    const self = file('self.agent.json', '{"name":"s","instructions":"hi","actions":["self.agent.json"]}');
    for (const command of ['validate', 'lint-instructions']) {
      const r = await run(command, self);
      expect([command, r.code, r.stdout]).toEqual([
        command,
        1,
        `${self}#/actions/0: an agent cannot contain another agent\n`,
      ]);
    }
  });

  it('finds the first too-deep value in document order, with an escaped pointer, at any depth', () => {
    expect(findTooDeep({ 'a/b': { 'c~d': [[1]] } }, 3)).toEqual({ pointer: '/a~1b/c~0d/0', limit: 3 });
    expect(findTooDeep({ 'a/b': { 'c~d': [[1]] } }, 4)).toBeUndefined();
    expect(findTooDeep({ x: [1, [[]]], y: [[[]]] }, 3)).toEqual({ pointer: '/x/1/0', limit: 3 });
    expect(findTooDeep([], 0)).toEqual({ pointer: '', limit: 0 });
    let deep: unknown[] = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findTooDeep(deep)?.pointer).toBe(zeros('', MAX_JSON_DEPTH));
  });
});
