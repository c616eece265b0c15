/**
 * The public API against its own description: schemathesis (PyPI, pinned in
 * `libs/devstack/tools.json`, installed into `.tools/venv` by `npm run tools`) reads
 * `/docs/json` of a running stack and sends generated requests to every operation — valid and
 * invalid inputs, boundary values, unexpected methods, requests without the key, and stateful
 * sequences that follow the ids one answer gives to the next request. It fails on any 5xx, a
 * status the document does not list for the operation, or a body, content type or header that
 * does not match the document.
 *
 * Bounded: a fixed seed (printed; `SCHEMATHESIS_SEED` picks another) and a wall-clock budget
 * (`SCHEMATHESIS_MAX_TIME`, seconds); `SCHEMATHESIS_ARGS` adds CLI arguments (space-separated)
 * for exploring, e.g. `--phases fuzzing`. Seeded data gives the paths with ids something real to
 * hit: conversations (one ended, one a test call), runs (one waiting for its confirmation),
 * agents (one with an LLM, served by a local fake), endpoints.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@switchboard/devstack';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeLlm, startFakeLlm } from '../support/fake-llm.js';
import { type ApiResponse, startTestStack, type TestStack } from '../support/stack.js';

const SEED = Number(process.env.SCHEMATHESIS_SEED ?? 1206);
const MAX_TIME_SECONDS = Number(process.env.SCHEMATHESIS_MAX_TIME ?? 150);
/** Where schemathesis's whole output goes, for CI to keep. */
const LOG = join(repoRoot, 'test-results', 'schemathesis.log');
/** The checks: every response is no 5xx, and matches the document in status, type, headers and body. */
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'response_headers_conformance',
  'unsupported_method',
  'ignored_auth',
];

let stack: TestStack;
let llm: FakeLlm;
let dir: string;
/** The key schemathesis sends: an admin key of its own. */
let fuzzKey: { id: string; key: string };
/** Ids the seeded requests made, for the dictionaries. */
const seeded = { conversations: [] as string[], runs: [] as string[] };

/** An authenticated JSON request that must answer `status`. */
async function expectApi(status: number, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const res = await stack.api(method, path, body);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(status);
  return res;
}

beforeAll(async () => {
  llm = await startFakeLlm();
  // Every turn the fuzzer starts gets an answer in words.
  llm.script(...Array.from({ length: 20_000 }, () => ({ content: 'Noted.' })));
  dir = mkdtempSync(join(tmpdir(), 'switchboard-api-fuzz-'));
  stack = await startTestStack(dir, {
    exportSpans: false,
    serviceEnv: {
      // The fuzzer is one client sending thousands of requests: limits would only hide routes.
      RATE_LIMIT_PER_KEY_PER_MIN: '0',
      RATE_LIMIT_PER_TENANT_PER_MIN: '0',
      // Its unauthenticated probes (`ignored_auth`) would otherwise lock its own address out.
      RATE_LIMIT_AUTH_FAILURES_PER_MIN: '0',
      // Tool calls answer `running` after this instead of holding a request for 30 s.
      TOOL_CALL_TIMEOUT_MS: '2000',
    },
  });

  await expectApi(200, 'PUT', '/v1/endpoints/orders', { url: `${stack.sink.url}/orders`, allow_private: true });
  await expectApi(200, 'PUT', '/v1/credentials/llm_fuzz', { provider: 'openai', secret: { apiKey: 'sk-fake' } });
  await expectApi(200, 'PUT', '/v1/agents/fuzz', {
    instructions: "Use 'lookup_order' for orders and 'place_order' to order.",
    actions: [
      {
        name: 'lookup_order',
        description: 'Looks up an order.',
        target: 'webhook://orders',
        inputs: { order: { type: 'string', is_required: true } },
      },
      {
        name: 'place_order',
        description: 'Places an order.',
        target: 'webhook://orders',
        inputs: { item: { type: 'string', is_required: true } },
        require_user_confirmation: true,
      },
    ],
    llm: { base_url: llm.url, model: 'fake-model', credential: 'llm_fuzz', allow_private: true },
  });

  const conversation = async (body: object) => {
    const id = (await expectApi(201, 'POST', '/v1/conversations', body)).body.id as string;
    seeded.conversations.push(id);
    return id;
  };
  const toolCall = async (conversationId: string, name: string, args: object, status: number) => {
    const res = await expectApi(status, 'POST', `/v1/conversations/${conversationId}/tool-calls`, {
      name,
      arguments: args,
    });
    seeded.runs.push(res.body.id as string);
  };
  const main = await conversation({ agent: 'fuzz', contact: { name: 'Ada' } });
  await toolCall(main, 'lookup_order', { order: 'A1' }, 200);
  await toolCall(main, 'place_order', { item: 'soup' }, 202); // waits for its confirmation
  const sandbox = await conversation({ agent: 'fuzz', sandbox: true });
  await toolCall(sandbox, 'lookup_order', { order: 'B2' }, 200);
  await toolCall(await conversation({ agent: 'demo' }), 'save_meal', { meal_type: 'lunch', dishes: ['soup'] }, 200);
  const ended = await conversation({ agent: 'fuzz' });
  await expectApi(200, 'POST', `/v1/conversations/${ended}/end`);

  const made = await expectApi(201, 'POST', '/v1/api-keys', { name: 'schemathesis', scopes: ['admin'] });
  fuzzKey = { id: made.body.id, key: made.body.key };
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await llm?.close();
}, 60_000);

it(
  'answers every generated request as its OpenAPI document says: no 5xx, no undocumented status, no body unlike its schema',
  async () => {
    const python = join(repoRoot, '.tools', 'venv', 'bin', 'python3');
    if (!existsSync(python))
      throw new Error("schemathesis is missing: run 'npm run tools' (installs it into .tools/venv)");
    const config = join(dir, 'schemathesis.toml');
    writeFileSync(config, fuzzConfig());
    console.log(`schemathesis: seed ${SEED}, budget ${MAX_TIME_SECONDS} s, checks ${CHECKS.join(', ')}`);

    const started = Date.now();
    const { code, output } = await run(
      python,
      [
        '-m',
        'schemathesis.cli',
        '--config-file',
        config,
        'run',
        `${stack.services.apiUrl}/docs/json`,
        '--header',
        `Authorization: Bearer ${fuzzKey.key}`,
        '--checks',
        CHECKS.join(','),
        '--seed',
        String(SEED),
        '--max-time',
        String(MAX_TIME_SECONDS),
        // One worker: with several threads, CPython 3.11's ast module can raise a spurious
        // "AST constructor recursion depth mismatch" inside Hypothesis (python/cpython#106905).
        '--workers',
        '1',
        '--request-timeout',
        '30',
        '--generation-database',
        'none',
        '--no-color',
        ...(process.env.SCHEMATHESIS_ARGS?.split(' ').filter((a) => a !== '') ?? []),
      ],
      dir,
      (MAX_TIME_SECONDS + 240) * 1000,
    );
    mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
    writeFileSync(LOG, output);
    const seconds = Math.round((Date.now() - started) / 1000);
    const summary = section(output, 'SUMMARY');
    const operations = /Tested: +(\d+)/.exec(summary)?.[1] ?? '?';
    const cases = /Test cases:\s*\n\s*(.+)/.exec(summary)?.[1]?.trim() ?? '?';
    console.log(
      `schemathesis: exit ${code} after ${seconds} s, seed ${SEED}, ${operations} operations, cases ${cases} (full output: ${LOG})\n${summary}`,
    );

    // The fuzzer may revoke its own key (it can list keys and revoke one); then the rest of the
    // run saw only 401s, which pass but test nothing: say so.
    const still = await stack.api('GET', '/v1/api-keys');
    const own = (still.body.keys as { id: string; revokedAt: string | null }[]).find((k) => k.id === fuzzKey.id);
    if (own?.revokedAt) console.warn(`schemathesis revoked its own key at ${own.revokedAt}: later requests were 401s`);

    expect(
      code,
      `schemathesis failed (seed ${SEED}):\n${section(output, 'FAILURES')}\n${section(output, 'ERRORS')}\n${summary}`,
    ).toBe(0);
  },
  (MAX_TIME_SECONDS + 300) * 1000,
);

/**
 * The run's configuration: dictionaries of the seeded ids, offered for the parameters that
 * name them (schemathesis still generates other values, valid and invalid, beside them).
 */
function fuzzConfig(): string {
  const list = (values: readonly string[]) => `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
  const bind = (dictionary: string) => `{ dictionary = "${dictionary}", probability = 0.7 }`;
  const operation = (method: string, path: string, parameters: Record<string, string>) =>
    [
      '[[operations]]',
      `include-method = "${method}"`,
      `include-path = "${path}"`,
      `parameters = { ${Object.entries(parameters)
        .map(([k, v]) => `"${k}" = ${bind(v)}`)
        .join(', ')} }`,
      '',
    ].join('\n');
  return [
    '# Written by test/src/conformance/api-fuzz.test.ts for one run.',
    '[dictionaries.ids]',
    `values = ${list([...seeded.conversations, ...seeded.runs])}`,
    '[dictionaries.conversations]',
    `values = ${list(seeded.conversations)}`,
    '[dictionaries.runs]',
    `values = ${list(seeded.runs)}`,
    '[dictionaries.agents]',
    `values = ${list(['fuzz', 'demo', 'receptionist'])}`,
    '[dictionaries.actions]',
    `values = ${list(['lookup_order', 'place_order', 'save_meal'])}`,
    '[dictionaries.endpoints]',
    `values = ${list(['orders', 'meal_log'])}`,
    '',
    // `id` is a conversation or a run wherever it appears, except API keys: none of those is
    // offered, so the fuzzer does not revoke the key it runs with.
    '[parameters]',
    `"path.id" = ${bind('ids')}`,
    `"path.callId" = ${bind('runs')}`,
    `"path.agent" = ${bind('agents')}`,
    `"header.switchboard-conversation" = ${bind('conversations')}`,
    '',
    operation('GET', '/v1/agents/{name}', { 'path.name': 'agents' }),
    operation('GET', '/v1/agents/{name}/export', { 'path.name': 'agents' }),
    operation('POST', '/v1/agents/{name}/publish', { 'path.name': 'agents' }),
    operation('GET', '/v1/endpoints/{name}', { 'path.name': 'endpoints' }),
    operation('POST', '/v1/conversations', { 'body.agent': 'agents' }),
    operation('POST', '/v1/conversations/{id}/tool-calls', { 'body.name': 'actions' }),
    operation('POST', '/v1/dropin/retell/{agent}', { 'body.name': 'actions' }),
    operation('POST', '/v1/dropin/elevenlabs/{agent}', { 'query.tool': 'actions' }),
  ].join('\n');
}

/** Runs a command to its end (killed after `timeoutMs`), with its output, both streams. */
function run(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), output: signal ? `${output}\n[killed: ${signal}]` : output });
    });
  });
}

/** A `=== NAME ===` section of schemathesis's output, up to the next one (empty when absent). */
function section(output: string, name: string): string {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^=+ ${name} =+$`).test(l.trim()));
  if (start < 0) return '';
  const end = lines.findIndex((l, i) => i > start && /^=+ .* =+$/.test(l.trim()) && !l.includes(name));
  // Banners become `-- NAME --`: schemathesis closes with a pytest-style line ("=== 3 warnings in
  // 174.40s ===") that a CI log reader takes for the test run's own closing line, with no test in it.
  return lines
    .slice(start, end < 0 ? undefined : end + 1)
    .map((l) => l.replace(/^\s*=+ (.*?) =+\s*$/, '-- $1 --'))
    .join('\n');
}
