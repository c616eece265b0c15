import { describe, expect, it } from 'vitest';
import { replicasOf } from './replicas-arg.js';

describe('--replicas', () => {
  it('is 1 when absent, and takes N as the next argument or after =', () => {
    expect(replicasOf([])).toBe(1);
    expect(replicasOf(['--replicas', '3'])).toBe(3);
    expect(replicasOf(['--other', '--replicas=2'])).toBe(2);
  });

  it('refuses what is not a whole number from 1 to 16', () => {
    for (const bad of [
      ['--replicas'],
      ['--replicas', 'two'],
      ['--replicas=0'],
      ['--replicas', '1.5'],
      ['--replicas=17'],
    ]) {
      expect(() => replicasOf(bad)).toThrow(/--replicas takes a whole number from 1 to 16/);
    }
  });
});
