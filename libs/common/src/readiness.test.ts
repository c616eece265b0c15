import { describe, expect, it } from 'vitest';
import { checkReadiness } from './readiness.js';

describe('checkReadiness', () => {
  it('is ready when every probe answers', async () => {
    const report = await checkReadiness({ postgres: async () => 1, nats: async () => ({}) });
    expect(report).toEqual({ ready: true, dependencies: { postgres: 'ok', nats: 'ok' } });
  });

  it('names the dependency that failed, and is not ready', async () => {
    const report = await checkReadiness({
      postgres: async () => 1,
      nats: async () => {
        throw new Error('CONNECTION_REFUSED');
      },
      temporal: () => {
        throw new Error('thrown before a promise');
      },
    });
    expect(report.ready).toBe(false);
    expect(report.dependencies).toEqual({
      postgres: 'ok',
      nats: 'CONNECTION_REFUSED',
      temporal: 'thrown before a promise',
    });
  });

  it('counts a probe that never answers as unreachable once its time is up', async () => {
    const report = await checkReadiness({ temporal: () => new Promise(() => {}) }, 20);
    expect(report).toEqual({ ready: false, dependencies: { temporal: 'no answer within 20 ms' } });
  });

  it('is ready with no dependencies', async () => {
    expect(await checkReadiness({})).toEqual({ ready: true, dependencies: {} });
  });
});
