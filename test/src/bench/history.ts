/**
 * What one booking chain costs Temporal, counted from Temporal's own histories: runs N booking
 * chains through the public API (the bench's switchboard driver: a receptionist conversation,
 * Check Availability → Book Consultation → Send SMS Confirmation), then reads the history of
 * every workflow execution in the namespace and counts, per workflow type and per chain, the
 * history events, workflow tasks, activities (scheduled), local activities (markers), timers,
 * signals and child workflows. These are the inputs of the Temporal sizing in the README
 * ("Temporal at scale"). A tool, not a test. Usage: `npm run bench:history -- [chains]` (default 5).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { startTestStack } from '../support/stack.js';
import { slotAllocator } from './booking.js';
import { switchboardDriver } from './switchboard.js';

const { temporal } = proto;
const EventType = temporal.api.enums.v1.EventType;

/** Counts of one workflow type, summed over its executions. */
interface TypeCounts {
  executions: number;
  open: number;
  events: number;
  workflowTasks: number;
  activities: number;
  localActivities: number;
  timers: number;
  signals: number;
  childWorkflows: number;
  /** Bytes of the serialized histories. */
  historyBytes: number;
}

const empty = (): TypeCounts => ({
  executions: 0,
  open: 0,
  events: 0,
  workflowTasks: 0,
  activities: 0,
  localActivities: 0,
  timers: 0,
  signals: 0,
  childWorkflows: 0,
  historyBytes: 0,
});

const log = (message: string) => console.error(`[history ${new Date().toISOString().slice(11, 19)}] ${message}`);

async function main(): Promise<void> {
  const chains = Number(process.argv[2] ?? 5);
  const stack = await startTestStack(mkdtempSync(join(tmpdir(), 'switchboard-history-')), {
    exportSpans: false,
    serviceEnv: { RATE_LIMIT_PER_KEY_PER_MIN: '0', RATE_LIMIT_PER_TENANT_PER_MIN: '0' },
  });
  const connection = await Connection.connect({ address: stack.infra.temporalAddress });
  try {
    const driver = switchboardDriver(stack, slotAllocator());
    for (let i = 0; i < chains; i++) {
      const sample = await driver.chain(i);
      if (!sample.ok) throw new Error(`chain ${i} failed`);
    }
    log(`${chains} chains done; letting the lifecycles reach their first wait`);
    // The booking lifecycles go on after the chain's result (confirmation SMS, then timers).
    await new Promise((r) => setTimeout(r, 5_000));
    const client = new Client({ connection, namespace: stack.infra.temporalNamespace });
    const byType = new Map<string, TypeCounts>();
    for await (const info of client.workflow.list()) {
      const counts = byType.get(info.type) ?? empty();
      byType.set(info.type, counts);
      counts.executions++;
      if (info.status.name === 'RUNNING') counts.open++;
      const history = await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
      counts.historyBytes += temporal.api.history.v1.History.encode(history).finish().length;
      for (const e of history.events ?? []) {
        counts.events++;
        switch (e.eventType) {
          case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            counts.workflowTasks++;
            break;
          case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            counts.activities++;
            break;
          case EventType.EVENT_TYPE_MARKER_RECORDED:
            counts.localActivities++;
            break;
          case EventType.EVENT_TYPE_TIMER_STARTED:
            counts.timers++;
            break;
          case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            counts.signals++;
            break;
          case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            counts.childWorkflows++;
            break;
        }
      }
    }
    const total = empty();
    const perType: Record<string, TypeCounts & { perChain: Record<string, number> }> = {};
    for (const [type, c] of byType) {
      for (const k of Object.keys(total) as (keyof TypeCounts)[]) total[k] += c[k];
      perType[type] = { ...c, perChain: perChain(c, chains) };
    }
    const report = { chains, perType, total, totalPerChain: perChain(total, chains) };
    const out = join(tmpdir(), `switchboard-history-${Date.now()}.json`);
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report, null, 2));
    log(`report written to ${out}`);
  } finally {
    await connection.close();
    await stack.stop();
  }
}

function perChain(c: TypeCounts, chains: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(c)) out[k] = Math.round((v / chains) * 100) / 100;
  return out;
}

await main();
