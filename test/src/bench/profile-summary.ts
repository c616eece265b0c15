/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, one per service under the bench): self time per
 * area of the code (workflow sandbox, Temporal SDK, protobuf, JSON, tracing, NATS, Postgres, …)
 * and the top functions by self time. A tool for the performance notes, not a test.
 * Usage: `node test/dist/bench/profile-summary.js <file.cpuprofile>…`
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Areas by where a function's code lives; the first match wins. */
const AREAS: [string, RegExp][] = [
  [
    'workflow sandbox (bundle: session/lifecycle code, interpreter, SDK workflow runtime)',
    /workflow-bundle|\/workflows?\/|webpack/,
  ],
  ['Temporal SDK worker (activations, core bridge)', /@temporalio\/(worker|core-bridge|common|client|activity)/],
  ['protobuf (protobufjs, @bufbuild)', /protobufjs|@bufbuild|\/proto\//],
  ['tracing / metrics (OpenTelemetry, telemetry lib)', /opentelemetry|libs\/telemetry/],
  ['NATS client', /@nats-io/],
  ['Postgres client', /\/pg(-[a-z]+)?\/|libs\/db/],
  ['HTTP (fastify, undici)', /fastify|undici|avvio|find-my-way|light-my-request/],
  ['Switchboard libs and services', /\/(libs|services)\//],
  ['other node_modules', /node_modules/],
  ['Node internals', /^node:|^internal\//],
];

export function areaOf(url: string, functionName: string): string {
  if (url === '') {
    if (/^\((garbage collector|program|idle)\)$/.test(functionName)) return functionName;
    if (/JSON/.test(functionName)) return 'JSON (native)';
    return 'native / builtins';
  }
  return AREAS.find(([, re]) => re.test(url))?.[0] ?? 'other';
}

/** Self time (ms) per area and per function of one profile; idle time left out of the total. */
export function summarizeProfile(profile: CpuProfile): {
  totalMs: number;
  areas: [string, number][];
  functions: [string, number][];
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalMs = 0;
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    totalMs += ms;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const where = url === '' ? '' : ` ${url.replace(/^.*\/(node_modules|libs|services)\//, '$1/')}:${lineNumber + 1}`;
    const key = `${functionName || '(anonymous)'}${where}`;
    functions.set(key, (functions.get(key) ?? 0) + ms);
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { totalMs, areas: sorted(areas), functions: sorted(functions) };
}

if (process.argv[1]?.endsWith('profile-summary.js')) {
  for (const file of process.argv.slice(2)) {
    const { totalMs, areas, functions } = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
    console.log(`\n## ${basename(file)}: ${(totalMs / 1000).toFixed(1)} s on CPU (idle left out)`);
    for (const [area, ms] of areas.slice(0, 12))
      console.log(`${((100 * ms) / totalMs).toFixed(1).padStart(5)} %  ${area}`);
    console.log('top self time:');
    for (const [fn, ms] of functions.slice(0, 25))
      console.log(`${((100 * ms) / totalMs).toFixed(1).padStart(5)} %  ${fn}`);
  }
}
