/**
 * The `sb-export` section: Switchboard's booking chain again, with telemetry exported the way
 * production runs it — every service restarted with `OTEL_EXPORTER_OTLP_ENDPOINT` (spans in
 * batches, metrics pushed every 5 s) and every `/metrics` scraped every 5 s, as Prometheus
 * would. Beside the `switchboard` section (nothing exported, nothing scraped) in the same run,
 * it prices the export. Metrics are *recorded* in both: the instruments cannot be switched off,
 * only their export.
 */
import { ServiceNames } from '@switchboard/devstack';
import type { TestStack } from '../support/stack.js';
import type { Slot } from './booking.js';
import type { ChainDriver } from './driver.js';
import { switchboardDriver } from './switchboard.js';

/** How often the services push metrics and are scraped, ms (Prometheus' default is 15 s). */
const EVERY_MS = 5_000;

/** Restarts every service with (or, `on` false, without) telemetry export. */
export async function setTelemetryExport(stack: TestStack, on: boolean): Promise<void> {
  const env = on ? { OTEL_EXPORTER_OTLP_ENDPOINT: stack.otlp.url, OTEL_METRIC_EXPORT_INTERVAL: String(EVERY_MS) } : {};
  // Workers first, so the first chain finds someone polling (as the stack starts them).
  for (const name of [...ServiceNames].reverse()) await stack.services.restart(name, { env });
}

/**
 * The driver of the `sb-export` section; the services must already export (see
 * {@link setTelemetryExport}). The OTLP receiver is the bench's own process, so its work lands
 * on the load generator, as a collector would on its own machine.
 */
export function exportingDriver(stack: TestStack, slotFor: (index: number) => Slot): ChainDriver {
  const inner = switchboardDriver(stack, slotFor);
  let scrapes = 0;
  let scrapeFailures = 0;
  const scrape = setInterval(() => {
    for (const name of ServiceNames) {
      fetch(stack.services.metricsUrl(name))
        .then(async (res) => {
          await res.text();
          if (res.ok) scrapes++;
          else scrapeFailures++;
        })
        .catch(() => scrapeFailures++);
    }
  }, EVERY_MS);
  return {
    ...inner,
    description: `${inner.description}; with OTLP export of spans and metrics (pushed every ${EVERY_MS / 1000} s) and every /metrics scraped every ${EVERY_MS / 1000} s`,
    notes: [
      ...inner.notes,
      'metrics are recorded in the switchboard section too: what differs is their export, the scrapes and the span export',
    ],
    afterLevel: (chains) => ({
      ...(inner.afterLevel?.(chains) ?? {}),
      scrapes,
      scrapeFailures,
      spansReceivedSoFar: stack.otlp.spans().length,
    }),
    close: async () => {
      clearInterval(scrape);
      await inner.close();
    },
  };
}
