/**
 * The Kubernetes manifests run Switchboard as a scaled-out service: every Deployment with more
 * than one replica, a PodDisruptionBudget that keeps one of them up through node drains, a
 * readiness probe on `/readyz` (the service's dependencies) and a liveness probe on `/healthz`,
 * each a path the service really serves; and the Temporal values file sized in the README.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

// biome-ignore lint/suspicious/noExplicitAny: manifests are checked by the assertions
type K8s = any;
const docs: K8s[] = parseAllDocuments(read('deploy/k8s/switchboard.yaml')).map((d) => d.toJS());
const deployments = docs.filter((d) => d.kind === 'Deployment');
const budgets = docs.filter((d) => d.kind === 'PodDisruptionBudget');

/** Where each service's probe paths are served: the file that must register them. */
const servedBy: Record<string, string> = {
  conversation: 'services/conversation/src/app.ts',
  orchestrator: 'services/orchestrator/src/main.ts',
  'webhook-worker': 'libs/providers/src/worker.ts',
  'calcom-worker': 'libs/providers/src/worker.ts',
  'telephony-worker': 'libs/providers/src/worker.ts',
  'crm-worker': 'libs/providers/src/worker.ts',
};

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('deploy/k8s/switchboard.yaml', () => {
  it('has a Deployment for every service', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(Object.keys(servedBy).sort());
  });

  it('runs every service with at least two replicas, spread over nodes', () => {
    for (const d of deployments) {
      expect({ name: d.metadata.name, replicas: d.spec.replicas >= 2 }).toEqual({
        name: d.metadata.name,
        replicas: true,
      });
      const spread = d.spec.template.spec.topologySpreadConstraints ?? [];
      expect(spread.some((c: K8s) => c.topologyKey === 'kubernetes.io/hostname')).toBe(true);
    }
  });

  it('keeps at least one pod of every service up through voluntary disruptions (one PDB each)', () => {
    for (const d of deployments) {
      const labels = d.spec.template.metadata.labels;
      const own = budgets.filter((b) => matches(b.spec.selector.matchLabels, labels));
      expect({ name: d.metadata.name, budgets: own.length }).toEqual({ name: d.metadata.name, budgets: 1 });
      const budget = own[0];
      // Either form leaves at least one of the replicas running.
      if (budget.spec.minAvailable !== undefined) {
        expect(budget.spec.minAvailable).toBeGreaterThanOrEqual(1);
        expect(budget.spec.minAvailable).toBeLessThan(d.spec.replicas);
      } else {
        expect(budget.spec.maxUnavailable).toBeGreaterThanOrEqual(1);
        expect(budget.spec.maxUnavailable).toBeLessThan(d.spec.replicas);
      }
    }
    // No budget selects nothing.
    for (const b of budgets) {
      expect(deployments.some((d) => matches(b.spec.selector.matchLabels, d.spec.template.metadata.labels))).toBe(true);
    }
  });

  it('probes readiness on /readyz (dependencies) and liveness on /healthz, paths each service serves', () => {
    const health = read('libs/common/src/health.ts');
    for (const d of deployments) {
      const name = d.metadata.name as string;
      const [c] = d.spec.template.spec.containers;
      expect({ name, ready: c.readinessProbe?.httpGet?.path, live: c.livenessProbe?.httpGet?.path }).toEqual({
        name,
        ready: '/readyz',
        live: '/healthz',
      });
      const source = read(servedBy[name] as string);
      if (name === 'conversation') {
        expect(source).toMatch(/app\.get\(\s*'\/readyz'/);
        expect(source).toMatch(/app\.get\(\s*'\/healthz'/);
      } else {
        // The shared health server serves both; the service must hand it its dependencies.
        expect(health).toContain("req.url === '/readyz'");
        expect(health).toContain("req.url === '/healthz'");
        expect(source).toMatch(/startHealthServer\([\s\S]*?dependencies: \{[\s\S]*?temporal: temporalProbe\(/);
        expect(source).toContain('postgres: () => pingDatabase(db)');
      }
    }
  });
});

describe('deploy/k8s/temporal-values.yaml', () => {
  const values: K8s = parse(read('deploy/k8s/temporal-values.yaml'));

  it('runs each Temporal service with more than one replica, on Postgres, with a fixed shard count', () => {
    for (const s of ['frontend', 'history', 'matching', 'worker']) {
      const { replicaCount, podDisruptionBudget } = values.server[s];
      expect({ s, replicas: replicaCount >= 2, pdb: podDisruptionBudget.minAvailable < replicaCount }).toEqual({
        s,
        replicas: true,
        pdb: true,
      });
    }
    const shards = values.server.config.numHistoryShards;
    // A power of two, fixed at cluster creation (it cannot change later).
    expect(Number.isInteger(Math.log2(shards))).toBe(true);
    expect(values.server.config.persistence.default.sql.driver).toMatch(/postgres/);
  });

  it('partitions the chains task queue, whose name is the one the ConfigMap gives the services', () => {
    const chainsQueue = docs.find((d) => d.kind === 'ConfigMap').data.CHAINS_TASK_QUEUE;
    for (const key of ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions']) {
      const rules = values.server.dynamicConfig[key] as K8s[];
      expect(rules.some((r) => r.constraints?.taskQueueName === chainsQueue && r.value > 4)).toBe(true);
    }
  });
});
