/**
 * deploy/prometheus: the scrape configuration reaches every service where it serves /metrics (in
 * compose, and through the pod annotations in Kubernetes), each alert is well formed, queries only
 * series the services export and is unit-tested firing and quiet, and promtool accepts the config,
 * the rules and their unit tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ExportedSeries, findPromtool, promtool, promtoolTestsRun, seriesNames } from '../support/prometheus.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const dir = join(root, 'deploy/prometheus');
const yamlIn = (sub: string) =>
  readdirSync(join(dir, sub))
    .filter((f) => f.endsWith('.yml'))
    .map((f) => `${sub}/${f}`);

interface ComposeService {
  command?: unknown;
  environment?: Record<string, unknown>;
  volumes?: string[];
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, ComposeService> };

/** Each compose service that runs one of ours, with the port it serves /metrics on. */
const metricsPorts = Object.entries(compose.services).flatMap(([name, def]) => {
  const m = /services\/([a-z-]+)\/dist\/main\.js/.exec(JSON.stringify(def.command ?? ''));
  if (!m) return [];
  const { '<<': shared = {}, ...own } = (def.environment ?? {}) as Record<string, unknown>;
  const env = { ...(shared as Record<string, unknown>), ...own };
  // The conversation service serves /metrics beside its API; the others on their health port.
  const port = String(m[1] === 'conversation' ? env.PORT : env.HEALTH_PORT);
  return [{ name, service: m[1] as string, port }];
});

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs?: { targets: string[] }[];
}
const config = parse(read('deploy/prometheus/prometheus.yml')) as {
  rule_files: string[];
  scrape_configs: ScrapeConfig[];
};
const targets = (job: ScrapeConfig) => (job.static_configs ?? []).flatMap((s) => s.targets);

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const ruleFiles = yamlIn('rules');
const rules: Rule[] = ruleFiles.flatMap((f) =>
  (parse(readFileSync(join(dir, f), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules),
);
const alerts = rules.filter((r) => r.alert !== undefined);

interface UnitTests {
  rule_files: string[];
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}
const unitTestFiles = yamlIn('tests');
const unitTests = unitTestFiles.map((f) => ({ file: f, ...(parse(readFileSync(join(dir, f), 'utf8')) as UnitTests) }));

describe('deploy/prometheus', () => {
  it('scrapes every service on the port it serves /metrics on', () => {
    expect(metricsPorts.map((s) => s.service).sort()).toEqual(
      readdirSync(join(root, 'services'), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort(),
    );
    for (const { name, port } of metricsPorts) {
      const job = config.scrape_configs.find((j) => j.job_name === name);
      expect({ name, path: job?.metrics_path ?? '/metrics', targets: job && targets(job) }).toEqual({
        name,
        path: '/metrics',
        targets: [`${name}:${port}`],
      });
    }
  });

  it('scrapes the collector on the ports its configuration serves', () => {
    const collector = parse(read('deploy/otel/collector.yaml'));
    const exporterPort = String(collector.exporters.prometheus.endpoint).split(':').pop();
    const ownPort = collector.service.telemetry.metrics.readers[0].pull.exporter.prometheus.port;
    const scraped = config.scrape_configs.flatMap(targets);
    expect(scraped).toContain(`otel-collector:${exporterPort}`);
    expect(scraped).toContain(`otel-collector:${ownPort}`);
  });

  it('is what compose runs, with every rule file loaded', () => {
    const prometheus = compose.services.prometheus;
    expect(prometheus?.volumes).toContain('./deploy/prometheus:/etc/prometheus:ro');
    expect(JSON.stringify(prometheus?.command)).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(config.rule_files).toEqual(['rules/*.yml']);
    expect(ruleFiles.length).toBeGreaterThan(0);
  });

  it('gives every alert a severity, a summary and a description of what to check', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      'SwitchboardActionLatencyP99',
      'SwitchboardConsumerBacklog',
      'SwitchboardCredentialAuthFailed',
      'SwitchboardProviderErrorRate',
      'SwitchboardRunsStuck',
      'SwitchboardTargetDown',
    ]);
    for (const a of alerts) {
      expect({ alert: a.alert, severity: a.labels?.severity }).toEqual({
        alert: a.alert,
        severity: expect.stringMatching(/^(critical|warning)$/),
      });
      expect(a.annotations?.summary?.length ?? 0).toBeGreaterThan(10);
      // A runbook in a few sentences: what it means and where to look.
      expect(a.annotations?.description?.length ?? 0).toBeGreaterThan(150);
    }
  });

  it('queries only series the services export', () => {
    const unknown = rules.flatMap((r) =>
      seriesNames(r.expr)
        .filter((name) => !ExportedSeries.has(name))
        .map((name) => `${r.alert ?? r.record}: ${name}`),
    );
    expect(unknown).toEqual([]);
    // The extraction finds what is there (a check that finds nothing would pass anything).
    expect(seriesNames(alerts.find((a) => a.alert === 'SwitchboardProviderErrorRate')?.expr ?? '')).toEqual([
      'switchboard_provider_request_duration_seconds_count',
    ]);
  });

  it('unit-tests every alert both firing and quiet, over every rule file', () => {
    for (const t of unitTests) expect(t.rule_files.map((f) => f.replace(/^\.\.\//, '')).sort()).toEqual(ruleFiles);
    const cases = unitTests.flatMap((t) => t.tests.flatMap((g) => g.alert_rule_test ?? []));
    for (const a of alerts) {
      const own = cases.filter((c) => c.alertname === a.alert);
      expect({ alert: a.alert, fires: own.some((c) => (c.exp_alerts ?? []).length > 0) }).toEqual({
        alert: a.alert,
        fires: true,
      });
      expect({ alert: a.alert, quiet: own.some((c) => (c.exp_alerts ?? []).length === 0) }).toEqual({
        alert: a.alert,
        quiet: true,
      });
    }
  });
});

describe('deploy/k8s scrape annotations', () => {
  // biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are checked field by field
  const deployments: any[] = parseAllDocuments(read('deploy/k8s/switchboard.yaml'))
    .map((d) => d.toJS())
    .filter((o) => o?.kind === 'Deployment');

  it('ask for each pod to be scraped at /metrics on the port it serves /healthz on', () => {
    expect(deployments.length).toBe(metricsPorts.length);
    for (const d of deployments) {
      const template = d.spec.template;
      const probePort = template.spec.containers[0].readinessProbe.httpGet.port;
      expect({ name: d.metadata.name, annotations: template.metadata.annotations }).toEqual({
        name: d.metadata.name,
        annotations: {
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(probePort),
          'prometheus.io/path': '/metrics',
        },
      });
    }
  });
});

describe.runIf(promtoolTestsRun('deploy/prometheus'))('promtool', () => {
  it('is installed (.ci/run installs Debian’s prometheus package)', () => {
    expect(findPromtool()).toEqual({ found: true });
  });

  it('accepts the configuration and the rule files it loads', () => {
    const r = promtool(['check', 'config', 'prometheus.yml'], dir);
    expect(r.status, r.output).toBe(0);
  });

  it('accepts the rules', () => {
    const r = promtool(['check', 'rules', ...ruleFiles], dir);
    expect(r.status, r.output).toBe(0);
  });

  it('passes the rules’ unit tests', () => {
    const r = promtool(['test', 'rules', ...unitTestFiles], dir);
    expect(r.status, r.output).toBe(0);
  });
});
