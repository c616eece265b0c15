import { describe, expect, it } from 'vitest';
import { withStackTraceLimit } from './bundle.js';

describe('withStackTraceLimit', () => {
  it('sets the limit on the first line, keeping the bundle line numbers', () => {
    const code = 'var __TEMPORAL__;\nline2();\n//# sourceMappingURL=data:...';
    const out = withStackTraceLimit(code, 3);
    expect(out.startsWith('Error.stackTraceLimit = 3; var __TEMPORAL__;\n')).toBe(true);
    expect(out.split('\n')).toHaveLength(code.split('\n').length);
  });

  it('refuses a limit that is not an integer 0–100', () => {
    for (const bad of [-1, 1.5, 101, Number.NaN]) {
      expect(() => withStackTraceLimit('x', bad)).toThrow(RangeError);
    }
  });
});
