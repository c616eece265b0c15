import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@switchboard/devstack';
import { describe, expect, it } from 'vitest';
import { SlowestFiles, slowestFirst } from './sequencer.js';

describe('slowest-first test order', () => {
  it('names only test files that exist, each once', () => {
    expect(SlowestFiles.filter((f) => !f.endsWith('.test.ts') || !existsSync(join(repoRoot, f)))).toEqual([]);
    expect(new Set(SlowestFiles).size).toBe(SlowestFiles.length);
  });

  it('moves the slowest files to the front in their order, keeping the rest in the order given', () => {
    const [slowest, second] = SlowestFiles;
    if (slowest === undefined || second === undefined) throw new Error('SlowestFiles lists fewer than two files');
    const files = ['libs/a/src/a.test.ts', second, 'libs/b/src/b.test.ts', slowest, 'libs/c/src/c.test.ts'];
    expect(slowestFirst(files, (f) => f)).toEqual([
      slowest,
      second,
      'libs/a/src/a.test.ts',
      'libs/b/src/b.test.ts',
      'libs/c/src/c.test.ts',
    ]);
  });
});
