/**
 * Throughput benchmark of the chain interpreter: `npm run bench:actions`. Prints chain
 * interpretations per second for the seed's tools with an executor that answers at once, so
 * the figure is the interpreter's own cost (what a workflow task spends outside Temporal).
 * Not part of the library's API and never imported by it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { JsonValue } from '@switchboard/common';
import { emptyState, interpret, parseDeclarativeTool } from './index.js';

const examples = fileURLToPath(new URL('../schemas/examples/', import.meta.url));
const load = (file: string) => parseDeclarativeTool(JSON.parse(readFileSync(`${examples}${file}`, 'utf8')));

const cases: { label: string; action: ReturnType<typeof load>; params: Record<string, JsonValue> }[] = [
  {
    label: 'save_meal (context.set [+], webhook, respond)',
    action: load('save_meal.tool.json'),
    params: { meal_type: 'lunch', dishes: ['soup', 'bread'] },
  },
  {
    label: 'save_email (validate, conditional, webhook, flag)',
    action: load('save_email.tool.json'),
    params: { email: 'ada@example.com', subscribe: true },
  },
];
const executor = { execute: async () => ({ ok: true }) };

async function measure(fn: () => Promise<unknown>, ms = 800): Promise<number> {
  for (let i = 0; i < 500; i++) await fn();
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 100; i++) await fn();
    calls += 100;
  }
  return (calls * 1000) / (performance.now() - start);
}

console.log('chain interpretations per second (executor answers immediately)');
for (const c of cases) {
  const rate = await measure(() => interpret({ action: c.action, params: c.params, state: emptyState() }, executor));
  console.log(`${c.label.padEnd(52)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} /s`);
}
