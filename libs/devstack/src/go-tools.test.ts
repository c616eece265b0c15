/**
 * The Go-program installer (bin/go-tools.mjs) with a stand-in `go` that records its calls and
 * "builds" a script: built once into the machine's cache, copied into every clone, never built
 * again; a failed build is noted once and not retried on every run.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { installGoTools } from '../bin/go-tools.mjs';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-go-tools-'));
const goLog = join(dir, 'go-calls.log');
const fakeGo = join(dir, 'go');
const saved = {
  GO: process.env.GO,
  XDG_CACHE_HOME: process.env.XDG_CACHE_HOME,
  FAKE_TOOL_BIN: process.env.FAKE_TOOL_BIN,
};
const said: string[] = [];

beforeAll(() => {
  writeFileSync(
    fakeGo,
    `#!/bin/sh
echo "$*" >> "${goLog}"
case "$1" in
  get) if [ -n "$FAKE_GO_FAIL" ]; then echo "proxy unreachable" >&2; exit 1; fi ;;
  build) while [ $# -gt 0 ]; do
      if [ "$1" = "-o" ]; then printf '#!/bin/sh\\necho fake\\n' > "$2"; chmod +x "$2"; fi
      shift
    done ;;
esac
exit 0
`,
  );
  chmodSync(fakeGo, 0o755);
  process.env.GO = fakeGo;
  process.env.XDG_CACHE_HOME = join(dir, 'cache');
  delete process.env.FAKE_TOOL_BIN;
  vi.spyOn(console, 'log').mockImplementation((line: string) => {
    said.push(line);
  });
});

afterAll(() => {
  vi.restoreAllMocks();
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  delete process.env.FAKE_GO_FAIL;
  rmSync(dir, { recursive: true, force: true });
});

const goCalls = () => (existsSync(goLog) ? readFileSync(goLog, 'utf8').trim().split('\n') : []);
const clone = (name: string) => {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  return root;
};
const pins = (version: string) => ({ $comment: 'ignored', 'fake-tool': `example.com/x/cmd/fake-tool@${version}` });

describe('installGoTools', () => {
  it('builds a program once into the cache and copies it into each clone', async () => {
    const first = clone('first');
    await installGoTools(first, pins('v1.2.3'));
    const cacheDir = join(dir, 'cache', 'switchboard', 'fake-tool-1.2.3');
    const calls = goCalls();
    expect(calls[0]).toBe('mod init switchboard.local/tools');
    expect(calls[1]).toBe('get -tool example.com/x/cmd/fake-tool@v1.2.3');
    expect(calls[2]).toMatch(
      new RegExp(`^build -ldflags=-s -w -o ${cacheDir}/fake-tool\\.partial-\\d+ example\\.com/x/cmd/fake-tool$`),
    );
    expect(calls).toHaveLength(3);
    const installed = join(first, '.tools', 'bin', 'fake-tool');
    expect(statSync(installed).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(first, '.tools', 'bin', 'fake-tool.pin'), 'utf8')).toBe(
      'example.com/x/cmd/fake-tool@v1.2.3',
    );
    expect(existsSync(join(cacheDir, 'fake-tool'))).toBe(true);
    expect(existsSync(join(cacheDir, 'build.lock'))).toBe(false);

    await installGoTools(first, pins('v1.2.3'));
    const second = clone('second');
    await installGoTools(second, pins('v1.2.3'));
    expect(goCalls()).toHaveLength(3);
    expect(readFileSync(join(second, '.tools', 'bin', 'fake-tool'), 'utf8')).toBe(readFileSync(installed, 'utf8'));
    expect(said.at(-1)).toBe(`install-tools: fake-tool v1.2.3 installed into .tools/bin from ${cacheDir}`);
  });

  it('notes a failed build once and does not retry it on the next run', async () => {
    process.env.FAKE_GO_FAIL = '1';
    const root = clone('failing');
    const before = goCalls().length;
    await installGoTools(root, pins('v9.9.9'));
    expect(goCalls().length).toBe(before + 2);
    const note = JSON.parse(readFileSync(join(root, '.tools', 'bin', 'fake-tool.unavailable'), 'utf8'));
    expect(note).toEqual({
      spec: 'example.com/x/cmd/fake-tool@v9.9.9',
      reason: 'go get failed: proxy unreachable',
      sticky: true,
    });
    expect(existsSync(join(root, '.tools', 'bin', 'fake-tool'))).toBe(false);
    expect(existsSync(join(dir, 'cache', 'switchboard', 'fake-tool-9.9.9', 'build.lock'))).toBe(false);

    await installGoTools(root, pins('v9.9.9'));
    expect(goCalls().length).toBe(before + 2);
    expect(said.at(-1)).toContain('is not installed: go get failed: proxy unreachable (delete');
    delete process.env.FAKE_GO_FAIL;
  });
});
