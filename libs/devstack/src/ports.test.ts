/**
 * Port races: a server that loses its port exits before it is ready, and the start is retried
 * (on fresh ports when they were ours to choose) or fails fast; it never waits on whoever holds
 * the port. The last two tests use the real nats-server and Postgres binaries.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startNats } from './nats.js';
import { freePort, ProcessExitedEarlyError, retryOnEarlyExit } from './ports.js';
import { startPostgres } from './postgres.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-ports-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A loopback server on a kernel-chosen port that accepts connections and never answers. */
async function silentServer(): Promise<{ server: Server; port: number }> {
  const server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0 };
}

describe('freePort', () => {
  const rangeFile = '/proc/sys/net/ipv4/ip_local_port_range';
  it.runIf(existsSync(rangeFile))(
    'draws ports below the ephemeral range, which outgoing connections never take',
    async () => {
      const low = Number(readFileSync(rangeFile, 'utf8').trim().split(/\s+/)[0]);
      const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
      for (const port of ports) {
        expect(port).toBeGreaterThanOrEqual(20_000);
        expect(port).toBeLessThan(low);
      }
      // Drawn at random, not one after another from a fixed start.
      expect(new Set(ports).size).toBeGreaterThan(10);
      // And listenable: the port is free when handed out.
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(ports[0], '127.0.0.1', resolve);
      });
      await new Promise((r) => server.close(r));
    },
  );
});

describe('retryOnEarlyExit', () => {
  it('starts again after early exits, up to the attempts given', async () => {
    let calls = 0;
    const started = await retryOnEarlyExit(async () => {
      calls++;
      if (calls < 3) throw new ProcessExitedEarlyError('lost the port');
      return 'up';
    });
    expect(started).toBe('up');
    expect(calls).toBe(3);

    calls = 0;
    await expect(
      retryOnEarlyExit(async () => {
        calls++;
        throw new ProcessExitedEarlyError('lost the port again');
      }, 2),
    ).rejects.toThrow('lost the port again');
    expect(calls).toBe(2);
  });

  it('does not retry other failures', async () => {
    let calls = 0;
    await expect(
      retryOnEarlyExit(async () => {
        calls++;
        throw new Error('bad configuration');
      }),
    ).rejects.toThrow('bad configuration');
    expect(calls).toBe(1);
  });
});

describe('a server whose port is taken', () => {
  it('nats-server fails with the early exit instead of waiting', async () => {
    const { server, port } = await silentServer();
    try {
      await expect(startNats({ storeDir: join(dir, 'nats'), port, logDir: join(dir, 'logs') })).rejects.toBeInstanceOf(
        ProcessExitedEarlyError,
      );
    } finally {
      server.close();
    }
  }, 30_000);

  it('Postgres fails fast even when the holder of the port never answers the probe', async () => {
    const { server, port } = await silentServer();
    const started = Date.now();
    try {
      await expect(
        startPostgres({ dataDir: join(dir, 'pg'), port, ephemeral: true, logDir: join(dir, 'logs') }),
      ).rejects.toBeInstanceOf(ProcessExitedEarlyError);
      // Three attempts, each ending at the first probe after the exit (a probe waits ≤ 2 s).
      expect(Date.now() - started).toBeLessThan(45_000);
    } finally {
      server.close();
    }
  }, 90_000);
});
