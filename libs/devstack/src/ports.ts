import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The kernel's ephemeral port range (Linux: `ip_local_port_range`), from which it picks both the
 * ports of `listen(0)` and the local ports of outgoing connections; undefined where unknown.
 */
function ephemeralRange(): [number, number] | undefined {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low !== undefined && high !== undefined && low > 0 && high >= low ? [low, high] : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `port` on 127.0.0.1 can be listened on now (port 0: the kernel picks); the port, or 0. */
function tryListen(port: number): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(0));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}

/** Where {@link freePort} draws from: below the ephemeral range, above the well-known services. */
const DRAW_FLOOR = 20_000;

/**
 * A free TCP port on 127.0.0.1. Drawn at random below the kernel's ephemeral range when there is
 * room (Linux: 20000-32767), so no outgoing connection of any process can take it between the
 * draw and the bind, nor while a killed service is restarted on the same port: the kernel gives
 * out ephemeral ports only from its range, and a busy test machine makes thousands of connections
 * (a restarted orchestrator once found its port held by another test's client connection). Other
 * stacks drawing at the same time can still collide, which the bind check and the callers'
 * retries ({@link retryOnEarlyExit}) handle. Elsewhere: a port the kernel picks.
 */
export async function freePort(): Promise<number> {
  const range = ephemeralRange();
  if (range !== undefined && range[0] - 1 - DRAW_FLOOR >= 1_000) {
    for (let draw = 0; draw < 50; draw++) {
      const port = DRAW_FLOOR + Math.floor(Math.random() * (range[0] - DRAW_FLOOR));
      if ((await tryListen(port)) === port) return port;
    }
  }
  const port = await tryListen(0);
  if (port === 0) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}

/** A supervised process ended before it became ready (for instance, it lost a race for a port). */
export class ProcessExitedEarlyError extends Error {
  override readonly name = 'ProcessExitedEarlyError';
}

/**
 * Runs `start` again, up to `attempts` times in all, when its process exited before it became
 * ready. `freePort()` only proves that a port was free a moment ago: a test file starting its
 * own stack in parallel, or the Temporal dev server choosing its internal ports, can take it
 * first. Each attempt picks its ports anew (a port the caller fixed stays fixed). Other errors
 * are thrown at once.
 */
export async function retryOnEarlyExit<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= attempts || !(err instanceof ProcessExitedEarlyError)) throw err;
    }
  }
}

/** Polls `probe` until it resolves true, or throws with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number; isAlive?: () => boolean } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (options.isAlive && !options.isAlive()) {
      throw new ProcessExitedEarlyError(`${what}: the process exited before it became ready`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
  const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`${what} was not ready within ${options.timeoutMs ?? 60_000} ms${detail}`);
}
