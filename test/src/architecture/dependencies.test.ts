/**
 * Dependencies point the right way: what runs in production never needs the development stack,
 * the sandboxes or the test harness, and no service imports another service. Checked in both
 * places a wrong edge can hide: a package's runtime `dependencies`, and the imports of its
 * non-test source.
 */
import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Packages for development and tests only: nothing that runs in a service may depend on them. */
const DevOnly = ['@switchboard/devstack', '@switchboard/sandboxes', '@switchboard/provider-testing'];
/** Workspaces that are development tools themselves (they may use the dev-only packages). */
const Tools = ['libs/devstack', 'libs/cli', 'libs/provider-testing', 'libs/sandboxes'];

interface Workspace {
  dir: string;
  name: string;
  dependencies: Record<string, string>;
}

function workspaces(): Workspace[] {
  return ['libs', 'services'].flatMap((group) =>
    readdirSync(join(root, group), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => {
        const dir = `${group}/${d.name}`;
        try {
          const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
          return [{ dir, name: pkg.name as string, dependencies: pkg.dependencies ?? {} }];
        } catch {
          return [];
        }
      }),
  );
}

function sourceFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    const test = e.name.endsWith('.test.ts') || e.name.includes('.test-support.');
    return e.name.endsWith('.ts') && !test ? [path] : [];
  });
}

/** `file: package` for each import of a `@switchboard/*` package (subpaths folded into the package). */
function switchboardImports(dir: string): { file: string; pkg: string }[] {
  return sourceFiles(join(root, dir, 'src')).flatMap((file) =>
    [
      ...readFileSync(file, 'utf8').matchAll(
        /from '(@switchboard\/[a-z-]+)(?:\/[^']*)?'|import\('(@switchboard\/[a-z-]+)/g,
      ),
    ].map((m) => ({ file: relative(root, file), pkg: (m[1] ?? m[2]) as string })),
  );
}

const all = workspaces();
const runtime = all.filter((w) => !Tools.includes(w.dir));
const serviceNames = all.filter((w) => w.dir.startsWith('services/')).map((w) => w.name);

describe('dependency direction', () => {
  it('finds the workspaces', () => {
    expect(runtime.map((w) => w.dir)).toEqual(expect.arrayContaining(['libs/providers', 'services/conversation']));
  });

  it('keeps the development stack, sandboxes and test harness out of runtime dependencies', () => {
    const wrong = runtime.flatMap((w) =>
      Object.keys(w.dependencies)
        .filter((d) => DevOnly.includes(d))
        .map((d) => `${w.dir} depends on ${d}`),
    );
    expect(wrong).toEqual([]);
  });

  it('imports them only from tests', () => {
    const wrong = runtime.flatMap((w) =>
      switchboardImports(w.dir)
        .filter((i) => DevOnly.includes(i.pkg))
        .map((i) => `${i.file} imports ${i.pkg}`),
    );
    expect(wrong).toEqual([]);
  });

  it('lets no service depend on or import another service', () => {
    const services = all.filter((w) => w.dir.startsWith('services/'));
    const wrong = services.flatMap((w) => [
      ...Object.keys(w.dependencies)
        .filter((d) => serviceNames.includes(d))
        .map((d) => `${w.dir} depends on ${d}`),
      ...switchboardImports(w.dir)
        .filter((i) => serviceNames.includes(i.pkg) && i.pkg !== w.name)
        .map((i) => `${i.file} imports ${i.pkg}`),
    ]);
    expect(wrong).toEqual([]);
  });
});
