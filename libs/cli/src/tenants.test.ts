import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matchesPlatformKey } from '@switchboard/common';
import { afterAll, describe, expect, it } from 'vitest';
import { findApiTarget, main } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'switchboard-cli-tenants-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(argv: string[], env: NodeJS.ProcessEnv = {}, cwd = root) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (s) => out.push(s), stderr: (s) => err.push(s), cwd, env });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('switchboard tenants: finding the API', () => {
  it('takes SWITCHBOARD_API_URL and SWITCHBOARD_API_KEY first, both or neither', () => {
    const env = { SWITCHBOARD_API_URL: 'http://api.example:8080/', SWITCHBOARD_API_KEY: 'sbp_x' };
    expect(findApiTarget(env, root)).toMatchObject({ apiUrl: 'http://api.example:8080', apiKey: 'sbp_x' });
    expect(findApiTarget({ SWITCHBOARD_API_URL: 'http://a' }, root)).toMatch(/both/);
  });

  it("else the nearest .switchboard/dev.json's apiUrl and platformKey, from a subfolder too", () => {
    const project = join(root, 'project');
    mkdirSync(join(project, '.switchboard'), { recursive: true });
    mkdirSync(join(project, 'deep', 'er'), { recursive: true });
    writeFileSync(
      join(project, '.switchboard', 'dev.json'),
      JSON.stringify({ apiUrl: 'http://127.0.0.1:8080', apiKey: 'sb_key_tenant', platformKey: 'sbp_dev' }),
    );
    expect(findApiTarget({}, join(project, 'deep', 'er'))).toMatchObject({
      apiUrl: 'http://127.0.0.1:8080',
      apiKey: 'sbp_dev',
    });
    const old = join(root, 'old');
    mkdirSync(join(old, '.switchboard'), { recursive: true });
    writeFileSync(join(old, '.switchboard', 'dev.json'), JSON.stringify({ apiUrl: 'http://x', apiKey: 'sb_key_t' }));
    expect(findApiTarget({}, old)).toMatch(/no apiUrl and platformKey/);
  });

  it('says how to give one when there is none (exit 2), and reports an unreachable API (exit 1)', async () => {
    const none = await run(['tenants', 'list'], {}, '/');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/SWITCHBOARD_API_URL/);
    const down = await run(['tenants', 'list'], {
      SWITCHBOARD_API_URL: 'http://127.0.0.1:1',
      SWITCHBOARD_API_KEY: 'sbp_x',
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/);
  });

  it('checks its arguments before calling anything', async () => {
    for (const argv of [['tenants'], ['tenants', 'create'], ['tenants', 'disable'], ['tenants', 'list', 'x']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/usage:/);
    }
  });
});

describe('switchboard platform-key', () => {
  it('prints a new platform key and the hash that makes the service take it', async () => {
    const r = await run(['platform-key']);
    expect(r.code).toBe(0);
    const key = /^(sbp_\S+)$/m.exec(r.stdout)?.[1] as string;
    const hash = /^([0-9a-f]{64})$/m.exec(r.stdout)?.[1] as string;
    expect(matchesPlatformKey(key, [hash])).toBe(true);
    expect((await run(['platform-key'])).stdout).not.toContain(key);
  });
});
