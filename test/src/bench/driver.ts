import type { ChainWork } from './chain-work.js';
import type { HopSource } from './hop-source.js';
import type { ChainSample } from './stats.js';

/** One section's way of running a chain; the harness runs it at every concurrency level. */
export interface ChainDriver {
  /** What one chain is in this section (printed and kept in the report). */
  description: string;
  /** Caveats the reader must know (kept in the report). */
  notes: string[];
  /** Before each level: clean state so levels do not slow each other down. */
  beforeLevel?(): Promise<void> | void;
  /** Runs chain `index` (unique in the run) and measures it. */
  chain(index: number): Promise<ChainSample>;
  /** Figures of the level just run besides latency (e.g. provider requests per chain). */
  afterLevel?(chains: number): Record<string, number>;
  /**
   * The engine work the last chain run caused, counted from its workflows' histories (called
   * after the warm-up, when nothing else runs); absent where a section has no workflows.
   */
  work?(): Promise<ChainWork>;
  /**
   * The level's chains hop by hop (hops.ts), where the section has a session workflow: reset
   * before each level, decomposed after it.
   */
  hops?: HopSource;
  close(): Promise<void>;
}

/** Milliseconds since `t0` (a `performance.now()` reading). */
export const since = (t0: number) => performance.now() - t0;
