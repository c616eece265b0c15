#!/usr/bin/env node
// Installs the pinned infrastructure binaries (nats-server, temporal) into a git-ignored,
// project-local Python venv (.tools/venv). Plain JavaScript on purpose: it runs before the
// TypeScript build. Idempotent and quick when everything is already in place.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..');
const pins = JSON.parse(readFileSync(join(here, '..', 'tools.json'), 'utf8')).python;
const venv = join(root, '.tools', 'venv');
const stamp = join(venv, 'switchboard-pins.json');
const wanted = JSON.stringify(pins);

function fail(message) {
  console.error(`install-tools: ${message}`);
  process.exit(1);
}

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) {
  process.exit(0);
}
const python = process.env.PYTHON ?? 'python3';
try {
  execFileSync(python, ['--version'], { stdio: 'ignore' });
} catch {
  fail(`'${python}' was not found. Install Python 3 (Debian: apt-get install python3 python3-venv) or set PYTHON.`);
}
mkdirSync(join(root, '.tools'), { recursive: true });
if (!existsSync(join(venv, 'bin', 'python3'))) {
  try {
    execFileSync(python, ['-m', 'venv', venv], { stdio: 'inherit' });
  } catch {
    fail('could not create a Python venv. On Debian: apt-get install python3-venv');
  }
}
const specs = Object.entries(pins).map(([name, version]) => `${name}==${version}`);
console.log(`install-tools: installing ${specs.join(', ')} into ${venv}`);
try {
  // `python -m pip`, not the `pip` script: a venv copied to another checkout keeps the script's
  // absolute shebang, which would install into the original venv instead of this one.
  execFileSync(join(venv, 'bin', 'python3'), ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', ...specs], {
    stdio: 'inherit',
  });
} catch {
  fail(`pip could not install ${specs.join(', ')}; check access to PyPI`);
}
writeFileSync(stamp, wanted);
