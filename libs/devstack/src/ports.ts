import { createServer } from 'node:net';

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
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
