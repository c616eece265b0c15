import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/** Options of {@link spawnManaged}. */
export interface ManagedOptions {
  /** Short name used in logs and errors, e.g. `nats-server`. */
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** File that receives the child's stdout and stderr; inherited when absent. */
  logFile?: string;
  /** Run as this system user (used for Postgres, which refuses to run as root). */
  user?: string;
  /** Signal for a graceful stop. Default SIGTERM. */
  stopSignal?: NodeJS.Signals;
  /** How long a graceful stop may take before SIGKILL. Default 10 s. */
  stopTimeoutMs?: number;
}

/** A child process that dies with its parent and stops gracefully on request. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves when the process has exited (for any reason). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True until the process exits. */
  alive(): boolean;
  /** Graceful stop, then SIGKILL after the timeout. Idempotent. */
  stop(): Promise<void>;
  /** Immediate SIGKILL (chaos tests). */
  kill(signal?: NodeJS.Signals): void;
}

const live = new Set<ManagedProcess>();
let setprivAvailable: boolean | undefined;

function hasSetpriv(): boolean {
  setprivAvailable ??= ['/usr/bin/setpriv', '/bin/setpriv'].some((p) => existsSync(p));
  return setprivAvailable;
}

/**
 * Spawns a child process that cannot outlive this one.
 *
 * Linux's parent-death signal (`setpriv --pdeathsig SIGKILL`, util-linux) makes the kernel kill
 * the child when this process dies, even by SIGKILL, so a crashed dev stack or test run leaves
 * no orphan servers holding ports. Without setpriv (non-Linux), the exit hooks below still stop
 * children on a normal exit or a signal.
 */
export function spawnManaged(options: ManagedOptions): ManagedProcess {
  let command = options.command;
  let args = [...options.args];
  if (hasSetpriv()) {
    const prefix = ['--pdeathsig', 'SIGKILL'];
    if (options.user !== undefined) prefix.push(`--reuid=${options.user}`, `--regid=${options.user}`, '--init-groups');
    args = [...prefix, '--', command, ...args];
    command = 'setpriv';
  } else if (options.user !== undefined) {
    args = ['-u', options.user, '--', command, ...args];
    command = 'runuser';
  }
  let log: WriteStream | undefined;
  if (options.logFile !== undefined) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    log = createWriteStream(options.logFile, { flags: 'a' });
  }
  const child: ChildProcess = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', log ? 'pipe' : 'inherit', log ? 'pipe' : 'inherit'],
  });
  if (log) {
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
  }
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      live.delete(managed);
      resolve({ code, signal });
      // Let the pipes drain before closing the log.
      setTimeout(() => log?.end(), 50);
    });
    child.once('error', () => {
      running = false;
      live.delete(managed);
      resolve({ code: null, signal: null });
    });
  });
  let stopping: Promise<void> | undefined;
  const managed: ManagedProcess = {
    name: options.name,
    pid: child.pid ?? -1,
    exited,
    alive: () => running,
    stop() {
      stopping ??= (async () => {
        if (!running) return;
        child.kill(options.stopSignal ?? 'SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), options.stopTimeoutMs ?? 10_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
    kill(signal = 'SIGKILL') {
      if (running) child.kill(signal);
    },
  };
  live.add(managed);
  installExitHooks();
  return managed;
}

/** Stops every managed process still running, newest first. */
export async function stopAll(): Promise<void> {
  const all = [...live].reverse();
  for (const p of all) await p.stop();
}

let hooksInstalled = false;
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // A synchronous last resort: on exit, no await is possible, so SIGKILL whatever is left.
  process.once('exit', () => {
    for (const p of live) p.kill('SIGKILL');
  });
}
