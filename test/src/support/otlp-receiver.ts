import { createServer } from 'node:http';

/** A span as received over OTLP/HTTP JSON, flattened with its service name. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  /** The span as received (attributes, events, status included), for checks that nothing secret is in it. */
  raw: string;
}

/** A metric pushed over OTLP/HTTP JSON: its name and the service that pushed it. */
export interface ReceivedMetric {
  service: string;
  name: string;
}

/** A tiny OTLP/HTTP (JSON) trace and metrics receiver standing in for a collector in tests. */
export interface OtlpReceiver {
  url: string;
  spans(): ReceivedSpan[];
  /** Metric names pushed so far (one entry per push and metric). */
  metrics(): ReceivedMetric[];
  close(): Promise<void>;
}

interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: {
      spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number }[];
    }[];
  }[];
}

interface OtlpMetricsJson {
  resourceMetrics?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeMetrics?: { metrics?: { name: string }[] }[];
  }[];
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = [];
  const pushed: ReceivedMetric[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/metrics') {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpMetricsJson;
          for (const rm of body.resourceMetrics ?? []) {
            const service = rm.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
            for (const sm of rm.scopeMetrics ?? [])
              for (const m of sm.metrics ?? []) pushed.push({ service, name: m.name });
          }
        } catch {
          res.writeHead(400).end();
          return;
        }
      }
      if (req.url === '/v1/traces') {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpJson;
          for (const rs of body.resourceSpans ?? []) {
            const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
            for (const ss of rs.scopeSpans ?? []) {
              for (const s of ss.spans ?? []) {
                received.push({
                  service,
                  traceId: s.traceId,
                  spanId: s.spanId,
                  parentSpanId: s.parentSpanId ?? '',
                  name: s.name,
                  kind: s.kind,
                  raw: JSON.stringify(s),
                });
              }
            }
          }
        } catch {
          res.writeHead(400).end();
          return;
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...received],
    metrics: () => [...pushed],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
