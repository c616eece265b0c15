import { defineConfig } from 'vitest/config';
import { SlowestFirstSequencer } from './test/src/support/sequencer.js';

export default defineConfig({
  test: {
    include: ['libs/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'test/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default in run mode is one worker fewer than the cores: one on CI's two, so every
    // file ran after the other. Most end-to-end time is waiting (stacks starting, Temporal
    // timers, polls), which another file can use.
    maxWorkers: 2,
    // The longest files first (measured; see the sequencer), so none of them starts last.
    sequence: { sequencer: SlowestFirstSequencer },
  },
});
