import { defineConfig } from 'vitest/config';
import { SlowestFirstSequencer } from './test/src/support/sequencer.js';

export default defineConfig({
  test: {
    include: ['libs/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'test/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The longest files first (measured; see the sequencer), so none of them starts last.
    sequence: { sequencer: SlowestFirstSequencer },
  },
});
