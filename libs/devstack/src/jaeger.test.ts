/**
 * Jaeger's configuration, and the real binary (when installed) listening on exactly the ports
 * given to it: two stacks on one machine never fight over one of Jaeger's fixed defaults.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type JaegerServer, jaegerConfig, startJaeger } from './jaeger.js';
import { waitFor } from './ports.js';
import { findJaeger } from './tools.js';

/** Ports Jaeger's all-in-one defaults listen on. */
const DEFAULT_PORTS = [4317, 4318, 5778, 5779, 6831, 6832, 8888, 9411, 13133, 14250, 14268, 16685, 16686, 27777, 27778];

describe('jaegerConfig', () => {
  const config = jaegerConfig({ otlpHttp: 40001, query: 40002, queryGrpc: 40003 }, 500);
  const text = JSON.stringify(config);

  it('puts every listener on loopback, on the ports given', () => {
    const endpoints = [...text.matchAll(/"endpoint":"([^"]+)"/g)].map((m) => m[1]);
    expect(endpoints.sort()).toEqual(['127.0.0.1:40001', '127.0.0.1:40002', '127.0.0.1:40003']);
    for (const port of DEFAULT_PORTS) expect(text).not.toContain(`:${port}"`);
  });

  it('receives OTLP over HTTP only, stores in memory, bounded, and has no telemetry endpoint', () => {
    expect(config).toMatchObject({
      service: {
        extensions: ['jaeger_storage', 'jaeger_query'],
        pipelines: { traces: { receivers: ['otlp'], exporters: ['jaeger_storage_exporter'] } },
        telemetry: { metrics: { level: 'none' } },
      },
      receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:40001' } } } },
      extensions: { jaeger_storage: { backends: { memory_store: { memory: { max_traces: 500 } } } } },
    });
    expect(Object.keys((config.receivers as object) ?? {})).toEqual(['otlp']);
    expect(Object.keys((config.extensions as object) ?? {}).sort()).toEqual(['jaeger_query', 'jaeger_storage']);
  });
});

/** TCP ports a process listens on, from its socket descriptors and /proc/net/tcp{,6} (Linux). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; column 9 is the inode.
      if (cols[3] === '0A' && cols[9] !== undefined && inodes.has(cols[9])) {
        ports.add(Number.parseInt(cols[1]?.split(':')[1] ?? '', 16));
      }
    }
  }
  return [...ports].sort((a, b) => a - b);
}

const installed = findJaeger();
// CI installs Jaeger (npm run tools builds it), so there a missing binary fails instead of skipping.
const runReal = 'path' in installed || process.env.CI === 'true';
if (!runReal && 'missing' in installed) console.warn(`skipping the real Jaeger test: ${installed.missing}`);

describe.runIf(runReal)('the real Jaeger', () => {
  let jaeger: JaegerServer | undefined;
  const logDir = mkdtempSync(join(tmpdir(), 'switchboard-jaeger-test-'));
  afterAll(async () => {
    await jaeger?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  it('listens on its three ports and no other, and serves a trace it received over OTLP', async () => {
    jaeger = await startJaeger({ logDir });
    const port = (url: string) => Number(new URL(url).port);
    const ports = listeningPorts(jaeger.process.pid);
    expect(ports).toHaveLength(3);
    expect(ports).toContain(port(jaeger.url));
    expect(ports).toContain(port(jaeger.otlpEndpoint));
    for (const p of DEFAULT_PORTS) expect(ports).not.toContain(p);

    const traceId = '5b8efff798038103d269b633813fc60c';
    const now = BigInt(Date.now()) * 1_000_000n;
    const res = await fetch(`${jaeger.otlpEndpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'probe' } }] },
            scopeSpans: [
              {
                spans: [
                  {
                    traceId,
                    spanId: 'eee19b7ec3c1b174',
                    name: 'probe span',
                    kind: 1,
                    startTimeUnixNano: String(now),
                    endTimeUnixNano: String(now + 1_000_000n),
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    type Found = { data: { spans: { operationName: string }[]; processes: Record<string, { serviceName: string }> }[] };
    let body: Found | undefined;
    const url = `${jaeger.url}/api/traces/${traceId}`;
    await waitFor(url, async () => {
      const found = await fetch(url);
      if (found.status === 200) body = (await found.json()) as Found;
      return body !== undefined;
    });
    expect(body?.data[0]?.spans.map((s) => s.operationName)).toEqual(['probe span']);
    expect(Object.values(body?.data[0]?.processes ?? {}).map((p) => p.serviceName)).toEqual(['probe']);
    expect(jaeger.traceUrlTemplate).toBe(
      jaeger.ui ? `${jaeger.url}/trace/{traceId}` : `${jaeger.url}/api/traces/{traceId}`,
    );
  }, 90_000);
});
