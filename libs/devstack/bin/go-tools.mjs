// Installs the pinned Go programs of tools.json ("go": name → package@version) into .tools/bin.
// Plain JavaScript like install-tools.mjs, which calls it.
//
// A Go program is built from the Go module proxy with the local Go toolchain, which takes
// minutes (Jaeger: ~6 min and ~120 MB on a 2-core machine), so the built binary is kept in a
// per-machine cache outside the repository, ${XDG_CACHE_HOME:-~/.cache}/switchboard/<name>-<version>/,
// and copied from there into every clone: a fresh clone on a machine that built it once (CI
// runs in one) installs it in a second. Go's own module and build caches make a rebuild cheaper.
//
// None of these programs is required: without Go, or when a build fails, this prints one line
// and leaves a note in .tools/bin/<name>.unavailable that the dev stack repeats; `<NAME>_BIN`
// set to a binary skips the install (the dev stack runs that one), `<NAME>_BIN=off` turns it off.
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { takePidLock } from './pid-lock.mjs';

const say = (message) => console.log(`install-tools: ${message}`);

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The machine's cache of built programs (shared by every clone of the project). */
export function goToolsCacheRoot() {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'switchboard');
}

/** `GO`, else `go` on PATH, else the official tarball's place. */
function findGo() {
  const candidates = [
    process.env.GO,
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => dir && join(dir, 'go')),
    '/usr/local/go/bin/go',
  ];
  return candidates.find((c) => c && executable(c));
}

/** Takes the build lock of one cache directory, waiting while another live process holds it. */
function lock(dir) {
  return takePidLock(join(dir, 'build.lock'), {
    onWait: (holder) => say(`waiting for another build in ${dir} (pid ${holder || '?'})`),
  });
}

/** Runs one go command in `cwd`, appending its output to `logFile`; throws with the output's tail. */
function go(bin, args, cwd, logFile) {
  writeFileSync(logFile, `$ go ${args.join(' ')}\n`, { flag: 'a' });
  const result = spawnSync(bin, args, {
    cwd,
    // Static: the binary runs on any Linux of the same architecture.
    env: { ...process.env, CGO_ENABLED: '0' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  writeFileSync(logFile, `${result.stdout ?? ''}${result.stderr ?? ''}`, { flag: 'a' });
  if (result.status !== 0) {
    const tail = `${result.stderr ?? ''}${result.error?.message ?? ''}`.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`go ${args[0]} failed: ${tail}`);
  }
}

/**
 * Builds `pkg@version` into `target` in a scratch module. `go install pkg@version` would be the
 * usual way, but it refuses modules with `replace` directives (Jaeger's go.mod has one), so the
 * scratch module records it as a tool dependency and builds it from there.
 */
function build(goBin, spec, target, logFile) {
  const at = spec.lastIndexOf('@');
  const pkg = spec.slice(0, at);
  const work = mkdtempSync(join(tmpdir(), 'switchboard-go-tool-'));
  try {
    go(goBin, ['mod', 'init', 'switchboard.local/tools'], work, logFile);
    go(goBin, ['get', '-tool', spec], work, logFile);
    // -s -w: no symbol table or DWARF, a third smaller; nobody debugs these binaries here.
    go(goBin, ['build', '-ldflags=-s -w', '-o', target, pkg], work, logFile);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Installs one pinned program; never throws (the dev stack runs without it). */
async function installOne(root, name, spec) {
  const binDir = join(root, '.tools', 'bin');
  const target = join(binDir, name);
  const stamp = join(binDir, `${name}.pin`);
  const unavailable = join(binDir, `${name}.unavailable`);
  const envVar = `${name.toUpperCase().replaceAll('-', '_')}_BIN`;
  const version = spec.slice(spec.lastIndexOf('@') + 1);
  const explicit = process.env[envVar];
  if (explicit === 'off' || (explicit && executable(explicit))) return;
  if (executable(target) && existsSync(stamp) && readFileSync(stamp, 'utf8') === spec) return;
  mkdirSync(binDir, { recursive: true });
  const note = (reason, sticky) => {
    writeFileSync(unavailable, `${JSON.stringify({ spec, reason, sticky })}\n`);
    say(`${name} ${version} is not installed: ${reason}`);
  };
  const previous = existsSync(unavailable) ? JSON.parse(readFileSync(unavailable, 'utf8')) : undefined;
  if (previous?.sticky && previous.spec === spec) {
    // A failed build is not retried on every run: it takes minutes and would likely fail again.
    say(`${name} ${version} is not installed: ${previous.reason} (delete ${unavailable} to try again)`);
    return;
  }
  const cacheDir = join(goToolsCacheRoot(), `${name}-${version.replace(/^v/, '')}`);
  const cached = join(cacheDir, name);
  try {
    if (!executable(cached)) {
      const goBin = findGo();
      if (goBin === undefined) {
        note(`no Go toolchain (GO, PATH, /usr/local/go/bin); install Go 1.24+ to get it, or set ${envVar}`, false);
        return;
      }
      mkdirSync(cacheDir, { recursive: true });
      const unlock = await lock(cacheDir);
      try {
        if (!executable(cached)) {
          const logFile = join(cacheDir, 'build.log');
          writeFileSync(logFile, '');
          say(`building ${spec} with ${goBin} (once per machine, several minutes; log: ${logFile})`);
          const started = Date.now();
          const partial = `${cached}.partial-${process.pid}`;
          try {
            build(goBin, spec, partial, logFile);
            renameSync(partial, cached);
          } finally {
            rmSync(partial, { force: true });
          }
          const mb = Math.round(statSync(cached).size / 1e6);
          say(
            `built ${name} ${version} in ${Math.round((Date.now() - started) / 1000)} s (${mb} MB), cached in ${cacheDir}`,
          );
        }
      } finally {
        unlock();
      }
    }
    // Copy, not link: the clone keeps working when the cache is cleaned.
    copyFileSync(cached, `${target}.partial`);
    renameSync(`${target}.partial`, target);
    writeFileSync(stamp, spec);
    rmSync(unavailable, { force: true });
    say(`${name} ${version} installed into .tools/bin from ${cacheDir}`);
  } catch (err) {
    note(`${err.message.split('\n')[0]}`, true);
  }
}

/** Installs every program of `pins` (tools.json "go"); keys starting with `$` are comments. */
export async function installGoTools(root, pins) {
  for (const [name, spec] of Object.entries(pins ?? {})) {
    if (!name.startsWith('$')) await installOne(root, name, spec);
  }
}
