/**
 * End-to-end latency of one tool call through the whole stack (HTTP → NATS → orchestrator →
 * Temporal → webhook worker → sink → result), measured sequentially. A benchmark, not a test:
 * it prints numbers and asserts nothing. Usage: `npm run bench:e2e [-- --calls 200]`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestStack } from '../support/stack.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

const calls = arg('calls', 200);
const warmup = arg('warmup', 20);
const logDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
const stack = await startTestStack(logDir, { exportSpans: false });
try {
  const conv = (await stack.api('POST', '/v1/conversations', { agent: 'demo' })).body.id as string;
  const call = async () => {
    const t0 = performance.now();
    const res = await stack.api('POST', `/v1/conversations/${conv}/tool-calls`, {
      name: 'save_meal',
      arguments: { meal_type: 'lunch', dishes: ['soup'] },
    });
    const ms = performance.now() - t0;
    if (res.body.status !== 'succeeded') throw new Error(`call failed: ${JSON.stringify(res.body)}`);
    return ms;
  };
  for (let i = 0; i < warmup; i++) await call();
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) samples.push(await call());
  samples.sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const row = (label: string, v: number) => console.log(`${label.padEnd(8)} ${v.toFixed(1).padStart(8)} ms`);
  console.log(`save_meal tool call, end to end, ${calls} sequential calls after ${warmup} warm-up (one conversation)`);
  row('p50', percentile(samples, 50));
  row('p95', percentile(samples, 95));
  row('p99', percentile(samples, 99));
  row('max', samples[samples.length - 1] ?? Number.NaN);
  row('mean', mean);
  console.log(
    JSON.stringify({
      bench: 'tool-call-latency',
      calls,
      p50: percentile(samples, 50),
      p95: percentile(samples, 95),
      p99: percentile(samples, 99),
      max: samples.at(-1),
      mean,
    }),
  );
} finally {
  await stack.stop();
}
