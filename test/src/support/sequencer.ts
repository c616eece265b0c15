import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The test files that take longest, longest first, as measured: each file's wall time in a full
 * run, imports and stack start included (vitest's JSON report counts only from its first test to
 * its last). vitest hands files to its workers (two: vitest.config.ts) in its sorted order;
 * without a results cache (a clean clone: CI) that order is by file size, so a long but small
 * file can start last and run alone while the other worker idles. Listed here, they start first
 * and the short files fill in beside them. A file missing from the list only starts later;
 * `sequencer.test.ts` checks that every listed file still exists.
 */
export const SlowestFiles: readonly string[] = [
  // Session 9, `npx vitest run` on two workers (seconds): 225, 148, 136, 53, 52, 48, 43, 42, 38, 36, 31, 28, 25.
  'test/src/conformance/api-fuzz.test.ts',
  'test/src/chaos/booking-chaos.test.ts',
  'test/src/integration/booking-lifecycle.test.ts',
  'test/src/e2e/cluster.test.ts',
  'test/src/bench/harness.smoke.test.ts',
  'test/src/e2e/replicas.test.ts',
  'test/src/e2e/continued-session.test.ts',
  'services/telephony-worker/src/telephony.activities.test.ts',
  'test/src/e2e/chain-controls.test.ts',
  'test/src/e2e/example-agents.test.ts',
  'test/src/e2e/hostile-input.test.ts',
  'services/crm-worker/src/crm.activities.test.ts',
  'services/webhook-worker/src/webhook-worker.test.ts',
];

/**
 * Orders the {@link SlowestFiles} first (in their order), then everything else as vitest
 * would (its results cache when present: failed first, then by duration; else by size).
 */
export class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return slowestFirst(await super.sort(files), (f) => relative(this.ctx.config.root, f.moduleId));
  }
}

/** `files` with the {@link SlowestFiles} moved to the front, in that list's order; stable otherwise. */
export function slowestFirst<T>(files: readonly T[], pathOf: (file: T) => string): T[] {
  const rank = (file: T) => {
    const i = SlowestFiles.indexOf(pathOf(file).replaceAll('\\', '/'));
    return i === -1 ? SlowestFiles.length : i;
  };
  return files
    .map((file, index) => ({ file, index, rank: rank(file) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ file }) => file);
}
