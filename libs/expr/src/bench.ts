// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are expression sources, whose own template literals use ${…}
/**
 * Throughput benchmark: `npm run build` (or `npx tsc -b libs/expr`), then
 * `node libs/expr/dist/bench.js`. Prints evaluations per second for representative conditions
 * and transforms, both through a precompiled expression and through the cached `evaluate()`.
 * Not part of the library's API (nothing is exported) and never imported by it.
 */
import { compile, evaluate } from './index.js';

const scope = {
  context: {
    user_type: 'premium',
    user: { name: 'Ada', id: 'u_1' },
    cart: {
      items: [
        { sku: 'a', qty: 1 },
        { sku: 'b', qty: 0 },
        { sku: 'c', qty: 2 },
      ],
    },
  },
  params: { subscribe: true, email: 'ada@example.com' },
  flags: { verified: true },
  input: ['apple', 'banana', 'cherry', 'date', 'elderberry'],
};

const cases: [string, string][] = [
  ['condition', "context.user_type === 'premium'"],
  ['compound condition', "params.subscribe === true && flags.verified && params.email.includes('@')"],
  ['transform (map/join)', "input.map(item => item.toUpperCase()).join(', ')"],
  [
    'template + filter',
    '`Hi ${context.user.name}, ${context.cart.items.filter(i => i.qty > 0).length} items in your cart`',
  ],
];

/** Run `fn` repeatedly for about `ms` milliseconds; return calls per second. */
function measure(fn: () => unknown, ms = 400): number {
  for (let i = 0; i < 2_000; i++) fn(); // warm-up (JIT)
  let calls = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 1_000; i++) fn();
    calls += 1_000;
    elapsed = performance.now() - started;
  }
  return (calls * 1_000) / elapsed;
}

const format = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(12);

console.log(`${'expression'.padEnd(22)} ${'compiled/s'.padStart(12)} ${'evaluate()/s'.padStart(12)}  result`);
for (const [name, source] of cases) {
  const compiled = compile(source);
  const result = compiled.evaluate(scope);
  const compiledRate = measure(() => compiled.evaluate(scope));
  const cachedRate = measure(() => evaluate(source, scope));
  console.log(`${name.padEnd(22)} ${format(compiledRate)} ${format(cachedRate)}  ${JSON.stringify(result)}`);
}
const compileRate = measure(() => compile(cases[2]?.[1] ?? ''), 200);
console.log(`compile() of the transform: ${format(compileRate).trim()}/s`);
