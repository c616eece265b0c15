/**
 * deploy/otel/collector.yaml, as compose runs it: OTLP in where the services send it, traces out
 * to Jaeger, metrics out to Prometheus, and every pipeline built only of defined components.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

type Components = Record<string, Record<string, unknown> | null>;
const collector = parse(read('deploy/otel/collector.yaml')) as {
  receivers: Components;
  processors: Components;
  exporters: Components;
  service: { pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }> };
};
const compose = parse(read('docker-compose.yml')) as {
  'x-service-env': Record<string, string>;
  services: Record<string, { volumes?: string[] }>;
};
const { pipelines } = collector.service;
const hostPort = (endpoint: unknown) => /^(?:https?:\/\/)?([^:/]+):(\d+)/.exec(String(endpoint))?.slice(1) ?? [];

describe('deploy/otel/collector.yaml', () => {
  it('builds every pipeline of components it defines', () => {
    for (const [name, p] of Object.entries(pipelines)) {
      const undefinedParts = [
        ...p.receivers.filter((r) => !(r in collector.receivers)),
        ...(p.processors ?? []).filter((r) => !(r in collector.processors)),
        ...p.exporters.filter((r) => !(r in collector.exporters)),
      ];
      expect({ name, undefinedParts }).toEqual({ name, undefinedParts: [] });
    }
  });

  it('receives OTLP where compose points the services', () => {
    const [, port] = hostPort(compose['x-service-env'].OTEL_EXPORTER_OTLP_ENDPOINT);
    const http = (collector.receivers.otlp as { protocols: { http: { endpoint: string } } }).protocols.http;
    expect(hostPort(http.endpoint)[1]).toBe(port);
    expect(compose.services['otel-collector']?.volumes).toContain(
      './deploy/otel/collector.yaml:/etc/otelcol/collector.yaml:ro',
    );
    for (const p of Object.values(pipelines)) expect(p.receivers).toEqual(['otlp']);
  });

  it('sends traces to Jaeger and metrics to Prometheus', () => {
    const traceOut = pipelines.traces?.exporters ?? [];
    expect(traceOut).toHaveLength(1);
    const [host] = hostPort(collector.exporters[traceOut[0] as string]?.endpoint);
    expect(host).toBe('jaeger');
    expect(compose.services).toHaveProperty('jaeger');
    expect(pipelines.metrics?.exporters).toEqual(['prometheus']);
  });
});
