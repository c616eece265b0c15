/**
 * The environment each service reads, against what the deployment files give it and what the
 * README documents, so they cannot drift apart again (a Deployment without `CREDENTIALS_KEYS`, a
 * queue override the workflows ignored).
 *
 * What a service reads comes from its source: the files listed in {@link Readers} are scanned for
 * `EnvReader` calls (`r.string('X')` without a default is required), `env.X` reads and the
 * variable names a worker hands `runProviderWorker`. Every other source file that touches the
 * environment must be listed there or in {@link NotServiceReaders}, so a new reader cannot hide.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

const Common = ['libs/common/src/logger.ts', 'libs/telemetry/src/telemetry.ts'];
const Worker = [...Common, 'libs/providers/src/worker.ts', 'libs/contracts/src/task-queues.ts'];

/** The source files whose environment reads are each service's, beside its own `src/main.ts`. */
const Readers: Record<string, string[]> = {
  conversation: [
    ...Common,
    'services/conversation/src/config.ts',
    'services/conversation/src/routes/console.routes.ts',
  ],
  orchestrator: [...Common, 'services/orchestrator/src/config.ts', 'libs/contracts/src/task-queues.ts'],
  'webhook-worker': [...Worker, 'services/webhook-worker/src/config.ts'],
  'calcom-worker': [...Worker, 'services/calcom-worker/src/calcom.activities.ts'],
  'telephony-worker': [...Worker, 'services/telephony-worker/src/config.ts'],
  'crm-worker': [...Worker, 'services/crm-worker/src/crm.activities.ts'],
};

/** Source files that touch the environment but are no service's configuration, and why. */
const NotServiceReaders: Record<string, string> = {
  'libs/common/src/config.ts': 'EnvReader itself',
};
/** Libraries that never run inside a service. */
const NotServiceLibs = ['libs/devstack', 'libs/cli', 'libs/provider-testing'];

/**
 * Variables the libraries a service uses read on their own: the OpenTelemetry SDK (`OTEL_*`),
 * node-postgres (`PG*`) and Node itself (`NODE_*`). A deployment may set them; none is required.
 */
const Ambient = /^(OTEL_[A-Z0-9_]+|PG[A-Z]+|NODE_[A-Z0-9_]+)$/;

/**
 * Optional in the code, yet a deployment must set them: without them the service starts but a
 * part of it fails (webhooks answer 503, signatures are checked against the wrong URL), or it
 * listens where no one can reach it (the code defaults to loopback).
 */
const Deployed: Record<string, string[]> = {
  conversation: ['HOST', 'PORT', 'CREDENTIALS_KEYS', 'PUBLIC_BASE_URL'],
  orchestrator: ['HEALTH_HOST', 'HEALTH_PORT'],
  'webhook-worker': ['HEALTH_HOST', 'HEALTH_PORT'],
  'calcom-worker': ['HEALTH_HOST', 'HEALTH_PORT'],
  'telephony-worker': ['HEALTH_HOST', 'HEALTH_PORT'],
  'crm-worker': ['HEALTH_HOST', 'HEALTH_PORT'],
};

const NAME = '([A-Z][A-Z0-9_]*)';
const ReadPatterns = [
  new RegExp(`\\.(?:string|int|optional|bool)\\(\\s*'${NAME}'`, 'g'), // EnvReader
  new RegExp(`\\benv\\??\\.${NAME}\\b`, 'g'), // process.env.X, env.X, env?.X
  new RegExp(`\\benv\\[\\s*'${NAME}'\\s*\\]`, 'g'), // env['X']
  new RegExp(`\\b\\w+Env:\\s*'${NAME}'`, 'g'), // runProviderWorker({ concurrencyEnv: 'X' })
];
const RequiredPattern = new RegExp(`\\.string\\(\\s*'${NAME}'\\s*\\)`, 'g');
const TouchesEnv = /process\.env|new EnvReader\(|\benv\??\.[A-Z]|\benv\[/;

interface Reads {
  all: Set<string>;
  required: Set<string>;
}

function readsOf(files: string[]): Reads {
  const all = new Set<string>();
  const required = new Set<string>();
  for (const file of files) {
    const text = read(file);
    for (const pattern of ReadPatterns) for (const m of text.matchAll(pattern)) all.add(m[1] as string);
    for (const m of text.matchAll(RequiredPattern)) required.add(m[1] as string);
  }
  return { all, required };
}

const services = readdirSync(join(root, 'services')).filter((d) => statSync(join(root, 'services', d)).isDirectory());
const reads = Object.fromEntries(
  services.map((s) => [s, readsOf([`services/${s}/src/main.ts`, ...(Readers[s] ?? [])])]),
) as Record<string, Reads>;
const readByAny = new Set(Object.values(reads).flatMap((r) => [...r.all]));
const mustSet = (service: string) => [...(reads[service]?.required ?? []), ...(Deployed[service] ?? [])];
const isRead = (service: string, name: string) => Ambient.test(name) || (reads[service]?.all.has(name) ?? false);

/** The service a container runs, from its command (`node services/<name>/dist/main.js`). */
function serviceOf(command: unknown): string | undefined {
  const args = Array.isArray(command) ? command.map(String) : String(command ?? '').split(/\s+/);
  for (const arg of args) {
    const m = /^services\/([a-z-]+)\/dist\/main\.js$/.exec(arg);
    if (m) return m[1];
  }
  return undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .filter((f) => !f.includes('/gen/'));
}

/** One service's environment in a deployment file: what is set, where, and its value. */
interface Given {
  /** name → value (`secret:<name>/<key>` for secret references). */
  values: Map<string, string>;
  /** Names set for this service alone (not through a block shared with others). */
  own: Set<string>;
}

// --- docker-compose.yml -------------------------------------------------------------------
type Env = Record<string, unknown>;
const compose = parse(read('docker-compose.yml')) as {
  services: Record<string, { command?: unknown; environment?: Env }>;
};
/** The block every service merges (`<<: *service-env`), and each service's own settings. */
const composeGiven = new Map<string, Given>();
const composeShared = new Map<string, Set<string>>(); // shared name → services given it
for (const [, def] of Object.entries(compose.services)) {
  const service = serviceOf(def.command);
  if (service === undefined) continue;
  const { '<<': shared = {}, ...own } = (def.environment ?? {}) as Env & { '<<'?: Env };
  const values = new Map<string, string>();
  for (const [k, v] of Object.entries({ ...(shared as Env), ...own })) values.set(k, String(v));
  composeGiven.set(service, { values, own: new Set(Object.keys(own)) });
  for (const k of Object.keys(shared as Env)) {
    if (!composeShared.has(k)) composeShared.set(k, new Set());
    composeShared.get(k)?.add(service);
  }
}

// --- deploy/k8s ---------------------------------------------------------------------------
// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are checked field by field below
type K8s = any;
const k8s: K8s[] = parseAllDocuments(read('deploy/k8s/switchboard.yaml')).map((d) => d.toJS());
const secrets: K8s[] = parseAllDocuments(read('deploy/k8s/secrets.example.yaml')).map((d) => d.toJS());
const configMaps = new Map<string, Record<string, string>>(
  k8s.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data ?? {}]),
);
const secretKeys = new Set(
  secrets
    .filter((o) => o.kind === 'Secret')
    .flatMap((o) => Object.keys({ ...o.stringData, ...o.data }).map((k) => `${o.metadata.name}/${k}`)),
);
const k8sGiven = new Map<string, Given>();
const k8sShared = new Map<string, Set<string>>(); // ConfigMap key → services given it
const refs: { service: string; kind: 'configMap' | 'secret'; ref: string }[] = [];
const probes = new Map<string, unknown[]>();
for (const d of k8s.filter((o) => o.kind === 'Deployment')) {
  for (const c of d.spec.template.spec.containers as K8s[]) {
    const service = serviceOf(c.command);
    if (service === undefined) continue;
    const values = new Map<string, string>();
    for (const from of (c.envFrom ?? []) as K8s[]) {
      const name = from.configMapRef?.name;
      if (name === undefined) continue;
      refs.push({ service, kind: 'configMap', ref: name });
      for (const [k, v] of Object.entries(configMaps.get(name) ?? {})) {
        values.set(k, String(v));
        if (!k8sShared.has(k)) k8sShared.set(k, new Set());
        k8sShared.get(k)?.add(service);
      }
    }
    const own = new Set<string>();
    for (const e of (c.env ?? []) as K8s[]) {
      own.add(e.name);
      const secret = e.valueFrom?.secretKeyRef;
      if (secret) refs.push({ service, kind: 'secret', ref: `${secret.name}/${secret.key}` });
      values.set(e.name, secret ? `secret:${secret.name}/${secret.key}` : String(e.value ?? ''));
    }
    k8sGiven.set(service, { values, own });
    probes.set(
      service,
      [c.readinessProbe, c.livenessProbe].filter(Boolean).map((p) => p.httpGet?.port),
    );
  }
}

const deployments = [
  ['docker-compose.yml', composeGiven, composeShared],
  ['deploy/k8s/switchboard.yaml', k8sGiven, k8sShared],
] as const;

/** The backticked variable names of the README's configuration table. */
function documented(): Set<string> {
  const readme = read('README.md');
  const section = readme.slice(
    readme.indexOf('\n## Configuration'),
    readme.indexOf('\n## ', readme.indexOf('\n## Configuration') + 1),
  );
  const names = new Set<string>();
  for (const line of section.split('\n').filter((l) => l.startsWith('|'))) {
    const first = line.split('|')[1] ?? '';
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(m[1] as string);
  }
  return names;
}

describe('the environment of every service', () => {
  it('is read only where this test looks for it', () => {
    expect(Object.keys(Readers).sort()).toEqual([...services].sort());
    const listed = new Set([...Object.values(Readers).flat(), ...Object.keys(NotServiceReaders)]);
    const dirs = [
      ...services.map((s) => `services/${s}/src`),
      ...readdirSync(join(root, 'libs'))
        .map((l) => `libs/${l}`)
        .filter((l) => !NotServiceLibs.includes(l))
        .map((l) => `${l}/src`),
    ];
    const unlisted = dirs
      .flatMap(sourceFiles)
      .filter((f) => !f.endsWith('/src/main.ts') && TouchesEnv.test(read(f)) && !listed.has(f));
    // A file here reads variables no check below knows of: add it to Readers (or NotServiceReaders).
    expect(unlisted).toEqual([]);
    // The scan finds what the services are known to need.
    expect([...(reads.conversation?.required ?? [])].sort()).toEqual(['DATABASE_URL', 'NATS_URL']);
    expect(reads['calcom-worker']?.required).toContain('CREDENTIALS_KEYS');
    expect(reads['calcom-worker']?.all).toContain('CALCOM_MAX_CONCURRENT');
  });

  it('is documented in the README configuration table', () => {
    const table = documented();
    expect([...readByAny].filter((name) => !table.has(name)).sort()).toEqual([]);
  });

  for (const [file, given, shared] of deployments) {
    describe(file, () => {
      it('runs every service', () => {
        expect([...given.keys()].sort()).toEqual([...services].sort());
      });

      it('gives each service every variable it needs', () => {
        const missing = services.flatMap((s) =>
          mustSet(s)
            .filter((name) => !given.get(s)?.values.has(name))
            .map((name) => `${s}: ${name}`),
        );
        expect(missing).toEqual([]);
      });

      it('sets no variable that its service does not read', () => {
        const unread = services.flatMap((s) =>
          [...(given.get(s)?.own ?? [])].filter((name) => !isRead(s, name)).map((name) => `${s}: ${name}`),
        );
        const sharedUnread = [...shared].filter(([name, by]) => ![...by].some((s) => isRead(s, name))).map(([n]) => n);
        expect([...unread, ...sharedUnread]).toEqual([]);
      });

      it('gives the orchestrator and the workers the same task queue names', () => {
        const queues = [...readByAny].filter((name) => name.endsWith('_TASK_QUEUE'));
        expect(queues.length).toBe(5);
        for (const name of queues) {
          const readers = services.filter((s) => reads[s]?.all.has(name));
          expect(readers).toContain('orchestrator');
          const values = new Set(readers.map((s) => given.get(s)?.values.get(name) ?? '(default)'));
          expect({ name, values: [...values] }).toEqual({ name, values: [expect.any(String)] });
        }
      });
    });
  }

  describe('deploy/k8s', () => {
    it('refers only to Secrets and ConfigMaps that are defined, with placeholder values only', () => {
      const dangling = refs.filter((r) => (r.kind === 'secret' ? !secretKeys.has(r.ref) : !configMaps.has(r.ref)));
      expect(dangling).toEqual([]);
      for (const s of secrets) {
        for (const value of Object.values({ ...s.stringData }) as string[]) expect(value).toContain('REPLACE_ME');
        expect(s.data).toBeUndefined();
      }
    });

    it('probes each service on the port it serves /healthz on', () => {
      for (const s of services) {
        const values = k8sGiven.get(s)?.values;
        const port = Number(values?.get(s === 'conversation' ? 'PORT' : 'HEALTH_PORT'));
        expect({ s, ports: probes.get(s) }).toEqual({ s, ports: expect.arrayContaining([port]) });
        expect(probes.get(s)?.every((p) => p === port)).toBe(true);
      }
    });
  });
});
