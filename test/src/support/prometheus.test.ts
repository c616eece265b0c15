import { describe, expect, it } from 'vitest';
import { seriesNames } from './prometheus.js';

describe('seriesNames', () => {
  it('finds the series an expression selects, not its functions, labels, ranges or numbers', () => {
    expect(
      seriesNames(
        'histogram_quantile(0.99, sum by (le, agent) (rate(a_bucket{x="b_c", y=~"5.."}[5m]))) > 2e1 and on (agent) b_total offset 1h',
      ),
    ).toEqual(['a_bucket', 'b_total']);
    expect(seriesNames('sum without (instance) (up{job="x"}) or vector(0)')).toEqual(['up']);
    expect(seriesNames('max(stuck) > bool 0 unless absent(other)')).toEqual(['stuck', 'other']);
    expect(seriesNames('sum(rate(x[$__rate_interval]))')).toEqual(['x']);
  });
});
