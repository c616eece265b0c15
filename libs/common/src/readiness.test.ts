import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startHealthServer } from './health.js';
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

describe('the health server', () => {
  async function serve(ready: boolean, dependencies: Record<string, () => Promise<unknown>>) {
    const server = await startHealthServer(0, () => ready, '127.0.0.1', { dependencies });
    const { port } = server.address() as AddressInfo;
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: res.status, body: await res.json() };
    };
    return { get, close: () => server.close() };
  }

  it('answers /readyz 503 naming the dependency that failed, while /healthz stays 200', async () => {
    const s = await serve(true, {
      postgres: async () => 1,
      nats: async () => {
        throw new Error('CONNECTION_REFUSED');
      },
    });
    try {
      expect(await s.get('/readyz')).toEqual({
        status: 503,
        body: { status: 'unavailable', dependencies: { postgres: 'ok', nats: 'CONNECTION_REFUSED' } },
      });
      expect((await s.get('/healthz')).status).toBe(200);
    } finally {
      s.close();
    }
  });

  it('answers /readyz 200 when every dependency answers, 503 while starting', async () => {
    const up = await serve(true, { temporal: async () => ({}) });
    const starting = await serve(false, { temporal: async () => ({}) });
    try {
      expect(await up.get('/readyz')).toEqual({
        status: 200,
        body: { status: 'ready', dependencies: { temporal: 'ok' } },
      });
      expect(await starting.get('/readyz')).toEqual({ status: 503, body: { status: 'starting', dependencies: {} } });
    } finally {
      up.close();
      starting.close();
    }
  });
});
