/** Options of the bench harness: command-line flags, else environment variables, else defaults. */
import { join } from 'node:path';
import { type CpuSplit, CpuSplits } from './placement.js';

/** The sections the harness can run, in the order it runs them. */
export const BenchSections = [
  'nats',
  'temporal',
  'equal-work',
  'equal-work-nothread',
  'naive',
  'switchboard',
  'sb-export',
  'scale',
] as const;
export type BenchSection = (typeof BenchSections)[number];
/** Sections run only when asked for (`--sections`). */
const OPT_IN: readonly BenchSection[] = ['equal-work-nothread', 'sb-export'];

/** What a run measures; see {@link parseBenchOptions} for the flags. */
export interface BenchOptions {
  smoke: boolean;
  sections: BenchSection[];
  /** Concurrent conversations (chains in flight) per level. */
  levels: number[];
  /** Chains per level (at least the level's concurrency). */
  chains: number;
  /** Unmeasured chains before each section (concurrency 1). */
  warmup: number;
  /** Fixed latency every provider sandbox adds to every request, ms. */
  providerLatencyMs: number;
  /** Booking lifecycles started in the scale section. */
  scale: number;
  /**
   * Seconds from the start of the scale section until every lifecycle's reminder is due;
   * undefined: enough for the starts to settle at the rate this machine manages (see scale.ts).
   */
  scaleDueAfterS: number | undefined;
  /** JSON report path. */
  out: string;
  /** Processes of every service; above 1 also a three-node NATS cluster (cluster mode). */
  replicas?: number;
  /** What runs on CPU 0, the rest of the stack on CPU 1 (placement.ts); undefined: no split. */
  cpuSplit?: CpuSplit | undefined;
  /** Nice value for every thread of the conversation service (placement.ts). */
  conversationNice?: number | undefined;
}

export const USAGE = `npm run bench -- [options]      (flags win over the environment variables in brackets)
  --smoke                    tiny run to keep the harness working: level 2, 4 chains, scale 100  [BENCH_SMOKE=1]
  --sections a,b             ${BenchSections.join(',')} (default all but the opt-in ones: equal-work-nothread, the equal-work ceiling less each booking's SMS thread, to set beside equal-work; sb-export, the booking chain with OTLP export and scrapes on, to set beside switchboard)  [BENCH_SECTIONS]
  --levels 1,10,50,100       concurrent conversations per level                       [BENCH_LEVELS]
  --chains 200               chains per level (at least the level)                    [BENCH_CHAINS]
  --warmup 10                unmeasured chains before each section                    [BENCH_WARMUP]
  --latency 0                fixed provider sandbox latency per request, ms           [BENCH_PROVIDER_LATENCY_MS]
  --scale 10000              booking lifecycles in the scale section                  [BENCH_SCALE]
  --scale-due-s <s>          reminders due this long after the starts begin (default: from a pilot's rate; smoke 10) [BENCH_SCALE_DUE_S]
  --out <file.json>          report path (default test-results/bench/bench-<time>.json) [BENCH_OUT]
  --cpu-split[=path]         once the stack is up, pin the conversation service (all threads; =path: with Postgres and NATS)
                             to CPU 0 and every other process of the stack, this one (the load) included, to CPU 1
                             (Linux, taskset)                                         [BENCH_CPU_SPLIT=service|path]
  --conversation-nice <n>    nice (-20..19) for every thread of the conversation service; below 0 needs root [BENCH_CONVERSATION_NICE]`;

function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) return argv[i + 1];
  const inline = argv.find((a) => a.startsWith(`--${name}=`));
  return inline?.slice(name.length + 3);
}

function int(text: string | undefined, what: string, min: number): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${what} must be an integer >= ${min}, got '${text}'`);
  return n;
}

function nice(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < -20 || n > 19)
    throw new Error(`--conversation-nice must be an integer -20..19, got '${text}'`);
  return n;
}

/** `--cpu-split` is a switch with an optional value (`--cpu-split=path`), so it is read apart. */
function cpuSplit(argv: readonly string[], env: NodeJS.ProcessEnv): CpuSplit | undefined {
  const arg = argv.find((a) => a === '--cpu-split' || a.startsWith('--cpu-split='));
  const text =
    arg === undefined ? env.BENCH_CPU_SPLIT : arg === '--cpu-split' ? 'service' : arg.slice('--cpu-split='.length);
  if (text === undefined || text === '') return undefined;
  if (!(CpuSplits as readonly string[]).includes(text)) {
    throw new Error(`--cpu-split must be one of ${CpuSplits.join(', ')}, got '${text}'`);
  }
  return text as CpuSplit;
}

/** Reads the options; throws with a readable message on a bad value. */
export function parseBenchOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  repoRoot: string,
  now = new Date(),
): BenchOptions {
  const get = (name: string, envName: string) => flag(argv, name) ?? env[envName];
  const smoke = argv.includes('--smoke') || env.BENCH_SMOKE === '1';
  const sectionsText = get('sections', 'BENCH_SECTIONS');
  const sections = sectionsText
    ? sectionsText.split(',').map((s) => {
        const name = s.trim();
        if (!(BenchSections as readonly string[]).includes(name)) {
          throw new Error(`unknown section '${name}' (sections: ${BenchSections.join(', ')})`);
        }
        return name as BenchSection;
      })
    : BenchSections.filter((s) => !OPT_IN.includes(s));
  const levelsText = get('levels', 'BENCH_LEVELS');
  const levels = levelsText
    ? levelsText.split(',').map((l) => int(l.trim(), 'a level', 1) as number)
    : smoke
      ? [2]
      : [1, 10, 50, 100];
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const dueText = get('scale-due-s', 'BENCH_SCALE_DUE_S');
  return {
    smoke,
    sections: BenchSections.filter((s) => sections.includes(s)),
    levels,
    chains: int(get('chains', 'BENCH_CHAINS'), '--chains', 1) ?? (smoke ? 4 : 200),
    warmup: int(get('warmup', 'BENCH_WARMUP'), '--warmup', 0) ?? (smoke ? 1 : 10),
    providerLatencyMs: int(get('latency', 'BENCH_PROVIDER_LATENCY_MS'), '--latency', 0) ?? 0,
    scale: int(get('scale', 'BENCH_SCALE'), '--scale', 1) ?? (smoke ? 100 : 10_000),
    // Smoke: no pilot, a short fixed wait; lifecycles not waiting by then are left out of the lateness.
    scaleDueAfterS: int(dueText, '--scale-due-s', 1) ?? (smoke ? 10 : undefined),
    out: get('out', 'BENCH_OUT') ?? join(repoRoot, 'test-results', 'bench', `bench-${stamp}.json`),
    replicas: int(get('replicas', 'BENCH_REPLICAS'), '--replicas', 1) ?? 1,
    cpuSplit: cpuSplit(argv, env),
    conversationNice: nice(get('conversation-nice', 'BENCH_CONVERSATION_NICE')),
  };
}
