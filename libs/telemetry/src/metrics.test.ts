import { Resource } from '@opentelemetry/resources';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  initMetrics,
  METRIC_NAMES,
  MetricNames,
  observeGauge,
  recordActionOutcome,
  recordHttpServerRequest,
  recordProviderRequest,
  recordProviderRetry,
} from './metrics.js';
import { histogramCount, PromParseError, parsePrometheusText } from './prometheus-text.js';

const resource = new Resource({ 'service.name': 'metrics-test' });

describe('metrics', () => {
  it('serves every recorded instrument under its Prometheus name, with counts equal to the calls', async () => {
    const metrics = initMetrics(resource, {});
    for (let i = 0; i < 3; i++) {
      recordActionOutcome({
        agent: 'dental',
        action: 'book',
        outcome: 'succeeded',
        tenant: 't1',
        durationMs: 1200,
        firstEventMs: 300,
      });
    }
    recordActionOutcome({
      agent: 'dental',
      action: 'book',
      outcome: 'failed',
      errorCode: 'provider_timeout',
      durationMs: 9000,
    });
    recordProviderRequest({ provider: 'calcom', operation: 'calcom.book', durationMs: 80, statusCode: 201 });
    recordProviderRequest({ provider: 'calcom', operation: 'calcom.book', durationMs: 10_000, errorType: 'timeout' });
    recordProviderRetry({ provider: 'calcom', operation: 'calcom.book' });
    recordHttpServerRequest({ route: '/v1/conversations/:id', method: 'GET', status: 200, durationMs: 4 });
    const stop = observeGauge(MetricNames.runsStuck, () => [{ value: 2 }]);
    const families = parsePrometheusText(await metrics.text());
    stop();

    expect(histogramCount(families, MetricNames.actionDuration)).toBe(4);
    expect(
      histogramCount(families, MetricNames.actionDuration, { outcome: 'failed', error_code: 'provider_timeout' }),
    ).toBe(1);
    expect(histogramCount(families, MetricNames.actionFirstEvent)).toBe(3);
    expect(histogramCount(families, MetricNames.providerRequestDuration, { status_code: '201' })).toBe(1);
    expect(histogramCount(families, MetricNames.providerRequestDuration, { error_type: 'timeout' })).toBe(1);
    expect(families.get(MetricNames.providerRetries)?.samples[0]?.value).toBe(1);
    expect(families.get(MetricNames.runsStuck)?.samples).toEqual([
      { name: MetricNames.runsStuck, labels: {}, value: 2 },
    ]);
    const http = families.get(MetricNames.httpServerRequestDuration);
    expect(http?.type).toBe('histogram');
    expect(http?.samples.find((s) => s.name.endsWith('_count'))?.labels).toEqual({
      http_route: '/v1/conversations/:id',
      http_request_method: 'GET',
      http_response_status_code: '200',
    });
    // Seconds: 1.2 s falls in the 2.5 s bucket, not the 1 s one.
    const bucket = (le: string) =>
      families
        .get(MetricNames.actionDuration)
        ?.samples.find((s) => s.labels.le === le && s.labels.outcome === 'succeeded')?.value;
    expect([bucket('1'), bucket('2.5')]).toEqual([0, 3]);
    // No tenant label unless asked for.
    expect(JSON.stringify([...families.values()])).not.toContain('"tenant"');
    await metrics.shutdown();
  });

  it('adds a tenant label only with METRICS_TENANT_LABEL=true', async () => {
    const metrics = initMetrics(resource, { METRICS_TENANT_LABEL: 'true' });
    recordActionOutcome({ agent: 'a', action: 'b', outcome: 'cancelled', tenant: 't9', durationMs: 1 });
    const families = parsePrometheusText(await metrics.text());
    expect(histogramCount(families, MetricNames.actionDuration, { tenant: 't9', outcome: 'cancelled' })).toBe(1);
    await metrics.shutdown();
  });

  it('appends added sources, and leaves out one that fails', async () => {
    const metrics = initMetrics(resource, {});
    metrics.addSource(async () => '# TYPE temporal_x_total counter\ntemporal_x_total 5\n');
    metrics.addSource(async () => {
      throw new Error('down');
    });
    const families = parsePrometheusText(await metrics.text());
    expect(families.get('temporal_x_total')?.samples[0]?.value).toBe(5);
    await metrics.shutdown();
  });

  it('names every instrument with a valid, unique Prometheus name', () => {
    expect(new Set(METRIC_NAMES).size).toBe(METRIC_NAMES.length);
    for (const name of METRIC_NAMES) expect(name).toMatch(/^[a-z_][a-z0-9_]*$/);
  });
});

describe('parsePrometheusText', () => {
  it('refuses what Prometheus refuses', () => {
    const bad = [
      '# TYPE a counter\n# TYPE a counter\na 1',
      'a 1\nb 1\na 2',
      'a{x="1"} 1\na{x="1"} 2',
      'a{x=1} 1',
      'a{1x="1"} 1',
      'a one',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3',
    ];
    for (const text of bad) expect(() => parsePrometheusText(text), text).toThrow();
    expect(() => parsePrometheusText('a{x="1" 1')).toThrow(PromParseError);
  });

  it('reads back any label value the exporter escapes', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const escaped = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
        const families = parsePrometheusText(`# TYPE m gauge\nm{v="${escaped}"} 1\n`);
        expect(families.get('m')?.samples[0]?.labels.v).toBe(value);
      }),
    );
  });
});
