/**
 * deploy/grafana: the Switchboard dashboard parses, holds the Operations page's panels, queries
 * the provisioned Prometheus only for series the services export, and every query is PromQL
 * promtool accepts (each wrapped in a temporary recording rule, Grafana's variables replaced).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ExportedSeries, promtool, promtoolTestsRun, seriesNames } from '../support/prometheus.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Target {
  refId: string;
  expr?: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
const dashboard = JSON.parse(read('deploy/grafana/dashboards/switchboard.json')) as { uid: string; panels: Panel[] };
const panels = dashboard.panels.filter((p) => p.type !== 'row');
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

/** Grafana's built-in interval variables, as promtool needs them: concrete durations. */
const GrafanaVariables: Record<string, string> = {
  $__rate_interval: '5m',
  $__interval: '1m',
  $__range: '1h',
};
const concrete = (expr: string) => expr.replace(/\$__[a-z_]+/g, (v) => GrafanaVariables[v] ?? v);

const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
  datasources: { uid: string; type: string; url: string }[];
};
const providers = parse(read('deploy/grafana/provisioning/dashboards/switchboard.yml')) as {
  providers: { options: { path: string } }[];
};
const compose = parse(read('docker-compose.yml')) as {
  services: Record<string, { volumes?: string[]; ports?: string[] }>;
};

describe('deploy/grafana', () => {
  it('has the panels of the console’s Operations page', () => {
    expect(dashboard.uid).toBe('switchboard');
    expect(panels.map((p) => p.title)).toEqual(
      expect.arrayContaining([
        'Outcomes over time',
        'Actions by failure rate',
        'Providers by failure rate',
        'Failures by error code',
        'Stuck runs',
        'Intents waiting',
        'Credentials by status',
      ]),
    );
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
  });

  it('queries the provisioned Prometheus in every panel', () => {
    const [source] = datasources.datasources;
    expect(source).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
    expect(compose.services.prometheus?.ports).toContain('9090:9090');
    for (const p of panels) {
      expect({ panel: p.title, queries: (p.targets ?? []).length > 0 }).toEqual({ panel: p.title, queries: true });
      for (const ds of [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]) {
        expect({ panel: p.title, uid: ds?.uid }).toEqual({ panel: p.title, uid: source?.uid });
      }
    }
  });

  it('is provisioned by compose from this directory', () => {
    const volumes = compose.services.grafana?.volumes ?? [];
    expect(volumes).toContain('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(volumes).toContain(`./deploy/grafana/dashboards:${providers.providers[0]?.options.path}:ro`);
  });

  it('uses only series the services export and only variables it can replace', () => {
    const unknown = queries.flatMap((q) =>
      seriesNames(concrete(q.expr ?? ''))
        .filter((name) => !ExportedSeries.has(name))
        .map((name) => `${q.panel} ${q.refId}: ${name}`),
    );
    expect(unknown).toEqual([]);
    const variables = queries.flatMap((q) =>
      (concrete(q.expr ?? '').match(/\$\w+/g) ?? []).map((v) => `${q.panel}: ${v}`),
    );
    expect(variables).toEqual([]);
    // Every instrument the Operations page is built from is on the dashboard.
    const used = new Set(queries.flatMap((q) => seriesNames(concrete(q.expr ?? ''))));
    for (const name of [
      'switchboard_action_duration_seconds_count',
      'switchboard_action_duration_seconds_bucket',
      'switchboard_provider_request_duration_seconds_bucket',
      'switchboard_runs_stuck',
      'switchboard_intents_pending',
      'switchboard_credential_status',
    ]) {
      expect(used).toContain(name);
    }
  });
});

describe.runIf(promtoolTestsRun('deploy/grafana'))('the dashboard’s PromQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-grafana-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is valid for promtool', () => {
    const rules = queries.map((q, i) => ({ record: `panel_${i}`, expr: concrete(q.expr ?? '') }));
    writeFileSync(join(dir, 'panels.yml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = promtool(['check', 'rules', 'panels.yml'], dir);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain(`${rules.length} rules found`);
  });
});
