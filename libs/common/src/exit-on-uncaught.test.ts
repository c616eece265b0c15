import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The built module (a child process cannot load TypeScript); `npm test` builds first. */
const built = fileURLToPath(new URL('../dist/logger.js', import.meta.url));

describe('exitOnUncaught', () => {
  it('turns a start-up rejection nothing handled into one fatal JSON line and exit 1', () => {
    // What a service's entry point does when its port is taken: a top-level await rejects.
    const script = `
      const { createLogger, exitOnUncaught } = await import(${JSON.stringify(built)});
      exitOnUncaught(createLogger('probe'));
      await Promise.reject(Object.assign(new Error('listen EADDRINUSE: address already in use'), { code: 'EADDRINUSE' }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 60, name: 'probe', origin: 'unhandledRejection' });
    expect(line.err).toMatchObject({ message: 'listen EADDRINUSE: address already in use', code: 'EADDRINUSE' });
  });
});
