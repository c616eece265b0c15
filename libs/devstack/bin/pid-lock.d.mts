/** Whether a process with this pid exists (as any user). */
export function isAlive(pid: number): boolean;

/**
 * Takes the lock `lockDir` (a directory with its holder's pid), waiting while another live
 * process holds it; resolves to the function that releases it, or to undefined once `timeoutMs`
 * passed without it. A lock whose holder died is broken and taken. See pid-lock.mjs.
 */
export function takePidLock(
  lockDir: string,
  options?: { pollMs?: number; timeoutMs?: number; onWait?: (holder: number) => void },
): Promise<(() => void) | undefined>;
